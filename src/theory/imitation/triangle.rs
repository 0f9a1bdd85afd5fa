//! Proposition 1: KL has no triangle inequality — a policy can be ε-close to the base policy,
//! the base policy ε-close to the trusted policy (in the direction imitation learning controls),
//! and yet the policy be infinitely far from the trusted one (check C1).
//!
//! ```text
//! τ = Bern(0), π = β = Bern(p), p = min(ε, 1)/2:
//!   KL(π‖β) = 0,   KL(τ‖β) = −ln(1 − p) ≤ ε,   KL(π‖τ) = +∞
//! ```
//!
//! (`−ln(1−p) ≤ 0.6932·ε` for ε ≤ 1, `= ln 2 < ε` for ε > 1.)
//!
//! **General form.** For distributions τ, β on a finite set, the failure — some π with
//! `KL(π‖β) ≤ ε` (any ε ≥ 0) and `KL(π‖τ) = ∞` — is possible **iff `supp(β) ⊄ supp(τ)`**:
//! `KL(π‖β) < ∞` forces `supp(π) ⊆ supp(β)`; if `supp(β) ⊆ supp(τ)` then `supp(π) ⊆ supp(τ)` and
//! `KL(π‖τ) < ∞`; conversely `π = β` is a witness. For every τ whose support is not the whole set
//! and every ε > 0, [`general_construction`] builds β with `KL(τ‖β) = ε` exactly:
//! `β = (1 − δ)τ + δ·1_x` for an `x ∉ supp(τ)`, `δ = 1 − e^{−ε}`. The same holds for sequence
//! policies (distributions over action sequences); [`sequence_construction`] spreads ε over a
//! horizon `m` with `p = 1 − e^{−ε/m}` per step and the checks evaluate Definition 2 by enumeration.
//!
//! Reference: spec §2.1 and §5 C1. The message: training β to imitate τ controls `KL(τ‖β)`
//! (cross-entropy), which says nothing about `KL(π‖τ)` for π near β.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::numerics::{tol, Tolerance};
use crate::prob::{kl, Probs};
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};
use crate::theory::imitation::class::{FixedPolicy, Layout, Rule, SeqModel};
use crate::theory::imitation::switching::def2_kl;

/// The three distributions of the construction.
#[derive(Debug, Clone, PartialEq)]
pub struct Triangle {
    /// Trusted policy τ.
    pub tau: Probs,
    /// Base policy β.
    pub beta: Probs,
    /// Proposed policy π.
    pub pi: Probs,
}

/// The three KLs of a [`Triangle`] (nats).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TriangleKl {
    /// `KL(π‖β)`.
    pub pi_beta: f64,
    /// `KL(τ‖β)`.
    pub tau_beta: f64,
    /// `KL(π‖τ)`.
    pub pi_tau: f64,
}

impl Triangle {
    /// The three KLs.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if the supports differ in size.
    pub fn kls(&self) -> Result<TriangleKl> {
        Ok(TriangleKl {
            pi_beta: kl(&self.pi, &self.beta)?,
            tau_beta: kl(&self.tau, &self.beta)?,
            pi_tau: kl(&self.pi, &self.tau)?,
        })
    }
}

fn check_eps(eps: f64) -> Result<f64> {
    if !(eps > 0.0) || !eps.is_finite() {
        return Err(Error::NotPositive {
            name: "ε",
            value: eps,
        });
    }
    Ok(eps)
}

/// The spec's construction (C1): τ = Bern(0), π = β = Bern(min(ε,1)/2), as distributions on {0, 1}.
///
/// # Errors
/// [`Error::NotPositive`] for ε ≤ 0, NaN or ∞.
pub fn construction(eps: f64) -> Result<Triangle> {
    let p = check_eps(eps)?.min(1.0) / 2.0;
    let beta = Probs::new_named("β", vec![1.0 - p, p])?;
    Ok(Triangle {
        tau: Probs::new_named("τ", vec![1.0, 0.0])?,
        pi: beta.clone(),
        beta,
    })
}

/// Whether `supp(β) ⊄ supp(τ)`: the condition under which Proposition 1's failure is possible.
///
/// # Errors
/// [`Error::LengthMismatch`].
pub fn failure_possible(tau: &Probs, beta: &Probs) -> Result<bool> {
    crate::prob::probs::check_len("τ", tau.len(), "β", beta.len())?;
    Ok(beta
        .as_slice()
        .iter()
        .zip(tau.as_slice())
        .any(|(&b, &t)| b > 0.0 && t == 0.0))
}

/// For a trusted τ whose support is not the whole set: β = (1 − δ)τ + δ·1_x with δ = 1 − e^{−ε}
/// (x the first atom outside supp(τ)), so `KL(τ‖β) = ε` exactly, and π = β. `None` if τ has
/// full support (then no β with finite `KL(τ‖β)`… admits the failure).
///
/// # Errors
/// [`Error::NotPositive`] for a bad ε.
pub fn general_construction(tau: &Probs, eps: f64) -> Result<Option<Triangle>> {
    let eps = check_eps(eps)?;
    let Some(x) = tau.as_slice().iter().position(|&t| t == 0.0) else {
        return Ok(None);
    };
    let delta = -(-eps).exp_m1();
    let mut b: Vec<f64> = tau.as_slice().iter().map(|t| (1.0 - delta) * t).collect();
    b[x] += delta;
    let beta = Probs::new_named("β", b)?;
    Ok(Some(Triangle {
        tau: tau.clone(),
        pi: beta.clone(),
        beta,
    }))
}

/// Sequence version over `m` binary actions: τ = always 0, π = β = i.i.d. Bern(p) with
/// `p = 1 − e^{−ε/m}`, so the lifetime `KL(τ‖β) = m·(−ln(1−p)) = ε`. Returns `(τ, β, π)` as policies.
///
/// # Errors
/// [`Error::NotPositive`] for a bad ε or `m = 0`.
pub fn sequence_construction(
    eps: f64,
    m: usize,
) -> Result<(FixedPolicy, FixedPolicy, FixedPolicy)> {
    let eps = check_eps(eps)?;
    if m == 0 {
        return Err(Error::NotPositive {
            name: "horizon m",
            value: 0.0,
        });
    }
    let p = -(-eps / m as f64).exp_m1();
    let l = Layout::BINARY;
    let tau = FixedPolicy::new(Arc::new(SeqModel::actions(
        l,
        Rule::Constant { symbol: 0 },
    )?));
    let beta = FixedPolicy::new(Arc::new(SeqModel::actions(l, Rule::bernoulli(p))?));
    Ok((tau, beta.clone(), beta))
}

/// The ε values of check C1.
pub const C1_EPS: [f64; 3] = [0.1, 1.0, 5.0];
/// Spec §5 C1: `KL(τ‖β)` for ε = 0.1, 1, 5 (6 decimals; the last two are `ln 2` as printed).
#[allow(clippy::approx_constant)]
pub const C1_SPEC_TAU_BETA: [f64; 3] = [0.051293, 0.693147, 0.693147];

/// The checks of Proposition 1.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    match compute() {
        Ok(v) => v,
        Err(e) => vec![Check::failed_to_compute(
            "cohen2024-prop1",
            Paper::Cohen2024,
            "Proposition 1",
            &e,
        )],
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::tolerance::assert_close;
    use proptest::prelude::*;

    #[test]
    fn c1_values() {
        for (i, &eps) in C1_EPS.iter().enumerate() {
            let k = construction(eps).unwrap().kls().unwrap();
            // spec §5 C1, 6 decimals; closed form −ln(1 − min(ε,1)/2)
            assert_close(k.tau_beta, C1_SPEC_TAU_BETA[i], Tolerance::abs(1e-6));
            assert_close(
                k.tau_beta,
                -(1.0 - eps.min(1.0) / 2.0).ln(),
                Tolerance::rel(1e-15),
            );
            assert_eq!(k.pi_beta, 0.0);
            assert_eq!(k.pi_tau, f64::INFINITY);
        }
        assert!(matches!(construction(0.0), Err(Error::NotPositive { .. })));
        assert!(matches!(
            construction(f64::NAN),
            Err(Error::NotPositive { .. })
        ));
        assert!(sequence_construction(1.0, 0).is_err());
    }

    #[test]
    fn full_support_tau_admits_no_failure() {
        let tau = Probs::new(vec![0.2, 0.3, 0.5]).unwrap();
        assert!(general_construction(&tau, 1.0).unwrap().is_none());
    }

    fn probs_with_zeros(n: usize) -> impl Strategy<Value = Vec<f64>> {
        proptest::collection::vec((0.0f64..1.0, proptest::bool::weighted(0.3)), n).prop_filter_map(
            "non-empty",
            |v| {
                let w: Vec<f64> = v
                    .iter()
                    .map(|&(x, z)| if z { 0.0 } else { x + 0.01 })
                    .collect();
                let s: f64 = w.iter().sum();
                if s > 0.0 {
                    Some(w.iter().map(|x| x / s).collect())
                } else {
                    None
                }
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// For random τ, β (with random zero patterns) and π = β: KL(π‖τ) = ∞ iff supp(β) ⊄ supp(τ);
        /// for random π inside supp(β), KL(π‖τ) < ∞ whenever supp(β) ⊆ supp(τ).
        #[test]
        fn iff_support_condition(t in probs_with_zeros(4), b in probs_with_zeros(4), p in probs_with_zeros(4), eps in 1e-3f64..10.0) {
            let tau = Probs::from_weights("τ", &t).unwrap();
            let beta = Probs::from_weights("β", &b).unwrap();
            let possible = failure_possible(&tau, &beta).unwrap();
            prop_assert_eq!(kl(&beta, &tau).unwrap() == f64::INFINITY, possible);
            // π with supp(π) ⊆ supp(β)
            let pw: Vec<f64> = p.iter().zip(&b).map(|(&x, &y)| if y > 0.0 { x + 1e-3 } else { 0.0 }).collect();
            let pi = Probs::from_weights("π", &pw).unwrap();
            prop_assert!(kl(&pi, &beta).unwrap().is_finite());
            if !possible {
                prop_assert!(kl(&pi, &tau).unwrap().is_finite());
            }
            if let Some(tr) = general_construction(&tau, eps).unwrap() {
                let k = tr.kls().unwrap();
                prop_assert!((k.tau_beta - eps).abs() <= 1e-12 * eps.max(1.0));
                prop_assert!(k.tau_beta <= eps * (1.0 + 1e-12));
                prop_assert_eq!(k.pi_beta, 0.0);
                prop_assert_eq!(k.pi_tau, f64::INFINITY);
            }
            // the spec's construction keeps KL(τ‖β) ≤ ε for every ε
            let c = construction(eps).unwrap().kls().unwrap();
            prop_assert!(c.tau_beta <= eps);
        }
    }
}
