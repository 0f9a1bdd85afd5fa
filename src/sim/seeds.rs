//! Seed plumbing: one master seed per run; each work unit gets its own ChaCha8 stream derived
//! from `(master, path)`, so adding a component never shifts the others and the thread count
//! never changes results (rand book, "parallel RNGs", approach 4).
//!
//! The rule lives in the workspace crate `goodhart-seeds` (`crates/seeds`, with its tests), which
//! the LLM crate uses too; this module re-exports it, so every root output is unchanged.

pub use goodhart_seeds::{block_rng, fnv1a64, stream_rng, stream_seed, Rng64, DEFAULT_SEED};
