//! Estimators on samples: tail-index estimators for deciding heavy vs light tails, and the
//! plots that show them.

pub mod hill;
pub mod plots;
#[cfg(test)]
mod reference_vectors;
pub mod tail_index;
mod tail_validation;
pub mod threshold;

pub use hill::{hill, hill_all_k, top_descending};
pub mod alternatives;
pub mod discrete;
pub mod gof;
pub mod lrt;
pub mod verdict;
