//! Cohen, Hutter, Bengio, Russell 2024, *RL, but don't do anything I wouldn't do*
//! (spec: `../shared/spec/cohen2024.md`).
//!
//! KL to a Bayesian imitator of a trusted policy does not keep an agent safe: the imitator must
//! keep credence on simple behaviours the demonstrator never showed, so an agent can switch to
//! one at a KL cost that does not grow with the episode. A pessimistic imitator that asks for
//! help when unsure blocks it.
//!
//! | result | module |
//! |---|---|
//! | Proposition 1 | [`triangle`] |
//! | Bayesian imitators (base policies) | [`class`] |
//! | Theorem 1 | [`switching`] |
//! | Proposition 2 | [`description`] |
//! | Theorem 2 | [`tvd`] |
//! | Theorems 3, 4 | [`pessimistic`] |
//! | Propositions 3–8 (appendix; finite instances) | [`appendix`] |

pub mod appendix;
pub mod class;
pub mod description;
pub mod pessimistic;
pub mod switching;
pub mod triangle;
pub mod tvd;

use crate::report::Check;
use crate::report::CheckOptions;

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
