//! Reusable tail plots, each drawn from data into a [`crate::plot::Area`] in the house style:
//! the Hill plot (and the alt-Hill plot of Drees, de Haan & Resnick 2000), the log-log
//! complementary CDF with fitted Pareto tails, the Pareto quantile plot and the mean-excess plot.
//!
//! ```text
//! x_(1) >= x_(2) >= … >= x_(n)                      (descending order statistics)
//! Hill:        γ̂(k) = (1/k)·Σ_{i<=k} ln x_(i) − ln x_(k+1),  SE ≈ γ̂(k)/√k   (band ±1.96·SE)
//! alt-Hill:    the same curve against θ = ln k / ln n
//! CCDF:        F̄(x_(i)) ≈ i/n;  fitted tail at k: F̄(x) = (k/n)·(x/x_(k+1))^(−1/γ̂(k)), x >= x_(k+1)
//! Pareto QQ:   (−ln(i/(n+1)), ln x_(i)); a Pareto-type tail is linear with slope γ at the top
//! mean excess: e(u) = mean(x − u | x > u) at u = x_(k+1): e = (1/k)·Σ_{i<=k} x_(i) − x_(k+1)
//! ```
//!
//! A heavy (Pareto-type, γ > 0) tail gives a Hill plot that settles at γ, a straight CCDF and
//! Pareto QQ plot at the top, and a mean-excess plot that rises linearly; a light tail gives a Hill
//! plot that drifts to 0 as k falls, a CCDF that bends down, and a flat or falling mean excess.
//! References: Hill (1975); Beirlant, Goegebeur, Segers & Teugels (2004), *Statistics of
//! Extremes*, §4.2–4.3; Embrechts, Klüppelberg & Mikosch (1997) §6.2. The Hill, CCDF and Pareto
//! QQ plots need positive values: pass the positive part (see [`positive_part`]).
//!
//! Large samples are thinned for drawing only (every one of the top 200 ranks, then about 600
//! log-spaced ranks): every estimate is computed from the full sample.

use crate::error::{Error, Result};
use crate::estimate::hill::{hill_all_k, top_descending};
use crate::numerics::Neumaier;
use crate::output::Table;
use crate::plot::{chart_with_legend, Area, Axes, Guides, Legend, Series, Style};

/// The Hill estimates `γ̂(k)` over a range of `k`, with the sample size they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct HillCurve {
    /// Number of (positive) values in the sample.
    pub n: usize,
    /// The `k`s, ascending.
    pub k: Vec<usize>,
    /// `γ̂(k)` for each `k`.
    pub gamma: Vec<f64>,
}

impl HillCurve {
    /// Asymptotic standard error `γ̂(k)/√k` of each point.
    pub fn se(&self) -> Vec<f64> {
        self.k
            .iter()
            .zip(&self.gamma)
            .map(|(&k, &g)| g / (k as f64).sqrt())
            .collect()
    }

    /// `γ̂(k)` at one `k` of the curve.
    pub fn at(&self, k: usize) -> Option<f64> {
        self.k.iter().position(|&j| j == k).map(|i| self.gamma[i])
    }

    /// The curve as a tidy table `k, theta, gamma, se, lo95, hi95` (θ = ln k / ln n).
    ///
    /// # Errors
    /// Table errors (none for a well-formed curve).
    pub fn table(&self) -> Result<Table> {
        let mut t = Table::new(&["k", "theta", "gamma", "se", "lo95", "hi95"]);
        let ln_n = (self.n as f64).ln();
        for ((&k, &g), s) in self.k.iter().zip(&self.gamma).zip(self.se()) {
            t.push(vec![
                (k as f64).into(),
                ((k as f64).ln() / ln_n).into(),
                g.into(),
                s.into(),
                (g - 1.96 * s).into(),
                (g + 1.96 * s).into(),
            ])?;
        }
        Ok(t)
    }
}

/// The values `x − shift` that are `> 0` (the sample a Hill-type estimator sees after shifting).
pub fn positive_part(x: &[f64], shift: f64) -> Vec<f64> {
    x.iter().map(|v| v - shift).filter(|v| *v > 0.0).collect()
}

/// `γ̂(k)` for `k = kmin..=kmax` on the positive sample `x`.
///
/// # Errors
/// As [`hill_all_k`]; [`Error::OutOfRange`] if `kmin` is 0 or above `kmax`.
pub fn hill_curve(x: &[f64], kmin: usize, kmax: usize) -> Result<HillCurve> {
    if kmin == 0 || kmin > kmax {
        return Err(Error::OutOfRange {
            name: "k_min",
            value: kmin as f64,
            range: "[1, k_max]",
        });
    }
    let all = hill_all_k(x, kmax)?;
    Ok(HillCurve {
        n: x.len(),
        k: (kmin..=kmax).collect(),
        gamma: all[kmin - 1..].to_vec(),
    })
}

/// How the Hill plot shows uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HillBand {
    /// No uncertainty.
    None,
    /// A translucent band `γ̂ ± 1.96·γ̂/√k` (asymptotic 95 %).
    Band95,
    /// Error bars `γ̂ ± γ̂/√k` at every `k` (the convention of Kwa et al. Figures 1–2).
    ErrorBarsSe,
}

/// Draws a Hill plot of `curve`: against `k`, or with `alt` against `θ = ln k / ln n`; `marks`
/// are vertical guides at chosen `k` (e.g. the selected threshold), `hlines` horizontal ones.
///
/// # Errors
/// Drawing errors.
pub fn hill_plot(
    area: &Area<'_>,
    title: &str,
    curve: &HillCurve,
    alt: bool,
    band: HillBand,
    marks: &[(usize, String)],
    hlines: &[(f64, String)],
) -> Result<()> {
    let ln_n = (curve.n as f64).ln();
    let xof = |k: usize| {
        if alt {
            (k as f64).ln() / ln_n
        } else {
            k as f64
        }
    };
    let se = curve.se();
    let pts: Vec<(f64, f64)> = curve
        .k
        .iter()
        .zip(&curve.gamma)
        .map(|(&k, &g)| (xof(k), g))
        .collect();
    let mut s = Series::line("Hill estimate γ̂(k)", pts, 0);
    match band {
        HillBand::None => {}
        HillBand::Band95 => {
            s.name = "γ̂(k) ± 1.96·γ̂/√k".into();
            s = s.with_band(
                curve
                    .k
                    .iter()
                    .zip(&curve.gamma)
                    .zip(&se)
                    .map(|((&k, &g), &e)| (xof(k), g - 1.96 * e, g + 1.96 * e))
                    .collect(),
            );
        }
        HillBand::ErrorBarsSe => {
            s.name = "γ̂(k) ± γ̂/√k".into();
            s = s.styled(Style::LinePoints).with_error_bars(
                curve
                    .k
                    .iter()
                    .zip(&curve.gamma)
                    .zip(&se)
                    .map(|((&k, &g), &e)| (xof(k), g - e, g + e))
                    .collect(),
            );
        }
    }
    let guides = Guides {
        vlines: marks.iter().map(|(k, l)| (xof(*k), l.clone())).collect(),
        hlines: hlines.to_vec(),
    };
    let axes = Axes {
        x_label: if alt {
            "θ = ln k / ln n  (k upper order statistics)".into()
        } else {
            "number of upper order statistics k".into()
        },
        y_label: "Hill estimator γ̂ = 1/α̂".into(),
        ..Default::default()
    };
    chart_with_legend(area, title, &axes, &[s], &guides, Legend::UpperRight)
}

/// Ranks `1..=n` to draw: every rank up to 200, then about 600 log-spaced ones, always `n`.
pub fn display_ranks(n: usize) -> Vec<usize> {
    let mut r: Vec<usize> = (1..=n.min(200)).collect();
    if n > 200 {
        let (a, b) = (200f64.ln(), (n as f64).ln());
        for j in 1..=600 {
            let v = (a + (b - a) * j as f64 / 600.0).exp().round() as usize;
            if v > *r.last().unwrap_or(&0) && v <= n {
                r.push(v);
            }
        }
        if *r.last().unwrap_or(&0) != n {
            r.push(n);
        }
    }
    r
}

/// A fitted Pareto tail to draw on the CCDF and Pareto QQ plots: `γ` estimated from the top `k`.
#[derive(Debug, Clone, PartialEq)]
pub struct TailLine {
    /// Legend label.
    pub name: String,
    /// Extreme-value index `γ = 1/α` (> 0).
    pub gamma: f64,
    /// Number of upper order statistics the fit used (threshold `x_(k+1)`).
    pub k: usize,
}

fn check_positive(x: &[f64]) -> Result<Vec<f64>> {
    if x.len() < 2 {
        return Err(Error::TooShort {
            name: "sample",
            len: x.len(),
            min: 2,
        });
    }
    for &v in x {
        if !(v > 0.0) || !v.is_finite() {
            return Err(Error::NotPositive {
                name: "sample (tail plots need positive values; shift the data)",
                value: v,
            });
        }
    }
    Ok(top_descending(x, x.len()))
}

/// Draws the empirical complementary CDF `i/n` at `x_(i)` on log-log axes for the top `top`
/// ranks (`usize::MAX`: all), with each fitted tail `(k/n)·(x/x_(k+1))^(−1/γ)` over `x >= x_(k+1)`.
///
/// # Errors
/// [`Error::TooShort`] / [`Error::NotPositive`] for the sample; drawing errors.
pub fn ccdf_plot(
    area: &Area<'_>,
    title: &str,
    x: &[f64],
    fits: &[TailLine],
    top: usize,
) -> Result<()> {
    let d = check_positive(x)?;
    let n = d.len() as f64;
    let pts: Vec<(f64, f64)> = display_ranks(d.len().min(top.max(2)))
        .into_iter()
        .map(|i| (d[i - 1], i as f64 / n))
        .collect();
    let mut series = vec![Series::line("empirical P(X ≥ x)", pts, 6).styled(Style::Points)];
    for (j, f) in fits.iter().enumerate() {
        if f.k == 0 || f.k >= d.len() || !(f.gamma > 0.0) {
            continue;
        }
        let u = d[f.k];
        let top = d[0];
        let line: Vec<(f64, f64)> = (0..=40)
            .map(|s| {
                let xv = u * (top / u).powf(s as f64 / 40.0);
                (xv, (f.k as f64 / n) * (xv / u).powf(-1.0 / f.gamma))
            })
            .collect();
        series.push(Series::line(f.name.clone(), line, 1 + j).styled(Style::Dashed));
    }
    let axes = Axes {
        x_label: "x".into(),
        y_label: "empirical P(X ≥ x)".into(),
        x_log: true,
        y_log: true,
        ..Default::default()
    };
    chart_with_legend(
        area,
        title,
        &axes,
        &series,
        &Guides::default(),
        Legend::LowerLeft,
    )
}

/// Draws the Pareto quantile plot `(−ln(i/(n+1)), ln x_(i))` for the top `top` ranks
/// (`usize::MAX`: all), with each fitted tail as the line of slope `γ` through
/// `(−ln((k+1)/(n+1)), ln x_(k+1))`.
///
/// # Errors
/// [`Error::TooShort`] / [`Error::NotPositive`] for the sample; drawing errors.
pub fn pareto_qq_plot(
    area: &Area<'_>,
    title: &str,
    x: &[f64],
    fits: &[TailLine],
    top: usize,
) -> Result<()> {
    let d = check_positive(x)?;
    let n1 = d.len() as f64 + 1.0;
    let q = |i: usize| -(i as f64 / n1).ln();
    let pts: Vec<(f64, f64)> = display_ranks(d.len().min(top.max(2)))
        .into_iter()
        .map(|i| (q(i), d[i - 1].ln()))
        .collect();
    let mut series = vec![Series::line("(−ln(i/(n+1)), ln x_(i))", pts, 6).styled(Style::Points)];
    for (j, f) in fits.iter().enumerate() {
        if f.k == 0 || f.k >= d.len() || !(f.gamma > 0.0) {
            continue;
        }
        let (x0, y0) = (q(f.k + 1), d[f.k].ln());
        let x1 = q(1);
        series.push(
            Series::line(
                f.name.clone(),
                vec![(x0, y0), (x1, y0 + f.gamma * (x1 - x0))],
                1 + j,
            )
            .styled(Style::Dashed),
        );
    }
    let axes = Axes {
        x_label: "standard exponential quantile −ln(i/(n+1))".into(),
        y_label: "ln x_(i)".into(),
        ..Default::default()
    };
    chart_with_legend(
        area,
        title,
        &axes,
        &series,
        &Guides::default(),
        Legend::UpperLeft,
    )
}

/// Mean excess `e(u) = (1/k)·Σ_{i<=k} x_(i) − x_(k+1)` at the thresholds `u = x_(k+1)`, for the
/// `k` in `ks` (each `1 <= k <= n − 1`); any real sample. Returns `(u, e)` pairs.
///
/// # Errors
/// [`Error::TooShort`] below 2 values, [`Error::NotFinite`] for a non-finite value,
/// [`Error::OutOfRange`] for a `k` outside `[1, n − 1]`.
pub fn mean_excess(x: &[f64], ks: &[usize]) -> Result<Vec<(f64, f64)>> {
    if x.len() < 2 {
        return Err(Error::TooShort {
            name: "sample",
            len: x.len(),
            min: 2,
        });
    }
    if let Some(&v) = x.iter().find(|v| !v.is_finite()) {
        return Err(Error::NotFinite {
            name: "sample",
            value: v,
        });
    }
    if let Some(&k) = ks.iter().find(|&&k| k == 0 || k >= x.len()) {
        return Err(Error::OutOfRange {
            name: "k",
            value: k as f64,
            range: "[1, n − 1]",
        });
    }
    let kmax = ks.iter().copied().max().unwrap_or(1);
    let d = top_descending(x, kmax + 1);
    let mut sum = Neumaier::new();
    let mut e = Vec::with_capacity(kmax);
    for k in 1..=kmax {
        sum.add(d[k - 1]);
        e.push((d[k], sum.total() / k as f64 - d[k]));
    }
    Ok(ks.iter().map(|&k| e[k - 1]).collect())
}

/// Draws the mean-excess plot `e(u)` against the threshold `u = x_(k+1)` (any real sample; the
/// top 5 thresholds, which average fewer than 5 values, are left out).
///
/// # Errors
/// As [`mean_excess`]; drawing errors.
pub fn mean_excess_plot(area: &Area<'_>, title: &str, x: &[f64]) -> Result<()> {
    let ks: Vec<usize> = display_ranks(x.len().saturating_sub(1))
        .into_iter()
        .filter(|&k| k >= 5)
        .collect();
    let pts = mean_excess(x, &ks)?;
    let axes = Axes {
        x_label: "threshold u".into(),
        y_label: "mean excess E[X − u | X > u]".into(),
        ..Default::default()
    };
    chart_with_legend(
        area,
        title,
        &axes,
        &[Series::line("e(u) at u = x_(k+1), k >= 5", pts, 2).styled(Style::LinePoints)],
        &Guides::default(),
        Legend::UpperRight,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};
    use crate::plot::svg_page;

    #[test]
    fn mean_excess_matches_direct_and_exponential_is_flat() {
        // x = {1, 2, 3, 4}: e at u = x_(2) = 3 is 4 − 3 = 1; at u = x_(4) = 1: (4+3+2)/3 − 1 = 2.
        let e = mean_excess(&[3.0, 1.0, 4.0, 2.0], &[1, 3]).unwrap();
        assert_eq!(e, vec![(3.0, 1.0), (1.0, 2.0)]);
        // Exponential quantiles: the mean excess is the scale (memorylessness), here 1.
        let n = 20_000;
        let x: Vec<f64> = (1..=n)
            .map(|i| -(1.0 - (i as f64 - 0.5) / n as f64).ln())
            .collect();
        let e = mean_excess(&x, &[2_000, 10_000]).unwrap();
        for (_, v) in e {
            assert_close(v, 1.0, Tolerance::rel(0.01));
        }
        assert!(mean_excess(&[1.0], &[1]).is_err());
        assert!(mean_excess(&[1.0, f64::NAN], &[1]).is_err());
        assert!(mean_excess(&[1.0, 2.0], &[2]).is_err());
    }

    #[test]
    fn hill_curve_and_ranks() {
        // Pareto(α = 2) quantiles x_i = (1 − p_i)^(−1/2): γ̂ ≈ 0.5 at moderate k.
        let n = 10_000;
        let x: Vec<f64> = (1..=n)
            .map(|i| (1.0 - (i as f64 - 0.5) / n as f64).powf(-0.5))
            .collect();
        let c = hill_curve(&x, 10, 1_000).unwrap();
        assert_eq!(c.k.len(), 991);
        assert_close(c.at(1_000).unwrap(), 0.5, Tolerance::rel(0.01));
        assert_close(c.se()[0], c.gamma[0] / 10f64.sqrt(), Tolerance::rel(1e-15));
        assert_eq!(c.table().unwrap().rows.len(), 991);
        assert!(hill_curve(&x, 0, 5).is_err());
        let r = display_ranks(30_000);
        assert!(r.windows(2).all(|w| w[0] < w[1]));
        assert_eq!((r[0], r[199], *r.last().unwrap()), (1, 200, 30_000));
        assert_eq!(display_ranks(3), vec![1, 2, 3]);
        assert_eq!(positive_part(&[1.0, 2.0, 3.0], 1.5), vec![0.5, 1.5]);
    }

    #[test]
    fn plots_render_and_reject_nonpositive() {
        let x: Vec<f64> = (1..=500).map(|i| 1.0 / (i as f64 / 501.0)).collect();
        let c = hill_curve(&x, 2, 200).unwrap();
        let fits = [TailLine {
            name: "γ̂ = 1".into(),
            gamma: 1.0,
            k: 50,
        }];
        let svg = svg_page(900, 600, "goodhart tails", |a| {
            let p = a.split_evenly((2, 3));
            hill_plot(
                &p[0],
                "Hill",
                &c,
                false,
                HillBand::Band95,
                &[(50, "k".into())],
                &[],
            )?;
            hill_plot(&p[1], "alt", &c, true, HillBand::ErrorBarsSe, &[], &[])?;
            ccdf_plot(&p[2], "ccdf", &x, &fits, usize::MAX)?;
            pareto_qq_plot(&p[3], "qq", &x, &fits, 100)?;
            mean_excess_plot(&p[4], "me", &x)
        })
        .unwrap();
        assert!(svg.contains("<svg") && svg.contains("alt"));
        let bad = svg_page(100, 100, "f", |a| ccdf_plot(a, "t", &[1.0, -1.0], &[], 10));
        assert!(matches!(bad, Err(Error::NotPositive { .. })));
    }
}
