//! Context-tree weighting (Willems, Shtarkov, Tjalkens 1995): the exact Bayesian mixture over
//! prediction suffix trees of depth ≤ D with Krichevsky–Trofimov leaves. (In progress.)

use crate::report::Check;
use crate::theory::CheckOptions;

/// The checks of this module.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
