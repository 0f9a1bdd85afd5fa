//! Unit tests of [`Law`](super::Law): tail functions against closed forms and mpmath values far
//! in the tails, partial means and log-MGFs against quadrature, quantile/isf inversion, the TOML
//! spec and the user laws.

#![allow(clippy::excessive_precision)] // reference values as printed by mpmath
use super::*;
use crate::numerics::{tol, tolerance::assert_close, Tolerance};

#[test]
fn spec_roundtrip_and_errors() {
    let s: LawSpec = toml::from_str("family = \"student_t\"\ndf = 3.0").unwrap();
    let l = Law::from_spec(&s).unwrap();
    assert_eq!(l.tail_class(), TailClass::Subexponential);
    let e = toml::from_str::<LawSpec>("family = \"student_t\"\ndof = 3.0")
        .unwrap_err()
        .to_string();
    assert!(e.contains("dof"), "{e}");
    assert!(matches!(
        Law::student_t(-1.0, 0.0, 1.0),
        Err(Error::NotPositive { name: "df", .. })
    ));
    assert!(matches!(
        Law::student_t(f64::INFINITY, 0.0, 1.0),
        Err(Error::NotFinite { name: "df", .. })
    ));
    assert!(matches!(
        Law::normal(0.0, f64::NAN),
        Err(Error::NotPositive { name: "sd", .. })
    ));
}

#[test]
fn t3_sf_closed_form() {
    // spec §2.1: F̄(t) = 1/2 − (1/π)[atan(t/√3) + (t/√3)/(1 + t²/3)] (cancels for large t,
    // so used directly only in the bulk)
    let l = Law::student_t(3.0, 0.0, 1.0).unwrap();
    for t in [0.5f64, 2.0, 10.0] {
        let s = t / 3f64.sqrt();
        let exact = 0.5 - (s.atan() + s / (1.0 + s * s)) / std::f64::consts::PI;
        assert_close(l.sf(t), exact, Tolerance::rel(1e-10));
    }
}

#[test]
fn t3_sf_far_tail() {
    // the spec §2.1 closed form evaluated by mpmath 1.3.0 at 50 digits
    let l = Law::student_t(3.0, 0.0, 1.0).unwrap();
    let refs = [
        (1e2, 1.102_260_961_592_455_6e-6),
        (1e3, 1.102_653_821_288_296_3e-9),
        (1e4, 1.102_657_751_147_904_9e-12),
        (1e5, 1.102_657_790_446_627_3e-15),
        (1e6, 1.102_657_790_839_614_5e-18),
        (1e7, 1.102_657_790_843_544_4e-21),
        (1e8, 1.102_657_790_843_583_7e-24),
    ];
    for (x, want) in refs {
        assert_close(l.sf(x), want, Tolerance::rel(1e-14));
        assert_close(l.ln_sf(x), want.ln(), Tolerance::rel(1e-15));
        // left tail by symmetry, also relative-accurate
        assert_close(l.cdf(-x), want, Tolerance::rel(1e-14));
    }
    // far beyond statrs (which returns 0 past ~1e103): F̄(x) = 2√3/(π x³)(1 + O(x⁻²))
    for x in [1e20f64, 1e100, 1e300] {
        let asym = (2.0 * 3f64.sqrt() / std::f64::consts::PI).ln() - 3.0 * x.ln();
        assert_close(l.ln_sf(x), asym, Tolerance::rel(1e-15));
        assert_close(l.ln_cdf(-x), asym, Tolerance::rel(1e-15));
    }
    // location/scale and affine delegate
    let ls = Law::student_t(3.0, 5.0, 2.0).unwrap();
    let af = Law::affine(l.clone(), 5.0, 2.0).unwrap();
    for x in [-1e6, 0.0, 7.0, 1e9] {
        assert_close(ls.ln_sf(x), l.ln_sf((x - 5.0) / 2.0), Tolerance::rel(1e-15));
        assert_close(af.ln_sf(x), l.ln_sf((x - 5.0) / 2.0), Tolerance::rel(1e-15));
    }
}

#[test]
fn normal_lognormal_far_tails() {
    // mpmath 1.3.0, 50 digits: log(erfc(z/sqrt(2))/2)
    let n = Law::normal(1.0, 2.0).unwrap();
    assert_close(n.ln_sf(1e3), -124_757.257_550_139_27, Tolerance::rel(1e-15));
    assert_close(n.ln_sf(1e6), -124_999_750_014.166_3, Tolerance::rel(1e-15));
    assert_close(
        n.ln_cdf(-1e3),
        -125_257.259_550_123_93,
        Tolerance::rel(1e-15),
    );
    assert_eq!(n.sf(1e3), 0.0); // underflows in linear scale, as it must
    let ln = Law::lognormal(0.0, 1.0).unwrap();
    assert_close(
        ln.ln_sf(1e6),
        -98.984_068_736_939_501,
        Tolerance::rel(1e-14),
    );
    assert_close(
        ln.ln_sf(1e12),
        -385.975_847_124_631_39,
        Tolerance::rel(1e-14),
    );
    assert_close(
        ln.ln_sf(1e100),
        -26_515.848_712_416_711,
        Tolerance::rel(1e-14),
    );
    assert_eq!(ln.ln_sf(-1.0), 0.0);
    assert_eq!(ln.ln_cdf(0.0), f64::NEG_INFINITY);
}

#[test]
fn closed_form_families_far_tails() {
    let p = Law::pareto(2.0, 1.5).unwrap();
    assert_close(
        p.ln_sf(1e300),
        -1.5 * (1e300f64 / 2.0).ln(),
        Tolerance::rel(1e-15),
    );
    assert_close(p.sf(2e3), 1e-3f64.powf(1.5), Tolerance::rel(1e-14));
    // cdf just above x_m: 1 − (x_m/x)^α ≈ α·δ/x_m, not lost to cancellation
    let u = 2f64.powi(-40); // x/x_m = 1 + u exactly
    assert_close(
        p.cdf(2.0 * (1.0 + u)),
        1.5 * u * (1.0 - 1.25 * u),
        Tolerance::rel(1e-15),
    );
    let e = Law::exponential(2.0).unwrap();
    assert_eq!(e.ln_sf(1e4), -2e4);
    assert_close(e.cdf(1e-20), 2e-20, Tolerance::rel(1e-15));
    assert_close(e.ln_cdf(1e-20), (2e-20f64).ln(), Tolerance::rel(1e-15));
    let w = Law::weibull(2.0, 1.0).unwrap();
    assert_eq!(w.ln_sf(1e3), -1e6);
    assert_close(
        Law::weibull(0.5, 3.0).unwrap().ln_sf(1e300),
        -(1e300f64 / 3.0).sqrt(),
        Tolerance::rel(1e-15),
    );
    let la = Law::laplace(1.0, 2.0).unwrap();
    assert_close(la.ln_sf(2e4 + 1.0), -LN_2 - 1e4, Tolerance::rel(1e-15));
    assert_close(la.ln_cdf(-2e4 + 1.0), -LN_2 - 1e4, Tolerance::rel(1e-15));
    assert_close(
        la.sf(-40.0),
        1.0 - 0.5 * (-20.5f64).exp(),
        Tolerance::rel(1e-16),
    );
    // Lévy: F̄(x) = erf(√(c/2x)) ≈ √(2c/(πx)) for large x; F(x) = erfc(√(c/2x)) near μ
    let lv = Law::levy(0.0, 1.0).unwrap();
    assert_close(
        lv.sf(1e100),
        (2.0 / (std::f64::consts::PI * 1e100)).sqrt(),
        Tolerance::rel(1e-14),
    );
    assert_close(
        lv.ln_sf(1e300),
        (2.0 / std::f64::consts::PI).sqrt().ln() - 150.0 * 10f64.ln(),
        Tolerance::rel(1e-15),
    );
    // mpmath 1.3.0: log(erfc(sqrt(500))), log(erfc(sqrt(50)))
    assert_close(
        lv.ln_cdf(1e-3),
        -503.680_666_504_381_69,
        Tolerance::rel(1e-14),
    );
    assert_close(
        lv.ln_cdf(1e-2),
        -52.538_137_969_952_525,
        Tolerance::rel(1e-14),
    );
    assert_eq!(lv.ln_cdf(-1.0), f64::NEG_INFINITY);
}

fn all_families() -> Vec<Law> {
    vec![
        Law::normal(1.0, 2.0).unwrap(),
        Law::student_t(3.0, 1.0, 2.0).unwrap(),
        Law::student_t(0.7, 0.0, 1.0).unwrap(),
        Law::student_t(40.0, -1.0, 0.5).unwrap(),
        Law::pareto(1.5, 2.5).unwrap(),
        Law::lognormal(0.2, 0.7).unwrap(),
        Law::exponential(2.0).unwrap(),
        Law::laplace(1.0, 2.0).unwrap(),
        Law::weibull(0.7, 2.0).unwrap(),
        Law::weibull(2.0, 1.0).unwrap(),
        Law::levy(0.5, 2.0).unwrap(),
        Law::affine(Law::student_t(3.0, 0.0, 1.0).unwrap(), -1.0, 0.5).unwrap(),
        Law::tabulated(
            vec![-1.0, 0.0, 0.5, 2.0],
            vec![0.0, 4.0 / 7.0, 4.0 / 7.0, 0.0],
        )
        .unwrap(),
    ]
}

#[test]
fn quantile_and_isf_invert() {
    for l in all_families() {
        for p in [1e-9, 0.01, 0.3, 0.5, 0.8, 0.999] {
            let x = l.quantile(p);
            let back = if p <= 0.5 { l.cdf(x) } else { 1.0 - l.sf(x) };
            assert_close(back, p, Tolerance::new(1e-11, 1e-15));
        }
        // isf far in the tail, checked in log space
        let (_, hi) = l.support();
        if hi.is_infinite() {
            for q in [1e-300, 1e-100, 1e-10] {
                let x = l.isf(q);
                if x == f64::INFINITY {
                    // only when the true quantile is beyond f64 (e.g. t(0.7) at 1e-300 ≈ 1e428)
                    assert!(l.ln_sf(f64::MAX) > q.ln(), "{} isf({q}) = ∞", l.name());
                    continue;
                }
                assert!(x.is_finite(), "{} isf({q}) = {x}", l.name());
                assert_close(l.ln_sf(x), q.ln(), Tolerance::rel(1e-12));
            }
        }
        assert!(l.quantile(1.5).is_nan() && l.quantile(f64::NAN).is_nan());
        assert!(matches!(
            l.try_quantile(-0.1),
            Err(Error::OutOfRange { name: "p", .. })
        ));
    }
}

fn quad_ref(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    let o = QuadOptions {
        rel: 1e-12,
        abs: 0.0,
        max_intervals: 4000,
    };
    integrate(f, a, b, o).unwrap().value
}

/// `∫_t^∞ x f(x) dx` by quadrature, split at the support's lower end and at 0.
fn partial_mean_quad(l: &Law, t: f64) -> f64 {
    let (lo, hi) = l.support();
    let a = t.max(lo);
    if a >= hi {
        return 0.0;
    }
    let mut cuts = vec![a];
    for c in [0.0, 1.0, l.quantile(0.5), l.quantile(0.99)] {
        if c > a && c < hi {
            cuts.push(c);
        }
    }
    cuts.sort_by(f64::total_cmp);
    let mut s = crate::numerics::Neumaier::new();
    for w in cuts.windows(2) {
        s.add(quad_ref(|x| x * l.pdf(x), w[0], w[1]));
    }
    s.add(quad_ref(|x| x * l.pdf(x), cuts[cuts.len() - 1], hi));
    s.total()
}

#[test]
fn partial_means_against_quadrature() {
    let cases: Vec<(Law, Vec<f64>)> = vec![
        (Law::normal(1.0, 2.0).unwrap(), vec![-3.0, 0.5, 4.0, 20.0]),
        (
            Law::student_t(3.0, 1.0, 2.0).unwrap(),
            vec![-5.0, 0.0, 3.0, 50.0],
        ),
        (Law::exponential(2.0).unwrap(), vec![-1.0, 0.3, 5.0]),
        (Law::pareto(1.5, 2.5).unwrap(), vec![1.0, 2.0, 30.0]),
        (
            Law::lognormal(0.2, 0.7).unwrap(),
            vec![-1.0, 0.5, 2.0, 10.0],
        ),
        (Law::laplace(1.0, 2.0).unwrap(), vec![-3.0, 1.0, 4.0]),
        (Law::weibull(0.7, 2.0).unwrap(), vec![-1.0, 0.5, 3.0]),
        (Law::weibull(2.0, 1.0).unwrap(), vec![0.5, 3.0]),
        (
            Law::affine(Law::student_t(3.0, 0.0, 1.0).unwrap(), -1.0, 0.5).unwrap(),
            vec![-2.0, 2.0],
        ),
        (
            Law::tabulated(
                vec![-1.0, 0.0, 0.5, 2.0],
                vec![0.0, 4.0 / 7.0, 4.0 / 7.0, 0.0],
            )
            .unwrap(),
            vec![-2.0, -0.5, 0.25, 1.0, 3.0],
        ),
    ];
    for (l, ts) in cases {
        for t in ts {
            let got = l.partial_mean_above(t).unwrap();
            let want = partial_mean_quad(&l, t);
            assert!(
                Tolerance::new(tol::QUADRATURE_REL, 1e-14).close(got, want),
                "{} t={t}: closed form {got:.15e} vs quadrature {want:.15e}",
                l.name()
            );
        }
        // t → −∞ (or below the support) gives the mean
        assert_close(
            l.partial_mean_above(-1e300).unwrap(),
            l.mean().unwrap(),
            Tolerance::new(1e-12, 1e-15),
        );
    }
    // spec §2.1: t3: E[X; X > t] = 3√3/(π(3 + t²)), including far in the tail
    let t3 = Law::student_t(3.0, 0.0, 1.0).unwrap();
    for t in [0.0, 2.0, 1e4, 1e100] {
        let exact = 3.0 * 3f64.sqrt() / (std::f64::consts::PI * (3.0 + t * t));
        assert_close(
            t3.partial_mean_above(t).unwrap(),
            exact,
            Tolerance::rel(1e-13),
        );
    }
    // normal far tail: E[X; X > t] ~ φ(t)(1 + …): relative agreement with σφ + μΦ̄ in log form
    // N(−30, 1) at t = 0: φ(30) − 30·Φ̄(30), a cancellation of 4 digits done naively;
    // mpmath 1.3.0 (60 digits): 1.6319567340914011894e-199
    let n = Law::normal(-30.0, 1.0).unwrap();
    assert_close(
        n.partial_mean_above(0.0).unwrap(),
        1.631_956_734_091_401_2e-199,
        Tolerance::rel(1e-13),
    );
    // infinite means
    assert!(Law::student_t(1.0, 0.0, 1.0)
        .unwrap()
        .partial_mean_above(3.0)
        .is_none());
    assert!(Law::pareto(1.0, 1.0)
        .unwrap()
        .partial_mean_above(3.0)
        .is_none());
    assert!(Law::levy(0.0, 1.0)
        .unwrap()
        .partial_mean_above(3.0)
        .is_none());
    // Weibull(0.5): mpmath quad(x·f, [3, ∞]) = 1.497479068146307915
    assert_close(
        Law::weibull(0.5, 1.0)
            .unwrap()
            .partial_mean_above(3.0)
            .unwrap(),
        1.497_479_068_146_307_9,
        Tolerance::rel(1e-13),
    );
}

#[test]
fn mgf_against_quadrature() {
    let cases: Vec<(Law, Vec<f64>)> = vec![
        (Law::normal(1.0, 2.0).unwrap(), vec![0.3, -1.0]),
        (Law::exponential(2.0).unwrap(), vec![1.5, -3.0]),
        (Law::laplace(1.0, 2.0).unwrap(), vec![0.4, -0.3]),
        (Law::levy(0.5, 2.0).unwrap(), vec![-0.5]),
        (Law::weibull(2.0, 1.0).unwrap(), vec![2.0, -1.0]),
        (Law::weibull(3.0, 2.0).unwrap(), vec![5.0]),
        (Law::weibull(0.5, 1.0).unwrap(), vec![-1.0]),
        (Law::pareto(1.0, 2.0).unwrap(), vec![-0.5, -20.0]),
        (Law::lognormal(0.0, 1.0).unwrap(), vec![-1.0, -30.0]),
        (
            Law::affine(Law::laplace(0.0, 1.0).unwrap(), 2.0, 3.0).unwrap(),
            vec![0.2],
        ),
        (
            Law::tabulated(
                vec![-1.0, 0.0, 0.5, 2.0],
                vec![0.0, 4.0 / 7.0, 4.0 / 7.0, 0.0],
            )
            .unwrap(),
            vec![-3.0, 0.01, 4.0],
        ),
    ];
    for (l, lams) in cases {
        let (lo, hi) = l.support();
        for lam in lams {
            let got = l.mgf_log(lam).unwrap();
            let m = l.quantile(0.5);
            let f = |x: f64| (l.ln_pdf(x) + lam * x).exp();
            let want = (quad_ref(f, lo, m) + quad_ref(f, m, hi)).ln();
            assert!(
                Tolerance::new(1e-9, 1e-12).close(got, want),
                "{} λ={lam}: {got:.15e} vs quadrature {want:.15e}",
                l.name()
            );
        }
    }
    // infinite
    assert!(Law::student_t(3.0, 0.0, 1.0)
        .unwrap()
        .mgf_log(0.01)
        .is_none());
    assert!(Law::exponential(2.0).unwrap().mgf_log(2.0).is_none());
    assert!(Law::laplace(0.0, 2.0).unwrap().mgf_log(-0.5).is_none());
    for l in [
        Law::lognormal(0.0, 1.0),
        Law::pareto(1.0, 3.0),
        Law::weibull(0.5, 1.0),
        Law::levy(0.0, 1.0),
    ] {
        assert!(l.unwrap().mgf_log(1e-3).is_none());
    }
    assert_eq!(
        Law::student_t(3.0, 0.0, 1.0).unwrap().mgf_log(0.0),
        Some(0.0)
    );
    // Theorem 4 / spec §6.4: normal cumulant generating function, exact
    assert_close(
        Law::normal(0.0, 1.0).unwrap().mgf_log(10.0).unwrap(),
        50.0,
        Tolerance::rel(1e-15),
    );
}

#[test]
fn affine_moments() {
    let l = Law::affine(
        Law::student_t(3.0, 0.0, 1.0).unwrap(),
        0.0,
        (1.0f64 / 3.0).sqrt(),
    )
    .unwrap();
    assert_close(l.variance().unwrap(), 1.0, Tolerance::rel(1e-14));
    let ln = Law::affine(Law::lognormal(0.0, 2f64.ln()).unwrap(), -1.0, 1.0).unwrap();
    // spec §3 Fig B.3: mean e^{(ln2)²/2} − 1 = 0.2715
    assert_close(
        ln.mean().unwrap(),
        (2f64.ln().powi(2) / 2.0).exp() - 1.0,
        Tolerance::rel(1e-12),
    );
}

#[test]
fn tabulated_law() {
    // triangle on [0, 2] peaking at 1: F(x) = x²/2 on [0, 1]
    let l = Law::tabulated(vec![0.0, 1.0, 2.0], vec![0.0, 1.0, 0.0]).unwrap();
    assert_close(l.cdf(0.5), 0.125, Tolerance::rel(1e-15));
    assert_close(l.sf(1.5), 0.125, Tolerance::rel(1e-15));
    assert_close(l.sf(1.999_999), 0.5e-12, Tolerance::rel(1e-6)); // from the right-hand sums
    assert_close(l.quantile(0.125), 0.5, Tolerance::rel(1e-15));
    assert_close(l.quantile(0.875), 1.5, Tolerance::rel(1e-15));
    assert_close(l.mean().unwrap(), 1.0, Tolerance::rel(1e-15));
    assert_close(l.variance().unwrap(), 1.0 / 6.0, Tolerance::rel(1e-14));
    assert_eq!(l.tail_class(), TailClass::Bounded);
    assert_eq!(l.support(), (0.0, 2.0));
    assert_eq!(
        (l.pdf(-1.0), l.pdf(0.5), l.sf(3.0), l.cdf(-1.0)),
        (0.0, 0.5, 0.0, 0.0)
    );
    // validation names the field
    assert!(matches!(
        Law::tabulated(vec![0.0], vec![1.0]),
        Err(Error::TooShort { name: "x", .. })
    ));
    assert!(matches!(
        Law::tabulated(vec![0.0, 1.0], vec![1.0]),
        Err(Error::LengthMismatch {
            left: "x",
            right: "pdf",
            ..
        })
    ));
    assert!(matches!(
        Law::tabulated(vec![0.0, f64::NAN], vec![1.0, 1.0]),
        Err(Error::NotFinite { name: "x", .. })
    ));
    assert!(matches!(
        Law::tabulated(vec![0.0, 1.0, 1.0], vec![1.0, 1.0, 1.0]),
        Err(Error::OutOfRange { name: "x", .. })
    ));
    assert!(matches!(
        Law::tabulated(vec![0.0, 1.0, 2.0], vec![2.0, -1.0, 1.0]),
        Err(Error::NotAProbability {
            name: "pdf",
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        Law::tabulated(vec![0.0, 1.0], vec![1.0, f64::NAN]),
        Err(Error::NotAProbability { name: "pdf", .. })
    ));
    match Law::tabulated(vec![0.0, 1.0], vec![1.0, 2.0]) {
        Err(Error::NotNormalised { sum, .. }) => assert_close(sum, 1.5, Tolerance::rel(1e-15)),
        other => panic!("expected NotNormalised, got {other:?}"),
    }
    // TOML
    let s: LawSpec =
        toml::from_str("family = \"tabulated\"\nx = [0.0, 1.0, 2.0]\npdf = [0.0, 1.0, 0.0]")
            .unwrap();
    assert_eq!(Law::from_spec(&s).unwrap(), l);
}

#[test]
fn empirical_law() {
    let l = Law::empirical(vec![3.0, 1.0, 2.0, 2.0]).unwrap();
    assert_eq!(
        (l.cdf(2.0), l.sf(2.0), l.cdf(0.0), l.sf(3.0)),
        (0.75, 0.25, 0.0, 0.0)
    );
    assert_eq!(
        (l.quantile(0.25), l.quantile(0.26), l.quantile(1.0)),
        (1.0, 2.0, 3.0)
    );
    assert_close(l.mean().unwrap(), 2.0, Tolerance::rel(1e-15));
    assert_close(l.variance().unwrap(), 0.5, Tolerance::rel(1e-15));
    assert_close(
        l.partial_mean_above(1.5).unwrap(),
        7.0 / 4.0,
        Tolerance::rel(1e-15),
    );
    let want = ((0.5f64).exp() + 2.0 * 1f64.exp() + 1.5f64.exp()).ln() - 4f64.ln();
    assert_close(l.mgf_log(0.5).unwrap(), want, Tolerance::rel(1e-15));
    assert_eq!(l.tail_class(), TailClass::Bounded);
    assert!(!l.has_density() && l.pdf(2.0).is_nan());
    assert!(matches!(
        Law::empirical(vec![]),
        Err(Error::Empty { name: "samples" })
    ));
    assert!(matches!(
        Law::empirical(vec![1.0]),
        Err(Error::TooShort {
            name: "samples",
            ..
        })
    ));
    assert!(matches!(
        Law::empirical(vec![1.0, f64::INFINITY]),
        Err(Error::NotFinite {
            name: "samples",
            ..
        })
    ));

    // from CSV, through the TOML spec, resolved against the config directory
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.csv"), "id,reward\n0,3\n1, 1\n2,2\n3,2\n").unwrap();
    let s: LawSpec =
        toml::from_str("family = \"empirical\"\nfile = \"r.csv\"\ncolumn = \"reward\"").unwrap();
    assert_eq!(Law::from_spec_in(&s, Some(dir.path())).unwrap(), l);
    let s: LawSpec =
        toml::from_str("family = \"empirical\"\nsamples = [3.0, 1.0, 2.0, 2.0]").unwrap();
    assert_eq!(Law::from_spec(&s).unwrap(), l);
    let e = Law::empirical_from_csv(&dir.path().join("r.csv"), Some("rwd"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("rwd") && e.contains("reward"), "{e}");
    std::fs::write(dir.path().join("bad.csv"), "reward\n1\nx\n").unwrap();
    let e = Law::empirical_from_csv(&dir.path().join("bad.csv"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 3") && e.contains("`x`"), "{e}");
    let both: LawSpec =
        toml::from_str("family = \"empirical\"\nsamples = [1.0, 2.0]\nfile = \"r.csv\"").unwrap();
    assert!(matches!(Law::from_spec(&both), Err(Error::Config(_))));
    let none: LawSpec = toml::from_str("family = \"empirical\"").unwrap();
    assert!(matches!(Law::from_spec(&none), Err(Error::Config(_))));
}
