//! `kwa24-conditioning` (no paper figure): `E[V | X + V ≥ t]` against the threshold `t` for
//! each pair of laws in the config — the Theorem 5 instance, the Theorem 6 Gaussian, the
//! exponential borderline, the §5.2 counterexample and the best-of-N-matched laws of Figure
//! B.3 — with the asymptotes (`3/t`, `t/2`, `1`, …) as dashed guides.
//!
//! ```text
//! E[V | X+V ≥ t] = ∫ v f_V(v) S(t, v) dv / ∫ f_V(v) S(t, v) dv,  S(t, v) = Pr(X ≥ t − v | V = v)
//! ```
//! computed by [`conditional_mean`] (log-space adaptive quadrature, relative accuracy 1e-9).
//! Users add their own `[[pairs]]` (the explore path); `gate = [lo, hi]` makes the error
//! depend on `V` as in the §5.2 counterexample.

use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::dist::{Law, LawSpec};
use crate::error::{Error, Result};
use crate::output::Table;
use crate::plot::{chart_with_legend, svg_page, Axes, Guides, Legend, Series, Style};
use crate::report::Paper;
use crate::theory::goodhart::conditioning::{conditional_mean, Pair};

/// The figure.
pub static SPEC: FigureSpec = FigureSpec {
    id: "kwa24-conditioning",
    paper: Paper::Kwa2024,
    figure: None,
    title: "E[V | X+V ≥ t] against the threshold t (Theorems 5, 6, §5.2 counterexample)",
    source: "src/figures/kwa24_conditioning.rs",
    default_config: include_str!("../../simulations/kwa24-conditioning.toml"),
    produce,
};

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[&SPEC];

/// One pair of laws.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairSpec {
    /// Legend name.
    pub name: String,
    /// Which chart it is drawn in (panels appear in order of first use).
    pub panel: String,
    /// Error law (inside the gate, if any).
    pub x: LawSpec,
    /// Utility law.
    pub v: LawSpec,
    /// `[lo, hi]`: `X ~ x` only when `lo ≤ V ≤ hi`, else `X = 0`. Absent: `X ⟂ V`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<[f64; 2]>,
}

impl PairSpec {
    /// The validated pair.
    ///
    /// # Errors
    /// Bad law parameters or gate.
    pub fn pair(&self) -> Result<Pair> {
        let (x, v) = (Law::from_spec(&self.x)?, Law::from_spec(&self.v)?);
        match self.gate {
            None => Ok(Pair::independent(x, v)),
            Some([lo, hi]) => Pair::gated(v, x, lo, hi),
        }
    }
}

/// A guide `y = coef · t^power`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asymptote {
    /// Legend name.
    pub name: String,
    /// Panel.
    pub panel: String,
    /// Coefficient.
    pub coef: f64,
    /// Power of `t`.
    pub power: f64,
    /// Draw in the colour of the pair with this name (default grey).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour_of: Option<String>,
}

/// Config of `kwa24-conditioning`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditioningConfig {
    /// Smallest threshold (> 0: the t-axis is logarithmic).
    pub t_min: f64,
    /// Largest threshold.
    pub t_max: f64,
    /// Thresholds, geometrically spaced.
    pub points: usize,
    /// Logarithmic y-axis (non-positive values are then left out of the plot, not the CSV).
    pub y_log: bool,
    /// Pairs of laws.
    pub pairs: Vec<PairSpec>,
    /// Dashed guides.
    #[serde(default)]
    pub asymptotes: Vec<Asymptote>,
}

/// Palette index of the house grey.
const GREY: usize = 6;

/// `n` geometrically spaced points from `a` to `b`.
pub fn geomspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![a];
    }
    (0..n)
        .map(|i| (a.ln() + (b.ln() - a.ln()) * i as f64 / (n - 1) as f64).exp())
        .collect()
}

fn produce(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: ConditioningConfig = crate::config::from_table(input.config.clone(), &input.origin)?;
    crate::error::positive_finite("t_min", cfg.t_min)?;
    crate::error::positive_finite("t_max", cfg.t_max)?;
    if !(cfg.t_min < cfg.t_max) {
        return Err(Error::Config(format!(
            "{}: need t_min < t_max, got {} and {}",
            input.origin, cfg.t_min, cfg.t_max
        )));
    }
    if cfg.pairs.is_empty() {
        return Err(Error::Config(format!("{}: `pairs` is empty", input.origin)));
    }
    if cfg.points < 2 {
        return Err(Error::TooShort {
            name: "points",
            len: cfg.points,
            min: 2,
        });
    }
    let points = if input.quick {
        cfg.points.min(13)
    } else {
        cfg.points
    };
    let ts = geomspace(cfg.t_min, cfg.t_max, points);
    let mut panels: Vec<String> = Vec::new();
    for p in cfg
        .pairs
        .iter()
        .map(|p| &p.panel)
        .chain(cfg.asymptotes.iter().map(|a| &a.panel))
    {
        if !panels.contains(p) {
            panels.push(p.clone());
        }
    }
    let mut table = Table::new(&[
        "panel",
        "series",
        "kind",
        "t",
        "e_v_given_u_ge_t",
        "ln_prob_u_ge_t",
        "quad_error",
    ]);
    let mut series: Vec<Vec<Series>> = vec![Vec::new(); panels.len()];
    let mut summary = serde_json::Map::new();
    input
        .observer
        .begin("kwa24-conditioning", cfg.pairs.len() as u64);
    for ps in &cfg.pairs {
        let pair = ps.pair()?;
        let pi = panels.iter().position(|p| *p == ps.panel).unwrap_or(0);
        let mut pts = Vec::with_capacity(ts.len());
        for &t in &ts {
            let c = conditional_mean(&pair, t)
                .map_err(|e| Error::Other(format!("pair `{}` at t = {t}: {e}", ps.name)))?;
            table.push(vec![
                ps.panel.clone().into(),
                ps.name.clone().into(),
                "quadrature".into(),
                t.into(),
                c.mean_v.into(),
                c.ln_mass.into(),
                c.quad_error.into(),
            ])?;
            pts.push((t, c.mean_v));
        }
        let (tmax, emax) =
            pts.iter().copied().fold(
                (f64::NAN, f64::NEG_INFINITY),
                |a, b| if b.1 > a.1 { b } else { a },
            );
        let last = pts[pts.len() - 1];
        summary.insert(
            ps.name.clone(),
            serde_json::json!({
                "pair": pair.name(),
                "e_v_at_t_min": pts[0].1, "e_v_at_t_max": last.1, "t_max": last.0,
                "largest_e_v": emax, "at_t": tmax,
                "e_v_prior": pair.v().mean(),
            }),
        );
        // skip the grey, kept for guides
        let color = match series[pi].len() {
            c if c >= GREY => c + 1,
            c => c,
        };
        series[pi].push(Series::line(ps.name.clone(), pts, color).styled(Style::Line));
        input.observer.advance(1);
    }
    input.observer.end();
    for a in &cfg.asymptotes {
        let pi = panels.iter().position(|p| *p == a.panel).unwrap_or(0);
        let pts: Vec<(f64, f64)> = ts.iter().map(|&t| (t, a.coef * t.powf(a.power))).collect();
        for &(t, y) in &pts {
            table.push(vec![
                a.panel.clone().into(),
                a.name.clone().into(),
                "asymptote".into(),
                t.into(),
                y.into(),
                f64::NAN.into(),
                f64::NAN.into(),
            ])?;
        }
        let colour = match &a.colour_of {
            None => GREY,
            Some(name) => series[pi]
                .iter()
                .find(|s| s.name == *name)
                .map(|s| s.color)
                .ok_or_else(|| {
                    Error::Config(format!(
                        "{}: asymptote `{}`: colour_of = `{name}` names no pair in panel `{}`",
                        input.origin, a.name, a.panel
                    ))
                })?,
        };
        series[pi].push(Series::line(a.name.clone(), pts, colour).styled(Style::Dashed));
    }
    let n = panels.len() as u32;
    let footer = "goodhart figure kwa24-conditioning  |  your laws: goodhart config show kwa24-conditioning > my.toml; goodhart simulate --config my.toml";
    let svg = svg_page(1000, 560 * n + 22, footer, |area| {
        let parts = area.split_evenly((n as usize, 1));
        for (i, part) in parts.iter().enumerate() {
            let axes = Axes {
                x_label: "threshold t on the proxy U = X + V".into(),
                y_label: "E[V | X + V ≥ t]".into(),
                x_log: true,
                y_log: cfg.y_log,
                x_range: Some((cfg.t_min, cfg.t_max)),
                y_range: y_range(&series[i], cfg.y_log),
            };
            chart_with_legend(
                part,
                &panels[i],
                &axes,
                &series[i],
                &Guides::default(),
                Legend::UpperLeft,
            )?;
        }
        Ok(())
    })?;
    Ok(FigureOutput {
        config: crate::config::to_json(&ConditioningConfig { points, ..cfg }),
        table,
        svg,
        summary: serde_json::Value::Object(summary),
    })
}

/// The y-range of the computed (solid) series, so that the guides do not stretch the axis.
fn y_range(series: &[Series], log: bool) -> Option<(f64, f64)> {
    let ys = series
        .iter()
        .filter(|s| s.style != Style::Dashed)
        .flat_map(|s| s.points.iter().map(|p| p.1));
    let (lo, hi) = ys
        .filter(|y| y.is_finite() && (!log || *y > 0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
    if !(lo < hi) {
        return None;
    }
    if log {
        Some((lo / 2.0, hi * 8.0))
    } else {
        let pad = 0.05 * (hi - lo);
        Some((lo - pad, hi + 4.0 * pad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::testing;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    #[test]
    fn default_config_shape_and_values() {
        let t = testing::config(SPEC.default_config);
        let out = produce(&testing::input(t, true)).unwrap();
        assert!(out.svg.contains("<svg") && out.svg.contains("goodhart figure kwa24-conditioning"));
        // quick: 13 thresholds × (9 pairs + 5 asymptotes)
        assert_eq!(out.table.rows.len(), 13 * 14);
        let (ci, ct, ce) = (
            out.table.col("series").unwrap(),
            out.table.col("t").unwrap(),
            out.table.col("e_v_given_u_ge_t").unwrap(),
        );
        let get = |name: &str, t: f64| {
            out.table
                .rows
                .iter()
                .find(|r| r[ci] == name.into() && (r[ct].as_f64().unwrap() - t).abs() < 1e-9 * t)
                .map(|r| r[ce].as_f64().unwrap())
                .unwrap()
        };
        // spec §6.5: Theorem 5 instance at t = 1 (0.75636) and 10⁴ (0.00030)
        assert_close(
            get("Thm 5: X ~ t3, V ~ N(0,1)", 1.0),
            0.75636,
            Tolerance::abs(5e-6),
        );
        assert_close(
            get("Thm 5: X ~ t3, V ~ N(0,1)", 1e4),
            0.00030,
            Tolerance::abs(5e-6),
        );
        // Gaussian at t = 1: (1/√2) φ(1/√2)/Φ̄(1/√2) = 0.91635282065 (Python math.erfc; spec §6.5
        // prints 0.916350, off in the 6th digit)
        assert_close(
            get("Thm 6: X, V ~ N(0,1)", 1.0),
            0.9163528206493492,
            Tolerance::rel(1e-9),
        );
        // counterexample at t = 1: 0.7398 (spec §6.5)
        assert_close(
            get("§5.2: X | V ~ N(0,4) if |V| ≤ 1, else X = 0", 1.0),
            0.7398,
            Tolerance::abs(5e-5),
        );
        assert_close(
            get("3/t (Thm 5: α·Var V/t)", 1e4),
            3e-4,
            Tolerance::rel(1e-12),
        );
    }

    #[test]
    fn user_pair_and_bad_config() {
        let toml = r#"
t_min = 2.0
t_max = 5.0
points = 2
y_log = false
[[pairs]]
name = "mine"
panel = "p"
x = { family = "laplace", scale = 2.0 }
v = { family = "normal" }
"#;
        let t = crate::config::parse_toml(toml, "mine.toml").unwrap();
        let out = produce(&FigureInput {
            origin: "mine.toml".into(),
            ..testing::input(t, false)
        })
        .unwrap();
        assert_eq!(out.table.rows.len(), 2);
        let bad = crate::config::parse_toml(
            &toml.replace("points = 2", "points = 2\nbogus = 1"),
            "mine.toml",
        )
        .unwrap();
        let e = produce(&FigureInput {
            origin: "mine.toml".into(),
            ..testing::input(bad, false)
        });
        assert!(matches!(e, Err(Error::Config(ref m)) if m.contains("bogus")));
    }
}
