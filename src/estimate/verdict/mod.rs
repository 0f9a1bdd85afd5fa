//! The tail verdict (heavy / light / undetermined, in Kwa et al. 2024's sense) from Clauset,
//! Shalizi & Newman 2009's power-law tests and the Dekkers–Einmahl–de Haan 1989 moment estimator:
//! the one-line answer to "is this sample's right tail heavy or light?", with the evidence
//! behind it. Its report checks are in `checks.rs`, its unit tests in `tests.rs`.
//!
//! Pipeline on a sample `x_1..x_n` (only the upper tail needs to be positive):
//! 1. `x̂_min` by KS minimisation over at most `max_candidates` thresholds leaving
//!    `>= min_tail` values ([`super::gof::scan_xmin`]), or the user's `x_min`.
//! 2. MLE fits above `x̂_min` of the power law (PL), exponential, lognormal, stretched
//!    exponential and truncated PL ([`super::alternatives`]).
//! 3. Likelihood-ratio tests of PL against each ([`super::lrt`]; `R > 0` favours the PL).
//! 4. The semi-parametric bootstrap KS p-value of the PL ([`super::gof::bootstrap_gof`]).
//! 5. The extreme-value index `γ̂` (the headline): the moment estimator (Dekkers–Einmahl–de
//!    Haan 1989) at `k = n_tail − 1` (threshold `x̂_min = X_(k+1)`), valid in every domain of
//!    attraction (negative, zero or positive), with CI `γ̂ ± z·√v(γ̂)/√k` at the selected k, the
//!    range of `γ̂` over `k' ∈ [k/2, 2k]` (threshold-sensitivity band) and the union of the CIs
//!    over those `k'` (a CI that includes the threshold choice). Hill `γ̂_H = 1/(α−1)` at the same
//!    k (`γ̂_H(1 ± z/√k)`) is reported as the power-law index: a tail index only when heavy.
//!
//! Integer data (every value an integer, e.g. word counts): `x̂_min` comes from the discrete
//! power law ([`super::discrete`], Clauset et al. 2009 §3.1, as `powerlaw`'s `discrete=True`);
//! the alternatives and tests above it use the continuous forms, and the GOF bootstrap keeps
//! `x̂_min` fixed (said in [`Evidence::notes`]). Few distinct values (fewer than
//! [`FEW_DISTINCT`] in the sample or [`MIN_DISTINCT_TAIL`] above `x̂_min`) give a note; fewer than
//! [`MIN_DISTINCT_TAIL`] above `x̂_min` block "heavy". When n/10 is below `min_tail` the top-10%
//! test is skipped and a note says so.
//!
//! "Heavy" and "light" are meant in Kwa et al.'s sense (heavy: `E e^{tX} = ∞` for every
//! `t > 0`). Decision rule (significance `s = 0.05`, GOF threshold `g = 0.1`, `z = 1.96`):
//! ```text
//! light        if  exponential significantly favoured over PL (R < 0, p < s) at x̂_min
//!              or  the same on the top 10 % of the sample (fixed threshold X_(⌊n/10⌋))
//!              or  stretched exp. significantly favoured with β̂ >= 1  (Weibull-type tail)
//!              or  moment-shape CI entirely below 0                    (bounded tail)
//! heavy        if  PL significantly favoured over the exponential (R > 0, p < s) at x̂_min
//!              and R > 0 on the top 10 % (when that test runs)
//!              and at least MIN_DISTINCT_TAIL distinct values above x̂_min
//!              and not (stretched exp. with β̂ >= 1 significantly favoured)
//!              and the moment-shape CI entirely above 0
//!              and (GOF p >= g  or  the GPD-shape CIs above 0 at x̂_min and at the
//!                   double-bootstrap threshold)
//! undetermined otherwise ("can't tell at this n"); light wins if both fire.
//! ```
//! A lognormal or a stretched exponential with `β < 1` (both heavy in Kwa's sense) beating the
//! PL does not block "heavy"; nor does the truncated PL, whose significance at finite n mostly
//! reflects curvature of the log-log CCDF (Student-t's second-order term), not a cut-off. They
//! are reported in the evidence. Lognormal samples: the expected verdict is "heavy" or
//! "undetermined" (PL GOF often rejected), never "light".
//!
//! The LR p-values for lognormal and stretched exp. are conservative near the PL limit of those
//! families (the larger of the Vuong and the boundary-χ² p-values is used).
//!
//! Validation (measured on this build, seeds 100–119, `B = 100` fixed-x_min bootstrap; `refit`
//! rows: `B = 50` with x_min re-selected per replicate, seeds 100–109):
//! ```text
//! law (right tail)         n       heavy  light  undetermined
//! Pareto(α = 2.5)          5 000   20     0      0          refit: 10/10 heavy
//!                          20 000  20     0      0
//! Student-t(3), x > 0      5 000   16     0      4          refit: 6/10 heavy, 4 undetermined
//!                          20 000  15     0      5
//! lognormal(0, 1)          5 000   12     0      8          refit: 5 heavy, 5 undetermined
//!                          20 000  11     0      9
//! N(0, 1)                  5 000   0      20     0          refit: 10/10 light
//!                          20 000  0      20     0
//! Exp(1)                   5 000   0      16     4          refit: 9/10 light
//!                          20 000  0      20     0
//! Weibull(shape 2)         5 000   0      20     0          refit: 10/10 light
//!                          20 000  0      20     0
//! ```
//! No sample received the opposite verdict. Student-t(3) misses are "undetermined" (GOF p < 0.1
//! or the LR sign flips on one threshold): its tail is a power law only to first order.
//! [`GofOptions::refit_xmin`] defaults to Clauset's procedure (re-select x_min per replicate);
//! [`checks`] and the unit tests use the fixed-x_min bootstrap for speed (p biased upward).

use serde::{Deserialize, Serialize};

use super::alternatives::{
    fit_exponential, fit_lognormal, fit_power_law, fit_stretched_exp, fit_truncated_power_law, Fit,
    TailModel,
};
use super::discrete::{distinct_sorted, is_integer_valued, scan_xmin_discrete, DiscreteFit};
use super::gof::{bootstrap_gof_observed, fit_at, scan_xmin, GofOptions};
use super::lrt::{nested_boundary, vuong, LrTest};
use super::tail_index::{gpd_fit, GpdFit, GPD_MIN_EXCEEDANCES};
use super::threshold::{double_bootstrap, DoubleBootstrap, DoubleBootstrapConfig};
use crate::error::{Error, Result};
use crate::numerics::Neumaier;

mod checks;
#[cfg(test)]
mod tests;

pub use checks::{checks, parse_column, seeded_sample, verdict_code, CLAUSET_TABLE_6_1};

/// Fewest values [`verdict`] accepts.
pub const MIN_SAMPLE: usize = 100;

/// Fewest distinct values above `x̂_min` for a "heavy" verdict: below it the tail is a handful of
/// levels and a power-law fit says nothing about the tail's decay.
pub const MIN_DISTINCT_TAIL: usize = 10;

/// Integer data with more distinct values than this are fitted as continuous.
pub const MAX_DISCRETE_LEVELS: usize = 20_000;

/// Below this many distinct values in the whole sample a note warns about ties.
pub const FEW_DISTINCT: usize = 50;

/// The `k'` of the threshold-sensitivity band: up to 25 values spread geometrically over
/// `[max(k/2, 10), min(2k, n_pos − 1)]`, always including `k`.
pub fn threshold_band_ks(k: usize, n_positive: usize) -> Vec<usize> {
    let lo = (k / 2).max(10).min(k);
    let hi = (2 * k).min(n_positive.saturating_sub(1)).max(k);
    let mut ks: Vec<usize> = (0..25)
        .map(|i| {
            let t = f64::from(i) / 24.0;
            ((lo as f64) * ((hi as f64) / (lo as f64)).powf(t)).round() as usize
        })
        .chain(std::iter::once(k))
        .filter(|&kk| kk >= 2)
        .collect();
    ks.sort_unstable();
    ks.dedup();
    ks
}

/// The verdict on the right tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TailVerdict {
    /// Power-law (regularly varying) tail: the evidence for it is significant and consistent.
    Heavy,
    /// Exponential-type or bounded tail.
    Light,
    /// The tests cannot tell at this n.
    Undetermined,
}

impl TailVerdict {
    /// `"heavy"`, `"light"` or `"undetermined"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TailVerdict::Heavy => "heavy",
            TailVerdict::Light => "light",
            TailVerdict::Undetermined => "undetermined",
        }
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult {
    /// E.g. `"Tail test: power law vs lognormal (Vuong)"`.
    pub name: String,
    /// The test statistic (Vuong z, χ² D, KS D, or the shape estimate).
    #[serde(serialize_with = "crate::report::ser_f64")]
    pub statistic: f64,
    /// Its p-value (for shape estimates: the one-sided p of `γ <= 0`).
    #[serde(serialize_with = "crate::report::ser_f64")]
    pub p_value: f64,
    /// `"power law"`, the alternative's name, `"heavy"`, `"light"` or `"neither"` (not significant).
    pub favours: String,
    /// Parameters and numbers behind it.
    pub detail: String,
}

/// The double-bootstrap threshold and the estimates at it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DoubleBootstrapEvidence {
    /// The selection (Danielsson et al. 2001) on the positive values: `k*`, Hill `γ̂(k*)`, `k1*`, `k2*`, `n1`, `n2`.
    pub selection: DoubleBootstrap,
    /// Number of positive values it ran on.
    pub n_positive: usize,
    /// Hill's asymptotic CI at `k*`, `γ̂(1 ± z/√k*)`.
    pub gamma_ci: (f64, f64),
    /// GPD fit to the excesses over `x_(k*+1)` (absent with fewer than 10 exceedances).
    pub gpd: Option<GpdFit>,
    /// Its shape CI `ξ̂ ± z·SE`.
    pub gpd_ci: Option<(f64, f64)>,
}

/// What a shape CI says: "heavy" if it lies above 0, "light" if below, else "neither".
fn shape_favours(ci: (f64, f64)) -> String {
    if ci.0 > 0.0 {
        "heavy".into()
    } else if ci.1 < 0.0 {
        "light".into()
    } else {
        "neither".into()
    }
}

/// All the evidence behind a verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Tests in a fixed order: LR vs exponential, lognormal, stretched exp., truncated PL;
    /// LR vs exponential on the top 10 % (when computable); GOF; moment shape; GPD shape above
    /// `x̂_min` (when computable); GPD shape above the double-bootstrap threshold (when computable).
    pub tests: Vec<TestResult>,
    /// GPD (peaks-over-threshold ML) fit to the excesses over `x̂_min`, absent with fewer than
    /// 10 exceedances or a degenerate tail.
    pub gpd: Option<GpdFit>,
    /// Its shape CI `ξ̂ ± z·SE` (observed information).
    pub gpd_ci: Option<(f64, f64)>,
    /// The double-bootstrap threshold (second threshold choice), absent with fewer than 100
    /// positive values or when `double_bootstrap_replicates = 0`.
    pub double_bootstrap: Option<DoubleBootstrapEvidence>,
    /// The five fits (power law first).
    pub fits: Vec<Fit>,
    /// The discrete power-law fit (integer data only) that set `x̂_min`.
    pub discrete: Option<DiscreteFit>,
    /// The rule that fired, in words.
    pub rule: String,
    /// What was skipped or is doubtful (top-10% test not run, few distinct values, discrete data
    /// analysed with continuous alternatives), in words.
    pub notes: Vec<String>,
}

/// Options of [`verdict`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerdictOptions {
    /// Threshold scan and bootstrap settings.
    pub gof: GofOptions,
    /// Use this `x_min` instead of the KS scan.
    pub x_min: Option<f64>,
    /// Significance level of the LR tests.
    pub significance: f64,
    /// GOF p below which the power law is rejected.
    pub gof_threshold: f64,
    /// Normal quantile of the confidence intervals (1.96 for 95 %).
    pub z: f64,
    /// Replicates of the double bootstrap (second threshold choice); 0 skips it.
    pub double_bootstrap_replicates: usize,
}

impl Default for VerdictOptions {
    fn default() -> Self {
        Self {
            gof: GofOptions::default(),
            x_min: None,
            significance: 0.05,
            gof_threshold: 0.1,
            z: 1.96,
            double_bootstrap_replicates: 200,
        }
    }
}

/// The verdict with its estimates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerdictReport {
    /// Sample size.
    pub n: usize,
    /// The verdict.
    pub verdict: TailVerdict,
    /// The extreme-value index `γ̂` at `k`: the moment estimator (Dekkers, Einmahl & de Haan
    /// 1989), valid in every domain of attraction (`> 0` power-law tail with `α = 1/γ`, `0`
    /// exponential-type, `< 0` bounded).
    #[serde(serialize_with = "crate::report::ser_f64")]
    pub gamma: f64,
    /// Its asymptotic CI `γ̂ ± z·√v(γ̂)/√k` at the selected `k` (the threshold taken as given).
    pub gamma_ci: (f64, f64),
    /// Threshold sensitivity: the range of the moment `γ̂` over `k' ∈ [k/2, 2k]` (within the
    /// positive values; see [`threshold_band_ks`]).
    pub gamma_threshold_band: (f64, f64),
    /// The union of the moment CIs over the same `k'`: a CI that includes the threshold choice.
    pub gamma_ci_threshold: (f64, f64),
    /// The `k'` range of the band.
    pub threshold_band_k: (usize, usize),
    /// Hill `γ̂` at `k` (`1/γ̂ = (α̂_PL − 1)·k/(k+1)`): the power-law index, a tail index only
    /// when the verdict is heavy (positive on any data).
    #[serde(serialize_with = "crate::report::ser_f64")]
    pub hill_gamma: f64,
    /// Its asymptotic CI `γ̂(1 ± z/√k)`.
    pub hill_gamma_ci: (f64, f64),
    /// Whether every value is an integer (then `x̂_min` comes from the discrete power law).
    pub integer_data: bool,
    /// Number of distinct values in the sample.
    pub distinct_values: usize,
    /// Number of upper order statistics above the threshold.
    pub k: usize,
    /// The threshold `x̂_min = X_(k+1)`.
    #[serde(serialize_with = "crate::report::ser_f64")]
    pub x_min: f64,
    /// Tests, fits and the rule.
    pub evidence: Evidence,
}

/// Validates the raw sample.
fn validate(sample: &[f64], min_tail: usize) -> Result<()> {
    if sample.is_empty() {
        return Err(Error::Empty { name: "sample" });
    }
    if sample.len() < MIN_SAMPLE {
        return Err(Error::TooShort {
            name: "sample",
            len: sample.len(),
            min: MIN_SAMPLE,
        });
    }
    if let Some(&v) = sample.iter().find(|v| !v.is_finite()) {
        return Err(Error::NotFinite {
            name: "sample",
            value: v,
        });
    }
    if let Some((i, &v)) = sample
        .iter()
        .enumerate()
        .find(|(_, v)| v.abs() < f64::MIN_POSITIVE && **v != 0.0)
    {
        return Err(Error::Other(format!(
            "sample: value {v:e} (position {}) is subnormal, below the smallest normal f64 {:e}: logs and densities lose their precision there; rescale the data (e.g. multiply by 1e300)",
            i + 1,
            f64::MIN_POSITIVE
        )));
    }
    if sample.iter().all(|&v| v == sample[0]) {
        return Err(Error::Other(format!(
            "sample: all {} values equal {}; a constant has no tail",
            sample.len(),
            sample[0]
        )));
    }
    let pos = sample.iter().filter(|&&v| v > 0.0).count();
    if pos < min_tail.max(2) {
        let min = sample.iter().cloned().fold(f64::INFINITY, f64::min);
        return Err(Error::Other(format!(
            "sample: only {pos} of {} values are > 0 but the power-law tail fit needs at least {} \
             positive values; shift the data (e.g. subtract the minimum {min} and add 1, or analyse −x \
             for the left tail)",
            sample.len(),
            min_tail.max(2)
        )));
    }
    Ok(())
}

/// Moment estimator (Dekkers, Einmahl & de Haan 1989) at `k` from the top `k+1` values
/// (descending, all `> 0`) and its asymptotic variance `v(γ)` (`1 + γ²` for γ >= 0,
/// `(1−γ)²(1−2γ)(1−γ+6γ²)/((1−3γ)(1−4γ))` for γ < 0).
pub fn moment_estimator(top_desc: &[f64]) -> Result<(f64, f64)> {
    let k = top_desc.len().saturating_sub(1);
    if k < 2 {
        return Err(Error::TooShort {
            name: "top order statistics",
            len: top_desc.len(),
            min: 3,
        });
    }
    let t = top_desc[k];
    if !(t > 0.0) {
        return Err(Error::NotPositive {
            name: "threshold X_(k+1)",
            value: t,
        });
    }
    let lt = t.ln();
    let (mut m1, mut m2) = (Neumaier::new(), Neumaier::new());
    for &x in &top_desc[..k] {
        let l = x.ln() - lt;
        m1.add(l);
        m2.add(l * l);
    }
    let (m1, m2) = (m1.total() / k as f64, m2.total() / k as f64);
    let g = m1 + 1.0 - 0.5 / (1.0 - m1 * m1 / m2);
    let v = if g >= 0.0 {
        1.0 + g * g
    } else {
        (1.0 - g).powi(2) * (1.0 - 2.0 * g) * (1.0 - g + 6.0 * g * g)
            / ((1.0 - 3.0 * g) * (1.0 - 4.0 * g))
    };
    Ok((g, v))
}

/// The power law is the limit of the lognormal (`σ → ∞`, `μ → −∞`) and stretched-exponential
/// (`β → 0`) families, so when the alternative wins (`R < 0`) the pair is effectively nested and
/// Vuong's `z = R/(σ̂√n)` is `0/0`-unstable (both tend to 0 at the limit): the larger of the Vuong
/// and the boundary-χ² p-values is reported (conservative).
fn limit_safe(t: LrTest, ll_pl: &[f64], ll_alt: &[f64]) -> Result<LrTest> {
    if t.r >= 0.0 {
        return Ok(t);
    }
    let nested = nested_boundary(ll_pl, ll_alt)?;
    Ok(if nested.p_value > t.p_value {
        LrTest {
            p_value: nested.p_value,
            ..t
        }
    } else {
        t
    })
}

fn lr_result(name: &str, alt: &str, t: &LrTest, s: f64, detail: String) -> TestResult {
    let favours = if t.p_value < s {
        if t.r > 0.0 {
            "power law".to_string()
        } else {
            alt.to_string()
        }
    } else {
        "neither".to_string()
    };
    TestResult {
        name: name.to_string(),
        statistic: t.statistic,
        p_value: t.p_value,
        favours,
        detail: format!(
            "R = {:.4} (R > 0 favours the power law), n_tail = {}; {detail}",
            t.r, t.n
        ),
    }
}

fn describe(f: &Fit) -> String {
    let conv = if f.converged {
        ""
    } else {
        " (optimiser did not converge)"
    };
    let p = match f.model {
        TailModel::PowerLaw { alpha } => format!("α = {alpha:.4}"),
        TailModel::Exponential { lambda } => format!("λ = {lambda:.4e}"),
        TailModel::Lognormal { mu, sigma } => format!("μ = {mu:.4}, σ = {sigma:.4}"),
        TailModel::StretchedExp { lambda, beta } => format!("λ = {lambda:.4e}, β = {beta:.4}"),
        TailModel::TruncatedPowerLaw { alpha, lambda } => {
            format!("α = {alpha:.4}, λ = {lambda:.4e}")
        }
    };
    format!("{} fit: {p}, log-lik {:.3}{conv}", f.model.name(), f.loglik)
}

/// The verdict on the right tail of `sample` (see the module docs for the pipeline and rule).
///
/// `gamma` is the Hill estimate at `k = n_tail − 1` with threshold `x̂_min = X_(k+1)`; it
/// relates to the power-law MLE on the same tail by `1/γ̂ = (α̂ − 1)·k/(k + 1)`.
///
/// # Errors
/// [`Error::TooShort`] below [`MIN_SAMPLE`] values; [`Error::NotFinite`] for NaN/∞;
/// [`Error::Other`] for an all-equal sample or too few positive values (the message offers the
/// shift); errors of the fits.
pub fn verdict(sample: &[f64], opts: &VerdictOptions, seed: u64) -> Result<VerdictReport> {
    verdict_observed(sample, opts, seed, &crate::sim::NoObserver)
}

/// [`verdict`] reporting progress to `observer` (the GOF bootstrap, the longest stage, as one
/// bar of `replicates` units). Ctrl-C is checked in every stage that can take a second.
///
/// # Errors
/// As [`verdict`]; [`Error::Interrupted`] on Ctrl-C.
pub fn verdict_observed(
    sample: &[f64],
    opts: &VerdictOptions,
    seed: u64,
    observer: &dyn crate::sim::Observer,
) -> Result<VerdictReport> {
    let stop = || -> Result<()> {
        if crate::sim::interrupt::requested() {
            Err(Error::Interrupted { done: 0, total: 1 })
        } else {
            Ok(())
        }
    };
    validate(sample, opts.gof.min_tail)?;
    let mut sorted = sample.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let integer_data = is_integer_valued(&sorted);
    let distinct_values = distinct_sorted(&sorted);
    let mut notes = Vec::new();
    // integer data: the discrete power law (Clauset et al. 2009 §3.1) picks x̂_min
    // (with very many levels the continuous law is the right approximation, and the discrete
    // KS distance would cost a zeta evaluation per level)
    let discrete = if integer_data && opts.x_min.is_none() && distinct_values <= MAX_DISCRETE_LEVELS
    {
        match scan_xmin_discrete(&sorted, opts.gof.min_tail, opts.gof.max_candidates) {
            Ok(d) => Some(d),
            Err(Error::Interrupted { done, total }) => {
                return Err(Error::Interrupted { done, total })
            }
            Err(e) => {
                notes.push(format!(
                    "discrete power-law fit failed ({e}); x̂_min from the continuous scan"
                ));
                None
            }
        }
    } else {
        None
    };
    let mut gof_opts = opts.gof;
    let scan = match (opts.x_min, &discrete) {
        (Some(x), _) => fit_at(&sorted, x)?,
        (None, Some(d)) => {
            // the replicates keep this x̂_min: the continuous re-scan would pick another
            gof_opts.refit_xmin = false;
            notes.push(format!(
                "integer data: x̂_min = {} and α̂ = {:.4} from the discrete power law (KS = {:.4}, {} values above); the alternatives, LR tests and GOF bootstrap above it use the continuous forms (fixed x̂_min)",
                d.x_min, d.alpha, d.ks, d.n_tail
            ));
            fit_at(&sorted, d.x_min)?
        }
        (None, None) => scan_xmin(&sorted, &opts.gof)?,
    };
    let n = sorted.len();
    let tail = &sorted[n - scan.n_tail..];
    let x_min = scan.x_min;
    stop()?;
    let pl = fit_power_law(tail, x_min)?;
    let ex = fit_exponential(tail, x_min)?;
    stop()?;
    let ln = fit_lognormal(tail, x_min)?;
    stop()?;
    let se = fit_stretched_exp(tail, x_min)?;
    stop()?;
    let tpl = fit_truncated_power_law(tail, x_min)?;
    stop()?;
    let s = opts.significance;

    let t_ex = vuong(&pl.ln_pdf, &ex.ln_pdf)?;
    let t_ln = limit_safe(vuong(&pl.ln_pdf, &ln.ln_pdf)?, &pl.ln_pdf, &ln.ln_pdf)?;
    let t_se = limit_safe(vuong(&pl.ln_pdf, &se.ln_pdf)?, &pl.ln_pdf, &se.ln_pdf)?;
    // second look at a fixed threshold: the top 10 % (more power against light tails, whose
    // KS-selected x̂_min tends to be high with few values above)
    let k10 = (n / 10).min(sorted.iter().filter(|&&v| v > 0.0).count());
    let t_ex10 = if k10 >= opts.gof.min_tail.max(2) {
        let tail10 = &sorted[n - k10..];
        let xm = tail10[0];
        match (fit_power_law(tail10, xm), fit_exponential(tail10, xm)) {
            (Ok(a), Ok(b)) => Some((vuong(&a.ln_pdf, &b.ln_pdf)?, xm, b)),
            _ => None,
        }
    } else {
        None
    };
    if t_ex10.is_none() {
        notes.push(format!(
            "the power law vs exponential test on the top 10% was skipped: n/10 = {} values, fewer than the {} it needs (n >= {})",
            n / 10,
            opts.gof.min_tail.max(2),
            10 * opts.gof.min_tail.max(2)
        ));
    }
    let t_tpl = nested_boundary(&pl.ln_pdf, &tpl.ln_pdf)?;
    observer.begin("tails: GOF bootstrap", gof_opts.replicates as u64);
    let gof = bootstrap_gof_observed(&sorted, &scan, &gof_opts, seed, observer);
    observer.end();
    let gof = gof?;

    // Hill and moment estimators at k = n_tail − 1 (threshold x̂_min)
    let k = scan.n_tail - 1;
    let top: Vec<f64> = tail.iter().rev().copied().collect();
    let lx = x_min.ln();
    let mut h = Neumaier::new();
    for &x in &top[..k] {
        h.add(x.ln() - lx);
    }
    let hill_gamma = h.total() / k as f64;
    let half = opts.z / (k as f64).sqrt();
    let hill_gamma_ci = (hill_gamma * (1.0 - half), hill_gamma * (1.0 + half));
    let (gm, vm) = moment_estimator(&top)?;
    let moment_ci = |g: f64, v: f64, kk: usize| {
        let h = opts.z * v.sqrt() / (kk as f64).sqrt();
        (g - h, g + h)
    };
    let gm_ci = moment_ci(gm, vm, k);
    // threshold sensitivity of the headline γ̂: the moment estimator over k' ∈ [k/2, 2k]
    let n_pos = n - sorted.partition_point(|&v| v <= 0.0);
    let band_ks = threshold_band_ks(k, n_pos);
    let kmax_band = band_ks.last().copied().unwrap_or(k);
    let top_band: Vec<f64> = sorted[n - kmax_band - 1..].iter().rev().copied().collect();
    let (mut band, mut ci_thr) = ((gm, gm), gm_ci);
    for &kk in &band_ks {
        if let Ok((g, v)) = moment_estimator(&top_band[..=kk]) {
            let c = moment_ci(g, v, kk);
            band = (band.0.min(g), band.1.max(g));
            ci_thr = (ci_thr.0.min(c.0), ci_thr.1.max(c.1));
        }
    }
    let distinct_tail = distinct_sorted(tail);
    if distinct_values < FEW_DISTINCT || distinct_tail < MIN_DISTINCT_TAIL {
        notes.push(format!(
            "few distinct levels: {distinct_values} distinct values in the sample, {distinct_tail} above x̂_min; ties make the continuous fits and KS distances unreliable{}",
            if distinct_tail < MIN_DISTINCT_TAIL {
                format!(" (fewer than {MIN_DISTINCT_TAIL} above x̂_min: \"heavy\" is not issued)")
            } else {
                String::new()
            }
        ));
    }
    let std = crate::dist::Law::normal(0.0, 1.0)?;
    let gm_p = std.sf(gm / (vm.sqrt() / (k as f64).sqrt()));

    // GPD (peaks over threshold) at x̂_min: the excesses of the k values above it
    let shape_ci = |g: &GpdFit| (g.gamma - opts.z * g.se, g.gamma + opts.z * g.se);
    let gpd = if k >= GPD_MIN_EXCEEDANCES {
        gpd_fit(tail, &[x_min]).ok().map(|v| v[0])
    } else {
        None
    };
    let gpd_ci = gpd.as_ref().map(shape_ci);
    // second threshold choice: the double bootstrap on the positive values, GPD above it
    let first_pos = sorted.partition_point(|&v| v <= 0.0);
    let pos = &sorted[first_pos..];
    let dbs = if opts.double_bootstrap_replicates > 0 && pos.len() >= 100 {
        let cfg = DoubleBootstrapConfig {
            replicates: opts.double_bootstrap_replicates,
            seed,
            ..DoubleBootstrapConfig::default()
        };
        match double_bootstrap(pos, &cfg) {
            Ok(d) => {
                let g = if d.k >= GPD_MIN_EXCEEDANCES {
                    gpd_fit(&pos[pos.len() - d.k - 1..], &[d.threshold])
                        .ok()
                        .map(|v| v[0])
                } else {
                    None
                };
                let h = opts.z / (d.k as f64).sqrt();
                Some(DoubleBootstrapEvidence {
                    selection: d,
                    n_positive: pos.len(),
                    gamma_ci: (d.gamma * (1.0 - h), d.gamma * (1.0 + h)),
                    gpd: g,
                    gpd_ci: g.as_ref().map(shape_ci),
                })
            }
            Err(Error::Interrupted { done, total }) => {
                return Err(Error::Interrupted { done, total })
            }
            Err(_) => None,
        }
    } else {
        None
    };

    let beta = match se.model {
        TailModel::StretchedExp { beta, .. } => beta,
        _ => f64::NAN,
    };
    let mut tests = vec![
        lr_result(
            "Tail test: power law vs exponential (Vuong)",
            "exponential",
            &t_ex,
            s,
            describe(&ex),
        ),
        lr_result(
            "Tail test: power law vs lognormal (Vuong)",
            "lognormal",
            &t_ln,
            s,
            describe(&ln),
        ),
        lr_result(
            "Tail test: power law vs stretched exponential (Vuong)",
            "stretched exponential",
            &t_se,
            s,
            describe(&se),
        ),
        lr_result(
            "Tail test: power law vs truncated power law (nested, χ²₁/2)",
            "truncated power law",
            &t_tpl,
            s,
            describe(&tpl),
        ),
    ];
    if let Some((t, xm, ref f)) = t_ex10 {
        tests.push(lr_result(
            "Tail test: power law vs exponential on the top 10% (Vuong)",
            "exponential",
            &t,
            s,
            format!("x_min = {xm:.6}; {}", describe(f)),
        ));
    }
    tests.push(TestResult {
        name: "Tail test: power-law goodness of fit (KS, semi-parametric bootstrap)".into(),
        statistic: scan.ks,
        p_value: gof.p_value,
        favours: if gof.p_value >= opts.gof_threshold {
            "power law".into()
        } else {
            "neither".into()
        },
        detail: format!(
            "{}; B = {}, p SE = {:.3}, x_min {} per replicate",
            describe(&pl),
            gof.replicates,
            gof.p_se,
            if gof.refit_xmin {
                "re-selected"
            } else {
                "fixed"
            }
        ),
    });
    let level = 100.0 * (1.0 - 2.0 * std.sf(opts.z));
    tests.push(TestResult {
        name: "Tail shape: moment estimator (Dekkers–Einmahl–de Haan)".into(),
        statistic: gm,
        p_value: gm_p,
        favours: shape_favours(gm_ci),
        detail: format!(
            "γ̂_M = {gm:.4}, {level:.0}% CI [{:.4}, {:.4}] at k = {k}; p = P(γ <= 0)",
            gm_ci.0, gm_ci.1
        ),
    });

    let shape_test = |name: String, g: &GpdFit, ci: (f64, f64), extra: String| {
        TestResult {
        name,
        statistic: g.gamma,
        p_value: std.sf(g.gamma / g.se),
        favours: shape_favours(ci),
        detail: format!(
            "ξ̂ = {:.4} (SE {:.4}), {level:.0}% CI [{:.4}, {:.4}], σ̂ = {:.4e}, threshold u = {:.6}, {} exceedances; p = P(ξ <= 0){extra}",
            g.gamma, g.se, ci.0, ci.1, g.sigma, g.threshold, g.k
        ),
    }
    };
    if let (Some(g), Some(ci)) = (&gpd, gpd_ci) {
        tests.push(shape_test(
            "Tail shape: GPD maximum likelihood above x̂_min (peaks over threshold)".into(),
            g,
            ci,
            String::new(),
        ));
    }
    if let Some(d) = &dbs {
        if let (Some(g), Some(ci)) = (&d.gpd, d.gpd_ci) {
            let s = &d.selection;
            tests.push(shape_test(
                "Tail shape: GPD maximum likelihood above the double-bootstrap threshold (Danielsson et al. 2001)".into(),
                g,
                ci,
                format!(
                    "; double bootstrap on the {} positive values, B = {}: k* = {} (k1* = {} of n1 = {}, k2* = {} of n2 = {}), Hill γ̂(k*) = {:.4}, {level:.0}% CI [{:.4}, {:.4}]",
                    d.n_positive, opts.double_bootstrap_replicates, s.k, s.k1, s.n1, s.k2, s.n2, s.gamma, d.gamma_ci.0, d.gamma_ci.1
                ),
            ));
        }
    }

    let sig = |t: &LrTest, pl_wins: bool| t.p_value < s && ((t.r > 0.0) == pl_wins);
    let mut light_why = Vec::new();
    if sig(&t_ex, false) {
        light_why.push("exponential significantly favoured over the power law");
    }
    if t_ex10.as_ref().is_some_and(|(t, _, _)| sig(t, false)) {
        light_why.push("exponential significantly favoured over the power law on the top 10%");
    }
    if sig(&t_se, false) && beta >= 1.0 {
        light_why.push("stretched exponential with β̂ >= 1 significantly favoured");
    }
    if gm_ci.1 < 0.0 {
        light_why.push("moment-shape CI below 0");
    }
    if gpd_ci.is_some_and(|c| c.1 < 0.0) {
        light_why.push("GPD-shape CI above x̂_min below 0");
    }
    // "heavy" needs the power law significantly favoured over the exponential at x̂_min (Vuong
    // p < s, R > 0), and R > 0 on the top 10 % where that test runs
    let pl_beats_exp = sig(&t_ex, true) && t_ex10.as_ref().is_none_or(|(t, _, _)| t.r > 0.0);
    let enough_levels = distinct_tail >= MIN_DISTINCT_TAIL;
    let weibull_type = sig(&t_se, false) && beta >= 1.0;
    let gof_ok = gof.p_value >= opts.gof_threshold;
    // GPD shape CIs above 0 at both thresholds (x̂_min and the double-bootstrap x_(k*+1))
    let gpd_xmin_heavy = gpd_ci.is_some_and(|c| c.0 > 0.0);
    let gpd_dbs_heavy = dbs
        .as_ref()
        .and_then(|d| d.gpd_ci)
        .is_some_and(|c| c.0 > 0.0);
    let gpd_dbs_light = dbs
        .as_ref()
        .and_then(|d| d.gpd_ci)
        .is_some_and(|c| c.1 < 0.0);
    let common = pl_beats_exp && enough_levels && !weibull_type && gm_ci.0 > 0.0 && !gpd_dbs_light;
    let heavy_exact = common && gof_ok;
    let heavy_regular = common && !gof_ok && gpd_xmin_heavy && gpd_dbs_heavy;
    let heavy = heavy_exact || heavy_regular;
    let (verdict, rule) = if !light_why.is_empty() {
        (
            TailVerdict::Light,
            format!("light: {}", light_why.join("; ")),
        )
    } else if heavy_exact {
        (
            TailVerdict::Heavy,
            "heavy: power law significantly favoured over the exponential, no light alternative beats it, GOF p >= threshold, moment-shape CI above 0".to_string(),
        )
    } else if heavy {
        (
            TailVerdict::Heavy,
            "heavy: power law significantly favoured over the exponential, no light alternative beats it, moment-shape CI above 0, GPD-shape CIs above 0 at x̂_min and at the double-bootstrap threshold (power-law GOF rejected: regularly varying, not exactly Pareto above x̂_min)".to_string(),
        )
    } else {
        let mut why = Vec::new();
        if !pl_beats_exp {
            why.push(if t_ex.r > 0.0 && !sig(&t_ex, true) {
                "power law favoured over the exponential but not significantly"
            } else {
                "power law not favoured over the exponential at both thresholds"
            });
        }
        if !enough_levels {
            why.push("too few distinct values above x̂_min");
        }
        if !gof_ok {
            why.push(if gpd_xmin_heavy && gpd_dbs_heavy {
                "power-law GOF rejected"
            } else {
                "power-law GOF rejected and the GPD-shape CIs are not above 0 at both thresholds"
            });
        }
        if !(gm_ci.0 > 0.0) {
            why.push("moment-shape CI contains 0");
        }
        if gpd_dbs_light {
            why.push("GPD-shape CI above the double-bootstrap threshold below 0");
        }

        (
            TailVerdict::Undetermined,
            format!("undetermined (can't tell at this n): {}", why.join("; ")),
        )
    };
    Ok(VerdictReport {
        n,
        verdict,
        gamma: gm,
        gamma_ci: gm_ci,
        gamma_threshold_band: band,
        gamma_ci_threshold: ci_thr,
        threshold_band_k: (
            band_ks.first().copied().unwrap_or(k),
            band_ks.last().copied().unwrap_or(k),
        ),
        hill_gamma,
        hill_gamma_ci,
        integer_data,
        distinct_values,
        k,
        x_min,
        evidence: Evidence {
            tests,
            fits: vec![pl, ex, ln, se, tpl],
            discrete,
            gpd,
            gpd_ci,
            double_bootstrap: dbs,
            rule,
            notes,
        },
    })
}
