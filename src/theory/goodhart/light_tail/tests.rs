//! Unit and property tests of Theorem 2 (Kwa et al. 2024): the Donsker–Varadhan bound and the
//! exponential optimum.

use super::checks::*;
use super::*;
use crate::numerics::tolerance::assert_close;
use crate::numerics::Tolerance;
use crate::prob::Tilt;
use crate::report::CheckOptions;
use proptest::prelude::*;

#[test]
fn dv_closed_forms() {
    for d in [1e-8, 1e-3, 0.5, 3.0, 50.0] {
        let b = dv_bound(normal_log_mgf(2.0), d).unwrap();
        assert_close(b.value, 2.0 * (2.0 * d).sqrt(), Tolerance::rel(1e-12));
        assert_close(b.lambda, (2.0 * d).sqrt() / 2.0, Tolerance::rel(1e-6));
        assert!(b.interior);
        let e = dv_bound(exp1_log_mgf, d).unwrap();
        assert_close(
            e.value,
            exp1_optimum(d).unwrap().shift,
            Tolerance::rel(1e-10),
        );
    }
    // heavy tail: Λ = ∞ for every λ > 0
    let h = dv_bound(|_| None, 0.1).unwrap();
    assert_eq!(h.value, f64::INFINITY);
    assert_eq!(dv_bound(|_| None, 0.0).unwrap().value, 0.0);
}

#[test]
fn exp_optimum_solves_the_correct_kl() {
    // Independent reference: bisection directly on r with KL = ln r + 1/r − 1 (naive form is
    // accurate for these d).
    for d in [0.01f64, 0.1, 1.0, 10.0] {
        let (mut lo, mut hi) = (1e-9f64, 1.0f64);
        for _ in 0..200 {
            let m = 0.5 * (lo + hi);
            if m.ln() + 1.0 / m - 1.0 > d {
                lo = m;
            } else {
                hi = m;
            }
        }
        let o = exp1_optimum(d).unwrap();
        assert_close(o.rate, 0.5 * (lo + hi), Tolerance::rel(1e-12));
        assert_close(kl_exp_vs_exp1(o.rate), d, Tolerance::rel(1e-13));
    }
    // d = 1: x − ln(1+x) = 1 ⇒ x = −1 − W₋₁(−e^{-2}) ... value by mpmath: 2.1461932206205825
    assert_close(
        exp1_optimum(1.0).unwrap().shift,
        2.146_193_220_620_582_5,
        Tolerance::rel(1e-13),
    );
    assert!(matches!(exp1_optimum(-1.0), Err(Error::OutOfRange { .. })));
    assert!(matches!(
        dv_bound(exp1_log_mgf, f64::NAN),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        dv_bound(exp1_log_mgf, f64::INFINITY),
        Err(Error::NotFinite { .. })
    ));
}

#[test]
fn x_minus_ln1p_is_continuous_and_accurate() {
    for y in [-0.2f64, 0.2] {
        let a = x_minus_ln1p(y);
        let b = x_minus_ln1p(y * (1.0 - 1e-15));
        assert_close(a, b, Tolerance::rel(1e-13));
    }
    // tiny y: y²/2 − y³/3
    let y = 1e-5;
    assert_close(
        x_minus_ln1p(y),
        y * y / 2.0 - y * y * y / 3.0 + y.powi(4) / 4.0,
        Tolerance::rel(1e-15),
    );
}

#[test]
fn finite_log_mgf_matches_direct() {
    let p = Probs::new(vec![0.2, 0.5, 0.3]).unwrap();
    let xs = [-1.0, 0.5, 2.0];
    let m = FiniteLogMgf::new(&p, &xs).unwrap();
    let mu = -0.2 + 0.5 * 0.5 + 0.3 * 2.0;
    assert_close(m.mean(), mu, Tolerance::rel(1e-15));
    // tiny λ: the naive sum loses everything; Λ = λ²κ₂/2 + λ³κ₃/6 + O(λ⁴) with (by hand)
    // κ₂ = 1.1025, κ₃ = −0.162.
    assert_close(
        m.eval(1e-6),
        1e-12 * 1.1025 / 2.0 - 1e-18 * 0.162 / 6.0,
        Tolerance::rel(1e-9),
    );
    for l in [0.1, 0.3, 1.0, 5.0] {
        let direct: f64 = p
            .as_slice()
            .iter()
            .zip(&xs)
            .map(|(&pi, &x)| pi * (l * (x - mu)).exp())
            .sum::<f64>()
            .ln();
        assert_close(m.eval(l), direct, Tolerance::rel(1e-12));
    }
}

#[test]
fn truncated_normaliser_reference_values() {
    // N(0,1), β = 2: ln E e^{X/2} = 1/8 ⇒ β·ln = 1/4.
    let n = Law::normal(0.0, 1.0).unwrap();
    assert_close(
        truncated_tilted_log_normaliser(&n, 2.0, -50.0, 1e4).unwrap(),
        0.25,
        Tolerance::rel(1e-9),
    );
    // Pareto(1, 3), T = 1e4: ≈ T + ln q(T) (+ ln of the effective width ≈ 0): within 0.1.
    let pa = Law::pareto(1.0, 3.0).unwrap();
    let v = truncated_tilted_log_normaliser(&pa, 1.0, -50.0, 1e4).unwrap();
    assert!((v - (1e4 + Law::ln_pdf(&pa, 1e4))).abs() < 0.1, "{v}");
    assert!(truncated_tilted_log_normaliser(&pa, 0.0, -50.0, 10.0).is_err());
    assert!(truncated_tilted_log_normaliser(&pa, 1.0, 10.0, 10.0).is_err());
}

#[test]
fn all_checks_hold() {
    let cs = checks(&CheckOptions::default());
    assert!(cs.len() >= 20);
    for c in &cs {
        assert!(
            c.holds,
            "{} failed: value {} {} {} (tol {}) — {}",
            c.id,
            c.value,
            c.relation.symbol(),
            c.bound,
            c.tolerance,
            c.detail
        );
    }
}

fn weights() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.05f64..1.0, 3..12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// The tilt at KL = d attains the DV bound on any finite law (the bound is the sup).
    #[test]
    fn tilt_attains_dv_bound(w in weights(), seed_vals in prop::collection::vec(-3.0f64..3.0, 12), frac in 0.05f64..0.9) {
        let p = Probs::from_weights("w", &w).unwrap();
        let xs: Vec<f64> = seed_vals[..w.len()].to_vec();
        let tilt = Tilt::new(&p, &xs).unwrap();
        prop_assume!(tilt.max_kl().is_finite() && tilt.max_kl() > 1e-6);
        let d = frac * tilt.max_kl();
        let beta = tilt.beta_for_kl(d).unwrap();
        let shift = tilt.at(beta).unwrap().mean_u - tilt.base_mean();
        let lm = FiniteLogMgf::new(&p, &xs).unwrap();
        let b = dv_bound(|l| Some(lm.eval(l)), d).unwrap();
        prop_assert!((shift - b.value).abs() <= 1e-8 * b.value.abs().max(1e-12), "shift {} bound {}", shift, b.value);
    }
}
