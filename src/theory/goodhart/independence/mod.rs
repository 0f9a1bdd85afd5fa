//! Theorem 4 of Kwa et al. 2024: light-tailed, independent error and utility ⇒ the KL-penalised
//! optimum has unbounded utility as the penalty vanishes.
//!
//! **Theorem 4.** If `U = X + V` with `X ⟂ V`, both light-tailed, `V` unbounded, and
//! `π*(β) = argmax_π E[U(π)] − β·KL(π‖π₀)`, then `E[V(π*(β))] → ∞` as `β → 0⁺`.
//!
//! ```text
//! π*(β)(x, v) ∝ q_X(x)·e^{x/β} · q_V(v)·e^{v/β}        (the tilt factorises: X ⟂ V under π*)
//! E[V(π*(β))] = Λ_V′(1/β),   Λ_V(λ) = ln E[e^{λV}]       (non-decreasing in 1/β, → ess sup V)
//! KL(π*(β)‖π₀) = KL_X + KL_V,   KL_V = E_π*[V]/β − Λ_V(1/β)
//! Gaussian X ∼ N(0, σ_X²), V ∼ N(0, σ_V²):
//!   E[V] = σ_V²/β,  E[U] = (σ_X² + σ_V²)/β,  KL = (σ_X² + σ_V²)/(2β²)
//! ```
//!
//! Reference: Kwa, Thomas, Garriga-Alonso 2024, Theorem 4; spec
//! `../shared/spec/kwa2024.md` §1.5, §2.5, §6.4. The paper's proof is incomplete (spec §2.5);
//! the factorised tilt above is the implementer's argument, and needs `E[e^{λU}] < ∞` for every
//! `λ` (Gaussian or bounded tails). With merely light tails the optimum fails to exist for
//! small `β`: `X ∼ Exp(1)` has `E[e^{X/β}] = ∞` for `β ≤ 1`; with a heavy tail (`X ∼ t3`) it
//! is infinite for every `β`, and the penalised objective `β·ln E[e^{U/β}]` is `+∞`.
//!
//! Discretisation ([`GridLaw::normal_for_tilt`]): the density sampled on a uniform grid,
//! `q_k ∝ φ(x_k/σ)`, normalised in log space. Tilting a sampled Gaussian gives the sampled
//! Gaussian centred at `σ²/β` on the same grid (complete the square), so the grid must cover
//! both `0` and `σ²/β` (up to `100σ` at `β = 0.01`): it spans `[−12σ, σ²/β + 12σ]` with 4001
//! points (step ≤ 0.031σ for the checks). By Poisson summation the moments of a sampled
//! Gaussian with step `h` differ from the continuous ones by `O(e^{−2π²σ²/h²})` (< 1e-300
//! here) and truncation at 12σ costs `e^{−72}`, so what remains is rounding. Base masses near
//! the tilted mean are `e^{−5000}` at `β = 0.01`, far below `f64`'s range, so the tilt is
//! computed in log space (centred at the tilted mean for KL's accuracy); for weak tilts (`max|x − E x|/β ≤ ½`) the linear [`Tilt`] engine
//! is used for its cancellation-free KL.
use crate::error::{Error, Result};
use crate::numerics::{logsumexp, Neumaier};
use crate::prob::{Probs, Tilt};

/// A finite law on grid points, stored as normalised log-probabilities (atoms far in the tail
/// keep their mass even where it underflows `f64`).
#[derive(Debug, Clone, PartialEq)]
pub struct GridLaw {
    x: Vec<f64>,
    log_p: Vec<f64>,
    mean: f64,
}

/// The tilt `π_β ∝ q·e^{x/β}` of a [`GridLaw`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TiltedLaw {
    /// The temperature β.
    pub beta: f64,
    /// `E_π_β[X]`.
    pub mean: f64,
    /// `KL(π_β‖q)` in nats.
    pub kl: f64,
    /// `ln E_q[e^{X/β}]`.
    pub log_z: f64,
}

/// `n >= 2` equally spaced points from `lo` to `hi` (both included).
///
/// # Errors
/// [`Error::NotFinite`] for a non-finite end; [`Error::OutOfRange`] unless `lo < hi`;
/// [`Error::TooShort`] for `n < 2`.
pub fn uniform_grid(lo: f64, hi: f64, n: usize) -> Result<Vec<f64>> {
    crate::error::finite("grid start", lo)?;
    crate::error::finite("grid end", hi)?;
    if !(lo < hi) {
        return Err(Error::OutOfRange {
            name: "grid end",
            value: hi,
            range: "(grid start, ∞)",
        });
    }
    if n < 2 {
        return Err(Error::TooShort {
            name: "grid",
            len: n,
            min: 2,
        });
    }
    let h = (hi - lo) / (n - 1) as f64;
    Ok((0..n)
        .map(|k| if k == n - 1 { hi } else { lo + k as f64 * h })
        .collect())
}

impl GridLaw {
    /// A law on `x` with unnormalised log-weights `log_w`, normalised explicitly (logsumexp).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`]; [`Error::Empty`]; [`Error::NotFinite`] for a non-finite grid
    /// point; [`Error::NotAProbability`] for a NaN or `+∞` log-weight; [`Error::NotPositive`] if
    /// every weight is zero.
    pub fn from_log_weights(name: &'static str, x: Vec<f64>, log_w: Vec<f64>) -> Result<Self> {
        crate::prob::probs::check_len(name, x.len(), "log-weights", log_w.len())?;
        if x.is_empty() {
            return Err(Error::Empty { name });
        }
        if let Some(&value) = x.iter().find(|v| !v.is_finite()) {
            return Err(Error::NotFinite {
                name: "grid point",
                value,
            });
        }
        if let Some((index, &value)) = log_w
            .iter()
            .enumerate()
            .find(|(_, w)| w.is_nan() || **w == f64::INFINITY)
        {
            return Err(Error::NotAProbability { name, index, value });
        }
        let lse = logsumexp(&log_w);
        if lse == f64::NEG_INFINITY {
            return Err(Error::NotPositive {
                name: "total weight",
                value: 0.0,
            });
        }
        let log_p: Vec<f64> = log_w.iter().map(|w| w - lse).collect();
        let mut m = Neumaier::new();
        for (&xi, &lp) in x.iter().zip(&log_p) {
            m.add(lp.exp() * xi);
        }
        Ok(Self {
            x,
            log_p,
            mean: m.total(),
        })
    }

    /// A density sampled on `x`: weights `f(x_k)` given as `ln f(x_k)`.
    ///
    /// # Errors
    /// As [`GridLaw::from_log_weights`].
    pub fn from_log_density(
        name: &'static str,
        x: Vec<f64>,
        ln_f: impl Fn(f64) -> f64,
    ) -> Result<Self> {
        let lw = x.iter().map(|&v| ln_f(v)).collect();
        Self::from_log_weights(name, x, lw)
    }

    /// `N(0, σ²)` sampled on `n` equally spaced points of `[lo, hi]`.
    ///
    /// # Errors
    /// [`Error::NotPositive`] for `σ <= 0`; as [`uniform_grid`].
    pub fn normal_grid(sigma: f64, lo: f64, hi: f64, n: usize) -> Result<Self> {
        crate::error::positive_finite("sigma", sigma)?;
        let x = uniform_grid(lo, hi, n)?;
        Self::from_log_density("sampled normal", x, |v| -0.5 * (v / sigma) * (v / sigma))
    }

    /// `N(0, σ²)` on the grid Theorem 4's checks use for temperature `beta`:
    /// `n` points on `[−12σ, σ²/β + 12σ]`, covering the base law and its tilt.
    ///
    /// # Errors
    /// As [`GridLaw::normal_grid`]; [`Error::NotPositive`] for `β <= 0`.
    pub fn normal_for_tilt(sigma: f64, beta: f64, n: usize) -> Result<Self> {
        crate::error::positive_finite("sigma", sigma)?;
        crate::error::positive_finite("beta", beta)?;
        Self::normal_grid(sigma, -12.0 * sigma, sigma * sigma / beta + 12.0 * sigma, n)
    }

    /// Student-t(3) sampled on `n` equally spaced points of `[lo, hi]` (a bounded stand-in for
    /// a heavy tail: its tilt exists only because of the truncation).
    ///
    /// # Errors
    /// As [`uniform_grid`].
    pub fn t3_grid(lo: f64, hi: f64, n: usize) -> Result<Self> {
        let x = uniform_grid(lo, hi, n)?;
        Self::from_log_density("sampled t3", x, |v| super::policy::t3_pdf(v).ln())
    }

    /// Grid points.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// Normalised log-probabilities.
    pub fn log_p(&self) -> &[f64] {
        &self.log_p
    }

    /// `E[X]`.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The probabilities as a validated [`Probs`] (atoms below `f64`'s range become 0).
    ///
    /// # Errors
    /// [`Error::NotNormalised`] (not expected: the log-probabilities are normalised).
    pub fn probs(&self) -> Result<Probs> {
        Probs::new_named("grid law", self.log_p.iter().map(|l| l.exp()).collect())
    }

    /// The exponential tilt at temperature `beta` (`+∞` gives the base law).
    ///
    /// # Errors
    /// [`Error::NotPositive`] if `beta <= 0` or NaN.
    pub fn tilt(&self, beta: f64) -> Result<TiltedLaw> {
        if !(beta > 0.0) {
            return Err(Error::NotPositive {
                name: "beta",
                value: beta,
            });
        }
        if beta == f64::INFINITY {
            return Ok(TiltedLaw {
                beta,
                mean: self.mean,
                kl: 0.0,
                log_z: 0.0,
            });
        }
        let mu = self.mean;
        let spread = self
            .x
            .iter()
            .zip(&self.log_p)
            .filter(|(_, &lp)| lp > f64::NEG_INFINITY)
            .map(|(&x, _)| ((x - mu) / beta).abs())
            .fold(0.0, f64::max);
        if spread <= 0.5 {
            // weak tilt: no atom gains more than e^{1/2}, so atoms that underflow in linear
            // space stay negligible; the linear engine's series keeps KL's relative accuracy.
            let p = self.probs()?;
            let tp = Tilt::new(&p, &self.x)?.at(beta)?;
            return Ok(TiltedLaw {
                beta,
                mean: tp.mean_u,
                kl: tp.kl,
                log_z: tp.log_z,
            });
        }
        // Strong tilt, in log space and in two passes. Pass 1 shifts by the largest atom, so
        // every exponent is <= 0 (no overflow even for subnormal β) and gives the mean m.
        // Pass 2 shifts by m, so that KL = E_π[(x − m)/β] − ln E_q[e^{(x − m)/β}] is computed
        // from terms of its own size (the first is ~0): full relative accuracy.
        let x_max = self
            .x
            .iter()
            .zip(&self.log_p)
            .filter(|(_, &lp)| lp > f64::NEG_INFINITY)
            .map(|(&x, _)| x)
            .fold(f64::NEG_INFINITY, f64::max);
        let pass = |shift: f64| -> (Vec<f64>, Vec<f64>, f64) {
            let e: Vec<f64> = self.x.iter().map(|&x| (x - shift) / beta).collect();
            let lw: Vec<f64> = self.log_p.iter().zip(&e).map(|(lp, ek)| lp + ek).collect();
            let lse = logsumexp(&lw);
            (e, lw, lse)
        };
        // E_π[f] skipping atoms of zero tilted weight (their f may be ±∞)
        let expect = |lw: &[f64], lse: f64, f: &dyn Fn(usize) -> f64| -> f64 {
            let mut s = Neumaier::new();
            for (k, &l) in lw.iter().enumerate() {
                let w = (l - lse).exp();
                if w > 0.0 {
                    s.add(w * f(k));
                }
            }
            s.total()
        };
        let (_, lw1, lse1) = pass(x_max);
        let mean = expect(&lw1, lse1, &|k| self.x[k]);
        let (e, lw2, lse2) = pass(mean);
        let ee = expect(&lw2, lse2, &|k| e[k]);
        Ok(TiltedLaw {
            beta,
            mean,
            kl: (ee - lse2).max(0.0),
            log_z: lse2 + mean / beta,
        })
    }
}

/// Theorem 4's optimum at one β: both marginals tilted with the same β.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Thm4Point {
    /// The KL coefficient β.
    pub beta: f64,
    /// `E[X(π*(β))]`.
    pub mean_x: f64,
    /// `E[V(π*(β))]`.
    pub mean_v: f64,
    /// `E[U(π*(β))] = E[X] + E[V]`.
    pub mean_u: f64,
    /// `KL(π*(β)‖π₀) = kl_x + kl_v`.
    pub kl: f64,
    /// KL of the `X` marginal.
    pub kl_x: f64,
    /// KL of the `V` marginal.
    pub kl_v: f64,
}

/// `π*(β)` for independent discretised `X` and `V`, through the factorisation (tilt each
/// marginal with the same β; KL adds over independent components).
///
/// # Errors
/// As [`GridLaw::tilt`].
pub fn theorem4_point(x: &GridLaw, v: &GridLaw, beta: f64) -> Result<Thm4Point> {
    let (tx, tv) = (x.tilt(beta)?, v.tilt(beta)?);
    Ok(Thm4Point {
        beta,
        mean_x: tx.mean,
        mean_v: tv.mean,
        mean_u: tx.mean + tv.mean,
        kl: tx.kl + tv.kl,
        kl_x: tx.kl,
        kl_v: tv.kl,
    })
}

/// Number of grid points per marginal in [`gaussian_theorem4_point`].
pub const GRID_POINTS: usize = 4001;

/// [`theorem4_point`] for `X ∼ N(0, σ_X²)`, `V ∼ N(0, σ_V²)` on the per-β grids of
/// [`GridLaw::normal_for_tilt`] with [`GRID_POINTS`] points.
///
/// # Errors
/// [`Error::NotPositive`] for a non-positive σ or β.
pub fn gaussian_theorem4_point(sigma_x: f64, sigma_v: f64, beta: f64) -> Result<Thm4Point> {
    let x = GridLaw::normal_for_tilt(sigma_x, beta, GRID_POINTS)?;
    let v = GridLaw::normal_for_tilt(sigma_v, beta, GRID_POINTS)?;
    theorem4_point(&x, &v, beta)
}

/// The Gaussian closed form of spec §2.5.
pub fn gaussian_closed_form(sigma_x: f64, sigma_v: f64, beta: f64) -> Thm4Point {
    let (sx2, sv2) = (sigma_x * sigma_x, sigma_v * sigma_v);
    Thm4Point {
        beta,
        mean_x: sx2 / beta,
        mean_v: sv2 / beta,
        mean_u: (sx2 + sv2) / beta,
        kl: (sx2 + sv2) / (2.0 * beta * beta),
        kl_x: sx2 / (2.0 * beta * beta),
        kl_v: sv2 / (2.0 * beta * beta),
    }
}

/// Largest relative difference between the tilt of the product law `p_X ⊗ p_V` with reward
/// `x + v` (computed on the joint support by [`Tilt`]) and the product of the marginal tilts,
/// `max_{ij} |π(i,j) − π_X(i)·π_V(j)| / max(π(i,j), π_X(i)·π_V(j), 1e-280)`.
///
/// # Errors
/// [`Error::LengthMismatch`] if values and probabilities disagree; as [`Tilt::policy`].
pub fn factorisation_error(px: &Probs, x: &[f64], pv: &Probs, v: &[f64], beta: f64) -> Result<f64> {
    crate::prob::probs::check_len("p_X", px.len(), "x", x.len())?;
    crate::prob::probs::check_len("p_V", pv.len(), "v", v.len())?;
    let mut joint = Vec::with_capacity(px.len() * pv.len());
    let mut u = Vec::with_capacity(px.len() * pv.len());
    for (&pi, &xi) in px.as_slice().iter().zip(x) {
        for (&pj, &vj) in pv.as_slice().iter().zip(v) {
            joint.push(pi * pj);
            u.push(xi + vj);
        }
    }
    let joint = Probs::new_named("product base law", joint)?;
    let tj = Tilt::new(&joint, &u)?.policy(beta)?;
    let tx = Tilt::new(px, x)?.policy(beta)?;
    let tv = Tilt::new(pv, v)?.policy(beta)?;
    let mut worst = 0.0f64;
    let nv = pv.len();
    for (k, &a) in tj.as_slice().iter().enumerate() {
        let b = tx.as_slice()[k / nv] * tv.as_slice()[k % nv];
        worst = worst.max((a - b).abs() / a.max(b).max(1e-280));
    }
    Ok(worst)
}

/// A named base law with a closed-form `ln E[e^{X/β}]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NamedLaw {
    /// `N(μ, σ²)`.
    Normal {
        /// Mean.
        mu: f64,
        /// Standard deviation.
        sigma: f64,
    },
    /// Exponential with the given rate (light-tailed, but only `E[e^{λX}] < ∞` for `λ < rate`).
    Exponential {
        /// Rate.
        rate: f64,
    },
    /// Student-t with `nu` degrees of freedom (heavy-tailed).
    StudentT {
        /// Degrees of freedom.
        nu: f64,
    },
}

/// `ln E[e^{X/β}]` in closed form: the log-normaliser of the KL-penalised optimum
/// (`β·ln E[e^{U/β}]` is the optimal penalised objective, spec §1.5).
///
/// ```text
/// N(μ, σ²):  μ/β + σ²/(2β²)
/// Exp(r):    −ln(1 − 1/(rβ))  for 1/β < r,  +∞ otherwise
/// t_ν:       +∞ for every β (heavy tail)
/// ```
///
/// # Errors
/// [`Error::Infinite`] where the normaliser diverges (the tilt, hence `π*(β)`, does not
/// exist); [`Error::NotPositive`] for `β`, `σ`, rate or `ν` not `> 0`.
pub fn log_normaliser(law: NamedLaw, beta: f64) -> Result<f64> {
    crate::error::positive("beta", beta)?;
    let lambda = 1.0 / beta;
    match law {
        NamedLaw::Normal { mu, sigma } => {
            crate::error::positive_finite("sigma", sigma)?;
            crate::error::finite("mu", mu)?;
            Ok(mu * lambda + 0.5 * sigma * sigma * lambda * lambda)
        }
        NamedLaw::Exponential { rate } => {
            crate::error::positive_finite("rate", rate)?;
            if lambda < rate {
                Ok(-(-lambda / rate).ln_1p())
            } else {
                Err(Error::Infinite {
                    what: "E[exp(X/β)] for an exponential X",
                    why: format!(
                        "1/β = {lambda} ≥ rate {rate}: e^(x/β) outgrows the tail e^(−{rate}x)"
                    ),
                })
            }
        }
        NamedLaw::StudentT { nu } => {
            crate::error::positive("nu", nu)?;
            Err(Error::Infinite {
                what: "E[exp(X/β)] for a Student-t X",
                why: format!(
                    "heavy tail: P(X > x) ~ x^(−{nu}) decays slower than e^(−x/β) for every β > 0"
                ),
            })
        }
    }
}

/// `ln ∫_{−∞}^{T} e^{x/β} f₃(x) dx` for the t3 density, by composite Simpson in log space on
/// `[−A, T]` with `A = 1000` and step `≤ min(β, 1)/16`. The omitted piece is at most
/// `e^{−A/β}·F₃(−A)` with `F₃(−1000) ≈ 1.1e-9`, while for `T ≥ 0` the piece over `[−1, 0]`
/// alone exceeds `0.3·e^{−1/β}`: a relative error below 4e-9. The integral grows like
/// `β·e^{T/β}·f₃(T)` without bound: no tilt of a heavy-tailed law exists.
///
/// # Errors
/// [`Error::NotPositive`] for `β <= 0`; [`Error::OutOfRange`] unless `−A < T`, `T` finite and
/// the grid has at most 10⁷ points.
pub fn t3_truncated_log_normaliser(beta: f64, t_max: f64) -> Result<f64> {
    crate::error::positive_finite("beta", beta)?;
    crate::error::finite("truncation point T", t_max)?;
    const A: f64 = 1000.0;
    if !(t_max > -A) {
        return Err(Error::OutOfRange {
            name: "truncation point T",
            value: t_max,
            range: "(−1000, ∞)",
        });
    }
    simpson_log(beta, t_max, A, beta.min(1.0) / 16.0)
}

/// Composite Simpson in log space of `e^{x/β} f₃(x)` on `[−a, t_max]` with step `≤ target_h`.
fn simpson_log(beta: f64, t_max: f64, a: f64, target_h: f64) -> Result<f64> {
    let mut n = ((t_max + a) / target_h).ceil() as usize;
    n += n % 2; // Simpson needs an even number of intervals
    if n > 10_000_000 {
        return Err(Error::OutOfRange {
            name: "truncation point T / β",
            value: t_max,
            range: "at most 1e7 grid points",
        });
    }
    let n = n.max(2);
    let h = (t_max + a) / n as f64;
    let mut lg = Vec::with_capacity(n + 1);
    let mut w = Vec::with_capacity(n + 1);
    for k in 0..=n {
        let x = if k == n { t_max } else { -a + k as f64 * h };
        lg.push(x / beta + super::policy::t3_pdf(x).ln());
        w.push(if k == 0 || k == n {
            1.0
        } else if k % 2 == 1 {
            4.0
        } else {
            2.0
        });
    }
    Ok(crate::numerics::logsumexp_weighted(&lg, &w) + (h / 3.0).ln())
}

/// A rigorous lower bound on the same integral for `T >= β`:
/// `∫_{T−β}^{T} e^{x/β} f₃(x) dx ≥ β(1 − e^{−1})·e^{T/β}·f₃(T)` (`f₃` decreases on `[0, ∞)`),
/// returned as its logarithm.
///
/// # Errors
/// [`Error::OutOfRange`] for `T < β`; [`Error::NotPositive`] for `β <= 0`.
pub fn t3_truncated_log_normaliser_lower_bound(beta: f64, t_max: f64) -> Result<f64> {
    crate::error::positive_finite("beta", beta)?;
    if !(t_max >= beta) || !t_max.is_finite() {
        return Err(Error::OutOfRange {
            name: "truncation point T",
            value: t_max,
            range: "[β, ∞)",
        });
    }
    Ok((beta * (-(-1.0f64).exp_m1())).ln() + t_max / beta + super::policy::t3_pdf(t_max).ln())
}

pub mod checks;
#[cfg(test)]
mod tests;

pub use checks::checks;
