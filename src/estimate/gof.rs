//! Threshold selection by KS-distance minimisation and the semi-parametric bootstrap
//! goodness-of-fit p-value of a continuous power-law tail (Clauset, Shalizi & Newman 2009,
//! §3.3 and §4.1).
//!
//! ```text
//! D(x_min) = max_{x >= x_min} |S_n(x) − P_α̂(x)|,   P_α(x) = (x/x_min)^(1−α)   (tail CCDFs)
//! x̂_min   = argmin D over candidate thresholds with at least `min_tail` values above
//! p        = #{r : D_r >= D_obs} / B
//! ```
//!
//! Replicate `r` draws `n` values: with probability `n_tail/n` from the fitted power law
//! (`x_min·U^(−1/(α̂−1))`), otherwise uniformly from the observed values below `x̂_min`; it is
//! then re-fitted exactly as the data were — with the full x_min scan when
//! [`GofOptions::refit_xmin`] is set (Clauset's procedure), or at the fixed `x̂_min` otherwise
//! (faster, and anti-conservative: p is biased upward). Each replicate owns the stream
//! `stream_rng(seed, "tails/gof/{r}")`; replicates run on rayon and are reduced in index order,
//! so p does not depend on the thread count.
//!
//! Large samples (the cost is B replicates × (draw, sort, scan)): above [`SORTED_DRAW_MIN`]
//! values a replicate is drawn already sorted in O(n) — the number from the power law is
//! Binomial(n, n_tail/n), their logs `ln x_min + E_(i)/(α̂−1)` come from Rényi's
//! representation of exponential order statistics (`E_(i) = Σ_{j<=i} Z_j/(m−j+1)`, exact and
//! full precision in the far tail), and the body resample takes sorted uniform indices
//! (normalised exponential spacings); the same law as drawing and sorting, and the logs the scan
//! needs come for free. Only the positive values are drawn (the scan never looks at the
//! others; their count is a Binomial draw), into buffers each worker reuses. And a tail longer than [`KS_EXACT_MAX`] has its KS distance
//! evaluated at every `s`-th order statistic (`s = ⌈n_tail/KS_EXACT_MAX⌉`, the last one
//! always), which can only under-state `D` by at most `(s + ΔF)/n_tail` where `ΔF` is the
//! largest model-CDF step between evaluated points (≈ `s/n_tail`): below 1e-4, against the
//! sampling spread of `D` (≈ `0.5/√n_tail`). The observed and replicate distances use the same
//! rule. Smaller samples take the exact path (values unchanged). Every replicate and every
//! threshold candidate checks Ctrl-C.

use rand::RngExt;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::numerics::Neumaier;
use crate::sim::seeds::stream_rng;

/// A power-law tail fitted at a threshold.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PlScan {
    /// The threshold.
    pub x_min: f64,
    /// `α̂ = 1 + n_tail/Σ ln(x/x_min)`.
    pub alpha: f64,
    /// KS distance between the tail's empirical CCDF and the fit.
    pub ks: f64,
    /// Number of values `>= x_min`.
    pub n_tail: usize,
}

/// Options of the threshold scan and the bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GofOptions {
    /// Fewest tail values a candidate threshold may leave (>= 2).
    pub min_tail: usize,
    /// Most candidate thresholds scanned (spread evenly in rank over the positive values).
    pub max_candidates: usize,
    /// Bootstrap replicates `B` (the p-value's standard error is `√(p(1−p)/B)`).
    pub replicates: usize,
    /// Re-select `x_min` in every replicate (Clauset's procedure) instead of keeping it fixed.
    pub refit_xmin: bool,
}

impl Default for GofOptions {
    fn default() -> Self {
        Self {
            min_tail: 50,
            max_candidates: 100,
            replicates: 200,
            refit_xmin: true,
        }
    }
}

/// Tails longer than this have their KS distance evaluated on every `s`-th order statistic
/// (module docs); shorter ones exactly.
pub const KS_EXACT_MAX: usize = 20_000;

/// Bootstrap replicates of samples larger than this are drawn already sorted (module docs).
pub const SORTED_DRAW_MIN: usize = 50_000;

/// Points per candidate of the coarse pass of the large-sample scan (see [`scan_xmin`]).
const KS_COARSE_POINTS: usize = 1_000;

/// KS distance between the tail (ascending, `>= x_min > 0`) and the power law `(x_min, α)`:
/// exact up to [`KS_EXACT_MAX`] values (`powf`), else on every `s`-th order statistic
/// (`s = ⌈len/KS_EXACT_MAX⌉`) with the model CDF from the tail's logs (`1 − exp((1−α)(ln x −
/// ln x_min))`, the logs computed here if not given). `coarsen` multiplies the stride: the
/// points are then a subset of the `coarsen = 1` points, so the result is a lower bound of it.
fn ks_distance(tail: &[f64], logs: Option<&[f64]>, x_min: f64, alpha: f64, coarsen: usize) -> f64 {
    let n = tail.len() as f64;
    let base = tail.len().div_ceil(KS_EXACT_MAX).max(1);
    let stride = base * coarsen.max(1);
    let mut d: f64 = 0.0;
    let mut at = |j: usize, f: f64| {
        // model CDF on the tail vs empirical CDF steps j/n and (j+1)/n
        d = d
            .max((f - j as f64 / n).abs())
            .max(((j + 1) as f64 / n - f).abs());
    };
    let last = tail.len() - 1;
    if base == 1 {
        if stride == 1 {
            for (j, &x) in tail.iter().enumerate() {
                at(j, 1.0 - (x / x_min).powf(1.0 - alpha));
            }
        } else {
            for j in (0..tail.len()).step_by(stride).chain(std::iter::once(last)) {
                at(j, 1.0 - (tail[j] / x_min).powf(1.0 - alpha));
            }
        }
    } else {
        let (c, lmin) = (1.0 - alpha, x_min.ln());
        let ln_at = |j: usize| logs.map_or_else(|| tail[j].ln(), |l| l[j]);
        for j in (0..tail.len()).step_by(stride).chain(std::iter::once(last)) {
            at(j, 1.0 - (c * (ln_at(j) - lmin)).exp());
        }
    }
    d
}

/// KS distance of the power-law fit at `sorted[i..]` (ascending, `sorted[i] > 0`), with the
/// logs of that tail (`coarsen` as in [`ks_distance`]).
fn ks_at(sorted: &[f64], i: usize, suffix_log: f64, logs: &[f64], coarsen: usize) -> PlScan {
    let tail = &sorted[i..];
    let x_min = tail[0];
    let n = tail.len() as f64;
    let s = suffix_log - n * x_min.ln();
    let alpha = 1.0 + n / s;
    let d = ks_distance(tail, Some(logs), x_min, alpha, coarsen);
    PlScan {
        x_min,
        alpha,
        ks: d,
        n_tail: tail.len(),
    }
}

/// Scans thresholds over an ascending sample and returns the KS-minimising power-law fit.
///
/// Candidates are the distinct positive values whose tail holds `>= min_tail` values,
/// thinned to `max_candidates` evenly spaced in rank. Only the tail must be positive.
///
/// # Errors
/// [`Error::TooShort`] if fewer than `min_tail` values are positive (or `min_tail < 2`).
pub fn scan_xmin(sorted: &[f64], opts: &GofOptions) -> Result<PlScan> {
    let first_pos = sorted.partition_point(|&x| x <= 0.0);
    let logs: Vec<f64> = sorted[first_pos..].iter().map(|x| x.ln()).collect();
    scan_xmin_with_logs(sorted, &logs, opts)
}

/// [`scan_xmin`] given `logs[i] = ln sorted[first_pos + i]` for the positive values.
fn scan_xmin_with_logs(sorted: &[f64], logs: &[f64], opts: &GofOptions) -> Result<PlScan> {
    let min_tail = opts.min_tail.max(2);
    let first_pos = sorted.partition_point(|&x| x <= 0.0);
    let n = sorted.len();
    if n - first_pos < min_tail {
        return Err(Error::TooShort {
            name: "positive part of the sample",
            len: n - first_pos,
            min: min_tail,
        });
    }
    let last = n - min_tail; // highest admissible start index
    let span = last - first_pos + 1;
    let m = opts.max_candidates.max(1).min(span);
    let mut starts: Vec<usize> = (0..m)
        .map(|j| first_pos + if m == 1 { 0 } else { j * (span - 1) / (m - 1) })
        // move to the first occurrence of a tied value so the tail is {x >= x_min}
        .map(|i| sorted.partition_point(|&x| x < sorted[i]))
        .collect();
    starts.dedup();
    if crate::sim::interrupt::requested() {
        return Err(Error::Interrupted { done: 0, total: 1 });
    }
    let cands: Vec<usize> = starts
        .into_iter()
        .filter(|&i| sorted[i] < sorted[n - 1])
        .collect();
    // suffix sums of ln x (compensated, one backward pass), kept at the candidates only
    let mut suffix_at = vec![0.0; cands.len()];
    {
        let mut acc = Neumaier::new();
        let mut next = cands.len();
        for i in (first_pos..n).rev() {
            acc.add(logs[i - first_pos]);
            while next > 0 && cands[next - 1] == i {
                next -= 1;
                suffix_at[next] = acc.total();
            }
        }
    }
    let suffix = |i: usize| suffix_at[cands.partition_point(|&c| c < i)];
    let fine = |i: usize| ks_at(sorted, i, suffix(i), &logs[i - first_pos..], 1);
    if n - first_pos <= KS_EXACT_MAX {
        let fits: Vec<PlScan> = cands.par_iter().map(|&i| fine(i)).collect();
        return fits
            .into_iter()
            .min_by(|a, b| a.ks.total_cmp(&b.ks))
            .ok_or(Error::Other(
                "threshold scan: every candidate tail has all values equal".into(),
            ));
    }
    // large samples: branch and bound. A coarse pass (about KS_COARSE_POINTS points per
    // candidate, a subset of the fine points) gives lower bounds of each candidate's D; fine
    // distances are computed in increasing order of the bound until the bound reaches the best
    // fine D found. The result is the fine scan's minimum, at a fraction of its cost.
    let mut coarse: Vec<(usize, f64)> = cands
        .par_iter()
        .map(|&i| {
            let len = n - i;
            let base = len.div_ceil(KS_EXACT_MAX).max(1);
            let coarsen = len.div_ceil(base * KS_COARSE_POINTS).max(1);
            (
                i,
                ks_at(sorted, i, suffix(i), &logs[i - first_pos..], coarsen).ks,
            )
        })
        .collect();
    coarse.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut best: Option<PlScan> = None;
    for (i, bound) in coarse {
        if best.is_some_and(|b| bound >= b.ks) {
            break;
        }
        let f = fine(i);
        if best.is_none_or(|b| f.ks < b.ks) {
            best = Some(f);
        }
    }
    best.ok_or(Error::Other(
        "threshold scan: every candidate tail has all values equal".into(),
    ))
}

/// The power-law fit at a fixed `x_min` on an ascending sample.
///
/// # Errors
/// [`Error::TooShort`] if fewer than 2 values are `>= x_min`; [`Error::NotPositive`] for `x_min`.
pub fn fit_at(sorted: &[f64], x_min: f64) -> Result<PlScan> {
    if !(x_min > 0.0) || !x_min.is_finite() {
        return Err(Error::NotPositive {
            name: "x_min",
            value: x_min,
        });
    }
    let i = sorted.partition_point(|&x| x < x_min);
    if sorted.len() - i < 2 {
        return Err(Error::TooShort {
            name: "tail above x_min",
            len: sorted.len() - i,
            min: 2,
        });
    }
    let tail = &sorted[i..];
    let logs: Vec<f64> = tail.iter().map(|x| x.ln()).collect();
    let s = neumaier_total(&logs);
    let mut fit = ks_at(sorted, i, s, &logs, 1);
    // the threshold is the user's x_min, not the smallest tail value
    if sorted[i] != x_min {
        let n = tail.len() as f64;
        let alpha = 1.0 + n / (s - n * x_min.ln());
        let d = ks_distance(tail, Some(&logs), x_min, alpha, 1);
        fit = PlScan {
            x_min,
            alpha,
            ks: d,
            n_tail: tail.len(),
        };
    }
    Ok(fit)
}

/// The bootstrap result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Gof {
    /// The fit being tested.
    pub fit: PlScan,
    /// `#{D_r >= D_obs}/B`.
    pub p_value: f64,
    /// Its Monte Carlo standard error `√(p(1−p)/B)`.
    pub p_se: f64,
    /// Replicates that produced a fit (a replicate whose tail degenerates is counted as `D_r >= D_obs`).
    pub replicates: usize,
    /// Whether `x_min` was re-selected in every replicate.
    pub refit_xmin: bool,
}

/// Semi-parametric bootstrap p-value of the power-law fit `fit` to the ascending sample `sorted`.
///
/// # Errors
/// [`Error::TooShort`] for `replicates == 0`; errors of the fit's parameters.
pub fn bootstrap_gof(sorted: &[f64], fit: &PlScan, opts: &GofOptions, seed: u64) -> Result<Gof> {
    bootstrap_gof_observed(sorted, fit, opts, seed, &crate::sim::NoObserver)
}

/// Writes `k` sorted uniform indices into `0..len` (normalised partial sums of `k + 1` Exp(1)
/// spacings, `U_(i) = S_i/S_{k+1}`) into `out`, using `spacings` as scratch.
fn sorted_indices<R: rand::Rng>(
    k: usize,
    len: usize,
    rng: &mut R,
    spacings: &mut Vec<f64>,
    out: &mut Vec<usize>,
) {
    spacings.clear();
    spacings.extend((0..=k).map(|_| rng.sample::<f64, _>(rand_distr::Exp1)));
    let total = neumaier_total(spacings);
    let mut acc = 0.0;
    out.clear();
    out.extend(spacings[..k].iter().map(|&v| {
        acc += v;
        ((acc / total * len as f64) as usize).min(len - 1)
    }));
}

fn neumaier_total(v: &[f64]) -> f64 {
    let mut acc = Neumaier::new();
    for &x in v {
        acc.add(x);
    }
    acc.total()
}

/// Scratch buffers of one worker, reused across replicates (no n-sized allocation per replicate).
#[derive(Default)]
struct ReplicateBuffers {
    x: Vec<f64>,
    logs: Vec<f64>,
    spacings: Vec<f64>,
    idx: Vec<usize>,
}

/// The positive values of one replicate, drawn already sorted (module docs), with their logs,
/// into `buf.x` / `buf.logs`. The scan depends only on the positive values, so the
/// non-positive body draws are counted, not drawn: `m ~ Binomial(n, p_tail)` power-law values,
/// `k ~ Binomial(n − m, |body₊|/|body|)` resampled from the positive body `body_pos` (logs
/// `body_pos_logs`) at sorted uniform indices, then the power-law values `ln x_(i) = ln x_min +
/// E_(i)/(α−1)` from Rényi's representation `E_(i) = Σ_{j<=i} Z_j/(m − j + 1)`.
#[allow(clippy::too_many_arguments)]
fn sorted_replicate_positive<R: rand::Rng>(
    n: usize,
    body_len: usize,
    body_pos: &[f64],
    body_pos_logs: &[f64],
    p_tail: f64,
    x_min: f64,
    alpha: f64,
    rng: &mut R,
    buf: &mut ReplicateBuffers,
) {
    let binomial = |rng: &mut R, trials: usize, p: f64| {
        rand_distr::Binomial::new(trials as u64, p.clamp(0.0, 1.0))
            .map_or(trials, |b| rng.sample(b) as usize)
    };
    let m = if body_len == 0 {
        n
    } else {
        binomial(rng, n, p_tail)
    };
    let k = if body_pos.is_empty() {
        0
    } else {
        binomial(rng, n - m, body_pos.len() as f64 / body_len as f64)
    };
    buf.x.clear();
    buf.logs.clear();
    if k > 0 {
        sorted_indices(k, body_pos.len(), rng, &mut buf.spacings, &mut buf.idx);
        for &i in &buf.idx {
            buf.x.push(body_pos[i]);
            buf.logs.push(body_pos_logs[i]);
        }
    }
    let (lmin, inv) = (x_min.ln(), 1.0 / (alpha - 1.0));
    let mut e = 0.0;
    for j in 0..m {
        let z: f64 = rng.sample(rand_distr::Exp1);
        e += z / (m - j) as f64;
        let l = lmin + e * inv;
        buf.x.push(l.exp().max(x_min));
        buf.logs.push(l);
    }
}

/// [`bootstrap_gof`] reporting each finished replicate to `observer` (as `advance(1)`; the
/// caller opens and closes the stage).
///
/// # Errors
/// As [`bootstrap_gof`]; [`Error::Interrupted`] on Ctrl-C (checked before every replicate).
pub fn bootstrap_gof_observed(
    sorted: &[f64],
    fit: &PlScan,
    opts: &GofOptions,
    seed: u64,
    observer: &dyn crate::sim::Observer,
) -> Result<Gof> {
    if opts.replicates == 0 {
        return Err(Error::TooShort {
            name: "bootstrap replicates",
            len: 0,
            min: 1,
        });
    }
    let n = sorted.len();
    let body = &sorted[..n - fit.n_tail];
    let p_tail = fit.n_tail as f64 / n as f64;
    let inv = -1.0 / (fit.alpha - 1.0);
    let fast = n > SORTED_DRAW_MIN;
    let body_first_pos = body.partition_point(|&v| v <= 0.0);
    let body_pos = &body[body_first_pos..];
    let body_pos_logs: Vec<f64> = if fast {
        body_pos.iter().map(|v| v.ln()).collect()
    } else {
        Vec::new()
    };
    let exceed: Vec<Option<bool>> = (0..opts.replicates)
        .into_par_iter()
        .map_init(ReplicateBuffers::default, |buf, r| {
            if crate::sim::interrupt::requested() {
                return None;
            }
            let mut rng = stream_rng(seed, &format!("tails/gof/{r}"));
            if fast {
                sorted_replicate_positive(
                    n,
                    body.len(),
                    body_pos,
                    &body_pos_logs,
                    p_tail,
                    fit.x_min,
                    fit.alpha,
                    &mut rng,
                    buf,
                );
                let refit = if opts.refit_xmin {
                    scan_xmin_with_logs(&buf.x, &buf.logs, opts)
                } else {
                    fit_at(&buf.x, fit.x_min)
                };
                observer.advance(1);
                return match refit {
                    Ok(f) => Some(f.ks >= fit.ks),
                    Err(Error::Interrupted { .. }) => None,
                    Err(_) => Some(true),
                };
            }
            let x = {
                let mut x: Vec<f64> = (0..n)
                    .map(|_| {
                        let u: f64 = rng.random();
                        if body.is_empty() || u < p_tail {
                            let v: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
                            fit.x_min * v.powf(inv)
                        } else {
                            body[rng.random_range(0..body.len())]
                        }
                    })
                    .collect();
                x.sort_unstable_by(f64::total_cmp);
                x
            };
            let refit = if opts.refit_xmin {
                scan_xmin(&x, opts)
            } else {
                fit_at(&x, fit.x_min)
            };
            observer.advance(1);
            match refit {
                Ok(f) => Some(f.ks >= fit.ks),
                Err(Error::Interrupted { .. }) => None,
                Err(_) => Some(true),
            }
        })
        .collect();
    let done = exceed.iter().filter(|e| e.is_some()).count();
    if done < exceed.len() {
        return Err(Error::Interrupted {
            done,
            total: exceed.len(),
        });
    }
    let exceed: Vec<bool> = exceed.into_iter().flatten().collect();
    let b = exceed.len() as f64;
    let p = exceed.iter().filter(|&&e| e).count() as f64 / b;
    Ok(Gof {
        fit: *fit,
        p_value: p,
        p_se: (p * (1.0 - p) / b).sqrt(),
        replicates: exceed.len(),
        refit_xmin: opts.refit_xmin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Law;
    use crate::estimate::verdict::seeded_sample;

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_unstable_by(f64::total_cmp);
        v
    }

    /// Brute force over every admissible threshold (the reference for the thinned scan).
    #[test]
    fn scan_matches_brute_force() {
        let x = sorted(seeded_sample(
            &Law::lognormal(0.0, 1.5).unwrap(),
            600,
            1,
            "gof/brute",
            false,
        ));
        let o = GofOptions {
            min_tail: 10,
            max_candidates: usize::MAX,
            ..GofOptions::default()
        };
        let best = scan_xmin(&x, &o).unwrap();
        let mut ref_ks = f64::INFINITY;
        for i in 0..=x.len() - 10 {
            let f = fit_at(&x, x[i]).unwrap();
            ref_ks = ref_ks.min(f.ks);
        }
        assert_eq!(best.ks, ref_ks);
        assert_eq!(fit_at(&x, best.x_min).unwrap(), best);
    }

    /// Under the null (exact Pareto, fixed x_min) p is roughly uniform; on a normal tail forced
    /// to x_min = 0.5 the power law is rejected. False-positive rate of the first assertion:
    /// P(p < 0.01) ≈ 0.01 under the null (fixed-x_min p is biased upward, so less).
    #[test]
    fn bootstrap_pvalue_null_and_alternative() {
        let o = GofOptions {
            replicates: 100,
            refit_xmin: false,
            ..GofOptions::default()
        };
        let x = sorted(seeded_sample(
            &Law::pareto(1.0, 2.0).unwrap(),
            3_000,
            2,
            "gof/null",
            false,
        ));
        let fit = fit_at(&x, 1.0).unwrap();
        let g = bootstrap_gof(&x, &fit, &o, 9).unwrap();
        assert!(g.p_value >= 0.01, "{g:?}");
        let y = sorted(seeded_sample(
            &Law::normal(0.0, 1.0).unwrap(),
            3_000,
            3,
            "gof/alt",
            false,
        ));
        let fit = fit_at(&y, 0.5).unwrap();
        let g = bootstrap_gof(&y, &fit, &o, 9).unwrap();
        assert_eq!(g.p_value, 0.0, "{g:?}");
        // thread-count independence
        let run = |t: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| bootstrap_gof(&x, &fit_at(&x, 1.2).unwrap(), &o, 4).unwrap())
        };
        assert_eq!(run(1), run(3));
    }

    /// The sorted O(n) draw has the law of draw-then-sort: sorted, Binomial count in the tail,
    /// and the tail part is the fitted Pareto (KS against its CDF below the 1% critical value
    /// 1.63/√m, false-failure rate 1%); the body part only takes body values.
    #[test]
    fn sorted_replicate_has_the_bootstrap_law() {
        let body: Vec<f64> = (1..=1000).map(|i| f64::from(i) / 1000.0).collect();
        let mut rng = stream_rng(11, "gof/sorted-draw");
        let (n, p_tail, x_min, alpha) = (200_000, 0.3, 1.5, 2.5);
        let body_logs: Vec<f64> = body.iter().map(|v| v.ln()).collect();
        let mut buf = ReplicateBuffers::default();
        sorted_replicate_positive(
            n,
            body.len(),
            &body,
            &body_logs,
            p_tail,
            x_min,
            alpha,
            &mut rng,
            &mut buf,
        );
        let (x, logs) = (buf.x, buf.logs);
        assert_eq!((x.len(), logs.len()), (n, n));
        assert!(x
            .iter()
            .zip(&logs)
            .all(|(v, l)| (v.ln() - l).abs() <= 1e-12 * l.abs().max(1.0)));
        assert!(x.windows(2).all(|w| w[0] <= w[1]));
        let first_tail = x.partition_point(|&v| v < x_min);
        let m = n - first_tail;
        let sd = (n as f64 * p_tail * (1.0 - p_tail)).sqrt();
        assert!((m as f64 - n as f64 * p_tail).abs() < 4.0 * sd, "m = {m}");
        assert!(x[..first_tail]
            .iter()
            .all(|v| body.binary_search_by(|b| b.total_cmp(v)).is_ok()));
        let tail = &x[first_tail..];
        let d = ks_distance(tail, None, x_min, alpha, 1);
        assert!(d < 1.63 / (m as f64).sqrt(), "KS {d} with m = {m}");
        assert!(tail[m - 1].is_finite() && tail[m - 1] > tail[m / 2]);
    }

    /// Above KS_EXACT_MAX positive values the scan's branch and bound returns the minimum of
    /// the fine distances over every candidate (brute force with `fit_at`).
    #[test]
    fn branch_and_bound_scan_matches_brute_force() {
        let x = sorted(seeded_sample(
            &Law::lognormal(0.0, 1.0).unwrap(),
            30_000,
            3,
            "gof/bnb",
            false,
        ));
        let o = GofOptions {
            min_tail: 29_200,
            max_candidates: usize::MAX,
            ..GofOptions::default()
        };
        let best = scan_xmin(&x, &o).unwrap();
        let mut ref_ks = f64::INFINITY;
        for i in 0..=x.len() - o.min_tail {
            ref_ks = ref_ks.min(fit_at(&x, x[i]).unwrap().ks);
        }
        assert_eq!(best.ks, ref_ks);
    }

    /// The thinned KS distance of a long tail is within 2·s/n of the exact one.
    #[test]
    fn thinned_ks_is_close_to_exact() {
        let x = sorted(seeded_sample(
            &Law::pareto(1.0, 2.0).unwrap(),
            100_000,
            4,
            "gof/thin",
            false,
        ));
        let alpha = 2.05;
        let thin = ks_distance(&x, None, 1.0, alpha, 1);
        let n = x.len() as f64;
        let mut exact: f64 = 0.0;
        for (j, &v) in x.iter().enumerate() {
            let f = 1.0 - v.powf(1.0 - alpha);
            exact = exact
                .max((f - j as f64 / n).abs())
                .max(((j + 1) as f64 / n - f).abs());
        }
        let s = x.len().div_ceil(KS_EXACT_MAX) as f64;
        assert!(
            thin <= exact && exact - thin <= 2.0 * s / n,
            "{thin} vs {exact}"
        );
    }

    #[test]
    fn scan_errors() {
        let o = GofOptions::default();
        let neg = sorted((0..100).map(|i| -f64::from(i)).collect());
        assert!(matches!(scan_xmin(&neg, &o), Err(Error::TooShort { .. })));
        assert!(matches!(
            fit_at(&[1.0, 2.0], -1.0),
            Err(Error::NotPositive { .. })
        ));
        assert!(matches!(
            fit_at(&[1.0, 2.0], 1.5),
            Err(Error::TooShort { .. })
        ));
        let o0 = GofOptions { replicates: 0, ..o };
        let x = [1.0, 2.0, 3.0];
        assert!(bootstrap_gof(&x, &fit_at(&x, 1.0).unwrap(), &o0, 0).is_err());
    }
}
