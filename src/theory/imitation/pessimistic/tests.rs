use super::montecarlo::*;
use super::*;
use crate::numerics::tolerance::assert_close;
use crate::numerics::{tol, Tolerance};
use crate::prob::Probs;
use crate::report::CheckOptions;
use crate::theory::imitation::class::{FixedPolicy, Mixture, Model, Rule, SeqModel};
use proptest::prelude::*;

/// `PROPTEST_CASES` scales the run (default `n`, small so CI stays fast).
fn cases(n: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(n)
}

fn bern(p: f64) -> Arc<dyn Model> {
    Arc::new(SeqModel::actions(Layout::BINARY, Rule::bernoulli(p)).unwrap())
}

#[test]
fn alpha_and_inputs_are_validated() {
    for a in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                top_set(&[0.0, -1.0], a),
                Err(Error::OutOfRange { name: "alpha", .. })
            ),
            "{a}"
        );
    }
    // α = 1 is allowed (Def. 3: α ∈ (0, 1]) and gives the MAP model alone.
    assert_eq!(top_set(&[-1.0, 0.0, -0.5], 1.0).unwrap().members, vec![1]);
    assert!(matches!(
        top_set(&[f64::NEG_INFINITY; 3], 0.1),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        top_set(&[0.0, f64::NAN], 0.1),
        Err(Error::NotFinite { .. })
    ));
    assert!(matches!(min_rule(&[]), Err(Error::Empty { .. })));
    assert!(matches!(
        min_rule(&[vec![0.0], vec![0.0, 0.0]]),
        Err(Error::LengthMismatch { .. })
    ));
    let class = Arc::new(
        ModelClass::from_code_lengths(Layout::BINARY, vec![("a".into(), bern(0.5))], vec![1.0])
            .unwrap(),
    );
    assert!(matches!(
        PessimisticImitator::new(class.clone(), 0.0, UpdateRule::AllActions),
        Err(Error::OutOfRange { .. })
    ));
    let e = PessimisticImitator::demonstrated(class.clone(), 0.5, UpdateRule::AllActions, &[0, 2])
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::OutsideAlphabet {
                name: "demonstrator data",
                position: 1,
                ..
            }
        ),
        "{e}"
    );
    let s = OnlineSettings {
        alpha: 0.5,
        rule: UpdateRule::AllActions,
        demo_steps: 0,
        horizon: 0,
    };
    assert!(matches!(
        run_online(&class, 0, &s, &mut stream_rng(1, "x")),
        Err(Error::NotPositive { .. })
    ));
    assert!(matches!(
        run_online(
            &class,
            3,
            &OnlineSettings { horizon: 3, ..s },
            &mut stream_rng(1, "x")
        ),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        pessimistic_switch_kl(class.clone(), 0.5, UpdateRule::AllActions, 0, 1),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        pessimistic_switch_kl(class, 0.5, UpdateRule::AllActions, 1, 0),
        Err(Error::NotPositive { .. })
    ));
    assert!(matches!(
        BinaryMarkovClass::new(&[("x".into(), 1.5, 0.5, 1.0)]),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        BinaryMarkovClass::new(&[("x".into(), 0.5, 0.5, 0.0), ("y".into(), 0.5, 0.5, 0.0)]),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        SemiTable::new(2, vec![vec![vec![0.7, 0.6], vec![0.0, 0.0]]]),
        Err(Error::OutOfRange { .. })
    ));
}

#[test]
fn hand_computed_top_set_and_imitator() {
    // Weights 0.5, 0.3, 0.2 (normalised): w/S = 1, 0.375, 0.2. α = 0.3 → {0, 1}; α = 0.2 → all.
    let lj = [0.5f64.ln(), 0.3f64.ln(), 0.2f64.ln()];
    assert_eq!(top_set(&lj, 0.3).unwrap().members, vec![0, 1]);
    assert_eq!(top_set(&lj, 0.2).unwrap().members, vec![0, 1, 2]);
    assert_eq!(top_set(&lj, 0.38).unwrap().members, vec![0]);
    // ν_α = min of Bern(0.2), Bern(0.5): (0.5, 0.2), ask 0.3.
    let p = min_rule(&[
        vec![0.8f64.ln(), 0.2f64.ln()],
        vec![0.5f64.ln(), 0.5f64.ln()],
    ])
    .unwrap();
    assert_close(p.ask, 0.3, Tolerance::abs(1e-15));
    // The imitator object agrees and is a BasePolicy whose prediction sums to 1 − θ.
    let class = Arc::new(
        ModelClass::from_prior(
            Layout::BINARY,
            vec![
                ("a".into(), bern(0.2)),
                ("b".into(), bern(0.5)),
                ("c".into(), bern(0.9)),
            ],
            &Probs::new(vec![0.5, 0.3, 0.2]).unwrap(),
        )
        .unwrap(),
    );
    let imi = PessimisticImitator::new(class.clone(), 0.3, UpdateRule::AllActions).unwrap();
    assert_eq!(imi.top_set().members, vec![0, 1]);
    let lp = imi.ln_predict();
    assert_close(lp[0].exp() + lp[1].exp(), 0.7, Tolerance::abs(1e-15));
    assert_close(imi.ask_probability().unwrap(), 0.3, Tolerance::abs(1e-15));
    // Update rules: the imitator's own action teaches only under AllActions.
    // An action every model rules out is refused and leaves the imitator unchanged.
    let only0 = Arc::new(
        ModelClass::from_code_lengths(Layout::BINARY, vec![("zero".into(), bern(0.0))], vec![1.0])
            .unwrap(),
    );
    let mut z = PessimisticImitator::new(only0, 0.5, UpdateRule::AllActions).unwrap();
    assert!(matches!(
        z.observe(1, Source::Demonstrator),
        Err(Error::Empty { .. })
    ));
    assert!(z.history().is_empty());
    z.observe(0, Source::Demonstrator).unwrap();
    let mut a = imi.clone();
    let mut b = PessimisticImitator::new(class, 0.3, UpdateRule::DemonstratorOnly).unwrap();
    a.update(1).unwrap();
    b.update(1).unwrap();
    assert_eq!(a.learned_actions(), 1);
    assert_eq!(b.learned_actions(), 0);
    assert_eq!(b.history().symbols(), &[1]);
    b.observe(1, Source::Demonstrator).unwrap();
    assert_eq!(b.learned_actions(), 1);
}

#[test]
fn sequence_kl_matches_hand_computation() {
    // π = Bern(0.5) vs ρ = Bern(0.25) over 2 steps: 2·KL(Bern(.5)‖Bern(.25)).
    let (p, q) = (FixedPolicy::new(bern(0.5)), FixedPolicy::new(bern(0.25)));
    let one = 0.5 * (0.5f64 / 0.75).ln() + 0.5 * (0.5f64 / 0.25).ln();
    assert_close(
        sequence_kl(&p, &q, 2).unwrap(),
        2.0 * one,
        Tolerance::rel(1e-14),
    );
    assert_eq!(
        sequence_kl(&p, &FixedPolicy::new(bern(0.0)), 1).unwrap(),
        f64::INFINITY
    );
    assert_eq!(
        sequence_kl(
            &FixedPolicy::new(bern(0.0)),
            &FixedPolicy::new(bern(0.0)),
            3
        )
        .unwrap(),
        0.0
    );
}

#[test]
fn c6_table_matches_spec() {
    // Spec C6 (computed there): t = 2 {B0,B1,B3,B2} ask .5; t = 4 {B0,B3,B1} ask .5; t = 5 {B0,B3} ask
    // .125; t >= 8 {B0} ask 0; w(µ) = 0.49989.
    let class = clock_class().unwrap();
    let alpha = c6_alpha(&class, 0.1).unwrap();
    assert_close(class.ln_prior()[0].exp(), 0.49989, Tolerance::abs(5e-6));
    let rows = zero_history_rows(&class, alpha, 12).unwrap();
    assert_eq!(rows[1].top, vec!["B0", "B1", "B3", "B2"]);
    assert_eq!(rows[3].top, vec!["B0", "B3", "B1"]);
    assert_eq!(rows[4].top, vec!["B0", "B3"]);
    for r in &rows[7..] {
        assert_eq!(r.top, vec!["B0"]);
        assert_eq!(r.ask, 0.0);
    }
    assert_eq!((rows[1].ask, rows[3].ask, rows[4].ask), (0.5, 0.5, 0.125));
    assert_eq!(
        pessimistic_switch_kl(class.clone(), alpha, UpdateRule::AllActions, 8, 3).unwrap(),
        f64::INFINITY
    );
    // The online process with µ = B0 under AllActions is deterministic and reproduces the table.
    let s = OnlineSettings {
        alpha,
        rule: UpdateRule::AllActions,
        demo_steps: 1,
        horizon: 12,
    };
    let recs = run_online(&class, 0, &s, &mut stream_rng(3, "x")).unwrap();
    for r in &recs {
        assert_eq!(r.ask, rows[r.t - 1].ask);
        assert_eq!(r.action, 0);
        assert!(r.mu_in_top);
    }
}

#[test]
fn online_rules_coincide_while_every_step_is_queried() {
    // With α = 1e-4 the ask probability is 1 at t = 2..31 under both rules (every step is a query,
    // so both posteriors have learned the same data); afterwards they differ.
    let class = clock_class().unwrap();
    let mk = |rule| OnlineSettings {
        alpha: 1e-4,
        rule,
        demo_steps: 1,
        horizon: 40,
    };
    let a = run_online(
        &class,
        0,
        &mk(UpdateRule::AllActions),
        &mut stream_rng(5, "a"),
    )
    .unwrap();
    let b = run_online(
        &class,
        0,
        &mk(UpdateRule::DemonstratorOnly),
        &mut stream_rng(5, "b"),
    )
    .unwrap();
    for (x, y) in a.iter().zip(&b).take(30) {
        assert_eq!(x.ask, 1.0, "t = {}", x.t);
        assert_eq!(y.ask, 1.0, "t = {}", y.t);
        assert!(y.queried);
    }
}

#[test]
fn theorem3_fast_membership_equals_generic_top_set() {
    // The sort-free membership test of the Monte Carlo equals `top_set` on the generic class.
    let c = BinaryMarkovClass::thm3_default();
    let mu = c.index_of("Bern(4/16)").unwrap();
    let mc = c.to_model_class().unwrap();
    assert_close(mc.ln_prior()[mu].exp(), c.prior(mu), Tolerance::rel(1e-14));
    let alpha = 0.999 * 0.1 * c.prior(mu);
    let mut rng = stream_rng(11, "cohen-thm3/test");
    let mut mix = Mixture::new(Arc::new(mc));
    let mu_model = FixedPolicy::new(Arc::new(ModelRef(
        Arc::new(c.to_model_class().unwrap()),
        mu,
    )));
    let mut hist_mu = mu_model.clone();
    for _ in 0..300 {
        let ts = top_set(mix.posterior().ln_joint(Role::Action), alpha).unwrap();
        let def = top_set_by_definition(mix.posterior().ln_joint(Role::Action), alpha).unwrap();
        assert_eq!(ts.members, def);
        let p1 = hist_mu.ln_predict()[1].exp();
        let x = usize::from(rng.random::<f64>() < p1);
        mix.update(x).unwrap();
        hist_mu.update(x).unwrap();
    }
    // Both MC events are rare and the estimate is reproducible.
    let (a, v) = theorem3_mc(&c, mu, alpha, 200, 300, 7).unwrap();
    let (a2, _) = theorem3_mc(&c, mu, alpha, 200, 300, 7).unwrap();
    assert_eq!(a, a2);
    assert!(
        a.mean <= v.mean + 1e-12,
        "µ can leave the top set only if the likelihood ratio crossed w(µ)/α"
    );
    assert!(a.mean <= 0.1 + tol::MC_Z * a.se.max(1.0 / 200.0));
}

#[test]
fn theorem3_longer_run() {
    // 4000 sequences of length 1000: the estimate stays below δ = 0.1 by more than MC_Z SE.
    let c = BinaryMarkovClass::thm3_default();
    let mu = c.index_of("Bern(4/16)").unwrap();
    let alpha = 0.999 * 0.1 * c.prior(mu);
    let (a, _) = theorem3_mc(
        &c,
        mu,
        alpha,
        4000,
        1000,
        crate::sim::seeds::DEFAULT_SEED ^ 1,
    )
    .unwrap();
    assert!(
        a.mean + tol::MC_Z * a.se.max(1.0 / 4000.0) <= 0.1,
        "P̂ = {} ± {}",
        a.mean,
        a.se
    );
}

#[test]
fn checks_all_hold() {
    for c in checks(&CheckOptions {
        quick: true,
        ..Default::default()
    }) {
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
fn theorem4_needs_its_hypothesis() {
    // µ = Bern(0.5) (prior 0.3) below a heavier Bern(0.9) (prior 0.7); α = 0.6 keeps only the heavy
    // model, so ν_α = Bern(0.9), and for π = "play 1": KL(π‖ν_α) = ln(1/0.9) < KL(π‖µ) = ln 2 —
    // without µ ∈ M^α the inclusion of Theorem 4 fails.
    let class = Arc::new(
        ModelClass::from_prior(
            Layout::BINARY,
            vec![("heavy".into(), bern(0.9)), ("mu".into(), bern(0.5))],
            &Probs::new(vec![0.7, 0.3]).unwrap(),
        )
        .unwrap(),
    );
    let imi = PessimisticImitator::new(class, 0.6, UpdateRule::AllActions).unwrap();
    assert!(!imi.top_set().contains(1));
    let pi = FixedPolicy::new(bern(1.0));
    let k_nu = sequence_kl(&pi, &imi, 1).unwrap();
    let k_mu = sequence_kl(&pi, &FixedPolicy::new(bern(0.5)), 1).unwrap();
    assert_close(k_nu, -(0.9f64.ln()), Tolerance::rel(1e-14));
    assert!(k_nu < k_mu);
}

fn posterior_strategy() -> impl Strategy<Value = (Vec<f64>, f64)> {
    // log joints on a coarse grid (ties happen), some models ruled out
    (
        proptest::collection::vec(
            prop_oneof![
                Just(f64::NEG_INFINITY),
                (-40i32..=0).prop_map(|k| f64::from(k) * 0.25)
            ],
            1..40,
        ),
        1e-4f64..=1.0,
    )
        .prop_filter("some model alive", |(v, _)| {
            v.iter().any(|x| *x > f64::NEG_INFINITY)
        })
}

fn raw_strategy() -> impl Strategy<Value = Thm4Raw> {
    (2usize..=3, 2usize..=5, 1usize..=3).prop_flat_map(|(k, n, m)| {
        let row = proptest::collection::vec(0.0f64..1.0, k);
        (
            Just(k),
            proptest::collection::vec(proptest::collection::vec(row.clone(), k), n),
            proptest::collection::vec(0.05f64..1.0, n),
            0usize..n,
            1e-3f64..0.5,
            proptest::collection::vec(proptest::collection::vec((row, 0.3f64..=1.0), k), m),
        )
            .prop_map(|(alphabet, models, prior, mu, alpha, pi)| Thm4Raw {
                alphabet,
                models,
                prior,
                mu,
                alpha,
                pi,
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(48)))]

    #[test]
    fn top_set_is_the_definition_a_prefix_with_map_and_bounded((lj, alpha) in posterior_strategy()) {
        let ts = top_set(&lj, alpha).unwrap();
        let def = top_set_by_definition(&lj, alpha).unwrap();
        prop_assert_eq!(&ts.members, &def);
        let mut rank: Vec<usize> = (0..lj.len()).filter(|&i| lj[i] > f64::NEG_INFINITY).collect();
        rank.sort_by(|&a, &b| lj[b].total_cmp(&lj[a]).then(a.cmp(&b)));
        prop_assert_eq!(&rank[..ts.len()], &ts.members[..]);
        let (b1, b2) = ts.size_bounds();
        prop_assert!(ts.len() as f64 <= b1 + 1e-9 && ts.len() as f64 <= b2 + 1e-9);
        prop_assert!(ts.len() >= 1);
    }

    #[test]
    fn theorem4_kl_against_nu_alpha_dominates(raw in raw_strategy()) {
        let inst = random_instance(&raw).unwrap();
        let d = dominance(&inst).unwrap();
        if d.hypothesis {
            prop_assert!(d.pointwise);
            prop_assert!(d.kl_nu_alpha == f64::INFINITY || d.kl_nu_alpha >= d.kl_mu - 1e-12 * (1.0 + d.kl_mu.abs()), "{} < {}", d.kl_nu_alpha, d.kl_mu);
        }
    }
}
