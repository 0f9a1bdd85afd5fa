//! Exact KL divergence `D(p‖q) = Σ p_i ln(p_i/q_i)` in nats.
//!
//! Conventions: `0·ln(0/q) = 0`; `p_i > 0 = q_i` (support mismatch) gives `+∞`, never NaN.
//! Near `p ≈ q` each log-ratio is computed as `ln_1p((p−q)/q)` so weak divergences keep their
//! relative accuracy.

use super::probs::{check_len, LogProbs, Probs};
use crate::error::Result;
use crate::numerics::Neumaier;

/// `g(1+δ) = (1+δ)·ln(1+δ) − δ >= 0`, accurate near `δ = 0` (series
/// `Σ_{k>=2} (−1)^k δ^k/(k(k−1))` for `|δ| < 0.25`).
#[inline]
pub fn xlogx_excess(delta: f64) -> f64 {
    if delta == -1.0 {
        return 1.0; // lim_{r→0} r ln r − r + 1
    }
    if delta.abs() >= 0.25 {
        return (1.0 + delta) * delta.ln_1p() - delta;
    }
    let mut pow = delta * delta;
    let mut sum = 0.0;
    let mut k = 2.0;
    // 0.25^28 / (28·27) < 1e-19: 28 terms suffice for double precision.
    while k < 30.0 {
        let term = pow / (k * (k - 1.0));
        sum += term;
        if term.abs() <= 1e-18 * sum.abs() {
            break;
        }
        pow *= -delta;
        k += 1.0;
    }
    sum
}

/// One KL term written as `p·ln(p/q) − p + q = q·g(p/q) >= 0`, so that summing the terms has no
/// cancellation; the exact KL is `Σ term + Σ (p − q)`.
#[inline]
pub(crate) fn kl_term(p: f64, q: f64) -> f64 {
    q * xlogx_excess((p - q) / q)
}

/// `D_KL(p‖q)` in nats.
///
/// # Errors
/// [`crate::Error::LengthMismatch`] if the supports have different sizes.
pub fn kl(p: &Probs, q: &Probs) -> Result<f64> {
    check_len("p", p.len(), "q", q.len())?;
    let (mut s, mut mass) = (Neumaier::new(), Neumaier::new());
    for (&pi, &qi) in p.as_slice().iter().zip(q.as_slice()) {
        if pi > 0.0 && qi == 0.0 {
            return Ok(f64::INFINITY);
        }
        mass.add(pi);
        mass.add(-qi);
        if qi > 0.0 {
            s.add(kl_term(pi, qi));
        }
    }
    s.add(mass.total());
    Ok(s.total().max(0.0))
}

/// `D_KL(p‖q)` from log-probabilities (for distributions whose atoms underflow `f64`).
///
/// # Errors
/// [`crate::Error::LengthMismatch`] if the supports have different sizes.
pub fn kl_logs(p: &LogProbs, q: &LogProbs) -> Result<f64> {
    check_len("log p", p.len(), "log q", q.len())?;
    let (mut s, mut mass) = (Neumaier::new(), Neumaier::new());
    for (&lp, &lq) in p.as_slice().iter().zip(q.as_slice()) {
        if lp > f64::NEG_INFINITY && lq == f64::NEG_INFINITY {
            return Ok(f64::INFINITY);
        }
        let (pi, qi) = (lp.exp(), lq.exp());
        mass.add(pi);
        mass.add(-qi);
        if lq > f64::NEG_INFINITY {
            // q·g(e^{lp−lq}) with δ = expm1(lp − lq) exact near 0
            s.add(qi * xlogx_excess((lp - lq).exp_m1()));
        }
    }
    s.add(mass.total());
    Ok(s.total().max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    #[test]
    fn bernoulli_closed_form() {
        // KL(Bern(0.3) || Bern(0.5)) = 0.3 ln 0.6 + 0.7 ln 1.4
        let p = Probs::new(vec![0.3, 0.7]).unwrap();
        let q = Probs::new(vec![0.5, 0.5]).unwrap();
        let expected = 0.3 * 0.6f64.ln() + 0.7 * 1.4f64.ln();
        assert_close(kl(&p, &q).unwrap(), expected, Tolerance::rel(1e-15));
        assert_close(
            kl_logs(&p.to_log(), &q.to_log()).unwrap(),
            expected,
            Tolerance::rel(1e-14),
        );
    }

    #[test]
    fn support_mismatch_is_infinite_not_nan() {
        let p = Probs::new(vec![0.5, 0.5]).unwrap();
        let q = Probs::new(vec![1.0, 0.0]).unwrap();
        assert_eq!(kl(&p, &q).unwrap(), f64::INFINITY);
        assert_close(kl(&q, &p).unwrap(), 2f64.ln(), Tolerance::rel(1e-15));
        assert_close(
            kl_logs(&q.to_log(), &p.to_log()).unwrap(),
            2f64.ln(),
            Tolerance::rel(1e-15),
        );
        assert_eq!(kl_logs(&p.to_log(), &q.to_log()).unwrap(), f64::INFINITY);
    }

    #[test]
    fn weak_divergence_keeps_relative_accuracy() {
        // p = (1/2 + e, 1/2 - e): KL = sum ... ≈ 2e² (1 + 4e²/3 ...); exact series:
        // KL = (1/2+e) ln(1+2e) + (1/2-e) ln(1-2e) = 2e² + (4/3)e⁴ + ...
        let e = 2f64.powi(-20); // dyadic: 0.5 ± e are exact
        let p = Probs::new(vec![0.5 + e, 0.5 - e]).unwrap();
        let q = Probs::uniform(2).unwrap();
        let exact = 2.0 * e * e + 4.0 / 3.0 * e.powi(4) + 32.0 / 15.0 * e.powi(6);
        assert_close(kl(&p, &q).unwrap(), exact, Tolerance::rel(1e-13));
        assert_close(
            kl_logs(&p.to_log(), &q.to_log()).unwrap(),
            exact,
            Tolerance::rel(1e-10),
        );
    }

    #[test]
    fn xlogx_excess_series_matches_direct() {
        for d in [-0.2499, -0.1, 1e-3, 0.2, 0.2499] {
            let direct = (1.0f64 + d) * (d as f64).ln_1p() - d;
            assert_close(xlogx_excess(d), direct, Tolerance::rel(1e-12));
        }
    }
}
