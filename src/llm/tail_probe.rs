//! `goodhart llm probe`: the reward-model tail probe of Kwa et al. 2024 §4 on checkpoints from
//! local paths, with every sample set sent through the tail module (`goodhart tails`).
//!
//! Writes to `--out`:
//! - `probe-random.csv` (uniform random token sequences → reward), its tail analysis in
//!   `tails-random/`, and `kwa24-fig-b1-probe.{svg,csv,json}`: Figure B.1's histogram and normal
//!   probability plot, on this reward model;
//! - with `--base`: `probe-base.csv` (base-model continuations → reward) and `tails-base/`;
//! - `probe-acg.csv` (ACG runs: initial, final and best reward; with `--base`, the log-probability
//!   of the best sequence under the base LM, correct and as the authors computed it) and, with
//!   `--base`, `kwa24-fig-b2-probe.{svg,csv,json}`: Figure B.2's reward against log-probability,
//!   with the §4.1 reading: the KL of mixing 1 % of the best ACG sequence into the base policy
//!   and the reward it buys;
//! - `probe.json`: everything above as one object (verdicts, γ̂ with CI, k, the ACG table).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use crate::dist::normal_quantile_erfc;
use crate::estimate::verdict::{verdict, VerdictOptions, VerdictReport};
use crate::llm::figures::{write_llm_figure, LlmFigure, KWA_B1_PROBE, KWA_B2_PROBE};
use crate::output::progress::bar;
use crate::output::{write_atomic, Table};
use crate::plot::{chart, histogram, svg_page, titled, Axes, Guides, Series, Style};
use crate::sim::interrupt;

/// Arguments of `goodhart llm probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Reward model: a DistilBERT sequence classifier in the Hugging Face layout (a local
    /// directory or a local HF cache entry `models--org--name`).
    #[arg(long)]
    pub reward: PathBuf,
    /// Base LM (Mixtral architecture) for continuations and for the log-probability of ACG sequences.
    #[arg(long)]
    pub base: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "probe")]
    pub out: PathBuf,
    /// Uniform random token sequences to score (paper: 30 000).
    #[arg(long, default_value_t = 2000)]
    pub random: usize,
    /// Tokens per random sequence (paper: 1024; at most the reward model's positions − 2).
    #[arg(long, default_value_t = 64)]
    pub random_length: usize,
    /// Base-model continuations to score (paper: 16 000).
    #[arg(long, default_value_t = 300)]
    pub base_samples: usize,
    /// Random prompt tokens before each continuation (paper: 5).
    #[arg(long, default_value_t = 5)]
    pub prompt_tokens: usize,
    /// New tokens per continuation (paper: 128).
    #[arg(long, default_value_t = 48)]
    pub max_new: usize,
    /// ACG runs (paper: 40).
    #[arg(long, default_value_t = 8)]
    pub acg_runs: usize,
    /// ACG steps per run (paper: 1000).
    #[arg(long, default_value_t = 100)]
    pub acg_iterations: usize,
    /// Optimised tokens per ACG sequence (paper: 133).
    #[arg(long, default_value_t = 32)]
    pub acg_length: usize,
    /// Run ACG exactly as the authors did: always move to the best candidate, even if worse.
    #[arg(long)]
    pub authors_acg: bool,
    /// Weights dtype: f32, bf16 or f16.
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    /// Master seed.
    #[arg(long, default_value_t = crate::sim::seeds::DEFAULT_SEED)]
    pub seed: u64,
    /// Print probe.json on stdout.
    #[arg(long)]
    pub json: bool,
}

fn write_samples(path: &Path, column: &str, values: &[f64]) -> crate::Result<()> {
    let mut t = Table::new(&["sample", column]);
    for (i, v) in values.iter().enumerate() {
        t.push(vec![i.into(), (*v).into()])?;
    }
    write_atomic(path, t.to_csv()?.as_bytes())
}

fn tails_of(
    values: &[f64],
    dir: &Path,
    file: &Path,
    label: &str,
    seed: u64,
    quiet: bool,
) -> anyhow::Result<VerdictReport> {
    let v = verdict(values, &VerdictOptions::default(), seed)
        .with_context(|| format!("tails of {label}"))?;
    crate::figures::tails::write_outputs(dir, file, "reward", values, seed, &v, label)?;
    if !quiet {
        eprintln!(
            "{label}: {} — γ̂ = {:.3} (95% CI [{:.3}, {:.3}]), k = {}, n = {}",
            v.verdict.as_str(),
            v.gamma,
            v.gamma_ci.0,
            v.gamma_ci.1,
            v.k,
            values.len()
        );
    }
    Ok(v)
}

fn stop() -> bool {
    interrupt::requested()
}

/// Runs `goodhart llm probe`.
///
/// # Errors
/// Loading errors name the file/tensor; estimator errors name the sample set.
pub fn run(a: ProbeArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    use goodhart_llm::probe::{
        acg, base_model_rewards, random_token_rewards, text_log_prob, AcgConfig,
    };
    let started = Instant::now();
    let argv: Vec<String> = std::env::args().collect();
    let dtype = goodhart_llm::checkpoint::parse_dtype(&a.dtype)?;
    let device = goodhart_llm::candle_core::Device::Cpu;
    let (rm, rm_tok) = goodhart_llm::load::distilbert(&a.reward, dtype, &device)
        .with_context(|| format!("reward model {}", a.reward.display()))?;
    let base = match &a.base {
        Some(p) => Some(
            goodhart_llm::load::mixtral(p, dtype, &device)
                .with_context(|| format!("base model {}", p.display()))?,
        ),
        None => None,
    };
    std::fs::create_dir_all(&a.out).with_context(|| a.out.display().to_string())?;
    let mut summary = serde_json::Map::new();

    // 1. random token sequences
    let pb = bar(quiet, a.random as u64, "random tokens");
    let random = random_token_rewards(&rm, &rm_tok, a.random, a.random_length, a.seed, |n| {
        pb.set_position(n as u64);
        stop()
    })?;
    pb.finish_and_clear();
    let random_csv = a.out.join("probe-random.csv");
    write_samples(&random_csv, "reward", &random)?;
    let v_random = tails_of(
        &random,
        &a.out.join("tails-random"),
        &random_csv,
        "random tokens",
        a.seed,
        quiet,
    )?;
    summary.insert(
        "random".into(),
        crate::figures::kwa24_empirical::verdict_json(&v_random),
    );
    write_b1(&a, &random, &v_random, &argv, started)?;

    // 2. base-model continuations
    if let Some((lm, lm_tok)) = &base {
        let pb = bar(quiet, a.base_samples as u64, "base samples");
        let samples = base_model_rewards(
            lm,
            lm_tok,
            &rm,
            &rm_tok,
            a.base_samples,
            a.prompt_tokens,
            a.max_new,
            a.seed, // its own streams: "probe/base-model/…"
            |n| {
                pb.set_position(n as u64);
                stop()
            },
        )?;
        pb.finish_and_clear();
        let mut t = Table::new(&["sample", "reward", "text"]);
        for (i, s) in samples.iter().enumerate() {
            t.push(vec![i.into(), s.reward.into(), s.text.clone().into()])?;
        }
        let base_csv = a.out.join("probe-base.csv");
        write_atomic(&base_csv, t.to_csv()?.as_bytes())?;
        let r: Vec<f64> = samples.iter().map(|s| s.reward).collect();
        let v_base = tails_of(
            &r,
            &a.out.join("tails-base"),
            &base_csv,
            "base-model samples",
            a.seed,
            quiet,
        )?;
        summary.insert(
            "base".into(),
            crate::figures::kwa24_empirical::verdict_json(&v_base),
        );
        summary.insert(
            "base_mean_reward".into(),
            (r.iter().sum::<f64>() / r.len() as f64).into(),
        );
    }

    // 3. ACG
    let cfg = AcgConfig {
        length: a.acg_length,
        iterations: a.acg_iterations,
        runs: a.acg_runs,
        keep_incumbent: !a.authors_acg,
        ..AcgConfig::paper()
    };
    let pb = bar(quiet, (a.acg_runs * a.acg_iterations) as u64, "ACG");
    let runs = acg(&rm, &rm_tok, &cfg, a.seed, |run, step| {
        pb.set_position((run * a.acg_iterations + step) as u64);
        stop()
    })?;
    pb.finish_and_clear();
    let mut t = Table::new(&[
        "run",
        "initial_reward",
        "final_reward",
        "best_reward",
        "log_prob_nats",
        "authors_log_prob_nats",
        "text",
    ]);
    let mut acg_rows = Vec::new();
    for r in &runs {
        let lp = match &base {
            Some((lm, lm_tok)) => Some(text_log_prob(lm, lm_tok, &r.best_text)?),
            None => None,
        };
        t.push(vec![
            r.run.into(),
            r.initial_reward.into(),
            r.final_reward.into(),
            r.best_reward.into(),
            lp.map(|l| l.log_prob).unwrap_or(f64::NAN).into(),
            lp.map(|l| l.authors_log_prob).unwrap_or(f64::NAN).into(),
            r.best_text.clone().into(),
        ])?;
        acg_rows.push((r.best_reward, lp.map(|l| l.log_prob)));
    }
    write_atomic(&a.out.join("probe-acg.csv"), t.to_csv()?.as_bytes())?;
    summary.insert("acg".into(), serde_json::to_value(&runs.iter().map(|r| serde_json::json!({
        "run": r.run, "initial_reward": r.initial_reward, "final_reward": r.final_reward, "best_reward": r.best_reward
    })).collect::<Vec<_>>())?);
    if base.is_some() {
        let base_mean = summary
            .get("base_mean_reward")
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN);
        let reading = write_b2(&a, &acg_rows, base_mean, &argv, started)?;
        summary.insert("acg_mixture_reading".into(), reading);
    }
    let json = serde_json::Value::Object(summary);
    write_atomic(
        &a.out.join("probe.json"),
        serde_json::to_string_pretty(&json)?.as_bytes(),
    )?;
    if a.json {
        println!("{}", serde_json::to_string(&json)?);
    } else {
        println!(
            "wrote {}/ (probe-*.csv, tails-*/, kwa24-fig-b1-probe, kwa24-fig-b2-probe, probe.json)",
            a.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Φ⁻¹ by the statrs normal.

/// Figure B.1 on this reward model: histogram (100 bins) and normal probability plot (x = Φ⁻¹(i/n),
/// the authors' convention; the i = 0 point, at −∞, is dropped as matplotlib silently does).
fn write_b1(
    a: &ProbeArgs,
    x: &[f64],
    v: &VerdictReport,
    argv: &[String],
    started: Instant,
) -> anyhow::Result<()> {
    let mut sorted = x.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let n = sorted.len();
    let mut table = Table::new(&["rank", "normal_quantile", "reward"]);
    let mut pts = Vec::with_capacity(n);
    for (i, &y) in sorted.iter().enumerate().skip(1) {
        let q = normal_quantile_erfc(i as f64 / n as f64);
        table.push(vec![i.into(), q.into(), y.into()])?;
        pts.push((q, y));
    }
    let headline = format!(
        "Reward of {} random length-{} token sequences: tail verdict {} (γ̂ = {:.3}, 95% CI [{:.3}, {:.3}])",
        n, a.random_length, v.verdict.as_str(), v.gamma, v.gamma_ci.0, v.gamma_ci.1
    );
    let svg = svg_page(1400, 620, "goodhart llm probe --reward DIR", |ar| {
        let body = titled(ar, &headline, 16)?;
        let p = body.split_evenly((1, 2));
        histogram(
            &p[0],
            "Histogram of reward from random inputs",
            "reward (logit margin)",
            x,
            100,
            0,
        )?;
        chart(
            &p[1],
            "Normal probability plot",
            &Axes {
                x_label: "theoretical quantile Φ⁻¹(i/n)".into(),
                y_label: "ordered reward".into(),
                ..Default::default()
            },
            &[Series::line("rewards", pts, 0).styled(Style::Points)],
            &Guides::default(),
        )
    })?;
    let fig = LlmFigure {
        spec: &KWA_B1_PROBE,
        config: serde_json::json!({"reward": a.reward, "random": a.random, "random_length": a.random_length}),
        seed: a.seed,
        summary: crate::figures::kwa24_empirical::verdict_json(v),
    };
    write_llm_figure(&a.out, &fig, &svg, &table, argv, started)?;
    Ok(())
}

/// Figure B.2 on these models: best ACG reward against its log-probability under the base LM, and
/// the §4.1 reading for the run with the highest reward: mixing α = 1 % of that sequence into the
/// base policy costs KL ≈ α·(ln α − ln q) and buys α·(r − E_base[r]) reward.
fn write_b2(
    a: &ProbeArgs,
    rows: &[(f64, Option<f64>)],
    base_mean: f64,
    argv: &[String],
    started: Instant,
) -> anyhow::Result<serde_json::Value> {
    let mut table = Table::new(&["run", "best_reward", "log_prob_nats"]);
    let mut pts = Vec::new();
    for (i, (r, lp)) in rows.iter().enumerate() {
        let lp = lp.unwrap_or(f64::NAN);
        table.push(vec![i.into(), (*r).into(), lp.into()])?;
        pts.push((*r, lp));
    }
    let best =
        rows.iter()
            .filter_map(|(r, lp)| lp.map(|l| (*r, l)))
            .fold(None::<(f64, f64)>, |acc, p| match acc {
                Some(b) if b.0 >= p.0 => Some(b),
                _ => Some(p),
            });
    let reading = match best {
        Some((r, lp)) => {
            let alpha = 0.01;
            let kl = crate::theory::goodhart::acg::mixture_kl(alpha, lp)?;
            serde_json::json!({
                "alpha": alpha, "best_reward": r, "log_prob_nats": lp, "kl_nats": kl,
                "reward_gain": alpha * (r - base_mean), "base_mean_reward": base_mean
            })
        }
        None => serde_json::Value::Null,
    };
    let headline = match best {
        Some((r, lp)) => format!(
            "ACG on this reward model: best reward {:.3} at log-prob {:.1} nats; mixing 1% of it costs {:.2} nats of KL for {:.4} reward",
            r,
            lp,
            reading["kl_nats"].as_f64().unwrap_or(f64::NAN),
            reading["reward_gain"].as_f64().unwrap_or(f64::NAN)
        ),
        None => "ACG on this reward model".into(),
    };
    let svg = svg_page(
        900,
        680,
        "goodhart llm probe --reward DIR --base DIR",
        |ar| {
            let body = titled(ar, &headline, 14)?;
            chart(
                &body,
                "Reward vs log-probability of ACG-optimised sequences",
                &Axes {
                    x_label: "reward (logit margin), best seen per run".into(),
                    y_label: "log-probability under the base LM (nats)".into(),
                    ..Default::default()
                },
                &[Series::line("ACG runs", pts, 0).styled(Style::Points)],
                &Guides::default(),
            )
        },
    )?;
    let fig = LlmFigure {
        spec: &KWA_B2_PROBE,
        config: serde_json::json!({
            "reward": a.reward, "base": a.base, "acg_runs": a.acg_runs,
            "acg_iterations": a.acg_iterations, "acg_length": a.acg_length, "authors_acg": a.authors_acg
        }),
        seed: a.seed,
        summary: reading.clone(),
    };
    write_llm_figure(&a.out, &fig, &svg, &table, argv, started)?;
    Ok(reading)
}
