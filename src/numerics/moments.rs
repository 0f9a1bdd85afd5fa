//! Sample mean, variance (the unbiased `n − 1` form and the population `n` form) and the
//! standard error of the mean, from compensated ([`Neumaier`]) sums in the slice's order, so a
//! result does not depend on how the sum happens to round.
//!
//! ```text
//! m = Σx_i / n      s² = Σ(x_i − m)² / (n − 1)      σ² = Σ(x_i − m)² / n      SE = s / √n
//! ```
//! The two-pass form (mean first, then squared deviations) is the textbook-stable one (Chan,
//! Golub & LeVeque 1983); with compensated sums both passes are accurate to a few ulp.

use super::sum::Neumaier;

/// `Σx_i / n` by a compensated sum; NaN for an empty slice.
pub fn mean(x: &[f64]) -> f64 {
    let mut s = Neumaier::new();
    x.iter().for_each(|&v| s.add(v));
    s.total() / x.len() as f64
}

/// `Σ(x_i − m)²` by a compensated sum.
fn sum_sq_dev(x: &[f64], m: f64) -> f64 {
    let mut ss = Neumaier::new();
    x.iter().for_each(|&v| ss.add((v - m) * (v - m)));
    ss.total()
}

/// `(m, s²)`: the mean and the unbiased sample variance `Σ(x_i − m)²/(n − 1)`, both by
/// compensated sums. `s²` is NaN for fewer than two values (`0/0`).
pub fn mean_var(x: &[f64]) -> (f64, f64) {
    let m = mean(x);
    (m, sum_sq_dev(x, m) / (x.len() as f64 - 1.0))
}

/// `(m, σ²)`: the mean and the population variance `Σ(x_i − m)²/n` (NumPy's `var` default; the
/// maximum-likelihood variance), both by compensated sums. NaN for an empty slice.
pub fn mean_var_population(x: &[f64]) -> (f64, f64) {
    let m = mean(x);
    (m, sum_sq_dev(x, m) / x.len() as f64)
}

/// `(m, SE)`: the mean and its standard error `s/√n` (computed as `√(s²)/√n`). NaN SE for fewer
/// than two values.
pub fn mean_se(x: &[f64]) -> (f64, f64) {
    let (m, v) = mean_var(x);
    (m, v.sqrt() / (x.len() as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms_on_one_to_ten() {
        // 1..=10: mean 5.5, s² = n(n+1)/12 = 110/12, SE = √(110/12/10)
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        let (m, v) = mean_var(&x);
        assert_eq!(m, 5.5);
        assert!((v - 110.0 / 12.0).abs() < 1e-14);
        let (_, se) = mean_se(&x);
        assert!((se - (11.0f64 / 12.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn a_large_offset_does_not_eat_the_variance() {
        // 1e9 + {0, 1, 2}: naive one-pass Σx² − n m² loses it; two-pass keeps s² = 1 exactly
        let x = [1e9, 1e9 + 1.0, 1e9 + 2.0];
        assert_eq!(mean_var(&x), (1e9 + 1.0, 1.0));
    }

    #[test]
    fn population_variance_divides_by_n() {
        // {1, 2, 3, 4}: mean 2.5, Σ(x − m)² = 5, σ² = 5/4, s² = 5/3
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(mean_var_population(&x), (2.5, 1.25));
        assert_eq!(mean_var(&x), (2.5, 5.0 / 3.0));
    }

    #[test]
    fn short_samples() {
        assert!(mean(&[]).is_nan());
        let (m, se) = mean_se(&[3.0]);
        assert_eq!(m, 3.0);
        assert!(se.is_nan());
    }
}
