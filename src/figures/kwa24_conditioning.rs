//! E[V | X+V >= t] against t for each pair of laws (no paper figure).

use super::FigureSpec;

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[];
