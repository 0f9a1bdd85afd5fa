//! Figure `cohen24-simplest-time` (Proposition 2 of Cohen et al. 2024, check C4;
//! `figure = null`): the code length `m(t)` of the simplest unprecedented time against
//! `2·log₂ t` and `γ(t)`, up to `10^1000`.

use num_bigint::BigUint;
use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::error::{Error, Result};
use crate::output::Table;
use crate::plot::{chart_with_legend, svg_page, Axes, Guides, Legend, Series, Style};
use crate::report::Paper;
use crate::theory::imitation::description::{
    big_log2, elias_gamma_bits_big, Capped, DescriptionTable,
};

/// m(t) vs 2 log2 t.
pub static SIMPLEST_TIME: FigureSpec = FigureSpec {
    id: "cohen24-simplest-time",
    paper: Paper::Cohen2024,
    figure: None,
    title: "Proposition 2: code length of the simplest unprecedented time m(t) vs 2·log2 t",
    source: "src/figures/cohen24_simplest_time.rs",
    default_config: include_str!("../../simulations/cohen24-simplest-time.toml"),
    produce: produce_simplest_time,
};

/// The figure this module produces.
pub static SPECS: &[&FigureSpec] = &[&SIMPLEST_TIME];

const FOOTER: &str = "goodhart figure cohen24-simplest-time  |  edit: goodhart config show cohen24-simplest-time > my.toml; goodhart simulate --config my.toml";

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
    let svg = svg_page(1000, 640, FOOTER, |a| {
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
    use crate::figures::testing;

    #[test]
    fn default_config_runs() {
        let t = testing::default_config(&SIMPLEST_TIME);
        let out = produce_simplest_time(&testing::input(t, true)).unwrap();
        assert!(out.svg.contains("<svg"));
        assert!(!out.table.rows.is_empty());
    }
}
