//! Theorem 1 made numerical: the KL cost of switching to a simple unprecedented behaviour, and the KL-budgeted agent (checks C2, C3).
//!
//! Cohen, Hutter, Bengio, Russell 2024; spec: `../shared/spec/cohen2024.md`.

use crate::report::Check;
use crate::theory::CheckOptions;

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
