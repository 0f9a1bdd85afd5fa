//! `kwa24-kl-frontier` (no paper figure): `E[U]` and `E[V]` against the KL divergence from the
//! base law, for light and for heavy error (Kwa, Thomas, Garriga-Alonso 2024, Theorems 1–4 and
//! Corollary 1).
//!
//! ```text
//! light  X ~ N(0, σ_X²) ⟂ V ~ N(0, σ_V²), optimum π*(β) (Theorem 4):
//!        E[V] = σ_V²/β,  E[U] = (σ_X² + σ_V²)/β,  KL = (σ_X² + σ_V²)/(2β²)
//! heavy  P_t puts mass m(t) = c·t^{−a} above t on U = X + V, proportionally to the base law:
//!        KL = (1−m) ln((1−m)/F_U(t)) + m ln(m/F̄_U(t)),
//!        E[V] = (1−m)·E[V | U ≤ t] + m·E[V | U > t]   (and the same for U)
//! ```
//! Light error: any gain in `E[U]` comes with a proportional gain in `E[V]` (`E[V]/E[U] =
//! σ_V²/σ_U²`), and both vanish as KL → 0. Heavy error: `E[U]` stays at `≈ 1.5c` (a = 1) or
//! grows like `1.5·t^{0.2}` (a = 0.8) while KL → 0 and `E[V]` returns to its base value 0.

use serde::{Deserialize, Serialize};

use super::kwa24_conditioning::geomspace;
use super::{FigureInput, FigureOutput, FigureSpec};
use crate::dist::{Law, LawSpec};
use crate::error::{positive_finite, Error, Result};
use crate::output::Table;
use crate::plot::{chart_with_legend, svg_page, Axes, Guides, Legend, Series, Style};
use crate::report::Paper;
use crate::theory::goodhart::conditioning::tail_reweighting;

/// The figure.
pub static SPEC: FigureSpec = FigureSpec {
    id: "kwa24-kl-frontier",
    paper: Paper::Kwa2024,
    figure: None,
    title:
        "E[U] and E[V] against KL: light error (optimal tilt) vs heavy error (Theorem 1/3 family)",
    source: "src/figures/kwa24_kl_frontier.rs",
    default_config: include_str!("../../simulations/kwa24-kl-frontier.toml"),
    produce,
};

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[&SPEC];

/// Light panel: Gaussian error and utility, exact optimum.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Light {
    /// sd of `X`.
    pub sd_x: f64,
    /// sd of `V`.
    pub sd_v: f64,
    /// Smallest β (largest KL).
    pub beta_min: f64,
    /// Largest β.
    pub beta_max: f64,
    /// βs, geometrically spaced.
    pub points: usize,
}

/// A tail-mass schedule `m(t) = c·t^{−exponent}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailMass {
    /// Legend name.
    pub name: String,
    /// `c`.
    pub c: f64,
    /// Exponent `a`.
    pub exponent: f64,
}

/// Heavy panel: the Theorem 1/3 reweighting of `U = X + V`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heavy {
    /// Error law.
    pub x: LawSpec,
    /// Utility law (independent of `X`).
    pub v: LawSpec,
    /// Smallest threshold.
    pub t_min: f64,
    /// Largest threshold.
    pub t_max: f64,
    /// Thresholds, geometrically spaced.
    pub points: usize,
    /// Tail-mass schedules.
    pub tail_masses: Vec<TailMass>,
}

/// Config of `kwa24-kl-frontier`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontierConfig {
    /// Light panel.
    pub light: Light,
    /// Heavy panel.
    pub heavy: Heavy,
}

/// `(β, KL, E[U], E[V])` of the Gaussian optimum (Theorem 4's closed form).
pub fn light_point(sd_x: f64, sd_v: f64, beta: f64) -> (f64, f64, f64, f64) {
    let (vx, vv) = (sd_x * sd_x, sd_v * sd_v);
    (
        beta,
        (vx + vv) / (2.0 * beta * beta),
        (vx + vv) / beta,
        vv / beta,
    )
}

fn produce(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: FrontierConfig = crate::config::from_table(input.config.clone(), &input.origin)?;
    let (l, h) = (&cfg.light, &cfg.heavy);
    positive_finite("light.sd_x", l.sd_x)?;
    positive_finite("light.sd_v", l.sd_v)?;
    positive_finite("light.beta_min", l.beta_min)?;
    positive_finite("light.beta_max", l.beta_max)?;
    positive_finite("heavy.t_min", h.t_min)?;
    positive_finite("heavy.t_max", h.t_max)?;
    if !(l.beta_min < l.beta_max && h.t_min < h.t_max) {
        return Err(Error::Config(format!(
            "{}: need beta_min < beta_max and t_min < t_max",
            input.origin
        )));
    }
    if l.points < 2 || h.points < 2 {
        return Err(Error::TooShort {
            name: "points",
            len: l.points.min(h.points),
            min: 2,
        });
    }
    if h.tail_masses.is_empty() {
        return Err(Error::Config(format!(
            "{}: `heavy.tail_masses` is empty",
            input.origin
        )));
    }
    let (lp, hp) = if input.quick {
        (l.points.min(12), h.points.min(12))
    } else {
        (l.points, h.points)
    };
    let mut table = Table::new(&[
        "panel",
        "series",
        "beta",
        "t",
        "tail_mass",
        "kl_nats",
        "mean_u",
        "mean_v",
    ]);

    // light
    let name_l = format!(
        "X ~ N(0, {}²) ⟂ V ~ N(0, {}²), optimal tilt",
        l.sd_x, l.sd_v
    );
    let mut lu = Vec::new();
    let mut lv = Vec::new();
    for b in geomspace(l.beta_min, l.beta_max, lp) {
        let (b, kl, eu, ev) = light_point(l.sd_x, l.sd_v, b);
        table.push(vec![
            "light".into(),
            name_l.clone().into(),
            b.into(),
            f64::NAN.into(),
            f64::NAN.into(),
            kl.into(),
            eu.into(),
            ev.into(),
        ])?;
        lu.push((kl, eu));
        lv.push((kl, ev));
    }
    let light_series = vec![
        Series::line(format!("E[U]: {name_l}"), lu, 0).styled(Style::Line),
        Series::line(format!("E[V]: {name_l}"), lv, 0).styled(Style::Dashed),
    ];

    // heavy
    let (x, v) = (Law::from_spec(&h.x)?, Law::from_spec(&h.v)?);
    let ts = geomspace(h.t_min, h.t_max, hp);
    let mut heavy_series = Vec::new();
    let mut summary_heavy = serde_json::Map::new();
    input
        .observer
        .begin("kwa24-kl-frontier", (h.tail_masses.len() * ts.len()) as u64);
    for (k, tm) in h.tail_masses.iter().enumerate() {
        positive_finite("heavy.tail_masses[].c", tm.c)?;
        let mut hu = Vec::new();
        let mut hv = Vec::new();
        let mut last = None;
        for &t in &ts {
            let m = tm.c * t.powf(-tm.exponent);
            if !(m < 1.0) {
                input.observer.advance(1);
                continue; // the schedule puts all mass above t: not a reweighting yet
            }
            let r = tail_reweighting(&x, &v, t, m)?;
            table.push(vec![
                "heavy".into(),
                tm.name.clone().into(),
                f64::NAN.into(),
                t.into(),
                m.into(),
                r.kl.into(),
                r.mean_u.into(),
                r.mean_v.into(),
            ])?;
            hu.push((r.kl, r.mean_u));
            hv.push((r.kl, r.mean_v));
            last = Some(r);
            input.observer.advance(1);
        }
        if let Some(r) = last {
            summary_heavy.insert(
                tm.name.clone(),
                serde_json::json!({"t": r.t, "tail_mass": r.tail_mass, "base_tail": r.base_tail, "kl_nats": r.kl, "mean_u": r.mean_u, "mean_v": r.mean_v}),
            );
        }
        heavy_series
            .push(Series::line(format!("E[U]: {}", tm.name), hu, k + 1).styled(Style::Line));
        heavy_series
            .push(Series::line(format!("E[V]: {}", tm.name), hv, k + 1).styled(Style::Dashed));
    }
    input.observer.end();

    // the panels share the KL axis, so the two regimes compare at a glance; each has its own y-range
    let range = |ss: &[Series], f: fn(&(f64, f64)) -> f64| {
        ss.iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.0 > 0.0 && p.1 > 0.0)
            .map(f)
            .fold((f64::INFINITY, 0.0f64), |(a, b), y| (a.min(y), b.max(y)))
    };
    let (k0, k1) = range(&light_series, |p| p.0);
    let (k2, k3) = range(&heavy_series, |p| p.0);
    let x_range = Some((k0.min(k2) / 1.5, k1.max(k3) * 1.5));
    let y_of = |ss: &[Series]| {
        let (a, b) = range(ss, |p| p.1);
        Some((a / 2.0, b * 30.0))
    };
    let light_axes = Axes {
        x_label: "KL(π*(β) ‖ base)  [nats]   (β from large, left, to small, right)".into(),
        y_label: "expected value under π*(β)".into(),
        x_log: true,
        y_log: true,
        x_range,
        y_range: y_of(&light_series),
    };
    let heavy_axes = Axes {
        x_label: format!(
            "KL(P_t ‖ base)  [nats]   (t from {} at the right to {:e} at the left)",
            h.t_min, h.t_max
        ),
        y_label: "expected value under P_t".into(),
        y_range: y_of(&heavy_series),
        ..light_axes.clone()
    };
    let heavy_title = format!(
        "Heavy error: X ~ {} ⟂ V ~ {}, Theorem 1/3 family P_t",
        x.name(),
        v.name()
    );
    let footer = "goodhart figure kwa24-kl-frontier";
    let svg = svg_page(1300, 600, footer, |area| {
        let parts = area.split_evenly((1, 2));
        chart_with_legend(
            &parts[0],
            "Light error (Theorem 4): E[V] rises with E[U]",
            &light_axes,
            &light_series,
            &Guides::default(),
            Legend::UpperLeft,
        )?;
        chart_with_legend(
            &parts[1],
            &heavy_title,
            &heavy_axes,
            &heavy_series,
            &Guides::default(),
            Legend::LowerRight,
        )
    })?;
    let (b0, kl0, eu0, ev0) = light_point(l.sd_x, l.sd_v, l.beta_max);
    let summary = serde_json::json!({
        "light_at_beta_max": {"beta": b0, "kl_nats": kl0, "mean_u": eu0, "mean_v": ev0, "mean_v_over_mean_u": ev0 / eu0},
        "heavy_at_t_max": summary_heavy,
        "reading": "light error: E[V]/E[U] = sd_v²/(sd_x²+sd_v²) at every KL; heavy error: E[U] stays >= ~1.5c (grows for mass t^-0.8) while KL -> 0 and E[V] -> E[V] of the base (0)",
    });
    let out_cfg = FrontierConfig {
        light: Light {
            points: lp,
            ..cfg.light.clone()
        },
        heavy: Heavy {
            points: hp,
            ..cfg.heavy.clone()
        },
    };
    Ok(FigureOutput {
        config: crate::config::to_json(&out_cfg),
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

    #[test]
    fn default_config_shape_and_values() {
        let t = testing::config(SPEC.default_config);
        let out = produce(&testing::input(t, true)).unwrap();
        assert!(out.svg.contains("<svg") && out.svg.contains("goodhart figure kwa24-kl-frontier"));
        // quick: 12 light points + 2 schedules × 12 thresholds (all with m < 1 from t = 5)
        assert_eq!(out.table.rows.len(), 12 + 2 * 12);
        // light, spec §6.4: β = 1 → E[V] = 1, E[U] = 2, KL = 1
        assert_eq!(light_point(1.0, 1.0, 1.0), (1.0, 1.0, 2.0, 1.0));
        // heavy at t = 1e8: mass 1/t → E[U] ≈ 1.5 (t3 tail: E[X | X > t] ~ 1.5t), E[V] ≈ 0, KL small
        let s = &out.summary["heavy_at_t_max"]["mass 1/t above t (c = 1)"];
        assert_close(s["mean_u"].as_f64().unwrap(), 1.5, Tolerance::rel(0.01));
        assert!(s["mean_v"].as_f64().unwrap().abs() < 1e-10);
        assert!(s["kl_nats"].as_f64().unwrap() < 1e-5);
        // mass t^-0.8: E[U] ~ 1.5·t^0.2 = 59.7 at 1e8 (spec §6.1 for X alone: 59.716)
        let s = &out.summary["heavy_at_t_max"]["mass t^-0.8 above t"];
        assert_close(
            s["mean_u"].as_f64().unwrap(),
            59.716076,
            Tolerance::rel(0.01),
        );
        assert!(s["mean_v"].as_f64().unwrap().abs() < 1e-6);
    }
}
