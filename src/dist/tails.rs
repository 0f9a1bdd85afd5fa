//! Numerical evidence for the tail classes used by Kwa et al. (2024): heavy vs light tails
//! (§2.2, Definition), the subexponential hypothesis of Theorem 5 and the fast-decay hypothesis
//! of Theorem 6 (spec §1.6–1.8, property tests §6.8).
//!
//! ```text
//! heavy-tailed  ⇔  e^{λx}·F̄(x) → ∞ for every λ > 0      tail_growth(λ, x) = λx + ln F̄(x) → +∞
//! subexponential  P(X1 + X2 > x)/P(X > x) → 2              subexponential_ratio(x)
//! Theorem 6       F̄(t+1)/F̄(t) → 0                        theorem6_ratio(t)
//! ```
//!
//! The convolution tail is computed by adaptive quadrature of
//!
//! ```text
//! P(X1 + X2 > x) = 2·∫_{−∞}^{x/2} f(y)·F̄(x − y) dy + F̄(x/2)²
//! ```
//!
//! (split at `x/2`: either both summands exceed `x/2`, or exactly one is below it), divided by
//! `F̄(x)` inside the integral (`exp(ln F̄(x − y) − ln F̄(x))`), so the ratio is computed at O(1)
//! magnitude even where `F̄(x)` underflows. For an empirical law the count is exact.
//!
//! Expected behaviour (spec §6.8): ratio → 2 for t₃, lognormal, Pareto; → ∞ for Exp(1) (exactly
//! `1 + x`) and the normal (exactly `Φ̄(x/√2)/Φ̄(x)`); Theorem 6 ratio → 0 for the normal,
//! `= e^{−rate}` for the exponential, → 1 for t₃.
//!
//! These are finite-`x` evidence, not proofs: the report states the `x` used and the trend.

use crate::error::{Error, Result};
use crate::numerics::quad::{integrate, QuadOptions};
use crate::numerics::Neumaier;

use super::Law;

/// `ln(e^{λx}·F̄(x)) = λx + ln F̄(x)`. Heavy-tailed ⇔ this tends to `+∞` for every `λ > 0`.
pub fn tail_growth(law: &Law, lambda: f64, x: f64) -> f64 {
    lambda * x + law.ln_sf(x)
}

/// `F̄(t+1)/F̄(t)` from the log survival function (so it is exact where `F̄` underflows).
/// Theorem 6 needs it → 0. Where `F̄(t) = 0` (beyond a bounded support) the ratio is reported as
/// 0, the convention under which bounded laws satisfy Theorem 6 (spec §1.8).
pub fn theorem6_ratio(law: &Law, t: f64) -> f64 {
    let (a, b) = (law.ln_sf(t + 1.0), law.ln_sf(t));
    if b == f64::NEG_INFINITY {
        return 0.0;
    }
    (a - b).exp()
}

/// `P(X1 + X2 > x)/P(X > x)` for i.i.d. `X1, X2 ~ law`, by quadrature of the convolution
/// (module doc); exact counting for an empirical law.
///
/// # Errors
/// [`Error::OutOfRange`] if `P(X > x) = 0` (the ratio is undefined) or `x` is NaN;
/// [`Error::NotFinite`] / [`Error::NoConvergence`] from the quadrature.
pub fn subexponential_ratio(law: &Law, x: f64) -> Result<f64> {
    if x.is_nan() {
        return Err(Error::NotFinite {
            name: "x",
            value: x,
        });
    }
    let ln_sf_x = law.ln_sf(x);
    if ln_sf_x == f64::NEG_INFINITY {
        return Err(Error::OutOfRange {
            name: "x",
            value: x,
            range: "inside the support (P(X > x) > 0)",
        });
    }
    if let Law::Empirical(e) = law {
        return Ok(e.sum_tail_ratio(x));
    }
    let half = 0.5 * x;
    let (lo, _) = law.support();
    let both = (2.0 * law.ln_sf(half) - ln_sf_x).exp();
    if half <= lo {
        return Ok(both);
    }
    let integrand = |y: f64| {
        let f = law.pdf(y);
        if f == 0.0 {
            0.0
        } else {
            f * (law.ln_sf(x - y) - ln_sf_x).exp()
        }
    };
    let opts = QuadOptions {
        rel: 1e-11,
        abs: 0.0,
        max_intervals: 4000,
    };
    // breakpoints at the bulk of the law (quartiles and 1%/99% quantiles) clipped to (lo, x/2)
    let mut cuts: Vec<f64> = [0.01, 0.25, 0.5, 0.75, 0.99]
        .iter()
        .map(|&p| law.quantile(p))
        .filter(|&c| c.is_finite() && c > lo && c < half)
        .collect();
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let mut pieces = Vec::with_capacity(cuts.len() + 2);
    let mut prev = lo;
    for &c in &cuts {
        pieces.push((prev, c));
        prev = c;
    }
    pieces.push((prev, half));
    let mut sum = Neumaier::new();
    for (a, b) in pieces {
        let q = integrate(integrand, a, b, opts)?;
        sum.add(q.value);
    }
    Ok(2.0 * sum.total() + both)
}

mod checks;
#[cfg(test)]
mod tests;

pub use checks::checks;
