//! `goodhart llm …`: the command-line side of the LLM stack (crate `goodhart-llm`, feature `llm`).
//!
//! The models, the probe and the KL-budget experiment live in `experiments/llm`; this module
//! parses the subcommands, feeds reward samples to the tail module ([`crate::estimate`]) and writes
//! figures, tidy CSV and provenance through [`crate::output`], like every other figure.

pub mod checks;
pub mod cli;
pub mod figures;
pub mod plan;
pub mod reward;
pub mod score;
pub mod tail_probe;
pub mod train_small;
pub mod validate;
