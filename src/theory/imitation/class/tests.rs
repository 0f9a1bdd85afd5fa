//! Unit tests of the Bayesian-imitator building blocks (Cohen et al. 2024): histories, rules,
//! classes, posteriors and mixtures against brute force.

use std::sync::Arc;

use super::*;
use crate::error::Error;
use crate::numerics::tolerance::assert_close;
use crate::numerics::Tolerance;
use crate::prob::Probs;

fn bern(p: f64) -> Arc<dyn Model> {
    Arc::new(SeqModel::actions(Layout::BINARY, Rule::bernoulli(p)).unwrap())
}

#[test]
fn history_roles_and_times() {
    let l = Layout::interleaved(2, 3).unwrap();
    let h = History::from_symbols(l, "h", &[1, 2, 0, 1, 1]).unwrap();
    assert_eq!(h.next_role(), Role::Observation);
    assert_eq!(h.next_time(), 3);
    assert_eq!(h.of_role(Role::Action).collect::<Vec<_>>(), vec![1, 0, 1]);
    assert_eq!(h.of_role(Role::Observation).collect::<Vec<_>>(), vec![2, 1]);
    let e = History::from_symbols(l, "demonstrator data", &[1, 2, 2]).unwrap_err();
    assert!(
        matches!(
            e,
            Error::OutsideAlphabet {
                position: 2,
                symbol: 2,
                role: "action",
                max: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().starts_with("demonstrator data"));
}

#[test]
fn mixture_matches_hand_computation() {
    // Two Bernoulli models, prior 1/2 each: ξ(1,1,0) = ½·(0.25²·0.75) + ½·(0.75²·0.25).
    let class = ModelClass::from_code_lengths(
        Layout::BINARY,
        vec![("a".into(), bern(0.25)), ("b".into(), bern(0.75))],
        vec![1.0, 1.0],
    )
    .unwrap();
    let mut m = Mixture::new(Arc::new(class));
    let lp = m.clone().ln_prob_extend(&[1, 1, 0]).unwrap();
    let want = (0.5 * 0.25f64.powi(2) * 0.75 + 0.5 * 0.75f64.powi(2) * 0.25).ln();
    assert_close(lp, want, Tolerance::rel(1e-14));
    // chain rule through the default method gives the same number
    let mut s = 0.0;
    for x in [1, 1, 0] {
        s += m.ln_prob_next(x).unwrap();
        m.update(x).unwrap();
    }
    assert_close(s, want, Tolerance::rel(1e-14));
    // posterior and ranking
    let w = m.posterior().weights(Role::Action);
    assert_close(w[1], 0.75 / (0.25 + 0.75), Tolerance::rel(1e-14));
    assert_eq!(m.posterior().ranking(Role::Action), vec![1, 0]);
    assert_eq!(m.posterior().map(Role::Action), 1);
}

#[test]
fn split_posterior_ignores_observations_for_actions() {
    // Models differ only in how they predict observations; the action posterior must not move.
    let l = Layout::interleaved(2, 2).unwrap();
    let m1: Arc<dyn Model> =
        Arc::new(SeqModel::new(l, Rule::bernoulli(0.5), Some(Rule::bernoulli(0.9))).unwrap());
    let m2: Arc<dyn Model> =
        Arc::new(SeqModel::new(l, Rule::bernoulli(0.2), Some(Rule::bernoulli(0.1))).unwrap());
    let class = Arc::new(
        ModelClass::from_code_lengths(l, vec![("1".into(), m1), ("2".into(), m2)], vec![1.0, 1.0])
            .unwrap(),
    );
    let mut mix = Mixture::new(class);
    mix.update(0).unwrap(); // action 0: m1 0.5, m2 0.8
    let wa = mix.posterior().weights(Role::Action);
    mix.update(1).unwrap(); // observation 1: m1 0.9, m2 0.1
    assert_eq!(mix.posterior().weights(Role::Action), wa);
    assert_close(wa[0], 0.5 / 1.3, Tolerance::rel(1e-14));
    let wo = mix.posterior().weights(Role::Observation);
    assert_close(wo[0], 0.9, Tolerance::rel(1e-14));
    // next action prediction uses w_a: P(1) = (0.5·0.5 + 0.8·0.2)/1.3
    let p = mix.ln_predict();
    assert_close(p[1].exp(), (0.25 + 0.16) / 1.3, Tolerance::rel(1e-14));
}

#[test]
fn priors_are_validated_never_renormalised() {
    let ms = || vec![("a".to_string(), bern(0.5)), ("b".to_string(), bern(0.1))];
    // Kraft violated: 2^-0 + 2^-0 = 2 > 1
    let e = ModelClass::from_code_lengths(Layout::BINARY, ms(), vec![0.0, 0.0]).unwrap_err();
    assert!(matches!(e, Error::OutOfRange { .. }), "{e}");
    assert!(ModelClass::from_code_lengths(Layout::BINARY, ms(), vec![f64::NAN, 1.0]).is_err());
    assert!(ModelClass::from_code_lengths(Layout::BINARY, ms(), vec![-1.0, 1.0]).is_err());
    // a non-normalised prior cannot even become a Probs
    assert!(matches!(
        Probs::new(vec![0.5, 0.6]),
        Err(Error::NotNormalised { .. })
    ));
    let c =
        ModelClass::from_prior(Layout::BINARY, ms(), &Probs::new(vec![0.3, 0.7]).unwrap()).unwrap();
    assert_close(c.ln_prior()[0].exp(), 0.3, Tolerance::rel(1e-15));
    // code lengths 1, 2 (Kraft 3/4): prior 2/3, 1/3
    let c = ModelClass::from_code_lengths(Layout::BINARY, ms(), vec![1.0, 2.0]).unwrap();
    assert_close(c.ln_prior()[0].exp(), 2.0 / 3.0, Tolerance::rel(1e-15));
    assert_close(c.kraft_sum(), 0.75, Tolerance::rel(1e-15));
}

#[test]
fn rules_validate_and_predict() {
    let l = Layout::actions_only(3).unwrap();
    assert!(Rule::bernoulli(0.5).compile("r", 3).is_err());
    assert!(Rule::bernoulli(1.5).compile("r", 2).is_err());
    assert!(Rule::Constant { symbol: 3 }.compile("r", 3).is_err());
    assert!(Rule::Switch {
        before: Box::new(Rule::Constant { symbol: 0 }),
        at: 0,
        after: Box::new(Rule::Constant { symbol: 1 })
    }
    .compile("r", 3)
    .is_err());
    // Markov order 1 on 3 symbols: after 2 → always 0
    let table = vec![vec![0.2, 0.3, 0.5], vec![1.0 / 3.0; 3], vec![1.0, 0.0, 0.0]];
    let m = SeqModel::actions(l, Rule::Markov { order: 1, table }).unwrap();
    let h = History::from_symbols(l, "h", &[1, 2]).unwrap();
    assert_eq!(m.ln_prob(&h, 0), 0.0);
    let h0 = History::new(l);
    assert_close(m.ln_prob(&h0, 2).exp(), 0.5, Tolerance::rel(1e-15)); // padded context 0
                                                                       // switch at 3 from const 0 to seq [1, 2]
    let sw = SeqModel::actions(
        l,
        Rule::Switch {
            before: Box::new(Rule::Constant { symbol: 0 }),
            at: 3,
            after: Box::new(Rule::Sequence {
                symbols: vec![1, 2],
            }),
        },
    )
    .unwrap();
    let mut fp = FixedPolicy::new(Arc::new(sw));
    // t = 1, 2: 0; t = 3: seq[(3−1) mod 2] = 1; t = 4: 2
    assert_eq!(fp.ln_prob_extend(&[0, 0, 1, 2]).unwrap(), 0.0);
    // t = 5: seq[(5−1) mod 2] = seq[0] = 1
    assert_eq!(fp.ln_prob_next(1).unwrap(), 0.0);
    assert_eq!(fp.ln_prob_next(0).unwrap(), f64::NEG_INFINITY);
    assert!(matches!(
        fp.ln_prob_next(3),
        Err(Error::OutsideAlphabet { .. })
    ));
}
