//! The catalogue: what exists. Every check (the papers' results in [`crate::theory`], the tail
//! verdict's checks in [`crate::estimate::verdict`], the empirical figures' in
//! [`crate::figures::kwa24_empirical`] and, under feature `llm`, the LLM stack's in
//! [`crate::llm::checks`]) and every figure (the producers in [`crate::figures`] and, under feature
//! `llm`, the figures that `goodhart llm …` makes from trained models, [`crate::llm::figures`]).
//! It sits above all of them so that none of them imports the place that gathers them (no import
//! cycle): adding a check or a figure means one line here.

use crate::error::{Error, Result};
use crate::figures::FigureSpec;
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

/// Every registered figure, in `reproduce` order.
pub fn figures() -> Vec<&'static FigureSpec> {
    let mut v: Vec<&'static FigureSpec> = Vec::new();
    for specs in [
        // Kwa, Thomas, Garriga-Alonso 2024.
        crate::figures::kwa24_fig_a1::SPECS,
        crate::figures::kwa24_kl_frontier::SPECS,
        crate::figures::kwa24_fig_a2::SPECS,
        crate::figures::kwa24_conditioning::SPECS,
        crate::figures::kwa24_fig_b3::SPECS,
        crate::figures::kwa24_tilt::SPECS,
        crate::figures::kwa24_empirical::SPECS,
        // Cohen, Hutter, Bengio, Russell 2024.
        crate::figures::cohen24_kl_vs_horizon::SPECS,
        crate::figures::cohen24_value_vs_budget::SPECS,
        crate::figures::cohen24_simplest_time::SPECS,
        crate::figures::cohen24_tvd_kl_mass::SPECS,
        crate::figures::cohen24_ask_for_help::SPECS,
    ] {
        v.extend(specs.iter().copied());
    }
    v
}

/// The LLM figures (feature `llm`): made by a `goodhart llm …` command from trained models, so
/// `reproduce` and `figure ID` do not make them; `figure --list` shows them with that command.
#[cfg(feature = "llm")]
pub fn llm_figures() -> &'static [&'static crate::llm::figures::LlmFigureSpec] {
    crate::llm::figures::SPECS
}

/// Looks up a figure by id.
///
/// # Errors
/// [`Error::UnknownId`] listing the known ids; for an LLM figure, [`Error::Other`] naming the
/// command that makes it.
pub fn find_figure(id: &str) -> Result<&'static FigureSpec> {
    #[cfg(feature = "llm")]
    if let Some(l) = llm_figures().iter().find(|s| s.id == id) {
        return Err(Error::Other(format!(
            "figure `{id}` needs trained models: `{}` makes it",
            l.command
        )));
    }
    let all = figures();
    all.iter()
        .copied()
        .find(|s| s.id == id)
        .ok_or_else(|| Error::UnknownId {
            id: id.to_string(),
            known: all.iter().map(|s| s.id).collect::<Vec<_>>().join(", "),
        })
}
