//! The Hill estimator of the extreme-value index `γ = 1/α` of a heavy (Pareto-type) right tail,
//! for many numbers `k` of upper order statistics at once.
//!
//! ```text
//! x_(1) >= x_(2) >= … >= x_(n)   (descending order statistics)
//! γ̂(k) = (1/k)·Σ_{i=1}^{k} ln x_(i) − ln x_(k+1),   1 <= k <= n − 1
//! ```
//!
//! Reference: Hill (1975), *A simple general approach to inference about the tail of a
//! distribution*, Ann. Statist. 3(5). For an exact Pareto(α) sample, `k·γ̂(k)/γ ~ Gamma(k, 1)`
//! (Rényi representation), so `E γ̂(k) = γ` and `SE = γ/√k`. Assumes positive data.
//!
//! One pass for all k: the top `kmax + 1` values are found by `select_nth_unstable` (O(n)), only
//! they are sorted, and a compensated running sum of their logs gives every `γ̂(k)`.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::numerics::Neumaier;

/// Validates that every value is finite and `> 0`.
fn check_sample(x: &[f64]) -> Result<()> {
    if x.is_empty() {
        return Err(Error::Empty { name: "sample" });
    }
    for &v in x {
        if !v.is_finite() {
            return Err(Error::NotFinite {
                name: "sample",
                value: v,
            });
        }
        if !(v > 0.0) {
            return Err(Error::NotPositive {
                name: "sample",
                value: v,
            });
        }
    }
    Ok(())
}

/// The `m` largest values of `x`, in descending order (`m` is capped at `x.len()`).
pub fn top_descending(x: &[f64], m: usize) -> Vec<f64> {
    let m = m.min(x.len());
    let mut v = x.to_vec();
    let desc = |a: &f64, b: &f64| b.total_cmp(a);
    if m == 0 {
        return Vec::new();
    }
    if m < v.len() {
        v.select_nth_unstable_by(m - 1, desc);
        v.truncate(m);
    }
    v.par_sort_unstable_by(desc);
    v
}

/// `γ̂(k)` for every `k = 1..=kmax` (entry `k − 1`).
///
/// # Errors
/// [`Error::Empty`], [`Error::NotFinite`] / [`Error::NotPositive`] for a bad sample value;
/// [`Error::OutOfRange`] unless `1 <= kmax <= n − 1`.
pub fn hill_all_k(x: &[f64], kmax: usize) -> Result<Vec<f64>> {
    check_sample(x)?;
    if kmax < 1 || kmax >= x.len() {
        return Err(Error::OutOfRange {
            name: "k",
            value: kmax as f64,
            range: "[1, n − 1]",
        });
    }
    let logs: Vec<f64> = top_descending(x, kmax + 1).iter().map(|v| v.ln()).collect();
    let mut sum = Neumaier::new();
    let mut out = Vec::with_capacity(kmax);
    for k in 1..=kmax {
        sum.add(logs[k - 1]);
        out.push(sum.total() / k as f64 - logs[k]);
    }
    Ok(out)
}

/// `γ̂(k)` for each `k` in `ks` (any order).
///
/// # Errors
/// As [`hill_all_k`], for every `k` in `ks`; [`Error::Empty`] if `ks` is empty.
pub fn hill(x: &[f64], ks: &[usize]) -> Result<Vec<f64>> {
    let Some(&kmax) = ks.iter().max() else {
        return Err(Error::Empty { name: "k values" });
    };
    if let Some(&k) = ks.iter().find(|&&k| k == 0) {
        return Err(Error::OutOfRange {
            name: "k",
            value: k as f64,
            range: "[1, n − 1]",
        });
    }
    let all = hill_all_k(x, kmax)?;
    Ok(ks.iter().map(|&k| all[k - 1]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tol, tolerance::assert_close, Tolerance};
    use crate::sim::par_sample::par_sample;
    use rand_distr::Pareto;

    /// Textbook per-k Hill: full sort, direct sum (the slow reference).
    fn direct(x: &[f64], k: usize) -> f64 {
        let mut v = x.to_vec();
        v.sort_by(|a, b| b.total_cmp(a));
        let s: f64 = v[..k].iter().map(|x| x.ln()).sum();
        s / k as f64 - v[k].ln()
    }

    #[test]
    fn matches_direct_computation() {
        let x = par_sample(&Pareto::new(2.0, 1.5).unwrap(), 5_000, 1, "hill-test");
        let ks = [1, 2, 7, 100, 2500, 4999];
        let got = hill(&x, &ks).unwrap();
        for (&k, g) in ks.iter().zip(got) {
            assert_close(g, direct(&x, k), Tolerance::rel(1e-12));
        }
        // Ties and tiny n: x = {1, 1, e}: γ̂(1) = 1 − 0, γ̂(2) = (1 + 0)/2 − 0.
        let e = std::f64::consts::E;
        assert_eq!(hill_all_k(&[1.0, e, 1.0], 2).unwrap(), vec![1.0, 0.5]);
    }

    #[test]
    fn pareto_truth_within_standard_error() {
        // Exact Pareto(α = 3): E γ̂(k) = 1/3, SE = γ/√k (Rényi representation).
        let x = par_sample(&Pareto::new(1.0, 3.0).unwrap(), 200_000, 2, "hill-pareto");
        let gamma = 1.0 / 3.0;
        for k in [100, 1_000, 10_000, 100_000] {
            let g = hill(&x, &[k]).unwrap()[0];
            let se = gamma / (k as f64).sqrt();
            assert!(
                (g - gamma).abs() <= tol::MC_Z * se,
                "k = {k}: γ̂ = {g}, SE {se}"
            );
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(hill(&[], &[1]), Err(Error::Empty { .. })));
        assert!(matches!(hill(&[1.0, 2.0], &[]), Err(Error::Empty { .. })));
        assert!(matches!(
            hill(&[1.0, 0.0, 2.0], &[1]),
            Err(Error::NotPositive { name: "sample", .. })
        ));
        assert!(matches!(
            hill(&[1.0, -3.0], &[1]),
            Err(Error::NotPositive { .. })
        ));
        assert!(matches!(
            hill(&[1.0, f64::NAN], &[1]),
            Err(Error::NotFinite { .. })
        ));
        assert!(matches!(
            hill(&[1.0, f64::INFINITY], &[1]),
            Err(Error::NotFinite { .. })
        ));
        assert!(matches!(
            hill(&[1.0, 2.0], &[2]),
            Err(Error::OutOfRange { name: "k", .. })
        ));
        assert!(matches!(
            hill(&[1.0, 2.0], &[0, 1]),
            Err(Error::OutOfRange { .. })
        ));
        assert_eq!(top_descending(&[3.0, 1.0, 2.0], 2), vec![3.0, 2.0]);
        assert_eq!(top_descending(&[3.0, 1.0], 5), vec![3.0, 1.0]);
    }
}
