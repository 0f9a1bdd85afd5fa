//! The report's checks of Theorems 3 and 4 and Definitions 3–4 of Cohen et al. 2024 (check
//! C6): the clock-world table against the spec, Theorem 3 by Monte Carlo, Theorem 4 on random
//! instances.

use std::sync::Arc;

use super::montecarlo::*;
use super::*;
use crate::error::{Error, Result};
use crate::numerics::{tol, Tolerance};
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};
use crate::sim::seeds::stream_rng;
use crate::theory::imitation::checks_or_failed;

/// The checks of this result.
pub fn checks(opts: &CheckOptions) -> Vec<Check> {
    let mut v = Vec::new();
    v.extend(checks_or_failed(
        "cohen2024-def4-c6",
        "Definition 4",
        c6_checks(opts),
    ));
    v.extend(checks_or_failed(
        "cohen2024-thm3-mc",
        "Theorem 3",
        theorem3_checks(opts),
    ));
    v.extend(checks_or_failed(
        "cohen2024-thm4-dominance",
        "Theorem 4",
        theorem4_checks(opts),
    ));
    v
}

fn sym_diff(a: &[String], b: &[&str]) -> usize {
    a.iter().filter(|x| !b.contains(&x.as_str())).count()
        + b.iter().filter(|x| !a.iter().any(|y| y == *x)).count()
}

fn c6_checks(opts: &CheckOptions) -> Result<Vec<Check>> {
    let class = clock_class()?;
    let mu = class
        .index_of("B0")
        .ok_or_else(|| Error::Config("no B0".into()))?;
    let w_mu = class.ln_prior()[mu].exp();
    let alpha = c6_alpha(&class, 0.1)?;
    let t_max = 300;
    let rows = zero_history_rows(&class, alpha, t_max)?;
    let mut v = Vec::new();
    let spec_sets: [(usize, &[&str], f64); 4] = [
        (2, &["B0", "B1", "B3", "B2"], 0.5),
        (4, &["B0", "B3", "B1"], 0.5),
        (5, &["B0", "B3"], 0.125),
        (8, &["B0"], 0.0),
    ];
    for (t, set, ask) in spec_sets {
        let r = &rows[t - 1];
        v.push(Check::from(Claim {
            id: format!("cohen2024-def3-top-set-t{t}"),
            paper: Paper::Cohen2024,
            result: "Definition 3".into(),
            statement: format!("top set M^α of the clock world after 0^{} (µ = B0, δ = 0.1, α = 0.999·δ·w(µ))", t - 1),
            quantity: "size of the symmetric difference with the spec's set".into(),
            value: sym_diff(&r.top, set) as f64,
            relation: Relation::Eq,
            bound: 0.0,
            tol: Tolerance::abs(0.0),
            detail: format!("computed {:?} (ranking order); spec C6 {:?}; w(µ) = {w_mu:.6} (spec 0.49989), α = {alpha:.6}", r.top, set),
        }));
        v.push(Check::from(Claim {
            id: format!("cohen2024-def4-ask-t{t}"),
            paper: Paper::Cohen2024,
            result: "Definition 4".into(),
            statement: format!(
                "ask-for-help probability θ = 1 − Σ_x ν_α(x|0^{}) of the pessimistic imitator",
                t - 1
            ),
            quantity: "θ_t".into(),
            value: r.ask,
            relation: Relation::Eq,
            bound: ask,
            tol: Tolerance::abs(1e-12),
            detail: format!("ν_α = ({:.6}, {:.6}); spec C6: ask {ask}", r.nu[0], r.nu[1]),
        }));
    }
    let max_late = rows[7..].iter().map(|r| r.ask).fold(0.0, f64::max);
    let max_nu1 = rows[1..].iter().map(|r| r.nu[1]).fold(0.0, f64::max);
    v.push(Check::from(Claim {
        id: "cohen2024-def4-ask-zero-from-t8".into(),
        paper: Paper::Cohen2024,
        result: "Definition 4".into(),
        statement: "from t = 8 on the top set is {B0} and the imitator never asks".into(),
        quantity: "max_{8 <= t <= 300} θ_t".into(),
        value: max_late,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!("max_t ν_α(1|0^(t−1)) over t = 2..300: {max_nu1} (B0 is in every top set)"),
    }));
    // Theorem 4 on the clock world: the switch.
    let kl_pess = pessimistic_switch_kl(class.clone(), alpha, UpdateRule::AllActions, 8, 10)?;
    let world = ClockWorld::c2();
    let kl_xi: Vec<String> = [(8usize, 10usize), (11, 10), (101, 10), (1001, 10)]
        .iter()
        .map(|&(t, n)| format!("t = {t}: {:.4}", world.switch_kl(t, n).unwrap_or(f64::NAN)))
        .collect();
    let kl_pess_t2 = pessimistic_switch_kl(class.clone(), alpha, UpdateRule::AllActions, 2, 1)?;
    v.push(Check::from(Claim {
        id: "cohen2024-thm4-switch-infinite-kl".into(),
        paper: Paper::Cohen2024,
        result: "Theorem 4".into(),
        statement: "the switch to playing 1 that costs ~8–16 nats against the Bayesian mixture ξ has infinite KL against the pessimistic imitator".into(),
        quantity: "KL(π*‖ν_α) for π* = play 1 at t = 8..17 after 0^7".into(),
        value: kl_pess,
        relation: Relation::Eq,
        bound: f64::INFINITY,
        tol: Tolerance::abs(0.0),
        detail: format!(
            "KL(π*‖ξ) with n = 10: {} nats (spec C2: 7.6213 at t = 11, 11.7839 at 101, 15.9424 at 1001); KL(π*‖B0) = ∞; KL against ν_α is ∞ already at t = 2 ({kl_pess_t2}) because B0 ∈ M^α gives 1 probability 0 — what changes at t = 8 is that θ = 0, so ν_α = B0 exactly",
            kl_xi.join(", ")
        ),
    }));
    // Smaller α: spikes and cube sums, both rules.
    let runs_b = if opts.quick { 8 } else { 24 };
    for (alpha_s, spec_sum, tag) in [(1e-3, 6.42, "1e-3"), (1e-4, 30.06, "1e-4")] {
        let rows_s = zero_history_rows(&class, alpha_s, t_max - 1)?;
        let sum3 = crate::numerics::neumaier_sum(rows_s[1..].iter().map(|r| r.ask.powi(3)));
        let ones = rows_s[1..].iter().take_while(|r| r.ask == 1.0).count();
        let s_b = OnlineSettings {
            alpha: alpha_s,
            rule: UpdateRule::DemonstratorOnly,
            demo_steps: 1,
            horizon: t_max - 1,
        };
        let pb = ask_profile(
            &class,
            mu,
            &s_b,
            runs_b,
            opts.seed,
            &format!("cohen-c6/demonstrator-only/alpha={tag}"),
        )?;
        let last = pb.cubes_mean.len() - 1;
        v.push(Check::from(Claim {
            id: format!("cohen2024-def4-ask-cubes-alpha{tag}"),
            paper: Paper::Cohen2024,
            result: "Definition 4".into(),
            statement: format!("Σ_t θ_t³ over t = 2..299 at α = {tag} (posterior learns every action): ask-for-help spikes while switch models sit in the top set"),
            quantity: "Σ_{t=2}^{299} θ_t³".into(),
            value: sum3,
            relation: Relation::Eq,
            bound: spec_sum,
            tol: Tolerance::abs(5e-3),
            detail: format!(
                "θ = 1 for t = 2..{} ; spec C6: {spec_sum} (2 decimals). Demonstrator-only updating (k = 1, {runs_b} runs, Monte Carlo over query times): E[Σθ³] = {:.4} ± {:.4} (SE), E[θ_299] = {:.4}",
                ones + 1,
                pb.cubes_mean[last],
                pb.cubes_se[last],
                pb.ask_mean[last]
            ),
        }));
    }
    // The C6 α under demonstrator-only updating: the ask profile decays in query count, not time.
    let s_b = OnlineSettings {
        alpha,
        rule: UpdateRule::DemonstratorOnly,
        demo_steps: 1,
        horizon: 120,
    };
    let pb = ask_profile(
        &class,
        mu,
        &s_b,
        runs_b,
        opts.seed,
        "cohen-c6/demonstrator-only/alpha=c6",
    )?;
    let sum_a = crate::numerics::neumaier_sum(rows[1..120].iter().map(|r| r.ask.powi(3)));
    let last = pb.cubes_mean.len() - 1;
    let first_zero: Vec<String> = [4usize, 8, 16, 32, 64]
        .iter()
        .map(|&t| format!("E[θ_{t}] = {:.4}", pb.ask_mean[t - 2]))
        .collect();
    v.push(Check::from(Claim {
        id: "cohen2024-def4-update-rules-differ".into(),
        paper: Paper::Cohen2024,
        result: "Definition 4".into(),
        statement: "under demonstrator-only updating the imitator keeps asking longer: it learns only from answered queries, so the Bernoulli models leave the top set by query count, not by time".into(),
        quantity: "E[Σ_{t=2}^{120} θ_t³] (demonstrator-only) − Σ_{t=2}^{120} θ_t³ (all actions), C6 α".into(),
        value: pb.cubes_mean[last] - sum_a,
        relation: Relation::Gt,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!("all actions: Σθ³ = {sum_a:.6}, θ = 0 from t = 8; demonstrator-only ({runs_b} runs): E[Σθ³] = {:.4} ± {:.4}, {}", pb.cubes_mean[last], pb.cubes_se[last], first_zero.join(", ")),
    }));
    // Definition 3 properties along the runs: prefix, MAP, size bounds, against the definition.
    let mut viol = 0usize;
    let mut tested = 0usize;
    let mut imi = PessimisticImitator::new(class.clone(), 1e-4, UpdateRule::AllActions)?;
    for _ in 0..60 {
        let lj = imi.posterior().ln_joint(Role::Action);
        let ts = imi.top_set();
        let def = top_set_by_definition(lj, 1e-4)?;
        let (b1, b2) = ts.size_bounds();
        let map = imi.posterior().map(Role::Action);
        if def != ts.members
            || ts.members[0] != map
            || ts.len() as f64 > b1 + 1e-9
            || ts.len() as f64 > b2 + 1e-9
        {
            viol += 1;
        }
        tested += 1;
        imi.observe(0, Source::Demonstrator)?;
    }
    v.push(Check::from(Claim {
        id: "cohen2024-def3-top-set-properties".into(),
        paper: Paper::Cohen2024,
        result: "Definition 3".into(),
        statement: "the fast top set equals Definition 3 applied to the full ranking, is a prefix holding the MAP model, and obeys both size bounds of §1.9".into(),
        quantity: "number of posteriors where any property fails".into(),
        value: viol as f64,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!("{tested} clock-world posteriors (0^(t−1), t = 1..60, α = 1e-4; 36 873 models); random classes in the tests"),
    }));
    Ok(v)
}

fn theorem3_checks(opts: &CheckOptions) -> Result<Vec<Check>> {
    let class = BinaryMarkovClass::thm3_default();
    let mu = class
        .index_of("Bern(4/16)")
        .ok_or_else(|| Error::Config("no Bern(4/16)".into()))?;
    let delta = 0.1;
    let w_mu = class.prior(mu);
    let alpha = 0.999 * delta * w_mu;
    let (n, len) = if opts.quick {
        (500, 1000)
    } else {
        (2000, 1000)
    };
    let (est, ville) = theorem3_mc(&class, mu, alpha, n, len, opts.seed)?;
    let mut v = vec![Check::from(Claim {
        id: "cohen2024-thm3-mu-stays-in-top-set".into(),
        paper: Paper::Cohen2024,
        result: "Theorem 3".into(),
        statement: "with data from µ and α < δ·w(µ), µ stays in the top set at every step with probability >= 1 − δ".into(),
        quantity: "P̂(∃t <= 1000: µ ∉ M^α_t)".into(),
        value: est.mean,
        relation: Relation::Le,
        bound: delta,
        tol: Tolerance::abs(tol::MC_Z * est.se),
        detail: format!(
            "µ = Bern(1/4) in 15 Bernoulli (5 bits) + 49 order-1 Markov (7 bits) models; w(µ) = {w_mu:.6}, δ = {delta}, α = 0.999·δ·w(µ) = {alpha:.6}; n = {} sequences of length {len}, SE = {:.2e} (allowance {} SE); Ville event sup ξ/µ >= w(µ)/α: {:.4} ± {:.4} (bound α/w(µ) = {:.4})",
            est.n,
            est.se,
            tol::MC_Z,
            ville.mean,
            ville.se,
            alpha / w_mu
        ),
    })];
    // Online: the imitator runs, µ is stochastic, both update rules.
    let mc = Arc::new(class.to_model_class()?);
    let runs = if opts.quick { 50 } else { 200 };
    let horizon = 400;
    let mut p = Vec::new();
    for rule in [UpdateRule::DemonstratorOnly, UpdateRule::AllActions] {
        let s = OnlineSettings {
            alpha,
            rule,
            demo_steps: 0,
            horizon,
        };
        let prof = ask_profile(
            &mc,
            mu,
            &s,
            runs,
            opts.seed,
            &format!("cohen-thm3/online/{}", rule.as_str()),
        )?;
        p.push(prof);
    }
    let (b, a) = (&p[0], &p[1]);
    v.push(Check::from(Claim {
        id: "cohen2024-thm3-online-demonstrator-only".into(),
        paper: Paper::Cohen2024,
        result: "Theorem 3".into(),
        statement: "running the imitator online and learning only from µ's answers to queries, µ stays in the top set with probability >= 1 − δ; learning also from its own actions gives no such guarantee (spec §2.6 open point)".into(),
        quantity: "P̂(∃t <= 400: µ ∉ M^α_t), demonstrator-only updating".into(),
        value: b.p_mu_out.0,
        relation: Relation::Le,
        bound: delta,
        tol: Tolerance::abs(tol::MC_Z * b.p_mu_out.1),
        detail: format!(
            "same class, µ = Bern(1/4), α = {alpha:.6}, no trusted prefix, {runs} runs. Demonstrator-only: P̂ = {:.4} ± {:.4}, E[Σθ³] = {:.3} ± {:.3}, E[θ_400] = {:.4}. All actions (the imitator learns from its own conservative draws): P̂ = {:.4} ± {:.4}, E[Σθ³] = {:.3} ± {:.3}, E[θ_400] = {:.4}",
            b.p_mu_out.0,
            b.p_mu_out.1,
            b.cubes_mean[horizon - 1],
            b.cubes_se[horizon - 1],
            b.ask_mean[horizon - 1],
            a.p_mu_out.0,
            a.p_mu_out.1,
            a.cubes_mean[horizon - 1],
            a.cubes_se[horizon - 1],
            a.ask_mean[horizon - 1],
        ),
    }));
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// Theorem 4
// ---------------------------------------------------------------------------------------------

fn theorem4_checks(opts: &CheckOptions) -> Result<Vec<Check>> {
    let n = if opts.quick { 100 } else { 400 };
    let mut min_gap = f64::INFINITY;
    let (mut held, mut pointwise_fail, mut control_viol, mut inf_both) =
        (0usize, 0usize, 0usize, 0usize);
    for i in 0..n {
        let mut rng = stream_rng(opts.seed, &format!("cohen-thm4/instance/{i}"));
        let inst = random_instance(&draw_raw(&mut rng))?;
        let d = dominance(&inst)?;
        if d.hypothesis {
            held += 1;
            pointwise_fail += usize::from(!d.pointwise);
            if d.kl_nu_alpha.is_infinite() && d.kl_mu.is_infinite() {
                inf_both += 1;
            } else {
                let gap = d.kl_nu_alpha - d.kl_mu;
                min_gap = min_gap.min(gap / (1.0 + d.kl_mu.abs()));
            }
        } else if d.kl_nu_alpha < d.kl_mu {
            control_viol += 1;
        }
    }
    Ok(vec![Check::from(Claim {
        id: "cohen2024-thm4-kl-dominates".into(),
        paper: Paper::Cohen2024,
        result: "Theorem 4".into(),
        statement: "whenever µ is in the top set at every step, KL(π‖ν_α) >= KL(π‖µ) for every policy π, semi-distributions included (so the KL ball around ν_α lies inside the one around µ)".into(),
        quantity: "min over instances of (KL_m(π‖ν_α) − KL_m(π‖µ)) / (1 + |KL_m(π‖µ)|)".into(),
        value: min_gap,
        relation: Relation::Ge,
        bound: 0.0,
        tol: Tolerance::abs(1e-12),
        detail: format!(
            "{n} seeded random instances (2–5 order-1 Markov models over 2–3 symbols with zeros, random prior, α ∈ [1e-3, 0.5], π a random semi-distribution, horizon 1–4; exact enumeration); hypothesis held in {held}; pointwise ν_α <= µ failed in {pointwise_fail}; both KLs infinite in {inf_both}; control: where the hypothesis failed, KL(π‖ν_α) < KL(π‖µ) in {control_viol} instances (the hypothesis is needed)"
        ),
    })])
}
