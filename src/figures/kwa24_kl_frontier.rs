//! E[V] and E[U] against KL under the optimal tilt, heavy vs light error (no paper figure).

use super::FigureSpec;

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[];
