//! Globally adaptive Gauss–Kronrod (7/15-point) quadrature, QUADPACK's QAG strategy without
//! extrapolation: keep a heap of sub-intervals, always bisect the one with the largest error
//! estimate `|K15 − G7|`, stop when the summed estimate is below `max(abs, rel·|I|)`.
//! Infinite ranges are mapped onto finite ones (`x = a + t/(1−t)`, `x = t/(1−t²)`); the nodes never
//! touch the endpoints, so integrands need not be defined at ±∞.
//!
//! Written by hand (≈100 lines) because the Rust quadrature crates either lack infinite ranges
//! or error estimates; the nodes and weights are QUADPACK's `qk15`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::error::{Error, Result};
use crate::numerics::Neumaier;

/// QUADPACK `qk15` Kronrod nodes on [0, 1] (symmetric; the last is the centre).
pub const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
/// QUADPACK `qk15` Kronrod weights for [`XGK`].
pub const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// 7-point Gauss weights at `XGK[1], XGK[3], XGK[5], XGK[7]`.
pub const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// Result of an integration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quad {
    /// The integral.
    pub value: f64,
    /// Estimated absolute error.
    pub error: f64,
    /// Integrand evaluations.
    pub evals: usize,
    /// Whether the requested tolerance was met (a status, not an error).
    pub converged: bool,
}

/// Tolerances and limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuadOptions {
    /// Absolute tolerance.
    pub abs: f64,
    /// Relative tolerance.
    pub rel: f64,
    /// Maximum number of sub-intervals.
    pub max_intervals: usize,
}

impl Default for QuadOptions {
    fn default() -> Self {
        Self {
            abs: 0.0,
            rel: 1e-10,
            max_intervals: 4000,
        }
    }
}

struct Piece {
    a: f64,
    b: f64,
    value: f64,
    error: f64,
}

impl PartialEq for Piece {
    fn eq(&self, o: &Self) -> bool {
        self.error == o.error
    }
}
impl Eq for Piece {}
impl PartialOrd for Piece {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Piece {
    fn cmp(&self, o: &Self) -> Ordering {
        self.error.partial_cmp(&o.error).unwrap_or(Ordering::Equal)
    }
}

fn gk15<F: FnMut(f64) -> f64>(f: &mut F, a: f64, b: f64) -> (f64, f64) {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c);
    let mut k = WGK[7] * fc;
    let mut g = WG[3] * fc;
    for j in 0..7 {
        let x = h * XGK[j];
        let s = f(c - x) + f(c + x);
        k += WGK[j] * s;
        if j % 2 == 1 {
            g += WG[j / 2] * s;
        }
    }
    (k * h, ((k - g) * h).abs())
}

/// `∫_a^b f(x) dx` (either bound may be infinite).
///
/// # Errors
/// [`Error::NotFinite`] if the integrand returns NaN/∞ at a node (with the node in the message),
/// [`Error::OutOfRange`] if `a > b` or a bound is NaN.
pub fn integrate<F: FnMut(f64) -> f64>(
    mut f: F,
    a: f64,
    b: f64,
    opts: QuadOptions,
) -> Result<Quad> {
    if a.is_nan() || b.is_nan() || a > b {
        return Err(Error::OutOfRange {
            name: "integration bounds",
            value: a,
            range: "a <= b, not NaN",
        });
    }
    if a == b {
        return Ok(Quad {
            value: 0.0,
            error: 0.0,
            evals: 0,
            converged: true,
        });
    }
    let mut evals = 0usize;
    let mut bad: Option<f64> = None;
    let mut g = |t: f64| -> f64 {
        evals += 1;
        let (x, jac) = match (a.is_finite(), b.is_finite()) {
            (true, true) => (t, 1.0),
            (true, false) => (a + t / (1.0 - t), 1.0 / ((1.0 - t) * (1.0 - t))),
            (false, true) => (b - (1.0 - t) / t, 1.0 / (t * t)),
            (false, false) => (
                t / (1.0 - t * t),
                (1.0 + t * t) / ((1.0 - t * t) * (1.0 - t * t)),
            ),
        };
        let y = f(x) * jac;
        if !y.is_finite() {
            if y.is_nan() || jac.is_finite() {
                bad.get_or_insert(x);
            }
            return 0.0;
        }
        y
    };
    let (lo, hi) = match (a.is_finite(), b.is_finite()) {
        (true, true) => (a, b),
        (true, false) | (false, true) => (0.0, 1.0),
        (false, false) => (-1.0, 1.0),
    };
    let mut heap = BinaryHeap::new();
    let (v, e) = gk15(&mut g, lo, hi);
    heap.push(Piece {
        a: lo,
        b: hi,
        value: v,
        error: e,
    });
    let (mut total, mut err) = (v, e);
    while heap.len() < opts.max_intervals {
        if err <= opts.abs.max(opts.rel * total.abs()) {
            break;
        }
        let Some(p) = heap.pop() else { break };
        let m = 0.5 * (p.a + p.b);
        if !(m > p.a && m < p.b) {
            heap.push(p);
            break; // interval can no longer be split in f64
        }
        let (v1, e1) = gk15(&mut g, p.a, m);
        let (v2, e2) = gk15(&mut g, m, p.b);
        heap.push(Piece {
            a: p.a,
            b: m,
            value: v1,
            error: e1,
        });
        heap.push(Piece {
            a: m,
            b: p.b,
            value: v2,
            error: e2,
        });
        // recompute sums exactly from the pieces (no drift)
        let (mut s, mut es) = (Neumaier::new(), Neumaier::new());
        for q in heap.iter() {
            s.add(q.value);
            es.add(q.error);
        }
        total = s.total();
        err = es.total();
    }
    if let Some(x) = bad {
        return Err(Error::NotFinite {
            name: "integrand at x",
            value: x,
        });
    }
    Ok(Quad {
        value: total,
        error: err,
        evals,
        converged: err <= opts.abs.max(opts.rel * total.abs()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    #[test]
    fn polynomials_exact() {
        // K15 integrates degree <= 22 exactly: ∫_0^1 x^20 = 1/21
        let q = integrate(|x| x.powi(20), 0.0, 1.0, QuadOptions::default()).unwrap();
        assert_close(q.value, 1.0 / 21.0, Tolerance::rel(1e-14));
        assert!(q.converged);
    }

    #[test]
    fn gaussian_whole_line() {
        let q = integrate(
            |x| (-0.5 * x * x).exp(),
            f64::NEG_INFINITY,
            f64::INFINITY,
            QuadOptions::default(),
        )
        .unwrap();
        assert_close(
            q.value,
            (2.0 * std::f64::consts::PI).sqrt(),
            Tolerance::rel(1e-11),
        );
    }

    #[test]
    fn heavy_tail_half_line() {
        // ∫_1^∞ x^{-3} dx = 1/2 ; ∫_0^∞ 1/(1+x²) = π/2
        let q = integrate(|x| x.powi(-3), 1.0, f64::INFINITY, QuadOptions::default()).unwrap();
        assert_close(q.value, 0.5, Tolerance::rel(1e-11));
        let q = integrate(
            |x| 1.0 / (1.0 + x * x),
            f64::NEG_INFINITY,
            0.0,
            QuadOptions::default(),
        )
        .unwrap();
        assert_close(q.value, std::f64::consts::FRAC_PI_2, Tolerance::rel(1e-11));
    }

    #[test]
    fn endpoint_singularity() {
        // ∫_0^1 x^{-1/2} = 2
        let q = integrate(
            |x| 1.0 / x.sqrt(),
            0.0,
            1.0,
            QuadOptions {
                rel: 1e-9,
                ..Default::default()
            },
        )
        .unwrap();
        assert_close(q.value, 2.0, Tolerance::rel(1e-8));
    }

    #[test]
    fn bad_input() {
        assert!(integrate(|x| x, 1.0, 0.0, QuadOptions::default()).is_err());
        assert!(matches!(
            integrate(|_| f64::NAN, 0.0, 1.0, QuadOptions::default()),
            Err(Error::NotFinite { .. })
        ));
    }
}
