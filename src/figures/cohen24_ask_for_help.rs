//! Figure `cohen24-ask-for-help` (Theorems 3 and 4 of Cohen et al. 2024, Definitions 3–4, check
//! C6; `figure = null`): the pessimistic imitator on the clock world with µ = B0: ask-for-help
//! probability θ_t and the partial sums `Σ_{s<=t} θ_s³` for several α, under both posterior-update
//! rules (all actions: exact, one deterministic run; demonstrator only: Monte Carlo over the query
//! times, mean ± SE, Rao–Blackwellised).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::error::{Error, Result};
use crate::output::Table;
use crate::plot::{chart_with_legend, svg_page, Axes, Guides, Legend, Series, Style};
use crate::report::Paper;
use crate::theory::imitation::class::clock::{ClockSpec, ClockWorld};
use crate::theory::imitation::pessimistic::{ask_profile, c6_alpha, OnlineSettings, UpdateRule};

/// Ask-for-help over time.
pub static ASK: FigureSpec = FigureSpec {
    id: "cohen24-ask-for-help",
    paper: Paper::Cohen2024,
    figure: None,
    title: "Pessimistic imitator on the clock world: ask-for-help probability and Σθ³ (Definitions 3–4)",
    source: "src/figures/cohen24_ask_for_help.rs",
    default_config: include_str!("../../simulations/cohen24-ask-for-help.toml"),
    produce: produce_ask,
};

/// The figure this module produces.
pub static SPECS: &[&FigureSpec] = &[&ASK];

/// Config of `cohen24-ask-for-help`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskConfig {
    /// The clock-world class (defaults: spec C2).
    #[serde(default)]
    pub clock: ClockSpec,
    /// Last time step `t_max`.
    pub horizon: usize,
    /// Trusted demonstrator steps `k` at the start (the imitator acts from `t = k + 1`).
    pub demo_steps: usize,
    /// If set, also plot α = 0.999·δ·w(B0) (the C6 setting, δ = 0.1).
    pub c6_delta: Option<f64>,
    /// Further α values.
    pub alphas: Vec<f64>,
    /// Update rules to show.
    pub rules: Vec<UpdateRule>,
    /// Monte-Carlo runs for the demonstrator-only rule (the all-actions rule is deterministic
    /// with µ = B0 and runs once).
    pub runs: usize,
}

fn produce_ask(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: AskConfig = crate::config::from_table(input.config.clone(), &input.origin)?;
    if cfg.horizon <= cfg.demo_steps {
        return Err(Error::Config(format!(
            "{}: `horizon` ({}) must exceed `demo_steps` ({})",
            input.origin, cfg.horizon, cfg.demo_steps
        )));
    }
    if cfg.horizon > 100_000 {
        return Err(Error::TooLarge {
            name: "horizon",
            value: cfg.horizon as f64,
            needed: "one posterior update over the whole class per step".into(),
            limit: "100000 steps".into(),
        });
    }
    if cfg.rules.is_empty() {
        return Err(Error::Config(format!("{}: `rules` is empty", input.origin)));
    }
    if cfg.runs == 0 {
        return Err(Error::NotPositive {
            name: "runs",
            value: 0.0,
        });
    }
    let world = ClockWorld::new(cfg.clock.clone())?;
    let class = Arc::new(world.to_model_class()?);
    let mu = class
        .index_of("B0")
        .ok_or_else(|| Error::Config("the clock class has no B0".into()))?;
    let mut alphas: Vec<(String, f64)> = Vec::new();
    if let Some(d) = cfg.c6_delta {
        if !(d > 0.0 && d < 1.0) {
            return Err(Error::OutOfRange {
                name: "c6_delta",
                value: d,
                range: "(0, 1)",
            });
        }
        let a = c6_alpha(&class, d)?;
        alphas.push((format!("α = 0.999·δ·w(µ) = {}", crate::plot::sig3(a)), a));
    }
    for &a in &cfg.alphas {
        crate::theory::imitation::pessimistic::check_alpha(a)?;
        alphas.push((format!("α = {}", crate::plot::sig3(a)), a));
    }
    let runs = if input.quick {
        cfg.runs.min(16)
    } else {
        cfg.runs
    };
    let mut table = Table::new(&[
        "alpha",
        "rule",
        "t",
        "ask_mean",
        "ask_se",
        "cubes_partial_sum_mean",
        "cubes_partial_sum_se",
        "top_set_size_mean",
        "runs",
    ]);
    let (mut ask_series, mut cube_series) = (Vec::new(), Vec::new());
    let mut summary = serde_json::Map::new();
    input.observer.begin(
        "cohen24-ask-for-help",
        (alphas.len() * cfg.rules.len()) as u64,
    );
    for (ai, (label, alpha)) in alphas.iter().enumerate() {
        for &rule in &cfg.rules {
            let s = OnlineSettings {
                alpha: *alpha,
                rule,
                demo_steps: cfg.demo_steps,
                horizon: cfg.horizon,
            };
            let r = if rule == UpdateRule::AllActions {
                1
            } else {
                runs
            };
            let p = ask_profile(
                &class,
                mu,
                &s,
                r,
                input.seed,
                &format!("cohen24-ask-for-help/{}/alpha={alpha}", rule.as_str()),
            )?;
            for k in 0..p.t.len() {
                table.push(vec![
                    (*alpha).into(),
                    rule.as_str().into(),
                    p.t[k].into(),
                    p.ask_mean[k].into(),
                    p.ask_se[k].into(),
                    p.cubes_mean[k].into(),
                    p.cubes_se[k].into(),
                    p.top_mean[k].into(),
                    r.into(),
                ])?;
            }
            let style = if rule == UpdateRule::AllActions {
                Style::Line
            } else {
                Style::Dashed
            };
            let name = format!(
                "{label}, {}",
                if rule == UpdateRule::AllActions {
                    "all actions"
                } else {
                    "demonstrator only (mean ± 1.96 SE)"
                }
            );
            let pts: Vec<(f64, f64)> =
                p.t.iter()
                    .zip(&p.ask_mean)
                    .map(|(&t, &a)| (t as f64, a))
                    .collect();
            let cpts: Vec<(f64, f64)> =
                p.t.iter()
                    .zip(&p.cubes_mean)
                    .map(|(&t, &a)| (t as f64, a))
                    .collect();
            let mut sa = Series::line(name.clone(), pts, ai).styled(style);
            let mut sc = Series::line(String::new(), cpts, ai).styled(style); // legend: top panel
            if r > 1 {
                sa = sa.with_band(
                    p.t.iter()
                        .zip(p.ask_mean.iter().zip(&p.ask_se))
                        .map(|(&t, (&m, &se))| (t as f64, m - 1.96 * se, m + 1.96 * se))
                        .collect(),
                );
                sc = sc.with_band(
                    p.t.iter()
                        .zip(p.cubes_mean.iter().zip(&p.cubes_se))
                        .map(|(&t, (&m, &se))| (t as f64, m - 1.96 * se, m + 1.96 * se))
                        .collect(),
                );
            }
            ask_series.push(sa);
            cube_series.push(sc);
            let last = p.t.len() - 1;
            let first_quiet =
                p.t.iter()
                    .zip(&p.ask_mean)
                    .position(|(_, &a)| a == 0.0)
                    .map(|k| p.t[k]);
            summary.insert(
                format!("{label}, {}", rule.as_str()),
                serde_json::json!({
                    "alpha": alpha, "rule": rule.as_str(), "runs": r,
                    "sum_cubes_mean": p.cubes_mean[last], "sum_cubes_se": p.cubes_se[last],
                    "sum_ask_mean": crate::numerics::neumaier_sum(p.ask_mean.iter().copied()),
                    "ask_last_mean": p.ask_mean[last],
                    "first_t_with_mean_ask_zero": first_quiet,
                    "p_mu_left_top_set": p.p_mu_out.0,
                }),
            );
            input.observer.advance(1);
        }
    }
    input.observer.end();
    let ax1 = Axes {
        x_label: "time t (log scale)".into(),
        y_label: "ask-for-help probability θ_t".into(),
        x_log: true,
        y_range: Some((-0.02, 1.05)),
        ..Default::default()
    };
    let ax2 = Axes {
        x_label: "time t (log scale)".into(),
        y_label: "Σ_{s<=t} θ_s³  (log scale)".into(),
        x_log: true,
        y_log: true,
        ..Default::default()
    };
    let svg = svg_page(1100, 1000, "goodhart figure cohen24-ask-for-help  |  edit: goodhart config show cohen24-ask-for-help > my.toml; goodhart simulate --config my.toml", |area| {
        let cells = area.split_evenly((2, 1));
        chart_with_legend(&cells[0], "θ_t = 1 − Σ_x ν_α(x|0^(t−1)), clock world, µ = B0", &ax1, &ask_series, &Guides::default(), Legend::UpperRight)?;
        chart_with_legend(&cells[1], "partial sums of θ³ (Cohen et al. 2022a, Thm 1: finite); line styles as above", &ax2, &cube_series, &Guides::default(), Legend::LowerRight)
    })?;
    Ok(FigureOutput {
        config: crate::config::to_json(&AskConfig { runs, ..cfg }),
        table,
        svg,
        summary: serde_json::Value::Object(summary),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::testing;

    #[test]
    fn ask_default_quick_runs_and_matches_c6() {
        let out = testing::run_default(&ASK, true);
        assert!(out.svg.contains("<svg"));
        let s = out.summary.as_object().unwrap();
        let c6 = s
            .iter()
            .find(|(k, _)| k.contains("0.999") && k.ends_with("all_actions"))
            .unwrap()
            .1;
        // Spec C6: θ = 0.5, 0.5, 0.5, 0.125, 0.125, 0.125 at t = 2..7, then 0.
        assert_eq!(c6["first_t_with_mean_ask_zero"], 8);
        let want = 3.0 * 0.125 + 3.0 * 0.125f64.powi(3);
        crate::numerics::tolerance::assert_close(
            c6["sum_cubes_mean"].as_f64().unwrap(),
            want,
            crate::numerics::Tolerance::abs(1e-12),
        );
    }

    #[test]
    fn bad_configs_are_errors() {
        let mut t = testing::config(ASK.default_config);
        t.insert("horizon".into(), toml::Value::Integer(1));
        let r = produce_ask(&testing::input(t.clone(), true));
        assert!(matches!(r, Err(Error::Config(_))));
        t.insert("horizon".into(), toml::Value::Integer(20));
        t.insert(
            "alphas".into(),
            toml::Value::Array(vec![toml::Value::Float(1.5)]),
        );
        let r = produce_ask(&testing::input(t, true));
        assert!(matches!(r, Err(Error::OutOfRange { name: "alpha", .. })));
    }
}
