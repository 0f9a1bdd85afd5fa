//! Theorems 3 and 4: the pessimistic imitator that asks for help (check C6).
//!
//! Cohen, Hutter, Bengio, Russell 2024; spec: `../shared/spec/cohen2024.md`.

use crate::report::Check;
use crate::theory::CheckOptions;

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
