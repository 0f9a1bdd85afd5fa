//! Unit tests of Theorem 1 (Cohen et al. 2024): Definition 2 by enumeration, the count tilt
//! against brute force, the wait-then-switch family.

use super::*;
use crate::numerics::tolerance::assert_close;
use crate::numerics::Tolerance;
use crate::theory::imitation::class::{Mixture, ModelClass};

#[test]
fn def2_matches_sequence_enumeration() {
    // π = iid Bern(0.3), β = mixture of Bern(0.5) and Bern(0.1): KL over 4 steps by brute force.
    let l = Layout::BINARY;
    let mk = |p: f64| -> Arc<dyn crate::theory::imitation::class::Model> {
        Arc::new(SeqModel::actions(l, Rule::bernoulli(p)).unwrap())
    };
    let class = Arc::new(
        ModelClass::from_code_lengths(
            l,
            vec![("a".into(), mk(0.5)), ("b".into(), mk(0.1))],
            vec![1.0, 1.0],
        )
        .unwrap(),
    );
    let beta = Mixture::new(class.clone());
    let pi = FixedPolicy::new(mk(0.3));
    let got = def2_kl(&pi, &beta, 4).unwrap();
    let mut s = 0.0;
    for code in 0..16usize {
        let x: Vec<usize> = (0..4).map(|i| (code >> i) & 1).collect();
        let lp = FixedPolicy::new(mk(0.3)).ln_prob_extend(&x).unwrap();
        let lb = Mixture::new(class.clone()).ln_prob_extend(&x).unwrap();
        s += lp.exp() * (lp - lb);
    }
    assert_close(got, s, Tolerance::new(1e-13, 1e-15));
}

#[test]
fn def2_takes_max_over_fixed_observations() {
    // Interleaved layout: observations are enumerated (2 sequences for 2 steps); β is a fair
    // coin on actions whatever it observes, π always plays 1.
    let l = Layout::interleaved(2, 2).unwrap();
    let beta_model = SeqModel::new(l, Rule::bernoulli(0.5), None).unwrap();
    let pi = FixedPolicy::new(Arc::new(
        SeqModel::new(l, Rule::Constant { symbol: 1 }, None).unwrap(),
    ));
    let beta = FixedPolicy::new(Arc::new(beta_model));
    // 2 steps: KL = 2 ln 2 for every observation sequence
    assert_close(
        def2_kl(&pi, &beta, 2).unwrap(),
        2.0 * LN2,
        Tolerance::rel(1e-14),
    );
    assert!(matches!(
        def2_kl(&pi, &beta, 0),
        Err(Error::NotPositive { .. })
    ));
    let mut other = pi.clone();
    other.update(1).unwrap();
    assert!(matches!(def2_kl(&other, &beta, 1), Err(Error::Config(_))));
    assert!(matches!(
        def2_kl(&pi, &beta, 40),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn count_tilt_matches_brute_force() {
    let world = ClockWorld::new(ClockSpec {
        max_switch_time: 64,
        ..ClockSpec::default()
    })
    .unwrap();
    for (k, n, b) in [(3, 6, 0.5), (10, 8, 2.0), (20, 5, 6.0), (0, 7, 1.0)] {
        let bf = brute_force_budget_value(&world, k, n, b).unwrap();
        let ct = CountTilt::new(&world, k, n).unwrap().solve(b).unwrap();
        assert_close(ct.value, bf, Tolerance::new(1e-8, 1e-10));
        if ct.lambda.is_finite() {
            assert_close(ct.kl, b, Tolerance::rel(1e-9));
        }
    }
    let ct = CountTilt::new(&world, 5, 5).unwrap();
    assert!(matches!(ct.solve(f64::NAN), Err(Error::OutOfRange { .. })));
    assert!(matches!(ct.solve(-1.0), Err(Error::OutOfRange { .. })));
    assert!(matches!(
        CountTilt::new(&world, 5, 0),
        Err(Error::NotPositive { .. })
    ));
}

#[test]
fn family_matches_direct_computation() {
    let world = ClockWorld::new(ClockSpec {
        max_switch_time: 64,
        ..ClockSpec::default()
    })
    .unwrap();
    let (k, n) = (5, 30);
    let fam = switch_family(&world, k, n).unwrap();
    let ln_h = world.ln_xi_zeros_ones(k, 0);
    for o in &fam {
        let direct = ln_h - world.ln_xi_zeros_ones(o.t - 1, k + n - o.t + 1);
        assert_close(o.kl, direct, Tolerance::new(1e-12, 1e-12));
        let wait = ln_h - world.ln_xi_zeros_ones(o.t - 1, 0);
        assert_close(o.waiting_kl, wait.max(0.0), Tolerance::new(1e-9, 1e-13));
    }
    // horizon beyond T_max still works (switch times past T_max do not exist)
    let fam = switch_family(&world, 60, 10).unwrap();
    assert!(fam.iter().all(|o| o.kl.is_finite()));
}

#[test]
fn c2_table_and_bounds() {
    let world = ClockWorld::c2();
    let bern = ClockWorld::new(ClockSpec::default().bernoulli_only()).unwrap();
    for (i, &t) in C2_TS.iter().enumerate() {
        for (j, &n) in C2_NS.iter().enumerate() {
            let c = switch_cell(&world, &bern, t, n).unwrap();
            assert_close(c.kl, C2_SPEC_KL[i * 3 + j], Tolerance::abs(1e-4));
            assert!(c.kl <= c.corrected);
            assert!(c.kl < c.printed);
        }
    }
}
