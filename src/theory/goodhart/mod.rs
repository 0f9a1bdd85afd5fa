//! Kwa, Thomas, Garriga-Alonso 2024, *Catastrophic Goodhart: regularizing RLHF with KL
//! divergence does not mitigate heavy-tailed reward misspecification* (NeurIPS 2024;
//! spec: `../shared/spec/kwa2024.md`).
//!
//! Proxy reward `U = X + V` (error plus true utility). Heavy-tailed `X`: policies reach
//! arbitrarily high `E[U]` at vanishing KL with `E[V]` no higher than the base policy's.
//! Light-tailed independent `X`: KL-regularised optimisation raises `E[V]`.
//!
//! | result | module |
//! |---|---|
//! | Theorem 1 | [`heavy_tail`] |
//! | Theorem 2 | [`light_tail`] |
//! | Theorem 3, Corollary 1 | [`policy`] |
//! | Theorem 4 | [`independence`] |
//! | Theorems 5, 6, counterexample | [`conditioning`] |
//! | best-of-n (Gao 2022, Beirami 2024, Figure B.3) | [`best_of_n`] |
//! | §4.1 ACG arithmetic, Table 1 | [`acg`] |

pub mod acg;
pub mod best_of_n;
pub mod conditioning;
pub mod heavy_tail;
pub mod independence;
pub mod light_tail;
pub mod policy;

use crate::report::Check;
use crate::report::CheckOptions;

/// Every check of this paper (and of the best-of-n literature it uses), in a stable order.
pub fn checks(opts: &CheckOptions) -> Vec<Check> {
    let mut v = Vec::new();
    v.extend(crate::dist::tails::checks(opts));
    v.extend(heavy_tail::checks(opts));
    v.extend(light_tail::checks(opts));
    v.extend(policy::checks(opts));
    v.extend(independence::checks(opts));
    v.extend(conditioning::checks(opts));
    v.extend(best_of_n::checks(opts));
    v.extend(acg::checks(opts));
    v
}
