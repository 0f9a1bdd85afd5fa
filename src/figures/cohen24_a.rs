//! Figures of Cohen et al. 2024 built on the Bayesian imitator: KL needed vs horizon, value vs budget, m(t) vs 2·log2 t.

use super::FigureSpec;

/// The figure(s) this module produces (one module may hold several figures, each with its own id).
pub static SPECS: &[&FigureSpec] = &[];
