//! Kwa, Thomas, Garriga-Alonso 2024, *Catastrophic Goodhart: regularizing RLHF with KL
//! divergence does not mitigate heavy-tailed reward misspecification* (NeurIPS 2024;
//! spec: `../shared/spec/kwa2024.md`).
//!
//! Proxy reward `U = X + V` (error plus true utility). Heavy-tailed `X`: policies reach
//! arbitrarily high `E[U]` at vanishing KL with `E[V]` no higher than the base policy's.
//! Light-tailed independent `X`: KL-regularised optimisation raises `E[V]`.

use crate::figures::FigureSpec;
use crate::report::Check;
use crate::theory::CheckOptions;

/// Every check of this paper (and of the best-of-n literature it uses), in a stable order.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    let v = Vec::new();
    v
}

/// The figures of this paper.
pub fn figures() -> Vec<&'static FigureSpec> {
    Vec::new()
}
