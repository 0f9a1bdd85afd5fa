//! Figures of Cohen et al. 2024 built on the Bayesian imitator (the paper has no theory
//! figures, so `figure = null`):
//!
//! * `cohen24-kl-vs-horizon` — the KL needed to deviate ("play 1") for n steps after an
//!   unprecedented time t, against the exact clock-world mixture (flat in n) and the
//!   Bernoulli-only class (linear in n); optional user-defined classes from the config.
//! * `cohen24-value-vs-budget` — the exact KL-budgeted optimum (count tilt) and the best
//!   wait-then-switch policy, value against lifetime budget, for the Elias-gamma and the rich
//!   time code.
//! * `cohen24-simplest-time` — Proposition 2: `m(t)` against `2·log₂ t` and `γ(t)`, up to `10^1000`.

use std::sync::Arc;

use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::error::{Error, Result};
use crate::output::Table;
use crate::plot::{chart_with_legend, svg_page, Axes, Guides, Legend, Series, Style};
use crate::report::Paper;
use crate::theory::imitation::class::clock::{ClockMixture, ClockSpec, ClockWorld, TimeCode};
use crate::theory::imitation::class::config::ClassConfig;
use crate::theory::imitation::class::{BasePolicy, Mixture, Role};
use crate::theory::imitation::description::{
    big_log2, elias_gamma_bits_big, Capped, DescriptionTable,
};
use crate::theory::imitation::switching::{best_switch, switch_family, CountTilt};

/// KL needed vs horizon.
pub static KL_VS_HORIZON: FigureSpec = FigureSpec {
    id: "cohen24-kl-vs-horizon",
    paper: Paper::Cohen2024,
    figure: None,
    title: "KL needed to deviate for n steps after an unprecedented time: Bayesian clock world (flat) vs Bernoulli-only class (linear)",
    source: "src/figures/cohen24_a.rs",
    default_config: include_str!("../../simulations/cohen24-kl-vs-horizon.toml"),
    produce: produce_kl_vs_horizon,
};

/// Value vs budget.
pub static VALUE_VS_BUDGET: FigureSpec = FigureSpec {
    id: "cohen24-value-vs-budget",
    paper: Paper::Cohen2024,
    figure: None,
    title: "KL-budgeted agent against a Bayesian imitator: exact optimum and best wait-then-switch policy, value vs lifetime budget",
    source: "src/figures/cohen24_a.rs",
    default_config: include_str!("../../simulations/cohen24-value-vs-budget.toml"),
    produce: produce_value_vs_budget,
};

/// m(t) vs 2 log2 t.
pub static SIMPLEST_TIME: FigureSpec = FigureSpec {
    id: "cohen24-simplest-time",
    paper: Paper::Cohen2024,
    figure: None,
    title: "Proposition 2: code length of the simplest unprecedented time m(t) vs 2·log2 t",
    source: "src/figures/cohen24_a.rs",
    default_config: include_str!("../../simulations/cohen24-simplest-time.toml"),
    produce: produce_simplest_time,
};

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[&KL_VS_HORIZON, &VALUE_VS_BUDGET, &SIMPLEST_TIME];

fn footer(id: &str) -> String {
    format!("goodhart figure {id}  |  edit: goodhart config show {id} > my.toml; goodhart simulate --config my.toml")
}

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
    let svg = svg_page(1000, 640, &footer(KL_VS_HORIZON.id), |a| {
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
    let svg = svg_page(1000, 640, &footer(VALUE_VS_BUDGET.id), |a| {
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

/// Config of `cohen24-simplest-time`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimplestTimeConfig {
    /// Largest `log₁₀ t` (integer decades 1 … this).
    pub max_log10_t: u32,
    /// Longest code length tabulated (bits).
    pub max_code_bits: u32,
}

fn produce_simplest_time(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: SimplestTimeConfig = crate::config::from_table(input.config.clone(), &input.origin)?;
    if cfg.max_log10_t == 0 || cfg.max_log10_t > 20_000 {
        return Err(Error::OutOfRange {
            name: "max_log10_t",
            value: cfg.max_log10_t as f64,
            range: "[1, 20000]",
        });
    }
    let table_m = DescriptionTable::new(cfg.max_code_bits, cfg.max_log10_t + 100)?;
    let mut table = Table::new(&["series", "log10_t", "bits", "witness"]);
    let mut p2 = Vec::new();
    let ten = BigUint::from(10u32);
    let mut t = BigUint::from(1u32);
    for d in 0..=cfg.max_log10_t {
        if d > 0 {
            t *= &ten;
        }
        let m = table_m.m(&t)?;
        let two = 2.0 * big_log2(&t);
        let g = elias_gamma_bits_big(&t) as f64;
        table.push(vec![
            "m".into(),
            (d as f64).into(),
            (m as f64).into(),
            table_m.expr(m).into(),
        ])?;
        table.push(vec![
            "two_log2_t".into(),
            (d as f64).into(),
            two.into(),
            "".into(),
        ])?;
        table.push(vec![
            "elias_gamma".into(),
            (d as f64).into(),
            g.into(),
            "".into(),
        ])?;
        if d > 0 {
            p2.push((d as f64, two));
        }
    }
    // The exact staircase: m(t) = L for M(L−1) < t ≤ M(L) (M(L) = largest integer with ℓ ≤ L).
    let mut jumps = serde_json::Map::new();
    let mut stairs: Vec<(f64, f64)> = Vec::new();
    let x_max = cfg.max_log10_t as f64;
    let mut prev_lg = 0.0f64;
    for l in 1..=table_m.max_len() {
        if table_m.max_describable(l - 1) == table_m.max_describable(l) {
            continue;
        }
        let lg = table_m.log10_max(l);
        if lg == f64::NEG_INFINITY {
            continue;
        }
        let (a, b) = (prev_lg.max(1.0), lg.min(x_max));
        if b >= 1.0 && a <= x_max {
            stairs.push((a, l as f64));
            stairs.push((b, l as f64));
        }
        if let Capped::Exact(x) = table_m.max_describable(l) {
            if lg <= x_max {
                table.push(vec![
                    "largest_with_m_bits".into(),
                    lg.into(),
                    (l as f64).into(),
                    table_m.expr(l).into(),
                ])?;
                jumps.insert(l.to_string(), serde_json::json!({"M": table_m.expr(l), "log10_M": lg, "digits": x.to_string().len()}));
            }
        }
        if lg >= x_max {
            break;
        }
        prev_lg = lg;
    }
    let series = vec![
        Series::line(
            "m(t) = min over T ≥ t of ℓ(T) (rich code; exact staircase)",
            stairs,
            0,
        )
        .styled(Style::Line),
        Series::line("2·log2 t (≈ Elias gamma γ(t), in the CSV)", p2, 1).styled(Style::Dashed),
    ];
    let axes = Axes {
        x_label: "log10 t   (log axis: t from 10 to 10^max)".into(),
        y_label: "code length  [bits]".into(),
        x_log: true,
        y_log: true,
        ..Default::default()
    };
    let svg = svg_page(1000, 640, &footer(SIMPLEST_TIME.id), |a| {
        chart_with_legend(
            a,
            SIMPLEST_TIME.title,
            &axes,
            &series,
            &Guides::default(),
            Legend::UpperLeft,
        )
    })?;
    let summary = serde_json::json!({
        "m_at_max": table_m.m(&t)?,
        "gamma_at_max": elias_gamma_bits_big(&t),
        "largest_integer_per_code_length": jumps,
    });
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

    fn run(spec: &FigureSpec, extra: &str) -> Result<FigureOutput> {
        let text = format!("{}\n{extra}", spec.default_config);
        let mut t = crate::config::parse_toml(&text, "x").unwrap();
        crate::config::split_header(&mut t, "x").unwrap();
        (spec.produce)(&FigureInput {
            config: t,
            origin: "x".into(),
            seed: 1,
            quick: true,
            observer: &crate::sim::NoObserver,
        })
    }

    #[test]
    fn defaults_run() {
        for s in SPECS {
            let out = run(s, "").unwrap();
            assert!(out.svg.contains("<svg"), "{}", s.id);
            assert!(!out.table.rows.is_empty());
            assert!(s
                .default_config
                .starts_with(&format!("simulation = \"{}\"", s.id)));
        }
    }

    #[test]
    fn bad_configs_are_refused() {
        let mut t = crate::config::parse_toml("times = [11]\nhorizons = [0, 10]\n", "x").unwrap();
        crate::config::split_header(&mut t, "x").unwrap();
        let e = produce_kl_vs_horizon(&FigureInput {
            config: t,
            origin: "x".into(),
            seed: 1,
            quick: true,
            observer: &crate::sim::NoObserver,
        });
        assert!(matches!(
            e,
            Err(Error::NotPositive {
                name: "horizon n",
                ..
            })
        ));
        let mut t = crate::config::parse_toml("k = 10\nn = 10\nmax_budget_nats = -1.0\nbudget_step_nats = 0.5\ntime_codes = ['elias_gamma']\n", "x").unwrap();
        crate::config::split_header(&mut t, "x").unwrap();
        let e = produce_value_vs_budget(&FigureInput {
            config: t,
            origin: "x".into(),
            seed: 1,
            quick: true,
            observer: &crate::sim::NoObserver,
        });
        assert!(matches!(e, Err(Error::OutOfRange { .. })));
    }
}
