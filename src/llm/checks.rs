//! Report checks of the LLM experiment's exact parts (paper `llm`, feature `llm`): Cohen et al.
//! 2024's KLFixedMixture op (spec check C7) and the per-episode budget accounting with PPO in the
//! silence world (spec check C8). Each value is computed on every run by the same functions the
//! tests of `goodhart-llm` assert.

use goodhart_llm::kl_budget::{solve_alpha, solve_alpha_authors, solve_alpha_bisection};

use crate::numerics::Tolerance;
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};

fn failed(id: &str, result: &str, e: goodhart_llm::LlmError) -> Check {
    Check::failed_to_compute(id, Paper::Llm, result, &crate::Error::Other(e.to_string()))
}

/// The C7 and C8 checks.
pub fn checks(opts: &CheckOptions) -> Vec<Check> {
    let mut v = Vec::new();
    let la: Vec<f64> = [0.7f64, 0.2, 0.1].iter().map(|p| p.ln()).collect();
    let lb: Vec<f64> = [0.1f64, 0.3, 0.6].iter().map(|p| p.ln()).collect();
    for (k, alpha) in [(0.05, 0.176174), (0.2, 0.382165), (0.5, 0.645017)] {
        let id = format!("llm-c7-kl-fixed-mixture-alpha-k{k}");
        match solve_alpha(&la, &lb, k) {
            Ok(s) => v.push(Check::from(Claim {
                id: id,
                paper: Paper::Llm,
                result: "Check C7 (KLFixedMixture)".into(),
                statement: "the mixture x = α a + (1−α) b with KL(x‖b) = k has the spec's α".into(),
                quantity: "α from the exact solve".into(),
                value: s.alpha,
                relation: Relation::Eq,
                bound: alpha,
                tol: Tolerance::abs(5e-7),
                detail: format!("a = (0.7, 0.2, 0.1), b = (0.1, 0.3, 0.6), k = {k}; achieved KL {:.3e} from target; spec α printed to 6 digits", s.kl - k),
            })),
            Err(e) => v.push(failed(&id, "Check C7 (KLFixedMixture)", e)),
        }
        let id = format!("llm-c7-authors-20-iterations-reach-target-k{k}");
        match (
            solve_alpha_authors(&la, &lb, k, 20),
            solve_alpha_bisection(&la, &lb, k, 200),
        ) {
            (Ok(a), Ok(b)) => v.push(Check::from(Claim {
                id: id,
                paper: Paper::Llm,
                result: "Check C7 (KLFixedMixture)".into(),
                statement:
                    "the authors' 20-iteration safeguarded Newton reaches the target KL within 1e-6"
                        .into(),
                quantity: "|KL(α_authors) − k|".into(),
                value: (a.kl - k).abs(),
                relation: Relation::Le,
                bound: 1e-6,
                tol: Tolerance::abs(0.0),
                detail: format!(
                    "α_authors = {:.9}, α_bisection(200) = {:.9}",
                    a.alpha, b.alpha
                ),
            })),
            (Err(e), _) | (_, Err(e)) => v.push(failed(&id, "Check C7 (KLFixedMixture)", e)),
        }
    }
    match solve_alpha(&la, &lb, 2.0) {
        Ok(s) => v.push(Check::from(Claim {
            id: "llm-c7-unreachable-target-gives-alpha-one".into(),
            paper: Paper::Llm,
            result: "Check C7 (KLFixedMixture)".into(),
            statement: "a target above KL(a‖b) = 1.101868 gives α = 1, x = a".into(),
            quantity: "α at k = 2".into(),
            value: s.alpha,
            relation: Relation::Eq,
            bound: 1.0,
            tol: Tolerance::abs(0.0),
            detail: format!("KL(a‖b) = {:.6}", s.kl_max),
        })),
        Err(e) => v.push(failed(
            "llm-c7-unreachable-target-gives-alpha-one",
            "Check C7 (KLFixedMixture)",
            e,
        )),
    }
    let steps = if opts.quick { 32_768 } else { 65_536 };
    match goodhart_llm::silence::c8(opts.seed, steps) {
        Ok(r) => {
            let d = format!(
                "silence world, {} episodes per rule at B = {} nats, random actors; PPO {} steps at B = 10",
                r.episodes, r.budget_nats, r.train_steps
            );
            let res = "Check C8 (per-episode budget accounting)";
            v.push(Check::from(Claim {
                id: "llm-c8-per-step-kl-is-min-target-and-kl-a-b".into(),
                paper: Paper::Llm,
                result: res.into(),
                statement: "every step's KL(x‖b) equals min(target, KL(a‖b))".into(),
                quantity: "max |KL(x‖b) − min(target, KL(a‖b))| over all steps".into(),
                value: r.max_kl_rule_error,
                relation: Relation::Le,
                bound: 1e-9,
                tol: Tolerance::abs(0.0),
                detail: d.clone(),
            }));
            v.push(Check::from(Claim {
                id: "llm-c8-expected-rule-never-exceeds-budget".into(),
                paper: Paper::Llm,
                result: res.into(),
                statement: "charging the exact per-step KL, no episode's Σ KL exceeds the budget, so KL(π‖β) ≤ B".into(),
                quantity: "max over episodes of Σ per-step KL (nats)".into(),
                value: r.max_episode_kl_expected_rule,
                relation: Relation::Le,
                bound: r.budget_nats,
                tol: Tolerance::rel(1e-6),
                detail: format!("{d}; allowance: f32 rounding of the budget input"),
            }));
            v.push(Check::from(Claim {
                id: "llm-c8-budget-left-never-negative".into(),
                paper: Paper::Llm,
                result: res.into(),
                statement: "the remaining budget never goes negative (both rules)".into(),
                quantity: "min remaining budget (nats)".into(),
                value: r.min_budget_left,
                relation: Relation::Ge,
                bound: 0.0,
                tol: Tolerance::abs(0.0),
                detail: d.clone(),
            }));
            v.push(Check::from(Claim {
                id: "llm-c8-realised-rule-excess-is-the-overshoot".into(),
                paper: Paper::Llm,
                result: res.into(),
                statement:
                    "under the authors' realised rule Σ log-ratio ≤ B + what the floor at 0 forgave"
                        .into(),
                quantity: "max Σ log-ratio − (B + Σ overshoot) (nats)".into(),
                value: r.max_realised_excess,
                relation: Relation::Le,
                bound: 0.0,
                tol: Tolerance::abs(1e-6),
                detail: d.clone(),
            }));
            v.push(Check::from(Claim {
                id: "llm-c8-expected-kl-equals-expected-log-ratio".into(),
                paper: Paper::Llm,
                result: res.into(),
                statement: "E[Σ per-step KL] = E[Σ realised log-ratio] (Monte Carlo)".into(),
                quantity: "|mean(Σ log-ratio − Σ KL)| / SE".into(),
                value: (r.mean_log_ratio_minus_kl / r.mean_log_ratio_minus_kl_se).abs(),
                relation: Relation::Le,
                bound: crate::numerics::tol::MC_Z,
                tol: Tolerance::abs(0.0),
                detail: format!(
                    "{d}; mean difference {:.4} ± {:.4} nats",
                    r.mean_log_ratio_minus_kl, r.mean_log_ratio_minus_kl_se
                ),
            }));
            v.push(Check::from(Claim {
                id: "llm-c8-silence-world-agent-goes-silent".into(),
                paper: Paper::Llm,
                result: res.into(),
                statement: "PPO under a 10-nat budget raises the fraction of empty turns above the base policy's".into(),
                quantity: "trained empty-turn fraction − base empty-turn fraction".into(),
                value: r.trained_empty_fraction - r.base_empty_fraction,
                relation: Relation::Gt,
                bound: 0.5,
                tol: Tolerance::abs(0.0),
                detail: format!("trained {:.3}, base {:.3}; KL used {:.2} nats per episode", r.trained_empty_fraction, r.base_empty_fraction, r.trained_kl_used),
            }));
            v.push(Check::from(Claim {
                id: "llm-c8-silence-world-one-off-switch-cost".into(),
                paper: Paper::Llm,
                result: res.into(),
                statement: "with a Bayesian base policy the first empty turn costs most of the KL, later ones little".into(),
                quantity: "mean KL of the first empty turn / mean KL of later ones".into(),
                value: r.first_empty_kl / r.later_empty_kl,
                relation: Relation::Gt,
                bound: 3.0,
                tol: Tolerance::abs(0.0),
                detail: format!("first {:.3} nats, later {:.3} nats (ln(1/ε) = ln 50 = 3.912 for a forced first silence)", r.first_empty_kl, r.later_empty_kl),
            }));
            let f = &r.fixed_base;
            v.push(Check::from(Claim {
                id: "llm-c8-silence-world-bayesian-base-does-not-stop-the-switch".into(),
                paper: Paper::Llm,
                result: res.into(),
                statement: "the same budget buys far more silence against the Bayesian base than against a base whose class cannot learn the pattern (every empty turn costs ln(1/ε))".into(),
                quantity: "empty-turn fraction (Bayesian base) − empty-turn fraction (fixed base)".into(),
                value: r.trained_empty_fraction - f.empty_fraction,
                relation: Relation::Gt,
                bound: 0.3,
                tol: Tolerance::abs(0.0),
                detail: format!("Bayesian {:.3} at {:.2} nats per episode; fixed {:.3} at {:.2} nats (first empty {:.3}, later {:.3} nats)",
                    r.trained_empty_fraction, r.trained_kl_used, f.empty_fraction, f.kl_used, f.first_empty_kl, f.later_empty_kl),
            }));
        }
        Err(e) => v.push(failed(
            "llm-c8-silence-world",
            "Check C8 (per-episode budget accounting)",
            e,
        )),
    }
    v
}
