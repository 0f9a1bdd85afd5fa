//! [`Law`]: one enum over the supported families (statrs / rand_distr parameterisations), with
//! validated constructors and tail-exact survival functions (Abramowitz & Stegun forms, see
//! `special.rs`). Unit tests in `law/tests.rs`.
//!
//! ```text
//! sf(x)     = P(X > x)   computed directly (never 1 − cdf); ln_sf(x) finite wherever ln P(X > x) is
//! ln_cdf(x) = ln P(X ≤ x) likewise on the left
//! partial_mean_above(t) = E[X·1{X > t}]      (closed form; None when E|X| = ∞)
//! mgf_log(λ) = ln E[e^{λX}]                   (None when infinite)
//! ```
//!
//! Normal tails use the Taylor series of Φ − ½ for |z| ≤ 1.5 and Laplace's continued fraction for
//! the Mills ratio beyond; Student-t uses the regularised incomplete beta function in log space
//! (`F̄(k) = ½·I_{ν/(ν+k²)}(ν/2, ½)`); the other families have closed forms. See `special.rs` for
//! the measured accuracy. statrs supplies the parameter types, some densities and sampling.

use std::f64::consts::LN_2;
use std::path::{Path, PathBuf};

use rand::Rng;
use rand_distr::Distribution as _;
use serde::{Deserialize, Serialize};
use statrs::distribution::Continuous as _;

use super::special::{
    self, ln_1m_exp, ln_phi_bar, ln_phi_pdf, normal_isf, normal_quantile, phi_bar, phi_central,
    phi_pdf,
};
use super::user::{Empirical, Tabulated};
use crate::error::{finite, positive_finite, Error, Result};
use crate::numerics::quad::{integrate, QuadOptions};
use crate::prob::TailClass;

/// A law as users write it in TOML (`family` tag, `deny_unknown_fields`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case", deny_unknown_fields)]
pub enum LawSpec {
    /// Normal `N(mean, sd²)`.
    Normal {
        /// Mean.
        #[serde(default)]
        mean: f64,
        /// Standard deviation (> 0).
        #[serde(default = "one")]
        sd: f64,
    },
    /// Student-t with `df` degrees of freedom, location and scale.
    StudentT {
        /// Degrees of freedom (> 0, finite).
        df: f64,
        /// Location.
        #[serde(default)]
        loc: f64,
        /// Scale (> 0).
        #[serde(default = "one")]
        scale: f64,
    },
    /// Pareto type I: `P(X > x) = (x_m/x)^α` for `x >= x_m`.
    Pareto {
        /// Scale `x_m` (> 0).
        #[serde(default = "one")]
        scale: f64,
        /// Tail index α (> 0).
        alpha: f64,
    },
    /// Lognormal: `ln X ~ N(mu, sigma²)`.
    Lognormal {
        /// Mean of `ln X`.
        #[serde(default)]
        mu: f64,
        /// Standard deviation of `ln X` (> 0).
        sigma: f64,
    },
    /// Exponential with `rate`.
    Exponential {
        /// Rate (> 0).
        #[serde(default = "one")]
        rate: f64,
    },
    /// Laplace (double exponential).
    Laplace {
        /// Location.
        #[serde(default)]
        loc: f64,
        /// Scale (> 0).
        #[serde(default = "one")]
        scale: f64,
    },
    /// Weibull: `P(X > x) = exp(−(x/scale)^shape)`.
    Weibull {
        /// Shape (> 0); < 1 is heavy-tailed.
        shape: f64,
        /// Scale (> 0).
        #[serde(default = "one")]
        scale: f64,
    },
    /// Lévy (stable, α = 1/2; infinite mean).
    Levy {
        /// Location.
        #[serde(default)]
        loc: f64,
        /// Scale (> 0).
        #[serde(default = "one")]
        scale: f64,
    },
    /// `shift + scale · inner`.
    Affine {
        /// The law transformed.
        inner: Box<LawSpec>,
        /// Added after scaling.
        #[serde(default)]
        shift: f64,
        /// Multiplier (> 0).
        #[serde(default = "one")]
        scale: f64,
    },
    /// A piecewise-linear density tabulated on a strictly increasing grid `x`; the table must
    /// integrate to 1 (trapezoid rule, exact for piecewise-linear) within 1e-9. Never
    /// renormalised beyond that: normalise it yourself (divide `pdf` by the integral).
    Tabulated {
        /// Grid (strictly increasing, at least 2 points).
        x: Vec<f64>,
        /// Density at each grid point (>= 0).
        pdf: Vec<f64>,
    },
    /// The empirical distribution of a sample, given inline (`samples = [...]`) or as a CSV
    /// column (`file = "rewards.csv"`, `column = "reward"`; a relative path is resolved against
    /// the config file's directory by [`Law::from_spec_in`]). Bounded, hence never heavy-tailed.
    Empirical {
        /// The sample values.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        samples: Option<Vec<f64>>,
        /// A CSV file with a header row.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<PathBuf>,
        /// The column to read (optional when the file has one column).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        column: Option<String>,
    },
}

fn one() -> f64 {
    1.0
}

/// A validated law.
#[derive(Debug, Clone, PartialEq)]
pub enum Law {
    /// Normal.
    Normal(statrs::distribution::Normal),
    /// Student-t.
    StudentT(statrs::distribution::StudentsT),
    /// Pareto type I.
    Pareto(statrs::distribution::Pareto),
    /// Lognormal.
    Lognormal(statrs::distribution::LogNormal),
    /// Exponential.
    Exponential(statrs::distribution::Exp),
    /// Laplace.
    Laplace(statrs::distribution::Laplace),
    /// Weibull.
    Weibull(statrs::distribution::Weibull),
    /// Lévy.
    Levy(statrs::distribution::Levy),
    /// `shift + scale·inner`.
    Affine {
        /// Inner law.
        inner: Box<Law>,
        /// Shift.
        shift: f64,
        /// Scale (> 0).
        scale: f64,
    },
    /// Piecewise-linear tabulated density (bounded support).
    Tabulated(Tabulated),
    /// Empirical distribution of a sample (no density; bounded support).
    Empirical(Empirical),
}

fn bad(e: impl std::fmt::Display) -> Error {
    Error::Other(e.to_string())
}

fn normal_params(d: &statrs::distribution::Normal) -> (f64, f64) {
    use statrs::statistics::Distribution as _;
    (
        d.mean().unwrap_or(f64::NAN),
        d.std_dev().unwrap_or(f64::NAN),
    )
}

/// Newton steps (with a bisection safeguard, in `w = ln k`) solving `ln F̄(k) = ln q` for a law on
/// `(0, ∞)` or the positive half of a symmetric law; `ln_sf` and `ln_pdf` are the law's own.
fn solve_ln_sf_positive(ln_q: f64, ln_sf: impl Fn(f64) -> f64, ln_pdf: impl Fn(f64) -> f64) -> f64 {
    let fdf = |w: f64| {
        let k = w.exp();
        let l = ln_sf(k);
        (l - ln_q, -k * (ln_pdf(k) - l).exp())
    };
    let (lo, hi) = (-700.0, 709.0);
    if fdf(hi).0 > 0.0 {
        return f64::INFINITY;
    }
    if fdf(lo).0 < 0.0 {
        return 0.0;
    }
    let ftol = 2e-16 * (1.0 + ln_q.abs());
    match crate::numerics::roots::newton_bisect(fdf, lo, hi, 1e-17, ftol, 400) {
        Ok(w) => w.exp(),
        Err(_) => f64::NAN,
    }
}

/// `ln Γ(a, u)` (upper incomplete gamma, not regularised) for `a > 0`, `u >= 0`: the series of
/// `γ(a, u)` for `u < a + 1`, Legendre's continued fraction otherwise (NR §6.2), in log space.
fn ln_gamma_upper(a: f64, u: f64) -> f64 {
    use statrs::function::gamma::ln_gamma;
    if u <= 0.0 {
        return ln_gamma(a);
    }
    if u < a + 1.0 {
        // γ(a,u) = e^{−u} u^a Σ uⁿ/(a(a+1)…(a+n))
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut ap = a;
        for _ in 0..10_000 {
            ap += 1.0;
            term *= u / ap;
            sum += term;
            if term < sum * 1e-17 {
                break;
            }
        }
        let ln_lower = -u + a * u.ln() + sum.ln();
        let lg = ln_gamma(a);
        lg + ln_1m_exp((ln_lower - lg).min(0.0))
    } else {
        let tiny = 1e-300;
        let mut b = u + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        -u + a * u.ln() + h.ln()
    }
}

/// `g_max + ln ∫ exp(g(x) − g_max) dx` over `(−∞ or cuts[0], cuts[last] or ∞)`, piecewise
/// between the sorted `cuts` (quadrature at relative tolerance 1e-12). `g_max` should be the
/// maximum of `g` so that the integrand lies in `[0, 1]`.
fn ln_quad_exp(
    g: impl Fn(f64) -> f64,
    g_max: f64,
    cuts: &[f64],
    left_inf: bool,
    right_inf: bool,
) -> Option<f64> {
    let f = |x: f64| (g(x) - g_max).exp();
    let opts = QuadOptions {
        rel: 1e-12,
        abs: 0.0,
        max_intervals: 4000,
    };
    let mut total = crate::numerics::Neumaier::new();
    if left_inf {
        total.add(integrate(f, f64::NEG_INFINITY, cuts[0], opts).ok()?.value);
    }
    for c in cuts.windows(2) {
        if c[1] > c[0] {
            total.add(integrate(f, c[0], c[1], opts).ok()?.value);
        }
    }
    if right_inf {
        total.add(
            integrate(f, cuts[cuts.len() - 1], f64::INFINITY, opts)
                .ok()?
                .value,
        );
    }
    Some(g_max + total.total().ln())
}

impl Law {
    /// `N(mean, sd²)`.
    ///
    /// # Errors
    /// [`Error::NotFinite`] / [`Error::NotPositive`] naming the parameter.
    pub fn normal(mean: f64, sd: f64) -> Result<Self> {
        finite("mean", mean)?;
        positive_finite("sd", sd)?;
        Ok(Law::Normal(
            statrs::distribution::Normal::new(mean, sd).map_err(bad)?,
        ))
    }
    /// Student-t(df) with location and scale.
    ///
    /// # Errors
    /// [`Error::NotPositive`] if `!(df > 0)`, [`Error::NotFinite`] if `df = ∞` (use
    /// [`Law::normal`]), bad `loc` or `scale`.
    pub fn student_t(df: f64, loc: f64, scale: f64) -> Result<Self> {
        positive_finite("df", df)?;
        finite("loc", loc)?;
        positive_finite("scale", scale)?;
        Ok(Law::StudentT(
            statrs::distribution::StudentsT::new(loc, scale, df).map_err(bad)?,
        ))
    }
    /// Pareto type I.
    ///
    /// # Errors
    /// Bad `scale` or `alpha`.
    pub fn pareto(scale: f64, alpha: f64) -> Result<Self> {
        positive_finite("scale", scale)?;
        positive_finite("alpha", alpha)?;
        Ok(Law::Pareto(
            statrs::distribution::Pareto::new(scale, alpha).map_err(bad)?,
        ))
    }
    /// Lognormal.
    ///
    /// # Errors
    /// Bad `mu` or `sigma`.
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Self> {
        finite("mu", mu)?;
        positive_finite("sigma", sigma)?;
        Ok(Law::Lognormal(
            statrs::distribution::LogNormal::new(mu, sigma).map_err(bad)?,
        ))
    }
    /// Exponential.
    ///
    /// # Errors
    /// Bad `rate`.
    pub fn exponential(rate: f64) -> Result<Self> {
        positive_finite("rate", rate)?;
        Ok(Law::Exponential(
            statrs::distribution::Exp::new(rate).map_err(bad)?,
        ))
    }
    /// Laplace.
    ///
    /// # Errors
    /// Bad `loc` or `scale`.
    pub fn laplace(loc: f64, scale: f64) -> Result<Self> {
        finite("loc", loc)?;
        positive_finite("scale", scale)?;
        Ok(Law::Laplace(
            statrs::distribution::Laplace::new(loc, scale).map_err(bad)?,
        ))
    }
    /// Weibull.
    ///
    /// # Errors
    /// Bad `shape` or `scale`.
    pub fn weibull(shape: f64, scale: f64) -> Result<Self> {
        positive_finite("shape", shape)?;
        positive_finite("scale", scale)?;
        Ok(Law::Weibull(
            statrs::distribution::Weibull::new(shape, scale).map_err(bad)?,
        ))
    }
    /// Lévy.
    ///
    /// # Errors
    /// Bad `loc` or `scale`.
    pub fn levy(loc: f64, scale: f64) -> Result<Self> {
        finite("loc", loc)?;
        positive_finite("scale", scale)?;
        Ok(Law::Levy(
            statrs::distribution::Levy::new(loc, scale).map_err(bad)?,
        ))
    }
    /// `shift + scale·inner`.
    ///
    /// # Errors
    /// Bad `shift` or `scale`.
    pub fn affine(inner: Law, shift: f64, scale: f64) -> Result<Self> {
        finite("shift", shift)?;
        positive_finite("scale", scale)?;
        Ok(Law::Affine {
            inner: Box::new(inner),
            shift,
            scale,
        })
    }
    /// Piecewise-linear density tabulated on `x` (see [`Tabulated`]).
    ///
    /// # Errors
    /// As [`Tabulated::new`]: each names `x` or `pdf`.
    pub fn tabulated(x: Vec<f64>, pdf: Vec<f64>) -> Result<Self> {
        Ok(Law::Tabulated(Tabulated::new(x, pdf)?))
    }
    /// Empirical distribution of `samples` (see [`Empirical`]).
    ///
    /// # Errors
    /// As [`Empirical::new`]: each names `samples`.
    pub fn empirical(samples: Vec<f64>) -> Result<Self> {
        Ok(Law::Empirical(Empirical::new(samples)?))
    }
    /// Empirical distribution of one column of a CSV file with a header row.
    ///
    /// # Errors
    /// As [`Empirical::from_csv`].
    pub fn empirical_from_csv(path: &Path, column: Option<&str>) -> Result<Self> {
        Ok(Law::Empirical(Empirical::from_csv(path, column)?))
    }

    /// Builds a law from its TOML spec (relative data paths resolved against the working
    /// directory; see [`Law::from_spec_in`]).
    ///
    /// # Errors
    /// The constructor's error naming the bad parameter.
    pub fn from_spec(s: &LawSpec) -> Result<Self> {
        Law::from_spec_in(s, None)
    }

    /// Builds a law from its TOML spec, resolving a relative `file` of an empirical law against
    /// `base_dir` (the directory of the config file it came from).
    ///
    /// # Errors
    /// The constructor's error naming the bad parameter; [`Error::Config`] if an empirical law
    /// gives both or neither of `samples` and `file`, or `column` without `file`.
    pub fn from_spec_in(s: &LawSpec, base_dir: Option<&Path>) -> Result<Self> {
        match s {
            LawSpec::Normal { mean, sd } => Law::normal(*mean, *sd),
            LawSpec::StudentT { df, loc, scale } => Law::student_t(*df, *loc, *scale),
            LawSpec::Pareto { scale, alpha } => Law::pareto(*scale, *alpha),
            LawSpec::Lognormal { mu, sigma } => Law::lognormal(*mu, *sigma),
            LawSpec::Exponential { rate } => Law::exponential(*rate),
            LawSpec::Laplace { loc, scale } => Law::laplace(*loc, *scale),
            LawSpec::Weibull { shape, scale } => Law::weibull(*shape, *scale),
            LawSpec::Levy { loc, scale } => Law::levy(*loc, *scale),
            LawSpec::Affine { inner, shift, scale } => Law::affine(Law::from_spec_in(inner, base_dir)?, *shift, *scale),
            LawSpec::Tabulated { x, pdf } => Law::tabulated(x.clone(), pdf.clone()),
            LawSpec::Empirical { samples, file, column } => match (samples, file) {
                (Some(v), None) if column.is_none() => Law::empirical(v.clone()),
                (None, Some(f)) => {
                    let path = match base_dir {
                        Some(b) if f.is_relative() => b.join(f),
                        _ => f.clone(),
                    };
                    Law::empirical_from_csv(&path, column.as_deref())
                }
                (Some(_), Some(_)) => Err(Error::Config("empirical law: give either `samples` or `file`, not both".into())),
                (Some(_), None) => Err(Error::Config("empirical law: `column` only applies with `file`".into())),
                (None, None) => Err(Error::Config("empirical law: give `samples = [...]` or `file = \"path.csv\"` (with `column`)".into())),
            },
        }
    }

    /// A short human-readable name, e.g. `t(3)`, `N(0, 1²)`.
    pub fn name(&self) -> String {
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                format!("N({m}, {s}²)")
            }
            Law::StudentT(d) => format!("t({})", d.freedom()),
            Law::Pareto(d) => format!("Pareto(α={})", d.shape()),
            Law::Lognormal(d) => format!("lognormal({}, {})", d.location(), d.scale()),
            Law::Exponential(d) => format!("Exp({})", d.rate()),
            Law::Laplace(d) => format!("Laplace({}, {})", d.location(), d.scale()),
            Law::Weibull(d) => format!("Weibull(k={})", d.shape()),
            Law::Levy(d) => format!("Lévy({}, {})", d.mu(), d.c()),
            Law::Affine {
                inner,
                shift,
                scale,
            } => format!("{shift} + {scale}·{}", inner.name()),
            Law::Tabulated(t) => format!("tabulated({} points)", t.grid().len()),
            Law::Empirical(e) => format!("empirical(n={})", e.len()),
        }
    }

    /// The closure of the set where the law puts mass: `(lower, upper)`, either may be infinite.
    pub fn support(&self) -> (f64, f64) {
        match self {
            Law::Normal(_) | Law::StudentT(_) | Law::Laplace(_) => {
                (f64::NEG_INFINITY, f64::INFINITY)
            }
            Law::Pareto(d) => (d.scale(), f64::INFINITY),
            Law::Lognormal(_) | Law::Exponential(_) | Law::Weibull(_) => (0.0, f64::INFINITY),
            Law::Levy(d) => (d.mu(), f64::INFINITY),
            Law::Affine {
                inner,
                shift,
                scale,
            } => {
                let (a, b) = inner.support();
                (shift + scale * a, shift + scale * b)
            }
            Law::Tabulated(t) => t.support(),
            Law::Empirical(e) => e.support(),
        }
    }

    /// Whether the law has a density (false only for [`Law::Empirical`], whose `pdf` is NaN).
    pub fn has_density(&self) -> bool {
        match self {
            Law::Empirical(_) => false,
            Law::Affine { inner, .. } => inner.has_density(),
            _ => true,
        }
    }

    /// Density (NaN for an empirical law, which has none).
    pub fn pdf(&self, x: f64) -> f64 {
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                phi_pdf((x - m) / s) / s
            }
            Law::StudentT(d) => {
                (special::t_ln_pdf((x - d.location()) / d.scale(), d.freedom())).exp() / d.scale()
            }
            Law::Pareto(d) => d.pdf(x),
            Law::Lognormal(d) => d.pdf(x),
            Law::Exponential(d) => d.pdf(x),
            Law::Laplace(d) => d.pdf(x),
            Law::Weibull(d) => d.pdf(x),
            Law::Levy(d) => d.pdf(x),
            Law::Affine {
                inner,
                shift,
                scale,
            } => inner.pdf((x - shift) / scale) / scale,
            Law::Tabulated(t) => t.pdf(x),
            Law::Empirical(e) => e.pdf(x),
        }
    }

    /// Log-density (finite far in the tails; NaN for an empirical law).
    pub fn ln_pdf(&self, x: f64) -> f64 {
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                ln_phi_pdf((x - m) / s) - s.ln()
            }
            Law::StudentT(d) => {
                special::t_ln_pdf((x - d.location()) / d.scale(), d.freedom()) - d.scale().ln()
            }
            Law::Pareto(d) => d.ln_pdf(x),
            Law::Lognormal(d) => d.ln_pdf(x),
            Law::Exponential(d) => d.ln_pdf(x),
            Law::Laplace(d) => d.ln_pdf(x),
            Law::Weibull(d) => d.ln_pdf(x),
            Law::Levy(d) => d.ln_pdf(x),
            Law::Affine {
                inner,
                shift,
                scale,
            } => inner.ln_pdf((x - shift) / scale) - scale.ln(),
            Law::Tabulated(t) => t.pdf(x).ln(),
            Law::Empirical(e) => e.pdf(x),
        }
    }

    /// `P(X <= x)`, accurate in relative terms on the left tail too (never `1 − sf`).
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                phi_bar(-(x - m) / s)
            }
            Law::StudentT(d) => special::t_sf(-(x - d.location()) / d.scale(), d.freedom()),
            Law::Lognormal(d) => {
                if x <= 0.0 {
                    0.0
                } else {
                    phi_bar(-(x.ln() - d.location()) / d.scale())
                }
            }
            Law::Levy(d) => {
                if x <= d.mu() {
                    0.0
                } else {
                    2.0 * phi_bar((d.c() / (x - d.mu())).sqrt())
                }
            }
            Law::Laplace(d) => {
                let z = (x - d.location()) / d.scale();
                if z <= 0.0 {
                    0.5 * z.exp()
                } else {
                    1.0 - 0.5 * (-z).exp()
                }
            }
            Law::Pareto(_) | Law::Exponential(_) | Law::Weibull(_) => {
                // cdf = 1 − e^{ln_sf} = −expm1(ln_sf): exact near the lower end
                -self.ln_sf(x).exp_m1()
            }
            Law::Affine {
                inner,
                shift,
                scale,
            } => inner.cdf((x - shift) / scale),
            Law::Tabulated(t) => t.cdf(x),
            Law::Empirical(e) => e.cdf(x),
        }
    }

    /// `P(X > x)`, computed directly (never `1 − cdf`), relative-accurate far in the tail.
    pub fn sf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                phi_bar((x - m) / s)
            }
            Law::StudentT(d) => special::t_sf((x - d.location()) / d.scale(), d.freedom()),
            Law::Lognormal(d) => {
                if x <= 0.0 {
                    1.0
                } else {
                    phi_bar((x.ln() - d.location()) / d.scale())
                }
            }
            Law::Levy(d) => {
                if x <= d.mu() {
                    1.0
                } else {
                    // 1 − 2Φ̄(s) = 2(Φ(s) − ½), exact for small s (large x)
                    2.0 * phi_central((d.c() / (x - d.mu())).sqrt())
                }
            }
            Law::Laplace(d) => {
                let z = (x - d.location()) / d.scale();
                if z >= 0.0 {
                    0.5 * (-z).exp()
                } else {
                    1.0 - 0.5 * z.exp()
                }
            }
            Law::Pareto(_) | Law::Exponential(_) | Law::Weibull(_) => self.ln_sf(x).exp(),
            Law::Affine {
                inner,
                shift,
                scale,
            } => inner.sf((x - shift) / scale),
            Law::Tabulated(t) => t.sf(x),
            Law::Empirical(e) => e.sf(x),
        }
    }

    /// `ln P(X > x)`: finite wherever the true value is representable in log space (e.g.
    /// `N(0,1)` at `x = 1e5`: −5.0e9; `t₃` at `x = 1e300`: −2072.2), `−∞` only beyond a bounded
    /// support.
    pub fn ln_sf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                ln_phi_bar((x - m) / s)
            }
            Law::StudentT(d) => special::t_ln_sf((x - d.location()) / d.scale(), d.freedom()),
            Law::Pareto(d) => {
                if x <= d.scale() {
                    0.0
                } else {
                    let r = x / d.scale();
                    let lr = if r.is_finite() {
                        r.ln()
                    } else {
                        x.ln() - d.scale().ln()
                    };
                    -d.shape() * lr
                }
            }
            Law::Lognormal(d) => {
                if x <= 0.0 {
                    0.0
                } else {
                    ln_phi_bar((x.ln() - d.location()) / d.scale())
                }
            }
            Law::Exponential(d) => {
                if x <= 0.0 {
                    0.0
                } else {
                    -d.rate() * x
                }
            }
            Law::Laplace(d) => {
                let z = (x - d.location()) / d.scale();
                if z >= 0.0 {
                    -LN_2 - z
                } else {
                    (-0.5 * z.exp()).ln_1p()
                }
            }
            Law::Weibull(d) => {
                if x <= 0.0 {
                    0.0
                } else {
                    let r = x / d.scale();
                    if r.is_finite() {
                        -r.powf(d.shape())
                    } else {
                        -(d.shape() * (x.ln() - d.scale().ln())).exp()
                    }
                }
            }
            Law::Levy(d) => {
                if x <= d.mu() {
                    0.0
                } else {
                    let s = (d.c() / (x - d.mu())).sqrt();
                    if s <= 1.5 {
                        (2.0 * phi_central(s)).ln()
                    } else {
                        (-2.0 * phi_bar(s)).ln_1p()
                    }
                }
            }
            Law::Affine {
                inner,
                shift,
                scale,
            } => inner.ln_sf((x - shift) / scale),
            Law::Tabulated(t) => t.sf(x).ln(),
            Law::Empirical(e) => e.sf(x).ln(),
        }
    }

    /// `ln P(X <= x)`, finite far in the left tail wherever representable.
    pub fn ln_cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                ln_phi_bar(-(x - m) / s)
            }
            Law::StudentT(d) => special::t_ln_sf(-(x - d.location()) / d.scale(), d.freedom()),
            Law::Lognormal(d) => {
                if x <= 0.0 {
                    f64::NEG_INFINITY
                } else {
                    ln_phi_bar(-(x.ln() - d.location()) / d.scale())
                }
            }
            Law::Levy(d) => {
                if x <= d.mu() {
                    f64::NEG_INFINITY
                } else {
                    let s = (d.c() / (x - d.mu())).sqrt();
                    if s <= 1.5 {
                        // ln(1 − sf) with sf = 2(Φ(s) − ½) small for large x
                        (-2.0 * phi_central(s)).ln_1p()
                    } else {
                        LN_2 + ln_phi_bar(s)
                    }
                }
            }
            Law::Laplace(d) => {
                let z = (x - d.location()) / d.scale();
                if z <= 0.0 {
                    -LN_2 + z
                } else {
                    (-0.5 * (-z).exp()).ln_1p()
                }
            }
            Law::Pareto(_) | Law::Exponential(_) | Law::Weibull(_) => {
                let l = self.ln_sf(x);
                if l == 0.0 {
                    f64::NEG_INFINITY
                } else {
                    ln_1m_exp(l)
                }
            }
            Law::Affine {
                inner,
                shift,
                scale,
            } => inner.ln_cdf((x - shift) / scale),
            Law::Tabulated(t) => t.cdf(x).ln(),
            Law::Empirical(e) => e.cdf(x).ln(),
        }
    }

    /// Quantile `F⁻¹(p) = inf{x : F(x) >= p}` for `p` in `[0, 1]` (the support's ends at 0 and
    /// 1); NaN for `p` outside `[0, 1]` or NaN (use [`Law::try_quantile`] for an error instead).
    pub fn quantile(&self, p: f64) -> f64 {
        if !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        let (lo, hi) = self.support();
        if p == 0.0 {
            return lo;
        }
        if p == 1.0 {
            return hi;
        }
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                m + s * normal_quantile(p)
            }
            Law::StudentT(d) => {
                let k = if p > 0.5 {
                    self.std_t_isf(1.0 - p)
                } else {
                    -self.std_t_isf(p)
                };
                d.location() + d.scale() * k
            }
            Law::Lognormal(d) => (d.location() + d.scale() * normal_quantile(p)).exp(),
            Law::Levy(d) => {
                let z = normal_isf(0.5 * p);
                d.mu() + d.c() / (z * z)
            }
            Law::Laplace(d) => {
                if p <= 0.5 {
                    d.location() + d.scale() * (2.0 * p).ln()
                } else {
                    d.location() - d.scale() * (2.0 * (1.0 - p)).ln()
                }
            }
            Law::Pareto(_) | Law::Exponential(_) | Law::Weibull(_) => {
                self.quantile_from_ln_sf((-p).ln_1p())
            }
            Law::Affine {
                inner,
                shift,
                scale,
            } => shift + scale * inner.quantile(p),
            Law::Tabulated(t) => t.quantile(p),
            Law::Empirical(e) => e.quantile(p),
        }
    }

    /// [`Law::quantile`] with a typed error for `p` outside `[0, 1]`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming `p`.
    pub fn try_quantile(&self, p: f64) -> Result<f64> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::OutOfRange {
                name: "p",
                value: p,
                range: "[0, 1]",
            });
        }
        Ok(self.quantile(p))
    }

    /// Inverse survival function: the `x` with `P(X > x) = q`, accurate for tiny `q` (e.g.
    /// `q = 1e-300`), where `quantile(1 − q)` cannot be (1 − q rounds to 1). NaN outside `[0, 1]`.
    pub fn isf(&self, q: f64) -> f64 {
        if !(0.0..=1.0).contains(&q) {
            return f64::NAN;
        }
        let (lo, hi) = self.support();
        if q == 0.0 {
            return hi;
        }
        if q == 1.0 {
            return lo;
        }
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                m + s * normal_isf(q)
            }
            Law::StudentT(d) => {
                let k = if q <= 0.5 {
                    self.std_t_isf(q)
                } else {
                    -self.std_t_isf(1.0 - q)
                };
                d.location() + d.scale() * k
            }
            Law::Lognormal(d) => (d.location() + d.scale() * normal_isf(q)).exp(),
            Law::Levy(d) => {
                // P(X > x) = 2(Φ(s) − ½), s = √(c/(x − μ)): solve 2·phi_central(s) = q by Newton
                let mut s = if q < 1e-8 {
                    q * (std::f64::consts::PI / 2.0).sqrt()
                } else {
                    normal_quantile(0.5 + 0.5 * q)
                };
                for _ in 0..4 {
                    let r = 2.0 * phi_central(s) - q;
                    let step = r / (2.0 * phi_pdf(s));
                    if !step.is_finite() {
                        break;
                    }
                    s -= step;
                }
                d.mu() + d.c() / (s * s)
            }
            Law::Laplace(d) => {
                if q <= 0.5 {
                    d.location() - d.scale() * (2.0 * q).ln()
                } else {
                    d.location() + d.scale() * (2.0 * (1.0 - q)).ln()
                }
            }
            Law::Pareto(_) | Law::Exponential(_) | Law::Weibull(_) => {
                self.quantile_from_ln_sf(q.ln())
            }
            Law::Affine {
                inner,
                shift,
                scale,
            } => shift + scale * inner.isf(q),
            Law::Tabulated(t) => t.quantile(1.0 - q),
            Law::Empirical(e) => e.quantile(1.0 - q),
        }
    }

    /// For the closed-form families on `[lower, ∞)`: the `x` with `ln F̄(x) = l` (`l <= 0`).
    fn quantile_from_ln_sf(&self, l: f64) -> f64 {
        match self {
            Law::Pareto(d) => d.scale() * (-l / d.shape()).exp(),
            Law::Exponential(d) => -l / d.rate(),
            Law::Weibull(d) => d.scale() * (-l).powf(1.0 / d.shape()),
            _ => f64::NAN,
        }
    }

    /// Standard Student-t upper quantile `k > 0` with `F̄_ν(k) = q`, `q ∈ (0, ½]`.
    fn std_t_isf(&self, q: f64) -> f64 {
        let Law::StudentT(d) = self else {
            return f64::NAN;
        };
        if q >= 0.5 {
            return 0.0;
        }
        let nu = d.freedom();
        solve_ln_sf_positive(
            q.ln(),
            |k| special::t_ln_sf(k, nu),
            |k| special::t_ln_pdf(k, nu),
        )
    }

    /// Mean, if finite.
    pub fn mean(&self) -> Option<f64> {
        use statrs::statistics::Distribution as _;
        match self {
            Law::Normal(d) => d.mean(),
            Law::StudentT(d) => (d.freedom() > 1.0).then(|| d.location()),
            Law::Pareto(d) => (d.shape() > 1.0).then(|| d.shape() * d.scale() / (d.shape() - 1.0)),
            Law::Lognormal(d) => Some((d.location() + 0.5 * d.scale() * d.scale()).exp()),
            Law::Exponential(d) => Some(1.0 / d.rate()),
            Law::Laplace(d) => Some(d.location()),
            Law::Weibull(d) => d.mean(),
            Law::Levy(_) => None,
            Law::Affine {
                inner,
                shift,
                scale,
            } => inner.mean().map(|m| shift + scale * m),
            Law::Tabulated(t) => Some(t.mean()),
            Law::Empirical(e) => Some(e.mean()),
        }
    }

    /// Variance, if finite.
    pub fn variance(&self) -> Option<f64> {
        use statrs::statistics::Distribution as _;
        match self {
            Law::Normal(d) => d.variance(),
            Law::StudentT(d) => {
                let v = d.freedom();
                (v > 2.0).then(|| d.scale() * d.scale() * v / (v - 2.0))
            }
            Law::Pareto(d) => {
                let a = d.shape();
                (a > 2.0).then(|| d.scale() * d.scale() * a / ((a - 1.0) * (a - 1.0) * (a - 2.0)))
            }
            Law::Lognormal(d) => d.variance(),
            Law::Exponential(d) => d.variance(),
            Law::Laplace(d) => d.variance(),
            Law::Weibull(d) => d.variance(),
            Law::Levy(_) => None,
            Law::Affine { inner, scale, .. } => inner.variance().map(|v| scale * scale * v),
            Law::Tabulated(t) => Some(t.variance()),
            Law::Empirical(e) => Some(e.variance()),
        }
    }

    /// `E[X·1{X > t}]` in closed form; `None` when `E|X| = ∞` (Student-t with ν ≤ 1, Pareto
    /// with α ≤ 1, Lévy). NaN for NaN `t`.
    ///
    /// ```text
    /// normal       μΦ̄(z) + σφ(z),  z = (t−μ)/σ        (for z > 1.5: Φ̄(z)·(t + σ/T(z)), no cancellation)
    /// Student-t    loc·F̄ + s·f_ν(k)(ν + k²)/(ν − 1),  k = (t−loc)/s   (spec §2.1)
    /// exponential  e^{−rt}(t + 1/r)  (t ≥ 0)
    /// Pareto       F̄(t)·αt/(α − 1)   (t ≥ x_m)
    /// lognormal    e^{μ+σ²/2}·Φ̄((ln t − μ − σ²)/σ)
    /// Laplace      ½e^{−z}(t + b) (t ≥ m);  m − ½e^{z}(t − b) (t < m)
    /// Weibull      λ·Γ(1 + 1/k, (t/λ)^k)
    /// affine       shift·F̄_inner(u) + scale·E_inner[Y·1{Y > u}],  u = (t − shift)/scale
    /// ```
    pub fn partial_mean_above(&self, t: f64) -> Option<f64> {
        if t.is_nan() {
            return self.mean().map(|_| f64::NAN);
        }
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                let z = (t - m) / s;
                if z > 1.5 {
                    // φ/Φ̄ = 1/R(z) = z + 1/T(z): E = Φ̄(z)·(μ + σz + σ/T) = Φ̄(z)·(t + σ(1/R − z))
                    Some(phi_bar(z) * (t + s * special::hazard_excess(z)))
                } else {
                    Some(m * phi_bar(z) + s * phi_pdf(z))
                }
            }
            Law::StudentT(d) => {
                let nu = d.freedom();
                if nu <= 1.0 {
                    return None;
                }
                let k = (t - d.location()) / d.scale();
                Some(d.location() * self.sf(t) + d.scale() * special::t_partial_mean(k, nu))
            }
            Law::Pareto(d) => {
                let a = d.shape();
                if a <= 1.0 {
                    return None;
                }
                if t <= d.scale() {
                    return self.mean();
                }
                Some((self.ln_sf(t) + (a * t / (a - 1.0)).ln()).exp())
            }
            Law::Lognormal(d) => {
                let (mu, sg) = (d.location(), d.scale());
                if t <= 0.0 {
                    return self.mean();
                }
                Some((mu + 0.5 * sg * sg + ln_phi_bar((t.ln() - mu - sg * sg) / sg)).exp())
            }
            Law::Exponential(d) => {
                let r = d.rate();
                if t <= 0.0 {
                    return Some(1.0 / r);
                }
                Some((-r * t).exp() * (t + 1.0 / r))
            }
            Law::Laplace(d) => {
                let (m, b) = (d.location(), d.scale());
                let z = (t - m) / b;
                if z >= 0.0 {
                    Some(0.5 * (-z).exp() * (t + b))
                } else {
                    Some(m - 0.5 * z.exp() * (t - b))
                }
            }
            Law::Weibull(d) => {
                let (k, lam) = (d.shape(), d.scale());
                let u = if t <= 0.0 { 0.0 } else { (t / lam).powf(k) };
                Some(lam * ln_gamma_upper(1.0 + 1.0 / k, u).exp())
            }
            Law::Levy(_) => None,
            Law::Affine {
                inner,
                shift,
                scale,
            } => {
                let u = (t - shift) / scale;
                let pm = inner.partial_mean_above(u)?;
                let tail = if *shift == 0.0 {
                    0.0
                } else {
                    shift * inner.sf(u)
                };
                Some(tail + scale * pm)
            }
            Law::Tabulated(tb) => Some(tb.partial_mean_above(t)),
            Law::Empirical(e) => Some(e.partial_mean_above(t)),
        }
    }

    /// `ln E[e^{λX}]` where it is finite; `None` where it is infinite (every heavy right tail
    /// for `λ > 0`; Student-t for every `λ ≠ 0`; `λ >= rate` for the exponential, `|λ| >= 1/b`
    /// for Laplace). `Some(0)` at `λ = 0`; `None` for NaN `λ`.
    ///
    /// ```text
    /// normal       μλ + σ²λ²/2
    /// exponential  −ln(1 − λ/r)                 (λ < r)
    /// Laplace      mλ − ln(1 − b²λ²)            (|λ| < 1/b)
    /// Lévy         μλ − √(−2cλ)                 (λ ≤ 0)
    /// affine       shift·λ + ln M_inner(scale·λ)
    /// tabulated    exact per linear segment;  empirical  logsumexp(λx_i) − ln n
    /// Weibull (k > 1 any λ; any k with λ < 0), Pareto and lognormal (λ < 0): adaptive
    ///              quadrature of the log-integrand rescaled by its maximum (relative 1e-12).
    /// ```
    pub fn mgf_log(&self, lambda: f64) -> Option<f64> {
        if lambda.is_nan() {
            return None;
        }
        if lambda == 0.0 {
            return Some(0.0);
        }
        match self {
            Law::Normal(d) => {
                let (m, s) = normal_params(d);
                let v = m * lambda + 0.5 * s * s * lambda * lambda;
                v.is_finite().then_some(v)
            }
            Law::StudentT(_) => None,
            Law::Exponential(d) => (lambda < d.rate()).then(|| -(-lambda / d.rate()).ln_1p()),
            Law::Laplace(d) => {
                let bl = d.scale() * lambda;
                (bl.abs() < 1.0).then(|| d.location() * lambda - (-bl * bl).ln_1p())
            }
            Law::Levy(d) => {
                (lambda < 0.0).then(|| d.mu() * lambda - (-2.0 * d.c() * lambda).sqrt())
            }
            Law::Weibull(d) => {
                let (k, s) = (d.shape(), d.scale());
                if lambda > 0.0 && k < 1.0 {
                    return None;
                }
                if k == 1.0 {
                    return (lambda < 1.0 / s).then(|| -(-lambda * s).ln_1p());
                }
                // u = (x/s)^k: E = ∫_0^∞ exp(−u + λs·u^{1/k}) du
                let c = lambda * s;
                let g = |u: f64| -u + c * u.powf(1.0 / k);
                let (u_star, g_max) = if c > 0.0 {
                    let u = (c / k).powf(k / (k - 1.0));
                    (u, g(u))
                } else {
                    (0.0, 0.0)
                };
                let w = u_star.max(1.0);
                let cuts = [
                    0.0,
                    0.5 * u_star,
                    u_star,
                    u_star + w,
                    u_star + 4.0 * w,
                    u_star + 16.0 * w,
                    u_star + 64.0 * w,
                ];
                ln_quad_exp(g, g_max, &cuts, false, true)
            }
            Law::Pareto(d) => {
                if lambda > 0.0 {
                    return None;
                }
                // X = x_m·U^{−1/α}: E = e^{λx_m}·∫_0^1 exp(λx_m(u^{−1/α} − 1)) du
                let (xm, a) = (d.scale(), d.shape());
                let c = lambda * xm;
                let g = |u: f64| c * (u.powf(-1.0 / a) - 1.0);
                let width = (a / -c).min(1.0);
                let mut cuts = vec![0.0];
                for m in [100.0, 10.0, 1.0, 0.1] {
                    let p = 1.0 - m * width;
                    if p > 0.0 && p < 1.0 {
                        cuts.push(p);
                    }
                }
                cuts.push(1.0);
                Some(c + ln_quad_exp(g, 0.0, &cuts, false, false)?)
            }
            Law::Lognormal(d) => {
                if lambda > 0.0 {
                    return None;
                }
                // z-space: g(z) = ln φ(z) + λe^{μ+σz}, concave, maximum where z = λσe^{μ+σz}
                let (mu, sg) = (d.location(), d.scale());
                let g = |z: f64| ln_phi_pdf(z) + lambda * (mu + sg * z).exp();
                let h = |z: f64| {
                    (
                        -z + lambda * sg * (mu + sg * z).exp(),
                        -1.0 + lambda * sg * sg * (mu + sg * z).exp(),
                    )
                };
                let lo = (lambda * sg * mu.exp()).max(-1e6);
                let z_star =
                    crate::numerics::roots::newton_bisect(h, lo, 0.0, 1e-15, 0.0, 300).ok()?;
                let curv = 1.0 - lambda * sg * sg * (mu + sg * z_star).exp();
                let w = 1.0 / curv.sqrt();
                let cuts: Vec<f64> = [-40.0, -10.0, -3.0, -1.0, 0.0, 1.0, 3.0, 10.0, 40.0]
                    .iter()
                    .map(|m| z_star + m * w)
                    .collect();
                ln_quad_exp(g, g(z_star), &cuts, true, true)
            }
            Law::Affine {
                inner,
                shift,
                scale,
            } => Some(shift * lambda + inner.mgf_log(scale * lambda)?),
            Law::Tabulated(t) => Some(t.mgf_log(lambda)),
            Law::Empirical(e) => Some(e.mgf_log(lambda)),
        }
    }

    /// The right-tail class (Kwa et al. 2024 §2.2). Tabulated and empirical laws are `Bounded`
    /// (a finite sample is; infer the class of the law behind a sample with the tail-measurement
    /// estimators instead).
    pub fn tail_class(&self) -> TailClass {
        match self {
            Law::Normal(_) => TailClass::SuperExponential,
            Law::StudentT(_) | Law::Pareto(_) | Law::Lognormal(_) | Law::Levy(_) => {
                TailClass::Subexponential
            }
            Law::Exponential(_) | Law::Laplace(_) => TailClass::Exponential,
            Law::Weibull(d) => {
                if d.shape() < 1.0 {
                    TailClass::Subexponential
                } else if d.shape() == 1.0 {
                    TailClass::Exponential
                } else {
                    TailClass::SuperExponential
                }
            }
            Law::Affine { inner, .. } => inner.tail_class(),
            Law::Tabulated(_) | Law::Empirical(_) => TailClass::Bounded,
        }
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Law::Normal(d) => d.sample(rng),
            Law::StudentT(d) => {
                d.location()
                    + d.scale()
                        * rand_distr::StudentT::new(d.freedom())
                            .map(|t| t.sample(rng))
                            .unwrap_or(f64::NAN)
            }
            Law::Pareto(d) => d.sample(rng),
            Law::Lognormal(d) => d.sample(rng),
            Law::Exponential(d) => d.sample(rng),
            Law::Laplace(d) => d.sample(rng),
            Law::Weibull(d) => d.sample(rng),
            Law::Levy(d) => d.sample(rng),
            Law::Affine {
                inner,
                shift,
                scale,
            } => shift + scale * inner.sample(rng),
            Law::Tabulated(t) => t.sample(rng),
            Law::Empirical(e) => e.sample(rng),
        }
    }
}

#[cfg(test)]
mod tests;
