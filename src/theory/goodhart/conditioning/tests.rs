//! Unit and property tests of Theorems 5 and 6 (Kwa et al. 2024): the conditional-mean quadrature
//! against closed forms, spec §6.5 and Monte Carlo.

use super::checks::*;
use super::*;
use crate::numerics::tolerance::assert_close;
use crate::numerics::{tol, Tolerance};
use crate::report::CheckOptions;
use crate::sim::seeds::stream_rng;

#[test]
fn gaussian_closed_form_and_spec() {
    // spec §6.5 Theorem 6 instance (closed form printed to 6 decimals)
    for &(t, s) in THM6_GAUSS {
        let (e, tl) = spec_quadrature_value(s);
        let q = conditional_mean(&Pair::independent(n01(), n01()), t).unwrap();
        assert_close(
            q.mean_v,
            gaussian_conditional_mean(1.0, 1.0, t).unwrap(),
            Tolerance::rel(1e-9),
        );
        assert_close(q.mean_v, e, tl);
        // mass = Φ̄(t/√2)
        assert_close(q.mass, n01().sf(t / 2f64.sqrt()), Tolerance::rel(1e-9));
    }
    // unequal variances: N(0,4) error, N(0,1) utility
    let q = conditional_mean(&Pair::independent(law(Law::normal(0.0, 2.0)), n01()), 3.0).unwrap();
    assert_close(
        q.mean_v,
        gaussian_conditional_mean(2.0, 1.0, 3.0).unwrap(),
        Tolerance::rel(1e-9),
    );
}

#[test]
fn theorem5_instance_against_spec() {
    let p = Pair::independent(t3(), n01());
    for &(t, s) in THM5_T3_NORMAL {
        let (e, tl) = spec_quadrature_value(s);
        let q = conditional_mean(&p, t).unwrap();
        assert!(q.converged, "t = {t}");
        assert_close(q.mean_v, e, tl);
    }
}

#[test]
fn exponential_error_is_a_shifted_gaussian() {
    // X ~ Exp(1), V ~ N(0,1): the weight is φ(v)e^{v−t} on (−∞, t) and φ(v) on [t, ∞), so
    // Pr(U >= t) = e^{1/2−t}Φ(t−1) + Φ̄(t) and the numerator is ∫_{−∞}^t vφ(v)e^{v−t} dv + φ(t).
    let t = 2.0;
    let n = n01();
    let num = integrate(
        |v| v * n.pdf(v) * if v < t { (v - t).exp() } else { 1.0 },
        f64::NEG_INFINITY,
        t,
        QuadOptions::default(),
    )
    .unwrap()
    .value
        + (n.pdf(t)); // ∫_t^∞ v φ = φ(t)
    let den = (0.5 - t).exp() * n.cdf(t - 1.0) + n.sf(t);
    let q = conditional_mean(&Pair::independent(law(Law::exponential(1.0)), n01()), t).unwrap();
    assert_close(q.mean_v, num / den, Tolerance::rel(1e-9));
    assert_close(q.mass, den, Tolerance::rel(1e-9));
}

#[test]
fn far_thresholds_follow_the_asymptote() {
    // X ~ t3, V ~ N(0,1): Q_t(v) = 1 + 3v/t + O(v²/t²), so E[V | U >= t] = 3/t·(1 + O(1/t²)).
    let p = Pair::independent(t3(), n01());
    for t in [1e6, 1e8] {
        let q = conditional_mean(&p, t).unwrap();
        assert!(q.converged && q.evals < 20_000, "t = {t}: {q:?}");
        assert_close(q.mean_v, 3.0 / t, Tolerance::rel(1e-6));
    }
}

#[test]
fn counterexample_small_t_against_closed_form() {
    // At t = 0 the gated pair has an elementary reference: inside the gate X ~ N(0,4),
    // outside X = 0 so accept iff V >= 0, i.e. ∫_1^∞ v φ = φ(1), Pr = Φ̄(1).
    let n = n01();
    let x = law(Law::normal(0.0, 2.0));
    let t = 0.0;
    let num = integrate(
        |v| v * n.pdf(v) * x.sf(t - v),
        -1.0,
        1.0,
        QuadOptions::default(),
    )
    .unwrap()
    .value
        + n.pdf(1.0);
    let den = integrate(
        |v| n.pdf(v) * x.sf(t - v),
        -1.0,
        1.0,
        QuadOptions::default(),
    )
    .unwrap()
    .value
        + n.sf(1.0);
    let q = conditional_mean(&Pair::counterexample(), t).unwrap();
    assert_close(q.mean_v, num / den, Tolerance::rel(1e-9));
    // spec §6.5 counterexample t = 0: 0.5614
    assert_close(q.mean_v, 0.5614, Tolerance::abs(5e-5));
}

#[test]
fn monte_carlo_agrees() {
    let p = Pair::independent(t3(), n01());
    let mut rng = stream_rng(7, "test/cond-mc");
    let mc = conditional_mean_mc(&p, 2.0, 50_000, &mut rng).unwrap();
    let q = conditional_mean(&p, 2.0).unwrap();
    assert!(
        (mc.mean - q.mean_v).abs() <= tol::MC_Z * mc.se,
        "{mc:?} vs {}",
        q.mean_v
    );
    assert!(mc.n_accepted > 1000);
    let mut rng = stream_rng(7, "test/cond-mc-ce");
    let mc = conditional_mean_mc(&Pair::counterexample(), 2.0, 50_000, &mut rng).unwrap();
    let q = conditional_mean(&Pair::counterexample(), 2.0).unwrap();
    assert!(
        (mc.mean - q.mean_v).abs() <= tol::MC_Z * mc.se,
        "{mc:?} vs {}",
        q.mean_v
    );
}

#[test]
fn cell_masses_sum_to_one() {
    let p = Pair::independent(t3(), law(Law::laplace(0.0, 1.0)));
    let m = conditional_cell_masses(
        &p,
        25.0,
        &[f64::NEG_INFINITY, -4.0, 4.0, 21.0, f64::INFINITY],
    )
    .unwrap();
    assert_close(neumaier_sum(m.iter().copied()), 1.0, Tolerance::rel(1e-8));
    assert!(m[1] > m[0] && m[1] > m[2]);
}

#[test]
fn bad_input() {
    let p = Pair::independent(t3(), n01());
    assert!(matches!(
        conditional_mean(&p, f64::NAN),
        Err(Error::NotFinite { name: "t", .. })
    ));
    let levy = Pair::independent(t3(), law(Law::levy(0.0, 1.0)));
    assert!(matches!(
        conditional_mean(&levy, 1.0),
        Err(Error::Infinite { .. })
    ));
    assert!(matches!(
        Pair::gated(n01(), n01(), 1.0, -1.0),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        tail_reweighting(&t3(), &n01(), 5.0, 1.5),
        Err(Error::OutOfRange {
            name: "tail_mass",
            ..
        })
    ));
}

#[test]
fn tail_reweighting_gaussian_reference() {
    // X, V ~ N(0,1): U ~ N(0,2), E[U | U >= t] = √2 φ(t/√2)/Φ̄(t/√2), E[V | U >= t] half of it.
    let t = 3.0;
    let m = 0.1;
    let r = tail_reweighting(&n01(), &n01(), t, m).unwrap();
    let u = law(Law::normal(0.0, 2f64.sqrt()));
    let p = u.sf(t);
    let hi = 2f64.sqrt() * (n01().ln_pdf(t / 2f64.sqrt()) - n01().ln_sf(t / 2f64.sqrt())).exp();
    let lo = -p * hi / (1.0 - p);
    assert_close(r.base_tail, p, Tolerance::rel(1e-9));
    assert_close(r.mean_u, (1.0 - m) * lo + m * hi, Tolerance::rel(1e-8));
    assert_close(r.mean_v, 0.5 * r.mean_u, Tolerance::rel(1e-8));
    let kl = (1.0 - m) * ((1.0 - m) / (1.0 - p)).ln() + m * (m / p).ln();
    assert_close(r.kl, kl, Tolerance::rel(1e-9));
}

#[test]
fn all_checks_hold() {
    let cs = checks(&CheckOptions {
        seed: 1,
        quick: true,
    });
    let bad: Vec<String> = cs
        .iter()
        .filter(|c| !c.holds)
        .map(|c| format!("{}: {} vs {} ({})", c.id, c.value, c.bound, c.detail))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    let mut ids: Vec<&str> = cs.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "ids are unique");
}
