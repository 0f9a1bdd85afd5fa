//! Numerical building blocks every exact result depends on: log-space sums, compensated
//! (Neumaier) summation, named tolerances and safeguarded root finding.

pub mod fastexp;
pub mod logsumexp;
pub mod quad;
pub mod roots;
pub mod sum;
pub mod tolerance;

pub use logsumexp::{logsumexp, logsumexp_weighted};
pub use sum::{neumaier_sum, Neumaier};
pub use tolerance::{tol, Tolerance};
