//! Unit and property tests of Theorem 2 (Cohen et al. 2024): closed forms against the LP and
//! brute-force grids.

use super::*;
use crate::numerics::tolerance::assert_close;
use crate::numerics::Tolerance;
use crate::report::CheckOptions;
use proptest::prelude::*;

#[test]
fn c5_values_and_brute_force_grid() {
    let b = c5_bandit();
    let t = b.tvd_optimum(0.1).unwrap();
    assert_close(t.value, 0.45, Tolerance::abs(1e-15));
    // Brute force over the simplex grid of step 1/200 (0.4, 0.3, 0.3 lies on it).
    let n = 200;
    let mut best = f64::NEG_INFINITY;
    for i in 0..=n {
        for j in 0..=(n - i) {
            let p = [
                i as f64 / n as f64,
                j as f64 / n as f64,
                (n - i - j) as f64 / n as f64,
            ];
            let d = 0.5 * ((p[0] - 0.5).abs() + (p[1] - 0.3).abs() + (p[2] - 0.2).abs());
            if d <= 0.1 + 1e-12 {
                best = best.max(p[1] * 0.5 + p[2]);
            }
        }
    }
    assert_close(best, 0.45, Tolerance::abs(1e-12));
    // KL side: the spec's printed values (spec C5, "computed here").
    let k = b.kl_optimum(0.05).unwrap();
    assert_close(k.kl, 0.05, Tolerance::rel(1e-9));
    assert_close(k.lambda, 1.286, Tolerance::abs(5e-4));
    assert!(k.policy.as_slice()[1] > 0.3);
}

#[test]
fn checks_all_hold() {
    for c in checks(&CheckOptions::default()) {
        assert!(
            c.holds,
            "{} failed: value {} {} {} ({})",
            c.id,
            c.value,
            c.relation.symbol(),
            c.bound,
            c.detail
        );
    }
}

#[test]
fn bad_input_is_typed() {
    let b = c5_bandit();
    for c in [-0.1, 1.5, f64::NAN] {
        assert!(matches!(
            b.tvd_optimum(c),
            Err(Error::OutOfRange {
                name: "TVD budget c",
                ..
            })
        ));
        assert!(matches!(
            example_tree().tvd_optimum(c),
            Err(Error::OutOfRange { .. })
        ));
    }
    assert!(matches!(
        b.kl_optimum(f64::NAN),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        b.kl_optimum(10.0),
        Err(Error::UnreachableBudget { .. })
    ));
    assert!(matches!(
        Bandit::new(Probs::uniform(2).unwrap(), vec![0.0]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        Bandit::new(Probs::uniform(2).unwrap(), vec![0.0, f64::NAN]),
        Err(Error::NotFinite { .. })
    ));
    let leaf = |u: f64| {
        vec![Outcome {
            prob: 1.0,
            child: Child::Leaf(u),
        }]
    };
    assert!(matches!(
        ObservationTreeMdp::new(vec![DecisionNode {
            base: vec![1.0],
            actions: vec![leaf(2.0)]
        }]),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        ObservationTreeMdp::new(vec![DecisionNode {
            base: vec![0.5, 0.5],
            actions: vec![leaf(0.0)]
        }]),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(
        ObservationTreeMdp::new(vec![DecisionNode {
            base: vec![1.0],
            actions: vec![vec![Outcome {
                prob: 1.0,
                child: Child::Node(0)
            }]]
        }]),
        Err(Error::OutOfRange { .. })
    ));
}

#[test]
fn tree_kl_optimum_meets_budget_and_chain_rule() {
    let t = example_tree();
    let (lam, p) = t.kl_optimum(0.05).unwrap();
    assert_close(
        t.kl(&p, &t.base_policy()).unwrap(),
        0.05,
        Tolerance::rel(1e-9),
    );
    assert!(lam > 0.0);
    // The tree's KL of a one-step policy equals the bandit KL on its root.
    let base = t.base_policy();
    assert_eq!(t.kl(&base, &base).unwrap(), 0.0);
}

#[test]
fn deterministic_tree_reduces_to_a_bandit_over_leaves() {
    // In a deterministic tree any leaf distribution is realisable, so the LP optimum value
    // equals the bandit closed form over leaves.
    let ce = counterexample_conditional();
    let leaves = ce.leaves();
    let xb = ce.realisation(&ce.base_policy()).unwrap();
    let lb = Bandit::new(
        Probs::new(leaves.iter().map(|l| l.obs_prob * xb[l.seq]).collect()).unwrap(),
        leaves.iter().map(|l| l.utility).collect(),
    )
    .unwrap();
    for &c in &[0.0, 0.1, 0.3, 0.45, 1.0] {
        assert_close(
            ce.tvd_optimum(c).unwrap().value,
            lb.tvd_optimum(c).unwrap().value,
            Tolerance::abs(1e-12),
        );
    }
}

fn bandit_strategy() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, f64)> {
    (2usize..=6)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(0.0f64..1.0, n),
                proptest::collection::vec(0u8..5, n),
                proptest::collection::vec(any::<bool>(), n),
                0.0f64..=1.0,
            )
        })
        .prop_map(|(w, q, zero, c)| {
            // some base-impossible actions; coarse Q values so ties occur
            let mut w: Vec<f64> = w
                .iter()
                .zip(&zero)
                .map(|(x, z)| if *z && *x < 0.3 { 0.0 } else { x + 1e-3 })
                .collect();
            if w.iter().all(|x| *x == 0.0) {
                w[0] = 1.0;
            }
            (w, q.iter().map(|v| f64::from(*v) / 4.0).collect(), c)
        })
}

/// A random two-level tree: root with 2–3 actions, each leading to a leaf or to 1–2
/// observations that lead to nodes with 2–3 leaf actions.
fn tree_strategy() -> impl Strategy<Value = ObservationTreeMdp> {
    let node = (2usize..=3).prop_flat_map(|k| {
        (
            proptest::collection::vec(0.05f64..1.0, k),
            proptest::collection::vec(0u8..=8, k),
        )
    });
    let branch = (
        any::<bool>(),
        1usize..=2,
        0.1f64..0.9,
        0u8..=8,
        proptest::collection::vec(node, 2),
    );
    ((2usize..=3).prop_flat_map(move |k| {
        (
            proptest::collection::vec(0.05f64..1.0, k),
            proptest::collection::vec(branch.clone(), k),
        )
    }))
    .prop_map(|(rw, branches)| {
        let norm = |w: &[f64]| {
            let s: f64 = w.iter().sum();
            w.iter().map(|x| x / s).collect::<Vec<f64>>()
        };
        let mut nodes = vec![DecisionNode {
            base: norm(&rw),
            actions: Vec::new(),
        }];
        let mut children = Vec::new();
        for (is_leaf, n_obs, p, u, subs) in branches {
            if is_leaf {
                nodes[0].actions.push(vec![Outcome {
                    prob: 1.0,
                    child: Child::Leaf(f64::from(u) / 8.0),
                }]);
                continue;
            }
            let probs = if n_obs == 1 {
                vec![1.0]
            } else {
                vec![p, 1.0 - p]
            };
            let mut outs = Vec::new();
            for (o, pr) in probs.iter().enumerate() {
                let idx = 1 + children.len();
                let (w, us) = &subs[o];
                children.push(DecisionNode {
                    base: norm(w),
                    actions: us
                        .iter()
                        .map(|u| {
                            vec![Outcome {
                                prob: 1.0,
                                child: Child::Leaf(f64::from(*u) / 8.0),
                            }]
                        })
                        .collect(),
                });
                outs.push(Outcome {
                    prob: *pr,
                    child: Child::Node(idx),
                });
            }
            nodes[0].actions.push(outs);
        }
        nodes.extend(children);
        ObservationTreeMdp::new(nodes).expect("strategy builds valid trees")
    })
}

/// `PROPTEST_CASES` scales the run (default `n`, small so CI stays fast).
fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn bandit_tvd_only_optimal_gain_and_lp_agrees((w, q, c) in bandit_strategy()) {
        let b = Bandit::new(Probs::from_weights("w", &w).unwrap(), q).unwrap();
        let closed = b.tvd_optimum(c).unwrap();
        let lp = b.tvd_optimum_lp(c).unwrap();
        prop_assert!((closed.value - lp.value).abs() <= 1e-10, "closed {} lp {}", closed.value, lp.value);
        prop_assert!(closed.tvd <= c + 1e-12);
        prop_assert!(non_optimal_gainers(&b, &closed.policy).is_empty());
        prop_assert!(non_optimal_gainers(&b, &lp.policy).is_empty());
    }

    #[test]
    fn tree_tvd_gainers_are_v_optimal(t in tree_strategy(), c in 0.0f64..=1.0) {
        let o = t.tvd_optimum(c).unwrap();
        prop_assert!(o.tvd <= c + 1e-9);
        prop_assert!(o.value >= t.value(&t.base_policy()).unwrap() - 1e-12);
        let viol = t.joint_violations(&o.policy).unwrap();
        prop_assert!(viol.is_empty(), "joint violations {:?}", viol);
    }
}
