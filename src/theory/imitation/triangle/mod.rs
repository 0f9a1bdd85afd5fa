//! Proposition 1 of Cohen et al. 2024: KL has no triangle inequality — a policy can be ε-close to the base policy,
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

pub mod checks;

pub use checks::checks;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::prob::{kl, Probs};
use crate::theory::imitation::class::{FixedPolicy, Layout, Rule, SeqModel};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::tolerance::assert_close;
    use crate::numerics::Tolerance;
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
