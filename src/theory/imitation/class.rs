//! Model classes and Bayesian imitators as base policies (clock world, context-tree weighting, user-defined finite classes).
//!
//! Cohen, Hutter, Bengio, Russell 2024; spec: `../shared/spec/cohen2024.md`.

use crate::report::Check;
use crate::theory::CheckOptions;

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
