//! Validated finite distributions. Once you hold a [`Probs`] it is finite, non-negative and
//! sums to one within [`tol::SIMPLEX`]: the kernels downstream cannot receive garbage, and
//! nothing is ever silently renormalised.

use crate::error::{Error, Result};
use crate::numerics::{logsumexp, neumaier_sum, tol};

/// A probability vector over `n` atoms.
#[derive(Debug, Clone, PartialEq)]
pub struct Probs {
    p: Vec<f64>,
}

impl Probs {
    /// Validates `p` as a distribution named `name` in error messages.
    ///
    /// # Errors
    /// [`Error::Empty`] for no atoms; [`Error::NotAProbability`] for a negative or non-finite
    /// entry; [`Error::NotNormalised`] if `|Σp − 1| > tol::SIMPLEX`.
    pub fn new_named(name: &'static str, p: Vec<f64>) -> Result<Self> {
        if p.is_empty() {
            return Err(Error::Empty { name });
        }
        for (index, &value) in p.iter().enumerate() {
            if !(value >= 0.0) || !value.is_finite() {
                return Err(Error::NotAProbability { name, index, value });
            }
        }
        let sum = neumaier_sum(p.iter().copied());
        if !((sum - 1.0).abs() <= tol::SIMPLEX) {
            return Err(Error::NotNormalised {
                name,
                sum,
                tolerance: tol::SIMPLEX,
            });
        }
        Ok(Self { p })
    }

    /// Same as [`Probs::new_named`] with the name `"p"`.
    pub fn new(p: Vec<f64>) -> Result<Self> {
        Self::new_named("p", p)
    }

    /// The uniform distribution on `n >= 1` atoms.
    pub fn uniform(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::Empty {
                name: "uniform support",
            });
        }
        Ok(Self {
            p: vec![1.0 / n as f64; n],
        })
    }

    /// Normalises non-negative weights explicitly (the caller asks for it by name).
    ///
    /// # Errors
    /// As [`Probs::new_named`] for bad entries; [`Error::NotPositive`] if the total is 0.
    pub fn from_weights(name: &'static str, w: &[f64]) -> Result<Self> {
        if w.is_empty() {
            return Err(Error::Empty { name });
        }
        for (index, &value) in w.iter().enumerate() {
            if !(value >= 0.0) || !value.is_finite() {
                return Err(Error::NotAProbability { name, index, value });
            }
        }
        let total = neumaier_sum(w.iter().copied());
        if !(total > 0.0) || !total.is_finite() {
            return Err(Error::NotPositive {
                name: "total weight",
                value: total,
            });
        }
        Ok(Self {
            p: w.iter().map(|x| x / total).collect(),
        })
    }

    /// The probabilities.
    pub fn as_slice(&self) -> &[f64] {
        &self.p
    }

    /// Number of atoms.
    pub fn len(&self) -> usize {
        self.p.len()
    }

    /// Always false (a `Probs` has at least one atom); present for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.p.is_empty()
    }

    /// `E_p[f]`, compensated.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `f.len() != self.len()`; [`Error::NotFinite`] if some `f_i`
    /// with `p_i > 0` is not finite.
    pub fn expect(&self, f: &[f64]) -> Result<f64> {
        check_len("p", self.len(), "f", f.len())?;
        let mut s = crate::numerics::Neumaier::new();
        for (&p, &x) in self.p.iter().zip(f) {
            if p > 0.0 {
                if !x.is_finite() {
                    return Err(Error::NotFinite {
                        name: "f",
                        value: x,
                    });
                }
                s.add(p * x);
            }
        }
        Ok(s.total())
    }

    /// Log-probabilities (`-∞` for zero atoms).
    pub fn to_log(&self) -> LogProbs {
        LogProbs {
            lp: self.p.iter().map(|p| p.ln()).collect(),
        }
    }

    /// Indices with positive probability.
    pub fn support(&self) -> impl Iterator<Item = usize> + '_ {
        self.p
            .iter()
            .enumerate()
            .filter(|(_, &p)| p > 0.0)
            .map(|(i, _)| i)
    }

    /// Consumes into the raw vector.
    pub fn into_vec(self) -> Vec<f64> {
        self.p
    }
}

/// A distribution stored as log-probabilities (for exact KL when probabilities underflow).
#[derive(Debug, Clone, PartialEq)]
pub struct LogProbs {
    lp: Vec<f64>,
}

impl LogProbs {
    /// Validates log-probabilities: none NaN or `> 0`, and `logsumexp = 0` within `tol::SIMPLEX`.
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::NotAProbability`] (NaN or positive log-probability),
    /// [`Error::NotNormalised`].
    pub fn new_named(name: &'static str, lp: Vec<f64>) -> Result<Self> {
        if lp.is_empty() {
            return Err(Error::Empty { name });
        }
        for (index, &value) in lp.iter().enumerate() {
            if value.is_nan() || value > 0.0 {
                return Err(Error::NotAProbability {
                    name,
                    index,
                    value: value.exp(),
                });
            }
        }
        let l = logsumexp(&lp);
        if !(l.abs() <= tol::SIMPLEX) {
            return Err(Error::NotNormalised {
                name,
                sum: l.exp(),
                tolerance: tol::SIMPLEX,
            });
        }
        Ok(Self { lp })
    }

    /// The log-probabilities.
    pub fn as_slice(&self) -> &[f64] {
        &self.lp
    }

    /// Number of atoms.
    pub fn len(&self) -> usize {
        self.lp.len()
    }

    /// Always false.
    pub fn is_empty(&self) -> bool {
        self.lp.is_empty()
    }

    /// Back to probabilities (validated again).
    pub fn to_probs(&self) -> Result<Probs> {
        Probs::new_named("exp(log p)", self.lp.iter().map(|l| l.exp()).collect())
    }
}

/// Errors with [`Error::LengthMismatch`] unless the lengths agree.
pub fn check_len(
    left: &'static str,
    left_len: usize,
    right: &'static str,
    right_len: usize,
) -> Result<()> {
    if left_len != right_len {
        return Err(Error::LengthMismatch {
            left,
            left_len,
            right,
            right_len,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_input_by_name() {
        assert!(matches!(Probs::new(vec![]), Err(Error::Empty { .. })));
        assert!(matches!(
            Probs::new(vec![0.5, -0.1, 0.6]),
            Err(Error::NotAProbability { index: 1, .. })
        ));
        assert!(matches!(
            Probs::new(vec![f64::NAN, 1.0]),
            Err(Error::NotAProbability { index: 0, .. })
        ));
        assert!(
            matches!(Probs::new(vec![1.0, 1.0]), Err(Error::NotNormalised { sum, .. }) if sum == 2.0)
        );
        assert!(Probs::new(vec![0.1; 10]).is_ok());
    }

    #[test]
    fn expect_and_logs() {
        let p = Probs::new(vec![0.25, 0.75]).unwrap();
        assert_eq!(p.expect(&[4.0, 8.0]).unwrap(), 7.0);
        assert!(matches!(
            p.expect(&[1.0]),
            Err(Error::LengthMismatch { .. })
        ));
        let lp = p.to_log();
        assert!(LogProbs::new_named("lp", lp.as_slice().to_vec()).is_ok());
        assert!(LogProbs::new_named("lp", vec![0.1]).is_err());
    }

    #[test]
    fn from_weights_normalises_on_request() {
        let p = Probs::from_weights("w", &[1.0, 3.0]).unwrap();
        assert_eq!(p.as_slice(), &[0.25, 0.75]);
        assert!(Probs::from_weights("w", &[0.0, 0.0]).is_err());
    }
}
