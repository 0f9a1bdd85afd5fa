//! Estimators on samples: tail-index estimators for deciding heavy vs light tails.

pub mod hill;

pub use hill::{hill, hill_all_k, top_descending};
pub mod alternatives;
pub mod gof;
pub mod lrt;
pub mod verdict;
