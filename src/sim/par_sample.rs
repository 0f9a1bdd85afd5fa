//! Parallel, reproducible i.i.d. sampling of large arrays.
//!
//! The output is cut into fixed blocks of 2¹⁶ values; block `b` is filled from its own generator
//! `block_rng(seed, path, b)` ([`super::seeds::block_rng`]), so the values depend only on
//! `(seed, path, n)` — never on the thread count or scheduling — and a prefix of length `n' < n`
//! is the same for both runs up to the last whole block.
//!
//! Student-t uses `rand_distr::StudentT` (a standard normal over `√(χ²_ν/ν)`, with Marsaglia–Tsang
//! gamma); Bailey's polar method was ~40% slower in the baseline probe (`results/summary.md`,
//! "Rust probe"), so it is not used.

use rand_distr::{Distribution, StudentT};
use rayon::prelude::*;

use super::seeds::block_rng;
use crate::error::{Error, Result};

/// Values per independently seeded block.
pub const SAMPLE_BLOCK: usize = 1 << 16;

/// `n` i.i.d. draws from `dist`, block `b` drawn from `block_rng(seed, path, b)`, filled in
/// parallel; bit-identical for any number of threads.
pub fn par_sample<D: Distribution<f64> + Sync>(
    dist: &D,
    n: usize,
    seed: u64,
    path: &str,
) -> Vec<f64> {
    let mut out = vec![0.0; n];
    out.par_chunks_mut(SAMPLE_BLOCK)
        .enumerate()
        .for_each(|(b, block)| {
            let mut rng = block_rng(seed, path, b as u64);
            for x in block.iter_mut() {
                *x = dist.sample(&mut rng);
            }
        });
    out
}

/// `n` draws of Student's t with `df` degrees of freedom (work-unit path `"student_t"`).
///
/// # Errors
/// [`Error::NotPositive`] if `df <= 0` or NaN; [`Error::NotFinite`] if `df` is infinite.
pub fn sample_student_t(df: f64, n: usize, seed: u64) -> Result<Vec<f64>> {
    if !(df > 0.0) {
        return Err(Error::NotPositive {
            name: "df",
            value: df,
        });
    }
    if !df.is_finite() {
        return Err(Error::NotFinite {
            name: "df",
            value: df,
        });
    }
    let dist = StudentT::new(df).map_err(|e| Error::Other(format!("StudentT({df}): {e}")))?;
    Ok(par_sample(&dist, n, seed, "student_t"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::tol;
    use statrs::distribution::{ContinuousCDF, StudentsT};

    #[test]
    fn bit_identical_for_one_and_two_threads() {
        let n = 3 * SAMPLE_BLOCK + 123;
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| sample_student_t(3.0, n, 7).unwrap())
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(a.len(), n);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        // Another seed gives other values; a shorter run is a prefix.
        assert_ne!(a[..10], sample_student_t(3.0, 10, 8).unwrap()[..]);
        assert_eq!(
            a[..SAMPLE_BLOCK + 5],
            sample_student_t(3.0, SAMPLE_BLOCK + 5, 7).unwrap()[..]
        );
    }

    #[test]
    fn t3_moments_and_ks_against_the_exact_cdf() {
        // t(5) has finite 4th moment, so mean/variance have a proper SE; t(3) is checked by KS
        // (its variance 3 exists but the sample variance has infinite variance).
        let n = 400_000;
        let x5 = sample_student_t(5.0, n, 11).unwrap();
        let mean = x5.iter().sum::<f64>() / n as f64;
        let var = x5.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // Var t(5) = 5/3; Var of x² for t(5): E x⁴ = 3ν²/((ν−2)(ν−4)) = 25, so SE(s²) ≈ √((25 − 25/9)/n).
        assert!(
            mean.abs() <= tol::MC_Z * (5.0f64 / 3.0 / n as f64).sqrt(),
            "mean {mean}"
        );
        let se_var = ((25.0 - 25.0 / 9.0) / n as f64).sqrt();
        assert!(
            (var - 5.0 / 3.0).abs() <= tol::MC_Z * se_var,
            "var {var} (SE {se_var})"
        );

        let mut x3 = sample_student_t(3.0, n, 12).unwrap();
        x3.sort_unstable_by(f64::total_cmp);
        let cdf = StudentsT::new(0.0, 1.0, 3.0).unwrap();
        let d = x3
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = cdf.cdf(x);
                (f - i as f64 / n as f64).max((i + 1) as f64 / n as f64 - f)
            })
            .fold(0.0, f64::max);
        // Kolmogorov critical value at level 1e-4: sqrt(−ln(1e-4/2)/2)/√n ≈ 2.08/√n (asymptotic).
        let crit = (-(1e-4f64 / 2.0).ln() / 2.0).sqrt() / (n as f64).sqrt();
        assert!(d < crit, "KS D = {d:e} >= {crit:e}");
    }

    #[test]
    fn rejects_bad_df() {
        assert!(matches!(
            sample_student_t(0.0, 5, 1),
            Err(Error::NotPositive { name: "df", .. })
        ));
        assert!(matches!(
            sample_student_t(f64::NAN, 5, 1),
            Err(Error::NotPositive { .. })
        ));
        assert!(matches!(
            sample_student_t(f64::INFINITY, 5, 1),
            Err(Error::NotFinite { .. })
        ));
        assert!(sample_student_t(3.0, 0, 1).unwrap().is_empty());
    }
}
