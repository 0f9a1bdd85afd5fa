//! Figures of Cohen et al. 2024 built on the TVD and pessimistic results: TVD vs KL mass movement, ask-for-help over time.

use super::FigureSpec;

/// The figure(s) this module produces (one module may hold several figures, each with its own id).
pub static SPECS: &[&FigureSpec] = &[];
