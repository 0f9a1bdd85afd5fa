//! The report's checks of Proposition 1 of Cohen et al. 2024 (check C1): the construction's
//! KLs against the spec's values, the general support criterion on every pair of supports, and
//! the sequence form by Definition 2.

use super::*;
use crate::error::Result;
use crate::numerics::{tol, Tolerance};
use crate::prob::{kl, Probs};
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};
use crate::theory::imitation::checks_or_failed;
use crate::theory::imitation::switching::def2_kl;

/// The checks of Proposition 1.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    checks_or_failed("cohen2024-prop1", "Proposition 1", compute())
}

fn compute() -> Result<Vec<Check>> {
    let r = "Proposition 1";
    let mut v = Vec::new();
    let mut worst_slack = f64::NEG_INFINITY;
    let mut min_pi_tau = f64::INFINITY;
    let mut max_pi_beta: f64 = 0.0;
    for (i, &eps) in C1_EPS.iter().enumerate() {
        let k = construction(eps)?.kls()?;
        worst_slack = worst_slack.max(k.tau_beta - eps);
        min_pi_tau = min_pi_tau.min(k.pi_tau);
        max_pi_beta = max_pi_beta.max(k.pi_beta);
        v.push(Check::from(Claim {
            id: format!("cohen2024-prop1-tau-beta-eps{eps}"),
            paper: Paper::Cohen2024,
            result: r.into(),
            statement: "In the construction τ = Bern(0), π = β = Bern(min(ε,1)/2), the imitation error KL(τ‖β) is −ln(1 − p).".into(),
            quantity: format!("KL(τ‖β), ε = {eps} (nats)"),
            value: k.tau_beta,
            relation: Relation::Eq,
            bound: C1_SPEC_TAU_BETA[i],
            tol: Tolerance::abs(1e-6),
            detail: format!("spec §5 C1 (6 decimals); KL(π‖β) = {}, KL(π‖τ) = {}", k.pi_beta, k.pi_tau),
        }));
    }
    v.push(Check::from(Claim {
        id: "cohen2024-prop1-tau-beta-within-eps".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: "The base policy is ε-close to the trusted policy: KL(τ‖β) ≤ ε.".into(),
        quantity: "max over ε ∈ {0.1, 1, 5} of KL(τ‖β) − ε (nats)".into(),
        value: worst_slack,
        relation: Relation::Le,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: "".into(),
    }));
    v.push(Check::from(Claim {
        id: "cohen2024-prop1-pi-beta-zero".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: "The proposed policy equals the base policy: KL(π‖β) = 0.".into(),
        quantity: "max over ε of KL(π‖β) (nats)".into(),
        value: max_pi_beta,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(tol::EXACT_REL),
        detail: "".into(),
    }));
    v.push(Check::from(Claim {
        id: "cohen2024-prop1-pi-tau-infinite".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: "Yet the proposed policy is infinitely far from the trusted one: KL(π‖τ) = ∞ (π plays 1, τ never does).".into(),
        quantity: "min over ε of KL(π‖τ)".into(),
        value: min_pi_tau,
        relation: Relation::Eq,
        bound: f64::INFINITY,
        tol: Tolerance::abs(0.0),
        detail: "".into(),
    }));
    // General form on a grid of supports.
    let (agree, total) = general_form_sweep()?;
    v.push(Check::from(Claim {
        id: "cohen2024-prop1-general-form".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: "The failure (π = β with KL(π‖β) = 0, KL(τ‖β) = ε, KL(π‖τ) = ∞) occurs exactly when supp(β) ⊄ supp(τ).".into(),
        quantity: "fraction of (τ, β) support patterns on 3 atoms where 'KL(β‖τ) = ∞' ⇔ 'supp(β) ⊄ supp(τ)', and the ε-construction works".into(),
        value: agree as f64 / total as f64,
        relation: Relation::Eq,
        bound: 1.0,
        tol: Tolerance::abs(0.0),
        detail: format!("{agree} of {total} patterns (all 7 × 7 non-empty supports, ε ∈ {{0.01, 0.5, 3}})"),
    }));
    // Sequence policies via Definition 2.
    let (eps, m) = (0.5, 6);
    let (tau, beta, pi) = sequence_construction(eps, m)?;
    let tb = def2_kl(&tau, &beta, m)?;
    let pb = def2_kl(&pi, &beta, m)?;
    let pt = def2_kl(&pi, &tau, m)?;
    v.push(Check::from(Claim {
        id: "cohen2024-prop1-sequence".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: "The same holds for sequence policies: over 6 steps, KL(τ‖β) = ε and KL(π‖β) = 0 by Definition 2, while KL(π‖τ) = ∞.".into(),
        quantity: "KL_Def2(τ‖β), ε = 0.5, m = 6 (nats)".into(),
        value: tb,
        relation: Relation::Eq,
        bound: eps,
        tol: Tolerance::rel(1e-12),
        detail: format!("KL_Def2(π‖β) = {pb}, KL_Def2(π‖τ) = {pt} (enumeration of the 2^6 action sequences)"),
    }));
    v.push(Check::from(Claim {
        id: "cohen2024-prop1-sequence-pi-tau".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: "Sequence construction: the proposed policy, identical to the base policy (KL 0), is infinitely far from the trusted policy.".into(),
        quantity: "KL_Def2(π‖τ), ε = 0.5, m = 6".into(),
        value: pt,
        relation: Relation::Eq,
        bound: f64::INFINITY,
        tol: Tolerance::abs(0.0),
        detail: format!("KL_Def2(π‖β) = {pb}"),
    }));
    Ok(v)
}

/// All pairs of non-empty supports on 3 atoms: returns (patterns where the equivalence and the
/// construction hold, patterns tried).
fn general_form_sweep() -> Result<(usize, usize)> {
    let mut agree = 0;
    let mut total = 0;
    for st in 1..8u32 {
        for sb in 1..8u32 {
            let tau = support_probs("τ", st)?;
            let beta = support_probs("β", sb)?;
            for eps in [0.01, 0.5, 3.0] {
                total += 1;
                let possible = failure_possible(&tau, &beta)?;
                let witness = kl(&beta, &tau)? == f64::INFINITY && kl(&beta, &beta)? == 0.0;
                let construction_ok = match general_construction(&tau, eps)? {
                    None => st == 7,
                    Some(t) => {
                        let k = t.kls()?;
                        (k.tau_beta - eps).abs() <= 1e-12 * eps
                            && k.pi_beta == 0.0
                            && k.pi_tau == f64::INFINITY
                    }
                };
                if possible == witness && construction_ok {
                    agree += 1;
                }
            }
        }
    }
    Ok((agree, total))
}

/// A distribution with support given by the bit mask (weights 1, 2, 3 on the atoms, normalised explicitly).
fn support_probs(name: &'static str, mask: u32) -> Result<Probs> {
    let w: Vec<f64> = (0..3)
        .map(|i| {
            if mask >> i & 1 == 1 {
                (i + 1) as f64
            } else {
                0.0
            }
        })
        .collect();
    Probs::from_weights(name, &w)
}
