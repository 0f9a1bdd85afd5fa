//! Cohen, Hutter, Bengio, Russell 2024, *RL, but don't do anything I wouldn't do*
//! (spec: `../shared/spec/cohen2024.md`).
//!
//! KL to a Bayesian imitator of a trusted policy does not keep an agent safe: the imitator must
//! keep credence on simple behaviours the demonstrator never showed, so an agent can switch to
//! one at a KL cost that does not grow with the episode. A pessimistic imitator that asks for
//! help when unsure blocks it.
//!
//! | result | maths | checks |
//! |---|---|---|
//! | Proposition 1 (KL has no triangle inequality, C1) | [`triangle`] | [`triangle::checks`](mod@triangle::checks) |
//! | Bayesian imitators (base policies, C2) | [`class`] ([`class::clock`], [`class::ctw`]) | [`class::checks`](mod@class::checks) |
//! | Theorem 1 (switching KL, C2, C3) | [`switching`] | [`switching::checks`](mod@switching::checks) |
//! | Proposition 2 (simplest unprecedented time, C4) | [`description`] | [`description::checks`](mod@description::checks) |
//! | Theorem 2 (TVD vs KL constraint, C5) | [`tvd`] ([`tvd::bandit`], [`tvd::tree`]) | [`tvd::checks`](mod@tvd::checks) |
//! | Theorems 3, 4 (pessimistic imitator, C6) | [`pessimistic`] ([`pessimistic::montecarlo`]) | [`pessimistic::checks`](mod@pessimistic::checks) |
//! | Propositions 3–8 (appendix; finite instances) | [`appendix`] (one file per proposition) | [`appendix::checks`](mod@appendix::checks) |
//!
//! Each result's maths is in its module, the report's checks beside it in a `checks.rs`, long
//! unit tests in a `tests.rs`; the figures are `src/figures/cohen24_*.rs`, one file per figure.

pub mod appendix;
pub mod class;
pub mod description;
pub mod pessimistic;
pub mod switching;
pub mod triangle;
pub mod tvd;

use crate::error::Result;
use crate::report::CheckOptions;
use crate::report::{Check, Paper};

/// Every check of this paper, in a stable order.
pub fn checks(opts: &CheckOptions) -> Vec<Check> {
    let mut v = Vec::new();
    v.extend(triangle::checks(opts));
    v.extend(class::checks(opts));
    v.extend(switching::checks(opts));
    v.extend(description::checks(opts));
    v.extend(tvd::checks(opts));
    v.extend(pessimistic::checks(opts));
    v.extend(appendix::checks(opts));
    v
}

/// The checks `computed` returned or, if computing them failed, one failed check `id` of
/// `result` (Cohen et al. 2024) that carries the error: how every module of this paper keeps a
/// failure visible in the report instead of dropping its checks.
pub(crate) fn checks_or_failed(id: &str, result: &str, computed: Result<Vec<Check>>) -> Vec<Check> {
    crate::report::checks_or_failed(id, Paper::Cohen2024, result, computed)
}
