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

/// KS distance of the power-law fit at `sorted[i..]` (ascending, `sorted[i] > 0`).
fn ks_at(sorted: &[f64], i: usize, suffix_log: f64) -> PlScan {
    let tail = &sorted[i..];
    let x_min = tail[0];
    let n = tail.len() as f64;
    let s = suffix_log - n * x_min.ln();
    let alpha = 1.0 + n / s;
    let mut d: f64 = 0.0;
    for (j, &x) in tail.iter().enumerate() {
        // model CDF on the tail vs empirical CDF steps j/n and (j+1)/n
        let f = 1.0 - (x / x_min).powf(1.0 - alpha);
        d = d
            .max((f - j as f64 / n).abs())
            .max(((j + 1) as f64 / n - f).abs());
    }
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
    // suffix sums of ln x, compensated
    let mut suffix = vec![0.0; n + 1];
    let mut acc = Neumaier::new();
    for i in (first_pos..n).rev() {
        acc.add(sorted[i].ln());
        suffix[i] = acc.total();
    }
    let fits: Vec<PlScan> = starts
        .par_iter()
        .filter(|&&i| sorted[i] < sorted[n - 1])
        .map(|&i| ks_at(sorted, i, suffix[i]))
        .collect();
    fits.into_iter()
        .min_by(|a, b| a.ks.total_cmp(&b.ks))
        .ok_or(Error::Other(
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
    let s = neumaier_tail_log(&sorted[i..]);
    let mut fit = ks_at(sorted, i, s);
    // the threshold is the user's x_min, not the smallest tail value
    if sorted[i] != x_min {
        let tail = &sorted[i..];
        let n = tail.len() as f64;
        let alpha = 1.0 + n / (s - n * x_min.ln());
        let mut d: f64 = 0.0;
        for (j, &x) in tail.iter().enumerate() {
            let f = 1.0 - (x / x_min).powf(1.0 - alpha);
            d = d
                .max((f - j as f64 / n).abs())
                .max(((j + 1) as f64 / n - f).abs());
        }
        fit = PlScan {
            x_min,
            alpha,
            ks: d,
            n_tail: tail.len(),
        };
    }
    Ok(fit)
}

fn neumaier_tail_log(tail: &[f64]) -> f64 {
    let mut acc = Neumaier::new();
    for &x in tail {
        acc.add(x.ln());
    }
    acc.total()
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
    let exceed: Vec<bool> = (0..opts.replicates)
        .into_par_iter()
        .map(|r| {
            let mut rng = stream_rng(seed, &format!("tails/gof/{r}"));
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
            let refit = if opts.refit_xmin {
                scan_xmin(&x, opts)
            } else {
                fit_at(&x, fit.x_min)
            };
            match refit {
                Ok(f) => f.ks >= fit.ks,
                Err(_) => true,
            }
        })
        .collect();
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
