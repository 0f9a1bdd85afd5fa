//! Finite distributions and the exact quantities the theorems are about: validated
//! probability vectors, exact KL divergence, and the KL-regularised (tilted) policy
//! `π_β ∝ π₀·exp(U/β)` with its expectations, KL and the β that meets a KL budget.

pub mod kl;
pub mod probs;
pub mod sweep;
pub mod tails;
pub mod tilt;

pub use kl::{kl, kl_logs};
pub use probs::{LogProbs, Probs};
pub use sweep::{tilt_sweep, SweepPoint, TiltSweep};
pub use tails::TailClass;
pub use tilt::{Tilt, TiltPoint};
