//! Unit and property tests of Theorem 4 (Kwa et al. 2024): the grid tilt against closed forms.

use super::checks::*;
use super::*;
use crate::numerics::tolerance::assert_close;
use crate::numerics::{tol, Tolerance};
use crate::report::CheckOptions;
use proptest::prelude::*;

#[test]
fn gaussian_grid_matches_closed_form_spec_6_4() {
    // spec §6.4: β = 1 → (1, 2, 1); 0.5 → (2, 4, 4); 0.1 → (10, 20, 100); 0.01 → (100, 200, 1e4)
    for (beta, ev, eu, k) in [
        (1.0, 1.0, 2.0, 1.0),
        (0.5, 2.0, 4.0, 4.0),
        (0.1, 10.0, 20.0, 100.0),
        (0.01, 100.0, 200.0, 1e4),
    ] {
        let p = gaussian_theorem4_point(1.0, 1.0, beta).unwrap();
        assert_close(p.mean_v, ev, Tolerance::rel(GRID_REL));
        assert_close(p.mean_u, eu, Tolerance::rel(GRID_REL));
        assert_close(p.kl, k, Tolerance::rel(GRID_REL));
    }
    // unequal variances: E[V] = σ_V²/β, E[X] = σ_X²/β
    let p = gaussian_theorem4_point(2.0, 0.5, 0.25).unwrap();
    let cf = gaussian_closed_form(2.0, 0.5, 0.25);
    assert_close(p.mean_x, cf.mean_x, Tolerance::rel(GRID_REL));
    assert_close(p.mean_v, cf.mean_v, Tolerance::rel(GRID_REL));
    assert_close(p.kl_x, cf.kl_x, Tolerance::rel(GRID_REL));
    assert_close(p.kl_v, cf.kl_v, Tolerance::rel(GRID_REL));
}

#[test]
fn weak_tilt_path_keeps_relative_accuracy() {
    // β = 1e3 and 1e5: KL = 1/(2β²) down to 5e-11; the weak path is taken (12σ/β ≤ ½).
    let law = GridLaw::normal_grid(1.0, -12.0, 12.0, GRID_POINTS).unwrap();
    for beta in [1e3, 1e5] {
        let t = law.tilt(beta).unwrap();
        assert_close(t.kl, 0.5 / (beta * beta), Tolerance::rel(1e-9));
        assert_close(t.mean, 1.0 / beta, Tolerance::rel(1e-9));
        assert_close(t.log_z, 0.5 / (beta * beta), Tolerance::rel(1e-9));
    }
    // and both paths agree where they meet (β = 24: weak; 23.9: log space)
    let a = law.tilt(24.0).unwrap();
    let b = law.tilt(23.999).unwrap();
    assert_close(a.kl, 0.5 / (24.0 * 24.0), Tolerance::rel(1e-12));
    assert_close(b.kl, 0.5 / (23.999f64 * 23.999), Tolerance::rel(1e-12));
}

#[test]
fn grid_tilt_equals_linear_tilt_where_both_apply() {
    // a small law with no underflow: GridLaw::tilt (log space) == prob::Tilt
    let x = vec![-1.0, 0.0, 0.5, 2.0];
    let lw = vec![0.1f64.ln(), 0.4f64.ln(), 0.3f64.ln(), 0.2f64.ln()];
    let law = GridLaw::from_log_weights("test", x.clone(), lw).unwrap();
    let p = law.probs().unwrap();
    for beta in [0.05, 0.3, 1.0, 3.0] {
        let a = law.tilt(beta).unwrap();
        let b = Tilt::new(&p, &x).unwrap().at(beta).unwrap();
        assert_close(a.mean, b.mean_u, Tolerance::rel(1e-13));
        assert_close(a.kl, b.kl, Tolerance::rel(1e-12));
        assert_close(a.log_z, b.log_z, Tolerance::new(1e-13, 1e-15));
    }
}

#[test]
fn bad_inputs_are_named() {
    let law = GridLaw::normal_grid(1.0, -5.0, 5.0, 11).unwrap();
    assert!(matches!(
        law.tilt(0.0),
        Err(Error::NotPositive { name: "beta", .. })
    ));
    assert!(matches!(
        law.tilt(f64::NAN),
        Err(Error::NotPositive { name: "beta", .. })
    ));
    assert_eq!(law.tilt(f64::INFINITY).unwrap().kl, 0.0);
    assert!(matches!(
        GridLaw::normal_grid(0.0, -1.0, 1.0, 3),
        Err(Error::NotPositive { .. })
    ));
    assert!(matches!(
        uniform_grid(1.0, 1.0, 3),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        uniform_grid(0.0, 1.0, 1),
        Err(Error::TooShort { .. })
    ));
    assert!(matches!(
        GridLaw::from_log_weights("w", vec![0.0, 1.0], vec![f64::NEG_INFINITY; 2]),
        Err(Error::NotPositive { .. })
    ));
    assert!(matches!(
        GridLaw::from_log_weights("w", vec![0.0], vec![f64::NAN]),
        Err(Error::NotAProbability { .. })
    ));
    assert!(matches!(
        gaussian_theorem4_point(1.0, 1.0, -1.0),
        Err(Error::NotPositive { name: "beta", .. })
    ));
}

#[test]
fn exponential_and_t3_normalisers() {
    let e = NamedLaw::Exponential { rate: 1.0 };
    assert_close(
        log_normaliser(e, 2.0).unwrap(),
        2f64.ln(),
        Tolerance::rel(1e-15),
    );
    assert!(matches!(
        log_normaliser(e, 0.5),
        Err(Error::Infinite { .. })
    ));
    assert!(matches!(
        log_normaliser(e, 1.0),
        Err(Error::Infinite { .. })
    ));
    for beta in [1e-3, 1.0, 1e3] {
        assert!(matches!(
            log_normaliser(NamedLaw::StudentT { nu: 3.0 }, beta),
            Err(Error::Infinite { .. })
        ));
    }
    // normal: ln E e^{X/β} = μ/β + σ²/(2β²); matches the grid's log_z
    let n = NamedLaw::Normal {
        mu: 0.0,
        sigma: 1.0,
    };
    let law = GridLaw::normal_for_tilt(1.0, 0.1, GRID_POINTS).unwrap();
    assert_close(
        law.tilt(0.1).unwrap().log_z,
        log_normaliser(n, 0.1).unwrap(),
        Tolerance::rel(GRID_REL),
    );
    assert!(matches!(
        log_normaliser(n, 0.0),
        Err(Error::NotPositive { name: "beta", .. })
    ));
    assert!(matches!(
        log_normaliser(e, f64::NAN),
        Err(Error::NotPositive { .. })
    ));
}

#[test]
fn t3_truncated_normaliser_quadrature() {
    // halving the step changes the value by < 1e-10 (absolute in the log), and the value
    // exceeds the rigorous lower bound and grows with T
    let beta = 10.0;
    let mut last = f64::NEG_INFINITY;
    for t in [1e2, 1e3, 1e4] {
        let a = t3_truncated_log_normaliser(beta, t).unwrap();
        let fine = simpson_log(beta, t, 1000.0, 1.0 / 32.0).unwrap();
        assert_close(a, fine, Tolerance::abs(1e-10));
        assert!(a >= t3_truncated_log_normaliser_lower_bound(beta, t).unwrap());
        assert!(a > last + 10.0);
        last = a;
    }
    // β large: e^{x/β} ≈ 1 + x/β on the bulk, so the integral over (−1000, 10] is close to
    // F(10) − F(−1000) + (1/β)·E[X; −1000 < X ≤ 10]; at β = 1e6 the second-order term is < 1e-11
    let beta = 1e6;
    let t = 10.0;
    let f = |x: f64| super::super::policy::t3_sf(-x);
    let z = (f(t) - f(-1000.0)) + super::super::policy::t3_partial_mean(-1000.0, t) / beta;
    assert_close(
        t3_truncated_log_normaliser(beta, t).unwrap(),
        z.ln(),
        Tolerance::abs(1e-9),
    );
    // the check's number: more than 10^100 at T = 1e4, β = 10
    assert!(t3_truncated_log_normaliser(10.0, 1e4).unwrap() / std::f64::consts::LN_10 > 100.0);
}

#[test]
fn checks_all_hold() {
    let cs = checks(&CheckOptions::default());
    assert!(cs.len() >= 18);
    for c in &cs {
        assert!(
            c.holds,
            "{} failed: value {} {} bound {} ({})",
            c.id,
            c.value,
            c.relation.symbol(),
            c.bound,
            c.detail
        );
        assert!(
            c.id.starts_with("kwa2024-thm4-") && !c.id.contains('.'),
            "{}",
            c.id
        );
        assert_eq!(c.result, "Theorem 4");
    }
}

/// A small random marginal: 2–6 atoms with weights in [0.01, 1] and values in [−5, 5].
fn marginal() -> impl Strategy<Value = (Probs, Vec<f64>)> {
    (2usize..=6).prop_flat_map(|n| {
        (
            proptest::collection::vec(0.01f64..1.0, n),
            proptest::collection::vec(-5.0f64..5.0, n),
        )
            .prop_map(|(w, x)| (Probs::from_weights("marginal", &w).unwrap(), x))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tilt_of_product_factorises(((px, x), (pv, v), beta) in (marginal(), marginal(), 0.05f64..50.0)) {
        let err = factorisation_error(&px, &x, &pv, &v, beta).unwrap();
        prop_assert!(err <= tol::EXACT_REL, "{err}");
    }

    #[test]
    fn tilt_accepts_exactly_positive_beta(beta in proptest::num::f64::ANY) {
        let law = GridLaw::normal_grid(1.0, -5.0, 5.0, 11).unwrap();
        match law.tilt(beta) {
            Err(Error::NotPositive { name: "beta", .. }) => prop_assert!(!(beta > 0.0)),
            Ok(t) => prop_assert!(beta > 0.0 && t.kl >= 0.0 && t.mean.is_finite()),
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }
}
