//! The papers' results, one module per paper; each result is computed on every run and
//! reported as a [`crate::report::Check`].

pub mod goodhart;
pub mod imitation;

use crate::report::{Paper, Report};

/// Options for a theorem run.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Master seed for the Monte-Carlo checks.
    pub seed: u64,
    /// CI preset (fewer Monte-Carlo draws).
    pub quick: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            seed: crate::sim::seeds::DEFAULT_SEED,
            quick: false,
        }
    }
}

/// Runs every check (optionally only one paper's).
pub fn report(opts: &CheckOptions, paper: Option<Paper>) -> Report {
    let mut checks = Vec::new();
    checks.extend(goodhart::checks(opts));
    checks.extend(imitation::checks(opts));
    checks.extend(crate::estimate::verdict::checks(opts));
    checks.extend(crate::figures::kwa24_empirical::checks(opts));
    #[cfg(feature = "llm")]
    checks.extend(crate::llm::checks::checks(opts));
    if let Some(p) = paper {
        checks.retain(|c| c.paper == p);
    }
    Report { checks }
}
