//! `goodhart llm …`: the command-line side of the LLM stack (crate `goodhart-llm`, feature `llm`).
//!
//! The models, the probe and the KL-budget experiment live in `experiments/llm`; this module
//! parses the subcommands, feeds reward samples to the tail module ([`crate::estimate`]) and writes
//! figures, tidy CSV and provenance through [`crate::output`], like every other figure.
//!
//! - [`cli`]: parses `goodhart llm …` and dispatches (the top: nothing here imports it);
//! - [`train_small`]: `llm train-small`, also called by `validate` and `bench` for missing models;
//! - [`tail_probe`]: `llm probe`, the reward-model tail probe (Kwa et al. 2024 §4);
//! - [`validate`]: `llm validate` and `llm train` (Cohen et al. 2024's KL-budget experiment):
//!   `runs`, `simplicity` (the Table 1 stand-in), `verdict`, `figures`, `report`;
//! - [`figures`]: what each LLM figure is ([`figures::SPECS`], in `figure --list`) and its writing;
//! - [`score`], [`reward`], [`plan`]: `llm score`, `llm reward`, `llm plan`;
//! - [`checks`]: the LLM stack's checks in the theorem report.

pub mod checks;
pub mod cli;
pub mod figures;
pub mod plan;
pub mod reward;
pub mod score;
pub mod tail_probe;
pub mod train_small;
pub mod validate;
