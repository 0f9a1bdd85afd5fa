//! Safeguarded Newton root finding on a bracket (Newton steps with bisection fallback), as in
//! Numerical Recipes' `rtsafe`. Written by hand because `argmin`/`roots` would add a dependency
//! for 40 lines, and we need the analytic derivative the tilt provides.

use crate::error::{Error, Result};

/// Finds `x` in `[lo, hi]` with `f(x) = 0`, where `fdf(x) = (f(x), f'(x))` and `f(lo)`, `f(hi)`
/// have opposite signs (or one is zero). Converges when the bracket is narrower than
/// `xtol·max(1, |x|)` or `|f| <= ftol`.
///
/// # Errors
/// [`Error::Other`] if the bracket does not bracket a root; [`Error::NoConvergence`] after
/// `max_iter` iterations.
pub fn newton_bisect<F>(
    mut fdf: F,
    mut lo: f64,
    mut hi: f64,
    xtol: f64,
    ftol: f64,
    max_iter: usize,
) -> Result<f64>
where
    F: FnMut(f64) -> (f64, f64),
{
    let (flo, _) = fdf(lo);
    let (fhi, _) = fdf(hi);
    if flo == 0.0 {
        return Ok(lo);
    }
    if fhi == 0.0 {
        return Ok(hi);
    }
    if flo.is_nan() || fhi.is_nan() || flo.signum() == fhi.signum() {
        return Err(Error::Other(format!(
            "root not bracketed: f({lo}) = {flo}, f({hi}) = {fhi}"
        )));
    }
    // orient so that f(lo) < 0 < f(hi)
    if flo > 0.0 {
        std::mem::swap(&mut lo, &mut hi);
    }
    let mut x = 0.5 * (lo + hi);
    let mut last = f64::INFINITY;
    for _ in 0..max_iter {
        let (f, df) = fdf(x);
        last = f;
        if f.abs() <= ftol {
            return Ok(x);
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - f / df;
        let (a, b) = if lo < hi { (lo, hi) } else { (hi, lo) };
        let next = if df.is_finite() && df != 0.0 && newton > a && newton < b {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if (next - x).abs() <= xtol * x.abs().max(1.0) || (b - a) <= xtol * x.abs().max(1.0) {
            return Ok(next);
        }
        x = next;
    }
    Err(Error::NoConvergence {
        method: "newton_bisect",
        iterations: max_iter,
        residual: last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sqrt2() {
        let r = newton_bisect(|x| (x * x - 2.0, 2.0 * x), 0.0, 2.0, 1e-15, 0.0, 100).unwrap();
        assert!((r - std::f64::consts::SQRT_2).abs() < 1e-15);
    }

    #[test]
    fn rejects_unbracketed() {
        assert!(newton_bisect(|x| (x * x + 1.0, 2.0 * x), -1.0, 1.0, 1e-12, 0.0, 50).is_err());
    }

    #[test]
    fn decreasing_function() {
        let r = newton_bisect(|x| (1.0 - x, -1.0), 0.0, 5.0, 1e-14, 0.0, 100).unwrap();
        assert!((r - 1.0).abs() < 1e-14);
    }
}
