//! Theorem 2 of Kwa et al. 2024 (light tails bound the gain): if `Q` is light-tailed and
//! `d = D_KL(P‖Q)` is bounded, then `μ_P` is bounded, and `μ_P − μ_Q → 0` as `d → 0`.
//!
//! The paper's proof is a Lagrange-multiplier heuristic (the optimum is an exponential tilt of
//! `Q`). We check the rigorous quantitative form, the Donsker–Varadhan (Gibbs) variational bound:
//!
//! ```text
//! Λ(λ) = ln E_Q[exp(λ(V − μ_Q))]                      (centred log-MGF; convex, Λ(0) = 0)
//! μ_P − μ_Q <= (d + Λ(λ))/λ         for every λ > 0 with Λ(λ) < ∞
//! sup{μ_P − μ_Q : KL(P‖Q) <= d} = inf_{λ>0} (d + Λ(λ))/λ,
//! attained by the tilt dP/dQ ∝ exp(λ*V) with KL = λ*Λ'(λ*) − Λ(λ*) = d.
//! N(0, σ²):  Λ = σ²λ²/2          ⇒  bound = σ√(2d)           (P = N(σ√(2d), σ²))
//! Exp(1):    Λ = −λ − ln(1 − λ)  ⇒  bound = x with x − ln(1 + x) = d   (P = Exp(r), r = 1/(1+x))
//!            KL(Exp(r)‖Exp(1)) = ln r + 1/r − 1
//! heavy Q:   Λ(λ) = +∞ for every λ > 0, so the bound is +∞ (Theorem 1: the sup is +∞).
//! ```
//!
//! `(d + Λ(λ))/λ` is quasi-convex in `λ` (its derivative has the sign of `λΛ'(λ) − Λ(λ) − d`,
//! which increases from `−d`), so a grid scan in `ln λ` followed by golden-section refinement
//! finds the infimum; any `λ` gives a valid bound, so the result is an upper bound even when
//! the scan ends at the edge of its range.
//!
//! Reference: Kwa, Thomas, Garriga-Alonso 2024, Theorem 2; spec: `../shared/spec/kwa2024.md`
//! §2.2, §6.2. Assumptions: `Λ` is finite on some `(0, λ₁)` (light tail).
//!
//! ERRATUM (spec §6.2, Exp(1) row): the spec writes `KL(Exp(r)‖Exp(1)) = −ln r + 1/r − 1`, which
//! is first-order in `1 − r` and cannot be a KL; the correct value is `ln r + 1/r − 1`
//! (`E_P[ln r + (1 − r)X]`). The spec's printed `r` and `μ_P` solve the wrong equation; the
//! correct optimum shift is ≈ `√(2d)` for small `d` (Exp(1) has variance 1), e.g. `d = 1` gives
//! `μ_P = 3.146`, not `1.557`. The checks below compute the correct values and say so.

use std::convert::Infallible;

use crate::dist::Law;
use crate::error::{Error, Result};
use crate::numerics::optimize::{golden_section, Goal};
use crate::numerics::quad::{integrate, QuadOptions};
use crate::numerics::roots::newton_bisect;
use crate::numerics::{logsumexp, Neumaier};
use crate::prob::Probs;

/// The Donsker–Varadhan bound on the mean shift at a KL budget `d`: computed by [`dv_bound`]
/// from a log-MGF by search, and exactly on a finite law by
/// [`donsker_varadhan_bound`](super::policy::donsker_varadhan_bound) (Corollary 1).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DvBound {
    /// `inf_λ (d + Λ(λ))/λ`: the largest `μ_P − μ_Q` over `KL(P‖Q) <= d` (`+∞` if `Λ` is
    /// infinite at every scanned `λ`).
    pub value: f64,
    /// The minimising `λ` (`NaN` when `value` is infinite, `0` for `d = 0`, `+∞` when the
    /// infimum is only approached as `λ → ∞`, i.e. `d >= −ln Q(argmax V)` on a finite law).
    pub lambda: f64,
    /// Whether the infimum is attained at a finite `λ > 0` inside the search range ([`dv_bound`]:
    /// strictly inside the scanned range `ln λ ∈ [s_lo, 40]`; if not, `value` is still a valid
    /// upper bound but may not be the infimum). `false` for `d = 0` and for the limit `λ → ∞`.
    pub interior: bool,
}

/// `inf_{λ>0} (d + Λ(λ))/λ` for a log-MGF `log_mgf(λ) = Λ(λ)` (`None` where infinite).
///
/// Pass the *centred* log-MGF `ln E[e^{λ(V−μ_Q)}]` to bound `μ_P − μ_Q`. Scans `s = ln λ` on
/// `[min(−40, ½ln d − 40), 40]` in steps of 1/4, then refines by golden section to `|Δs| < 1e-10`.
///
/// # Errors
/// [`Error::OutOfRange`] for `d < 0` or NaN; [`Error::NotFinite`] for `d = ∞`.
pub fn dv_bound(log_mgf: impl Fn(f64) -> Option<f64>, d: f64) -> Result<DvBound> {
    if d.is_nan() || d < 0.0 {
        return Err(Error::OutOfRange {
            name: "KL budget d",
            value: d,
            range: "[0, ∞)",
        });
    }
    if !d.is_finite() {
        return Err(Error::NotFinite {
            name: "KL budget d",
            value: d,
        });
    }
    if d == 0.0 {
        // KL = 0 forces P = Q.
        return Ok(DvBound {
            value: 0.0,
            lambda: 0.0,
            interior: false,
        });
    }
    let h = |s: f64| -> f64 {
        let l = s.exp();
        match log_mgf(l) {
            Some(v) if v.is_finite() => (d + v) / l,
            _ => f64::INFINITY,
        }
    };
    let s_lo = (0.5 * d.ln() - 40.0).min(-40.0);
    let s_hi = 40.0;
    let n = ((s_hi - s_lo) / 0.25).ceil() as usize;
    let grid: Vec<f64> = (0..=n)
        .map(|i| s_lo + (s_hi - s_lo) * i as f64 / n as f64)
        .collect();
    let vals: Vec<f64> = grid.iter().map(|&s| h(s)).collect();
    let mut k = 0;
    for i in 1..vals.len() {
        if vals[i] < vals[k] {
            k = i;
        }
    }
    if vals[k] == f64::INFINITY {
        return Ok(DvBound {
            value: f64::INFINITY,
            lambda: f64::NAN,
            interior: false,
        });
    }
    // Golden section on the bracket around the best grid point, keeping the best point seen.
    let (mut best_s, mut best) = (grid[k], vals[k]);
    let (a, b) = (grid[k.saturating_sub(1)], grid[(k + 1).min(n)]);
    let Ok(_) = golden_section(
        |s| Ok::<f64, Infallible>(h(s)),
        a,
        b,
        Goal::Min,
        usize::MAX,
        |g| !(g.b - g.a > 1e-10),
        |g| {
            for (s, v) in [(g.c, g.fc), (g.d, g.fd)] {
                if v < best {
                    best = v;
                    best_s = s;
                }
            }
        },
    );
    Ok(DvBound {
        value: best,
        lambda: best_s.exp(),
        interior: k > 0 && k < n,
    })
}

/// `y − ln(1 + y)` for `y > −1` without cancellation near 0 (series for `|y| < 0.2`).
pub fn x_minus_ln1p(y: f64) -> f64 {
    if y.abs() >= 0.2 {
        return y - y.ln_1p();
    }
    // Σ_{k>=2} (−1)^k y^k / k; |y| < 0.2 ⇒ 25 terms reach 1e-19 of the sum.
    let mut pow = y * y;
    let mut sum = 0.0;
    let mut k = 2.0;
    let mut sign = 1.0;
    while k < 40.0 {
        let term = sign * pow / k;
        sum += term;
        if term.abs() <= 1e-19 * sum.abs() {
            break;
        }
        pow *= y;
        sign = -sign;
        k += 1.0;
    }
    sum
}

/// Centred log-MGF of `Exp(1)`: `Λ(λ) = −λ − ln(1 − λ)` for `λ < 1`, `None` for `λ >= 1`.
pub fn exp1_log_mgf(lambda: f64) -> Option<f64> {
    (lambda < 1.0).then(|| x_minus_ln1p(-lambda))
}

/// Centred log-MGF of `N(0, σ²)`: `σ²λ²/2`.
pub fn normal_log_mgf(sigma: f64) -> impl Fn(f64) -> Option<f64> {
    move |l: f64| Some(0.5 * sigma * sigma * l * l)
}

/// The KL-optimal `P` for `Q = Exp(1)` at budget `d`: `P = Exp(r)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ExpOptimum {
    /// Rate `r` of the optimal `P = Exp(r)` (`r = 1 − λ*`).
    pub rate: f64,
    /// `μ_P = 1/r`.
    pub mean: f64,
    /// `μ_P − μ_Q = 1/r − 1`.
    pub shift: f64,
}

/// Solves `KL(Exp(r)‖Exp(1)) = ln r + 1/r − 1 = d` for `r ∈ (0, 1]`, in the stable variable
/// `x = 1/r − 1`: `x − ln(1 + x) = d`.
///
/// # Errors
/// [`Error::OutOfRange`] for `d < 0` or NaN; [`Error::NotFinite`] for `d = ∞`; root-finder errors.
pub fn exp1_optimum(d: f64) -> Result<ExpOptimum> {
    if d.is_nan() || d < 0.0 {
        return Err(Error::OutOfRange {
            name: "KL budget d",
            value: d,
            range: "[0, ∞)",
        });
    }
    if !d.is_finite() {
        return Err(Error::NotFinite {
            name: "KL budget d",
            value: d,
        });
    }
    let x = if d == 0.0 {
        0.0
    } else {
        let mut hi = 1.0;
        while x_minus_ln1p(hi) <= d {
            hi *= 2.0;
        }
        newton_bisect(
            |x| (x_minus_ln1p(x) - d, x / (1.0 + x)),
            0.0,
            hi,
            1e-16,
            d * 1e-16,
            300,
        )?
    };
    Ok(ExpOptimum {
        rate: 1.0 / (1.0 + x),
        mean: 1.0 + x,
        shift: x,
    })
}

/// `KL(Exp(r)‖Exp(1)) = ln r + 1/r − 1`.
pub fn kl_exp_vs_exp1(r: f64) -> f64 {
    x_minus_ln1p(1.0 / r - 1.0)
}

/// The exact centred log-MGF of a finite distribution (`Λ(λ) = ln Σ p_i e^{λ(v_i − μ)}`),
/// computed as `ln1p(Σ p_i expm1(λ c_i))` for weak tilts and by log-sum-exp otherwise.
#[derive(Debug, Clone)]
pub struct FiniteLogMgf {
    p: Vec<f64>,
    ln_p: Vec<f64>,
    centred: Vec<f64>,
    mean: f64,
    spread: f64,
}

impl FiniteLogMgf {
    /// Pairs probabilities with values.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`]; [`Error::NotFinite`] for a non-finite value on the support.
    pub fn new(probs: &Probs, values: &[f64]) -> Result<Self> {
        let mean = probs.expect(values)?;
        let mut p = Vec::new();
        let mut ln_p = Vec::new();
        let mut centred = Vec::new();
        let mut spread = 0.0f64;
        for (&pi, &v) in probs.as_slice().iter().zip(values) {
            if pi > 0.0 {
                p.push(pi);
                ln_p.push(pi.ln());
                centred.push(v - mean);
                spread = spread.max((v - mean).abs());
            }
        }
        Ok(Self {
            p,
            ln_p,
            centred,
            mean,
            spread,
        })
    }

    /// `μ = E[V]`.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// `Λ(λ)`.
    pub fn eval(&self, lambda: f64) -> f64 {
        if (lambda * self.spread).abs() < 1.0 {
            let mut s = Neumaier::new();
            for (&pi, &c) in self.p.iter().zip(&self.centred) {
                s.add(pi * (lambda * c).exp_m1());
            }
            s.total().ln_1p()
        } else {
            let terms: Vec<f64> = self
                .ln_p
                .iter()
                .zip(&self.centred)
                .map(|(&lp, &c)| lp + lambda * c)
                .collect();
            logsumexp(&terms)
        }
    }
}

/// `β·ln ∫_lo^hi e^{x/β} q(x) dx`: the KL-penalised optimum `sup_P E_P[X] − β·KL` of `Q`
/// truncated to `[lo, hi]` (unnormalised truncation), in log space so that `hi = 1e4` does not
/// overflow. The range is cut at `0, ±1, ±10^k` and `hi − 10^k`; each piece is integrated as
/// `e^{g(x) − c}` with `g = x/β + ln q` and `c` the largest `g` on 33 points of the piece, and the
/// pieces are combined by log-sum-exp.
///
/// # Errors
/// [`Error::NotPositive`] for a bad `beta`; [`Error::OutOfRange`] unless `lo < hi` (finite);
/// quadrature errors.
pub fn truncated_tilted_log_normaliser(q: &Law, beta: f64, lo: f64, hi: f64) -> Result<f64> {
    crate::error::positive_finite("beta", beta)?;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(Error::OutOfRange {
            name: "truncation range",
            value: hi,
            range: "finite lo < hi",
        });
    }
    let mut cuts = vec![lo, hi];
    for k in 0..=308 {
        let p = 10f64.powi(k);
        if p > hi - lo {
            break;
        }
        cuts.extend([p, -p, hi - p]);
    }
    cuts.push(0.0);
    cuts.retain(|&x| x >= lo && x <= hi);
    cuts.sort_by(|a, b| a.total_cmp(b));
    cuts.dedup();
    let g = |x: f64| x / beta + q.ln_pdf(x);
    let mut logs = Vec::new();
    for w in cuts.windows(2) {
        let (u, v) = (w[0], w[1]);
        let c = (0..=32)
            .map(|i| g(u + (v - u) * i as f64 / 32.0))
            .filter(|y| !y.is_nan())
            .fold(f64::NEG_INFINITY, f64::max);
        if c == f64::NEG_INFINITY {
            continue;
        }
        let f = |x: f64| {
            let y = g(x);
            if y == f64::NEG_INFINITY {
                0.0
            } else {
                (y - c).exp()
            }
        };
        let i = integrate(
            f,
            u,
            v,
            QuadOptions {
                abs: 0.0,
                rel: 1e-11,
                max_intervals: 4000,
            },
        )?
        .value;
        if i > 0.0 {
            logs.push(c + i.ln());
        }
    }
    Ok(beta * logsumexp(&logs))
}

pub mod checks;
#[cfg(test)]
mod tests;

pub use checks::checks;
