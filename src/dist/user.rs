//! User-supplied laws: a tabulated piecewise-linear density and the empirical distribution of
//! a sample (ECDF).
//!
//! ```text
//! Tabulated: f(x) = f_i + (f_{i+1} − f_i)(x − x_i)/(x_{i+1} − x_i) on [x_i, x_{i+1}], 0 outside [x_0, x_n]
//!            ∫ f = Σ_i (x_{i+1} − x_i)(f_i + f_{i+1})/2 must be 1 within tol::SIMPLEX
//! Empirical: F_n(x) = #{i : x_i ≤ x}/n,   F̄_n(x) = #{i : x_i > x}/n   (both counted, never 1 − F)
//! ```
//!
//! Both are bounded, so their tail class is [`crate::prob::TailClass::Bounded`]: a finite sample
//! never proves a heavy tail. Whether the law the sample came from is heavy-tailed is a question
//! for the tail-measurement estimators (Hill / extreme-value index with confidence intervals,
//! `goodhart tails FILE`), not for the ECDF.

use std::path::Path;

use rand::{Rng, RngExt as _};

use crate::error::{Error, Result};
use crate::numerics::{logsumexp, tol, Neumaier};

/// A piecewise-linear density on a strictly increasing grid.
///
/// The table must integrate (trapezoid rule, which is exact for a piecewise-linear density) to 1
/// within [`tol::SIMPLEX`]; a table outside that tolerance is rejected with the sum in the error.
/// An accepted table is divided by its integral (a change below 1e-9 relative), so that the law
/// is exactly proper: `cdf(x_n) = 1` and `sf + cdf = 1` to rounding.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabulated {
    x: Vec<f64>,
    f: Vec<f64>,
    /// `cum[i] = ∫_{x_0}^{x_i} f`.
    cum: Vec<f64>,
    /// `tail[i] = ∫_{x_i}^{x_n} f`, summed from the right (tail-accurate `sf`).
    tail: Vec<f64>,
    /// `tail_m1[i] = ∫_{x_i}^{x_n} x·f(x) dx`.
    tail_m1: Vec<f64>,
    mean: f64,
    variance: f64,
}

/// `∫_a^b x·f(x) dx` for `f` linear from `fa` at `a` to `fb` at `b`.
fn seg_m1(a: f64, b: f64, fa: f64, fb: f64) -> f64 {
    (b - a) / 6.0 * (fa * (2.0 * a + b) + fb * (a + 2.0 * b))
}

/// `∫_a^b (x−c)²·f(x) dx` for `f` linear from `fa` to `fb`.
fn seg_m2_about(a: f64, b: f64, fa: f64, fb: f64, c: f64) -> f64 {
    let (a, b) = (a - c, b - c);
    (b - a) / 12.0
        * (fa * (3.0 * a * a + 2.0 * a * b + b * b) + fb * (a * a + 2.0 * a * b + 3.0 * b * b))
}

/// `A(g) = ∫_0^1 (1−v)e^{gv} dv` and `B(g) = ∫_0^1 v·e^{gv} dv` for `g ≤ 0` (both in `(0, ½]`).
fn lin_exp_weights(g: f64) -> (f64, f64) {
    if g > -2.0 {
        // A = Σ gⁿ/(n+2)!, B = Σ (n+1)gⁿ/(n+2)!; |g| ≤ 2: terms fall below 1e-17 by n = 25
        let (mut a, mut b) = (0.0, 0.0);
        let mut term = 0.5; // gⁿ/(n+2)! at n = 0
        for n in 0..40 {
            a += term;
            b += (n as f64 + 1.0) * term;
            term *= g / (n as f64 + 3.0);
            if term.abs() < 1e-18 {
                break;
            }
        }
        (a, b)
    } else {
        let e = g.exp();
        ((e - 1.0 - g) / (g * g), ((g - 1.0) * e + 1.0) / (g * g))
    }
}

impl Tabulated {
    /// Validates and builds the table.
    ///
    /// # Errors
    /// [`Error::TooShort`] (`x` with fewer than 2 points), [`Error::LengthMismatch`] (`x` vs
    /// `pdf`), [`Error::NotFinite`] (`x` entry NaN/∞), [`Error::OutOfRange`] (`x` not strictly
    /// increasing), [`Error::NotAProbability`] (`pdf` entry negative or non-finite),
    /// [`Error::NotNormalised`] (`pdf` integrates to `sum ≠ 1` beyond [`tol::SIMPLEX`]).
    pub fn new(x: Vec<f64>, pdf: Vec<f64>) -> Result<Self> {
        if x.len() < 2 {
            return Err(Error::TooShort {
                name: "x",
                len: x.len(),
                min: 2,
            });
        }
        if pdf.len() != x.len() {
            return Err(Error::LengthMismatch {
                left: "x",
                left_len: x.len(),
                right: "pdf",
                right_len: pdf.len(),
            });
        }
        for &v in &x {
            crate::error::finite("x", v)?;
        }
        for w in x.windows(2) {
            if !(w[1] > w[0]) {
                return Err(Error::OutOfRange {
                    name: "x",
                    value: w[1],
                    range: "strictly increasing (each x[i] > x[i-1])",
                });
            }
        }
        for (index, &value) in pdf.iter().enumerate() {
            if !(value >= 0.0) || !value.is_finite() {
                return Err(Error::NotAProbability {
                    name: "pdf",
                    index,
                    value,
                });
            }
        }
        let n = x.len();
        let mass: Vec<f64> = (0..n - 1)
            .map(|i| 0.5 * (x[i + 1] - x[i]) * (pdf[i] + pdf[i + 1]))
            .collect();
        let total = crate::numerics::neumaier_sum(mass.iter().copied());
        if !((total - 1.0).abs() <= tol::SIMPLEX) {
            return Err(Error::NotNormalised {
                name: "pdf (trapezoid integral over x)",
                sum: total,
                tolerance: tol::SIMPLEX,
            });
        }
        let f: Vec<f64> = pdf.iter().map(|v| v / total).collect();
        let mass: Vec<f64> = mass.iter().map(|m| m / total).collect();
        let mut cum = vec![0.0; n];
        let mut acc = Neumaier::new();
        for i in 0..n - 1 {
            acc.add(mass[i]);
            cum[i + 1] = acc.total();
        }
        let mut tail = vec![0.0; n];
        let mut tail_m1 = vec![0.0; n];
        let (mut acc, mut acc1) = (Neumaier::new(), Neumaier::new());
        for i in (0..n - 1).rev() {
            acc.add(mass[i]);
            acc1.add(seg_m1(x[i], x[i + 1], f[i], f[i + 1]));
            tail[i] = acc.total();
            tail_m1[i] = acc1.total();
        }
        let mean = tail_m1[0];
        let variance = crate::numerics::neumaier_sum(
            (0..n - 1).map(|i| seg_m2_about(x[i], x[i + 1], f[i], f[i + 1], mean)),
        );
        Ok(Self {
            x,
            f,
            cum,
            tail,
            tail_m1,
            mean,
            variance,
        })
    }

    /// The grid.
    pub fn grid(&self) -> &[f64] {
        &self.x
    }

    /// The density values on the grid (as validated; divided by the integral, see the type doc).
    pub fn density_values(&self) -> &[f64] {
        &self.f
    }

    /// Support `[x_0, x_n]`.
    pub fn support(&self) -> (f64, f64) {
        (self.x[0], self.x[self.x.len() - 1])
    }

    /// Index `i` with `x_i <= v < x_{i+1}` (requires `x_0 <= v < x_n`).
    fn segment(&self, v: f64) -> usize {
        self.x.partition_point(|&xi| xi <= v) - 1
    }

    fn interp(&self, i: usize, v: f64) -> f64 {
        let (a, b) = (self.x[i], self.x[i + 1]);
        let t = (v - a) / (b - a);
        self.f[i] + t * (self.f[i + 1] - self.f[i])
    }

    /// Density.
    pub fn pdf(&self, v: f64) -> f64 {
        let (lo, hi) = self.support();
        if v.is_nan() {
            return f64::NAN;
        }
        if v < lo || v > hi {
            return 0.0;
        }
        if v == hi {
            return self.f[self.f.len() - 1];
        }
        self.interp(self.segment(v), v)
    }

    /// `P(X <= v)`.
    pub fn cdf(&self, v: f64) -> f64 {
        let (lo, hi) = self.support();
        if v.is_nan() {
            return f64::NAN;
        }
        if v <= lo {
            return 0.0;
        }
        if v >= hi {
            return 1.0;
        }
        let i = self.segment(v);
        (self.cum[i] + 0.5 * (v - self.x[i]) * (self.f[i] + self.interp(i, v))).min(1.0)
    }

    /// `P(X > v)`, from the right-hand cumulative masses.
    pub fn sf(&self, v: f64) -> f64 {
        let (lo, hi) = self.support();
        if v.is_nan() {
            return f64::NAN;
        }
        if v < lo {
            return 1.0;
        }
        if v >= hi {
            return 0.0;
        }
        let i = self.segment(v);
        (self.tail[i + 1] + 0.5 * (self.x[i + 1] - v) * (self.interp(i, v) + self.f[i + 1]))
            .min(1.0)
    }

    /// `F⁻¹(p) = inf{x : F(x) >= p}` for `p ∈ [0, 1]` (NaN outside).
    pub fn quantile(&self, p: f64) -> f64 {
        if !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        // first knot j with cum[j] >= p
        let j = self.cum.partition_point(|&c| c < p);
        if j == 0 {
            return self.x[0];
        }
        if j >= self.x.len() {
            return self.x[self.x.len() - 1];
        }
        let i = j - 1; // cum[i] < p <= cum[i+1]: segment i has positive mass
        let r = p - self.cum[i];
        let (a, b) = (self.x[i], self.x[i + 1]);
        let fa = self.f[i];
        let s = (self.f[i + 1] - fa) / (b - a);
        // solve fa·d + s·d²/2 = r for d ∈ [0, b − a] (stable root form)
        let disc = (fa * fa + 2.0 * s * r).max(0.0);
        let d = 2.0 * r / (fa + disc.sqrt());
        (a + d).clamp(a, b)
    }

    /// Mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Variance (about the mean, per segment, compensated sum).
    pub fn variance(&self) -> f64 {
        self.variance
    }

    /// `E[X·1{X > t}]`.
    pub fn partial_mean_above(&self, t: f64) -> f64 {
        let (lo, hi) = self.support();
        if t.is_nan() {
            return f64::NAN;
        }
        if t < lo {
            return self.mean;
        }
        if t >= hi {
            return 0.0;
        }
        let i = self.segment(t);
        self.tail_m1[i + 1] + seg_m1(t, self.x[i + 1], self.interp(i, t), self.f[i + 1])
    }

    /// `ln E[e^{λX}]`, exact per segment in log space.
    pub fn mgf_log(&self, lambda: f64) -> f64 {
        let n = self.x.len();
        let mut terms = Vec::with_capacity(n - 1);
        for i in 0..n - 1 {
            let (a, b) = (self.x[i], self.x[i + 1]);
            let (fa, fb) = (self.f[i], self.f[i + 1]);
            if fa == 0.0 && fb == 0.0 {
                continue;
            }
            let h = b - a;
            let g = lambda * h;
            // ∫_a^b e^{λx} f = e^{λa}·h·(fa·A(g) + fb·B(g)) = e^{λb}·h·(fa·B(−g) + fb·A(−g))
            let (anchor, wa, wb) = if g <= 0.0 {
                let (wa, wb) = lin_exp_weights(g);
                (lambda * a, wa, wb)
            } else {
                let (wa, wb) = lin_exp_weights(-g);
                (lambda * b, wb, wa)
            };
            terms.push(anchor + h.ln() + (fa * wa + fb * wb).ln());
        }
        logsumexp(&terms)
    }

    /// One draw by inversion.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let u: f64 = rng.random();
        self.quantile(u)
    }
}

/// The empirical distribution of a finite sample: `P(X = x_i) = 1/n`.
///
/// Its tail class is `Bounded` (every finite sample is); to infer the tail of the law the sample
/// came from, use the tail-measurement estimators (`goodhart tails`), not this type. It has no
/// density: [`Empirical::pdf`] is NaN and `Law::has_density` is false.
#[derive(Debug, Clone, PartialEq)]
pub struct Empirical {
    sorted: Vec<f64>,
    mean: f64,
    variance: f64,
}

impl Empirical {
    /// Validates the sample.
    ///
    /// # Errors
    /// [`Error::Empty`] / [`Error::TooShort`] (fewer than 2 values), [`Error::NotFinite`] naming
    /// `samples` with the first bad value.
    pub fn new(samples: Vec<f64>) -> Result<Self> {
        if samples.is_empty() {
            return Err(Error::Empty { name: "samples" });
        }
        if samples.len() < 2 {
            return Err(Error::TooShort {
                name: "samples",
                len: samples.len(),
                min: 2,
            });
        }
        for &v in &samples {
            crate::error::finite("samples", v)?;
        }
        let mut sorted = samples;
        sorted.sort_by(f64::total_cmp);
        let (mean, variance) = crate::numerics::moments::mean_var_population(&sorted);
        Ok(Self {
            sorted,
            mean,
            variance,
        })
    }

    /// Reads one column of a CSV file with a header row. With `column = None` the file must
    /// have exactly one column.
    ///
    /// # Errors
    /// [`Error::Io`] naming the path (unreadable file, missing column with the columns found,
    /// a cell that is not a number with its row), then the errors of [`Empirical::new`].
    pub fn from_csv(path: &Path, column: Option<&str>) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let origin = path.display().to_string();
        let col = super::columns::read_csv(&text, column, &origin)?;
        Self::new(super::columns::all_finite(col, &origin)?)
    }

    /// The sorted sample.
    pub fn sorted(&self) -> &[f64] {
        &self.sorted
    }

    /// Sample size.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Always false (a validated sample has at least 2 values).
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// `[min, max]`.
    pub fn support(&self) -> (f64, f64) {
        (self.sorted[0], self.sorted[self.sorted.len() - 1])
    }

    fn n(&self) -> f64 {
        self.sorted.len() as f64
    }

    /// Number of sample values `<= v`.
    fn count_le(&self, v: f64) -> usize {
        self.sorted.partition_point(|&s| s <= v)
    }

    /// No density: NaN (the law is a sum of point masses; check `Law::has_density`).
    pub fn pdf(&self, _v: f64) -> f64 {
        f64::NAN
    }

    /// `F_n(v)`.
    pub fn cdf(&self, v: f64) -> f64 {
        if v.is_nan() {
            return f64::NAN;
        }
        self.count_le(v) as f64 / self.n()
    }

    /// `F̄_n(v)`, counted.
    pub fn sf(&self, v: f64) -> f64 {
        if v.is_nan() {
            return f64::NAN;
        }
        (self.sorted.len() - self.count_le(v)) as f64 / self.n()
    }

    /// `F_n⁻¹(p) = x_(⌈pn⌉)` (the lower quantile), `p ∈ [0, 1]`; NaN outside.
    pub fn quantile(&self, p: f64) -> f64 {
        if !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        let mut k = ((p * self.n()).ceil() as usize).clamp(1, self.sorted.len());
        // p·n may round up past an integer (0.56·25 = 14.000000000000002): F_n(x_(k−1)) = (k−1)/n
        // is computed the same way as cdf, so step back while it already reaches p
        while k > 1 && (k - 1) as f64 / self.n() >= p {
            k -= 1;
        }
        self.sorted[k - 1]
    }

    /// Sample mean (compensated).
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Variance of the ECDF (divisor n).
    pub fn variance(&self) -> f64 {
        self.variance
    }

    /// `(1/n)·Σ_{x_i > t} x_i`.
    pub fn partial_mean_above(&self, t: f64) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        let k = self.count_le(t);
        crate::numerics::neumaier_sum(self.sorted[k..].iter().copied()) / self.n()
    }

    /// `ln((1/n)·Σ e^{λx_i})`.
    pub fn mgf_log(&self, lambda: f64) -> f64 {
        let xs: Vec<f64> = self.sorted.iter().map(|v| lambda * v).collect();
        logsumexp(&xs) - self.n().ln()
    }

    /// `P(X1 + X2 > x)/P(X > x)` for two independent draws, exactly (`O(n)` two-pointer count).
    pub fn sum_tail_ratio(&self, x: f64) -> f64 {
        let n = self.sorted.len();
        // count pairs (i, j) with s_i + s_j > x
        let mut pairs: u128 = 0;
        let mut j = n; // first index with s_i + s_j > x, moving left as i grows
        for i in 0..n {
            while j > 0 && self.sorted[i] + self.sorted[j - 1] > x {
                j -= 1;
            }
            pairs += (n - j) as u128;
        }
        let p2 = pairs as f64 / (self.n() * self.n());
        p2 / self.sf(x)
    }

    /// One draw: a uniformly chosen sample value (resampling).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sorted[rng.random_range(0..self.sorted.len())]
    }
}
