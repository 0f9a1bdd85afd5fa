//! Report checks of the LLM experiment's exact parts (paper `llm`, feature `llm`): Cohen et al.
//! 2024's KLFixedMixture op (spec check C7) and the per-episode budget accounting with PPO in the
//! silence world (spec check C8). Each value is computed on every run by the same functions the
//! tests of `goodhart-llm` assert.

use goodhart_llm::kl_budget::{solve_alpha, solve_alpha_authors, solve_alpha_bisection};

use crate::numerics::Tolerance;
use crate::report::CheckOptions;
use crate::report::{Check, Paper, Relation};

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
            Ok(s) => v.push(Check::new(
                id, Paper::Llm, "Check C7 (KLFixedMixture)",
                "the mixture x = α a + (1−α) b with KL(x‖b) = k has the spec's α",
                "α from the exact solve", s.alpha, Relation::Eq, alpha, Tolerance::abs(5e-7),
                format!("a = (0.7, 0.2, 0.1), b = (0.1, 0.3, 0.6), k = {k}; achieved KL {:.3e} from target; spec α printed to 6 digits", s.kl - k),
            )),
            Err(e) => v.push(failed(&id, "Check C7 (KLFixedMixture)", e)),
        }
        let id = format!("llm-c7-authors-20-iterations-reach-target-k{k}");
        match (
            solve_alpha_authors(&la, &lb, k, 20),
            solve_alpha_bisection(&la, &lb, k, 200),
        ) {
            (Ok(a), Ok(b)) => v.push(Check::new(
                id,
                Paper::Llm,
                "Check C7 (KLFixedMixture)",
                "the authors' 20-iteration safeguarded Newton reaches the target KL within 1e-6",
                "|KL(α_authors) − k|",
                (a.kl - k).abs(),
                Relation::Le,
                1e-6,
                Tolerance::abs(0.0),
                format!(
                    "α_authors = {:.9}, α_bisection(200) = {:.9}",
                    a.alpha, b.alpha
                ),
            )),
            (Err(e), _) | (_, Err(e)) => v.push(failed(&id, "Check C7 (KLFixedMixture)", e)),
        }
    }
    match solve_alpha(&la, &lb, 2.0) {
        Ok(s) => v.push(Check::new(
            "llm-c7-unreachable-target-gives-alpha-one",
            Paper::Llm,
            "Check C7 (KLFixedMixture)",
            "a target above KL(a‖b) = 1.101868 gives α = 1, x = a",
            "α at k = 2",
            s.alpha,
            Relation::Eq,
            1.0,
            Tolerance::abs(0.0),
            format!("KL(a‖b) = {:.6}", s.kl_max),
        )),
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
            v.push(Check::new(
                "llm-c8-per-step-kl-is-min-target-and-kl-a-b",
                Paper::Llm,
                res,
                "every step's KL(x‖b) equals min(target, KL(a‖b))",
                "max |KL(x‖b) − min(target, KL(a‖b))| over all steps",
                r.max_kl_rule_error,
                Relation::Le,
                1e-9,
                Tolerance::abs(0.0),
                d.clone(),
            ));
            v.push(Check::new("llm-c8-expected-rule-never-exceeds-budget", Paper::Llm, res,
                "charging the exact per-step KL, no episode's Σ KL exceeds the budget, so KL(π‖β) ≤ B",
                "max over episodes of Σ per-step KL (nats)", r.max_episode_kl_expected_rule, Relation::Le, r.budget_nats,
                Tolerance::rel(1e-6), format!("{d}; allowance: f32 rounding of the budget input")));
            v.push(Check::new(
                "llm-c8-budget-left-never-negative",
                Paper::Llm,
                res,
                "the remaining budget never goes negative (both rules)",
                "min remaining budget (nats)",
                r.min_budget_left,
                Relation::Ge,
                0.0,
                Tolerance::abs(0.0),
                d.clone(),
            ));
            v.push(Check::new(
                "llm-c8-realised-rule-excess-is-the-overshoot",
                Paper::Llm,
                res,
                "under the authors' realised rule Σ log-ratio ≤ B + what the floor at 0 forgave",
                "max Σ log-ratio − (B + Σ overshoot) (nats)",
                r.max_realised_excess,
                Relation::Le,
                0.0,
                Tolerance::abs(1e-6),
                d.clone(),
            ));
            v.push(Check::new(
                "llm-c8-expected-kl-equals-expected-log-ratio",
                Paper::Llm,
                res,
                "E[Σ per-step KL] = E[Σ realised log-ratio] (Monte Carlo)",
                "|mean(Σ log-ratio − Σ KL)| / SE",
                (r.mean_log_ratio_minus_kl / r.mean_log_ratio_minus_kl_se).abs(),
                Relation::Le,
                crate::numerics::tol::MC_Z,
                Tolerance::abs(0.0),
                format!(
                    "{d}; mean difference {:.4} ± {:.4} nats",
                    r.mean_log_ratio_minus_kl, r.mean_log_ratio_minus_kl_se
                ),
            ));
            v.push(Check::new("llm-c8-silence-world-agent-goes-silent", Paper::Llm, res,
                "PPO under a 10-nat budget raises the fraction of empty turns above the base policy's",
                "trained empty-turn fraction − base empty-turn fraction", r.trained_empty_fraction - r.base_empty_fraction,
                Relation::Gt, 0.5, Tolerance::abs(0.0),
                format!("trained {:.3}, base {:.3}; KL used {:.2} nats per episode", r.trained_empty_fraction, r.base_empty_fraction, r.trained_kl_used)));
            v.push(Check::new("llm-c8-silence-world-one-off-switch-cost", Paper::Llm, res,
                "with a Bayesian base policy the first empty turn costs most of the KL, later ones little",
                "mean KL of the first empty turn / mean KL of later ones", r.first_empty_kl / r.later_empty_kl,
                Relation::Gt, 3.0, Tolerance::abs(0.0),
                format!("first {:.3} nats, later {:.3} nats (ln(1/ε) = ln 50 = 3.912 for a forced first silence)", r.first_empty_kl, r.later_empty_kl)));
            let f = &r.fixed_base;
            v.push(Check::new("llm-c8-silence-world-bayesian-base-does-not-stop-the-switch", Paper::Llm, res,
                "the same budget buys far more silence against the Bayesian base than against a base whose class cannot learn the pattern (every empty turn costs ln(1/ε))",
                "empty-turn fraction (Bayesian base) − empty-turn fraction (fixed base)", r.trained_empty_fraction - f.empty_fraction,
                Relation::Gt, 0.3, Tolerance::abs(0.0),
                format!("Bayesian {:.3} at {:.2} nats per episode; fixed {:.3} at {:.2} nats (first empty {:.3}, later {:.3} nats)",
                    r.trained_empty_fraction, r.trained_kl_used, f.empty_fraction, f.kl_used, f.first_empty_kl, f.later_empty_kl)));
        }
        Err(e) => v.push(failed(
            "llm-c8-silence-world",
            "Check C8 (per-episode budget accounting)",
            e,
        )),
    }
    v
}
