//! Continuous laws for the error `X` and the utility `V`: thin adapters over statrs (parameter
//! types, some densities) and rand_distr (sampling), plus what they lack: tail-exact `sf` /
//! `ln_sf` / `ln_cdf` (never `1 − cdf`, never `ln 0` while the value is representable), closed-form
//! partial means `E[X·1{X>t}]` and log-MGFs, the paper's tail class, affine transforms (e.g.
//! `t₃·√(1/3)`, `lognormal − 1`), user-supplied laws (tabulated density, empirical sample) and a
//! serde spec so users can name laws in TOML (`{ family = "student_t", df = 3.0 }`).
//!
//! [`tails`] holds the numerical evidence for the tail classes (Kwa et al. 2024 §2.2, Theorems 5
//! and 6 hypotheses) and their report checks.

pub mod columns;
mod law;
#[cfg(test)]
mod props;
mod special;
pub mod tails;
mod user;

pub use law::{Law, LawSpec};
pub(crate) use special::{normal_quantile_erfc, normal_quantile_two_sided};
pub use user::{Empirical, Tabulated};
