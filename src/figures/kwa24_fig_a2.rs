//! Figure A.2: the four regions of Theorem 5's proof.

use super::FigureSpec;

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[];
