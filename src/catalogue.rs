//! The catalogue of every check: the papers' results ([`crate::theory`]), the tail verdict's
//! checks ([`crate::estimate::verdict`]), the empirical figure's ([`crate::figures::kwa24_empirical`])
//! and, under feature `llm`, the LLM stack's ([`crate::llm::checks`]). It sits above all of them so
//! that none of them imports the place that gathers them (no import cycle); the figure catalogue is
//! [`crate::figures::registry`].

use crate::report::{CheckOptions, Paper, Report};

/// Runs every check (optionally only one paper's).
pub fn report(opts: &CheckOptions, paper: Option<Paper>) -> Report {
    let mut checks = Vec::new();
    checks.extend(crate::theory::goodhart::checks(opts));
    checks.extend(crate::theory::imitation::checks(opts));
    checks.extend(crate::estimate::verdict::checks(opts));
    checks.extend(crate::figures::kwa24_empirical::checks(opts));
    #[cfg(feature = "llm")]
    checks.extend(crate::llm::checks::checks(opts));
    if let Some(p) = paper {
        checks.retain(|c| c.paper == p);
    }
    Report { checks }
}
