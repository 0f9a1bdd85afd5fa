//! [`Law`]: one enum over the supported families, with validated constructors.

use rand::Rng;
use rand_distr::Distribution as _;
use serde::{Deserialize, Serialize};
use statrs::distribution::{Continuous as _, ContinuousCDF as _};

use crate::error::{positive_finite, finite, Error, Result};
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
        /// Degrees of freedom (> 0).
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
}

fn bad(e: impl std::fmt::Display) -> Error {
    Error::Other(e.to_string())
}

impl Law {
    /// `N(mean, sd²)`.
    ///
    /// # Errors
    /// [`Error::NotFinite`] / [`Error::NotPositive`] naming the parameter.
    pub fn normal(mean: f64, sd: f64) -> Result<Self> {
        finite("mean", mean)?;
        positive_finite("sd", sd)?;
        Ok(Law::Normal(statrs::distribution::Normal::new(mean, sd).map_err(bad)?))
    }
    /// Student-t(df) with location and scale.
    ///
    /// # Errors
    /// Bad `df`, `loc` or `scale`.
    pub fn student_t(df: f64, loc: f64, scale: f64) -> Result<Self> {
        positive("df", df)?;
        finite("loc", loc)?;
        positive_finite("scale", scale)?;
        Ok(Law::StudentT(statrs::distribution::StudentsT::new(loc, scale, df).map_err(bad)?))
    }
    /// Pareto type I.
    ///
    /// # Errors
    /// Bad `scale` or `alpha`.
    pub fn pareto(scale: f64, alpha: f64) -> Result<Self> {
        positive_finite("scale", scale)?;
        positive_finite("alpha", alpha)?;
        Ok(Law::Pareto(statrs::distribution::Pareto::new(scale, alpha).map_err(bad)?))
    }
    /// Lognormal.
    ///
    /// # Errors
    /// Bad `mu` or `sigma`.
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Self> {
        finite("mu", mu)?;
        positive_finite("sigma", sigma)?;
        Ok(Law::Lognormal(statrs::distribution::LogNormal::new(mu, sigma).map_err(bad)?))
    }
    /// Exponential.
    ///
    /// # Errors
    /// Bad `rate`.
    pub fn exponential(rate: f64) -> Result<Self> {
        positive_finite("rate", rate)?;
        Ok(Law::Exponential(statrs::distribution::Exp::new(rate).map_err(bad)?))
    }
    /// Laplace.
    ///
    /// # Errors
    /// Bad `loc` or `scale`.
    pub fn laplace(loc: f64, scale: f64) -> Result<Self> {
        finite("loc", loc)?;
        positive_finite("scale", scale)?;
        Ok(Law::Laplace(statrs::distribution::Laplace::new(loc, scale).map_err(bad)?))
    }
    /// Weibull.
    ///
    /// # Errors
    /// Bad `shape` or `scale`.
    pub fn weibull(shape: f64, scale: f64) -> Result<Self> {
        positive_finite("shape", shape)?;
        positive_finite("scale", scale)?;
        Ok(Law::Weibull(statrs::distribution::Weibull::new(shape, scale).map_err(bad)?))
    }
    /// Lévy.
    ///
    /// # Errors
    /// Bad `loc` or `scale`.
    pub fn levy(loc: f64, scale: f64) -> Result<Self> {
        finite("loc", loc)?;
        positive_finite("scale", scale)?;
        Ok(Law::Levy(statrs::distribution::Levy::new(loc, scale).map_err(bad)?))
    }
    /// `shift + scale·inner`.
    ///
    /// # Errors
    /// Bad `shift` or `scale`.
    pub fn affine(inner: Law, shift: f64, scale: f64) -> Result<Self> {
        finite("shift", shift)?;
        positive_finite("scale", scale)?;
        Ok(Law::Affine { inner: Box::new(inner), shift, scale })
    }

    /// Builds a law from its TOML spec.
    ///
    /// # Errors
    /// The constructor's error naming the bad parameter.
    pub fn from_spec(s: &LawSpec) -> Result<Self> {
        match s {
            LawSpec::Normal { mean, sd } => Law::normal(*mean, *sd),
            LawSpec::StudentT { df, loc, scale } => Law::student_t(*df, *loc, *scale),
            LawSpec::Pareto { scale, alpha } => Law::pareto(*scale, *alpha),
            LawSpec::Lognormal { mu, sigma } => Law::lognormal(*mu, *sigma),
            LawSpec::Exponential { rate } => Law::exponential(*rate),
            LawSpec::Laplace { loc, scale } => Law::laplace(*loc, *scale),
            LawSpec::Weibull { shape, scale } => Law::weibull(*shape, *scale),
            LawSpec::Levy { loc, scale } => Law::levy(*loc, *scale),
            LawSpec::Affine { inner, shift, scale } => Law::affine(Law::from_spec(inner)?, *shift, *scale),
        }
    }

    /// A short human-readable name, e.g. `t(3)`, `N(0, 1)`.
    pub fn name(&self) -> String {
        use statrs::statistics::Distribution as _;
        match self {
            Law::Normal(d) => format!("N({}, {}²)", d.mean().unwrap_or(f64::NAN), d.std_dev().unwrap_or(f64::NAN)),
            Law::StudentT(d) => format!("t({})", d.freedom()),
            Law::Pareto(d) => format!("Pareto(α={})", d.shape()),
            Law::Lognormal(d) => format!("lognormal({}, {})", d.location(), d.scale()),
            Law::Exponential(d) => format!("Exp({})", d.rate()),
            Law::Laplace(d) => format!("Laplace({}, {})", d.location(), d.scale()),
            Law::Weibull(d) => format!("Weibull(k={})", d.shape()),
            Law::Levy(d) => format!("Lévy({}, {})", d.mu(), d.c()),
            Law::Affine { inner, shift, scale } => format!("{shift} + {scale}·{}", inner.name()),
        }
    }

    /// Density.
    pub fn pdf(&self, x: f64) -> f64 {
        match self {
            Law::Normal(d) => d.pdf(x),
            Law::StudentT(d) => d.pdf(x),
            Law::Pareto(d) => d.pdf(x),
            Law::Lognormal(d) => d.pdf(x),
            Law::Exponential(d) => d.pdf(x),
            Law::Laplace(d) => d.pdf(x),
            Law::Weibull(d) => d.pdf(x),
            Law::Levy(d) => d.pdf(x),
            Law::Affine { inner, shift, scale } => inner.pdf((x - shift) / scale) / scale,
        }
    }

    /// Log-density.
    pub fn ln_pdf(&self, x: f64) -> f64 {
        match self {
            Law::Normal(d) => d.ln_pdf(x),
            Law::StudentT(d) => d.ln_pdf(x),
            Law::Pareto(d) => d.ln_pdf(x),
            Law::Lognormal(d) => d.ln_pdf(x),
            Law::Exponential(d) => d.ln_pdf(x),
            Law::Laplace(d) => d.ln_pdf(x),
            Law::Weibull(d) => d.ln_pdf(x),
            Law::Levy(d) => d.ln_pdf(x),
            Law::Affine { inner, shift, scale } => inner.ln_pdf((x - shift) / scale) - scale.ln(),
        }
    }

    /// `P(X <= x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        match self {
            Law::Normal(d) => d.cdf(x),
            Law::StudentT(d) => d.cdf(x),
            Law::Pareto(d) => d.cdf(x),
            Law::Lognormal(d) => d.cdf(x),
            Law::Exponential(d) => d.cdf(x),
            Law::Laplace(d) => d.cdf(x),
            Law::Weibull(d) => d.cdf(x),
            Law::Levy(d) => d.cdf(x),
            Law::Affine { inner, shift, scale } => inner.cdf((x - shift) / scale),
        }
    }

    /// `P(X > x)`, computed directly (never `1 − cdf`).
    pub fn sf(&self, x: f64) -> f64 {
        match self {
            Law::Normal(d) => d.sf(x),
            Law::StudentT(d) => d.sf(x),
            Law::Pareto(d) => d.sf(x),
            Law::Lognormal(d) => d.sf(x),
            Law::Exponential(d) => d.sf(x),
            Law::Laplace(d) => d.sf(x),
            Law::Weibull(d) => d.sf(x),
            Law::Levy(d) => d.sf(x),
            Law::Affine { inner, shift, scale } => inner.sf((x - shift) / scale),
        }
    }

    /// `ln P(X > x)`.
    pub fn ln_sf(&self, x: f64) -> f64 {
        match self {
            Law::Affine { inner, shift, scale } => inner.ln_sf((x - shift) / scale),
            _ => self.sf(x).ln(),
        }
    }

    /// Quantile `F⁻¹(p)` for `p` in `[0, 1]`.
    pub fn quantile(&self, p: f64) -> f64 {
        match self {
            Law::Normal(d) => d.inverse_cdf(p),
            Law::StudentT(d) => d.inverse_cdf(p),
            Law::Pareto(d) => d.inverse_cdf(p),
            Law::Lognormal(d) => d.inverse_cdf(p),
            Law::Exponential(d) => d.inverse_cdf(p),
            Law::Laplace(d) => d.inverse_cdf(p),
            Law::Weibull(d) => d.inverse_cdf(p),
            Law::Levy(d) => d.inverse_cdf(p),
            Law::Affine { inner, shift, scale } => shift + scale * inner.quantile(p),
        }
    }

    /// Mean, if finite.
    pub fn mean(&self) -> Option<f64> {
        use statrs::statistics::Distribution as _;
        match self {
            Law::Normal(d) => d.mean(),
            Law::StudentT(d) => (d.freedom() > 1.0).then(|| d.location()),
            Law::Pareto(d) => (d.shape() > 1.0).then(|| d.shape() * d.scale() / (d.shape() - 1.0)),
            Law::Lognormal(d) => d.mean(),
            Law::Exponential(d) => d.mean(),
            Law::Laplace(d) => d.mean(),
            Law::Weibull(d) => d.mean(),
            Law::Levy(_) => None,
            Law::Affine { inner, shift, scale } => inner.mean().map(|m| shift + scale * m),
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
        }
    }

    /// The right-tail class (Kwa et al. 2024 §2.2).
    pub fn tail_class(&self) -> TailClass {
        match self {
            Law::Normal(_) => TailClass::SuperExponential,
            Law::StudentT(_) | Law::Pareto(_) | Law::Lognormal(_) | Law::Levy(_) => TailClass::Subexponential,
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
        }
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Law::Normal(d) => d.sample(rng),
            Law::StudentT(d) => d.location() + d.scale() * rand_distr::StudentT::new(d.freedom()).map(|t| t.sample(rng)).unwrap_or(f64::NAN),
            Law::Pareto(d) => d.sample(rng),
            Law::Lognormal(d) => d.sample(rng),
            Law::Exponential(d) => d.sample(rng),
            Law::Laplace(d) => d.sample(rng),
            Law::Weibull(d) => d.sample(rng),
            Law::Levy(d) => d.sample(rng),
            Law::Affine { inner, shift, scale } => shift + scale * inner.sample(rng),
        }
    }
}

fn positive(name: &'static str, v: f64) -> Result<f64> {
    crate::error::positive(name, v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    #[test]
    fn spec_roundtrip_and_errors() {
        let s: LawSpec = toml::from_str("family = \"student_t\"\ndf = 3.0").unwrap();
        let l = Law::from_spec(&s).unwrap();
        assert_eq!(l.tail_class(), TailClass::Subexponential);
        let e = toml::from_str::<LawSpec>("family = \"student_t\"\ndof = 3.0").unwrap_err().to_string();
        assert!(e.contains("dof"), "{e}");
        assert!(matches!(Law::student_t(-1.0, 0.0, 1.0), Err(Error::NotPositive { name: "df", .. })));
        assert!(matches!(Law::normal(0.0, f64::NAN), Err(Error::NotPositive { name: "sd", .. })));
    }

    #[test]
    fn t3_sf_closed_form() {
        // spec §2.1: F̄(t) = 1/2 − (1/π)[atan(t/√3) + (t/√3)/(1 + t²/3)]
        let l = Law::student_t(3.0, 0.0, 1.0).unwrap();
        for t in [0.5f64, 2.0, 10.0] {
            let s = t / 3f64.sqrt();
            let exact = 0.5 - (s.atan() + s / (1.0 + s * s)) / std::f64::consts::PI;
            assert_close(l.sf(t), exact, Tolerance::rel(1e-10));
        }
    }

    #[test]
    fn affine_moments() {
        let l = Law::affine(Law::student_t(3.0, 0.0, 1.0).unwrap(), 0.0, (1.0f64 / 3.0).sqrt()).unwrap();
        assert_close(l.variance().unwrap(), 1.0, Tolerance::rel(1e-14));
        let ln = Law::affine(Law::lognormal(0.0, 2f64.ln()).unwrap(), -1.0, 1.0).unwrap();
        // spec §3 Fig B.3: mean e^{(ln2)²/2} − 1 = 0.2715
        assert_close(ln.mean().unwrap(), (2f64.ln().powi(2) / 2.0).exp() - 1.0, Tolerance::rel(1e-12));
    }
}
