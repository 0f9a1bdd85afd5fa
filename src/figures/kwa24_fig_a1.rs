//! Figure A.1: the Theorem 1 construction P_t on Student-t(3) (three stills + the threshold sweep).

use super::FigureSpec;

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[];
