//! Figure `cohen24-value-vs-budget` (Theorem 1 of Cohen et al. 2024, check C3; `figure = null`):
//! the exact KL-budgeted optimum (count tilt) and the best wait-then-switch policy, value against
//! lifetime budget, for the Elias-gamma and the rich time code.

use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::error::{Error, Result};
use crate::output::Table;
use crate::plot::{chart_with_legend, svg_page, Axes, Guides, Legend, Series, Style};
use crate::report::Paper;
use crate::theory::imitation::class::clock::{ClockSpec, ClockWorld, TimeCode};
use crate::theory::imitation::switching::{best_switch, switch_family, CountTilt};

/// Value vs budget.
pub static VALUE_VS_BUDGET: FigureSpec = FigureSpec {
    id: "cohen24-value-vs-budget",
    paper: Paper::Cohen2024,
    figure: None,
    title: "KL-budgeted agent against a Bayesian imitator: exact optimum and best wait-then-switch policy, value vs lifetime budget",
    source: "src/figures/cohen24_value_vs_budget.rs",
    default_config: include_str!("../../simulations/cohen24-value-vs-budget.toml"),
    produce: produce_value_vs_budget,
};

/// The figure this module produces.
pub static SPECS: &[&FigureSpec] = &[&VALUE_VS_BUDGET];

const FOOTER: &str = "goodhart figure cohen24-value-vs-budget  |  edit: goodhart config show cohen24-value-vs-budget > my.toml; goodhart simulate --config my.toml";

/// Config of `cohen24-value-vs-budget`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    /// Demonstrator steps k (history `0^k`).
    pub k: usize,
    /// Agent horizon n (acts at times k+1 … k+n).
    pub n: usize,
    /// Largest budget (nats).
    pub max_budget_nats: f64,
    /// Budget step (nats).
    pub budget_step_nats: f64,
    /// Time codes to compare.
    pub time_codes: Vec<TimeCode>,
    /// Clock-world parameters (the time code is overridden per curve).
    #[serde(default)]
    pub clock: ClockSpec,
}

fn produce_value_vs_budget(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: BudgetConfig = crate::config::from_table(input.config.clone(), &input.origin)?;
    if cfg.n == 0 {
        return Err(Error::NotPositive {
            name: "horizon n",
            value: 0.0,
        });
    }
    if cfg.max_budget_nats.is_nan() || cfg.max_budget_nats < 0.0 {
        return Err(Error::OutOfRange {
            name: "max_budget_nats",
            value: cfg.max_budget_nats,
            range: "[0, ∞)",
        });
    }
    crate::error::positive_finite("budget_step_nats", cfg.budget_step_nats)?;
    if cfg.time_codes.is_empty() {
        return Err(Error::Empty { name: "time_codes" });
    }
    let steps = (cfg.max_budget_nats / cfg.budget_step_nats).floor() as usize;
    if steps > 100_000 {
        return Err(Error::TooLarge {
            name: "budget grid",
            value: steps as f64,
            needed: format!("{steps} points"),
            limit: "100000 points".into(),
        });
    }
    let budgets: Vec<f64> = (0..=steps)
        .map(|i| i as f64 * cfg.budget_step_nats)
        .collect();
    let mut table = Table::new(&[
        "time_code",
        "policy",
        "budget_nats",
        "value",
        "kl_nats",
        "switch_time",
    ]);
    let mut series = Vec::new();
    let mut summary = serde_json::Map::new();
    input
        .observer
        .begin("cohen24-value-vs-budget", cfg.time_codes.len() as u64);
    for (ci, &code) in cfg.time_codes.iter().enumerate() {
        let world = ClockWorld::new(ClockSpec {
            time_code: code,
            ..cfg.clock.clone()
        })?;
        let name = match code {
            TimeCode::EliasGamma => "Elias gamma",
            TimeCode::Rich => "rich code",
        };
        let tilt = CountTilt::new(&world, cfg.k, cfg.n)?;
        let fam = switch_family(&world, cfg.k, cfg.n)?;
        let (mut pt, mut pf) = (Vec::new(), Vec::new());
        for &b in &budgets {
            let p = tilt.solve(b)?;
            table.push(vec![
                name.into(),
                "optimum".into(),
                b.into(),
                p.value.into(),
                p.kl.into(),
                f64::NAN.into(),
            ])?;
            pt.push((b, p.value));
            let best = best_switch(&fam, b)?;
            let (v, kl, t) = best.map_or((0.0, 0.0, f64::NAN), |o| (o.value, o.kl, o.t as f64));
            table.push(vec![
                name.into(),
                "wait_then_switch".into(),
                b.into(),
                v.into(),
                kl.into(),
                t.into(),
            ])?;
            pf.push((b, v));
        }
        let cheapest = fam.iter().min_by(|a, b| a.kl.total_cmp(&b.kl)).copied();
        summary.insert(
            name.into(),
            serde_json::json!({
                "budget_for_value_1_nats": tilt.max_kl(),
                "cheapest_switch": cheapest.map(|o| serde_json::json!({"t": o.t, "kl_nats": o.kl, "value": o.value, "waiting_kl_nats": o.waiting_kl, "delta_bits": o.delta_bits})),
            }),
        );
        series.push(Series::line(format!("exact optimum ({name})"), pt, ci).styled(Style::Line));
        series.push(
            Series::line(format!("best wait-then-switch ({name})"), pf, ci).styled(Style::Dashed),
        );
        input.observer.advance(1);
    }
    input.observer.end();
    let axes = Axes {
        x_label: "lifetime KL budget b  [nats]".into(),
        y_label: format!("value E[#1]/n  (k = {}, n = {})", cfg.k, cfg.n),
        y_range: Some((0.0, 1.05)),
        ..Default::default()
    };
    let svg = svg_page(1000, 640, FOOTER, |a| {
        chart_with_legend(
            a,
            VALUE_VS_BUDGET.title,
            &axes,
            &series,
            &Guides::default(),
            Legend::UpperLeft,
        )
    })?;
    Ok(FigureOutput {
        config: crate::config::to_json(&cfg),
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
    fn default_config_runs() {
        let t = testing::default_config(&VALUE_VS_BUDGET);
        let out = produce_value_vs_budget(&testing::input(t, true)).unwrap();
        assert!(out.svg.contains("<svg"));
        assert!(!out.table.rows.is_empty());
    }

    #[test]
    fn bad_configs_are_refused() {
        let t = testing::config("k = 10\nn = 10\nmax_budget_nats = -1.0\nbudget_step_nats = 0.5\ntime_codes = ['elias_gamma']\n");
        let e = produce_value_vs_budget(&testing::input(t, true));
        assert!(matches!(e, Err(Error::OutOfRange { .. })));
    }
}
