//! Theorem 1 of Kwa et al. 2024 (KL on heavy-tailed distributions, Figure A.1): if `Q` is
//! heavy-tailed with finite mean, then for every `M > 0` and `ε > 0` there is a `P` with `μ_P > M`
//! and `D_KL(P‖Q) < ε`.
//!
//! The proof's construction `P_t` rescales `Q` separately below and above a threshold `t` so
//! that `P_t` puts mass `m` (the proof: `m = c/t`; Figure A.1: `m = t^{-0.8}`) above `t`.
//! Both likelihood ratios are constant, so every quantity has a closed form:
//!
//! ```text
//! p_t(x) = r_lo·q(x)  (x <= t),     p_t(x) = r_hi·q(x)  (x > t)
//! r_lo = (1 − m)/F_Q(t),            r_hi = m/F̄_Q(t)
//! D_KL(P_t‖Q) = (1 − m)·ln((1 − m)/F_Q(t)) + m·ln(m/F̄_Q(t))
//! E_{P_t}[X]  = r_lo·E_Q[X·1{X<=t}] + r_hi·E_Q[X·1{X>t}]
//!             = r_lo·μ_Q + (r_hi − r_lo)·E_Q[X·1{X>t}]
//! Student-t(ν):  E[X·1{X>t}] = f_ν(t)·(ν + t²)/(ν − 1)
//! Student-t(3):  F̄(t) = 1/2 − (1/π)[atan(s) + s/(1 + s²)],  s = t/√3
//!                      = (1/π)[atan(u) − u/(1 + u²)],       u = 1/s   (t > 0)
//!                      = (1/π) Σ_{k>=1} (−1)^{k+1} (2k/(2k+1)) u^{2k+1}   (no cancellation)
//! ```
//!
//! For `Q = t₃` and `m = c/t`, `E[X | X > t] ~ 1.5·t`, so `E_{P_t}[X] → 1.5·c`; with `m = t^{-a}`,
//! `E_{P_t}[X] ~ 1.5·t^{1−a}` while `KL ~ t^{-a}·(ln(t^{3−a}·π/(2√3)) − 1) → 0`.
//! For a light-tailed `Q` the same construction fails: `Q = N(0,1)` gives
//! `KL >= (c/t)(t²/2 + ln c + ½ln 2π) + (1 − c/t)ln(1 − c/t) → ∞` (Mills' ratio).
//!
//! Accuracy: `ln F_Q(t) = ln_1p(−F̄_Q(t))` and the series for the t₃ tail keep every digit up
//! to `t ≈ 1e100`; the numbers of the spec's §6.1 table (t up to 1e8, where generic
//! quadrature such as `scipy.stats.t.expect` is inaccurate) are reproduced to the printed digits.
//!
//! Reference: Kwa, Thomas, Garriga-Alonso 2024, Theorem 1 and Figure A.1; spec:
//! `../shared/spec/kwa2024.md` §2.1, §3 "Figure A.1", §6.1. Assumptions: `Q` has a finite mean
//! (`ν > 1` for Student-t); the threshold has `0 < F_Q(t) < 1`; the tail mass `0 < m < 1`.

use crate::dist::Law;
use crate::error::{Error, Result};
use crate::numerics::quad::{integrate, QuadOptions};

use statrs::distribution::{Continuous as _, ContinuousCDF as _};
use std::f64::consts::PI;

/// A base law `Q` on ℝ with the functions the `P_t` construction needs.
///
/// Required: [`pdf`](BaseLaw::pdf), [`sf`](BaseLaw::sf), [`cdf`](BaseLaw::cdf),
/// [`mean`](BaseLaw::mean), [`upper_partial_mean`](BaseLaw::upper_partial_mean). The log forms
/// have accurate defaults (`ln_1p(−F̄)` for `ln F` when `F̄ < 1/2`).
pub trait BaseLaw {
    /// Density `q(x)`.
    fn pdf(&self, x: f64) -> f64;
    /// `F̄(x) = P(X > x)`, computed directly (not `1 − F`).
    fn sf(&self, x: f64) -> f64;
    /// `F(x) = P(X <= x)`.
    fn cdf(&self, x: f64) -> f64;
    /// `ln F̄(x)`.
    fn ln_sf(&self, x: f64) -> f64 {
        let s = self.sf(x);
        if s > 0.5 {
            (-self.cdf(x)).ln_1p()
        } else {
            s.ln()
        }
    }
    /// `ln F(x)`.
    fn ln_cdf(&self, x: f64) -> f64 {
        let s = self.sf(x);
        if s < 0.5 {
            (-s).ln_1p()
        } else {
            self.cdf(x).ln()
        }
    }
    /// `μ_Q`.
    ///
    /// # Errors
    /// [`Error::Infinite`] if the mean does not exist.
    fn mean(&self) -> Result<f64>;
    /// `E_Q[X·1{X > t}]`.
    ///
    /// # Errors
    /// [`Error::Infinite`] if the mean does not exist; quadrature errors for laws without a
    /// closed form.
    fn upper_partial_mean(&self, t: f64) -> Result<f64>;
}

/// Standard Student-t with `ν > 1` degrees of freedom, with exact closed forms: the tail of `t₃`
/// by the cancellation-free series of the module docs, and `E[X·1{X>t}] = f_ν(t)(ν+t²)/(ν−1)` for
/// every `ν`. Other `ν` use statrs for `F̄` (regularised incomplete beta).
#[derive(Debug, Clone, PartialEq)]
pub struct StudentT {
    df: f64,
    inner: statrs::distribution::StudentsT,
}

impl StudentT {
    /// Standard Student-t(`df`), location 0, scale 1.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] unless `1 < df < ∞` (Theorem 1 needs a finite mean).
    pub fn new(df: f64) -> Result<Self> {
        if !(df > 1.0) || !df.is_finite() {
            return Err(Error::OutOfRange {
                name: "df",
                value: df,
                range: "(1, ∞) (finite mean)",
            });
        }
        let inner = statrs::distribution::StudentsT::new(0.0, 1.0, df)
            .map_err(|e| Error::Other(e.to_string()))?;
        Ok(Self { df, inner })
    }

    /// Degrees of freedom.
    pub fn df(&self) -> f64 {
        self.df
    }

    /// `P(X > x)` for `x >= 0`.
    fn upper(&self, x: f64) -> f64 {
        debug_assert!(x >= 0.0);
        if self.df == 3.0 {
            t3_upper(x)
        } else {
            self.inner.sf(x)
        }
    }
}

/// `P(T₃ > t)` for `t >= 0`, exact to a few ulps for every `t` (module docs).
fn t3_upper(t: f64) -> f64 {
    let s = t / 3f64.sqrt();
    if s <= 2.0 {
        return 0.5 - (s.atan() + s / (1.0 + s * s)) / PI;
    }
    // u <= 1/2: alternating series with ratio <= u² = 1/4; stop once a term is below 1e-18 of the sum.
    let u = 1.0 / s;
    let u2 = u * u;
    let mut pow = u * u2;
    let mut sum = 0.0;
    let mut k = 1.0;
    let mut sign = 1.0;
    loop {
        let term = sign * (2.0 * k / (2.0 * k + 1.0)) * pow;
        sum += term;
        if term.abs() <= 1e-18 * sum.abs() || k > 200.0 {
            break;
        }
        pow *= u2;
        sign = -sign;
        k += 1.0;
    }
    sum / PI
}

impl BaseLaw for StudentT {
    fn pdf(&self, x: f64) -> f64 {
        if self.df == 3.0 {
            let d = 3.0 + x * x;
            6.0 * 3f64.sqrt() / (PI * d * d)
        } else {
            self.inner.pdf(x)
        }
    }
    fn sf(&self, x: f64) -> f64 {
        if x >= 0.0 {
            self.upper(x)
        } else {
            1.0 - self.upper(-x)
        }
    }
    fn cdf(&self, x: f64) -> f64 {
        if x >= 0.0 {
            1.0 - self.upper(x)
        } else {
            self.upper(-x)
        }
    }
    fn mean(&self) -> Result<f64> {
        Ok(0.0)
    }
    fn upper_partial_mean(&self, t: f64) -> Result<f64> {
        if t.is_nan() {
            return Err(Error::NotFinite {
                name: "t",
                value: t,
            });
        }
        if t == f64::INFINITY {
            return Ok(0.0);
        }
        if t == f64::NEG_INFINITY {
            return Ok(0.0);
        }
        let nu = self.df;
        if nu == 3.0 {
            // spec §2.1: E[X; X > t] = 3√3/(π(3 + t²))
            return Ok(3.0 * 3f64.sqrt() / (PI * (3.0 + t * t)));
        }
        Ok(self.pdf(t) * (nu + t * t) / (nu - 1.0))
    }
}

/// [`Law`] as a base law: closed forms for the normal and Student-t (any location/scale, through
/// [`StudentT`]), adaptive quadrature of `x·q(x)` on `(t, ∞)` otherwise.
impl BaseLaw for Law {
    fn pdf(&self, x: f64) -> f64 {
        Law::pdf(self, x)
    }
    fn sf(&self, x: f64) -> f64 {
        Law::sf(self, x)
    }
    fn cdf(&self, x: f64) -> f64 {
        Law::cdf(self, x)
    }
    fn ln_sf(&self, x: f64) -> f64 {
        Law::ln_sf(self, x)
    }
    fn mean(&self) -> Result<f64> {
        Law::mean(self).ok_or_else(|| Error::Infinite {
            what: "mean of the base law",
            why: format!("{} has no finite mean", self.name()),
        })
    }
    fn upper_partial_mean(&self, t: f64) -> Result<f64> {
        use statrs::statistics::Distribution as _;
        let mu = BaseLaw::mean(self)?;
        match self {
            Law::Normal(d) => {
                let sd = d.std_dev().unwrap_or(f64::NAN);
                let z = (t - mu) / sd;
                // E[X; X > t] = μ·Φ̄(z) + σ·φ(z)
                Ok(mu * Law::sf(self, t) + sd * (-0.5 * z * z).exp() / (2.0 * PI).sqrt())
            }
            Law::StudentT(d) => {
                let st = StudentT::new(d.freedom())?;
                let z = (t - d.location()) / d.scale();
                Ok(d.location() * st.sf(z) + d.scale() * st.upper_partial_mean(z)?)
            }
            _ => {
                let q = integrate(
                    |x| x * Law::pdf(self, x),
                    t,
                    f64::INFINITY,
                    QuadOptions {
                        abs: 1e-300,
                        rel: 1e-12,
                        max_intervals: 4000,
                    },
                )?;
                Ok(q.value)
            }
        }
    }
}

/// The numbers of the construction `P_t` at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PtNumbers {
    /// Threshold `t`.
    pub t: f64,
    /// Mass `m` that `P_t` puts above `t`.
    pub tail_mass: f64,
    /// `F̄_Q(t)`.
    pub base_tail: f64,
    /// `E_{P_t}[X]`.
    pub mean: f64,
    /// `D_KL(P_t‖Q)` in nats.
    pub kl: f64,
    /// `r_lo = (1 − m)/F_Q(t)`: density ratio `p_t/q` on `x <= t`.
    pub left_factor: f64,
    /// `r_hi = m/F̄_Q(t)`: density ratio `p_t/q` on `x > t`.
    pub right_factor: f64,
}

impl PtNumbers {
    /// Density of `P_t` at `x` (left-continuous at `t`).
    pub fn density<Q: BaseLaw + ?Sized>(&self, q: &Q, x: f64) -> f64 {
        let f = if x <= self.t {
            self.left_factor
        } else {
            self.right_factor
        };
        f * q.pdf(x)
    }
}

/// The Theorem 1 construction `P_t` for base law `q`, threshold `t` and tail mass `m` (module docs).
///
/// # Errors
/// [`Error::NotFinite`] for a non-finite `t`; [`Error::OutOfRange`] unless `0 < tail_mass < 1`,
/// or if `F_Q(t)` or `F̄_Q(t)` is 0 (the construction needs mass on both sides of `t`);
/// the base law's errors (no finite mean).
pub fn p_t_construction<Q: BaseLaw + ?Sized>(q: &Q, t: f64, tail_mass: f64) -> Result<PtNumbers> {
    if !t.is_finite() {
        return Err(Error::NotFinite {
            name: "threshold t",
            value: t,
        });
    }
    let m = tail_mass;
    if !(m > 0.0 && m < 1.0) {
        return Err(Error::OutOfRange {
            name: "tail mass",
            value: m,
            range: "(0, 1)",
        });
    }
    let sf = q.sf(t);
    let cdf = q.cdf(t);
    if !(sf > 0.0) || !(cdf > 0.0) {
        return Err(Error::OutOfRange {
            name: "threshold t",
            value: t,
            range: "0 < F_Q(t) < 1",
        });
    }
    let ln_sf = q.ln_sf(t);
    let ln_cdf = q.ln_cdf(t);
    let mu = q.mean()?;
    let upper = q.upper_partial_mean(t)?;
    let left_factor = (1.0 - m) / cdf;
    let right_factor = m / sf;
    let kl = (1.0 - m) * ((-m).ln_1p() - ln_cdf) + m * (m.ln() - ln_sf);
    let mean = left_factor * mu + (right_factor - left_factor) * upper;
    Ok(PtNumbers {
        t,
        tail_mass: m,
        base_tail: sf,
        mean,
        kl,
        left_factor,
        right_factor,
    })
}

/// Figure A.1's thresholds `t_i = t_min·(t_max/t_min)^{(i−1)/(frames−1)}`, `i = 1..=frames`
/// (numpy `geomspace(1.5, 100, 50)` in the authors' script).
///
/// # Errors
/// [`Error::NotPositive`] for a non-positive or non-finite bound; [`Error::OutOfRange`] if
/// `t_max <= t_min`; [`Error::TooShort`] for fewer than 2 frames.
pub fn fig_a1_thresholds(t_min: f64, t_max: f64, frames: usize) -> Result<Vec<f64>> {
    crate::error::positive_finite("t_min", t_min)?;
    crate::error::positive_finite("t_max", t_max)?;
    if !(t_max > t_min) {
        return Err(Error::OutOfRange {
            name: "t_max",
            value: t_max,
            range: "(t_min, ∞)",
        });
    }
    if frames < 2 {
        return Err(Error::TooShort {
            name: "frames",
            len: frames,
            min: 2,
        });
    }
    let r = (t_max / t_min).ln();
    Ok((0..frames)
        .map(|i| {
            if i + 1 == frames {
                t_max
            } else {
                t_min * (r * i as f64 / (frames - 1) as f64).exp()
            }
        })
        .collect())
}

/// Tail mass `c·t^{−a}` (Figure A.1: `a = 0.8`; the proof: `a = 1`).
pub fn power_tail_mass(c: f64, a: f64, t: f64) -> f64 {
    c * t.powf(-a)
}

/// Mean, KL and total mass of `P_t` by quadrature of the piecewise density, with `F_Q(t)` itself
/// obtained by quadrature of statrs' t₃ density (independent of the closed forms).
pub fn p_t_by_quadrature(q: &Law, t: f64, tail_mass: f64) -> Result<(f64, f64, f64)> {
    let o = QuadOptions {
        abs: 0.0,
        rel: 1e-13,
        max_intervals: 4000,
    };
    let lo_mass = integrate(|x| q.pdf(x), f64::NEG_INFINITY, t, o)?.value;
    let hi_mass = integrate(|x| q.pdf(x), t, f64::INFINITY, o)?.value;
    let (r_lo, r_hi) = ((1.0 - tail_mass) / lo_mass, tail_mass / hi_mass);
    let p = |x: f64| {
        if x <= t {
            r_lo * q.pdf(x)
        } else {
            r_hi * q.pdf(x)
        }
    };
    let plogr = |x: f64| {
        let px = p(x);
        if px > 0.0 {
            px * (px / q.pdf(x)).ln()
        } else {
            0.0
        }
    };
    let mass =
        integrate(p, f64::NEG_INFINITY, t, o)?.value + integrate(p, t, f64::INFINITY, o)?.value;
    let mean = integrate(|x| x * p(x), f64::NEG_INFINITY, t, o)?.value
        + integrate(|x| x * p(x), t, f64::INFINITY, o)?.value;
    let kl = integrate(plogr, f64::NEG_INFINITY, t, o)?.value
        + integrate(plogr, t, f64::INFINITY, o)?.value;
    Ok((mean, kl, mass))
}
/// `(c/t)(t²/2 + ln c + ½ln 2π) + (1 − c/t)·ln(1 − c/t)`: a rigorous lower bound on the KL of the
/// construction with tail mass `c/t` for `Q = N(0,1)`, from `KL >= m·ln(m/F̄) + (1−m)·ln(1−m)` and
/// Mills' ratio `F̄(t) <= φ(t)/t`.
pub fn normal_kl_lower_bound(c: f64, t: f64) -> f64 {
    let m = c / t;
    m * (0.5 * t * t + c.ln() + 0.5 * (2.0 * PI).ln()) + (1.0 - m) * (-m).ln_1p()
}

pub mod checks;
#[cfg(test)]
mod tests;

pub use checks::checks;
