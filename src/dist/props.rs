//! Property tests (proptest, small case counts) and Kolmogorov–Smirnov sampling tests for every
//! family.
//!
//! * constructors never panic: for arbitrary f64 parameters (NaN, ±∞, ±0 included) they return
//!   either the exact error variant naming the first bad parameter, or a law whose methods do not
//!   panic at arbitrary `x`;
//! * for valid laws with parameters in working ranges: `sf + cdf = 1` (1e-12) where both exceed
//!   1e-300, `ln_sf` non-increasing, `quantile(cdf(x)) ≈ x` in the bulk, samples finite;
//! * KS: 10⁴ draws per family against the family's own `cdf`, rejected at α = 1e-3 (asymptotic
//!   Kolmogorov critical value `√(−½·ln(α/2))/√n = 1.9495/√n`, conservative for finite n, so the
//!   false-positive rate per family is at most 1e-3; with fixed seeds the outcome is
//!   deterministic).

use proptest::prelude::*;
use rand::SeedableRng as _;

use super::{Law, LawSpec};
use crate::error::Error;

// ---------- strategies (free functions) ----------

/// Any f64, with the special values over-represented.
fn any_param() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<f64>(),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
        1 => Just(-0.0),
        3 => -10.0..10.0f64,
        1 => prop_oneof![Just(1e-300), Just(1e300), Just(f64::MIN_POSITIVE), Just(f64::MAX)],
    ]
}

/// Any `x` at which a method may be called.
fn any_x() -> impl Strategy<Value = f64> {
    prop_oneof![4 => any_param(), 2 => -1e6..1e6f64]
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Need {
    Finite,
    PositiveFinite,
}

/// The error the validated constructors must return for `params` (checked in order), or `None`.
fn expected_error(params: &[(&'static str, f64, Need)]) -> Option<(&'static str, &'static str)> {
    for &(name, v, need) in params {
        match need {
            Need::Finite if !v.is_finite() => return Some(("NotFinite", name)),
            Need::PositiveFinite if !(v > 0.0) => return Some(("NotPositive", name)),
            Need::PositiveFinite if !v.is_finite() => return Some(("NotFinite", name)),
            _ => {}
        }
    }
    None
}

fn variant(e: &Error) -> (&'static str, &'static str) {
    match e {
        Error::NotFinite { name, .. } => ("NotFinite", name),
        Error::NotPositive { name, .. } => ("NotPositive", name),
        _ => ("other", ""),
    }
}

/// Every method at `x` must return without panicking (any value, NaN allowed for NaN input).
fn exercise(l: &Law, x: f64, p: f64) {
    let _ = (
        l.pdf(x),
        l.ln_pdf(x),
        l.cdf(x),
        l.sf(x),
        l.ln_sf(x),
        l.ln_cdf(x),
    );
    let _ = (
        l.quantile(p),
        l.isf(p),
        l.try_quantile(p),
        l.partial_mean_above(x),
        l.mgf_log(x),
    );
    let _ = (
        l.mean(),
        l.variance(),
        l.tail_class(),
        l.support(),
        l.name(),
    );
    if !x.is_nan() {
        assert!(
            !l.sf(x).is_nan() && !l.cdf(x).is_nan(),
            "{l:?}: NaN sf/cdf at {x}"
        );
    }
}

type Ctor = fn(f64, f64) -> crate::error::Result<Law>;
/// Family name, constructor, and what each of its two parameters must be.
type CtorCase = (&'static str, Ctor, [(&'static str, Need); 2]);

fn two_param_ctors() -> Vec<CtorCase> {
    vec![
        (
            "normal",
            Law::normal,
            [("mean", Need::Finite), ("sd", Need::PositiveFinite)],
        ),
        (
            "pareto",
            Law::pareto,
            [
                ("scale", Need::PositiveFinite),
                ("alpha", Need::PositiveFinite),
            ],
        ),
        (
            "lognormal",
            Law::lognormal,
            [("mu", Need::Finite), ("sigma", Need::PositiveFinite)],
        ),
        (
            "laplace",
            Law::laplace,
            [("loc", Need::Finite), ("scale", Need::PositiveFinite)],
        ),
        (
            "weibull",
            Law::weibull,
            [
                ("shape", Need::PositiveFinite),
                ("scale", Need::PositiveFinite),
            ],
        ),
        (
            "levy",
            Law::levy,
            [("loc", Need::Finite), ("scale", Need::PositiveFinite)],
        ),
    ]
}

/// A valid law with parameters in working ranges.
fn valid_law() -> impl Strategy<Value = Law> {
    let base = prop_oneof![
        (-1e3..1e3f64, 1e-3..1e3f64).prop_map(|(m, s)| Law::normal(m, s).unwrap()),
        (0.2..200.0f64, -1e3..1e3f64, 1e-2..1e2f64)
            .prop_map(|(v, l, s)| Law::student_t(v, l, s).unwrap()),
        (1e-2..1e2f64, 0.2..10.0f64).prop_map(|(s, a)| Law::pareto(s, a).unwrap()),
        (-5.0..5.0f64, 0.05..3.0f64).prop_map(|(m, s)| Law::lognormal(m, s).unwrap()),
        (1e-2..1e2f64).prop_map(|r| Law::exponential(r).unwrap()),
        (-1e3..1e3f64, 1e-2..1e2f64).prop_map(|(l, s)| Law::laplace(l, s).unwrap()),
        (0.2..10.0f64, 1e-2..1e2f64).prop_map(|(k, s)| Law::weibull(k, s).unwrap()),
        (-1e3..1e3f64, 1e-2..1e2f64).prop_map(|(l, s)| Law::levy(l, s).unwrap()),
        tabulated_law(),
        prop::collection::vec(-1e3..1e3f64, 2..40).prop_map(|v| Law::empirical(v).unwrap()),
    ];
    base.prop_flat_map(|l| {
        prop_oneof![
            3 => Just(l.clone()),
            1 => (-10.0..10.0f64, 0.1..10.0f64).prop_map(move |(a, b)| Law::affine(l.clone(), a, b).unwrap()),
        ]
    })
}

/// A tabulated law on a random grid, normalised exactly by the caller (as the docs ask).
fn tabulated_law() -> impl Strategy<Value = Law> {
    (
        -10.0..10.0f64,
        prop::collection::vec((1e-3..3.0f64, 0.0..5.0f64), 2..12),
    )
        .prop_map(|(x0, steps)| {
            let mut x = vec![x0];
            let mut w = vec![1.0];
            for (dx, f) in steps {
                x.push(x[x.len() - 1] + dx);
                w.push(f);
            }
            let total: f64 = (0..x.len() - 1)
                .map(|i| 0.5 * (x[i + 1] - x[i]) * (w[i] + w[i + 1]))
                .sum();
            Law::tabulated(x, w.iter().map(|v| v / total).collect()).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn two_param_constructors_error_or_valid(a in any_param(), b in any_param(), x in any_x(), p in any_param()) {
        for (fam, ctor, [(n1, k1), (n2, k2)]) in two_param_ctors() {
            let want = expected_error(&[(n1, a, k1), (n2, b, k2)]);
            match ctor(a, b) {
                Ok(l) => {
                    prop_assert!(want.is_none(), "{fam}({a}, {b}) accepted, expected {want:?}");
                    exercise(&l, x, p);
                }
                Err(e) => prop_assert_eq!(Some(variant(&e)), want, "{}({}, {}): {}", fam, a, b, e),
            }
        }
    }

    #[test]
    fn student_t_exponential_affine_error_or_valid(df in any_param(), loc in any_param(), scale in any_param(), x in any_x(), p in any_param()) {
        let want = expected_error(&[("df", df, Need::PositiveFinite), ("loc", loc, Need::Finite), ("scale", scale, Need::PositiveFinite)]);
        match Law::student_t(df, loc, scale) {
            Ok(l) => { prop_assert!(want.is_none()); exercise(&l, x, p); }
            Err(e) => prop_assert_eq!(Some(variant(&e)), want),
        }
        let want = expected_error(&[("rate", df, Need::PositiveFinite)]);
        match Law::exponential(df) {
            Ok(l) => { prop_assert!(want.is_none()); exercise(&l, x, p); }
            Err(e) => prop_assert_eq!(Some(variant(&e)), want),
        }
        let want = expected_error(&[("shift", loc, Need::Finite), ("scale", scale, Need::PositiveFinite)]);
        match Law::affine(Law::normal(0.0, 1.0).unwrap(), loc, scale) {
            Ok(l) => { prop_assert!(want.is_none()); exercise(&l, x, p); }
            Err(e) => prop_assert_eq!(Some(variant(&e)), want),
        }
    }

    #[test]
    fn user_laws_error_or_valid(xs in prop::collection::vec(any_param(), 0..6), fs in prop::collection::vec(any_param(), 0..6), x in any_x(), p in any_param()) {
        match Law::tabulated(xs.clone(), fs.clone()) {
            Ok(l) => exercise(&l, x, p),
            Err(e) => prop_assert!(matches!(
                e,
                Error::TooShort { name: "x", .. } | Error::LengthMismatch { .. } | Error::NotFinite { name: "x", .. }
                    | Error::OutOfRange { name: "x", .. } | Error::NotAProbability { name: "pdf", .. } | Error::NotNormalised { .. }
            ), "{e}"),
        }
        match Law::empirical(xs.clone()) {
            Ok(l) => exercise(&l, x, p),
            Err(e) => prop_assert!(matches!(e, Error::Empty { name: "samples" } | Error::TooShort { name: "samples", .. } | Error::NotFinite { name: "samples", .. }), "{e}"),
        }
        // a spec round trip never panics either
        let _ = Law::from_spec(&LawSpec::Tabulated { x: xs, pdf: fs });
    }

    #[test]
    fn valid_laws_are_consistent(l in valid_law(), us in prop::collection::vec(1e-6..(1.0 - 1e-6f64), 4), seed in any::<u64>()) {
        let mut xs: Vec<f64> = us.iter().map(|&u| l.quantile(u)).collect();
        // and far in both tails (where finite)
        for q in [1e-30, 1e-200] {
            xs.push(l.isf(q));
            xs.push(l.quantile(q));
        }
        xs.retain(|x| x.is_finite());
        xs.sort_by(f64::total_cmp);
        for &x in &xs {
            let (s, c) = (l.sf(x), l.cdf(x));
            if s > 1e-300 && c > 1e-300 {
                prop_assert!((s + c - 1.0).abs() <= 1e-12, "{}: sf + cdf − 1 = {:e} at x = {x}", l.name(), s + c - 1.0);
            }
            prop_assert!(!l.ln_sf(x).is_nan() && l.ln_sf(x) <= 0.0);
        }
        for w in xs.windows(2) {
            let (a, b) = (l.ln_sf(w[0]), l.ln_sf(w[1]));
            prop_assert!(b <= a || b <= a + 1e-14 * a.abs() + 1e-300, "{}: ln_sf increases: {a:e} at {} → {b:e} at {}", l.name(), w[0], w[1]);
        }
        for &u in &us {
            let x = l.quantile(u);
            let back = l.quantile(l.cdf(x));
            if l.has_density() && !matches!(l, Law::Tabulated(_)) {
                prop_assert!((back - x).abs() <= 1e-8 * (1.0 + x.abs()), "{}: quantile(cdf({x})) = {back}", l.name());
            } else {
                // flat stretches of F (gaps between atoms, zero-density segments) map to their left
                // end: the defining property is quantile(F(x)) <= x and F(quantile(F(x))) >= F(x)
                // (up to rounding of the affine map)
                let eps = 1e-9 * (1.0 + x.abs());
                prop_assert!(back <= x + eps && l.cdf(back + eps) >= l.cdf(x) - 1e-12, "{}: quantile(cdf({x})) = {back}", l.name());
            }
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..16 {
            let v = l.sample(&mut rng);
            prop_assert!(v.is_finite(), "{}: sample {v}", l.name());
        }
    }
}

// ---------- Kolmogorov–Smirnov ----------

/// Asymptotic Kolmogorov critical value at α = 1e-3: `√(−½ ln(α/2))` = 1.949474603520405.
#[allow(clippy::excessive_precision)]
const KS_C_ALPHA_1E3: f64 = 1.949_474_603_520_405;

/// `D_n = sup |F_n − F|` for a sorted sample (both one-sided gaps at each order statistic; for a
/// discrete law the left limit `F(x−)` is approximated by `cdf(x) − P(X = x)` via the sample's
/// own ties, which only makes the test more conservative).
fn ks_statistic(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in sorted.iter().enumerate() {
        let f = cdf(x);
        d = d.max((i as f64 + 1.0) / n - f).max(f - i as f64 / n);
    }
    d
}

#[test]
fn ks_sampling_every_family() {
    // false-positive rate per family: at most α = 1e-3 (asymptotic critical value is conservative)
    let laws = vec![
        Law::normal(1.0, 2.0).unwrap(),
        Law::student_t(3.0, 0.0, 1.0).unwrap(),
        Law::student_t(0.7, 1.0, 3.0).unwrap(),
        Law::pareto(1.5, 2.5).unwrap(),
        Law::lognormal(0.2, 0.7).unwrap(),
        Law::exponential(2.0).unwrap(),
        Law::laplace(1.0, 2.0).unwrap(),
        Law::weibull(0.5, 2.0).unwrap(),
        Law::weibull(2.0, 1.0).unwrap(),
        Law::levy(0.5, 2.0).unwrap(),
        Law::affine(Law::lognormal(0.0, 2f64.ln()).unwrap(), -1.0, 1.0).unwrap(),
        Law::tabulated(
            vec![-1.0, 0.0, 0.5, 2.0],
            vec![0.0, 4.0 / 7.0, 4.0 / 7.0, 0.0],
        )
        .unwrap(),
    ];
    let n = 10_000;
    let crit = KS_C_ALPHA_1E3 / (n as f64).sqrt();
    for l in &laws {
        let mut rng = crate::sim::seeds::stream_rng(
            crate::sim::seeds::DEFAULT_SEED,
            &format!("dist/ks/{}", l.name()),
        );
        let mut xs: Vec<f64> = (0..n).map(|_| l.sample(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        let d = ks_statistic(&xs, |x| l.cdf(x));
        assert!(
            d < crit,
            "{}: KS D = {d:.5} >= {crit:.5} (α = 1e-3)",
            l.name()
        );
    }
    // a wrong law must be rejected (the test has power): t3 samples vs the normal cdf
    let t3 = Law::student_t(3.0, 0.0, 1.0).unwrap();
    let n01 = Law::normal(0.0, 3f64.sqrt()).unwrap();
    let mut rng = crate::sim::seeds::stream_rng(crate::sim::seeds::DEFAULT_SEED, "dist/ks/power");
    let mut xs: Vec<f64> = (0..n).map(|_| t3.sample(&mut rng)).collect();
    xs.sort_by(f64::total_cmp);
    assert!(ks_statistic(&xs, |x| n01.cdf(x)) > crit);
}

#[test]
fn ks_empirical_resampling() {
    // resampling from a 50-point sample reproduces its ECDF (discrete law: the test is conservative)
    let src: Vec<f64> = (0..50)
        .map(|i| ((i * 37) % 50) as f64 * 0.1 - 2.0)
        .collect();
    let l = Law::empirical(src).unwrap();
    let n = 10_000;
    let mut rng =
        crate::sim::seeds::stream_rng(crate::sim::seeds::DEFAULT_SEED, "dist/ks/empirical");
    let mut xs: Vec<f64> = (0..n).map(|_| l.sample(&mut rng)).collect();
    xs.sort_by(f64::total_cmp);
    // compare at the atoms: |F_n(x) − F(x)| for each distinct value
    let mut d: f64 = 0.0;
    for &x in &xs {
        let fn_ = xs.partition_point(|&v| v <= x) as f64 / n as f64;
        d = d.max((fn_ - l.cdf(x)).abs());
    }
    assert!(d < KS_C_ALPHA_1E3 / (n as f64).sqrt(), "D = {d}");
}
