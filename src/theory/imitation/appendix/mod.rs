//! Propositions 3–8 of Cohen et al. 2024 (appendix; spec §1.3, §1.10, §2.7) as finite,
//! computable instances.
//!
//! Files: Proposition 3 in [`programs`], 4 in [`truncated_mixture`](mod@truncated_mixture), 5 in [`dovetailing`], 6 and 7
//! in [`clock_bandit`], 8 in [`kl_optimiser`]; the report's checks of all six in [`checks`](mod@checks).
//!
//! The propositions are **computability statements** about infinite objects — all programs of a
//! universal language, the Solomonoff mixture, optimisers defined as limits of compute. No finite
//! computation proves them. What can be checked, and is checked here on every run, is that the
//! constructions used in their proofs behave as the proofs say on small explicit instances:
//!
//! | result | statement (spec §2.7) | finite instance checked here |
//! |---|---|---|
//! | Prop 3 | programs with random bits = lower semi-computable semi-distributions | two small programs with random bits ([`GeometricParity`], [`Rejection`]); their output probabilities estimated by running them on all random-bit strings with ≤ i steps are non-decreasing in i and reach the closed-form probabilities; conversely the interval sampler built from those monotone estimates ([`sampler_estimates`]) outputs the same semi-distribution |
//! | Prop 4 | ξ is any-time computable: ξ̂_i → ξ, each a semi-distribution | the C2 clock-world mixture truncated to models of code length ≤ i ([`truncated_mixture()`]): monotone in i, each a semimeasure of mass ≤ 1, within the tail mass `Σ_{ℓ>i} 2^{−ℓ}` of ξ, equal to the grouped [`ClockMixture`](crate::theory::imitation::class::clock::ClockMixture) once i reaches the longest code |
//! | Prop 5 | the value of lower semi-computable π in ν is lower semi-computable | a policy and an environment that are programs with random bits; dovetailed value estimates (every conditional estimated with i steps) rise monotonically to the exact value ([`dovetailed_values`]) |
//! | Prop 6 | optimisers exist | in a finite Bayesian "clock bandit" ([`ClockBandit`]) the expectimax dynamic programme over ξ equals the best of all 2^15 deterministic policies of horizon 4 found by brute force |
//! | Prop 7 | a ξ-optimiser exists via the un-normalised ξ_small | ξ_small (prior `2^{−ℓ}`, no normalisation) gives the same greedy action at every history, its value is `ξ_small(h)·V*`, and its optimal value is non-decreasing as models are added (lower semi-computable), unlike ξ's |
//! | Prop 8 | KL-regularised optimisers exist | the exact KL-budgeted agent of Theorem 1 ([`CountTilt`](crate::theory::imitation::switching::CountTilt)) spends at most its budget, equals the per-step soft-Bellman policy computed by a different algorithm, and no policy on a 101³ grid of stochastic policies within the budget beats it |
//!
//! **Programs with random bits** ([`BitProgram`]). A program is a state machine: each step it
//! reads one fair random bit, computes without reading, or halts with an output symbol. The
//! probability that it halts within `i` steps with output `x`,
//!
//! ```text
//! ν̂_i(x | context) = Σ_{random-bit strings s that make p halt with x within i steps} 2^{−|s|}
//! ```
//!
//! is computed by [`run_program`] exactly (up to rounding) by propagating the mass of every
//! configuration step by step; strings that reach the same state are merged, since the future of
//! a run depends only on its state. A string that halts within i steps also halts within i + 1,
//! so `ν̂_i` is non-decreasing in i, and its limit is the program's semi-distribution (the missing
//! mass is the probability of never halting) — the "simulate p on all strings with ≤ i steps"
//! half of Prop 3's proof.
//!
//! **Truncated mixture** (Prop 4): `ξ̂_i(x) = Σ_{ν: ℓ(ν) ≤ i} 2^{−ℓ(ν)} ν(x)` (un-normalised) is
//! computable, non-decreasing in i, `Σ_{x ∈ X^n} ξ̂_i(x) = Σ_{ℓ(ν) ≤ i} 2^{−ℓ(ν)} ≤ 1`, and
//! `0 ≤ ξ(x) − ξ̂_i(x) ≤ Σ_{ℓ(ν) > i} 2^{−ℓ(ν)}`. Its conditionals `ξ̂_i(x|h) = ξ̂_i(hx)/ξ̂_i(h)`
//! converge but need not be monotone (ξ is any-time computable, not lower semi-computable).
//!
//! **ξ_small** (Prop 7): with `S(h) = Σ_ν 2^{−ℓ(ν)} ν(o_{<t} | a_{<t})` the un-normalised
//! observation evidence, `V_small(h) = max_a Σ_o V_small(hao)`, `V_small(leaf) = S(leaf)·U(leaf)`
//! satisfies `V_small(h) = S(h)·V*_ξ(h)` (actions do not change S), so it has ξ's argmax; being a
//! max of sums of non-negative terms it only grows when models are added.
//!
//! Reference: Cohen, Hutter, Bengio, Russell 2024, arXiv:2410.06213v1, Appendices A–C; spec
//! `../shared/spec/cohen2024.md` §1.3, §1.10, §2.7.

pub mod checks;
pub mod clock_bandit;
pub mod dovetailing;
pub mod kl_optimiser;
pub mod programs;
#[cfg(test)]
mod tests;
pub mod truncated_mixture;

pub use checks::{
    checks, BANDIT_HORIZON, BANDIT_SAFE, BANDIT_T_MAX, PROGRAM_BUDGET, PROP4_LENGTH, PROP8_K,
};
pub use clock_bandit::{BanditTree, ClockBandit, BANDIT_LAYOUT, MAX_BANDIT_HORIZON};
pub use dovetailing::dovetailed_values;
pub use kl_optimiser::{clock_action_tree, soft_bellman, soft_bellman_for_budget};
pub use programs::{
    run_program, sampler_estimates, BitProgram, GeometricParity, GeometricState, HaltingProfile,
    Outcome, Rejection, RejectionState, Step, MAX_CONFIGURATIONS,
};
pub use truncated_mixture::{clock_code_lengths, cumulative, truncated_mixture};
