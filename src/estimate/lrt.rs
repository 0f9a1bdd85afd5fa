//! Log-likelihood-ratio tests between two tail fits on the same values (Clauset, Shalizi &
//! Newman 2009, §5; Vuong 1989, *Likelihood ratio tests for model selection and non-nested
//! hypotheses*, Econometrica 57(2)).
//!
//! ```text
//! ℓ_i = ln p_1(x_i) − ln p_2(x_i),   R = Σ ℓ_i        (R > 0 favours model 1, here the power law)
//! non-nested (Vuong):  z = R / (σ̂ √n),  σ̂² = (1/n) Σ (ℓ_i − ℓ̄)²,   p = P(|N(0,1)| >= |z|) = 2 Φ̄(|z|)
//! nested (model 1 ⊂ model 2 on the boundary λ = 0 of one parameter):
//!                      D = −2R >= 0 ~ ½χ²₀ + ½χ²₁ under model 1,   p = ½ P(χ²₁ >= D) = Φ̄(√D)
//! ```
//!
//! The Vuong p-value tests whether the sign of `R` can be trusted; a large p means the data
//! cannot tell the two models apart at this n. For the nested power law ⊂ truncated power law
//! the boundary correction halves the χ²₁ tail (Self & Liang 1987), which Clauset et al. §5
//! (footnote) recommend over the Vuong statistic.

use crate::dist::Law;
use crate::error::{Error, Result};
use crate::numerics::neumaier_sum;

/// The outcome of one likelihood-ratio comparison of model 1 against model 2.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LrTest {
    /// `R = Σ [ln p_1(x_i) − ln p_2(x_i)]` (`> 0` favours model 1).
    pub r: f64,
    /// Vuong's normalised `z = R/(σ̂√n)` (non-nested) or `D = −2R` (nested).
    pub statistic: f64,
    /// Two-sided Vuong p-value, or the boundary-corrected χ² p-value for nested models.
    pub p_value: f64,
    /// Number of values compared.
    pub n: usize,
}

fn check(ll1: &[f64], ll2: &[f64]) -> Result<()> {
    if ll1.len() != ll2.len() {
        return Err(Error::LengthMismatch {
            left: "model-1 log-densities",
            left_len: ll1.len(),
            right: "model-2 log-densities",
            right_len: ll2.len(),
        });
    }
    if ll1.len() < 2 {
        return Err(Error::TooShort {
            name: "log-densities",
            len: ll1.len(),
            min: 2,
        });
    }
    for &v in ll1.iter().chain(ll2) {
        if !v.is_finite() {
            return Err(Error::NotFinite {
                name: "log-density",
                value: v,
            });
        }
    }
    Ok(())
}

/// Vuong's test for non-nested models from the pointwise log-densities of both fits.
///
/// If every `ℓ_i` is equal (σ̂ = 0) the statistic is `±∞` (or 0 when R = 0) with p = 0 (or 1).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::TooShort`] (< 2 values), [`Error::NotFinite`].
pub fn vuong(ll1: &[f64], ll2: &[f64]) -> Result<LrTest> {
    check(ll1, ll2)?;
    let d: Vec<f64> = ll1.iter().zip(ll2).map(|(a, b)| a - b).collect();
    let n = d.len() as f64;
    let r = neumaier_sum(d.iter().copied());
    let mean = r / n;
    let var = neumaier_sum(d.iter().map(|&x| (x - mean) * (x - mean))) / n;
    let std = Law::normal(0.0, 1.0)?;
    let (statistic, p_value) = if var > 0.0 {
        let z = r / (var.sqrt() * n.sqrt());
        (z, (2.0 * std.sf(z.abs())).min(1.0))
    } else if r == 0.0 {
        (0.0, 1.0)
    } else {
        (r.signum() * f64::INFINITY, 0.0)
    };
    Ok(LrTest {
        r,
        statistic,
        p_value,
        n: d.len(),
    })
}

/// The nested test of model 1 inside model 2 (one extra parameter on its boundary):
/// `D = −2R`, `p = ½ P(χ²₁ >= D)`. If model 1 fits at least as well (`R >= 0`: the larger fit
/// sits on the boundary or did not reach its optimum) the statistic is 0 and `p = 1`.
///
/// # Errors
/// As [`vuong`].
pub fn nested_boundary(ll_small: &[f64], ll_big: &[f64]) -> Result<LrTest> {
    check(ll_small, ll_big)?;
    let r = neumaier_sum(ll_small.iter().zip(ll_big).map(|(a, b)| a - b));
    let d = -2.0 * r;
    let p_value = if d <= 0.0 {
        1.0
    } else {
        // ½ P(χ²₁ >= D) = ½ · 2Φ̄(√D) = Φ̄(√D)
        Law::normal(0.0, 1.0)?.sf(d.sqrt())
    };
    Ok(LrTest {
        r,
        statistic: d.max(0.0),
        p_value,
        n: ll_small.len(),
    })
}
