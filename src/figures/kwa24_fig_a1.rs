//! Figure A.1: the Theorem 1 construction `P_t` on a Student-t(3) base law `Q`.
//!
//! Two outputs:
//! * `kwa24-fig-a1` — the paper's three stills (frames 1, 24, 50 of 50 thresholds
//!   `t_i = 1.5·(100/1.5)^{(i−1)/49}`: t = 1.5, 10.7699, 100), one row each: a bar chart of
//!   `E_{P_t}[X]` and `D_KL(P_t‖Q)` (y 0–5), and the densities of `P_t` and `Q` on a linear
//!   (0–0.4) and a log (1e−10 … 10) y axis, x from −3 to 30. Table: one row per (frame, x).
//! * `kwa24-fig-a1-sweep` — all 50 thresholds: `E_{P_t}[X]` and KL against `t` for the tail
//!   masses `c·t^{−a}` (the figure, a = 0.8: mean diverges) and `c/t` (the proof: mean → 1.5c),
//!   with the asymptote `c·ν/(ν−1)·t^{1−a}`. Table: one row per (frame, tail-mass rule).
//!
//! ```text
//! p_t = ((1 − m)/F_Q(t))·q  on x <= t,    p_t = (m/F̄_Q(t))·q  on x > t,    m = c·t^{−a}
//! ```
//! Every number comes from the closed forms of [`crate::theory::goodhart::heavy_tail`] (exact at
//! any `t`; the authors' script used `scipy.stats.t.expect`, which is inaccurate for t ≳ 1e4).
//! Reference: Kwa, Thomas, Garriga-Alonso 2024, Figure A.1 (script `goodhart_kl_theorem_graph.py`);
//! spec `../shared/spec/kwa2024.md` §3 "Figure A.1", §6.1.

use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::error::{Error, Result};
use crate::output::Table;
use crate::plot::{
    bar_chart, chart_with_legend, svg_page, Axes, Bar, Guides, Legend, Series, Style,
};
use crate::report::{fmt_num, Paper};
use crate::theory::goodhart::heavy_tail::{
    fig_a1_thresholds, p_t_construction, power_tail_mass, BaseLaw, PtNumbers, StudentT,
};

/// The three stills.
pub static STILLS: FigureSpec = FigureSpec {
    id: "kwa24-fig-a1",
    paper: Paper::Kwa2024,
    figure: Some("A.1"),
    title: "Theorem 1 construction P_t on Student-t(3): E[X] and KL, densities of P_t and Q (t = 1.5, 10.77, 100)",
    source: "src/figures/kwa24_fig_a1.rs",
    default_config: include_str!("../../simulations/kwa24-fig-a1.toml"),
    produce: produce_stills,
};

/// The whole sweep over the thresholds.
pub static SWEEP: FigureSpec = FigureSpec {
    id: "kwa24-fig-a1-sweep",
    paper: Paper::Kwa2024,
    figure: None,
    title: "Theorem 1 construction on Student-t(3), all thresholds: E[X] grows and KL shrinks (tail mass t^-0.8 vs 1/t)",
    source: "src/figures/kwa24_fig_a1.rs",
    default_config: include_str!("../../simulations/kwa24-fig-a1-sweep.toml"),
    produce: produce_sweep,
};

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[&STILLS, &SWEEP];

/// Config of `kwa24-fig-a1` (defaults: the authors' script).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FigA1Config {
    /// Degrees of freedom of the Student-t base law (> 1).
    pub df: f64,
    /// Constant `c` of the tail mass `c·t^{−exponent}`.
    pub c: f64,
    /// Exponent `a` of the tail mass (0.8 in the paper; 1 is the proof's `c/t`).
    pub exponent: f64,
    /// Smallest threshold.
    pub t_min: f64,
    /// Largest threshold.
    pub t_max: f64,
    /// Number of geometrically spaced thresholds.
    pub frames: usize,
    /// Frames (1-based) drawn as stills.
    pub stills: Vec<usize>,
    /// Left end of the density plots.
    pub x_min: f64,
    /// Right end of the density plots.
    pub x_max: f64,
    /// Density grid points (linspace).
    pub x_points: usize,
}

impl Default for FigA1Config {
    fn default() -> Self {
        Self {
            df: 3.0,
            c: 1.0,
            exponent: 0.8,
            t_min: 1.5,
            t_max: 100.0,
            frames: 50,
            stills: vec![1, 24, 50],
            x_min: -3.0,
            x_max: 30.0,
            x_points: 200,
        }
    }
}

/// Config of `kwa24-fig-a1-sweep`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FigA1SweepConfig {
    /// Degrees of freedom of the Student-t base law (> 1).
    pub df: f64,
    /// Constant `c` of both tail-mass rules (`c·t^{−exponent}` and `c/t`).
    pub c: f64,
    /// Exponent `a` of the first rule.
    pub exponent: f64,
    /// Smallest threshold.
    pub t_min: f64,
    /// Largest threshold.
    pub t_max: f64,
    /// Number of geometrically spaced thresholds.
    pub frames: usize,
    /// Frames (1-based) marked as the paper's stills.
    pub stills: Vec<usize>,
}

impl Default for FigA1SweepConfig {
    fn default() -> Self {
        Self {
            df: 3.0,
            c: 1.0,
            exponent: 0.8,
            t_min: 1.5,
            t_max: 100.0,
            frames: 50,
            stills: vec![1, 24, 50],
        }
    }
}

fn check_common(c: f64, exponent: f64, frames: usize, stills: &[usize]) -> Result<()> {
    crate::error::positive_finite("c", c)?;
    crate::error::positive_finite("exponent", exponent)?;
    if stills.is_empty() {
        return Err(Error::Empty { name: "stills" });
    }
    for &s in stills {
        if s == 0 || s > frames {
            return Err(Error::OutOfRange {
                name: "stills[]",
                value: s as f64,
                range: "1..=frames",
            });
        }
    }
    Ok(())
}

/// `c·ν/(ν−1)·t^{1−a}`: the large-`t` mean of `P_t` under tail mass `c·t^{−a}` for a Student-t(ν) base.
pub fn mean_asymptote(df: f64, c: f64, a: f64, t: f64) -> f64 {
    c * df / (df - 1.0) * t.powf(1.0 - a)
}

/// Splits a polyline into the runs that lie inside `[y0, y1]`, cutting segments at the bounds
/// (interpolating in log10 space on a log axis), so that a chart with a fixed y range never draws
/// outside its plotting area.
fn clip_y(points: &[(f64, f64)], y0: f64, y1: f64, log: bool) -> Vec<Vec<(f64, f64)>> {
    let f = |y: f64| if log { y.log10() } else { y };
    let g = |y: f64| if log { 10f64.powf(y) } else { y };
    let (a, b) = (f(y0), f(y1));
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    let inside = |y: f64| y >= a && y <= b;
    for w in points.windows(2) {
        let (p, q) = (w[0], w[1]);
        let (yp, yq) = (f(p.1), f(q.1));
        if !(yp.is_finite() && yq.is_finite()) {
            if !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let cross = |lvl: f64| -> (f64, f64) {
            let s = (lvl - yp) / (yq - yp);
            (p.0 + s * (q.0 - p.0), g(lvl))
        };
        match (inside(yp), inside(yq)) {
            (true, true) => {
                if cur.is_empty() {
                    cur.push(p);
                }
                cur.push(q);
            }
            (true, false) => {
                if cur.is_empty() {
                    cur.push(p);
                }
                cur.push(cross(if yq > b { b } else { a }));
                runs.push(std::mem::take(&mut cur));
            }
            (false, true) => {
                cur.push(cross(if yp > b { b } else { a }));
                cur.push(q);
            }
            (false, false) => {
                // a segment may pass through the whole range
                if (yp > b && yq < a) || (yp < a && yq > b) {
                    let (e1, e2) = if yp > b { (b, a) } else { (a, b) };
                    runs.push(vec![cross(e1), cross(e2)]);
                }
            }
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

/// Line series clipped to `y_range`: the first run carries the legend name.
fn clipped(
    name: &str,
    points: &[(f64, f64)],
    color: usize,
    y_range: (f64, f64),
    log: bool,
) -> Vec<Series> {
    clip_y(points, y_range.0, y_range.1, log)
        .into_iter()
        .enumerate()
        .map(|(i, run)| {
            Series::line(
                if i == 0 {
                    name.to_string()
                } else {
                    String::new()
                },
                run,
                color,
            )
        })
        .collect()
}

fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            if i + 1 == n {
                b
            } else {
                a + (b - a) * i as f64 / (n - 1) as f64
            }
        })
        .collect()
}

fn fmt_t(t: f64) -> String {
    let s = format!("{t:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn produce_stills(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: FigA1Config = crate::config::from_table(input.config.clone(), &input.origin)?;
    let q = StudentT::new(cfg.df)?;
    check_common(cfg.c, cfg.exponent, cfg.frames, &cfg.stills)?;
    let ts = fig_a1_thresholds(cfg.t_min, cfg.t_max, cfg.frames)?;
    if !(cfg.x_min.is_finite() && cfg.x_max.is_finite() && cfg.x_min < cfg.x_max) {
        return Err(Error::OutOfRange {
            name: "x_max",
            value: cfg.x_max,
            range: "finite, > x_min",
        });
    }
    if cfg.x_points < 2 {
        return Err(Error::TooShort {
            name: "x_points",
            len: cfg.x_points,
            min: 2,
        });
    }
    let xs = linspace(cfg.x_min, cfg.x_max, cfg.x_points);
    let mut table = Table::new(&[
        "frame",
        "threshold_t",
        "x",
        "density_p_t_per_x",
        "density_q_per_x",
    ]);
    let mut stills: Vec<(usize, PtNumbers)> = Vec::new();
    input
        .observer
        .begin("kwa24-fig-a1", cfg.stills.len() as u64);
    for &frame in &cfg.stills {
        let t = ts[frame - 1];
        let p = p_t_construction(&q, t, power_tail_mass(cfg.c, cfg.exponent, t))?;
        for &x in &xs {
            table.push(vec![
                frame.into(),
                t.into(),
                x.into(),
                p.density(&q, x).into(),
                q.pdf(x).into(),
            ])?;
        }
        stills.push((frame, p));
        input.observer.advance(1);
    }
    input.observer.end();
    let summary = serde_json::json!({
        "base": format!("Student-t({})", cfg.df),
        "tail_mass": format!("{}·t^-{}", cfg.c, cfg.exponent),
        "stills": stills.iter().map(|(f, p)| serde_json::json!({
            "frame": f, "threshold_t": p.t, "tail_mass": p.tail_mass, "mean_x": p.mean, "kl_nats": p.kl,
            "left_factor": p.left_factor, "right_factor": p.right_factor,
        })).collect::<Vec<_>>(),
        "spec_values": "spec §3/§6.1: t=1.5: E 1.876961, KL 1.005666; t=10.7699: 2.413442, 0.634085; t=100: 3.767895, 0.227243",
    });
    let rows = stills.len() as u32;
    let (w, row_h) = (1500u32, 380u32);
    let title = format!(
        "Figure A.1 — Theorem 1: P_t rescales Q = t({}) below and above t, mass {}·t^-{} above t",
        cfg.df, cfg.c, cfg.exponent
    );
    let svg = svg_page(
        w,
        50 + rows * row_h + 22,
        "goodhart figure kwa24-fig-a1",
        |page| {
            let page = page
                .titled(&title, ("sans-serif", 20))
                .map_err(|e| Error::Other(format!("plot: {e:?}")))?;
            let row_areas = page.split_evenly((stills.len(), 1));
            for ((frame, p), row) in stills.iter().zip(row_areas.iter()) {
                let (bars_area, rest) = row.split_horizontally(300);
                let panels = rest.split_evenly((1, 2));
                let bars = [
                    Bar {
                        label: "E[X]".into(),
                        value: p.mean,
                        color: 0,
                    },
                    Bar {
                        label: "D_KL(P_t‖Q)".into(),
                        value: p.kl,
                        color: 1,
                    },
                ];
                bar_chart(
                    &bars_area,
                    &format!("frame {frame}: t = {}", fmt_t(p.t)),
                    "value (nats for KL)",
                    &bars,
                    Some((0.0, 5.0)),
                )?;
                // density lines with the jump at t drawn vertically
                let mut pts_p: Vec<(f64, f64)> = Vec::with_capacity(xs.len() + 2);
                for &x in &xs {
                    if x > p.t
                        && pts_p.last().is_some_and(|l: &(f64, f64)| l.0 <= p.t)
                        && cfg.x_min < p.t
                    {
                        pts_p.push((p.t, p.left_factor * q.pdf(p.t)));
                        pts_p.push((p.t, p.right_factor * q.pdf(p.t)));
                    }
                    pts_p.push((x, p.density(&q, x)));
                }
                let pts_q: Vec<(f64, f64)> = xs.iter().map(|&x| (x, q.pdf(x))).collect();
                let guides = if p.t > cfg.x_min && p.t < cfg.x_max {
                    Guides {
                        vlines: vec![(p.t, " t".into())],
                        hlines: vec![],
                    }
                } else {
                    Guides::default()
                };
                for (k, (log, yr)) in [(false, (0.0, 0.4)), (true, (1e-10, 10.0))]
                    .into_iter()
                    .enumerate()
                {
                    let mut series = clipped("P_t", &pts_p, 0, yr, log);
                    series.extend(clipped("Q", &pts_q, 1, yr, log));
                    let axes = Axes {
                        x_label: "x".into(),
                        y_label: "density".into(),
                        x_log: false,
                        y_log: log,
                        x_range: Some((cfg.x_min, cfg.x_max)),
                        y_range: Some(yr),
                    };
                    let name = format!(
                        "Threshold: t={}{}",
                        fmt_t(p.t),
                        if log { " (log y)" } else { "" }
                    );
                    chart_with_legend(
                        &panels[k],
                        &name,
                        &axes,
                        &series,
                        &guides,
                        Legend::UpperRight,
                    )?;
                }
            }
            Ok(())
        },
    )?;
    Ok(FigureOutput {
        config: crate::config::to_json(&cfg),
        table,
        svg,
        summary,
    })
}

fn produce_sweep(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: FigA1SweepConfig = crate::config::from_table(input.config.clone(), &input.origin)?;
    let q = StudentT::new(cfg.df)?;
    check_common(cfg.c, cfg.exponent, cfg.frames, &cfg.stills)?;
    let ts = fig_a1_thresholds(cfg.t_min, cfg.t_max, cfg.frames)?;
    let rule_a = format!("{}·t^-{}", cfg.c, cfg.exponent);
    let rule_1 = format!("{}/t", cfg.c);
    let mut table = Table::new(&[
        "frame",
        "threshold_t",
        "tail_mass_rule",
        "tail_mass",
        "mean_x",
        "kl_nats",
        "left_factor",
        "right_factor",
    ]);
    let (mut mean_a, mut mean_1, mut kl_a, mut kl_1, mut asym, mut still_mean, mut still_kl) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut first_last = Vec::new();
    input.observer.begin("kwa24-fig-a1-sweep", ts.len() as u64);
    for (i, &t) in ts.iter().enumerate() {
        let frame = i + 1;
        let pa = p_t_construction(&q, t, power_tail_mass(cfg.c, cfg.exponent, t))?;
        let p1 = p_t_construction(&q, t, cfg.c / t)?;
        for (rule, p) in [(&rule_a, &pa), (&rule_1, &p1)] {
            table.push(vec![
                frame.into(),
                t.into(),
                rule.as_str().into(),
                p.tail_mass.into(),
                p.mean.into(),
                p.kl.into(),
                p.left_factor.into(),
                p.right_factor.into(),
            ])?;
        }
        mean_a.push((t, pa.mean));
        mean_1.push((t, p1.mean));
        kl_a.push((t, pa.kl));
        kl_1.push((t, p1.kl));
        asym.push((t, mean_asymptote(cfg.df, cfg.c, cfg.exponent, t)));
        if cfg.stills.contains(&frame) {
            still_mean.push((t, pa.mean));
            still_kl.push((t, pa.kl));
        }
        if frame == 1 || frame == ts.len() {
            first_last.push(serde_json::json!({"frame": frame, "threshold_t": t, "mean_x": pa.mean, "kl_nats": pa.kl, "mean_x_inv": p1.mean, "kl_nats_inv": p1.kl}));
        }
        input.observer.advance(1);
    }
    input.observer.end();
    let limit = cfg.c * cfg.df / (cfg.df - 1.0);
    let summary = serde_json::json!({
        "base": format!("Student-t({})", cfg.df),
        "rules": [rule_a, rule_1],
        "first_and_last": first_last,
        "mean_limit_for_c_over_t": limit,
        "erratum": "the paper's caption says the mean converges 'to ~1' for tail mass 1/t; the exact limit is c·ν/(ν−1) = 1.5 for t3, c = 1",
    });
    let svg = svg_page(1400, 600, "goodhart figure kwa24-fig-a1-sweep", |page| {
        let title = format!("Theorem 1 construction on Student-t({}), all {} thresholds: E[X] and KL of P_t (tail mass {rule_a} vs {rule_1})", cfg.df, ts.len());
        let page = page
            .titled(&title, ("sans-serif", 18))
            .map_err(|e| Error::Other(format!("plot: {e:?}")))?;
        let panels = page.split_evenly((1, 2));
        let mut s1 = vec![
            Series::line(format!("tail mass {rule_a}"), mean_a.clone(), 0),
            Series::line(
                format!(
                    "asymptote {}·t^{}",
                    fmt_num(cfg.c * cfg.df / (cfg.df - 1.0)),
                    fmt_num(1.0 - cfg.exponent)
                ),
                asym.clone(),
                0,
            )
            .styled(Style::Dashed),
            Series::line(format!("tail mass {rule_1}"), mean_1.clone(), 2),
        ];
        let ends = vec![(ts[0], limit), (ts[ts.len() - 1], limit)];
        s1.push(
            Series::line(
                format!("limit c·ν/(ν−1) = {} of tail mass {rule_1}", fmt_num(limit)),
                ends,
                2,
            )
            .styled(Style::Dashed),
        );
        s1.push(Series::line("paper's stills", still_mean.clone(), 6).styled(Style::Points));
        let ax1 = Axes {
            x_label: "threshold t".into(),
            y_label: "E[X] under P_t".into(),
            x_log: true,
            ..Default::default()
        };
        chart_with_legend(
            &panels[0],
            "mean of P_t",
            &ax1,
            &s1,
            &Guides::default(),
            Legend::UpperLeft,
        )?;
        let s2 = vec![
            Series::line(format!("tail mass {rule_a}"), kl_a.clone(), 0),
            Series::line(format!("tail mass {rule_1}"), kl_1.clone(), 2),
            Series::line("paper's stills", still_kl.clone(), 6).styled(Style::Points),
        ];
        let ax2 = Axes {
            x_label: "threshold t".into(),
            y_label: "D_KL(P_t ‖ Q)  [nats]".into(),
            x_log: true,
            y_range: Some((
                0.0,
                kl_a.iter().chain(&kl_1).map(|p| p.1).fold(0.0, f64::max) * 1.05,
            )),
            ..Default::default()
        };
        chart_with_legend(
            &panels[1],
            "KL divergence from Q",
            &ax2,
            &s2,
            &Guides::default(),
            Legend::UpperRight,
        )
    })?;
    Ok(FigureOutput {
        config: crate::config::to_json(&cfg),
        table,
        svg,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::testing;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    fn run(spec: &FigureSpec) -> FigureOutput {
        let mut t = crate::config::parse_toml(spec.default_config, "x").unwrap();
        let h = crate::config::split_header(&mut t, "x").unwrap();
        assert_eq!(
            h.simulation.as_deref(),
            Some(spec.id),
            "first line names the id"
        );
        (spec.produce)(&testing::input(t, true)).unwrap()
    }

    #[test]
    fn embedded_defaults_are_the_struct_defaults() {
        for (spec, check) in [(&STILLS, 0), (&SWEEP, 1)] {
            assert!(spec
                .default_config
                .starts_with(&format!("simulation = \"{}\"\n", spec.id)));
            let t = testing::config(spec.default_config);
            if check == 0 {
                assert_eq!(
                    crate::config::from_table::<FigA1Config>(t, "x").unwrap(),
                    FigA1Config::default()
                );
            } else {
                assert_eq!(
                    crate::config::from_table::<FigA1SweepConfig>(t, "x").unwrap(),
                    FigA1SweepConfig::default()
                );
            }
        }
    }

    #[test]
    fn stills_match_spec() {
        let out = run(&STILLS);
        assert_eq!(out.table.rows.len(), 3 * 200);
        assert_eq!(
            out.table.columns,
            [
                "frame",
                "threshold_t",
                "x",
                "density_p_t_per_x",
                "density_q_per_x"
            ]
        );
        assert!(out.svg.contains("goodhart figure kwa24-fig-a1"));
        // spec §3 "Figure A.1" / §6.1 (mpmath): values on the stills, to the printed digits.
        let want = [
            (1, 1.5, 1.876961, 1.005666),
            (24, 10.769900437589, 2.413442, 0.634085),
            (50, 100.0, 3.767895, 0.227243),
        ];
        let s = out.summary["stills"].as_array().unwrap();
        for ((frame, t, mean, kl), got) in want.iter().zip(s) {
            assert_eq!(got["frame"].as_u64().unwrap(), *frame as u64);
            assert_close(
                got["threshold_t"].as_f64().unwrap(),
                *t,
                Tolerance::rel(1e-12),
            );
            assert_close(got["mean_x"].as_f64().unwrap(), *mean, Tolerance::abs(5e-7));
            assert_close(got["kl_nats"].as_f64().unwrap(), *kl, Tolerance::abs(5e-7));
        }
        // densities integrate the construction: at x = 0, P_t = r_lo·q(0), q(0) = 6√3/(9π)
        let q0 = 6.0 * 3f64.sqrt() / (9.0 * std::f64::consts::PI);
        let row = out
            .table
            .rows
            .iter()
            .find(|r| r[0].as_f64() == Some(1.0) && r[2].as_f64().is_some_and(|x| x.abs() < 0.1))
            .unwrap();
        assert_close(
            row[4].as_f64().unwrap(),
            6.0 * 3f64.sqrt()
                / (std::f64::consts::PI * (3.0 + row[2].as_f64().unwrap().powi(2)).powi(2)),
            Tolerance::rel(1e-12),
        );
        assert!(q0 > 0.36 && q0 < 0.37);
    }

    #[test]
    fn sweep_rows_and_limits() {
        let out = run(&SWEEP);
        assert_eq!(out.table.rows.len(), 2 * 50);
        let last = &out.summary["first_and_last"][1];
        assert_close(
            last["mean_x"].as_f64().unwrap(),
            3.767895,
            Tolerance::abs(5e-7),
        );
        assert_close(
            last["mean_x_inv"].as_f64().unwrap(),
            1.499926,
            Tolerance::abs(5e-7),
        );
        assert!(out.svg.contains("goodhart figure kwa24-fig-a1-sweep"));
    }

    #[test]
    fn bad_config_is_an_error_naming_the_key() {
        let t = crate::config::parse_toml("stills = [0]", "my.toml").unwrap();
        let e = produce_stills(&FigureInput {
            origin: "my.toml".into(),
            ..testing::input(t, true)
        })
        .err()
        .unwrap();
        assert!(
            matches!(
                e,
                Error::OutOfRange {
                    name: "stills[]",
                    ..
                }
            ),
            "{e}"
        );
        let t = crate::config::parse_toml("dff = 3.0", "my.toml").unwrap();
        let e = produce_sweep(&FigureInput {
            origin: "my.toml".into(),
            ..testing::input(t, true)
        })
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("dff"), "{e}");
        let t = crate::config::parse_toml("c = 5.0", "my.toml").unwrap();
        let e = produce_sweep(&FigureInput {
            origin: "my.toml".into(),
            ..testing::input(t, true)
        })
        .err()
        .unwrap();
        assert!(
            matches!(
                e,
                Error::OutOfRange {
                    name: "tail mass",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn clipping_cuts_at_the_bounds() {
        let pts = [(0.0, 0.1), (1.0, 0.5), (2.0, 0.1), (3.0, 0.2)];
        let runs = clip_y(&pts, 0.0, 0.4, false);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].len(), 2);
        assert_close(runs[0][1].0, 0.75, Tolerance::rel(1e-12));
        assert_eq!(runs[0][1].1, 0.4);
        assert_close(runs[1][0].0, 1.25, Tolerance::rel(1e-12));
        assert_eq!(*runs[1].last().unwrap(), (3.0, 0.2));
        let runs = clip_y(&[(0.0, 1e-12), (1.0, 1e-8)], 1e-10, 10.0, true);
        assert_close(runs[0][0].0, 0.5, Tolerance::rel(1e-12));
    }
}
