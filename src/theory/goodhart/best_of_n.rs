//! Best-of-n: exact KL, the log n − (n−1)/n bound, Beirami's counterexample, exact winner values.
//!
//! Kwa, Thomas, Garriga-Alonso 2024; spec: `../shared/spec/kwa2024.md`.

use crate::report::Check;
use crate::theory::CheckOptions;

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
