//! Numerical building blocks every exact result depends on: log-space sums, compensated
//! (Neumaier) summation and the sample moments built on it, named tolerances, safeguarded root
//! finding, golden-section search and adaptive quadrature.

pub mod fastexp;
pub mod logsumexp;
pub mod moments;
pub mod optimize;
pub mod quad;
pub mod roots;
pub mod sum;
pub mod tolerance;

pub use logsumexp::{logaddexp, logsumexp, logsumexp_weighted};
pub use sum::{neumaier_sum, Neumaier};
pub use tolerance::{tol, Tolerance};
