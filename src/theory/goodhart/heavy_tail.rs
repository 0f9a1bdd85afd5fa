//! Theorem 1 (heavy-tailed Q: mean > M at KL < ε, the P_t construction).
//!
//! Kwa, Thomas, Garriga-Alonso 2024; spec: `../shared/spec/kwa2024.md`.

use crate::report::Check;
use crate::theory::CheckOptions;

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
