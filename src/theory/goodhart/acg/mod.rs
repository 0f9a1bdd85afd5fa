//! §4.1 and Table 1 of Kwa et al. 2024 ("ACG results need some interpretation"): the paper's
//! empirical arithmetic, recomputed from the published data.
//!
//! A policy that plays the optimised sequence `x` with probability α and the base policy `Q`
//! otherwise, `P = (1−α)Q + α·δ_x`, has
//!
//! ```text
//! KL(P‖Q) = [(1−α)q + α]·ln(((1−α)q + α)/q) + (1−α)·ln(1−α)·(1 − q),   q = Q(x)
//!         ≈ α·(ln α − ln q)        for q ≪ α ≪ 1
//! E_P[R] − E_Q[R] = α·(R(x) − E_Q[R])
//! ```
//!
//! ERRATUM (spec §4.5): the paper prints `α(log α − 1339.70)` and `α(2.2377 − 0.3329)`; the correct
//! expressions are `α(ln α − ln q)` with ln q = −1339.70 and `α(2.2377 − (−0.3330))`, the base mean
//! being negative (−0.332984, computed from the published samples). DISCREPANCY: 2.2377 is the
//! *lowest* final ACG reward (run 24), not the highest (8.3729, run 28).
//!
//! Table 1's annealing: `n_edits(step) = ⌊⌊(100000/(step+1))^0.3⌋/4⌋ + 2`, 9 at step 0 down to 2.

use crate::error::{Error, Result};

/// Exact KL of the mixture `(1−α)Q + α·δ_x` against `Q`, given `ln q = ln Q(x)` (log space:
/// `q = e^{−1339.7}` underflows `f64`).
///
/// # Errors
/// [`Error::OutOfRange`] unless `0 < α < 1` and `ln q <= 0`.
pub fn mixture_kl(alpha: f64, ln_q: f64) -> Result<f64> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::OutOfRange {
            name: "alpha",
            value: alpha,
            range: "(0, 1)",
        });
    }
    if !(ln_q <= 0.0) {
        return Err(Error::OutOfRange {
            name: "ln q",
            value: ln_q,
            range: "(-inf, 0]",
        });
    }
    let q = ln_q.exp();
    let mass = (1.0 - alpha) * q + alpha;
    // ln(mass/q) = ln α + ln1p((1−α)q/α) − ln q
    let log_ratio = alpha.ln() + ((1.0 - alpha) * q / alpha).ln_1p() - ln_q;
    Ok(mass * log_ratio + (1.0 - alpha) * (-alpha).ln_1p() * (1.0 - q))
}

/// Number of simultaneous edits at a 0-based ACG step (the authors' schedule).
pub fn acg_edits(step: u32) -> u32 {
    let inner = (100_000.0 / f64::from(step + 1)).powf(0.3).floor();
    (inner / 4.0).floor() as u32 + 2
}

/// The column named `column` of an embedded CSV (the shared reader
/// [`crate::dist::columns::read_csv`]; no missing or non-finite values allowed).
///
/// # Errors
/// [`Error::Io`] for a missing column, a non-numeric or missing value (with its line).
pub fn csv_column(text: &str, column: &str) -> Result<Vec<f64>> {
    let origin = format!("embedded data (column `{column}`)");
    let col = crate::dist::columns::read_csv(text, Some(column), &origin)?;
    crate::dist::columns::all_finite(col, &origin)
}

pub mod checks;

pub use checks::checks;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::tolerance::assert_close;
    use crate::numerics::Tolerance;
    use crate::report::CheckOptions;

    #[test]
    fn mixture_kl_matches_direct_formula_when_q_is_representable() {
        // second method: the formula evaluated naively with a representable q
        let (a, q) = (0.05f64, 1e-3f64);
        let direct = ((1.0 - a) * q + a) * (((1.0 - a) * q + a) / q).ln()
            + (1.0 - a) * (1.0 - a).ln() * (1.0 - q);
        assert_close(
            mixture_kl(a, q.ln()).unwrap(),
            direct,
            Tolerance::rel(1e-13),
        );
        assert!(mixture_kl(0.0, -1.0).is_err());
        assert!(mixture_kl(0.5, 0.1).is_err());
    }

    #[test]
    fn all_checks_hold() {
        for c in checks(&CheckOptions::default()) {
            assert!(
                c.holds,
                "{} value {} bound {} ({})",
                c.id, c.value, c.bound, c.detail
            );
        }
    }
}
