//! Figures: one producer per figure (compute → tidy table → SVG), a registry instead of a
//! Makefile (the LLM commands' figures listed in it under feature `llm`), and one writer
//! ([`crate::output::figure_files`]) that saves `ID.svg`, `ID.csv` (tidy) and `ID.json`
//! (provenance) atomically. Each producer parses its own typed config from the embedded default
//! (`simulations/ID.toml`) or a user's file. [`tails`] is the tail figure of `goodhart tails` and
//! of the reward probe.

mod registry;

pub mod cohen24_ask_for_help;
pub mod cohen24_kl_vs_horizon;
pub mod cohen24_simplest_time;
pub mod cohen24_tvd_kl_mass;
pub mod cohen24_value_vs_budget;
pub mod kwa24_conditioning;
pub mod kwa24_empirical;
pub mod kwa24_fig_a1;
pub mod kwa24_fig_a2;
pub mod kwa24_fig_b3;
pub mod kwa24_kl_frontier;
pub mod kwa24_tilt;
pub mod tails;

#[cfg(test)]
pub(crate) use registry::testing;
pub use registry::{run_figure, write_index, FigureInput, FigureOutput, FigureSpec, RunOptions};
