//! The papers' results, one module per paper; each result is computed on every run and
//! reported as a [`crate::report::Check`]. The catalogue of every check (these and the ones of
//! `estimate`, `figures` and `llm`) is [`crate::catalogue`].

pub mod goodhart;
pub mod imitation;
