//! Environments as exact data.
//!
//! [`tree`]: deterministic-transition MDPs with Markovian returns (DMRMDPs, Kwa et al. 2024
//! §3.2; spec §1.9) in their simplest complete form, a tree of fixed depth whose leaves are the
//! sink states. Policies, trajectory distributions, state occupancies and the two readings of
//! the paper's policy KL are computed exactly from arrays.

pub mod tree;

pub use tree::{kl_per_state, kl_traj, TreeMdp, TreePolicy, TreeShape};
