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
//! | Theorem 1, Figure A.1 | [`heavy_tail`] |
//! | Theorem 2 | [`light_tail`] |
//! | Theorem 3, Corollary 1 | [`policy`] |
//! | Theorem 4 | [`independence`] |
//! | Theorems 5, 6, Lemmas 1–2, Table A.1, §5.2 counterexample | [`conditioning`] |
//! | best-of-n (Gao 2022, Beirami 2024, Figure B.3) | [`best_of_n`] |
//! | §4.1 ACG arithmetic, Table 1 | [`acg`] |
//!
//! Each result's module keeps its maths in `mod.rs` (or named files), the report's checks in
//! `checks.rs` (`Check::from(Claim {..})` and the `checks(opts)` entry point) and long unit and
//! property tests in `tests.rs`; values printed in the spec are read by [`crate::report::printed`].

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
