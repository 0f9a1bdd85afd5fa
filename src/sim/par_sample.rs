//! Parallel, reproducible i.i.d. sampling of large arrays.
//!
//! The output is cut into fixed blocks of 2¹⁶ values; block `b` is filled by a Xoshiro256++
//! seeded from its own ChaCha8 stream `block_rng(seed, path, b)` ([`super::seeds::block_rng`];
//! both generators are portable and named), so the values depend only on
//! `(seed, path, n)` — never on the thread count or scheduling — and a prefix of length `n' < n`
//! is the same for both runs up to the last whole block.
//!
//! Student-t is `T = Z/√(χ²_ν/ν)`. For integer `ν <= 4` the chi-square is drawn exactly as a sum
//! of ziggurat draws, `χ²_ν = 2·(E₁ + … + E_⌊ν/2⌋) + [ν odd]·Z'²` with `E_i ~ Exp(1)`, `Z' ~ N(0,1)`
//! (χ²₂ is 2·Exp(1) and independent chi-squares add): for ν = 3 that is 3 ziggurat draws and
//! ~1.5× faster than `rand_distr::StudentT` (normal over Marsaglia–Tsang gamma), which serves
//! every other ν. Bailey's polar method was ~40% slower than `StudentT` in the baseline probe
//! (`results/summary.md`, "Rust probe"), so it is not used.

use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal, StudentT};
use rayon::prelude::*;

use rand::SeedableRng;

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
            // the block's ChaCha8 stream seeds a Xoshiro256++ (both portable, named generators):
            // ChaCha8 fixes the stream per block, Xoshiro draws ~2x faster inside it
            let mut rng =
                rand::rngs::Xoshiro256PlusPlus::from_rng(&mut block_rng(seed, path, b as u64));
            for x in block.iter_mut() {
                *x = dist.sample(&mut rng);
            }
        });
    out
}

/// Student's t with `df` degrees of freedom: exact sum-of-ziggurats chi-square for integer
/// `df <= 4`, `rand_distr::StudentT` otherwise (see the module docs).
#[derive(Debug, Clone, Copy)]
pub enum StudentTSampler {
    /// `df ∈ {1, 2, 3, 4}`: `exps = ⌊df/2⌋` exponentials, `odd` adds one squared normal.
    SmallInteger {
        /// ν.
        df: f64,
        /// ⌊ν/2⌋.
        exps: u32,
        /// ν odd.
        odd: bool,
    },
    /// Any other ν.
    General(StudentT<f64>),
}

impl StudentTSampler {
    /// # Errors
    /// [`Error::NotPositive`] if `df <= 0` or NaN; [`Error::NotFinite`] if `df` is infinite.
    pub fn new(df: f64) -> Result<Self> {
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
        if df.fract() == 0.0 && df <= 4.0 {
            let k = df as u32;
            return Ok(Self::SmallInteger {
                df,
                exps: k / 2,
                odd: k % 2 == 1,
            });
        }
        Ok(Self::General(StudentT::new(df).map_err(|e| {
            Error::Other(format!("StudentT({df}): {e}"))
        })?))
    }
}

impl Distribution<f64> for StudentTSampler {
    #[inline]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Self::SmallInteger { df, exps, odd } => {
                let z: f64 = StandardNormal.sample(rng);
                loop {
                    let mut chi = 0.0;
                    for _ in 0..exps {
                        let e: f64 = Exp1.sample(rng);
                        chi += 2.0 * e;
                    }
                    if odd {
                        let y: f64 = StandardNormal.sample(rng);
                        chi += y * y;
                    }
                    // χ² = 0 has probability ~2⁻⁶⁰; redraw rather than return ±∞.
                    if chi > 0.0 {
                        return z * (df / chi).sqrt();
                    }
                }
            }
            Self::General(t) => t.sample(rng),
        }
    }
}

/// `n` draws of Student's t with `df` degrees of freedom (work-unit path `"student_t"`).
///
/// # Errors
/// [`Error::NotPositive`] if `df <= 0` or NaN; [`Error::NotFinite`] if `df` is infinite.
pub fn sample_student_t(df: f64, n: usize, seed: u64) -> Result<Vec<f64>> {
    Ok(par_sample(&StudentTSampler::new(df)?, n, seed, "student_t"))
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

        let x3 = sample_student_t(3.0, n, 12).unwrap();
        // t(3): mean 0, variance 3 (finite), so the sample mean has SE √(3/n).
        let m3 = x3.iter().sum::<f64>() / n as f64;
        assert!(
            m3.abs() <= tol::MC_Z * (3.0 / n as f64).sqrt(),
            "t3 mean {m3}"
        );
        let d = ks_t(x3, 3.0);
        // Kolmogorov critical value at level 1e-4: sqrt(−ln(1e-4/2)/2)/√n ≈ 2.08/√n (asymptotic).
        let crit = (-(1e-4f64 / 2.0).ln() / 2.0).sqrt() / (n as f64).sqrt();
        assert!(d < crit, "KS D = {d:e} >= {crit:e}");
    }

    /// Kolmogorov–Smirnov distance of a sample from the exact t(df) CDF.
    fn ks_t(mut x: Vec<f64>, df: f64) -> f64 {
        let n = x.len() as f64;
        x.sort_unstable_by(f64::total_cmp);
        let cdf = StudentsT::new(0.0, 1.0, df).unwrap();
        x.iter()
            .enumerate()
            .map(|(i, &v)| {
                let f = cdf.cdf(v);
                (f - i as f64 / n).max((i + 1) as f64 / n - f)
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn every_sampler_path_matches_the_exact_cdf() {
        // Exact chi-square paths (df = 1..4) and the rand_distr path (df = 2.5, 7); KS at level
        // 1e-4 each (asymptotic critical value sqrt(−ln(α/2)/2)/√n).
        let n = 100_000;
        let crit = (-(1e-4f64 / 2.0).ln() / 2.0).sqrt() / (n as f64).sqrt();
        for (i, df) in [1.0, 2.0, 3.0, 4.0, 2.5, 7.0].into_iter().enumerate() {
            let d = ks_t(sample_student_t(df, n, 100 + i as u64).unwrap(), df);
            assert!(d < crit, "df = {df}: KS D = {d:e} >= {crit:e}");
        }
        assert!(matches!(
            StudentTSampler::new(3.0).unwrap(),
            StudentTSampler::SmallInteger {
                exps: 1,
                odd: true,
                ..
            }
        ));
        assert!(matches!(
            StudentTSampler::new(3.5).unwrap(),
            StudentTSampler::General(_)
        ));
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
