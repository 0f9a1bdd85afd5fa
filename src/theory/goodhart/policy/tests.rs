//! Unit and property tests of Theorem 3 and Corollary 1 (Kwa et al. 2024): the tree construction,
//! the Student-t(3) closed forms and the Donsker–Varadhan bound.

use super::checks::*;
use super::*;
use crate::numerics::tolerance::assert_close;
use crate::numerics::{tol, Tolerance};
use crate::report::CheckOptions;
use proptest::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The spec §2.1 form `½ − (1/π)[atan(x) + x/(1 + x²)]`, fine away from the far tail.
fn t3_sf_spec_form(t: f64) -> f64 {
    let x = t / SQRT3;
    0.5 - (x.atan() + x / (1.0 + x * x)) / std::f64::consts::PI
}

#[test]
fn t3_sf_matches_spec_form_and_asymptote() {
    for t in [-5.0, -1.0, 0.0, 0.3, 1.0, 3.0, 10.0] {
        assert_close(t3_sf(t), t3_sf_spec_form(t), Tolerance::new(1e-13, 1e-16));
    }
    // F̄(t) ~ 2√3/(π t³)·(1 − 9/(2t²)·…): at t = 1e5 the first term is exact to 1e-9
    let t = 1e5;
    assert_close(
        t3_sf(t),
        2.0 * SQRT3 / (std::f64::consts::PI * t * t * t),
        Tolerance::rel(1e-9),
    );
    assert_eq!(t3_sf(f64::INFINITY), 0.0);
    assert_close(t3_sf(f64::NEG_INFINITY), 1.0, Tolerance::abs(1e-16));
}

#[test]
fn t3_sf_inv_round_trips() {
    for p in [
        1e-300,
        1e-12,
        7.62939453125e-6,
        1e-3,
        0.1,
        0.3,
        0.49,
        0.5,
        0.51,
        0.9,
        1.0 - 1e-9,
    ] {
        let t = t3_sf_inv(p).unwrap();
        let back = if p <= 0.5 { t3_sf(t) } else { 1.0 - t3_sf(-t) };
        assert_close(back, p, Tolerance::rel(4e-15));
    }
    assert!(matches!(t3_sf_inv(0.0), Err(Error::OutOfRange { .. })));
    assert!(matches!(t3_sf_inv(1.0), Err(Error::OutOfRange { .. })));
    assert!(matches!(t3_sf_inv(f64::NAN), Err(Error::OutOfRange { .. })));
}

#[test]
fn statrs_quantile_accuracy_at_the_extremes() {
    // statrs' StudentsT::inverse_cdf agrees with the closed form in the tails (i = 0 and
    // 2^16 − 1) to ~1e-15 but is off by ~1e-12 absolute next to the median, which is why
    // the tree uses t3_sf_inv.
    let d = StudentsT::new(0.0, 1.0, 3.0).unwrap();
    let n = 65_536.0;
    let q = t3_midpoint_quantiles(65_536).unwrap();
    for i in [0usize, 1, 65_534, 65_535] {
        let p = (i as f64 + 0.5) / n;
        assert_close(d.inverse_cdf(p), q[i], Tolerance::rel(1e-13));
    }
    // largest return of the toy tree: F̄⁻¹(2^-17) ≈ 52.4559 (asymptote (2√3/(πp))^{1/3} = 52.50)
    assert_close(q[65_535], 52.455_889_696_384_96, Tolerance::rel(1e-13));
    let mid = d.inverse_cdf(32_767.5 / n);
    assert!((mid - q[32_767]).abs() < 1e-11, "{mid} vs {}", q[32_767]);
}

#[test]
fn partial_means_are_consistent() {
    // E[X; X > t] by the closed form equals the limit of cells; E[X] = 0.
    assert_close(
        t3_partial_mean(f64::NEG_INFINITY, f64::INFINITY),
        0.0,
        Tolerance::abs(1e-16),
    );
    let (a, b) = (1.0, 2.0);
    assert_close(
        t3_partial_mean(a, b),
        t3_partial_mean(a, f64::INFINITY) - t3_partial_mean(b, f64::INFINITY),
        Tolerance::rel(1e-14),
    );
    // by quadrature (Simpson, 2000 intervals on [1, 2]) of x·f(x)
    let n = 2000;
    let h = (b - a) / n as f64;
    let mut s = Neumaier::new();
    for k in 0..=n {
        let x = a + k as f64 * h;
        let w = if k == 0 || k == n {
            1.0
        } else if k % 2 == 1 {
            4.0
        } else {
            2.0
        };
        s.add(w * x * t3_pdf(x));
    }
    assert_close(
        t3_partial_mean(a, b),
        s.total() * h / 3.0,
        Tolerance::rel(1e-12),
    );
}

fn toy() -> TreeMdp {
    toy_tree(TOY_DEPTH, 1).unwrap()
}

#[test]
fn theorem3_reproduces_spec_6_3() {
    let tree = toy();
    for (t, spec) in SPEC_6_3 {
        let n = theorem3_tree(&tree, t, 1.0).unwrap();
        for (value, s) in [n.base_tail_prob, n.mean_return, n.kl_traj, n.kl_per_state]
            .into_iter()
            .zip(spec)
        {
            let (expected, tolerance) = spec_value(s);
            assert_close(value, expected, tolerance);
        }
        assert!(n.tr_max_rel_err <= tol::EXACT_REL, "{}", n.tr_max_rel_err);
        assert_close(n.kl_traj, n.kl_leaves, Tolerance::rel(tol::EXACT_REL));
        assert_close(
            n.kl_leaves,
            n.kl_closed_form,
            Tolerance::rel(tol::EXACT_REL),
        );
        assert_eq!(n.base_mean, 0.0);
    }
}

#[test]
fn any_permutation_gives_the_same_numbers() {
    let a = theorem3_tree(&toy_tree(TOY_DEPTH, 1).unwrap(), 10.0, 1.0).unwrap();
    let b = theorem3_tree(&toy_tree(TOY_DEPTH, 2).unwrap(), 10.0, 1.0).unwrap();
    assert_close(a.kl_traj, b.kl_traj, Tolerance::rel(1e-13));
    assert_close(a.mean_return, b.mean_return, Tolerance::rel(1e-13));
    assert_eq!(a.base_tail_prob, b.base_tail_prob);
}

#[test]
fn continuous_version_matches_spec_6_1() {
    for (t, spec) in SPEC_6_1 {
        let n = theorem3_continuous(TOY_DEPTH, t, 1.0).unwrap();
        let (e, te) = spec_value(spec[0]);
        let (k, tk) = spec_value(spec[1]);
        assert_close(n.mean_return, e, te);
        assert_close(n.kl_traj, k, tk);
        assert_close(
            n.mean_return,
            n.mean_closed_form,
            Tolerance::rel(tol::EXACT_REL),
        );
        assert_close(n.kl_traj, n.kl_closed_form, Tolerance::rel(tol::EXACT_REL));
        assert_close(n.kl_per_state * 16.0, n.kl_traj, Tolerance::rel(1e-15));
    }
    // t = 1.5 (spec §6.1 first row) and a negative-side cut are fine too (depth 8 suffices).
    let n = theorem3_continuous(8, 1.5, 1.0).unwrap();
    assert_close(n.mean_return, 1.703_024, Tolerance::abs(5e-7));
    assert_close(n.kl_traj, 0.844_510, Tolerance::abs(5e-7));
    assert!(matches!(
        theorem3_continuous(8, 0.5, 1.0),
        Err(Error::OutOfRange { .. })
    ));
}

#[test]
fn reweighting_rejects_bad_thresholds() {
    let base = Probs::uniform(4).unwrap();
    let g = [0.0, 1.0, 2.0, 3.0];
    assert!(matches!(
        reweight_above(&base, &g, 0.5, 1.0),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        reweight_above(&base, &g, 3.0, 1.0),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        reweight_above(&base, &g, f64::NAN, 1.0),
        Err(Error::NotFinite { .. })
    ));
    assert!(matches!(
        reweight_above(&base, &g, 2.0, -1.0),
        Err(Error::NotPositive { .. })
    ));
    let r = reweight_above(&base, &g, 2.5, 1.0).unwrap();
    // mass c/t = 0.4 on the one leaf above 2.5, 0.6 spread over three
    assert_close(r.rho.as_slice()[3], 0.4, Tolerance::rel(1e-15));
    assert_close(r.rho.as_slice()[0], 0.2, Tolerance::rel(1e-15));
}

#[test]
#[allow(clippy::approx_constant)] // 1.414214 is spec §6.2's printed √(2d) at d = 1
fn dv_bound_gaussian_and_golden_section() {
    // Discretised N(0,1) on a fine symmetric grid: sup{E_P − E_Q : KL ≤ d} = √(2d) (spec §6.2).
    let n = 4001;
    let h = 24.0 / (n - 1) as f64;
    let x: Vec<f64> = (0..n).map(|i| -12.0 + i as f64 * h).collect();
    let w: Vec<f64> = x.iter().map(|z| (-0.5 * z * z).exp()).collect();
    let q = Probs::from_weights("grid normal", &w).unwrap();
    for (d, expected) in [(0.01, 0.141_421), (0.1, 0.447_214), (1.0, 1.414_214)] {
        let b = donsker_varadhan_bound(&q, &x, d).unwrap();
        assert_close(b.value, expected, Tolerance::abs(5e-7));
        assert!(b.interior);
        assert_close(b.lambda, (2.0 * d).sqrt(), Tolerance::rel(1e-8));
        // golden-section minimisation of the same objective over λ ∈ [1e-3, 10]
        let f = |l: f64| dv_objective(&q, &x, 0.0, d, l);
        let (mut lo, mut hi) = (1e-3f64, 10.0f64);
        let r = (5f64.sqrt() - 1.0) / 2.0;
        for _ in 0..200 {
            let (a, bb) = (hi - r * (hi - lo), lo + r * (hi - lo));
            if f(a) < f(bb) {
                hi = bb;
            } else {
                lo = a;
            }
        }
        assert_close(b.value, f(0.5 * (lo + hi)), Tolerance::rel(1e-12));
    }
    // a budget beyond the largest tilt KL: the bound is max V − E V
    let q2 = Probs::new(vec![0.5, 0.5]).unwrap();
    let b = donsker_varadhan_bound(&q2, &[0.0, 1.0], 1.0).unwrap();
    assert_eq!((b.value, b.lambda, b.interior), (0.5, f64::INFINITY, false));
    assert_eq!(
        donsker_varadhan_bound(&q2, &[0.0, 1.0], 0.0).unwrap().value,
        0.0
    );
    assert!(matches!(
        donsker_varadhan_bound(&q2, &[0.0, 1.0], -1.0),
        Err(Error::OutOfRange { .. })
    ));
}

#[test]
fn corollary1_utility_falls_back() {
    let pt = toy_proxy_tree(TOY_DEPTH, COR1_V_LOG2, 1).unwrap();
    let nums: Vec<Cor1Numbers> = THRESHOLDS
        .iter()
        .map(|&t| corollary1_tree(&pt, t, 1.0).unwrap())
        .collect();
    for n in &nums {
        assert_eq!(n.base_mean_v, 0.0);
        assert!(n.mean_u >= 1.0, "{n:?}");
        assert!(n.kl_v_marginal < n.kl_traj);
        assert!(n.mean_v - n.base_mean_v <= n.dv_bound_marginal);
        assert!(n.dv_bound_marginal <= n.dv_bound_traj);
        assert_close(n.kl_traj, n.kl_leaves, Tolerance::rel(tol::EXACT_REL));
        assert_close(n.mean_u, n.mean_x + n.mean_v, Tolerance::new(1e-13, 1e-15));
    }
    assert!(nums[3].kl_traj < nums[0].kl_traj);
    assert!(nums[3].mean_v.abs() < nums[0].mean_v.abs());
}

#[test]
fn checks_all_hold() {
    let cs = checks(&CheckOptions::default());
    assert!(cs.len() > 30);
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
            c.id.starts_with("kwa2024-thm3-") || c.id.starts_with("kwa2024-cor1-"),
            "{}",
            c.id
        );
    }
    let mut ids: Vec<&str> = cs.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), cs.len(), "duplicate ids");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Theorem 3's identities on random small trees with random returns and a random base
    /// policy: Tr(π) = ρ_t and the chain rule, via the same function as the checks.
    #[test]
    fn theorem3_identities_on_random_trees(
        (depth, g, t) in (1usize..=5).prop_flat_map(|d| (
            Just(d),
            proptest::collection::vec(-5.0f64..50.0, 1usize << d),
            1.5f64..20.0,
        ))
    ) {
        let shape = TreeShape::new(depth, 2).unwrap();
        let tree = TreeMdp::new(TreePolicy::uniform(shape), g).unwrap();
        match theorem3_tree(&tree, t, 1.0) {
            Ok(n) => {
                prop_assert!(n.tr_max_rel_err <= tol::EXACT_REL);
                prop_assert!((n.kl_traj - n.kl_leaves).abs() <= tol::EXACT_REL * n.kl_leaves.max(1e-300));
                prop_assert!((n.kl_leaves - n.kl_closed_form).abs() <= 1e-12 * n.kl_leaves.max(1e-300) + 1e-15);
            }
            Err(e) => prop_assert!(matches!(e, Error::OutOfRange { .. }), "{e}"),
        }
    }
}
