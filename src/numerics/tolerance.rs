//! Named tolerances (statrs `prec.rs` style) and a `Tolerance { rel, abs }` with a
//! `#[track_caller]` assertion that prints actual, expected, |diff| and the bound.

use serde::Serialize;

/// Named tolerances, each with the reason for its size.
pub mod tol {
    /// Exact log-space computations on <= 1e7 atoms: 1e-12 is ~4500 ulps of headroom.
    pub const EXACT_REL: f64 = 1e-12;
    /// Simplex check for user-supplied probabilities: hand-typed decimals miss 1 by ~n·1e-16;
    /// 1e-9 accepts those and rejects anything a user would call unnormalised.
    pub const SIMPLEX: f64 = 1e-9;
    /// Closed forms reproduced from the spec's printed values (6–7 significant digits printed).
    pub const SPEC_PRINTED: f64 = 5e-6;
    /// Adaptive quadrature against closed forms.
    pub const QUADRATURE_REL: f64 = 1e-8;
    /// Spec values obtained by quadrature (spec §6: "quadrature 1e-4").
    pub const SPEC_QUADRATURE: f64 = 1e-4;
    /// Monte-Carlo acceptance: |estimate - truth| <= Z · SE; Z = 4.0 gives a two-sided
    /// false-positive rate of 6.3e-5 per assertion for a normal estimator.
    pub const MC_Z: f64 = 4.0;
}

/// A combined tolerance: `|actual − expected| <= abs + rel·|expected|`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance {
    /// Relative part.
    pub rel: f64,
    /// Absolute part.
    pub abs: f64,
}

impl Tolerance {
    /// Purely relative.
    pub const fn rel(rel: f64) -> Self {
        Self { rel, abs: 0.0 }
    }
    /// Purely absolute.
    pub const fn abs(abs: f64) -> Self {
        Self { rel: 0.0, abs }
    }
    /// Both parts.
    pub const fn new(rel: f64, abs: f64) -> Self {
        Self { rel, abs }
    }
    /// The absolute allowance around `expected`.
    pub fn allowance(&self, expected: f64) -> f64 {
        self.abs + self.rel * expected.abs()
    }
    /// Whether `actual` is within tolerance of `expected` (infinities must match exactly).
    pub fn close(&self, actual: f64, expected: f64) -> bool {
        if actual.is_nan() || expected.is_nan() {
            return false;
        }
        if actual.is_infinite() || expected.is_infinite() {
            return actual == expected;
        }
        (actual - expected).abs() <= self.allowance(expected)
    }
}

/// Panics with a readable message unless `actual` is within `t` of `expected`.
#[track_caller]
pub fn assert_close(actual: f64, expected: f64, t: Tolerance) {
    if !t.close(actual, expected) {
        panic!(
            "not close: actual {actual:.17e}, expected {expected:.17e}, |diff| {:.3e} > allowed {:.3e} (rel {:e}, abs {:e})",
            (actual - expected).abs(),
            t.allowance(expected),
            t.rel,
            t.abs
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_semantics() {
        let t = Tolerance::new(1e-6, 1e-12);
        assert!(t.close(1.0 + 5e-7, 1.0));
        assert!(!t.close(1.0 + 5e-6, 1.0));
        assert!(t.close(f64::INFINITY, f64::INFINITY));
        assert!(!t.close(f64::INFINITY, 1.0));
        assert!(!t.close(f64::NAN, f64::NAN));
    }

    #[test]
    #[should_panic(expected = "not close")]
    fn assert_close_reports() {
        assert_close(1.0, 2.0, Tolerance::rel(1e-3));
    }
}
