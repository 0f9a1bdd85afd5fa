//! Properties of the exactness layer: never panics on arbitrary input (error or a valid
//! value), and the identities the theorems rely on.

use goodhart::numerics::{logsumexp, neumaier_sum};
use goodhart::prob::{kl, Probs, Tilt};
use goodhart::Error;
use proptest::prelude::*;

use crate::strategies::{any_f64, any_vec, beta, rewards, simplex};

proptest! {
    // Regressions live with the crate's others under `proptest-regressions/` (the default would
    // put them in `tests/proptest-regressions/`, beside `tests/it/main.rs`); the path is relative
    // to the package root, where cargo runs tests.
    #![proptest_config(ProptestConfig {
        cases: crate::strategies::cases(128),
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "proptest-regressions/tests/it/prob_props.txt",
        ))),
        ..ProptestConfig::default()
    })]

    /// `Probs::new` accepts exactly the finite, non-negative vectors summing to 1 within 1e-9,
    /// and names the first offending entry otherwise.
    #[test]
    fn probs_never_panics(p in any_vec(8)) {
        match Probs::new(p.clone()) {
            Ok(q) => {
                prop_assert!(q.as_slice().iter().all(|x| x.is_finite() && *x >= 0.0));
                prop_assert!((neumaier_sum(q.as_slice().iter().copied()) - 1.0).abs() <= 1e-9);
            }
            Err(Error::Empty { .. }) => prop_assert!(p.is_empty()),
            Err(Error::NotAProbability { index, value, .. }) => {
                prop_assert!(!(p[index] >= 0.0) || !p[index].is_finite());
                prop_assert!(value.to_bits() == p[index].to_bits() || value.is_nan());
            }
            Err(Error::NotNormalised { sum, .. }) => prop_assert!(!((sum - 1.0).abs() <= 1e-9)),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    /// The tilt rejects exactly `!(beta > 0)` and otherwise returns finite, consistent numbers.
    #[test]
    fn tilt_never_panics(p in simplex(6), b in any_f64(), seed_u in rewards(6)) {
        let base = Probs::new(p).unwrap();
        let u: Vec<f64> = seed_u.into_iter().cycle().take(base.len()).collect();
        let t = Tilt::new(&base, &u).unwrap();
        match t.at(b) {
            Err(Error::NotPositive { name: "beta", .. }) => prop_assert!(!(b > 0.0)),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
            Ok(tp) => {
                prop_assert!(b > 0.0);
                prop_assert!(tp.kl >= 0.0 && tp.kl.is_finite());
                prop_assert!(tp.kl <= t.max_kl() * (1.0 + 1e-12) + 1e-12);
                prop_assert!(tp.mean_u.is_finite());
            }
        }
    }

    /// KL of the tilt equals KL computed from the tilted policy, and E_π[U] is at least E₀[U].
    #[test]
    fn tilt_consistent_with_exact_kl(p in simplex(6), u in rewards(6), b in beta()) {
        let base = Probs::new(p).unwrap();
        let u: Vec<f64> = u.into_iter().take(base.len()).collect();
        prop_assume!(u.len() == base.len());
        let t = Tilt::new(&base, &u).unwrap();
        let tp = t.at(b).unwrap();
        let pol = t.policy(b).unwrap();
        let direct = kl(&pol, &base).unwrap();
        prop_assert!((tp.kl - direct).abs() <= 1e-9 * direct.max(1e-300) + 1e-13, "{} vs {}", tp.kl, direct);
        prop_assert!(tp.mean_u >= t.base_mean() - 1e-9 * t.base_mean().abs() - 1e-12);
    }

    /// Solving β for a budget inverts the KL (or says the budget is unreachable).
    #[test]
    fn beta_for_budget_inverts(p in simplex(6), u in rewards(6), budget in 1e-6f64..5.0) {
        let base = Probs::new(p).unwrap();
        let u: Vec<f64> = u.into_iter().take(base.len()).collect();
        prop_assume!(u.len() == base.len());
        let t = Tilt::new(&base, &u).unwrap();
        match t.beta_for_kl(budget) {
            Ok(b) => {
                let k = t.kl(b).unwrap();
                prop_assert!((k - budget).abs() <= 1e-8 * budget, "{k} vs {budget}");
            }
            Err(Error::UnreachableBudget { max, .. }) => prop_assert!(budget >= max * (1.0 - 1e-12)),
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    /// KL is +∞ exactly on support mismatch, never NaN, and 0 for identical inputs.
    #[test]
    fn kl_support_and_zero(p in simplex(6), q in simplex(6)) {
        let n = p.len().min(q.len());
        let pp = Probs::from_weights("p", &p[..n]);
        let qq = Probs::from_weights("q", &q[..n]);
        if let (Ok(pp), Ok(qq)) = (pp, qq) {
            let d = kl(&pp, &qq).unwrap();
            prop_assert!(!d.is_nan() && d >= 0.0);
            let mismatch = pp.as_slice().iter().zip(qq.as_slice()).any(|(a, b)| *a > 0.0 && *b == 0.0);
            prop_assert_eq!(d.is_infinite(), mismatch);
            prop_assert!(kl(&pp, &pp).unwrap() <= 1e-15);
        }
    }

    /// logsumexp never returns NaN unless an input is NaN.
    #[test]
    fn logsumexp_nan_only_from_nan(xs in any_vec(6)) {
        let r = logsumexp(&xs);
        prop_assert_eq!(r.is_nan(), xs.iter().any(|x| x.is_nan()));
    }
}
