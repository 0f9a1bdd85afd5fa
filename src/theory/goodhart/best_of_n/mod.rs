//! Figure B.3 of Kwa et al. 2024 (Appendix B) and the best-of-n KL bound (Gao et al. 2022;
//! Beirami et al. 2024, Theorem 1 and its counterexample): the exact KL of the best-of-n policy,
//! the `ln n − (n−1)/n` bound and Beirami's counterexample to its tightness; and the exact expected
//! values of the best-of-N winner when the proxy is `U = V + X`.
//!
//! **KL of best-of-n** ([`finite`]). On a finite base `π₀` ranked by reward (ties broken
//! uniformly among the tied draws),
//!
//! ```text
//! π_n(level ℓ) = F(≤ ℓ)^n − F(< ℓ)^n,    KL(π_n ‖ π₀) ≤ ln n − (n−1)/n
//! ```
//!
//! with equality for continuous rewards (Gao, Schulman, Hilton 2022; proved in Beirami et al.
//! 2024, "Theoretical guarantees on the best-of-n alignment policy"). With atoms it is only a
//! bound: for two outcomes with `P(top) = p`, `KL = q ln(q/p) + (n−1)(1−p)^n ln(1−p)`,
//! `q = 1 − (1−p)^n`, which never exceeds `ln(1/p)` (→ `ln 2` for `p = 1/2`) while the bound
//! grows like `ln n`.
//!
//! **Winner values** ([`winner`]). For independent `X`, `V`,
//!
//! ```text
//! E[V_best(N)] = ∫ h(u) · N · F_U(u)^{N−1} du,   h(u) = ∫ v f_V(v) f_X(u − v) dv
//! ```
//!
//! computed by nested quadrature on a grid in the logit of `F̄_U` (so `N` up to 4¹⁰ costs the
//! same as `N = 4`). Heavy-tailed errors (t₃, t₅, lognormal) make `E[V_best(N)]` rise and then
//! fall back towards `E[V] = 0`; a Gaussian error lets it grow without bound (Theorems 5, 6
//! in the best-of-N setting); a Lévy error (infinite mean) drives it to 0 almost at once.
//!
//! References: Kwa, Thomas, Garriga-Alonso 2024, Appendix B (spec `../shared/spec/kwa2024.md`
//! §3 "Figure B.3", §4.7, §6.6); Gao et al. 2022 (arXiv 2210.10760) §2; Beirami et al. 2024
//! (arXiv 2401.01879) Theorem 1 and the two-point example.

pub mod checks;
pub mod finite;
pub mod paper;
pub mod winner;

pub use checks::checks;
pub use finite::{best_of_n_kl, best_of_n_law, kl_bound, two_point_kl};
pub use winner::{expected_max_std_normal, tables, WinnerMeans, WinnerOptions, WinnerTable};
