//! Theorems 5 and 6 and the weakened-independence counterexample (E[V | X+V ≥ t]).
//!
//! Kwa, Thomas, Garriga-Alonso 2024; spec: `../shared/spec/kwa2024.md`.

use crate::report::Check;
use crate::theory::CheckOptions;

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
