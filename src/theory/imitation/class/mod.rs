//! The Bayesian imitators of Cohen et al. 2024 (spec §1–§2.2, check C2): model classes and
//! Bayesian mixtures as base policies — the clock world of check C2, context-tree weighting, and
//! user-defined finite classes.
//!
//! A **model** ν is a (semi-)distribution over the next symbol of an interleaved history
//! `a_1 o_1 a_2 o_2 …` (or an action-only history). A **model class** is a finite list of models
//! with a prior; the **Bayesian imitator** is the mixture ξ with split action/observation
//! posteriors (spec §1.2, §1.4; Catt et al. 2023):
//!
//! ```text
//! w(ν)              = 2^{−ℓ(ν)} / Σ_ν' 2^{−ℓ(ν')}        (ℓ = code length in bits; or a given normalised prior)
//! w_a(ν | x_{<t})   ∝ w(ν) · Π_{action positions j < t}      ν(x_j | x_{<j})
//! w_o(ν | x_{<t})   ∝ w(ν) · Π_{observation positions j < t} ν(x_j | x_{<j})
//! ξ(x | x_{<t})     = Σ_ν w_r(ν | x_{<t}) · ν(x | x_{<t}),   r = role (action/observation) of position t
//! ```
//!
//! so the product of ξ's action conditionals over a block is `Σ_ν w_a(ν|h)·ν(actions | h, observations)`
//! and the action posterior does not move when observations arrive.
//!
//! Everything is exact in log space: posteriors are kept as unnormalised log joints
//! `ln w(ν) + Σ ln ν(·)` and normalised with [`logsumexp()`](fn@crate::numerics::logsumexp) (compensated). A code-length prior is the
//! explicit, documented normalisation `2^{−ℓ}/K` with the Kraft sum `K = Σ 2^{−ℓ} ≤ 1` (checked: a
//! class whose code lengths violate Kraft's inequality cannot come from a prefix-free code and is
//! refused). A prior given as probabilities must already sum to one ([`Probs`](crate::prob::Probs)); nothing is
//! renormalised silently.
//!
//! Interfaces:
//! * [`Model`]: one semi-distribution, a pure function of the history ([`SeqModel`] built from
//!   [`Rule`]s: Bernoulli, categorical, constant, deterministic sequence, Markov, switch).
//! * [`ModelClass`] + [`Posterior`]: the enumerated class, posterior weights, ranking, MAP model —
//!   what the pessimistic imitator needs.
//! * [`BasePolicy`]: a predictor updated on data with exact sequence probabilities; implemented by
//!   [`Mixture`] (any [`ModelClass`]), [`FixedPolicy`] (one model, e.g. the demonstrator),
//!   [`clock::ClockMixture`] (the 37k-model clock world, grouped analytically, O(J) per step) and
//!   [`ctw::Ctw`] (context-tree weighting).
//!
//! Files: [`history`] (roles, layout, histories), [`model`] (models and config rules),
//! [`model_class`] (class and posterior), [`base_policy`] (the base-policy interface, the mixture,
//! a fixed model), [`clock`], [`ctw`], [`config`]; the report's checks in [`checks`](mod@checks).
//!
//! Reference: Cohen, Hutter, Bengio, Russell 2024, spec `../shared/spec/cohen2024.md` §1–§2.2, §5 C2.

pub mod clock;
pub mod config;
pub mod ctw;

pub mod base_policy;
pub mod checks;
pub mod history;
pub mod model;
pub mod model_class;
#[cfg(test)]
mod tests;

pub use base_policy::{complete_binary, BasePolicy, FixedPolicy, Mixture};
pub use checks::checks;
pub(crate) use checks::exact_check;
pub use history::{History, Layout, Role};
pub use model::{CompiledRule, Model, Rule, SeqModel};
pub use model_class::{ModelClass, Posterior};
