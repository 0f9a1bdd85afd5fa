//! `kwa24-fig1` and `kwa24-fig2`: Kwa et al.'s empirical Figures 1 and 2 regenerated from the
//! reward samples the authors published (Starling-RM-7B-alpha on 30 000 random token sequences,
//! and on 16 000 Llama-2-7B-chat generations), with beside them what the paper did not have: a
//! Hill plot over a wider k range with a 95 % band, the alt-Hill, log-log CCDF, Pareto QQ and
//! mean-excess plots, and the threshold-selected verdict of [`crate::estimate::verdict`].
//!
//! The paper's four panels (spec §3 "Figure 1", "Figure 2"; clockwise from top left):
//! ```text
//! histogram:              100 equal-width bins, y = count
//! normal probability:     (Φ⁻¹(i/n), y_(i)),  i = 1..n−1   (ascending y; i = 0 is −∞, dropped)
//! Hill:                   H_k = (1/k)·Σ_{i<k} ln z_(i) − ln z_(k)   (0-based descending z, i.e.
//!                         threshold = the (k+1)-th largest), error bars ±H_k/√k,
//!                         k = ⌊n^0.1⌋ … ⌊n^a⌋ − 1 with n the full sample size;
//!                         Figure 1: z = positive part of y − ȳ, a = 0.5;  Figure 2: z = y > 0, a = 0.6
//! exponential probability: the m values above the mean, ascending: (−ln((m−i)/m), w_(i)), i = 0..m−1
//! ```
//! The data are embedded from `data/kwa2024/` (the authors' `.npy` files as CSV). The normal and
//! exponential probability plots are drawn thinned (every point in the outer 300 ranks of each
//! end, about 1 200 in between); the table holds the drawn points.

use serde::{Deserialize, Serialize};

use super::{FigureInput, FigureOutput, FigureSpec};
use crate::dist::normal_quantile_erfc;
use crate::error::{Error, Result};
use crate::estimate::plots::{
    ccdf_plot, hill_curve, hill_plot, mean_excess_plot, pareto_qq_plot, positive_part, HillBand,
    HillCurve, TailLine,
};
use crate::estimate::verdict::{verdict, VerdictOptions, VerdictReport};
use crate::numerics::Tolerance;
use crate::output::Table;
use crate::plot::{
    chart_with_legend, histogram, svg_page, titled, Axes, Guides, Legend, Series, Style,
};
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};
use crate::theory::goodhart::acg::csv_column;

const RANDOM: &str = include_str!("../../data/kwa2024/random_starling_reward_values.csv");
const LLAMA: &str = include_str!("../../data/kwa2024/llama_starling_reward_values.csv");

/// Figure 1: random token sequences.
pub static FIG1: FigureSpec = FigureSpec {
    id: "kwa24-fig1",
    paper: Paper::Kwa2024,
    figure: Some("1"),
    title: "Starling 7B-alpha reward on 30000 random token sequences: histogram, normal, exponential and Hill plots, plus tail verdict",
    source: "src/figures/kwa24_empirical.rs",
    default_config: include_str!("../../simulations/kwa24-fig1.toml"),
    produce: produce_fig1,
};

/// Figure 2: Llama-2-7B-chat generations.
pub static FIG2: FigureSpec = FigureSpec {
    id: "kwa24-fig2",
    paper: Paper::Kwa2024,
    figure: Some("2"),
    title: "Starling 7B-alpha reward on 16000 Llama-2-7B-chat generations: histogram, normal, exponential and Hill plots, plus tail verdict",
    source: "src/figures/kwa24_empirical.rs",
    default_config: include_str!("../../simulations/kwa24-fig2.toml"),
    produce: produce_fig2,
};

/// The figures this module produces.
pub static SPECS: &[&FigureSpec] = &[&FIG1, &FIG2];

/// Config of `kwa24-fig1` / `kwa24-fig2`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmpiricalConfig {
    /// Histogram bins (paper: 100).
    pub bins: usize,
    /// Subtract the sample mean before the Hill estimator (Figure 1: true, Figure 2: false).
    pub demean: bool,
    /// The paper's Hill range is `k = ⌊n^0.1⌋ … ⌊n^k_exponent⌋ − 1` (Figure 1: 0.5, Figure 2: 0.6).
    pub k_exponent: f64,
    /// The wider Hill panel runs to `k = ⌊wide_k_fraction · positives⌋`.
    pub wide_k_fraction: f64,
    /// Bootstrap replicates of the verdict's goodness-of-fit p-value.
    pub replicates: usize,
}

/// The embedded data set of a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// `random_starling_reward_values.csv` (30 000 values, Figure 1).
    RandomTokens,
    /// `llama_starling_reward_values.csv` (16 000 values, Figure 2).
    LlamaChat,
}

impl Dataset {
    /// The rewards, in file order.
    ///
    /// # Errors
    /// CSV errors (none for the embedded files).
    pub fn values(self) -> Result<Vec<f64>> {
        match self {
            Dataset::RandomTokens => csv_column(RANDOM, "reward"),
            Dataset::LlamaChat => csv_column(LLAMA, "reward"),
        }
    }
}

/// Sample statistics of spec §3 / §6.7.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    /// n.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Population standard deviation (divisor n, NumPy's default).
    pub sd: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

/// Mean, population sd, min, max (compensated sums).
///
/// # Errors
/// [`Error::Empty`].
pub fn stats(x: &[f64]) -> Result<Stats> {
    if x.is_empty() {
        return Err(Error::Empty { name: "sample" });
    }
    let (mean, var) = crate::numerics::moments::mean_var_population(x);
    Ok(Stats {
        n: x.len(),
        mean,
        sd: var.sqrt(),
        min: x.iter().copied().fold(f64::INFINITY, f64::min),
        max: x.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// The sample the paper's Hill panel uses: the positive part of `x − mean` (`demean`) or of `x`.
pub fn hill_sample(x: &[f64], demean: bool) -> Result<Vec<f64>> {
    let shift = if demean { stats(x)?.mean } else { 0.0 };
    Ok(positive_part(x, shift))
}

/// The paper's k range `⌊n^0.1⌋ … ⌊n^a⌋ − 1` for the full sample size `n`.
pub fn paper_k_range(n: usize, a: f64) -> (usize, usize) {
    let n = n as f64;
    ((n.powf(0.1) as usize).max(1), n.powf(a) as usize - 1)
}

/// Ranks to draw on a probability plot of `n` points: the outer 300 of each end, ~1200 between.
fn thinned(n: usize) -> Vec<usize> {
    let step = (n / 1200).max(1);
    (0..n)
        .filter(|&i| i < 300 || i + 300 >= n || i % step == 0)
        .collect()
}

fn produce_fig1(input: &FigureInput<'_>) -> Result<FigureOutput> {
    produce(input, &FIG1, Dataset::RandomTokens)
}

fn produce_fig2(input: &FigureInput<'_>) -> Result<FigureOutput> {
    produce(input, &FIG2, Dataset::LlamaChat)
}

fn produce(input: &FigureInput<'_>, spec: &FigureSpec, data: Dataset) -> Result<FigureOutput> {
    let cfg: EmpiricalConfig = crate::config::from_table(input.config.clone(), &input.origin)?;
    if cfg.bins == 0 {
        return Err(Error::Config(format!(
            "{}: `bins` must be >= 1",
            input.origin
        )));
    }
    if !(cfg.k_exponent > 0.1 && cfg.k_exponent < 1.0) {
        return Err(Error::Config(format!(
            "{}: `k_exponent` = {} must lie in (0.1, 1)",
            input.origin, cfg.k_exponent
        )));
    }
    if !(cfg.wide_k_fraction > 0.0 && cfg.wide_k_fraction < 1.0) {
        return Err(Error::Config(format!(
            "{}: `wide_k_fraction` = {} must lie in (0, 1)",
            input.origin, cfg.wide_k_fraction
        )));
    }
    let replicates = if input.quick {
        cfg.replicates.min(20)
    } else {
        cfg.replicates
    };
    input.observer.begin(spec.id, 3);
    let y = data.values()?;
    let st = stats(&y)?;
    let mut asc = y.clone();
    asc.sort_unstable_by(f64::total_cmp);
    let n = asc.len();

    // Hill: the paper's range and a wider one
    let z = hill_sample(&y, cfg.demean)?;
    let (k0, k1) = paper_k_range(n, cfg.k_exponent);
    if k1 < k0 || k1 >= z.len() {
        return Err(Error::Config(format!(
            "{}: the Hill range k = {k0}..{k1} needs more than {k1} positive values (have {})",
            input.origin,
            z.len()
        )));
    }
    let paper = hill_curve(&z, k0, k1)?;
    let wide_max = ((cfg.wide_k_fraction * z.len() as f64) as usize).clamp(k1, z.len() - 1);
    let wide = hill_curve(&z, 2, wide_max)?;
    input.observer.advance(1);

    // the verdict on the same sample the Hill panel sees (shifted if demeaned)
    let shift = if cfg.demean { st.mean } else { 0.0 };
    let shifted: Vec<f64> = y.iter().map(|v| v - shift).collect();
    let mut vopts = VerdictOptions::default();
    vopts.gof.replicates = replicates;
    let vr = verdict(&shifted, &vopts, input.seed)?;
    input.observer.advance(1);

    // probability plots
    let qq: Vec<(f64, f64)> = thinned(n)
        .into_iter()
        .filter(|&i| i > 0)
        .map(|i| (normal_quantile_erfc(i as f64 / n as f64), asc[i]))
        .collect();
    let above: Vec<f64> = asc.iter().copied().filter(|v| *v > st.mean).collect();
    let m = above.len();
    let ep: Vec<(f64, f64)> = thinned(m)
        .into_iter()
        .map(|i| (-((m - i) as f64 / m as f64).ln(), above[i]))
        .collect();

    // table (tidy): panel, x, y, lo, hi
    let mut table = Table::new(&["panel", "x", "y", "lo", "hi"]);
    let (edges, counts) = crate::plot::histogram_counts(&y, cfg.bins)?;
    for (i, c) in counts.iter().enumerate() {
        table.push(vec![
            "histogram".into(),
            (0.5 * (edges[i] + edges[i + 1])).into(),
            (*c as f64).into(),
            edges[i].into(),
            edges[i + 1].into(),
        ])?;
    }
    let mut push_pts = |panel: &str, pts: &[(f64, f64)]| -> Result<()> {
        for &(a, b) in pts {
            table.push(vec![
                panel.into(),
                a.into(),
                b.into(),
                f64::NAN.into(),
                f64::NAN.into(),
            ])?;
        }
        Ok(())
    };
    push_pts("normal_probability", &qq)?;
    push_pts("exponential_probability", &ep)?;
    for (name, c, z) in [("hill_paper", &paper, 1.0), ("hill_wide", &wide, 1.96)] {
        for ((&k, &g), s) in c.k.iter().zip(&c.gamma).zip(c.se()) {
            table.push(vec![
                name.into(),
                (k as f64).into(),
                g.into(),
                (g - z * s).into(),
                (g + z * s).into(),
            ])?;
        }
    }

    let what = if cfg.demean {
        "positive part of reward − mean"
    } else {
        "positive rewards"
    };
    let gamma_fit = TailLine {
        name: format!("PL fit at selected k̂ = {}: γ̂ = {:.3}", vr.k, vr.hill_gamma),
        gamma: vr.hill_gamma,
        k: vr.k,
    };
    let paper_fit = TailLine {
        name: format!(
            "paper's k = {k1}: γ̂ = {:.3}",
            paper.gamma[paper.gamma.len() - 1]
        ),
        gamma: paper.gamma[paper.gamma.len() - 1],
        k: k1,
    };
    let fits = [gamma_fit, paper_fit];
    let headline = format!(
        "{} — verdict: {} (γ̂ = {:.3}, 95% CI [{:.3}, {:.3}], k = {}, x̂_min = {:.3} on the {})",
        match data {
            Dataset::RandomTokens =>
                "Reward from 30000 random token sequences to Starling 7B alpha",
            Dataset::LlamaChat =>
                "Reward from 16000 Llama-7B-chat generated inputs to Starling 7B alpha",
        },
        vr.verdict.as_str(),
        vr.gamma,
        vr.gamma_ci.0,
        vr.gamma_ci.1,
        vr.k,
        vr.x_min,
        what
    );
    let footer = format!(
        "goodhart figure {}{}  |  paper panels: histogram, normal, exponential, Hill (k = {k0}..{k1}, ±SE); right column and bottom row: not in the paper",
        spec.id,
        if input.quick { " --quick" } else { "" }
    );
    let svg = svg_page(1650, 1500, &footer, |a| {
        let body = titled(a, &headline, 18)?;
        let p = body.split_evenly((3, 3));
        histogram(
            &p[0],
            "Histogram of reward (100 bins)",
            "reward",
            &y,
            cfg.bins,
            0,
        )?;
        let qq_axes = Axes {
            x_label: "standard normal quantile Φ⁻¹(i/n)".into(),
            y_label: "ordered reward".into(),
            ..Default::default()
        };
        chart_with_legend(
            &p[1],
            "Normal probability plot",
            &qq_axes,
            &[Series::line("", qq.clone(), 0).styled(Style::Points)],
            &Guides::default(),
            Legend::UpperLeft,
        )?;
        hill_plot(
            &p[2],
            &format!("Hill, k = 2..{wide_max}, 95% band; guides: paper k max, selected k̂ [new]"),
            &wide,
            false,
            HillBand::Band95,
            &[(k1, format!("{k1}")), (vr.k, format!("k̂={}", vr.k))],
            &[],
        )?;
        let ep_axes = Axes {
            x_label: "standard exponential quantile −ln((m−i)/m)".into(),
            y_label: "ordered reward above the mean".into(),
            ..Default::default()
        };
        chart_with_legend(
            &p[3],
            &format!("Exponential probability plot ({m} values above the mean)"),
            &ep_axes,
            &[Series::line("", ep.clone(), 0).styled(Style::Points)],
            &Guides::default(),
            Legend::UpperLeft,
        )?;
        hill_plot(
            &p[4],
            &format!("Hill estimator ({what}), k = {k0}..{k1}"),
            &paper,
            false,
            HillBand::ErrorBarsSe,
            &[],
            &[],
        )?;
        ccdf_plot(
            &p[5],
            &format!("Log-log CCDF, top {wide_max} ({what}) [new]"),
            &z,
            &fits,
            wide_max,
        )?;
        hill_plot(
            &p[6],
            "alt-Hill: γ̂ against ln k / ln n [new]",
            &wide,
            true,
            HillBand::Band95,
            &[],
            &[],
        )?;
        pareto_qq_plot(
            &p[7],
            &format!("Pareto QQ, top {wide_max} ({what}) [new]"),
            &z,
            &fits,
            wide_max,
        )?;
        mean_excess_plot(&p[8], "Mean excess of reward [new]", &y)
    })?;
    input.observer.advance(1);
    input.observer.end();

    let spec_ks: &[usize] = match data {
        Dataset::RandomTokens => &[2, 5, 10, 20, 30, 50, 75, 100, 125, 150, 172],
        Dataset::LlamaChat => &[2, 5, 10, 20, 50, 100, 150, 200, 250, 300, 332],
    };
    let hill_at: serde_json::Map<String, serde_json::Value> = spec_ks
        .iter()
        .filter_map(|&k| paper.at(k).map(|g| (k.to_string(), serde_json::json!(g))))
        .collect();
    let summary = serde_json::json!({
        "n": st.n, "mean": st.mean, "sd": st.sd, "min": st.min, "max": st.max,
        "values_above_mean": m,
        "hill_sample": what, "hill_sample_size": z.len(),
        "hill_k_range": [k0, k1],
        "hill_at_k": hill_at,
        "hill_se_at_k_max": paper.se()[paper.se().len() - 1],
        "verdict": verdict_json(&vr),
    });
    Ok(FigureOutput {
        config: crate::config::to_json(&EmpiricalConfig { replicates, ..cfg }),
        table,
        svg,
        summary,
    })
}

/// The compact part of a verdict for summaries: verdict, γ̂, CI, k, x̂_min, rule.
pub fn verdict_json(v: &VerdictReport) -> serde_json::Value {
    serde_json::json!({
        "verdict": v.verdict.as_str(), "gamma": v.gamma, "gamma_ci": [v.gamma_ci.0, v.gamma_ci.1],
        "k": v.k, "x_min": v.x_min, "rule": v.evidence.rule,
    })
}

/// `γ̂(k)` of the paper's Hill panel at the given `k`.
fn hill_at(d: Dataset, demean: bool, ks: &[usize]) -> Result<(usize, Vec<f64>)> {
    let z = hill_sample(&d.values()?, demean)?;
    let kmax = ks.iter().copied().max().unwrap_or(1);
    let c: HillCurve = hill_curve(&z, 1, kmax)?;
    Ok((z.len(), ks.iter().map(|&k| c.gamma[k - 1]).collect()))
}

fn eq_check(
    id: &str,
    result: &str,
    statement: &str,
    quantity: &str,
    value: f64,
    expected: f64,
    abs: f64,
) -> Check {
    Check::from(Claim {
        id: id.into(),
        paper: Paper::Tails,
        result: result.into(),
        statement: statement.into(),
        quantity: quantity.into(),
        value,
        relation: Relation::Eq,
        bound: expected,
        tol: Tolerance::abs(abs),
        detail: "computed from the authors' published sample (data/kwa2024/); expected value from spec §6.7 (computed there from the .npy file), tolerance = half a unit in its last printed digit".into(),
    })
}

/// The checks of spec §6.7 on the two samples, computed from the embedded data on every run.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    let mut v = Vec::new();
    match fig1_checks() {
        Ok(c) => v.extend(c),
        Err(e) => v.push(Check::failed_to_compute(
            "tails-fig1-data",
            Paper::Tails,
            "Figure 1",
            &e,
        )),
    }
    match fig2_checks() {
        Ok(c) => v.extend(c),
        Err(e) => v.push(Check::failed_to_compute(
            "tails-fig2-data",
            Paper::Tails,
            "Figure 2",
            &e,
        )),
    }
    v
}

fn fig1_checks() -> Result<Vec<Check>> {
    let r = "Figure 1";
    let s = stats(&Dataset::RandomTokens.values()?)?;
    let (pos, h) = hill_at(Dataset::RandomTokens, true, &[150, 172])?;
    let what = "Starling reward on 30000 random token sequences";
    Ok(vec![
        eq_check("tails-fig1-mean", r, "The published random-token rewards have the mean the spec reports.", &format!("mean of the {what}"), s.mean, -2.581709, 5e-7),
        eq_check("tails-fig1-sd", r, "… and the population standard deviation.", &format!("population sd of the {what}"), s.sd, 0.348637, 5e-7),
        eq_check("tails-fig1-max", r, "… and the maximum (the outlier of the exponential plot).", &format!("max of the {what}"), s.max, 0.720815, 5e-7),
        eq_check("tails-fig1-positives", r, "13 850 values lie above the mean (the demeaned positive part the Hill panel uses).", "number of rewards above the mean", pos as f64, 13850.0, 0.0),
        eq_check("tails-fig1-hill-k150", r, "The Hill panel (demeaned, positive part, threshold = (k+1)-th largest) reads 0.2018 at k = 150.", "Hill γ̂(150) of the positive part of reward − mean", h[0], 0.2018, 5e-5),
        eq_check("tails-fig1-hill-k172", r, "… and 0.2007 at the panel's last k = ⌊30000^0.5⌋ − 1 = 172, consistent with light tails (paper: ≈ 0.20).", "Hill γ̂(172) of the positive part of reward − mean", h[1], 0.2007, 5e-5),
    ])
}

fn fig2_checks() -> Result<Vec<Check>> {
    let r = "Figure 2";
    let s = stats(&Dataset::LlamaChat.values()?)?;
    let (_, h) = hill_at(Dataset::LlamaChat, false, &[332])?;
    let what = "Starling reward on 16000 Llama-2-chat generations";
    Ok(vec![
        eq_check("tails-fig2-mean", r, "The published Llama-generation rewards have the mean the spec reports.", &format!("mean of the {what}"), s.mean, -0.332984, 5e-7),
        eq_check("tails-fig2-sd", r, "… and the population standard deviation.", &format!("population sd of the {what}"), s.sd, 1.456227, 5e-7),
        eq_check("tails-fig2-max", r, "… and the maximum.", &format!("max of the {what}"), s.max, 4.142354, 5e-7),
        eq_check("tails-fig2-hill-k332", r, "The Hill panel (raw positive rewards, not demeaned) reads 0.1548 at its last k = ⌊16000^0.6⌋ − 1 = 332, still drifting (no plateau).", "Hill γ̂(332) of the positive rewards", h[0], 0.1548, 5e-5),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::testing;

    #[test]
    fn spec_numbers_reproduced() {
        // spec §6.7 (values computed from the authors' .npy files)
        let c = checks(&CheckOptions {
            seed: 1,
            quick: true,
        });
        assert_eq!(c.len(), 10);
        for k in &c {
            assert!(k.holds, "{}: {} vs {}", k.id, k.value, k.bound);
        }
        // the spec's k ranges: ⌊30000^0.1⌋ = 2 … ⌊30000^0.5⌋ − 1 = 172; ⌊16000^0.6⌋ − 1 = 332
        assert_eq!(paper_k_range(30_000, 0.5), (2, 172));
        assert_eq!(paper_k_range(16_000, 0.6), (2, 332));
        // a coarser spec row (§3): Hill(k = 20) = 0.270 on Figure 1, 0.105 on Figure 2
        let (_, h) = hill_at(Dataset::RandomTokens, true, &[20]).unwrap();
        assert!((h[0] - 0.270).abs() < 5e-4, "{}", h[0]);
        let (n, h) = hill_at(Dataset::LlamaChat, false, &[20]).unwrap();
        assert!((h[0] - 0.105).abs() < 5e-4, "{}", h[0]);
        assert_eq!(n, 7334, "spec §3: 7 334 positive Llama rewards");
    }

    #[test]
    fn default_configs_run_quick() {
        for spec in SPECS {
            let t = testing::config(spec.default_config);
            let out = (spec.produce)(&testing::input(t, true)).unwrap();
            assert!(out.svg.contains("<svg"));
            assert!(out.summary["verdict"]["verdict"].is_string());
            assert!(out.summary["hill_at_k"].as_object().unwrap().len() == 11);
        }
    }
}
