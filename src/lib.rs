//! # goodhart
//!
//! Makes two results about KL-regularised RL checkable by anyone:
//!
//! | paper | results | module |
//! |---|---|---|
//! | Kwa, Thomas, Garriga-Alonso 2024, *Catastrophic Goodhart* | Theorems 1–6, Corollary 1, Lemmas 1–2, the weakened-independence counterexample, best-of-n, ACG | [`theory::goodhart`] |
//! | Cohen, Hutter, Bengio, Russell 2024, *RL, but don't do anything I wouldn't do* | Propositions 1–8, Theorems 1–4, the pessimistic imitator | [`theory::imitation`] |
//! | both, on language models (feature `llm`, crate `goodhart-llm`) | Kwa §4's reward-model tail probe, Cohen §3's KL-budget experiment | `llm` |
//!
//! Each result is a folder: the maths in its `mod.rs` (whose first doc line names the result), the
//! report's [`report::Check`]s in `checks.rs`, the tests in `tests.rs`.
//!
//! Layers, bottom to top (a module imports only from layers below its own; `LAYERS` in
//! `tests/it/module_cycles.rs` is this list, and that test also checks that no modules, at any
//! depth, import each other in a cycle):
//! 1. [`numerics`] (log-space, Neumaier sums, moments, golden section, quadrature, tolerances) and
//!    [`sim`] (seeds from `(seed, unit path)`, observers, Ctrl-C);
//! 2. [`report`] (a [`report::Check`] is built from a [`report::Claim`] with named fields);
//! 3. [`output`] (tables, atomic writes, provenance, the one figure writer, the one progress bar),
//!    [`plot`] (the house style), [`config`] (the TOML boundary);
//! 4. [`prob`] (exact KL, the tilted policy), then [`dist`] (continuous laws with their tails, the
//!    normal quantile, the CSV column reader);
//! 5. [`estimate`] (tail estimators and the heavy/light verdict) and [`env`](mod@env) (exact tree MDPs);
//! 6. [`theory`] (the papers' results as checks);
//! 7. [`figures`] (one producer per figure: compute → tidy table → SVG), then `llm` (the
//!    `goodhart llm …` commands);
//! 8. [`catalogue`] (every check and every figure), then [`bench`](mod@bench) and [`cli`](mod@cli) (the command line).
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
