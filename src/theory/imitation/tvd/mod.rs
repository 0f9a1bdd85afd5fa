//! Theorem 2 of Cohen et al. 2024: under a total-variation constraint only V-optimal actions gain probability; under
//! a KL constraint non-optimal actions gain too, and base-impossible actions stay impossible
//! (check C5).
//!
//! Cohen, Hutter, Bengio, Russell 2024, Thm 2 and App. E; Def. 7; spec:
//! `../shared/spec/cohen2024.md` §1.8, §2.5, §5 C5.
//!
//! # One step (a bandit)
//!
//! ```text
//! max_π  Σ_a π(a) Q(a)   s.t.  TVD(π, β) = ½ Σ_a |π(a) − β(a)| <= c
//! optimum: m = min(c, 1 − β(A*)),  A* = argmax Q (over all actions, β(a) = 0 included);
//!          take m from the lowest-Q actions first, give it to argmax Q.
//! V_c = E_β[Q] + Σ_a d_a (Q* − Q(a)),  d = the amounts taken.
//! ```
//!
//! Proof of optimality (a fractional knapsack). Write `π = β + u − d` with `u, d >= 0`, `d <= β`,
//! `Σu = Σd <= c` (any π can be written so, with `Σd = TVD`). The gain is
//! `Σ u_a Q(a) − Σ d_a Q(a) <= Q*·Σu − Σ d_a Q(a) = Σ d_a (Q* − Q(a))`, with equality iff all of `u`
//! sits on argmax Q. Maximising `Σ d_a (Q* − Q(a))` over `0 <= d <= β`, `Σd <= c` is a fractional
//! knapsack with unit weights and values `Q* − Q(a)`: fill from the largest value, i.e. the lowest Q.
//! So the closed form attains the bound, and every optimum puts its added mass on argmax Q —
//! Theorem 2 for one step. The tests cross-check against [`lp`] and a brute-force simplex grid.
//!
//! The KL-constrained optimum is the tilt `π ∝ β·exp(Q/λ)` with `KL(π‖β) = ε`
//! ([`crate::prob::Tilt`]): every action with `Q(a) > E_π[Q]` gains mass, so a non-optimal action
//! gains too, while `β(a) = 0 ⇒ π(a) = 0` (else KL = ∞).
//!
//! # Several steps (a tree MDP)
//!
//! [`ObservationTreeMdp`] (named apart from the deterministic [`crate::env::TreeMdp`] of Kwa et
//! al.): decision nodes with a base policy β(·|h), stochastic observations, utilities
//! in `[0, 1]` at the leaves. The TVD between policies is the TVD of the trajectory laws
//! they induce (observations weighted by the environment); the TVD-constrained optimum is a linear
//! program in the sequence form (realisation plans `x(h,a) = Π π(a_s|h_s)` along the path):
//!
//! ```text
//! max Σ_leaves ρ(ℓ) U(ℓ) x(h_ℓ,a_ℓ)   s.t.  Σ_a x(root,a) = 1,  Σ_a x(h,a) = x(parent seq of h),
//!     s_ℓ >= ρ(ℓ)(x(h_ℓ,a_ℓ) − x_β(h_ℓ,a_ℓ)),  Σ_ℓ s_ℓ <= c,  x, s >= 0
//! ```
//! (`ρ(ℓ)` = product of observation probabilities on the path to leaf ℓ; `Σ_ℓ s_ℓ` at the optimum is
//! `Σ (P_π − P_β)⁺ = TVD`), solved by [`lp`]. V-optimality (Def. 7) is
//! `Q*(h,a) = V*(h)` by backward induction.
//!
//! DISCREPANCY (found here; see the checks). Theorem 2 states its conclusion for the conditional
//! probabilities `π(a_t|x_{<2t}) > β(a_t|x_{<2t})`. At the first step (`t = k`) that is what the
//! proof shows. At later steps the proof moves mass from a continuation "with π-probability above
//! β's" — true for the conditional law but not for the trajectory law the constraint measures, when
//! π reaches `x_{<2t}` less often than β does. [`counterexample_conditional`] is a deterministic
//! two-step tree where the TVD optimum raises `π(a|h)` above `β(a|h)` for a non-optimal `a`
//! (because it removed mass from a worse sibling, not because it added mass to `a`). What holds, and
//! what is checked over random trees, is the joint form: `P_π(h, a) > P_β(h, a)` ⇒ `a` V-optimal at `h`.
//!
//! Reading of the paper's TVD (§1.8): its literal formula sums the action-probability products over
//! all continuation strings, observations included, which for more than one observation sequence is
//! not a distance between distributions; we use the TVD of the trajectory laws under the environment
//! (identical to the literal one when observations are deterministic). The paper's constraint is
//! strict (`< c`); the optimum of the closed constraint `<= c` is the supremum, reported here.

pub mod bandit;
pub mod checks;
pub mod lp;
#[cfg(test)]
mod tests;
pub mod tree;

pub use bandit::{
    c5_bandit, impossible_best_bandit, non_optimal_gainers, Bandit, KlOptimum, TvdOptimum,
};
pub use checks::checks;
pub use tree::{
    counterexample_conditional, example_tree, Child, DecisionNode, Leaf, ObservationTreeMdp,
    ObservationTreePolicy, Outcome, TreeTvdOptimum, Violation,
};

use crate::error::{Error, Result};
use crate::numerics::neumaier_sum;
use crate::prob::Probs;

/// Absolute slack used to decide "gains mass" and "is optimal" on LP output (the simplex works
/// to ~1e-12 on these O(1) problems).
pub const GAIN_EPS: f64 = 1e-9;

/// `TVD(p, q) = ½ Σ |p_i − q_i|`, compensated.
///
/// # Errors
/// [`Error::LengthMismatch`].
pub fn tvd(p: &Probs, q: &Probs) -> Result<f64> {
    crate::prob::probs::check_len("p", p.len(), "q", q.len())?;
    Ok(0.5
        * neumaier_sum(
            p.as_slice()
                .iter()
                .zip(q.as_slice())
                .map(|(a, b)| (a - b).abs()),
        ))
}

fn check_budget_c(c: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&c) {
        return Err(Error::OutOfRange {
            name: "TVD budget c",
            value: c,
            range: "[0, 1]",
        });
    }
    Ok(c)
}
