//! `kwa24-tilt`: the explorer. For each user-given pair of laws (error `X`, utility `V`,
//! independent), the exact KL-regularised optimum `π_β ∝ π₀·exp((X+V)/β)` on quantile
//! discretisations of both laws, at the given βs and at the β that meets each KL budget.
//!
//! ```text
//! independence ⇒ π_β(x, v) = π_β^X(x)·π_β^V(v)   (the tilt factorises; Kwa et al. Thm 4 proof)
//! KL(π_β‖π₀) = KL(π_β^X‖π₀^X) + KL(π_β^V‖π₀^V),  E[U] = E[X] + E[V]
//! ```
//! so each marginal is tilted exactly with [`crate::prob::Tilt`] and the budget is met by Newton
//! on the summed KL with the analytic derivative `−(Var X + Var V)/β³`.

use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::dist::{Law, LawSpec};
use crate::error::{Error, Result};
use crate::numerics::roots::newton_bisect;
use crate::output::Table;
use crate::plot::{chart_with_legend, svg_page, Axes, Guides, Legend, Series, Style};
use crate::prob::{Probs, Tilt};
use crate::report::Paper;

/// The explorer.
pub static SPEC: FigureSpec = FigureSpec {
    id: "kwa24-tilt",
    paper: Paper::Kwa2024,
    figure: None,
    title: "Exact KL-regularised optimum for your error and utility laws: E[V] and E[U] against KL",
    source: "src/figures/kwa24_tilt.rs",
    default_config: include_str!("../../simulations/kwa24-tilt.toml"),
    produce,
};

/// The figure(s) this module produces.
pub static SPECS: &[&FigureSpec] = &[&SPEC];

/// One pair of laws.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// Legend name.
    pub name: String,
    /// Error law.
    pub x: LawSpec,
    /// Utility law.
    pub v: LawSpec,
}

/// Config of `kwa24-tilt`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TiltConfig {
    /// Atoms per law (quantile discretisation).
    pub atoms: usize,
    /// Temperatures.
    pub betas: Vec<f64>,
    /// KL budgets (nats) to solve β for.
    pub budgets_nats: Vec<f64>,
    /// Pairs of laws.
    pub pairs: Vec<Pair>,
}

/// Most atoms a config may ask for: beyond it memory (48 bytes an atom) and time grow past what
/// a figure should take; refused with the limit named.
pub const MAX_ATOMS: usize = 10_000_000;

/// A law discretised at its quantiles `F⁻¹((i + 1/2)/n)`, mass `1/n` each.
///
/// # Errors
/// [`Error::TooShort`] for fewer than 2 atoms; [`Error::NotFinite`] if a quantile is not finite.
pub fn quantile_atoms(law: &Law, n: usize) -> Result<Vec<f64>> {
    if n < 2 {
        return Err(Error::TooShort {
            name: "atoms",
            len: n,
            min: 2,
        });
    }
    (0..n)
        .map(|i| {
            // Ctrl-C checked every 2^16 quantiles (well under a second)
            if i % (1 << 16) == 0 && crate::sim::interrupt::requested() {
                return Err(Error::Interrupted { done: i, total: n });
            }
            let q = law.quantile((i as f64 + 0.5) / n as f64);
            if q.is_finite() {
                Ok(q)
            } else {
                Err(Error::NotFinite {
                    name: "quantile",
                    value: q,
                })
            }
        })
        .collect()
}

/// Exact numbers of the factorised tilt at one β.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FactorisedPoint {
    /// β.
    pub beta: f64,
    /// Total KL (nats).
    pub kl: f64,
    /// E\[X\] under π_β.
    pub mean_x: f64,
    /// E\[V\] under π_β.
    pub mean_v: f64,
    /// Var X + Var V under π_β.
    pub var_u: f64,
}

/// The factorised tilt of independent discretised `X` and `V`.
pub struct Factorised<'a> {
    x: Tilt<'a>,
    v: Tilt<'a>,
}

impl<'a> Factorised<'a> {
    /// Pairs the two marginal tilts.
    ///
    /// # Errors
    /// As [`Tilt::new`].
    pub fn new(px: &'a Probs, x: &'a [f64], pv: &'a Probs, v: &'a [f64]) -> Result<Self> {
        Ok(Self {
            x: Tilt::new(px, x)?,
            v: Tilt::new(pv, v)?,
        })
    }

    /// Exact numbers at β.
    ///
    /// # Errors
    /// As [`Tilt::at`].
    pub fn at(&self, beta: f64) -> Result<FactorisedPoint> {
        let (a, b) = (self.x.at(beta)?, self.v.at(beta)?);
        Ok(FactorisedPoint {
            beta,
            kl: a.kl + b.kl,
            mean_x: a.mean_u,
            mean_v: b.mean_u,
            var_u: a.var_u + b.var_u,
        })
    }

    /// Base means `(E₀[X], E₀[V])`.
    pub fn base_means(&self) -> (f64, f64) {
        (self.x.base_mean(), self.v.base_mean())
    }

    /// The β with total KL equal to `budget`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a negative/NaN budget, [`Error::UnreachableBudget`] past the
    /// attainable maximum.
    pub fn beta_for_kl(&self, budget: f64) -> Result<f64> {
        if budget.is_nan() || budget < 0.0 {
            return Err(Error::OutOfRange {
                name: "KL budget",
                value: budget,
                range: "[0, ∞)",
            });
        }
        let max = self.x.max_kl() + self.v.max_kl();
        if !(budget < max) {
            return Err(Error::UnreachableBudget { budget, max });
        }
        if budget == 0.0 {
            return Ok(f64::INFINITY);
        }
        let f = |s: f64| match self.at(s.exp()) {
            Ok(p) => (p.kl - budget, -p.var_u / (p.beta * p.beta)),
            Err(_) => (f64::NAN, f64::NAN),
        };
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        while f(lo).0 < 0.0 && lo > -700.0 {
            lo -= 2.0;
        }
        while f(hi).0 > 0.0 && hi < 700.0 {
            hi += 2.0;
        }
        Ok(newton_bisect(f, lo, hi, 1e-15, budget * 1e-13, 300)?.exp())
    }
}

fn produce(input: &FigureInput<'_>) -> Result<FigureOutput> {
    let cfg: TiltConfig = crate::config::from_table(input.config.clone(), &input.origin)?;
    if cfg.pairs.is_empty() {
        return Err(Error::Config(format!("{}: `pairs` is empty", input.origin)));
    }
    crate::config::non_empty("betas", &cfg.betas, &input.origin)?;
    crate::config::non_empty("budgets_nats", &cfg.budgets_nats, &input.origin)?;
    for &b in &cfg.betas {
        crate::error::positive("betas[]", b)?;
    }
    if cfg.atoms > MAX_ATOMS {
        return Err(Error::TooLarge {
            name: "atoms",
            value: cfg.atoms as f64,
            needed: format!(
                "{:.1} GiB for the atoms and their weights",
                (cfg.atoms as f64) * 8.0 * 6.0 / f64::from(1u32 << 30)
            ),
            limit: format!("{MAX_ATOMS} atoms (seconds per β at that size)"),
        });
    }
    let atoms = if input.quick {
        cfg.atoms.min(4000)
    } else {
        cfg.atoms
    };
    let mut table = Table::new(&[
        "pair",
        "kind",
        "beta",
        "kl_nats",
        "mean_u",
        "mean_x",
        "mean_v",
        "budget_nats",
    ]);
    let mut series = Vec::new();
    let mut summary = serde_json::Map::new();
    input.observer.begin("kwa24-tilt", cfg.pairs.len() as u64);
    for (k, pair) in cfg.pairs.iter().enumerate() {
        let (lx, lv) = (Law::from_spec(&pair.x)?, Law::from_spec(&pair.v)?);
        // a law too heavy to discretise (e.g. a tiny `df`) names itself
        let discretise = |which: &str, spec: &crate::dist::LawSpec, law: &Law| {
            quantile_atoms(law, atoms).map_err(|e| match e {
                Error::Interrupted { .. } => e,
                _ => Error::Config(format!(
                    "{}: pairs[{k}].{which} = {}: {e} at {atoms} atoms (the law's parameters put its quantiles beyond f64)",
                    input.origin,
                    serde_json::to_string(spec).unwrap_or_default()
                )),
            })
        };
        let (xs, vs) = (
            discretise("x", &pair.x, &lx)?,
            discretise("v", &pair.v, &lv)?,
        );
        let p = Probs::uniform(atoms)?;
        let f = Factorised::new(&p, &xs, &p, &vs)?;
        let (mx0, mv0) = f.base_means();
        let mut pts_v = vec![(0.0, mv0)];
        let mut pts_u = vec![(0.0, mx0 + mv0)];
        let mut betas = cfg.betas.clone();
        betas.sort_by(|a, b| b.total_cmp(a));
        for (j, &b) in betas.iter().enumerate() {
            if crate::sim::interrupt::requested() {
                return Err(Error::Interrupted {
                    done: j,
                    total: betas.len(),
                });
            }
            let q = f.at(b)?;
            table.push(vec![
                pair.name.clone().into(),
                "beta".into(),
                b.into(),
                q.kl.into(),
                (q.mean_x + q.mean_v).into(),
                q.mean_x.into(),
                q.mean_v.into(),
                f64::NAN.into(),
            ])?;
            pts_v.push((q.kl, q.mean_v));
            pts_u.push((q.kl, q.mean_x + q.mean_v));
        }
        let mut budget_rows = Vec::new();
        for (j, &d) in cfg.budgets_nats.iter().enumerate() {
            if crate::sim::interrupt::requested() {
                return Err(Error::Interrupted {
                    done: j,
                    total: cfg.budgets_nats.len(),
                });
            }
            match f.beta_for_kl(d) {
                Ok(b) => {
                    let q = f.at(b)?;
                    table.push(vec![
                        pair.name.clone().into(),
                        "budget".into(),
                        b.into(),
                        q.kl.into(),
                        (q.mean_x + q.mean_v).into(),
                        q.mean_x.into(),
                        q.mean_v.into(),
                        d.into(),
                    ])?;
                    budget_rows.push(serde_json::json!({"budget_nats": d, "beta": b, "mean_v": q.mean_v, "mean_u": q.mean_x + q.mean_v}));
                }
                Err(e @ Error::UnreachableBudget { .. }) => {
                    // a budget no tilt reaches is bad input, not a note in the summary
                    return Err(Error::Config(format!(
                        "{}: pair `{}`: {e}",
                        input.origin, pair.name
                    )));
                }
                Err(e) => return Err(e),
            }
        }
        let x_top = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        summary.insert(
            pair.name.clone(),
            serde_json::json!({
                "base_mean_x": mx0, "base_mean_v": mv0, "budgets": budget_rows, "largest_x_atom": x_top,
                "note": "a quantile discretisation bounds X at its largest atom: once the tilt has moved X's mass there (KL near ln(atoms)), further KL goes to V. That is the finite-support caveat of Kwa et al. §4 (a bounded law is never heavy-tailed)."
            }),
        );
        series
            .push(Series::line(format!("E[V]: {}", pair.name), pts_v, k).styled(Style::LinePoints));
        series.push(Series::line(format!("E[U]: {}", pair.name), pts_u, k).styled(Style::Dashed));
        input.observer.advance(1);
    }
    input.observer.end();
    let axes = Axes {
        x_label: "KL(π_β ‖ π₀)  [nats]".into(),
        y_label: "expected value under π_β".into(),
        ..Default::default()
    };
    let svg = svg_page(
        1000,
        640,
        "goodhart simulate --config <file>  |  default: goodhart figure kwa24-tilt",
        |a| {
            chart_with_legend(
                a,
                SPEC.title,
                &axes,
                &series,
                &Guides::default(),
                Legend::UpperLeft,
            )
        },
    )?;
    Ok(FigureOutput {
        config: crate::config::to_json(&TiltConfig { atoms, ..cfg }),
        table,
        svg,
        summary: serde_json::Value::Object(summary),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::testing;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    #[test]
    fn gaussian_pair_matches_closed_form() {
        // X, V ~ N(0,1): E[V] = 1/β, KL = 1/β² (spec §6.4); the discretisation error at 20000 atoms
        // is below 1e-3 relative for β >= 1.
        let l = Law::normal(0.0, 1.0).unwrap();
        let a = quantile_atoms(&l, 20000).unwrap();
        let p = Probs::uniform(a.len()).unwrap();
        let f = Factorised::new(&p, &a, &p, &a).unwrap();
        let q = f.at(2.0).unwrap();
        assert_close(q.mean_v, 0.5, Tolerance::rel(2e-3));
        assert_close(q.kl, 0.25, Tolerance::rel(4e-3));
        let b = f.beta_for_kl(0.25).unwrap();
        assert_close(f.at(b).unwrap().kl, 0.25, Tolerance::rel(1e-10));
        assert!(matches!(
            f.beta_for_kl(100.0),
            Err(Error::UnreachableBudget { .. })
        ));
    }

    #[test]
    fn default_config_runs_quick() {
        let t = testing::config(SPEC.default_config);
        let out = produce(&testing::input(t, true)).unwrap();
        assert!(out.svg.contains("<svg"));
        // 2 pairs × (15 betas + 5 budgets)
        assert_eq!(out.table.rows.len(), 2 * 20);
    }
}
