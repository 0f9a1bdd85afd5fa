//! Unit tests of the appendix constructions (Propositions 3–8 of Cohen et al. 2024).

use std::sync::Arc;

use super::*;
use crate::numerics::Tolerance;
use crate::report::CheckOptions;
use crate::theory::imitation::class::clock::{ClockSpec, ClockWorld};
use crate::theory::imitation::switching::CountTilt;

use crate::numerics::tolerance::assert_close;

#[test]
fn programs_match_closed_forms_and_are_monotone() {
    for ctx in [vec![], vec![1usize], vec![1, 1, 0]] {
        let p = run_program(&GeometricParity, &ctx, 80).unwrap();
        let e = GeometricParity::exact(&ctx);
        // mass halting by step i: zeros z halt at step z + 2 with mass 2^-(z+1)
        let est = p.estimate(80);
        assert_close(est[0] + est[1], 6.0 / 7.0, Tolerance::abs(1e-15));
        assert_close(est[0], e[0], Tolerance::abs(1e-15));
        assert_close(
            p.estimate(2)[ctx.iter().sum::<usize>() % 2],
            0.5,
            Tolerance::abs(0.0),
        );
        // the strings still running after 80 steps are the looping ones (mass 1/7) plus
        // the all-zero prefix
        assert_close(p.running() + est[0] + est[1], 1.0, Tolerance::abs(1e-15));
        assert_close(p.running(), 1.0 / 7.0, Tolerance::abs(1e-15));
    }
    let rej = Rejection::noisy_copy();
    // last action 1: copy (½) gives 1, flip (¼) gives 0
    assert_eq!(rej.exact(&[1]), [0.25, 0.5]);
    assert_eq!(rej.exact(&[]), [0.5, 0.25]);
    let p = run_program(&rej, &[1], 256).unwrap();
    let est = p.estimate(256);
    assert_close(est[0], 0.25, Tolerance::abs(1e-15));
    assert_close(est[1], 0.5, Tolerance::abs(1e-15));
    assert_close(p.running(), 0.25, Tolerance::abs(1e-15));
    // the first block is decided at step 4 (3 reads + 1): (1/8, 2/8)
    assert_eq!(p.estimate(3), vec![0.0, 0.0]);
    assert_eq!(p.estimate(4), vec![0.125, 0.25]);
    assert_eq!(p.estimates()[4], p.estimate(4));
}

#[test]
fn bad_programs_are_refused() {
    assert!(Rejection::new(2, vec![Outcome::Retry; 3]).is_err());
    assert!(Rejection::new(1, vec![Outcome::Retry; 2]).is_err());
    assert!(Rejection::new(1, vec![Outcome::Emit(2), Outcome::Retry]).is_err());
    assert!(Rejection::new(0, vec![Outcome::Emit(0)]).is_err());
    assert!(sampler_estimates(&[vec![0.5, -0.1]], 10).is_err());
    assert!(sampler_estimates(&[vec![0.5, 0.1]], 53).is_err());
}

#[test]
fn sampler_reproduces_a_dyadic_law() {
    // witness with increments (¼, ½) at stage 1: the sampler decides after two bits
    let est = sampler_estimates(&[vec![0.25, 0.5]], 4).unwrap();
    assert_eq!(est[0], vec![0.0, 0.0]);
    // one bit pins U to [0, ½) or [½, 1): neither lies inside [0, ¼) or [¼, ¾)
    assert_eq!(est[1], vec![0.0, 0.0]);
    assert_eq!(est[2], vec![0.25, 0.5]);
}

#[test]
fn truncated_mixture_matches_grouped_and_kraft() {
    let world = ClockWorld::new(ClockSpec {
        max_switch_time: 16,
        ..ClockSpec::default()
    })
    .unwrap();
    let lens = clock_code_lengths(&world);
    let kraft: f64 = lens.iter().map(|b| (-b).exp2()).sum();
    assert_close(kraft, world.kraft_sum(), Tolerance::rel(1e-14));
    for x in [vec![], vec![0, 0, 1], vec![1, 1, 1, 1], vec![0, 1, 0, 1, 1]] {
        let b = truncated_mixture(&world, &x).unwrap();
        let full: f64 = b.iter().sum();
        assert_close(
            full.ln(),
            world.ln_xi("x", &x).unwrap(),
            Tolerance::abs(1e-13),
        );
    }
    let c = cumulative(&[0.0, 0.5, 0.25], 4);
    assert_eq!(c, vec![0.0, 0.5, 0.75, 0.75, 0.75]);
}

#[test]
fn dovetailed_value_of_deterministic_programs() {
    // A policy that always outputs 1 after one read, an environment that copies the action
    // after one compute step: V = 1 from stage 2 on.
    #[derive(Debug)]
    struct One;
    impl BitProgram for One {
        type State = u8;
        fn alphabet(&self) -> usize {
            2
        }
        fn start(&self, _: &[usize]) -> u8 {
            0
        }
        fn step(&self, s: &u8) -> Step<u8> {
            if *s == 0 {
                Step::Compute(1)
            } else {
                Step::Halt(1)
            }
        }
    }
    let (est, exact) = dovetailed_values(&One, &One, |_| [0.0, 1.0], |_| [0.0, 1.0], 2, 4).unwrap();
    assert_eq!(exact, 1.0);
    assert_eq!(est, vec![0.0, 0.0, 1.0, 1.0, 1.0]);
    assert!(dovetailed_values(&One, &One, |_| [0.0, 1.0], |_| [0.0, 1.0], 0, 4).is_err());
}

#[test]
fn bandit_dp_matches_brute_force_small() {
    let world = ClockWorld::new(ClockSpec {
        max_switch_time: 3,
        max_j: 3,
        ..ClockSpec::default()
    })
    .unwrap();
    let class = Arc::new(ClockBandit::class(&world, 0.4).unwrap());
    let tree = BanditTree::new(class, 3).unwrap();
    let (v, _) = tree.expectimax();
    let (bf, n) = tree.brute_force().unwrap();
    assert_eq!(n, 128);
    assert_close(v[0], bf, Tolerance::abs(1e-14));
    // always-safe policy is one of the enumerated ones: V* ≥ 0.4
    assert!(v[0] >= 0.4 - 1e-15);
    let s = tree.evidence(f64::INFINITY);
    let (vs, _) = tree.expectimax_small(&s);
    assert_close(vs[0] / s[0], v[0], Tolerance::rel(1e-13));
    assert!(BanditTree::new(Arc::new(ClockBandit::class(&world, 0.4).unwrap()), 0).is_err());
    assert!(ClockBandit::new(1.5, None, 0.5).is_err());
}

#[test]
fn soft_bellman_matches_count_tilt() {
    let world = ClockWorld::c2();
    let tree = clock_action_tree(&world, 5, 4).unwrap();
    let tilt = CountTilt::new(&world, 5, 4).unwrap();
    // λ = 0 is ξ itself: KL 0
    let (v0, kl0) = soft_bellman(&tree, 0.0);
    assert_close(kl0, 0.0, Tolerance::abs(1e-15));
    assert_close(v0, tilt.solve(0.0).unwrap().value, Tolerance::abs(1e-12));
    for b in [0.3, 1.5, 3.0] {
        let (_, v, kl) = soft_bellman_for_budget(&tree, b).unwrap();
        assert_close(kl, b, Tolerance::abs(1e-10));
        assert_close(v, tilt.solve(b).unwrap().value, Tolerance::abs(1e-9));
    }
    assert!(soft_bellman_for_budget(&tree, -1.0).is_err());
    assert!(clock_action_tree(&world, 5, 0).is_err());
}

#[test]
fn all_checks_hold() {
    let v = checks(&CheckOptions::default());
    assert!(v.len() >= 15, "{}", v.len());
    for c in &v {
        assert!(
            c.holds,
            "{} failed: value {} bound {} ({})",
            c.id, c.value, c.bound, c.detail
        );
        assert!(c.id.starts_with("cohen2024-prop"));
    }
    for p in 3..=8 {
        let name = format!("Proposition {p}");
        assert!(v.iter().any(|c| c.result == name), "{name} missing");
    }
}
