//! Figure `cohen24-tvd-kl-mass` (Theorem 2 of Cohen et al. 2024, check C5; `figure = null`):
//! `π(a) − β(a)` per action against the budget, under a TVD constraint (exact mass moving) and
//! under a KL constraint (the exact tilt `π ∝ β·exp(Q/λ)`), for user-editable bandits. Under TVD
//! only argmax Q gains, and it gains even when β never plays it; under KL every action better than
//! the current mean gains while the budget is small, and base-impossible actions stay impossible.

use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::error::{Error, Result};
use crate::output::Table;
use crate::plot::{chart_with_legend, svg_page, Axes, Guides, Legend, Series, Style};
use crate::prob::Probs;
use crate::report::Paper;
use crate::theory::imitation::tvd::{non_optimal_gainers, tvd, Bandit};

/// TVD vs KL mass movement.
pub static TVD_KL: FigureSpec = FigureSpec {
    id: "cohen24-tvd-kl-mass",
    paper: Paper::Cohen2024,
    figure: None,
    title: "Where the mass goes: π(a) − β(a) under a TVD and a KL constraint (Theorem 2)",
    source: "src/figures/cohen24_tvd_kl_mass.rs",
    default_config: include_str!("../../simulations/cohen24-tvd-kl-mass.toml"),
    produce: produce_tvd_kl,
};

/// The figure this module produces.
pub static SPECS: &[&FigureSpec] = &[&TVD_KL];

/// One bandit of `cohen24-tvd-kl-mass`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanditSpec {
    /// Legend/panel name.
    pub name: String,
    /// Base policy β (must sum to 1; zeros allowed).
    pub base: Vec<f64>,
    /// Action values Q.
    pub q: Vec<f64>,
}

/// Config of `cohen24-tvd-kl-mass`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TvdKlConfig {
    /// TVD budgets c ∈ [0, 1].
    pub tvd_budgets: Vec<f64>,
    /// KL budgets (nats, >= 0); those at or past the largest reachable KL are skipped.
    pub kl_budgets_nats: Vec<f64>,
    /// The bandits.
    pub bandits: Vec<BanditSpec>,
}

fn produce_tvd_kl(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: TvdKlConfig = crate::config::from_table(input.config.clone(), &input.origin)?;
    if cfg.bandits.is_empty() {
        return Err(Error::Config(format!(
            "{}: `bandits` is empty",
            input.origin
        )));
    }
    if cfg.tvd_budgets.is_empty() || cfg.kl_budgets_nats.is_empty() {
        return Err(Error::Config(format!(
            "{}: `tvd_budgets` and `kl_budgets_nats` need at least one budget each",
            input.origin
        )));
    }
    let mut table = Table::new(&[
        "bandit",
        "constraint",
        "budget",
        "budget_unit",
        "action",
        "q",
        "base_prob",
        "pi_prob",
        "delta_prob",
        "value",
        "lambda",
    ]);
    let mut panels: Vec<(String, Vec<Series>, Axes)> = Vec::new();
    let mut summary = serde_json::Map::new();
    input
        .observer
        .begin("cohen24-tvd-kl-mass", cfg.bandits.len() as u64);
    for bs in &cfg.bandits {
        let b = Bandit::new(
            Probs::new_named("bandit base", bs.base.clone())?,
            bs.q.clone(),
        )?;
        let n = bs.q.len();
        let kmax = b.max_kl()?;
        let mut tvd_pts: Vec<Vec<(f64, f64)>> = vec![Vec::new(); n];
        let mut kl_pts: Vec<Vec<(f64, f64)>> = vec![Vec::new(); n];
        let (mut tvd_bad, mut kl_nonopt, mut kl_impossible, mut skipped) =
            (0usize, 0usize, 0.0f64, Vec::new());
        let mut cs = cfg.tvd_budgets.clone();
        cs.sort_by(f64::total_cmp);
        for &c in &cs {
            let o = b.tvd_optimum(c)?;
            tvd_bad += non_optimal_gainers(&b, &o.policy).len();
            for a in 0..n {
                let (p, q0) = (o.policy.as_slice()[a], bs.base[a]);
                table.push(vec![
                    bs.name.clone().into(),
                    "tvd".into(),
                    c.into(),
                    "tvd".into(),
                    a.into(),
                    bs.q[a].into(),
                    q0.into(),
                    p.into(),
                    (p - q0).into(),
                    o.value.into(),
                    f64::NAN.into(),
                ])?;
                tvd_pts[a].push((c, 100.0 * (p - q0)));
            }
        }
        let mut ks = cfg.kl_budgets_nats.clone();
        ks.sort_by(f64::total_cmp);
        for &k in &ks {
            let o = match b.kl_optimum(k) {
                Ok(o) => o,
                Err(Error::UnreachableBudget { .. }) => {
                    skipped.push(k);
                    continue;
                }
                Err(e) => return Err(e),
            };
            kl_nonopt += non_optimal_gainers(&b, &o.policy).len();
            for a in 0..n {
                let (p, q0) = (o.policy.as_slice()[a], bs.base[a]);
                if q0 == 0.0 {
                    kl_impossible = kl_impossible.max(p);
                }
                table.push(vec![
                    bs.name.clone().into(),
                    "kl".into(),
                    k.into(),
                    "nats".into(),
                    a.into(),
                    bs.q[a].into(),
                    q0.into(),
                    p.into(),
                    (p - q0).into(),
                    o.value.into(),
                    o.lambda.into(),
                ])?;
                kl_pts[a].push((k, 100.0 * (p - q0)));
            }
        }
        let label = |a: usize| {
            format!(
                "a{a}: Q = {}, β = {}",
                crate::plot::sig3(bs.q[a]),
                crate::plot::sig3(bs.base[a])
            )
        };
        // Plotted in percentage points: plotters' ticks on a percent axis are exact integers (on a
        // probability axis the tick at 0 can come out as −5.6e-17).
        let all = tvd_pts
            .iter()
            .chain(&kl_pts)
            .flat_map(|v| v.iter().map(|p| p.1));
        let (lo, hi) = all.fold((0.0f64, 0.0f64), |(l, h), y| (l.min(y), h.max(y)));
        let y_range = Some((
            (lo / 10.0).floor() * 10.0 - 5.0,
            (hi / 10.0).ceil() * 10.0 + 5.0,
        ));
        let tvd_series: Vec<Series> = (0..n)
            .map(|a| Series::line(label(a), tvd_pts[a].clone(), a).styled(Style::LinePoints))
            .collect();
        let kl_series: Vec<Series> = (0..n)
            .map(|a| Series::line(label(a), kl_pts[a].clone(), a).styled(Style::LinePoints))
            .collect();
        panels.push((
            format!("TVD <= c — {}", bs.name),
            tvd_series,
            Axes {
                x_label: "TVD budget c".into(),
                y_label: "π(a) − β(a)  [percentage points]".into(),
                y_range,
                ..Default::default()
            },
        ));
        panels.push((
            format!("KL <= ε — {}", bs.name),
            kl_series,
            Axes {
                x_label: "KL budget ε [nats]".into(),
                y_label: "π(a) − β(a)  [percentage points]".into(),
                y_range,
                ..Default::default()
            },
        ));
        // TVD of the KL optimum at the largest budget, for the summary.
        let tv_at_kl = ks
            .iter()
            .rev()
            .find(|k| !skipped.contains(k))
            .and_then(|&k| b.kl_optimum(k).ok())
            .map(|o| tvd(&o.policy, b.base()).unwrap_or(f64::NAN));
        summary.insert(
            bs.name.clone(),
            serde_json::json!({
                "tvd_non_optimal_gainers": tvd_bad,
                "kl_non_optimal_gainers": kl_nonopt,
                "kl_max_prob_on_base_impossible_actions": kl_impossible,
                "kl_max_reachable_nats": kmax,
                "kl_budgets_skipped_unreachable": skipped,
                "tvd_of_kl_optimum_at_largest_budget": tv_at_kl,
            }),
        );
        input.observer.advance(1);
    }
    input.observer.end();
    let rows = cfg.bandits.len() as u32;
    let guides = Guides {
        hlines: vec![(0.0, String::new())],
        ..Default::default()
    };
    let svg = svg_page(1100, 420 * rows + 22, "goodhart figure cohen24-tvd-kl-mass  |  edit: goodhart config show cohen24-tvd-kl-mass > my.toml; goodhart simulate --config my.toml", |area| {
        let cells = area.split_evenly((rows as usize, 2));
        for (cell, (title, series, axes)) in cells.iter().zip(&panels) {
            chart_with_legend(cell, title, axes, series, &guides, Legend::UpperLeft)?;
        }
        Ok(())
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
    fn tvd_kl_default_runs_and_shows_theorem2() {
        let out = testing::run_default(&TVD_KL, true);
        assert!(
            out.svg.contains("<svg") && out.svg.contains("goodhart figure cohen24-tvd-kl-mass")
        );
        for (_, v) in out.summary.as_object().unwrap() {
            assert_eq!(v["tvd_non_optimal_gainers"], 0);
            assert!(v["kl_non_optimal_gainers"].as_u64().unwrap() >= 1);
            assert_eq!(v["kl_max_prob_on_base_impossible_actions"], 0.0);
        }
    }

    #[test]
    fn bad_configs_are_errors() {
        let mut t = testing::config(TVD_KL.default_config);
        t.insert(
            "tvd_budgets".into(),
            toml::Value::Array(vec![toml::Value::Float(2.0)]),
        );
        let r = produce_tvd_kl(&testing::input(t, true));
        assert!(matches!(
            r,
            Err(Error::OutOfRange {
                name: "TVD budget c",
                ..
            })
        ));
    }
}
