//! Tail-index estimators for every number `k` of upper order statistics at once — Pickands,
//! moments (Dekkers–Einmahl–de Haan), a kernel-smoothed Hill (Csörgő–Deheuvels–Mason) — and
//! peaks-over-threshold generalised-Pareto maximum likelihood.
//!
//! All estimate the extreme-value index `γ` of the right tail: `γ > 0` heavy (Pareto-type,
//! tail index `α = 1/γ`), `γ = 0` exponential-type (normal, exponential, Weibull, lognormal),
//! `γ < 0` bounded. Hill and the kernel Hill assume `γ > 0`; Pickands, moments and the GPD
//! fit estimate any real `γ`.
//!
//! # Conventions
//! ```text
//! x_(1) >= x_(2) >= … >= x_(n)                   descending order statistics, 1-based
//! L_i = ln x_(i)
//! Hill (estimate::hill):  H(k)  = (1/k)·Σ_{i=1}^{k} L_i − L_{k+1}, threshold x_(k+1)
//! Pickands:  γ̂_P(k) = ln[(x_(k) − x_(2k)) / (x_(2k) − x_(4k))] / ln 2,      4k <= n
//!            Var ≈ γ²(2^{2γ+1} + 1) / [2(2^γ − 1)·ln 2]² / k   (3/(4 ln⁴2)/k at γ = 0)
//! moments:   M_j(k) = (1/k)·Σ_{i=1}^{k} (L_i − L_{k+1})^j,   M_1 = H(k)
//!            γ̂_M(k) = M_1 + 1 − ½·(1 − M_1²/M_2)^{-1}
//!            Var ≈ (1 + γ²)/k for γ >= 0;
//!                  (1−γ)²(1−2γ)(1−γ+6γ²)/[(1−3γ)(1−4γ)]/k for γ < 0
//! kernel Hill (biweight K(u) = (1 − u²)² on [0, 1], u_j = j/k):
//!            γ̂_K(k) = Σ_{j=1}^{k} K(u_j)·j·(L_j − L_{j+1}) / Σ_{j=1}^{k} K(u_j)
//!            SE = γ̂_K·√(Σ K(u_j)²) / Σ K(u_j)       (exact for a Pareto sample)
//! GPD over threshold u, excesses y = x − u > 0 (m of them), shape ξ, scale σ > 0:
//!            F(y) = 1 − (1 + ξy/σ)^{−1/ξ}  (ξ ≠ 0),  1 − e^{−y/σ}  (ξ = 0)
//!            ξ < 0: bounded (light) tail, ξ = 0: exponential-type, ξ > 0: heavy with α = 1/ξ
//! ```
//! With `K ≡ 1` the kernel Hill is exactly `H(k)`: `Σ_{j<=k} j·(L_j − L_{j+1}) = Σ_{j<=k} L_j − k·L_{k+1}`.
//! Under an exact Pareto(α) law the scaled log-spacings `j·(L_j − L_{j+1})` are i.i.d.
//! Exp(mean γ) (Rényi), which gives the kernel-Hill SE above. The biweight puts zero weight on
//! the spacing at the threshold, so `γ̂_K(k)` is a smooth function of `k` (the Hill plot's
//! jitter is gone) at the price of variance `≈ (10/7)·γ²/k` instead of `γ²/k`.
//!
//! # Hill versus the Clauset/`powerlaw` continuous MLE
//! `powerlaw` (Clauset, Shalizi & Newman 2009, eq. 3.1) fits a density `∝ x^{−α̂}` to the
//! `n_t` values `x >= x_min`, `α̂ = 1 + n_t / Σ_{x_i >= x_min} ln(x_i/x_min)`, so its tail
//! index is `α̂ − 1` and its `γ` is `1/(α̂ − 1)`. With `x_min = x_(k+1)` the tail holds
//! `n_t = k + 1` values, the last term of the sum is `ln 1 = 0`, and the sum is `k·H(k)`:
//! ```text
//! α̂ − 1 = (k + 1)/(k·H(k))   ⇔   1/(α̂ − 1) = H(k)·k/(k + 1) = H(k)·(1 − 1/(k + 1))
//! ```
//! an exact identity: the two differ by the relative factor `1/(k + 1) = O(1/k)`, always in the
//! direction of a smaller `γ` (larger `α`) from `powerlaw`. See [`clauset_alpha`].
//!
//! # Cost
//! One `select_nth_unstable` (O(n)) and a sort of the top `kmax + 1` (Pickands: `4·kmax`)
//! values, then O(1) per `k` from compensated ([`Neumaier`]) running sums; the kernel Hill
//! uses running power sums `Σ j^p·s_j` so each `k` is O(1) too. GPD: O(m) per profile
//! likelihood evaluation, ~300 evaluations per threshold.
//!
//! References: Pickands (1975) Ann. Statist. 3; Dekkers, Einmahl & de Haan (1989) Ann. Statist.
//! 17; Csörgő, Deheuvels & Mason (1985) Ann. Statist. 13; Grimshaw (1993) Technometrics 35
//! (profile likelihood in `θ = ξ/σ`); Smith (1985) Biometrika 72 (regularity for `ξ > −1/2`);
//! de Haan & Ferreira (2006) *Extreme Value Theory*, §3–4 (asymptotic variances).

use crate::dist::normal_quantile_two_sided;

use crate::error::{Error, Result};
use crate::numerics::moments::mean;
use crate::numerics::optimize::{golden_section, Goal};
use crate::numerics::Neumaier;

use super::hill::top_descending;

/// One tail-index estimate at one `k`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TailEstimate {
    /// Number of upper order statistics used (exceedances of `threshold`).
    pub k: usize,
    /// Estimated extreme-value index `γ` (`1/α` for a heavy tail).
    pub gamma: f64,
    /// Asymptotic standard error of `gamma` (formula in the module docs).
    pub se: f64,
    /// The threshold order statistic (`x_(k+1)`; Pickands: `x_(4k)`).
    pub threshold: f64,
}

impl TailEstimate {
    /// Two-sided asymptotic normal confidence interval `γ̂ ± z_{(1+level)/2}·SE`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] unless `0 < level < 1`.
    pub fn asymptotic_ci(&self, level: f64) -> Result<(f64, f64)> {
        let z = normal_quantile_two_sided(level)?;
        Ok((self.gamma - z * self.se, self.gamma + z * self.se))
    }
}

/// Rejects empty / too short samples and non-finite values.
pub(crate) fn check_finite(x: &[f64], min: usize, name: &'static str) -> Result<()> {
    if x.is_empty() {
        return Err(Error::Empty { name });
    }
    if x.len() < min {
        return Err(Error::TooShort {
            name,
            len: x.len(),
            min,
        });
    }
    if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
        return Err(Error::NotFinite { name, value: v });
    }
    Ok(())
}

fn check_kmax(kmax: usize, max: usize, range: &'static str) -> Result<()> {
    if kmax < 1 || kmax > max {
        return Err(Error::OutOfRange {
            name: "kmax",
            value: kmax as f64,
            range,
        });
    }
    Ok(())
}

/// Logs of the top values, requiring the smallest one used to be `> 0`.
pub(crate) fn positive_logs(top: &[f64], who: &'static str) -> Result<Vec<f64>> {
    let last = *top.last().ok_or(Error::Empty { name: "sample" })?;
    if !(last > 0.0) {
        return Err(Error::NotPositive {
            name: who,
            value: last,
        });
    }
    Ok(top.iter().map(|v| v.ln()).collect())
}

/// Hill's `H(k)` for every `k = 1..=kmax` (entry `k − 1`) with `SE = H(k)/√k` (exact-Pareto
/// Rényi SE, plug-in) and threshold `x_(k+1)`; wraps [`super::hill::hill_all_k`].
///
/// # Errors
/// As [`super::hill::hill_all_k`] (every value must be finite and `> 0`).
pub fn hill_estimates(x: &[f64], kmax: usize) -> Result<Vec<TailEstimate>> {
    let h = super::hill::hill_all_k(x, kmax)?;
    let top = top_descending(x, kmax + 1);
    Ok(h.iter()
        .enumerate()
        .map(|(i, &g)| TailEstimate {
            k: i + 1,
            gamma: g,
            se: g / ((i + 1) as f64).sqrt(),
            threshold: top[i + 1],
        })
        .collect())
}

/// Asymptotic variance factor `k·Var(γ̂_P)` of Pickands' estimator.
pub fn pickands_var_factor(gamma: f64) -> f64 {
    let ln2 = std::f64::consts::LN_2;
    if gamma.abs() < 1e-6 {
        return 3.0 / (4.0 * ln2.powi(4));
    }
    let d = 2.0 * (2f64.powf(gamma) - 1.0) * ln2;
    gamma * gamma * (2f64.powf(2.0 * gamma + 1.0) + 1.0) / (d * d)
}

/// Asymptotic variance factor `k·Var(γ̂_M)` of the moment estimator.
pub fn moments_var_factor(gamma: f64) -> f64 {
    if gamma >= 0.0 {
        1.0 + gamma * gamma
    } else {
        let g = gamma;
        (1.0 - g).powi(2) * (1.0 - 2.0 * g) * (1.0 - g + 6.0 * g * g)
            / ((1.0 - 3.0 * g) * (1.0 - 4.0 * g))
    }
}

/// Pickands' estimator for every `k = 1..=kmax` (entry `k − 1`); needs `4·kmax <= n`.
/// Works on any real data (no logs). The SE plugs `γ̂` into the asymptotic variance.
///
/// # Errors
/// [`Error::Empty`] / [`Error::TooShort`] (minimum 4 values) / [`Error::NotFinite`];
/// [`Error::OutOfRange`] unless `1 <= kmax <= n/4`; [`Error::Other`] when ties make a spacing
/// `x_(2k) − x_(4k)` zero (the estimator is undefined there: lower `kmax`).
pub fn pickands_all_k(x: &[f64], kmax: usize) -> Result<Vec<TailEstimate>> {
    check_finite(x, 4, "sample (Pickands)")?;
    check_kmax(kmax, x.len() / 4, "[1, n/4] (Pickands needs 4k <= n)")?;
    let top = top_descending(x, 4 * kmax);
    let ln2 = std::f64::consts::LN_2;
    let mut out = Vec::with_capacity(kmax);
    for k in 1..=kmax {
        let (a, b, c) = (top[k - 1], top[2 * k - 1], top[4 * k - 1]);
        let (num, den) = (a - b, b - c);
        if !(num > 0.0 && den > 0.0) {
            return Err(Error::Other(format!(
                "Pickands estimator undefined at k = {k}: tied order statistics \
                 (x_(k) − x_(2k) = {num}, x_(2k) − x_(4k) = {den}); lower kmax below {k}"
            )));
        }
        let gamma = (num / den).ln() / ln2;
        out.push(TailEstimate {
            k,
            gamma,
            se: (pickands_var_factor(gamma) / k as f64).sqrt(),
            threshold: c,
        });
    }
    Ok(out)
}

/// The moment (Dekkers–Einmahl–de Haan) estimator for every `k = 2..=kmax` (entry `k − 2`;
/// `k = 1` is degenerate: `M_1² = M_2` there, so `γ̂ = −∞`).
/// Only the top `kmax + 1` values must be positive (light-tailed samples such as a normal are
/// fine as long as `x_(kmax+1) > 0`).
///
/// # Errors
/// [`Error::Empty`] / [`Error::TooShort`] (minimum 2) / [`Error::NotFinite`];
/// [`Error::OutOfRange`] unless `2 <= kmax <= n − 1`; [`Error::NotPositive`] when
/// `x_(kmax+1) <= 0` (shift the sample, e.g. `x − min(x) + 1`, or lower `kmax`);
/// [`Error::Other`] when ties make `M_2 = 0` at some `k`.
pub fn moments_all_k(x: &[f64], kmax: usize) -> Result<Vec<TailEstimate>> {
    check_finite(x, 3, "sample (moments)")?;
    if kmax < 2 {
        return Err(Error::OutOfRange {
            name: "kmax",
            value: kmax as f64,
            range: "[2, n − 1] (the moment estimator is degenerate at k = 1)",
        });
    }
    check_kmax(kmax, x.len() - 1, "[2, n − 1]")?;
    let top = top_descending(x, kmax + 1);
    let logs = positive_logs(
        &top,
        "moments estimator: x_(kmax+1) (logs need positive values; shift the sample, e.g. x − min(x) + 1, or lower kmax)",
    )?;
    // shifted logs keep M2 = S2/k − 2·l·S1/k + l² free of cancellation
    let c = logs[kmax];
    let (mut s1, mut s2) = (Neumaier::new(), Neumaier::new());
    let mut out = Vec::with_capacity(kmax);
    for k in 1..=kmax {
        let y = logs[k - 1] - c;
        s1.add(y);
        s2.add(y * y);
        let l = logs[k] - c;
        if k == 1 {
            continue;
        }
        let kf = k as f64;
        let m1 = s1.total() / kf - l;
        let m2 = s2.total() / kf - 2.0 * l * s1.total() / kf + l * l;
        if !(m2 > 0.0) {
            return Err(Error::Other(format!(
                "moment estimator undefined at k = {k}: the top {} values are tied (M2 = 0); raise k",
                k + 1
            )));
        }
        let gamma = m1 + 1.0 - 0.5 / (1.0 - m1 * m1 / m2);
        out.push(TailEstimate {
            k,
            gamma,
            se: (moments_var_factor(gamma) / kf).sqrt(),
            threshold: top[k],
        });
    }
    Ok(out)
}

/// The biweight kernel Hill estimator (Csörgő–Deheuvels–Mason; formula in the module docs) for
/// every `k = 1..=kmax` (entry `k − 1`), each in O(1) from running power sums. At `k = 1`
/// the only kernel weight `K(1)` is zero, so that entry is Hill's `H(1)` with SE `H(1)`.
///
/// # Errors
/// [`Error::Empty`] / [`Error::TooShort`] (minimum 2) / [`Error::NotFinite`];
/// [`Error::OutOfRange`] unless `1 <= kmax <= n − 1`; [`Error::NotPositive`] when
/// `x_(kmax+1) <= 0` (the logs need positive values: shift the sample or lower `kmax`).
pub fn kernel_hill(x: &[f64], kmax: usize) -> Result<Vec<TailEstimate>> {
    check_finite(x, 2, "sample (kernel Hill)")?;
    check_kmax(kmax, x.len() - 1, "[1, n − 1]")?;
    let top = top_descending(x, kmax + 1);
    let logs = positive_logs(
        &top,
        "kernel Hill: x_(kmax+1) (logs need positive values; shift the sample, e.g. x − min(x) + 1, or lower kmax)",
    )?;
    // K(j/k) = 1 − 2j²/k² + j⁴/k⁴; numerator Σ K·j·s_j needs Σ j^{1,3,5} s_j,
    // Σ K needs Σ j^{0,2,4}, Σ K² = Σ (1 − 4u² + 6u⁴ − 4u⁶ + u⁸) needs Σ j^{0,2,4,6,8}.
    let mut a = [Neumaier::new(), Neumaier::new(), Neumaier::new()]; // Σ j^1 s, j^3 s, j^5 s
    let mut p = [0.0f64; 5]; // Σ j^0, j^2, j^4, j^6, j^8 (exact enough in f64: relative 1e-16)
    let mut out = Vec::with_capacity(kmax);
    for k in 1..=kmax {
        let j = k as f64;
        let s = logs[k - 1] - logs[k];
        let j2 = j * j;
        a[0].add(j * s);
        a[1].add(j * j2 * s);
        a[2].add(j * j2 * j2 * s);
        let mut pw = 1.0;
        for q in p.iter_mut() {
            *q += pw;
            pw *= j2;
        }
        let (k2, k4) = (j2, j2 * j2);
        let num = a[0].total() - 2.0 * a[1].total() / k2 + a[2].total() / k4;
        let sk = p[0] - 2.0 * p[1] / k2 + p[2] / k4;
        let sk2 =
            p[0] - 4.0 * p[1] / k2 + 6.0 * p[2] / k4 - 4.0 * p[3] / (k4 * k2) + p[4] / (k4 * k4);
        let (gamma, se) = if sk > 0.0 {
            let g = num / sk;
            (g, g.abs() * sk2.max(0.0).sqrt() / sk)
        } else {
            // k = 1: the only weight K(1) = 0 — report Hill H(1) = L_1 − L_2, SE = H(1)
            (s, s)
        };
        out.push(TailEstimate {
            k,
            gamma,
            se,
            threshold: top[k],
        });
    }
    Ok(out)
}

/// The biweight kernel-type estimator of Groeneboom, Lopuhaä & de Wolf (2003, Ann. Statist.
/// 31), valid for any real `γ`, at bandwidths `h ∈ (0, 1]` (fractions of `n`), in the
/// discretisation `tailestim` uses (`get_biweight_kernel_estimates`):
/// ```text
/// u_i = i/n,  d_i = L_i − L_{i+1},  v = u_i/h,  φ(v) = (15/8)(1 − v²)²,  sums over i = 1..⌊nh⌋ − 1
/// γ̂⁺(h) = Σ v·φ(v)·d_i,   q₁ = Σ u_i^α φ(v) d_i,   q₂ = Σ u_i^α [(1+α) − 2(3+α)v² + (5+α)v⁴]·(15/8)·d_i
/// ξ̂(h) = γ̂⁺(h) − 1 + q₂/q₁                      (α > 1/2, `tailestim` default 0.6)
/// ```
/// `γ̂⁺` is a kernel Hill estimate normalised by `nh` (∫φ = 1) rather than by `Σ φ`, as in
/// [`kernel_hill`]; the `q₂/q₁ − 1` term corrects it to the real line. O(nh) per bandwidth.
///
/// # Errors
/// [`Error::Empty`] / [`Error::TooShort`] (minimum 4) / [`Error::NotFinite`];
/// [`Error::OutOfRange`] unless `α > 1/2` and `3 <= ⌊n·h⌋ <= n` for every `h`;
/// [`Error::NotPositive`] when the smallest value used is `<= 0`; [`Error::Other`] when
/// `q₁ = 0` (ties).
pub fn kernel_type_biweight(x: &[f64], h: &[f64], alpha: f64) -> Result<Vec<f64>> {
    check_finite(x, 4, "sample (kernel-type estimator)")?;
    if !(alpha > 0.5) || !alpha.is_finite() {
        return Err(Error::OutOfRange {
            name: "kernel-type alpha",
            value: alpha,
            range: "(1/2, ∞)",
        });
    }
    let n = x.len();
    let mut mmax = 0;
    for &hh in h {
        let m = (n as f64 * hh).floor();
        if !(m >= 3.0 && m <= n as f64) {
            return Err(Error::OutOfRange {
                name: "kernel-type bandwidth h",
                value: hh,
                range: "[3/n, 1]",
            });
        }
        mmax = mmax.max(m as usize);
    }
    let top = top_descending(x, mmax);
    let logs = positive_logs(
        &top,
        "kernel-type estimator: smallest value used (logs need positive values; shift the sample)",
    )?;
    let nf = n as f64;
    h.iter()
        .map(|&hh| {
            let m = (nf * hh).floor() as usize;
            let (mut g, mut q1, mut q2) = (Neumaier::new(), Neumaier::new(), Neumaier::new());
            for i in 1..m {
                let u = i as f64 / nf;
                let v = u / hh;
                let w = 1.0 - v * v;
                let d = logs[i - 1] - logs[i];
                let phi = 1.875 * w * w;
                let ua = u.powf(alpha);
                g.add(v * phi * d);
                q1.add(ua * phi * d);
                q2.add(
                    ua * 1.875
                        * ((1.0 + alpha) - 2.0 * (3.0 + alpha) * v * v
                            + (5.0 + alpha) * v * v * v * v)
                        * d,
                );
            }
            if !(q1.total().abs() > 0.0) {
                return Err(Error::Other(format!(
                    "kernel-type estimator undefined at h = {hh}: the top {m} values are tied"
                )));
            }
            Ok(g.total() - 1.0 + q2.total() / q1.total())
        })
        .collect()
}

/// The Clauset/`powerlaw` continuous MLE `α̂ = 1 + n_t/Σ ln(x_i/x_min)` over the `n_t`
/// values `x_i >= x_min` (density exponent; tail index `α̂ − 1`, `γ = 1/(α̂ − 1)`).
///
/// # Errors
/// [`Error::NotPositive`] for `x_min <= 0`; [`Error::TooShort`] when fewer than 2 values are
/// `>= x_min` or all of them equal `x_min`.
pub fn clauset_alpha(x: &[f64], x_min: f64) -> Result<f64> {
    if !(x_min > 0.0) {
        return Err(Error::NotPositive {
            name: "x_min",
            value: x_min,
        });
    }
    let mut s = Neumaier::new();
    let mut n = 0usize;
    for &v in x.iter().filter(|&&v| v >= x_min) {
        s.add((v / x_min).ln());
        n += 1;
    }
    if n < 2 || !(s.total() > 0.0) {
        return Err(Error::TooShort {
            name: "values >= x_min (distinct)",
            len: n,
            min: 2,
        });
    }
    Ok(1.0 + n as f64 / s.total())
}

/// A peaks-over-threshold generalised-Pareto fit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GpdFit {
    /// The threshold `u`.
    pub threshold: f64,
    /// Number of exceedances `x > u` used.
    pub k: usize,
    /// Shape `ξ` (= `γ`): `< 0` bounded/light, `0` exponential-type, `> 0` heavy.
    pub gamma: f64,
    /// Standard error of `gamma` from the observed information.
    pub se: f64,
    /// Scale `σ > 0`.
    pub sigma: f64,
    /// Standard error of `sigma` from the observed information.
    pub se_sigma: f64,
    /// Maximised log-likelihood of the excesses.
    pub loglik: f64,
}

/// Minimum number of exceedances for [`gpd_fit`].
pub const GPD_MIN_EXCEEDANCES: usize = 10;

/// Profile log-likelihood of Grimshaw's `θ = ξ/σ`, and the implied `ξ(θ)`.
fn gpd_profile(y: &[f64], theta: f64) -> (f64, f64) {
    let m = y.len() as f64;
    let mean_y = mean(y);
    if theta.abs() * y.iter().fold(0.0f64, |a, &b| a.max(b)) < 1e-12 {
        // exponential limit: σ = ȳ, ξ = 0
        return (-m * (mean_y.ln() + 1.0), 0.0);
    }
    let mut s = Neumaier::new();
    for &v in y {
        s.add((theta * v).ln_1p());
    }
    let xi = s.total() / m;
    // σ = ξ/θ > 0 for θ in (−1/y_max, 0) ∪ (0, ∞)
    let sigma = xi / theta;
    (-m * (sigma.ln() + xi + 1.0), xi)
}

/// Observed-information standard errors of `(ξ, σ)` (analytic Hessian of the log-likelihood).
fn gpd_observed_se(y: &[f64], xi: f64, sigma: f64) -> (f64, f64) {
    let m = y.len() as f64;
    // the ξξ term is a difference of O(1/ξ²) terms: evaluate it at |ξ| >= 1e-3 (error O(1e-3))
    let xe = if xi.abs() < 1e-3 {
        1e-3f64.copysign(if xi == 0.0 { 1.0 } else { xi })
    } else {
        xi
    };
    let (mut szw, mut sz2w2, mut szw2) = (Neumaier::new(), Neumaier::new(), Neumaier::new());
    let (mut sl_e, mut szw_e, mut sz2w2_e) = (Neumaier::new(), Neumaier::new(), Neumaier::new());
    for &v in y {
        let z = v / sigma;
        let w = 1.0 + xi * z;
        szw.add(z / w);
        sz2w2.add(z * z / (w * w));
        szw2.add(z / (w * w));
        let we = 1.0 + xe * z;
        sl_e.add((xe * z).ln_1p());
        szw_e.add(z / we);
        sz2w2_e.add(z * z / (we * we));
    }
    let h_xx = -2.0 / xe.powi(3) * sl_e.total()
        + 2.0 / (xe * xe) * szw_e.total()
        + (1.0 + 1.0 / xe) * sz2w2_e.total();
    let s2 = sigma * sigma;
    let h_ss = m / s2 - (1.0 + xi) / s2 * szw.total() + (1.0 + xi) / s2 * szw2.total();
    let h_xs = (szw.total() - (1.0 + xi) * sz2w2.total()) / sigma;
    // information J = −H; covariance = J^{-1}
    let (a, b, d) = (-h_xx, -h_xs, -h_ss);
    let det = a * d - b * b;
    if det > 0.0 && a > 0.0 && d > 0.0 {
        ((d / det).sqrt(), (a / det).sqrt())
    } else {
        // not positive definite (ξ <= −1/2 region): expected information (Smith 1985)
        let f = (1.0 + xi).max(0.0);
        (f / m.sqrt(), sigma * (2.0 * f).sqrt() / m.sqrt())
    }
}

/// Maximises the profile likelihood over `s = θ·y_max ∈ (−1, ∞)`, keeping `ξ > −1` (the
/// likelihood is unbounded as `ξ → −∞`; the MLE is the local maximum with `ξ > −1`, Grimshaw
/// 1993): a log-spaced grid, then golden-section refinement around the best grid point.
fn gpd_fit_excesses(y: &[f64]) -> (f64, f64, f64) {
    let ymax = y.iter().fold(0.0f64, |a, &b| a.max(b));
    let eval = |s: f64| -> (f64, f64) {
        let (l, xi) = gpd_profile(y, s / ymax);
        if xi > -1.0 && l.is_finite() {
            (l, xi)
        } else {
            (f64::NEG_INFINITY, xi)
        }
    };
    // s = θ·y_max: near −1 as −(1 − 10^{−i/10}), small negative as −10^{−i/10}, 0, and
    // positive 10^{i/10} from 1e-8 to 1e10; sorted
    let mut grid = Vec::with_capacity(400);
    for i in 1..=120 {
        grid.push(-(1.0 - 10f64.powf(-(i as f64) / 10.0)));
    }
    for i in 3..=80 {
        grid.push(-(10f64.powf(-(i as f64) / 10.0)));
    }
    grid.push(0.0);
    for i in -80..=100 {
        grid.push(10f64.powf(i as f64 / 10.0));
    }
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    let vals: Vec<f64> = grid.iter().map(|&s| eval(s).0).collect();
    let (ibest, _) = vals
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv {
                (i, v)
            } else {
                (bi, bv)
            }
        });
    let lo = grid[ibest.saturating_sub(1)];
    let hi = grid[(ibest + 1).min(grid.len() - 1)];
    // golden section on [lo, hi]
    let Ok((g, _)) = golden_section(
        |s| Ok::<f64, std::convert::Infallible>(eval(s).0),
        lo,
        hi,
        Goal::MaxTiesLeft,
        200,
        |g| (g.b - g.a).abs() <= 1e-13 * (1.0 + g.a.abs().max(g.b.abs())),
        |_| {},
    );
    let mut best = (vals[ibest], grid[ibest]);
    for (s, v) in [(g.c, g.fc), (g.d, g.fd)] {
        if v > best.0 {
            best = (v, s);
        }
    }
    let s = best.1;
    let (l, xi) = gpd_profile(y, s / ymax);
    let sigma = if s == 0.0 || xi == 0.0 {
        mean(y)
    } else {
        xi / (s / ymax)
    };
    (xi, sigma, l)
}

/// Peaks-over-threshold GPD maximum likelihood at each threshold `u` in `thresholds`: the
/// excesses `x − u` of the values `x > u` are fitted by Grimshaw's profile likelihood (module
/// docs); SEs from the observed information (expected information where it is not positive
/// definite, i.e. near `ξ <= −1/2`, where ML is irregular).
///
/// # Errors
/// [`Error::Empty`] (no thresholds / empty sample), [`Error::NotFinite`] (sample or
/// threshold), [`Error::TooShort`] when fewer than [`GPD_MIN_EXCEEDANCES`] values exceed a
/// threshold, [`Error::Other`] when all excesses are equal.
pub fn gpd_fit(x: &[f64], thresholds: &[f64]) -> Result<Vec<GpdFit>> {
    check_finite(x, GPD_MIN_EXCEEDANCES, "sample (GPD)")?;
    if thresholds.is_empty() {
        return Err(Error::Empty { name: "thresholds" });
    }
    let mut out = Vec::with_capacity(thresholds.len());
    for &u in thresholds {
        if !u.is_finite() {
            return Err(Error::NotFinite {
                name: "GPD threshold",
                value: u,
            });
        }
        let y: Vec<f64> = x.iter().filter(|&&v| v > u).map(|&v| v - u).collect();
        if y.len() < GPD_MIN_EXCEEDANCES {
            return Err(Error::TooShort {
                name: "exceedances of the GPD threshold",
                len: y.len(),
                min: GPD_MIN_EXCEEDANCES,
            });
        }
        let (mn, mx) = y
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
        if mn == mx {
            return Err(Error::Other(format!(
                "GPD fit at threshold {u}: all {} excesses equal {mx}",
                y.len()
            )));
        }
        let (xi, sigma, loglik) = gpd_fit_excesses(&y);
        let (se, se_sigma) = gpd_observed_se(&y, xi, sigma);
        out.push(GpdFit {
            threshold: u,
            k: y.len(),
            gamma: xi,
            se,
            sigma,
            se_sigma,
            loglik,
        });
    }
    Ok(out)
}

/// GPD log-likelihood of excesses `y` at `(ξ, σ)` (for tests and model comparison).
pub fn gpd_loglik(y: &[f64], xi: f64, sigma: f64) -> f64 {
    if !(sigma > 0.0) {
        return f64::NEG_INFINITY;
    }
    let m = y.len() as f64;
    let mut s = Neumaier::new();
    for &v in y {
        let t = xi * v / sigma;
        if t <= -1.0 {
            return f64::NEG_INFINITY;
        }
        if xi.abs() < 1e-12 {
            s.add(v / sigma);
        } else {
            s.add((1.0 + 1.0 / xi) * t.ln_1p());
        }
    }
    -m * sigma.ln() - s.total()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::hill_all_k;
    use crate::numerics::{tol, tolerance::assert_close, Tolerance};
    use crate::sim::par_sample::par_sample;
    use crate::sim::seeds::stream_rng;
    use rand::RngExt;
    use rand_distr::Pareto;

    fn desc(x: &[f64]) -> Vec<f64> {
        let mut v = x.to_vec();
        v.sort_by(|a, b| b.total_cmp(a));
        v
    }

    /// GPD(ξ, σ) excesses by inversion: y = σ·(U^{−ξ} − 1)/ξ.
    fn gpd_sample(xi: f64, sigma: f64, n: usize, path: &str) -> Vec<f64> {
        let mut r = stream_rng(7, path);
        (0..n)
            .map(|_| {
                let u: f64 = 1.0 - r.random::<f64>();
                if xi == 0.0 {
                    -sigma * u.ln()
                } else {
                    sigma * (u.powf(-xi) - 1.0) / xi
                }
            })
            .collect()
    }

    #[test]
    fn all_k_match_direct_formulas() {
        let x = par_sample(&Pareto::new(1.5, 2.0).unwrap(), 4_000, 3, "ti-direct");
        let v = desc(&x);
        let l: Vec<f64> = v.iter().map(|a| a.ln()).collect();
        let p = pickands_all_k(&x, 1000).unwrap();
        let m = moments_all_k(&x, 3000).unwrap();
        let kh = kernel_hill(&x, 3000).unwrap();
        for k in [1usize, 2, 5, 99, 1000] {
            let g = ((v[k - 1] - v[2 * k - 1]) / (v[2 * k - 1] - v[4 * k - 1])).ln() / 2f64.ln();
            assert_close(p[k - 1].gamma, g, Tolerance::rel(1e-12));
            assert_eq!(p[k - 1].threshold, v[4 * k - 1]);
        }
        assert_eq!(m[0].k, 2);
        for k in [2usize, 3, 50, 2999, 3000] {
            let m1: f64 = (0..k).map(|i| l[i] - l[k]).sum::<f64>() / k as f64;
            let m2: f64 = (0..k).map(|i| (l[i] - l[k]).powi(2)).sum::<f64>() / k as f64;
            let g = m1 + 1.0 - 0.5 / (1.0 - m1 * m1 / m2);
            assert_close(m[k - 2].gamma, g, Tolerance::rel(1e-10));
            {
                let kf = k as f64;
                let w: Vec<f64> = (1..=k)
                    .map(|j| (1.0 - (j as f64 / kf).powi(2)).powi(2))
                    .collect();
                let num: f64 = (1..=k)
                    .map(|j| w[j - 1] * j as f64 * (l[j - 1] - l[j]))
                    .sum();
                let den: f64 = w.iter().sum();
                let g = num / den;
                assert_close(kh[k - 1].gamma, g, Tolerance::rel(1e-9));
                let se = g * w.iter().map(|a| a * a).sum::<f64>().sqrt() / den;
                assert_close(kh[k - 1].se, se, Tolerance::rel(1e-8));
            }
        }
        // k = 1: Hill
        assert_close(kh[0].gamma, l[0] - l[1], Tolerance::rel(1e-15));
    }

    #[test]
    fn hill_estimates_carry_se_and_threshold() {
        let x = [1.0, 2.0, 4.0, 8.0];
        let h = hill_estimates(&x, 3).unwrap();
        let l2 = 2f64.ln();
        // H(1) = ln8 − ln4, H(2) = (ln8 + ln4)/2 − ln2, H(3) = (ln8+ln4+ln2)/3 − 0
        for (e, want) in h.iter().zip([l2, 1.5 * l2, 2.0 * l2]) {
            assert_close(e.gamma, want, Tolerance::rel(1e-14));
            assert_close(e.se, want / (e.k as f64).sqrt(), Tolerance::rel(1e-14));
        }
        assert_eq!(h[2].threshold, 1.0);
        let (lo, hi) = h[2].asymptotic_ci(0.95).unwrap();
        assert_close(
            hi - lo,
            2.0 * 1.959_963_984_540_054 * h[2].se,
            Tolerance::rel(1e-9),
        );
    }

    #[test]
    fn clauset_mle_is_hill_times_k_over_k_plus_1() {
        // Exact identity 1/(α̂ − 1) = H(k)·k/(k + 1) with x_min = x_(k+1) (module docs).
        let x = par_sample(&Pareto::new(1.0, 2.5).unwrap(), 20_000, 4, "ti-clauset");
        let v = desc(&x);
        let h = hill_all_k(&x, 10_000).unwrap();
        for k in [10usize, 100, 1_000, 10_000] {
            let a = clauset_alpha(&x, v[k]).unwrap();
            let kf = k as f64;
            assert_close(
                1.0 / (a - 1.0),
                h[k - 1] * kf / (kf + 1.0),
                Tolerance::rel(1e-11),
            );
            // relative gap is exactly 1/(k+1) = O(1/k)
            assert_close(h[k - 1] * (a - 1.0) - 1.0, 1.0 / kf, Tolerance::rel(1e-8));
        }
    }

    #[test]
    fn pareto_recovered_by_all_estimators() {
        // Pareto(α = 2), γ = 0.5; each within MC_Z·SE (two-sided FPR 6.3e-5 each if unbiased).
        let x = par_sample(&Pareto::new(1.0, 2.0).unwrap(), 100_000, 5, "ti-pareto");
        let k = 2_000;
        let p = pickands_all_k(&x, k).unwrap()[k - 1];
        let m = moments_all_k(&x, k).unwrap()[k - 2];
        let kh = kernel_hill(&x, k).unwrap()[k - 1];
        let u = desc(&x)[k];
        let g = gpd_fit(&x, &[u]).unwrap()[0];
        for e in [p.gamma, m.gamma, kh.gamma, g.gamma]
            .iter()
            .zip([p.se, m.se, kh.se, g.se])
        {
            assert!((e.0 - 0.5).abs() <= tol::MC_Z * e.1, "γ̂ {} SE {}", e.0, e.1);
        }
        // GPD on exact Pareto excesses: σ = ξ·u
        assert!((g.sigma - 0.5 * u).abs() <= tol::MC_Z * g.se_sigma);
        assert_eq!(g.k, k);
    }

    #[test]
    fn gpd_recovers_shape_and_is_a_maximum() {
        for (i, &xi) in [-0.4, -0.1, 0.0, 0.2, 1.0].iter().enumerate() {
            let y = gpd_sample(xi, 2.0, 4_000, &format!("gpd-{i}"));
            let f = gpd_fit(&y, &[0.0]).unwrap()[0];
            // expected-information SE (Smith 1985): (1 + ξ)/√m — observed must be close
            let se_exp = (1.0 + xi) / (4_000f64).sqrt();
            assert!(
                (f.se / se_exp - 1.0).abs() < 0.25,
                "ξ {xi}: se {} vs {se_exp}",
                f.se
            );
            assert!((f.gamma - xi).abs() <= tol::MC_Z * f.se, "ξ {xi}: {f:?}");
            assert!(
                (f.sigma - 2.0).abs() <= tol::MC_Z * f.se_sigma,
                "ξ {xi}: {f:?}"
            );
            assert_close(
                f.loglik,
                gpd_loglik(&y, f.gamma, f.sigma),
                Tolerance::rel(1e-9),
            );
            for (dx, ds) in [(1e-3, 0.0), (-1e-3, 0.0), (0.0, 1e-3), (0.0, -1e-3)] {
                assert!(gpd_loglik(&y, f.gamma + dx, f.sigma * (1.0 + ds)) <= f.loglik + 1e-9);
            }
        }
    }

    #[test]
    fn asymptotic_variances_at_known_points() {
        // Pickands γ = 1: 1·(2³ + 1)/(2·1·ln2)² = 9/(4 ln²2); moments γ = −1/2: (9/4)(2)(3)/(2.5·3)
        let ln2 = std::f64::consts::LN_2;
        assert_close(
            pickands_var_factor(1.0),
            9.0 / (4.0 * ln2 * ln2),
            Tolerance::rel(1e-14),
        );
        assert_close(
            pickands_var_factor(1e-9),
            pickands_var_factor(1e-5),
            Tolerance::rel(1e-4),
        );
        assert_close(
            moments_var_factor(-0.5),
            2.25 * 2.0 * 3.0 / 7.5,
            Tolerance::rel(1e-14),
        );
        assert_eq!(moments_var_factor(0.5), 1.25);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(moments_all_k(&[], 1), Err(Error::Empty { .. })));
        assert!(matches!(
            pickands_all_k(&[1.0, 2.0], 1),
            Err(Error::TooShort { min: 4, .. })
        ));
        assert!(matches!(
            moments_all_k(&[1.0, f64::NAN, 2.0], 1),
            Err(Error::NotFinite { .. })
        ));
        assert!(matches!(
            kernel_hill(&[1.0, 2.0, 3.0], 3),
            Err(Error::OutOfRange { name: "kmax", .. })
        ));
        assert!(matches!(
            pickands_all_k(&[1.0; 8], 3),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(pickands_all_k(&[1.0; 8], 2), Err(Error::Other(_))));
        // only x_(kmax+1) must be positive: −1 below it is fine, at it is an error naming the shift
        assert!(moments_all_k(&[3.0, 2.0, 1.5, -1.0], 2).is_ok());
        match moments_all_k(&[3.0, 2.0, -1.0], 2) {
            Err(Error::NotPositive { name, value }) => {
                assert!(name.contains("shift") && name.contains("moments"));
                assert_eq!(value, -1.0);
            }
            r => panic!("{r:?}"),
        }
        assert!(matches!(gpd_fit(&[1.0; 20], &[0.0]), Err(Error::Other(_))));
        assert!(matches!(
            gpd_fit(&(0..20).map(f64::from).collect::<Vec<_>>(), &[15.0]),
            Err(Error::TooShort { min: 10, .. })
        ));
        assert!(matches!(
            gpd_fit(
                &(0..20).map(f64::from).collect::<Vec<_>>(),
                &[f64::INFINITY]
            ),
            Err(Error::NotFinite { .. })
        ));
        assert!(matches!(
            clauset_alpha(&[1.0, 2.0], 0.0),
            Err(Error::NotPositive { .. })
        ));
        assert!(TailEstimate {
            k: 1,
            gamma: 0.0,
            se: 1.0,
            threshold: 0.0
        }
        .asymptotic_ci(1.0)
        .is_err());
    }
}
