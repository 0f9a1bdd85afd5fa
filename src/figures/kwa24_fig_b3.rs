//! Figure B.3: synthetic best-of-N, 2 x 5 grid.

use super::FigureSpec;

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[];
