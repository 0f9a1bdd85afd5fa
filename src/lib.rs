//! # goodhart
//!
//! Makes two results about KL-regularised RL checkable by anyone:
//!
//! | paper | results | module |
//! |---|---|---|
//! | Kwa, Thomas, Garriga-Alonso 2024, *Catastrophic Goodhart* | Theorems 1–6, Corollary 1, the weakened-independence counterexample, best-of-n | [`theory::goodhart`] |
//!
//! Layout: [`numerics`] and [`prob`] are the exactness layer every theorem depends on
//! (log-space, Neumaier sums, exact KL, the tilted policy); [`dist`] the continuous laws with
//! their tails; [`env`](mod@env) exact tree MDPs (DMRMDPs) as arrays; [`theory`] the results
//! as [`report::Check`]s; [`figures`] one producer per figure (compute → tidy table → SVG)
//! writing through [`output`]; [`config`] the TOML boundary; [`sim`] seeds, progress and
//! Ctrl-C; [`cli`] the `goodhart` command.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bench;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod dist;
pub mod env;
pub mod error;
pub mod estimate;
pub mod figures;
#[cfg(feature = "llm")]
pub mod llm;
pub mod numerics;
pub mod output;
pub mod plot;
pub mod prob;
pub mod report;
pub mod sim;
pub mod theory;

pub use error::{Error, Result};
