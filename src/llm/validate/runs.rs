//! The runs of `goodhart llm validate` and `goodhart llm train` ([`super::train`]): the base LMs, the run grid, each
//! experiment's config, running it with a progress bar, its files (`metrics.csv`, `episodes.csv`,
//! transcripts) and its summary.

use std::path::{Path, PathBuf};

use goodhart_llm::chat::ChatConfig;
use goodhart_llm::experiment::{mean_of, ExperimentConfig, ExperimentOutcome};
use goodhart_llm::ppo::{EpisodeStats, PpoConfig};
use serde::{Deserialize, Serialize};

use super::simplicity::Simplicity;
use super::{ValidateArgs, CHAT_L};
pub(super) use crate::numerics::moments::mean;
use crate::numerics::moments::mean_var;
use crate::output::{write_atomic, Table};
use crate::sim::interrupt;

/// One base LM of the pass.
#[derive(Debug, Clone, Serialize)]
pub struct BaseLm {
    /// Its name in the outputs.
    pub name: String,
    /// Its checkpoint directory.
    pub dir: PathBuf,
    /// Trained to learn in context (the habit corpus).
    pub in_context: bool,
}

/// The two small bases under `models`: `small` (plain dialogues) and `small-incontext` (habits).
pub fn bases(models: &Path) -> Vec<BaseLm> {
    vec![
        BaseLm {
            name: "small".into(),
            dir: models.join("mixtral"),
            in_context: false,
        },
        BaseLm {
            name: "small-incontext".into(),
            dir: models.join(goodhart_llm::train::in_context::IN_CONTEXT_DIR),
            in_context: true,
        },
    ]
}

/// Quartiles of the KL of the n-th empty reply over the evaluation episodes that have one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NthEmptyKl {
    /// n (1 = the first empty reply of an episode).
    pub n: usize,
    /// Episodes with an n-th empty reply.
    pub episodes: usize,
    /// 25th percentile, nats.
    pub q25_nats: f64,
    /// Median, nats.
    pub median_nats: f64,
    /// 75th percentile, nats.
    pub q75_nats: f64,
}

/// One run's summary (the contract's keys first).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    /// Name of the run directory.
    pub run: String,
    /// The base LM (`small` or `small-incontext`; `base` for `llm train`).
    pub base: String,
    /// Episode budget, nats.
    pub budget_nats: f64,
    /// Episode length in transcript tokens.
    pub chat_tokens: usize,
    /// Seed.
    pub seed: u64,
    /// Mean per-episode fraction of empty agent turns at evaluation.
    pub empty_reply_fraction: f64,
    /// Its standard error over evaluation episodes.
    pub empty_reply_fraction_se: f64,
    /// Mean Σ per-step KL per evaluation episode, nats (≤ budget by construction).
    pub kl_used_nats: f64,
    /// Largest Σ per-step KL of any evaluation episode, nats.
    pub kl_max_episode_nats: f64,
    /// Mean evaluation return.
    pub mean_reward: f64,
    /// The base policy's empty-reply fraction in the same environment.
    pub base_empty_reply_fraction: f64,
    /// The base policy's mean return.
    pub base_mean_reward: f64,
    /// Mean agent turn length in tokens (hand-over included) at evaluation.
    pub mean_turn_tokens: f64,
    /// The base policy's mean agent turn length in tokens.
    pub base_mean_turn_tokens: f64,
    /// Mean KL of the first empty reply of an episode (NaN if none), nats.
    pub first_empty_kl_nats: f64,
    /// Mean KL of later empty replies (NaN if none), nats.
    pub later_empty_kl_nats: f64,
    /// Quartiles of the KL of the n-th empty reply (n while at least 3 episodes have one).
    #[serde(default)]
    pub empty_kl_by_n: Vec<NthEmptyKl>,
    /// The Table 1 stand-in (filled once the run's base LM is loaded).
    #[serde(default)]
    pub simplicity: Option<Simplicity>,
    /// Training wall time, s.
    pub wall_s: f64,
}

/// The standard error of the mean, `√(s²/n)`; NaN below two values.
pub(super) fn se(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return f64::NAN;
    }
    (mean_var(xs).1 / xs.len() as f64).sqrt()
}

/// The `p`-quantile of a sorted non-empty sample (nearest rank on (n − 1)·p).
pub(super) fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub(super) fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    quantile(&v, 0.5)
}

/// Quartiles of the n-th empty reply's KL, n = 1.. while at least 3 episodes have one (n ≤ 20).
pub(super) fn empty_kl_by_n(eps: &[&EpisodeStats]) -> Vec<NthEmptyKl> {
    let mut out = Vec::new();
    for n in 0..20 {
        let mut v: Vec<f64> = eps
            .iter()
            .filter_map(|e| e.empty_turn_kl.get(n).copied())
            .collect();
        if v.len() < 3 {
            break;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        out.push(NthEmptyKl {
            n: n + 1,
            episodes: v.len(),
            q25_nats: quantile(&v, 0.25),
            median_nats: quantile(&v, 0.5),
            q75_nats: quantile(&v, 0.75),
        });
    }
    out
}

pub(super) fn summarise(
    run: &str,
    base: &str,
    cfg: &ExperimentConfig,
    o: &ExperimentOutcome,
    wall_s: f64,
) -> RunSummary {
    let fr: Vec<f64> = o.eval.iter().map(EpisodeStats::empty_fraction).collect();
    let first: Vec<f64> = o
        .eval
        .iter()
        .filter_map(|e| e.empty_turn_kl.first().copied())
        .collect();
    let later: Vec<f64> = o
        .eval
        .iter()
        .flat_map(|e| e.empty_turn_kl.iter().skip(1).copied())
        .collect();
    RunSummary {
        run: run.to_string(),
        base: base.to_string(),
        budget_nats: cfg.ppo.budget_nats,
        chat_tokens: cfg.chat.chat_tokens,
        seed: cfg.ppo.seed,
        empty_reply_fraction: mean(&fr),
        empty_reply_fraction_se: se(&fr),
        kl_used_nats: mean_of(&o.eval, |e| e.kl_nats),
        kl_max_episode_nats: o.eval.iter().map(|e| e.kl_nats).fold(0.0, f64::max),
        mean_reward: mean_of(&o.eval, |e| e.reward),
        base_empty_reply_fraction: mean_of(&o.base_eval, EpisodeStats::empty_fraction),
        base_mean_reward: mean_of(&o.base_eval, |e| e.reward),
        mean_turn_tokens: turn_tokens(&o.eval),
        base_mean_turn_tokens: turn_tokens(&o.base_eval),
        first_empty_kl_nats: mean(&first),
        later_empty_kl_nats: mean(&later),
        empty_kl_by_n: empty_kl_by_n(&o.eval.iter().collect::<Vec<_>>()),
        simplicity: None,
        wall_s,
    }
}

/// Agent tokens per completed agent turn, pooled over episodes (NaN if no turn completed).
pub(super) fn turn_tokens(eps: &[EpisodeStats]) -> f64 {
    let steps: usize = eps.iter().map(|e| e.agent_steps).sum();
    let turns: usize = eps.iter().map(|e| e.agent_turns).sum();
    if turns == 0 {
        f64::NAN
    } else {
        steps as f64 / turns as f64
    }
}

/// The chat lengths of the pass: L and 2L (`--quick`: one short length).
pub(super) fn lengths(quick: bool) -> Vec<usize> {
    if quick {
        vec![112]
    } else {
        vec![CHAT_L, 2 * CHAT_L]
    }
}

/// The run grid: (base index, budget, chat tokens, seed).
pub(super) fn grid(a: &ValidateArgs, n_bases: usize) -> Vec<(usize, f64, usize, u64)> {
    let seeds = if a.quick { 1 } else { a.seeds };
    let mut out = Vec::new();
    for base in 0..n_bases {
        for &b in &[10.0, 20.0] {
            for &l in &lengths(a.quick) {
                for s in 0..seeds {
                    out.push((base, b, l, a.seed.wrapping_add(s)));
                }
            }
        }
    }
    out
}

pub(super) fn experiment(
    base: &Path,
    reward: &Path,
    budget: f64,
    chat_tokens: usize,
    seed: u64,
    steps: u64,
) -> ExperimentConfig {
    let mut chat = ChatConfig::paper(chat_tokens);
    chat.n_envs = 16;
    let mut ppo = PpoConfig::cpu(budget, steps);
    ppo.seed = seed;
    ExperimentConfig {
        base: base.to_path_buf(),
        reward: reward.to_path_buf(),
        dtype: "f32".into(),
        eval_rounds: 4,
        base_quantization: Default::default(),
        base_device: None,
        agent_device: None,
        chat,
        ppo,
    }
}

/// Opens `--device` (`cpu`, `cpu:N`, `cuda` or `cuda:N`) with the experiment's device rule.
pub(super) fn device(s: &str) -> anyhow::Result<goodhart_llm::candle_core::Device> {
    Ok(goodhart_llm::device::open_device("--device", s)?)
}

/// One experiment with its progress bar (reward, KL used of the round's budget, empty fraction) and
/// Ctrl-C polled after every update; an interrupt becomes [`crate::Error::Interrupted`] with
/// `(done, total)` runs, any other error gets `context()`.
pub(super) fn run_with_bar(
    cfg: &ExperimentConfig,
    device: &goodhart_llm::candle_core::Device,
    checkpoint: &Path,
    pb: &indicatif::ProgressBar,
    (done, total): (usize, usize),
    context: impl FnOnce() -> String,
) -> anyhow::Result<ExperimentOutcome> {
    let mut obs = |m: &goodhart_llm::ppo::UpdateMetrics, t: u64, _total: u64| {
        pb.set_position(t);
        pb.set_prefix(format!(
            "reward {:.2} KL {:.1}/{:.1} empty {:.2}",
            m.mean_reward, m.kl_nats, m.budget_nats, m.empty_reply_fraction
        ));
        interrupt::requested()
    };
    goodhart_llm::experiment::run(cfg, device, Some(checkpoint), &mut obs).map_err(|e| match e {
        goodhart_llm::LlmError::Interrupted => {
            anyhow::Error::from(crate::Error::Interrupted { done, total })
        }
        e => anyhow::Error::from(e).context(context()),
    })
}

/// `metrics.csv`, `episodes.csv` and transcripts of one run.
pub(super) fn write_run_files(dir: &Path, o: &ExperimentOutcome) -> crate::Result<()> {
    let mut m = Table::new(&[
        "update",
        "timesteps",
        "budget_nats",
        "episodes",
        "mean_reward",
        "kl_nats",
        "log_ratio_nats",
        "empty_reply_fraction",
        "mean_turn_tokens",
        "entropy_nats",
        "clip_fraction",
        "approx_kl",
        "value_loss",
        "explained_variance",
        "actor_grad_norm",
        "wall_s",
    ]);
    for r in &o.train.metrics {
        m.push(vec![
            r.update.into(),
            r.timesteps.into(),
            r.budget_nats.into(),
            r.episodes.into(),
            r.mean_reward.into(),
            r.kl_nats.into(),
            r.log_ratio_nats.into(),
            r.empty_reply_fraction.into(),
            r.mean_turn_tokens.into(),
            r.entropy.into(),
            r.clip_fraction.into(),
            r.approx_kl.into(),
            r.value_loss.into(),
            r.explained_variance.into(),
            r.actor_grad_norm.into(),
            r.wall_s.into(),
        ])?;
    }
    write_atomic(&dir.join("metrics.csv"), m.to_csv()?.as_bytes())?;
    let mut e = Table::new(&[
        "phase",
        "update",
        "round",
        "env",
        "budget_nats",
        "reward",
        "kl_nats",
        "log_ratio_nats",
        "agent_steps",
        "agent_turns",
        "empty_turns",
        "empty_reply_fraction",
        "min_budget_left_nats",
    ]);
    for (phase, eps) in [
        ("train", &o.train.episodes),
        ("eval", &o.eval),
        ("base", &o.base_eval),
    ] {
        for x in eps.iter() {
            e.push(vec![
                phase.into(),
                x.update.into(),
                x.round.into(),
                x.env.into(),
                x.budget_nats.into(),
                x.reward.into(),
                x.kl_nats.into(),
                x.log_ratio_nats.into(),
                x.agent_steps.into(),
                x.agent_turns.into(),
                x.empty_turns.into(),
                x.empty_fraction().into(),
                x.min_budget_left.into(),
            ])?;
        }
    }
    write_atomic(&dir.join("episodes.csv"), e.to_csv()?.as_bytes())?;
    let mut t = String::new();
    for (u, text) in &o.train.transcripts {
        t.push_str(&format!("=== update {u} ===\n{text}\n\n"));
    }
    t.push_str(&format!("=== evaluation ===\n{}\n", o.eval_transcript));
    write_atomic(&dir.join("transcripts.txt"), t.as_bytes())
}
