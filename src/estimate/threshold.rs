//! Choosing how much of the tail to use (`k`, or `x_min = x_(k+1)`), and confidence intervals
//! for `γ̂` at the chosen `k`.
//!
//! * [`ks_select`] — Clauset, Shalizi & Newman (2009, §3.3): for each candidate `x_min` among
//!   the top order statistics, fit the continuous power law by ML above it and take the
//!   `x_min` whose fit is closest to the empirical tail in Kolmogorov–Smirnov distance.
//!   ```text
//!   tail: the n_t = k + 1 values x_(1..k+1) >= x_min = x_(k+1)
//!   α̂ − 1 = n_t / Σ_{i<=n_t} ln(x_(i)/x_min),     γ̂ = 1/(α̂ − 1) = H(k)·k/(k + 1)
//!   D(k) = sup_x |F_emp(x) − F_fit(x)|,  F_fit(x) = 1 − (x/x_min)^{−(α̂−1)}
//!   SE(γ̂) = γ̂/√n_t                         (Clauset eq. 3.2: σ_α = (α̂ − 1)/√n_t)
//!   ```
//!   Cost: one O(n) select + sort of the top `kmax + 1`, prefix sums for every `α̂(k)` in
//!   O(1), then O(k) per candidate for the exact two-sided sup over the `n_t` jump points
//!   (candidates are scanned in parallel; each is deterministic).
//! * [`double_bootstrap`] — Danielsson, de Haan, Peng & de Vries (2001), J. Multivariate
//!   Anal. 76: the asymptotic-MSE-optimal `k` for Hill's estimator.
//!   ```text
//!   M_j(k) = (1/k)·Σ_{i<=k} (L_i − L_{k+1})^j,   Q(n_s, k) = E*[(M_2*(k) − 2·M_1*(k)²)²]
//!   over bootstrap resamples of size n_s (with replacement); k_s* = argmin_k Q(n_s, k),
//!   n1 = ⌊t·n⌋ (t = 1/2 as in `tailestim`; the theory wants n1 = o(n)), n2 = ⌊n1²/n⌋,
//!   k* = (k1*²/k2*) · [(ln k1*)² / (2 ln n1 − ln k1*)²]^{(ln n1 − ln k1*)/ln n1}
//!   ```
//!   `Q` is estimated by the mean over `replicates` resamples; replicate `r` draws its size-n1
//!   and then its size-n2 resample from a Xoshiro256++ seeded by
//!   `stream_rng(seed, "tails/double-bootstrap/{r}")`;
//!   replicates run in parallel in fixed waves whose per-k sums are added in replicate order,
//!   so the result is bit-identical for any thread count. `k` is searched over
//!   `2 <= k <= ⌊0.99·n_s⌋ − 1` (as `tailestim`'s `eps_stop = 0.99`; at `k = 1` the criterion
//!   degenerates to `M_1⁴`). A false minimum (`k2* > k1*`, against the theory's `k2* < k1*`)
//!   raises the search's lower end by `⌊0.005·n⌋` until `k2* <= k1*`, as `tailestim` does.
//! * [`bootstrap_ci`] — percentile bootstrap CI of Hill's `γ̂(k)` (n-out-of-n resampling,
//!   replicate `r` seeded from `stream_rng(seed, "tails/bootstrap-ci/{r}")`), reported beside the
//!   asymptotic normal CI `γ̂ ± z·γ̂/√k`.
//!
//! Resampling is O(n) per replicate with no comparison sort: the data are sorted once; a
//! resample is a vector of counts over the sorted positions, read from the top.
//!
//! All three need positive values (logs): values `<= 0` are not in the right tail of a
//! heavy-tailed law — pass only the positive values (or a shifted sample) and say so.

use rand::RngExt;
use rayon::prelude::*;

use super::hill::top_descending;
use super::tail_index::{check_finite, positive_logs};
use crate::dist::normal_quantile_two_sided;
use crate::error::{Error, Result};
use crate::numerics::Neumaier;
use crate::sim::seeds::stream_rng;

/// Default number of candidate thresholds for [`ks_select`].
pub const KS_DEFAULT_CANDIDATES: usize = 200;

/// One point of the KS scan.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct KsPoint {
    /// Number of values above `x_min` (`n_t = k + 1` values are `>= x_min`).
    pub k: usize,
    /// The candidate threshold `x_(k+1)`.
    pub x_min: f64,
    /// `γ̂ = 1/(α̂ − 1)` (NaN when the top `k + 1` values are tied).
    pub gamma: f64,
    /// KS distance between the empirical tail and the fitted power law (`+∞` when tied).
    pub ks: f64,
}

/// Result of [`ks_select`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KsSelection {
    /// Chosen `k` (threshold `x_(k+1)`).
    pub k: usize,
    /// Chosen `x_min = x_(k+1)`.
    pub x_min: f64,
    /// Clauset's density exponent `α̂` (tail index `α̂ − 1`).
    pub alpha: f64,
    /// `γ̂ = 1/(α̂ − 1)`.
    pub gamma: f64,
    /// `γ̂/√(k + 1)`.
    pub se: f64,
    /// The minimal KS distance.
    pub ks: f64,
    /// Every candidate, in increasing `k`.
    pub scan: Vec<KsPoint>,
}

fn positive_sample(x: &[f64], min: usize, who: &'static str) -> Result<()> {
    check_finite(x, min, "sample")?;
    if let Some(&v) = x.iter().find(|&&v| !(v > 0.0)) {
        return Err(Error::NotPositive {
            name: who,
            value: v,
        });
    }
    Ok(())
}

/// Geometric grid of `count` integers in `[lo, hi]`, deduplicated, increasing.
fn geom_grid(lo: usize, hi: usize, count: usize) -> Vec<usize> {
    if count <= 1 || lo == hi {
        return vec![hi];
    }
    let (a, b) = ((lo as f64).ln(), (hi as f64).ln());
    let mut v: Vec<usize> = (0..count)
        .map(|i| {
            ((a + (b - a) * i as f64 / (count - 1) as f64).exp().round() as usize).clamp(lo, hi)
        })
        .collect();
    v.dedup();
    v
}

/// KS-distance threshold selection (module docs) over `candidates` values of `k`,
/// geometrically spaced in `[kmin, kmax]` (use ≥ 100; [`KS_DEFAULT_CANDIDATES`]).
///
/// # Errors
/// [`Error::Empty`] / [`Error::TooShort`] (minimum 3) / [`Error::NotFinite`];
/// [`Error::OutOfRange`] unless `2 <= kmin <= kmax <= n − 1` and `candidates >= 1`;
/// [`Error::NotPositive`] when `x_(kmax+1) <= 0` (shift the sample or lower `kmax`).
pub fn ks_select(x: &[f64], kmin: usize, kmax: usize, candidates: usize) -> Result<KsSelection> {
    check_finite(x, 3, "sample (KS threshold scan)")?;
    if !(2 <= kmin && kmin <= kmax && kmax < x.len()) {
        return Err(Error::OutOfRange {
            name: "KS scan k range",
            value: kmin as f64,
            range: "2 <= kmin <= kmax <= n − 1",
        });
    }
    if candidates == 0 {
        return Err(Error::OutOfRange {
            name: "candidates",
            value: 0.0,
            range: "[1, ∞)",
        });
    }
    let top = top_descending(x, kmax + 1);
    let logs = positive_logs(
        &top,
        "KS scan: x_(kmax+1) (logs need positive values; shift the sample, e.g. x − min(x) + 1, or lower kmax)",
    )?;
    ks_scan_desc(&top, &logs, kmin, kmax, candidates)
}

/// The KS scan on the top `kmax + 1` values (descending) and their logs.
fn ks_scan_desc(
    top: &[f64],
    logs: &[f64],
    kmin: usize,
    kmax: usize,
    candidates: usize,
) -> Result<KsSelection> {
    let c = logs[kmax];
    // prefix[k] = Σ_{i<k} (L_i − c), compensated
    let mut prefix = Vec::with_capacity(kmax + 2);
    let mut s = Neumaier::new();
    prefix.push(0.0);
    for &l in logs {
        s.add(l - c);
        prefix.push(s.total());
    }
    let ks: Vec<usize> = geom_grid(kmin, kmax, candidates);
    let scan: Vec<KsPoint> = ks
        .par_iter()
        .map(|&k| {
            let nt = k + 1;
            let lmin = logs[k];
            let sum = prefix[k] - k as f64 * (lmin - c); // Σ_{i<=k} (L_i − L_{k+1}) = k·H(k)
            if !(sum > 0.0) {
                // the top k + 1 values are tied: no power-law fit (excluded from the minimum)
                return KsPoint {
                    k,
                    x_min: top[k],
                    gamma: f64::NAN,
                    ks: f64::INFINITY,
                };
            }
            let a1 = nt as f64 / sum; // α̂ − 1
            let ntf = nt as f64;
            let mut d = 0.0f64;
            for (i, &l) in logs[..nt].iter().enumerate() {
                let pos = (nt - i) as f64; // ascending rank
                let f = -(-a1 * (l - lmin)).exp_m1();
                d = d.max(pos / ntf - f).max(f - (pos - 1.0) / ntf);
            }
            KsPoint {
                k,
                x_min: top[k],
                gamma: 1.0 / a1,
                ks: d,
            }
        })
        .collect();
    let best = scan
        .iter()
        .copied()
        .fold(None::<KsPoint>, |b, p| match b {
            Some(q) if q.ks <= p.ks => Some(q),
            _ => Some(p),
        })
        .ok_or(Error::Empty {
            name: "KS candidates",
        })?;
    if !best.ks.is_finite() {
        return Err(Error::Other(format!(
            "KS scan: the top {} values are tied; raise kmin",
            best.k + 1
        )));
    }
    Ok(KsSelection {
        k: best.k,
        x_min: best.x_min,
        alpha: 1.0 + 1.0 / best.gamma,
        gamma: best.gamma,
        se: best.gamma / ((best.k + 1) as f64).sqrt(),
        ks: best.ks,
        scan,
    })
}

/// [`ks_select`] with bootstrap confidence intervals: the whole selection (the scan over the
/// same `k` grid) is repeated on `replicates` resamples of size `n` with replacement, and
/// percentile intervals are taken of the re-selected `γ̂`, `α̂`, `x̂_min` and `k` (Clauset,
/// Shalizi & Newman 2009, §3.5, report these bootstrap uncertainties next to `α̂`, `x̂_min`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KsBootstrap {
    /// The selection on the data.
    pub selection: KsSelection,
    /// Confidence level.
    pub level: f64,
    /// Replicates.
    pub replicates: usize,
    /// Percentile interval of `γ̂ = 1/(α̂ − 1)`.
    pub gamma_ci: (f64, f64),
    /// Bootstrap standard deviation of `γ̂`.
    pub gamma_se_bootstrap: f64,
    /// Percentile interval of Clauset's `α̂`.
    pub alpha_ci: (f64, f64),
    /// Percentile interval of `x̂_min`.
    pub x_min_ci: (f64, f64),
    /// Percentile interval of the selected `k`.
    pub k_ci: (f64, f64),
}

/// KS threshold selection with bootstrap CIs (see [`KsBootstrap`]). Replicate `r` draws the
/// top `kmax + 1` of its resample in order from sorted uniforms (exponential spacings, O(kmax))
/// with the generator `stream_rng(seed, "tails/ks-bootstrap/{r}")`; replicates run in
/// parallel and each is deterministic, so the result does not depend on the thread count.
///
/// # Errors
/// As [`ks_select`]; [`Error::OutOfRange`] unless `replicates >= 2` and `0 < level < 1`;
/// [`Error::Interrupted`] when interrupted.
pub fn ks_select_bootstrap(
    x: &[f64],
    kmin: usize,
    kmax: usize,
    candidates: usize,
    replicates: usize,
    level: f64,
    seed: u64,
) -> Result<KsBootstrap> {
    normal_quantile_two_sided(level)?;
    if replicates < 2 {
        return Err(Error::OutOfRange {
            name: "replicates",
            value: replicates as f64,
            range: "[2, ∞)",
        });
    }
    let selection = ks_select(x, kmin, kmax, candidates)?;
    let n = x.len();
    // the resample's top kmax + 1 reach past the data's x_(kmax+1) by O(√kmax) ranks
    let ext = (kmax + 1 + 10 * (kmax as f64).sqrt() as usize + 100).min(n);
    let top = top_descending(x, ext);
    let logs: Vec<f64> = top.iter().map(|v| v.ln()).collect();
    let reps: Vec<Result<(f64, f64, f64, f64)>> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            if crate::sim::interrupt::requested() {
                return Err(Error::Interrupted {
                    done: r,
                    total: replicates,
                });
            }
            let mut rng = replicate_rng(seed, &format!("tails/ks-bootstrap/{r}"));
            let mut partial = Vec::with_capacity(kmax + 1);
            let total = sorted_uniform_sums(n, kmax + 1, &mut partial, &mut rng);
            // a position past the `ext` values held (probability ~e^{-50}) ends the
            // resample's tail there: the scan then runs on a shorter grid
            let nf = n as f64;
            let (mut t, mut l) = (Vec::with_capacity(kmax + 1), Vec::with_capacity(kmax + 1));
            for &p in &partial {
                let i = ((nf * (p / total)) as usize).min(n - 1);
                if i < ext {
                    t.push(top[i]);
                    l.push(logs[i]);
                } else {
                    break;
                }
            }
            let kr = t.len().saturating_sub(1).min(kmax);
            if kr < kmin.max(2) {
                return Ok((f64::NAN, f64::NAN, f64::NAN, f64::NAN));
            }
            match ks_scan_desc(&t, &l, kmin, kr, candidates) {
                Ok(s) => Ok((s.gamma, s.alpha, s.x_min, s.k as f64)),
                Err(_) => Ok((f64::NAN, f64::NAN, f64::NAN, f64::NAN)),
            }
        })
        .collect();
    let mut cols: [Vec<f64>; 4] = Default::default();
    for r in reps {
        let (g, a, xm, k) = r?;
        if g.is_finite() {
            cols[0].push(g);
            cols[1].push(a);
            cols[2].push(xm);
            cols[3].push(k);
        }
    }
    if cols[0].len() < 2 {
        return Err(Error::Other(format!(
            "KS bootstrap: only {} of {replicates} replicates gave a fit",
            cols[0].len()
        )));
    }
    let m = cols[0].len() as f64;
    let mean = cols[0].iter().sum::<f64>() / m;
    let sd = (cols[0].iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (m - 1.0)).sqrt();
    let a = (1.0 - level) / 2.0;
    let ci = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (quantile_sorted(v, a), quantile_sorted(v, 1.0 - a))
    };
    let [mut g, mut al, mut xm, mut k] = cols;
    Ok(KsBootstrap {
        selection,
        level,
        replicates,
        gamma_ci: ci(&mut g),
        gamma_se_bootstrap: sd,
        alpha_ci: ci(&mut al),
        x_min_ci: ci(&mut xm),
        k_ci: ci(&mut k),
    })
}

/// Replicate `path`'s generator: a Xoshiro256++ seeded from its own ChaCha8 stream
/// `stream_rng(seed, path)` (as `sim::par_sample`: ChaCha8 fixes the stream, Xoshiro draws the
/// millions of indices ~2× faster).
fn replicate_rng(seed: u64, path: &str) -> rand::rngs::Xoshiro256PlusPlus {
    use rand::SeedableRng;
    rand::rngs::Xoshiro256PlusPlus::from_rng(&mut stream_rng(seed, path))
}

/// The logs (descending) of the top `m` values of a size-`ns` resample (with replacement) of
/// the data whose logs are `logs_desc` (descending); `counts` is scratch of length `n`.
fn resample_top_logs<R: rand::Rng>(
    logs_desc: &[f64],
    ns: usize,
    m: usize,
    counts: &mut [u32],
    rng: &mut R,
) -> Vec<f64> {
    let n = logs_desc.len();
    counts.iter_mut().for_each(|c| *c = 0);
    for _ in 0..ns {
        counts[rng.random_range(0..n)] += 1;
    }
    let mut out = Vec::with_capacity(m);
    'outer: for (i, &c) in counts.iter().enumerate() {
        for _ in 0..c {
            if out.len() == m {
                break 'outer;
            }
            out.push(logs_desc[i]);
        }
    }
    out
}

/// The cumulative sums `S_1 <= … <= S_m` of i.i.d. Exp(1) draws into `partial`, and
/// `S_{ns+1} = S_m + Gamma(ns + 1 − m)`: the sorted uniforms `U_(j) = S_j/S_{ns+1}`,
/// `j <= m`, of a size-`ns` uniform sample (Rényi/Pyke: uniform spacings are normalised
/// exponentials). Position `⌊n·U_(j)⌋` of `n` sorted values is then the `j`-th smallest
/// position of a size-`ns` resample with replacement — the top `m` of a bootstrap resample,
/// in order, in O(m) with sequential memory access (no scatter into counts, no sort).
/// Compensated sums keep the positions' error at ~1e-10 (not `m·ε`).
fn sorted_uniform_sums<R: rand::Rng>(
    ns: usize,
    m: usize,
    partial: &mut Vec<f64>,
    rng: &mut R,
) -> f64 {
    use rand_distr::{Distribution, Exp1, Gamma};
    partial.clear();
    let mut s = Neumaier::new();
    for _ in 0..m {
        let e: f64 = Exp1.sample(rng);
        s.add(e);
        partial.push(s.total());
    }
    let rest = (ns + 1 - m) as f64;
    // shape >= 1, scale 1: valid parameters, cannot fail
    let g = Gamma::new(rest, 1.0).map_or(rest, |d| d.sample(rng));
    s.add(g);
    s.total()
}

/// `(M_2(k) − 2·M_1(k)²)²` for `k = 1..=kmax` of one size-`ns` resample of the descending
/// logs, added to `acc` (entry `k − 1`); `partial` is scratch.
fn add_resample_criterion<R: rand::Rng>(
    logs_desc: &[f64],
    ns: usize,
    kmax: usize,
    acc: &mut [f64],
    partial: &mut Vec<f64>,
    rng: &mut R,
) {
    let n = logs_desc.len();
    let nf = n as f64;
    let total = sorted_uniform_sums(ns, kmax + 1, partial, rng);
    let at = |j: usize| logs_desc[((nf * (partial[j] / total)) as usize).min(n - 1)];
    let c = at(kmax);
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut next = at(0) - c;
    for k in 1..=kmax {
        let y = next;
        s1 += y;
        s2 += y * y;
        let t = at(k) - c;
        next = t;
        let kf = k as f64;
        let m1 = s1 / kf - t;
        let m2 = s2 / kf - 2.0 * t * s1 / kf + t * t;
        let v = m2 - 2.0 * m1 * m1;
        acc[k - 1] += v * v;
    }
}

/// `(M_2(k) − 2·M_1(k)²)²` for `k = 1..=kmax` (entry `k − 1`) from descending logs (the
/// test oracle of the fused [`add_resample_criterion`]).
#[cfg(test)]
pub(crate) fn dbs_criterion(l: &[f64], kmax: usize, out: &mut [f64]) {
    let c = l[kmax];
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for k in 1..=kmax {
        let y = l[k - 1] - c;
        s1 += y;
        s2 += y * y;
        let t = l[k] - c;
        let kf = k as f64;
        let m1 = s1 / kf - t;
        let m2 = s2 / kf - 2.0 * t * s1 / kf + t * t;
        let v = m2 - 2.0 * m1 * m1;
        out[k - 1] = v * v;
    }
}

/// Options of [`double_bootstrap`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DoubleBootstrapConfig {
    /// Bootstrap replicates per stage (`tailestim` default 500).
    pub replicates: usize,
    /// `t` in `n1 = ⌊t·n⌋`, `0 < t < 1` (default 1/2).
    pub n1_fraction: f64,
    /// Master seed.
    pub seed: u64,
}

impl Default for DoubleBootstrapConfig {
    fn default() -> Self {
        Self {
            replicates: 500,
            n1_fraction: 0.5,
            seed: crate::sim::seeds::DEFAULT_SEED,
        }
    }
}

/// Result of [`double_bootstrap`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DoubleBootstrap {
    /// Selected `k*` (threshold `x_(k*+1)`).
    pub k: usize,
    /// Hill's `γ̂(k*)` on the full sample.
    pub gamma: f64,
    /// Asymptotic SE `γ̂/√k*`.
    pub se: f64,
    /// `x_(k*+1)`.
    pub threshold: f64,
    /// `k1*` (argmin at resample size `n1`).
    pub k1: usize,
    /// `k2*` (argmin at resample size `n2`).
    pub k2: usize,
    /// `n1`.
    pub n1: usize,
    /// `n2`.
    pub n2: usize,
    /// Implied second-order parameter `ρ̂ = ln k1*/(2 ln k1* − 2 ln n1)`.
    pub rho: f64,
    /// Smallest `k` searched (2, raised by `⌊0.005·n⌋` per false minimum `k2* > k1*`).
    pub k_lower: usize,
}

/// Danielsson et al.'s (2001, Corollary 7) `k* = (k1*²/k2*)·[(ln k1*)²/(2 ln n1 − ln k1*)²]^{(ln n1 − ln k1*)/ln n1}`
/// (unrounded; 0 when `k1* = 1`). `tailestim` 0.7 uses Qi's (2008) variant, whose bracket
/// has the exponent halved: `[ln k1*/(2 ln n1 − ln k1*)]^{(ln n1 − ln k1*)/ln n1}`, and rounds
/// to the nearest integer (we floor).
pub fn danielsson_k_star(k1: usize, k2: usize, n1: usize) -> f64 {
    let (lk1, ln1) = ((k1 as f64).ln(), (n1 as f64).ln());
    let base = if k1 > 1 {
        (lk1 * lk1) / (2.0 * ln1 - lk1).powi(2)
    } else {
        // ln k1* = 0: the bracket is 0; k* would be 0 — clamped by the caller
        0.0
    };
    (k1 as f64).powi(2) / k2.max(1) as f64 * base.powf((ln1 - lk1) / ln1)
}

/// Replicates per chunk of the double bootstrap (chunk sums are added in chunk order).
const CHUNK: usize = 16;

/// Danielsson–de Haan–Peng–de Vries double bootstrap for Hill's `k` (module docs).
///
/// # Errors
/// [`Error::TooShort`] (minimum 100 values) / [`Error::NotFinite`] / [`Error::NotPositive`]
/// (every value must be `> 0`: pass the positive values or shift); [`Error::OutOfRange`] for
/// `replicates == 0` or `n1_fraction ∉ (0, 1)`; [`Error::Interrupted`] when interrupted.
pub fn double_bootstrap(x: &[f64], cfg: &DoubleBootstrapConfig) -> Result<DoubleBootstrap> {
    positive_sample(
        x,
        100,
        "double bootstrap (Hill): sample value (pass the positive values, or shift the sample)",
    )?;
    if cfg.replicates == 0 {
        return Err(Error::OutOfRange {
            name: "replicates",
            value: 0.0,
            range: "[1, ∞)",
        });
    }
    if !(cfg.n1_fraction > 0.0 && cfg.n1_fraction < 1.0) {
        return Err(Error::OutOfRange {
            name: "n1_fraction",
            value: cfg.n1_fraction,
            range: "(0, 1)",
        });
    }
    let n = x.len();
    let n1 = ((cfg.n1_fraction * n as f64) as usize).max(10);
    let n2 = (n1 * n1 / n).max(10);
    let kmax_of = |ns: usize| (((0.99 * ns as f64) as usize).saturating_sub(1)).clamp(1, ns - 1);
    let (k1max, k2max) = (kmax_of(n1), kmax_of(n2));
    let sorted = top_descending(x, n);
    let logs: Vec<f64> = sorted.iter().map(|v| v.ln()).collect();
    let mut q1 = vec![0.0; k1max];
    let mut q2 = vec![0.0; k2max];
    // replicates in fixed chunks of CHUNK: each chunk sums its replicates in order into its own
    // arrays, and the chunk sums are added to q in chunk order — the same floating-point
    // operations for any thread count (and any wave size).
    let chunks = cfg.replicates.div_ceil(CHUNK);
    let wave = rayon::current_num_threads().max(1);
    let mut c0 = 0;
    while c0 < chunks {
        if crate::sim::interrupt::requested() {
            return Err(Error::Interrupted {
                done: c0 * CHUNK,
                total: cfg.replicates,
            });
        }
        let c1 = (c0 + wave).min(chunks);
        let sums: Vec<(Vec<f64>, Vec<f64>)> = (c0..c1)
            .into_par_iter()
            .map(|c| {
                let mut a1 = vec![0.0; k1max];
                let mut a2 = vec![0.0; k2max];
                let mut partial = Vec::with_capacity(k1max + 1);
                for r in c * CHUNK..((c + 1) * CHUNK).min(cfg.replicates) {
                    let mut rng = replicate_rng(cfg.seed, &format!("tails/double-bootstrap/{r}"));
                    add_resample_criterion(&logs, n1, k1max, &mut a1, &mut partial, &mut rng);
                    add_resample_criterion(&logs, n2, k2max, &mut a2, &mut partial, &mut rng);
                }
                (a1, a2)
            })
            .collect();
        for (a1, a2) in &sums {
            q1.iter_mut().zip(a1).for_each(|(a, b)| *a += b);
            q2.iter_mut().zip(a2).for_each(|(a, b)| *a += b);
        }
        c0 = c1;
    }
    // k = 1 is excluded (as in tailestim): there M2 = M1² exactly, so the criterion is M1⁴,
    // not an AMSE estimate, and ties in a resample make it small. The theory has k2* < k1*
    // (n2 < n1); a k2* > k1* signals a false minimum at small k, and the search's lower end is
    // raised by ⌊0.005·n⌋ until k2* <= k1* (tailestim's rule; it redraws the resamples, we
    // re-search the same averaged criteria), at most 50 times.
    let argmin = |q: &[f64], lo: usize| {
        q.iter()
            .enumerate()
            .skip(lo.min(q.len() - 1))
            .fold(
                (0, f64::INFINITY),
                |(bi, bv), (i, &v)| if v < bv { (i, v) } else { (bi, bv) },
            )
            .0
            + 1
    };
    let step = (n / 200).max(1);
    let mut lo = usize::from(k2max > 1);
    let (mut k1, mut k2) = (argmin(&q1, lo), argmin(&q2, lo));
    let mut shifts = 0;
    while k2 > k1 && shifts < 50 && lo + step < k2max {
        lo += step;
        shifts += 1;
        k1 = argmin(&q1, lo);
        k2 = argmin(&q2, lo);
    }
    let (lk1, ln1) = ((k1 as f64).ln(), (n1 as f64).ln());
    let kstar = danielsson_k_star(k1, k2, n1);
    let k = (kstar.floor() as usize).clamp(1, n - 1);
    let h = super::hill::hill_all_k(x, k)?;
    let gamma = h[k - 1];
    Ok(DoubleBootstrap {
        k,
        gamma,
        se: gamma / (k as f64).sqrt(),
        threshold: sorted[k],
        k1,
        k2,
        n1,
        n2,
        rho: lk1 / (2.0 * lk1 - 2.0 * ln1),
        k_lower: lo + 1,
    })
}

/// A confidence interval for Hill's `γ̂(k)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BootstrapCi {
    /// `k`.
    pub k: usize,
    /// `γ̂(k)` on the full sample.
    pub gamma: f64,
    /// Asymptotic SE `γ̂/√k`.
    pub se: f64,
    /// Bootstrap standard deviation of `γ̂*(k)`.
    pub se_bootstrap: f64,
    /// Confidence level.
    pub level: f64,
    /// Percentile bootstrap interval `[q_{(1−level)/2}, q_{(1+level)/2}]` of `γ̂*(k)`.
    pub ci: (f64, f64),
    /// Asymptotic normal interval `γ̂ ± z·γ̂/√k`.
    pub ci_asymptotic: (f64, f64),
    /// Replicates used.
    pub replicates: usize,
}

/// Linear-interpolation (type 7) quantile of sorted values.
fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    let h = (v.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// Percentile-bootstrap and asymptotic CIs for Hill's `γ̂(k)` (module docs).
///
/// # Errors
/// [`Error::TooShort`] (minimum 3) / [`Error::NotFinite`] / [`Error::NotPositive`];
/// [`Error::OutOfRange`] unless `1 <= k <= n − 1`, `replicates >= 2`, `0 < level < 1`.
pub fn bootstrap_ci(
    x: &[f64],
    k: usize,
    replicates: usize,
    level: f64,
    seed: u64,
) -> Result<BootstrapCi> {
    positive_sample(
        x,
        3,
        "bootstrap CI (Hill): sample value (pass the positive values, or shift the sample)",
    )?;
    let z = normal_quantile_two_sided(level)?;
    if k < 1 || k >= x.len() {
        return Err(Error::OutOfRange {
            name: "k",
            value: k as f64,
            range: "[1, n − 1]",
        });
    }
    if replicates < 2 {
        return Err(Error::OutOfRange {
            name: "replicates",
            value: replicates as f64,
            range: "[2, ∞)",
        });
    }
    let n = x.len();
    let sorted = top_descending(x, n);
    let logs: Vec<f64> = sorted.iter().map(|v| v.ln()).collect();
    let hill_k = |l: &[f64]| {
        let mut s = Neumaier::new();
        l[..k].iter().for_each(|&v| s.add(v - l[k]));
        s.total() / k as f64
    };
    let gamma = hill_k(&logs);
    let mut boot: Vec<f64> = (0..replicates)
        .into_par_iter()
        .map(|r| {
            let mut rng = replicate_rng(seed, &format!("tails/bootstrap-ci/{r}"));
            let mut counts = vec![0u32; n];
            hill_k(&resample_top_logs(&logs, n, k + 1, &mut counts, &mut rng))
        })
        .collect();
    let mean = boot.iter().sum::<f64>() / replicates as f64;
    let sd =
        (boot.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / (replicates - 1) as f64).sqrt();
    boot.sort_by(f64::total_cmp);
    let a = (1.0 - level) / 2.0;
    let se = gamma / (k as f64).sqrt();
    Ok(BootstrapCi {
        k,
        gamma,
        se,
        se_bootstrap: sd,
        level,
        ci: (quantile_sorted(&boot, a), quantile_sorted(&boot, 1.0 - a)),
        ci_asymptotic: (gamma - z * se, gamma + z * se),
        replicates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::hill_all_k;
    use crate::numerics::{tol, tolerance::assert_close, Tolerance};
    use crate::sim::par_sample::par_sample;
    use rand_distr::{Exp, Pareto};

    /// Direct KS distance of the power-law fit above x_min (slow reference).
    fn ks_direct(x: &[f64], k: usize) -> (f64, f64) {
        let mut v = x.to_vec();
        v.sort_by(|a, b| b.total_cmp(a));
        let xmin = v[k];
        let mut t: Vec<f64> = v[..=k].to_vec();
        t.reverse();
        let nt = t.len() as f64;
        let s: f64 = t.iter().map(|a| (a / xmin).ln()).sum();
        let a1 = nt / s;
        let mut d = 0.0f64;
        for (i, &y) in t.iter().enumerate() {
            let f = 1.0 - (y / xmin).powf(-a1);
            d = d
                .max(((i + 1) as f64 / nt - f).abs())
                .max((f - i as f64 / nt).abs());
        }
        (1.0 / a1, d)
    }

    #[test]
    fn ks_scan_matches_direct_and_finds_pareto_body() {
        // Pareto(α = 2) tail above 5 grafted onto an exponential body below 5: the KS choice
        // must land near the junction (≈ 20% of 20 000 values = 4 000 above it).
        let mut x = par_sample(&Pareto::new(5.0, 2.0).unwrap(), 4_000, 11, "ks-tail");
        let body: Vec<f64> = par_sample(&Exp::new(1.0).unwrap(), 16_000, 11, "ks-body")
            .into_iter()
            .map(|e| 5.0 * (-e).exp())
            .collect();
        x.extend(body);
        let sel = ks_select(&x, 10, 19_000, 150).unwrap();
        assert!(sel.scan.len() >= 100);
        for p in sel.scan.iter().step_by(37) {
            let (g, d) = ks_direct(&x, p.k);
            assert_close(p.gamma, g, Tolerance::rel(1e-9));
            assert_close(p.ks, d, Tolerance::rel(1e-9));
        }
        assert!((2_000..=4_400).contains(&sel.k), "k = {}", sel.k);
        assert!((sel.gamma - 0.5).abs() <= tol::MC_Z * sel.se, "{sel:?}");
        // Clauset γ = Hill·k/(k+1)
        let h = hill_all_k(&x, sel.k).unwrap()[sel.k - 1];
        assert_close(
            sel.gamma,
            h * sel.k as f64 / (sel.k + 1) as f64,
            Tolerance::rel(1e-10),
        );
    }

    #[test]
    fn double_bootstrap_is_thread_count_independent_and_sane() {
        let x = par_sample(&Pareto::new(1.0, 2.0).unwrap(), 20_000, 12, "dbs");
        let cfg = DoubleBootstrapConfig {
            replicates: 60,
            n1_fraction: 0.5,
            seed: 9,
        };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| double_bootstrap(&x, &cfg).unwrap())
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(a, b);
        assert_eq!(a.n1, 10_000);
        assert_eq!(a.n2, 5_000);
        // exact Pareto: no second-order bias, the MSE-optimal k is large; γ̂ within 4 SE
        assert!(a.k >= 100, "{a:?}");
        assert!((a.gamma - 0.5).abs() <= tol::MC_Z * a.se, "{a:?}");
        // a different seed gives a different bootstrap (the seed is used)
        let c = double_bootstrap(&x, &DoubleBootstrapConfig { seed: 10, ..cfg }).unwrap();
        assert_ne!((a.k1, a.k2), (c.k1, c.k2));
        eprintln!("double bootstrap: {a:?}");
    }

    #[test]
    fn fused_resample_criterion_matches_the_oracle_and_resamples_uniformly() {
        use rand::SeedableRng;
        let x = par_sample(&Pareto::new(1.0, 2.0).unwrap(), 500, 14, "fused");
        let desc = top_descending(&x, 500);
        let logs: Vec<f64> = desc.iter().map(|v| v.ln()).collect();
        let (ns, kmax) = (300, 250);
        let mut acc = vec![0.0; kmax];
        let mut partial = Vec::new();
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
        add_resample_criterion(&logs, ns, kmax, &mut acc, &mut partial, &mut rng);
        // the same draws, materialised, through the oracle
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
        let total = sorted_uniform_sums(ns, kmax + 1, &mut partial, &mut rng);
        let l: Vec<f64> = partial
            .iter()
            .map(|p| logs[((500.0 * (p / total)) as usize).min(499)])
            .collect();
        let mut want = vec![0.0; kmax];
        dbs_criterion(&l, kmax, &mut want);
        for (a, b) in acc.iter().zip(&want) {
            assert_close(*a, *b, Tolerance::new(1e-9, 1e-300));
        }
        // positions are a sorted uniform resample: over 2 000 resamples of size 10 from 10
        // values, each position is drawn 2 000 times on average (SD √(2000·0.9) ≈ 42)
        let mut counts = [0usize; 10];
        for _ in 0..2_000 {
            let t = sorted_uniform_sums(10, 10, &mut partial, &mut rng);
            let mut last = 0;
            for p in &partial {
                let i = ((10.0 * (p / t)) as usize).min(9);
                assert!(i >= last);
                last = i;
                counts[i] += 1;
            }
        }
        for c in counts {
            assert!((c as f64 - 2_000.0).abs() < 6.0 * 42.5, "{counts:?}");
        }
    }

    #[test]
    fn ks_bootstrap_is_thread_count_independent_and_covers() {
        let x = par_sample(&Pareto::new(1.0, 2.5).unwrap(), 5_000, 15, "ksb");
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| ks_select_bootstrap(&x, 10, 2_500, 100, 60, 0.95, 4).unwrap())
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(a, b);
        assert_eq!(a.replicates, 60);
        // exact Pareto: γ = 0.4 inside the bootstrap interval, which contains γ̂
        assert!(a.gamma_ci.0 < 0.4 && 0.4 < a.gamma_ci.1, "{a:?}");
        assert!(a.gamma_ci.0 <= a.selection.gamma && a.selection.gamma <= a.gamma_ci.1);
        assert!(a.x_min_ci.0 <= a.x_min_ci.1 && a.k_ci.0 >= 10.0);
        assert!(matches!(
            ks_select_bootstrap(&x, 10, 2_500, 100, 1, 0.95, 4),
            Err(Error::OutOfRange { .. })
        ));
    }

    #[test]
    fn bootstrap_ci_reproducible_and_close_to_asymptotic() {
        let x = par_sample(&Pareto::new(1.0, 3.0).unwrap(), 20_000, 13, "bci");
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| bootstrap_ci(&x, 500, 400, 0.95, 3).unwrap())
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(a, b);
        // bootstrap SD ≈ γ/√k (exact-Pareto SE); 400 replicates give ~3.5% relative noise
        assert!((a.se_bootstrap / a.se - 1.0).abs() < 0.2, "{a:?}");
        assert!(a.ci.0 < a.gamma && a.gamma < a.ci.1);
        assert!((a.ci.1 - a.ci.0) / (a.ci_asymptotic.1 - a.ci_asymptotic.0) > 0.8);
        assert!(a.ci_asymptotic.0 < 1.0 / 3.0 && 1.0 / 3.0 < a.ci_asymptotic.1);
    }

    #[test]
    fn rejects_bad_input() {
        let x = [1.0, 2.0, -3.0, 4.0];
        assert!(matches!(
            bootstrap_ci(&x, 1, 10, 0.9, 1),
            Err(Error::NotPositive { value, .. }) if value == -3.0
        ));
        assert!(matches!(
            double_bootstrap(&[1.0; 50], &DoubleBootstrapConfig::default()),
            Err(Error::TooShort { min: 100, .. })
        ));
        assert!(matches!(
            ks_select(&[1.0, 2.0, 3.0], 2, 3, 10),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            bootstrap_ci(&[1.0, 2.0, 3.0], 1, 10, 1.5, 1),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            ks_select(&[1.0, f64::INFINITY, 3.0], 2, 2, 10),
            Err(Error::NotFinite { .. })
        ));
        assert_eq!(geom_grid(10, 1000, 3), vec![10, 100, 1000]);
        // ties at the top: those candidates are excluded, not chosen with γ = 0
        let mut t = vec![50.0; 5];
        t.extend((1..=40).map(f64::from));
        let sel = ks_select(&t, 2, 40, 20).unwrap();
        assert!(sel.k >= 5 && sel.gamma > 0.0, "{sel:?}");
        assert!(sel.scan.iter().any(|p| p.k < 4 && p.ks.is_infinite()));
        assert!(matches!(
            ks_select(&[2.0; 10], 2, 5, 5),
            Err(Error::Other(_))
        ));
    }
}
