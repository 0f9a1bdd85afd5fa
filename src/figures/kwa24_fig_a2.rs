//! `kwa24-fig-a2` — Figure A.2 of Kwa, Thomas, Garriga-Alonso 2024: "Conditional distribution
//! of V across the four regions" of Theorem 5's proof (Table A.1).
//!
//! ```text
//! blue   −ln F̄_X(t − v)
//! orange −ln f_V(v)
//! green  −ln p(v | X+V ≥ t) = blue + orange + ln Pr(X+V ≥ t)
//! regions R1 = (−∞, −h], R2 = (−h, h), R3 = [h, t−h], R4 = (t−h, ∞)
//! ```
//!
//! The laws behind the paper's diagram are UNCONFIRMED (spec §3); the default config uses
//! `X ~ t₃`, `V ~ Laplace(0, 1)`, `t = 25`, `h = 4` and says so in the title. The summary
//! reports the conditional mass of each region (quadrature, [`conditional_cell_masses`]):
//! with heavy-tailed error almost all of it sits in R2, where `V` keeps its prior shape.

use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::dist::{Law, LawSpec};
use crate::error::{finite, Error, Result};
use crate::output::Table;
use crate::plot::{chart_with_legend, svg_page, Axes, Guides, Legend, Series, Style};
use crate::report::Paper;
use crate::theory::goodhart::conditioning::{conditional_cell_masses, conditional_mean, Pair};

/// Figure A.2.
pub static SPEC: FigureSpec = FigureSpec {
    id: "kwa24-fig-a2",
    paper: Paper::Kwa2024,
    figure: Some("A.2"),
    title: "Conditional distribution of V across the four regions (Theorem 5)",
    source: "src/figures/kwa24_fig_a2.rs",
    default_config: include_str!("../../simulations/kwa24-fig-a2.toml"),
    produce,
};

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[&SPEC];

/// Config of `kwa24-fig-a2`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigA2Config {
    /// Threshold `t` on the proxy `U = X + V`.
    pub t: f64,
    /// Window `h(t)` of the proof (regions cut at `−h`, `h`, `t − h`).
    pub h: f64,
    /// Left end of the v-axis.
    pub v_min: f64,
    /// Right end of the v-axis.
    pub v_max: f64,
    /// Grid points.
    pub points: usize,
    /// Error law (independent of `V`).
    pub x: LawSpec,
    /// Utility law.
    pub v: LawSpec,
}

/// The three curves on a grid: `(v, −ln F̄_X(t−v), −ln f_V(v), −ln p(v | U ≥ t))`.
///
/// # Errors
/// As [`conditional_mean`].
pub fn curves(x: &Law, v: &Law, t: f64, grid: &[f64]) -> Result<(f64, Vec<[f64; 4]>)> {
    let ln_mass = conditional_mean(&Pair::independent(x.clone(), v.clone()), t)?.ln_mass;
    let rows = grid
        .iter()
        .map(|&w| {
            let blue = -x.ln_sf(t - w);
            let orange = -v.ln_pdf(w);
            [w, blue, orange, blue + orange + ln_mass]
        })
        .collect();
    Ok((ln_mass, rows))
}

fn produce(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: FigA2Config = crate::config::from_table(input.config.clone(), &input.origin)?;
    finite("t", cfg.t)?;
    crate::error::positive_finite("h", cfg.h)?;
    finite("v_min", cfg.v_min)?;
    finite("v_max", cfg.v_max)?;
    if !(cfg.v_min < cfg.v_max) {
        return Err(Error::Config(format!(
            "{}: need v_min < v_max, got {} and {}",
            input.origin, cfg.v_min, cfg.v_max
        )));
    }
    if !(cfg.h < cfg.t - cfg.h) {
        return Err(Error::Config(format!(
            "{}: need h < t − h (h <= t/2), got h = {}, t = {}",
            input.origin, cfg.h, cfg.t
        )));
    }
    if cfg.points < 2 {
        return Err(Error::TooShort {
            name: "points",
            len: cfg.points,
            min: 2,
        });
    }
    let (x, v) = (Law::from_spec(&cfg.x)?, Law::from_spec(&cfg.v)?);
    let n = cfg.points;
    let grid: Vec<f64> = (0..n)
        .map(|i| cfg.v_min + (cfg.v_max - cfg.v_min) * i as f64 / (n - 1) as f64)
        .collect();
    let (ln_mass, rows) = curves(&x, &v, cfg.t, &grid)?;
    let pair = Pair::independent(x.clone(), v.clone());
    let edges = [
        f64::NEG_INFINITY,
        -cfg.h,
        cfg.h,
        cfg.t - cfg.h,
        f64::INFINITY,
    ];
    let masses = conditional_cell_masses(&pair, cfg.t, &edges)?;
    let cm = conditional_mean(&pair, cfg.t)?;

    let names = [
        "neg_ln_sf_x_at_t_minus_v",
        "neg_ln_pdf_v",
        "neg_ln_cond_pdf_v",
    ];
    let mut table = Table::new(&["series", "v", "value_nats"]);
    for (k, name) in names.iter().enumerate() {
        for r in &rows {
            table.push(vec![(*name).into(), r[0].into(), r[k + 1].into()])?;
        }
    }
    let labels = [
        "−ln F̄_X(t − v)",
        "−ln f_V(v)",
        "−ln p(v | X+V ≥ t)  (= sum of the two + const)",
    ];
    let series: Vec<Series> = (0..3)
        .map(|k| {
            Series::line(
                labels[k],
                rows.iter().map(|r| (r[0], r[k + 1])).collect(),
                [0, 1, 2][k],
            )
            .styled(Style::Line)
        })
        .collect();
    let guides = Guides {
        vlines: vec![
            (-cfg.h, String::new()),
            (cfg.h, String::new()),
            (cfg.t - cfg.h, String::new()),
        ],
        hlines: Vec::new(),
    };
    // region names and masses above the curves, at each region's middle; the legend sits above them
    let ymax = rows
        .iter()
        .flat_map(|r| r[1..].iter().copied())
        .filter(|y| y.is_finite())
        .fold(0.0, f64::max);
    let ytop = 1.5 * ymax;
    let mids = [
        0.5 * (cfg.v_min + (-cfg.h).max(cfg.v_min)),
        0.0,
        0.5 * (cfg.h + cfg.t - cfg.h),
        0.5 * (cfg.t - cfg.h + cfg.v_max.max(cfg.t - cfg.h)),
    ];
    let region_text: Vec<String> = masses
        .iter()
        .enumerate()
        .map(|(i, m)| {
            format!(
                "{}\n{}",
                [
                    "R1: v ≤ −h",
                    "R2: |v| < h",
                    "R3: h ≤ v ≤ t−h",
                    "R4: v > t−h"
                ][i],
                pct(*m)
            )
        })
        .collect();
    let title = format!(
        "Conditional distribution of V across the four regions — X ~ {}, V ~ {}, t = {}, h = {}",
        x.name(),
        v.name(),
        cfg.t,
        cfg.h
    );
    let axes = Axes {
        x_label: format!(
            "v (utility);  dashed lines at −h = −{}, h = {}, t − h = {}",
            cfg.h,
            cfg.h,
            cfg.t - cfg.h
        ),
        y_label: "negative log density / tail  [nats]".into(),
        x_range: Some((cfg.v_min, cfg.v_max)),
        y_range: Some((
            0.0f64.min(
                rows.iter()
                    .flat_map(|r| r[1..].iter().copied())
                    .fold(f64::INFINITY, f64::min),
            ),
            ytop,
        )),
        ..Default::default()
    };
    let footer =
        "goodhart figure kwa24-fig-a2  |  laws UNCONFIRMED in the paper: our choice, see config";
    let svg = svg_page(1100, 620, footer, |a| {
        chart_with_legend(a, &title, &axes, &series, &guides, Legend::UpperLeft)?;
        region_labels(a, &axes, &mids, &region_text, ytop)
    })?;
    let summary = serde_json::json!({
        "laws": { "x": x.name(), "v": v.name(), "note": "the paper's laws are UNCONFIRMED (spec §3 Figure A.2); this is the config's choice" },
        "t": cfg.t, "h": cfg.h,
        "ln_prob_u_ge_t": ln_mass,
        "e_v_given_u_ge_t": cm.mean_v,
        "conditional_mass": { "R1 (v <= -h)": masses[0], "R2 (|v| < h)": masses[1], "R3 (h <= v <= t-h)": masses[2], "R4 (v > t-h)": masses[3] },
    });
    Ok(FigureOutput {
        config: crate::config::to_json(&cfg),
        table,
        svg,
        summary,
    })
}

fn pct(m: f64) -> String {
    if m >= 1e-3 {
        format!("conditional mass {:.2}%", 100.0 * m)
    } else {
        format!("conditional mass {m:.1e}")
    }
}

/// Writes each region's name and conditional mass near the top of its region, as a
/// transparent helper chart on the same coordinates (same margins as [`crate::plot::chart`]).
fn region_labels(
    area: &crate::plot::Area<'_>,
    axes: &Axes,
    mids: &[f64],
    text: &[String],
    ytop: f64,
) -> Result<()> {
    use plotters::prelude::*;
    let perr = |e: DrawingAreaErrorKind<_>| Error::Other(format!("plot: {e:?}"));
    let (x0, x1) = axes.x_range.unwrap_or((0.0, 1.0));
    let (y0, _) = axes.y_range.unwrap_or((0.0, 1.0));
    let mut ch = ChartBuilder::on(area)
        .caption(" ", ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..ytop)
        .map_err(perr)?;
    let style = ("sans-serif", 13)
        .into_font()
        .color(&RGBColor(60, 60, 60))
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        ));
    for (m, t) in mids.iter().zip(text) {
        let (name, rest) = t.split_once('\n').unwrap_or((t.as_str(), ""));
        let y = y0 + 0.8 * (ytop - y0);
        ch.draw_series([Text::new(name.to_string(), (*m, y), style.clone())])
            .map_err(perr)?;
        ch.draw_series([Text::new(
            rest.to_string(),
            (*m, y - 0.05 * (ytop - y0)),
            style.clone(),
        )])
        .map_err(perr)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::testing;
    use crate::numerics::{tolerance::assert_close, Tolerance};
    use crate::theory::goodhart::conditioning::ln_joint_mass;

    fn run() -> FigureOutput {
        let t = testing::config(SPEC.default_config);
        produce(&testing::input(t, true)).unwrap()
    }

    #[test]
    fn default_config_shape_and_regions() {
        let out = run();
        assert!(out.svg.contains("<svg") && out.svg.contains("goodhart figure kwa24-fig-a2"));
        assert_eq!(out.table.rows.len(), 3 * 451);
        assert_eq!(out.table.columns, ["series", "v", "value_nats"]);
        let m = &out.summary["conditional_mass"];
        let r: Vec<f64> = [
            "R1 (v <= -h)",
            "R2 (|v| < h)",
            "R3 (h <= v <= t-h)",
            "R4 (v > t-h)",
        ]
        .iter()
        .map(|k| m[k].as_f64().unwrap())
        .collect();
        assert_close(r.iter().sum::<f64>(), 1.0, Tolerance::rel(1e-8));
        // heavy-tailed error: most of the conditional mass keeps V typical (R2), R4 is negligible
        assert!(r[1] > 0.9 && r[3] < 1e-4, "{r:?}");
        // orange at v = 0 is −ln(1/2) for Laplace(0, 1)
        let at0 = out
            .table
            .rows
            .iter()
            .find(|row| row[0] == "neg_ln_pdf_v".into() && row[1].as_f64() == Some(0.0))
            .unwrap();
        assert_close(at0[2].as_f64().unwrap(), 2f64.ln(), Tolerance::rel(1e-12));
    }

    #[test]
    fn green_is_the_conditional_density() {
        // Independent reference: the derivative of the conditional CDF Pr(V <= v | U >= t),
        // computed by quadrature of the joint mass, equals exp(−green); and green − blue − orange
        // is the same constant ln Pr(U >= t) everywhere.
        let x = Law::student_t(3.0, 0.0, 1.0).unwrap();
        let v = Law::laplace(0.0, 1.0).unwrap();
        let t = 25.0;
        let pts = [-6.0, -1.5, 0.7, 10.0, 22.0];
        let (ln_mass, rows) = curves(&x, &v, t, &pts).unwrap();
        let pair = Pair::independent(x.clone(), v.clone());
        for r in &rows {
            assert_close(r[3] - r[1] - r[2], ln_mass, Tolerance::abs(1e-12));
            let e = 1e-3;
            let ln_cell = ln_joint_mass(&pair, t, r[0] - e, r[0] + e).unwrap();
            let density = (ln_cell - ln_mass).exp() / (2.0 * e);
            assert_close(density, (-r[3]).exp(), Tolerance::rel(1e-5));
        }
    }
}
