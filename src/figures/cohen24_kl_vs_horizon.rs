//! Figure `cohen24-kl-vs-horizon` (Theorem 1 of Cohen et al. 2024; the paper has no theory
//! figures, so `figure = null`): the KL needed to deviate ("play 1") for n steps after an
//! unprecedented time t, against the exact clock-world mixture (flat in n) and the Bernoulli-only
//! class (linear in n); optional user-defined classes from the config.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::error::{Error, Result};
use crate::output::Table;
use crate::plot::{chart_with_legend, svg_page, Axes, Guides, Legend, Series, Style};
use crate::report::Paper;
use crate::theory::imitation::class::clock::{ClockMixture, ClockSpec, ClockWorld};
use crate::theory::imitation::class::config::ClassConfig;
use crate::theory::imitation::class::{BasePolicy, Mixture, Role};

/// KL needed vs horizon.
pub static KL_VS_HORIZON: FigureSpec = FigureSpec {
    id: "cohen24-kl-vs-horizon",
    paper: Paper::Cohen2024,
    figure: None,
    title: "KL needed to deviate for n steps after an unprecedented time: Bayesian clock world (flat) vs Bernoulli-only class (linear)",
    source: "src/figures/cohen24_kl_vs_horizon.rs",
    default_config: include_str!("../../simulations/cohen24-kl-vs-horizon.toml"),
    produce: produce_kl_vs_horizon,
};

/// The figure this module produces.
pub static SPECS: &[&FigureSpec] = &[&KL_VS_HORIZON];

const FOOTER: &str = "goodhart figure cohen24-kl-vs-horizon  |  edit: goodhart config show cohen24-kl-vs-horizon > my.toml; goodhart simulate --config my.toml";

/// A user-defined class in `cohen24-kl-vs-horizon`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserCurve {
    /// Legend name.
    pub name: String,
    /// Demonstrator data the mixture is conditioned on (validated against the alphabet).
    pub history: Vec<usize>,
    /// The action the deviating policy repeats.
    pub deviation: usize,
    /// The class.
    pub class: ClassConfig,
}

/// Config of `cohen24-kl-vs-horizon`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KlHorizonConfig {
    /// Unprecedented times t (history `0^{t−1}`).
    pub times: Vec<usize>,
    /// Horizons n (each ≥ 1).
    pub horizons: Vec<usize>,
    /// The clock-world class.
    #[serde(default)]
    pub clock: ClockSpec,
    /// Extra curves for user-defined classes.
    #[serde(default)]
    pub user: Vec<UserCurve>,
}

fn check_horizons(h: &[usize]) -> Result<usize> {
    if h.is_empty() {
        return Err(Error::Empty { name: "horizons" });
    }
    if h.contains(&0) {
        return Err(Error::NotPositive {
            name: "horizon n",
            value: 0.0,
        });
    }
    Ok(*h.iter().max().unwrap_or(&1))
}

fn produce_kl_vs_horizon(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: KlHorizonConfig = crate::config::from_table(input.config.clone(), &input.origin)?;
    let n_max = check_horizons(&cfg.horizons)?;
    if cfg.times.is_empty() {
        return Err(Error::Empty { name: "times" });
    }
    let world = Arc::new(ClockWorld::new(cfg.clock.clone())?);
    let bern = Arc::new(ClockWorld::new(cfg.clock.bernoulli_only())?);
    for &t in &cfg.times {
        if t == 0 || t > world.max_switch_time() {
            return Err(Error::OutOfRange {
                name: "times[]",
                value: t as f64,
                range: "[1, clock.max_switch_time]",
            });
        }
    }
    let mut hs = cfg.horizons.clone();
    hs.sort_unstable();
    hs.dedup();
    let mut table = Table::new(&[
        "class",
        "t",
        "n",
        "kl_nats",
        "tight_bound_nats",
        "corrected_bound_nats",
    ]);
    let mut series = Vec::new();
    let mut summary = serde_json::Map::new();
    input.observer.begin(
        "cohen24-kl-vs-horizon",
        (cfg.times.len() * 2 + cfg.user.len()) as u64,
    );
    for (ci, &t) in cfg.times.iter().enumerate() {
        let (w_base, _) = world.zero_history_masses(t);
        let tight = world.delta_bits(t) * std::f64::consts::LN_2;
        let corrected = tight - w_base.ln();
        for (label, w, style) in [
            ("bayes_clock", &world, Style::LinePoints),
            ("bernoulli_only", &bern, Style::Dashed),
        ] {
            let mut m = ClockMixture::new(w.clone());
            m.ln_prob_extend(&vec![0; t - 1])?;
            let start = m.ln_xi();
            let mut pts = Vec::new();
            let mut next = 0;
            for n in 1..=n_max {
                m.update(1)?;
                if hs[next] == n {
                    let kl = start - m.ln_xi();
                    let (tb, cb) = if label == "bayes_clock" {
                        (tight, corrected)
                    } else {
                        (f64::NAN, f64::NAN)
                    };
                    table.push(vec![
                        label.into(),
                        t.into(),
                        n.into(),
                        kl.into(),
                        tb.into(),
                        cb.into(),
                    ])?;
                    pts.push((n as f64, kl));
                    next += 1;
                    if next == hs.len() {
                        break;
                    }
                }
            }
            summary.insert(
                format!("{label}_t{t}_n{n_max}"),
                serde_json::json!(pts.last().map(|p| p.1)),
            );
            let name = if label == "bayes_clock" {
                format!("Bayes clock world, t = {t}")
            } else {
                format!("Bernoulli-only, t = {t}")
            };
            series.push(Series::line(name, pts, ci).styled(style));
            input.observer.advance(1);
        }
        summary.insert(format!("bound_t{t}"), serde_json::json!({"tight_nats": tight, "corrected_nats": corrected, "printed_erratum_nats": world.delta_bits(t) / std::f64::consts::LN_2}));
    }
    // The pessimistic imitator (Theorem 4; spec C6: δ = 0.1, α = 0.999·δ·w(B0)) on the same class:
    // the switch has KL = +∞ at every horizon, so it is a row in the table and a note in the title,
    // not a curve on the log axis.
    let pclass = Arc::new(world.to_model_class()?);
    let alpha = crate::theory::imitation::pessimistic::c6_alpha(&pclass, 0.1)?;
    let mut all_infinite = true;
    for &t in &cfg.times {
        // ν_α(1^n|h) <= ν_α(1|h), so KL = +∞ at n = 1 implies +∞ for every n: one step suffices
        for &n in [1usize].iter() {
            let kl = crate::theory::imitation::pessimistic::pessimistic_switch_kl(
                pclass.clone(),
                alpha,
                crate::theory::imitation::pessimistic::UpdateRule::AllActions,
                t,
                n,
            )?;
            all_infinite &= kl == f64::INFINITY;
            table.push(vec![
                "pessimistic".into(),
                t.into(),
                n.into(),
                kl.into(),
                f64::NAN.into(),
                f64::NAN.into(),
            ])?;
        }
    }
    summary.insert("pessimistic_alpha".into(), serde_json::json!(alpha));
    summary.insert(
        "pessimistic_kl_all_infinite".into(),
        serde_json::json!(all_infinite),
    );
    for (ui, u) in cfg.user.iter().enumerate() {
        let class = Arc::new(u.class.build().map_err(|e| {
            Error::Config(format!("{}: user curve `{}`: {e}", input.origin, u.name))
        })?);
        if class.layout().observations.is_some() {
            return Err(Error::Config(format!(
                "{}: user curve `{}`: only action-only classes are supported here",
                input.origin, u.name
            )));
        }
        let mut m = Mixture::conditioned(class, "user history", &u.history)?;
        let mut pts = Vec::new();
        let start = m.posterior().ln_evidence(Role::Action);
        let mut next = 0;
        for n in 1..=n_max {
            m.update_named("deviation", u.deviation)?;
            let acc = start - m.posterior().ln_evidence(Role::Action);
            if hs[next] == n {
                table.push(vec![
                    format!("user: {}", u.name).into(),
                    (u.history.len() + 1).into(),
                    n.into(),
                    acc.into(),
                    f64::NAN.into(),
                    f64::NAN.into(),
                ])?;
                pts.push((n as f64, acc));
                next += 1;
                if next == hs.len() {
                    break;
                }
            }
        }
        series.push(
            Series::line(format!("user: {}", u.name), pts, cfg.times.len() + ui)
                .styled(Style::Points),
        );
        input.observer.advance(1);
    }
    input.observer.end();
    let axes = Axes {
        x_label: "horizon n (steps of the deviation)".into(),
        y_label: "KL(π‖ξ) = −ln ξ(1^n | 0^(t−1))  [nats]".into(),
        x_log: true,
        y_log: true,
        ..Default::default()
    };
    let title = if all_infinite {
        format!("KL to deviate for n steps: Bayes clock world flat, Bernoulli-only linear, pessimistic (α = {alpha:.3}) +∞")
    } else {
        KL_VS_HORIZON.title.to_string()
    };
    let svg = svg_page(1000, 640, FOOTER, |a| {
        chart_with_legend(
            a,
            &title,
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
        let t = testing::default_config(&KL_VS_HORIZON);
        let out = produce_kl_vs_horizon(&testing::input(t, true)).unwrap();
        assert!(out.svg.contains("<svg"));
        assert!(!out.table.rows.is_empty());
    }

    #[test]
    fn bad_configs_are_refused() {
        let t = testing::config("times = [11]\nhorizons = [0, 10]\n");
        let e = produce_kl_vs_horizon(&testing::input(t, true));
        assert!(matches!(
            e,
            Err(Error::NotPositive {
                name: "horizon n",
                ..
            })
        ));
    }
}
