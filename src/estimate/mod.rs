//! Estimators on samples: tail-index estimators for deciding heavy vs light tails.

pub mod hill;
pub mod tail_index;
mod tail_validation;
pub mod threshold;

pub use hill::{hill, hill_all_k, top_descending};
