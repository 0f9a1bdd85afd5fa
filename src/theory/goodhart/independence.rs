//! Theorem 4 (light independent X, V: E[V] → ∞ under the factorised tilt).
//!
//! Kwa, Thomas, Garriga-Alonso 2024; spec: `../shared/spec/kwa2024.md`.

use crate::report::Check;
use crate::theory::CheckOptions;

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
