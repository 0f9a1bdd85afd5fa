//! # goodhart
//!
//! Makes two results about KL-regularised RL checkable:
//!
//! | paper | result | module |
//! |---|---|---|
//! | Kwa, Thomas, Garriga-Alonso 2024, *Catastrophic Goodhart* | Theorems 1–6, Corollary 1, counterexample, best-of-n | [`theory::goodhart`] |
//!
//! The exactness layer ([`numerics`], [`prob`]) is shared by every result: validated
//! distributions, log-space sums, Neumaier summation, exact KL and the tilted policy.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod numerics;
pub mod prob;

pub use error::{Error, Result};
