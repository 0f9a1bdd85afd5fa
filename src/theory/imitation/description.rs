//! Proposition 2: a prefix-free integer description language and the simplest unprecedented time m(t) (check C4).
//!
//! Cohen, Hutter, Bengio, Russell 2024; spec: `../shared/spec/cohen2024.md`.

use crate::report::Check;
use crate::theory::CheckOptions;

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
