//! Theorem 3 and Corollary 1 (DMRMDP / policy version, exact tree MDP, chain rule).
//!
//! Kwa, Thomas, Garriga-Alonso 2024; spec: `../shared/spec/kwa2024.md`.

use crate::report::Check;
use crate::theory::CheckOptions;

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
