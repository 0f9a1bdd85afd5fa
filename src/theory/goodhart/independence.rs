//! Theorem 4: light-tailed, independent error and utility ⇒ the KL-penalised optimum has
//! unbounded utility as the penalty vanishes.
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
use crate::numerics::{logsumexp, tol, Neumaier, Tolerance};
use crate::prob::{Probs, Tilt};
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};

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

/// β values of the checks (spec §6.4).
pub const BETAS: [f64; 4] = [1.0, 0.5, 0.1, 0.01];

/// Tolerance of the discretised-Gaussian values against the closed forms: rounding in
/// log-weights of size up to `|x/β| ≈ 1.1e4` (β = 0.01) perturbs each weight by ~1e4·ε, i.e.
/// ~3e-12 relative; 1e-10 leaves a factor 30 of headroom while catching any modelling error
/// (grid, truncation, factorisation), which would be far larger.
pub const GRID_REL: f64 = 1e-10;

const THM4: &str = "Theorem 4";

fn bstr(beta: f64) -> String {
    format!("{beta}").replace('.', "p")
}

/// The checks of Theorem 4.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    let mut v = Vec::new();
    v.extend(gaussian_checks());
    v.extend(factorisation_check());
    v.extend(contrast_checks());
    v
}

fn gaussian_checks() -> Vec<Check> {
    let (sx, sv) = (1.0, 1.0);
    let points: Result<Vec<Thm4Point>> = BETAS
        .iter()
        .map(|&b| gaussian_theorem4_point(sx, sv, b))
        .collect();
    let points = match points {
        Ok(p) => p,
        Err(e) => {
            return vec![Check::failed_to_compute(
                "kwa2024-thm4-gaussian",
                Paper::Kwa2024,
                THM4,
                &e,
            )]
        }
    };
    let setting = format!(
        "X ~ N(0,1) ⟂ V ~ N(0,1), each sampled on {GRID_POINTS} points of [−12σ, σ²/β + 12σ] (log space); π*(β) = tilt of each marginal with the same β"
    );
    let mut v = Vec::new();
    for p in &points {
        let cf = gaussian_closed_form(sx, sv, p.beta);
        for (name, q, value, bound) in [
            ("mean-v", "E[V(π*(β))]", p.mean_v, cf.mean_v),
            ("mean-u", "E[U(π*(β))]", p.mean_u, cf.mean_u),
            ("kl", "KL(π*(β)‖π0)", p.kl, cf.kl),
        ] {
            v.push(Check::from(Claim {
                id: format!("kwa2024-thm4-beta-{}-{}", bstr(p.beta), name),
                paper: Paper::Kwa2024,
                result: THM4.into(),
                statement: "For independent Gaussian X and V the KL-penalised optimum has E[V] = σ_V²/β, E[U] = (σ_X²+σ_V²)/β, KL = (σ_X²+σ_V²)/(2β²).".into(),
                quantity: format!("{q} at β = {}", p.beta),
                value,
                relation: Relation::Eq,
                bound,
                tol: Tolerance::rel(GRID_REL),
                detail: format!("{setting}; bound = closed form (spec §2.5, values of §6.4); tolerance GRID_REL = 1e-10 relative (rounding in log-weights up to |x/β| ≈ 1e4)"),
            }));
        }
    }
    let min_step = points
        .windows(2)
        .map(|w| w[1].mean_v - w[0].mean_v)
        .fold(f64::INFINITY, f64::min);
    v.push(Check::from(Claim {
        id: "kwa2024-thm4-utility-increases-as-beta-falls".into(),
        paper: Paper::Kwa2024,
        result: THM4.into(),
        statement:
            "With light-tailed independent error, E[V(π*(β))] increases without bound as β → 0."
                .into(),
        quantity:
            "min over consecutive β ∈ {1, 0.5, 0.1, 0.01} of E[V](smaller β) − E[V](larger β)"
                .into(),
        value: min_step,
        relation: Relation::Gt,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!(
            "{setting}; {}",
            points
                .iter()
                .map(|p| format!(
                    "β={}: E[V]={:.6}, E[U]={:.6}, KL={:.6}",
                    p.beta, p.mean_v, p.mean_u, p.kl
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }));
    v
}

/// Joint-grid points per axis in the factorisation check.
pub const JOINT_POINTS: usize = 401;

fn factorisation_check() -> Vec<Check> {
    let id = "kwa2024-thm4-tilt-factorises";
    let run = || -> Result<f64> {
        let mut worst = 0.0f64;
        for beta in [1.0, 0.5] {
            let x = GridLaw::normal_grid(1.0, -10.0, 10.0 + 1.0 / beta, JOINT_POINTS)?;
            let px = x.probs()?;
            worst = worst.max(factorisation_error(&px, x.x(), &px, x.x(), beta)?);
        }
        Ok(worst)
    };
    match run() {
        Ok(err) => vec![Check::from(Claim {
            id: id.into(),
            paper: Paper::Kwa2024,
            result: THM4.into(),
            statement: "Under independence the tilt of the joint law is the product of the marginal tilts (X, V stay independent under π*).".into(),
            quantity: "max_ij |π*(x_i, v_j) − π*_X(x_i)·π*_V(v_j)| / π*(x_i, v_j) over β ∈ {1, 0.5}".into(),
            value: err,
            relation: Relation::Le,
            bound: tol::EXACT_REL,
            tol: Tolerance::abs(0.0),
            detail: format!("X, V ~ N(0,1) sampled on {JOINT_POINTS} points of [−10, 10 + 1/β]; joint tilt by prob::Tilt on the {}-atom product support with reward x + v", JOINT_POINTS * JOINT_POINTS),
        })],
        Err(e) => vec![Check::failed_to_compute(id, Paper::Kwa2024, THM4, &e)],
    }
}

/// `ln E[e^{X/β}]`, with a diverging normaliser reported as `+∞` (other errors propagate).
fn normaliser_or_inf(law: NamedLaw, beta: f64) -> Result<f64> {
    match log_normaliser(law, beta) {
        Err(Error::Infinite { .. }) => Ok(f64::INFINITY),
        r => r,
    }
}

fn contrast_checks() -> Vec<Check> {
    let mut v = Vec::new();
    let exp1 = NamedLaw::Exponential { rate: 1.0 };
    for (beta, bound, claim) in [
        (2.0, 2f64.ln(), "finite: ln E[e^{X/2}] = ln 2"),
        (
            1.0,
            f64::INFINITY,
            "infinite at the boundary β = 1: π*(β) does not exist",
        ),
        (
            0.5,
            f64::INFINITY,
            "infinite for β < 1: π*(β) does not exist",
        ),
    ] {
        let id = format!("kwa2024-thm4-exp-error-beta-{}-normaliser", bstr(beta));
        v.push(match normaliser_or_inf(exp1, beta) {
            Ok(val) => Check::from(Claim {
                id: id,
                paper: Paper::Kwa2024,
                result: THM4.into(),
                statement: "Light tails are not enough: for X ~ Exp(1) the optimum exists only for β > 1.".into(),
                quantity: format!("ln E[e^(X/β)] for X ~ Exp(1) at β = {beta}"),
                value: val,
                relation: Relation::Eq,
                bound,
                tol: Tolerance::rel(1e-15),
                detail: format!("closed form −ln(1 − 1/β) for β > 1; {claim} (+∞ = log_normaliser returned Error::Infinite)"),
            }),
            Err(e) => Check::failed_to_compute(id, Paper::Kwa2024, THM4, &e),
        });
    }
    let id = "kwa2024-thm4-t3-error-normaliser-infinite";
    let betas = [0.1, 1.0, 10.0, 100.0];
    v.push(match betas.iter().map(|&b| normaliser_or_inf(NamedLaw::StudentT { nu: 3.0 }, b)).collect::<Result<Vec<_>>>() {
        Ok(vals) => Check::from(Claim {
            id: id.into(),
            paper: Paper::Kwa2024,
            result: THM4.into(),
            statement: "With heavy-tailed error (t3) the KL-penalised optimum does not exist for any β.".into(),
            quantity: "min over β ∈ {0.1, 1, 10, 100} of ln E[e^(X/β)], X ~ t3".into(),
            value: vals.iter().copied().fold(f64::INFINITY, f64::min),
            relation: Relation::Eq,
            bound: f64::INFINITY,
            tol: Tolerance::abs(0.0),
            detail: "+∞ = log_normaliser returned Error::Infinite; see kwa2024-thm4-t3-truncated-normaliser-diverges for the divergence itself".into(),
        }),
        Err(e) => Check::failed_to_compute(id, Paper::Kwa2024, THM4, &e),
    });
    let id = "kwa2024-thm4-t3-truncated-normaliser-diverges";
    let beta = 10.0;
    let ts = [1e2, 1e3, 1e4];
    let run = || -> Result<(Vec<f64>, f64)> {
        let vals = ts
            .iter()
            .map(|&t| t3_truncated_log_normaliser(beta, t))
            .collect::<Result<Vec<_>>>()?;
        Ok((vals, t3_truncated_log_normaliser_lower_bound(beta, 1e4)?))
    };
    v.push(match run() {
        Ok((vals, lb)) => Check::from(Claim {
            id: id.into(),
            paper: Paper::Kwa2024,
            result: THM4.into(),
            statement: "The truncated normaliser ∫_{−∞}^T e^{x/β} f(x) dx of t3 grows without bound in T.".into(),
            quantity: "log10 ∫_{−∞}^{10⁴} e^{x/10} f_t3(x) dx".into(),
            value: vals[2] / std::f64::consts::LN_10,
            relation: Relation::Gt,
            bound: 100.0,
            tol: Tolerance::abs(0.0),
            detail: format!(
                "β = 10; log10 at T = 1e2, 1e3, 1e4: {}; rigorous lower bound log10[β(1−1/e)e^(T/β)f(T)] at T = 1e4: {:.3} (Simpson in log space, step β∧1/16, from −1000)",
                vals.iter().map(|l| format!("{:.3}", l / std::f64::consts::LN_10)).collect::<Vec<_>>().join(", "),
                lb / std::f64::consts::LN_10
            ),
        }),
        Err(e) => Check::failed_to_compute(id, Paper::Kwa2024, THM4, &e),
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::tolerance::assert_close;
    use proptest::prelude::*;

    #[test]
    fn gaussian_grid_matches_closed_form_spec_6_4() {
        // spec §6.4: β = 1 → (1, 2, 1); 0.5 → (2, 4, 4); 0.1 → (10, 20, 100); 0.01 → (100, 200, 1e4)
        for (beta, ev, eu, k) in [
            (1.0, 1.0, 2.0, 1.0),
            (0.5, 2.0, 4.0, 4.0),
            (0.1, 10.0, 20.0, 100.0),
            (0.01, 100.0, 200.0, 1e4),
        ] {
            let p = gaussian_theorem4_point(1.0, 1.0, beta).unwrap();
            assert_close(p.mean_v, ev, Tolerance::rel(GRID_REL));
            assert_close(p.mean_u, eu, Tolerance::rel(GRID_REL));
            assert_close(p.kl, k, Tolerance::rel(GRID_REL));
        }
        // unequal variances: E[V] = σ_V²/β, E[X] = σ_X²/β
        let p = gaussian_theorem4_point(2.0, 0.5, 0.25).unwrap();
        let cf = gaussian_closed_form(2.0, 0.5, 0.25);
        assert_close(p.mean_x, cf.mean_x, Tolerance::rel(GRID_REL));
        assert_close(p.mean_v, cf.mean_v, Tolerance::rel(GRID_REL));
        assert_close(p.kl_x, cf.kl_x, Tolerance::rel(GRID_REL));
        assert_close(p.kl_v, cf.kl_v, Tolerance::rel(GRID_REL));
    }

    #[test]
    fn weak_tilt_path_keeps_relative_accuracy() {
        // β = 1e3 and 1e5: KL = 1/(2β²) down to 5e-11; the weak path is taken (12σ/β ≤ ½).
        let law = GridLaw::normal_grid(1.0, -12.0, 12.0, GRID_POINTS).unwrap();
        for beta in [1e3, 1e5] {
            let t = law.tilt(beta).unwrap();
            assert_close(t.kl, 0.5 / (beta * beta), Tolerance::rel(1e-9));
            assert_close(t.mean, 1.0 / beta, Tolerance::rel(1e-9));
            assert_close(t.log_z, 0.5 / (beta * beta), Tolerance::rel(1e-9));
        }
        // and both paths agree where they meet (β = 24: weak; 23.9: log space)
        let a = law.tilt(24.0).unwrap();
        let b = law.tilt(23.999).unwrap();
        assert_close(a.kl, 0.5 / (24.0 * 24.0), Tolerance::rel(1e-12));
        assert_close(b.kl, 0.5 / (23.999f64 * 23.999), Tolerance::rel(1e-12));
    }

    #[test]
    fn grid_tilt_equals_linear_tilt_where_both_apply() {
        // a small law with no underflow: GridLaw::tilt (log space) == prob::Tilt
        let x = vec![-1.0, 0.0, 0.5, 2.0];
        let lw = vec![0.1f64.ln(), 0.4f64.ln(), 0.3f64.ln(), 0.2f64.ln()];
        let law = GridLaw::from_log_weights("test", x.clone(), lw).unwrap();
        let p = law.probs().unwrap();
        for beta in [0.05, 0.3, 1.0, 3.0] {
            let a = law.tilt(beta).unwrap();
            let b = Tilt::new(&p, &x).unwrap().at(beta).unwrap();
            assert_close(a.mean, b.mean_u, Tolerance::rel(1e-13));
            assert_close(a.kl, b.kl, Tolerance::rel(1e-12));
            assert_close(a.log_z, b.log_z, Tolerance::new(1e-13, 1e-15));
        }
    }

    #[test]
    fn bad_inputs_are_named() {
        let law = GridLaw::normal_grid(1.0, -5.0, 5.0, 11).unwrap();
        assert!(matches!(
            law.tilt(0.0),
            Err(Error::NotPositive { name: "beta", .. })
        ));
        assert!(matches!(
            law.tilt(f64::NAN),
            Err(Error::NotPositive { name: "beta", .. })
        ));
        assert_eq!(law.tilt(f64::INFINITY).unwrap().kl, 0.0);
        assert!(matches!(
            GridLaw::normal_grid(0.0, -1.0, 1.0, 3),
            Err(Error::NotPositive { .. })
        ));
        assert!(matches!(
            uniform_grid(1.0, 1.0, 3),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            uniform_grid(0.0, 1.0, 1),
            Err(Error::TooShort { .. })
        ));
        assert!(matches!(
            GridLaw::from_log_weights("w", vec![0.0, 1.0], vec![f64::NEG_INFINITY; 2]),
            Err(Error::NotPositive { .. })
        ));
        assert!(matches!(
            GridLaw::from_log_weights("w", vec![0.0], vec![f64::NAN]),
            Err(Error::NotAProbability { .. })
        ));
        assert!(matches!(
            gaussian_theorem4_point(1.0, 1.0, -1.0),
            Err(Error::NotPositive { name: "beta", .. })
        ));
    }

    #[test]
    fn exponential_and_t3_normalisers() {
        let e = NamedLaw::Exponential { rate: 1.0 };
        assert_close(
            log_normaliser(e, 2.0).unwrap(),
            2f64.ln(),
            Tolerance::rel(1e-15),
        );
        assert!(matches!(
            log_normaliser(e, 0.5),
            Err(Error::Infinite { .. })
        ));
        assert!(matches!(
            log_normaliser(e, 1.0),
            Err(Error::Infinite { .. })
        ));
        for beta in [1e-3, 1.0, 1e3] {
            assert!(matches!(
                log_normaliser(NamedLaw::StudentT { nu: 3.0 }, beta),
                Err(Error::Infinite { .. })
            ));
        }
        // normal: ln E e^{X/β} = μ/β + σ²/(2β²); matches the grid's log_z
        let n = NamedLaw::Normal {
            mu: 0.0,
            sigma: 1.0,
        };
        let law = GridLaw::normal_for_tilt(1.0, 0.1, GRID_POINTS).unwrap();
        assert_close(
            law.tilt(0.1).unwrap().log_z,
            log_normaliser(n, 0.1).unwrap(),
            Tolerance::rel(GRID_REL),
        );
        assert!(matches!(
            log_normaliser(n, 0.0),
            Err(Error::NotPositive { name: "beta", .. })
        ));
        assert!(matches!(
            log_normaliser(e, f64::NAN),
            Err(Error::NotPositive { .. })
        ));
    }

    #[test]
    fn t3_truncated_normaliser_quadrature() {
        // halving the step changes the value by < 1e-10 (absolute in the log), and the value
        // exceeds the rigorous lower bound and grows with T
        let beta = 10.0;
        let mut last = f64::NEG_INFINITY;
        for t in [1e2, 1e3, 1e4] {
            let a = t3_truncated_log_normaliser(beta, t).unwrap();
            let fine = simpson_log(beta, t, 1000.0, 1.0 / 32.0).unwrap();
            assert_close(a, fine, Tolerance::abs(1e-10));
            assert!(a >= t3_truncated_log_normaliser_lower_bound(beta, t).unwrap());
            assert!(a > last + 10.0);
            last = a;
        }
        // β large: e^{x/β} ≈ 1 + x/β on the bulk, so the integral over (−1000, 10] is close to
        // F(10) − F(−1000) + (1/β)·E[X; −1000 < X ≤ 10]; at β = 1e6 the second-order term is < 1e-11
        let beta = 1e6;
        let t = 10.0;
        let f = |x: f64| super::super::policy::t3_sf(-x);
        let z = (f(t) - f(-1000.0)) + super::super::policy::t3_partial_mean(-1000.0, t) / beta;
        assert_close(
            t3_truncated_log_normaliser(beta, t).unwrap(),
            z.ln(),
            Tolerance::abs(1e-9),
        );
        // the check's number: more than 10^100 at T = 1e4, β = 10
        assert!(t3_truncated_log_normaliser(10.0, 1e4).unwrap() / std::f64::consts::LN_10 > 100.0);
    }

    #[test]
    fn checks_all_hold() {
        let cs = checks(&CheckOptions::default());
        assert!(cs.len() >= 18);
        for c in &cs {
            assert!(
                c.holds,
                "{} failed: value {} {} bound {} ({})",
                c.id,
                c.value,
                c.relation.symbol(),
                c.bound,
                c.detail
            );
            assert!(
                c.id.starts_with("kwa2024-thm4-") && !c.id.contains('.'),
                "{}",
                c.id
            );
            assert_eq!(c.result, "Theorem 4");
        }
    }

    /// A small random marginal: 2–6 atoms with weights in [0.01, 1] and values in [−5, 5].
    fn marginal() -> impl Strategy<Value = (Probs, Vec<f64>)> {
        (2usize..=6).prop_flat_map(|n| {
            (
                proptest::collection::vec(0.01f64..1.0, n),
                proptest::collection::vec(-5.0f64..5.0, n),
            )
                .prop_map(|(w, x)| (Probs::from_weights("marginal", &w).unwrap(), x))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn tilt_of_product_factorises(((px, x), (pv, v), beta) in (marginal(), marginal(), 0.05f64..50.0)) {
            let err = factorisation_error(&px, &x, &pv, &v, beta).unwrap();
            prop_assert!(err <= tol::EXACT_REL, "{err}");
        }

        #[test]
        fn tilt_accepts_exactly_positive_beta(beta in proptest::num::f64::ANY) {
            let law = GridLaw::normal_grid(1.0, -5.0, 5.0, 11).unwrap();
            match law.tilt(beta) {
                Err(Error::NotPositive { name: "beta", .. }) => prop_assert!(!(beta > 0.0)),
                Ok(t) => prop_assert!(beta > 0.0 && t.kl >= 0.0 && t.mean.is_finite()),
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }
    }
}
