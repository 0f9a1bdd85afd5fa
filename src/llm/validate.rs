//! `goodhart llm validate`: the CPU validation pass of Cohen et al. 2024's KL-budget experiment on
//! the small models trained here (spec `cohen2024.md` §3; issues 6 and 12).
//!
//! **Two base LMs** ([`bases`]), both trained by `goodhart llm train-small`: `small`, trained on
//! dialogues without habits (nothing in its data asks it to learn from the transcript in front of
//! it), and `small-incontext`, trained on the habit corpus ([`goodhart_llm::corpus::habits`]) where
//! every speaker keeps a latent habit through the transcript and every role but the Teacher is
//! sometimes silent: an in-context learner. Theorem 1's contrast is between a Bayesian imitator,
//! which cannot rule out "this Teacher is silent now" once it has happened, and a model class that
//! cannot represent the pattern, against which a KL budget binds.
//!
//! The grid is the paper's, per base: budgets 10 and 20 nats × chats of L and 2L tokens (L = 128,
//! scaled down from 256/512) × seeds. Each run trains the KL-budget agent with PPO over the frozen
//! base (student and base policy) with the small DistilBERT as reward, then evaluates it at the full
//! budget next to the base policy. Per base it also measures the price of the n-th forced empty
//! Teacher reply (n = 1..16, [`goodhart_llm::silence_price`]) beside the exact price under the
//! habit generator's role-agnostic prior. Outputs (in `--out`):
//! * `validate.json` (contract: `runs` with `base`, `budget_nats`, `chat_tokens`, `seed`,
//!   `empty_reply_fraction`, `kl_used_nats`, `mean_reward`; `base_empty_reply_fraction`; `bases` with
//!   `name`, `in_context`, `silence_price.mean_by_n`), the verdict and the time of each part;
//! * `cohen24-llm-transcripts.*` (the paper's Figure 2), `cohen24-llm-empty-kl.*` (Figure 3),
//!   `cohen24-llm-empty-fraction.*` (Figure 4), `cohen24-llm-training.*` (training curves);
//! * a computable stand-in for Table 1 (which needs a human or GPT judge): the base LM's mean
//!   surprisal of the transcripts and their deflate compression ratio, agent vs base policy;
//! * `runs/<run>/` checkpoints, metrics and transcripts: a rerun resumes and skips finished runs.
//!
//! The verdict states what was measured, base by base, not what the paper found.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use goodhart_llm::chat::ChatConfig;
use goodhart_llm::experiment::{mean_of, ExperimentConfig, ExperimentOutcome};
use goodhart_llm::mixtral::CausalLm;
use goodhart_llm::ppo::{EpisodeStats, PpoConfig};
use goodhart_llm::silence_price::SilencePrice;
use serde::{Deserialize, Serialize};

use crate::llm::figures::{draw_kl_transcript, write_llm_figure, LlmFigure};
use crate::output::{write_atomic, Table};
use crate::plot::{chart, svg_page, titled, Axes, Guides, Series, Style};
use crate::sim::interrupt;

/// The shorter chat length L of the full pass (the longer is 2L), tokens.
pub const CHAT_L: usize = 128;

/// Arguments of `goodhart llm validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Output directory.
    #[arg(long, default_value = "validate")]
    pub out: PathBuf,
    /// The small models (DIR/mixtral, DIR/mixtral-incontext, DIR/distilbert); trained there first
    /// when missing.
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Seeds per condition (≥ 1).
    #[arg(long, default_value_t = 2)]
    pub seeds: u64,
    /// Agent timesteps per run.
    #[arg(long, default_value_t = 6144)]
    pub steps: u64,
    /// Master seed.
    #[arg(long, default_value_t = crate::sim::seeds::DEFAULT_SEED)]
    pub seed: u64,
    /// A seconds-long smoke preset (one seed, few steps, short chats): checks the plumbing only.
    #[arg(long)]
    pub quick: bool,
    /// Print validate.json on stdout.
    #[arg(long)]
    pub json: bool,
}

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

/// The computable stand-in for the paper's Table 1 ("simpler / less complex"), agent vs base
/// policy transcripts of the last evaluation round: the base LM's mean surprisal per token after
/// the prompt (temperature 1), and the deflate compression ratio (compressed / raw bytes) of the
/// text after the prompt. Lower = more predictable / more compressible. A stand-in: the paper asked
/// GPT-3.5 which transcript is "better" and "more complex/unpredictable".
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Simplicity {
    /// Transcripts per side.
    pub transcripts: usize,
    /// Agent transcripts: mean −ln b(token | before) per token after the prompt, nats.
    pub agent_surprisal_nats_per_token: f64,
    /// Base-policy transcripts: the same.
    pub base_policy_surprisal_nats_per_token: f64,
    /// Agent transcripts: deflate bytes / raw bytes.
    pub agent_compression_ratio: f64,
    /// Base-policy transcripts: deflate bytes / raw bytes.
    pub base_policy_compression_ratio: f64,
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

fn se(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let m = xs.iter().sum::<f64>() / n;
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt()
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        f64::NAN
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// The `p`-quantile of a sorted non-empty sample (nearest rank on (n − 1)·p).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    quantile(&v, 0.5)
}

/// Quartiles of the n-th empty reply's KL, n = 1.. while at least 3 episodes have one (n ≤ 20).
fn empty_kl_by_n(eps: &[&EpisodeStats]) -> Vec<NthEmptyKl> {
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

fn summarise(
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
fn turn_tokens(eps: &[EpisodeStats]) -> f64 {
    let steps: usize = eps.iter().map(|e| e.agent_steps).sum();
    let turns: usize = eps.iter().map(|e| e.agent_turns).sum();
    if turns == 0 {
        f64::NAN
    } else {
        steps as f64 / turns as f64
    }
}

/// The chat lengths of the pass: L and 2L (`--quick`: one short length).
fn lengths(quick: bool) -> Vec<usize> {
    if quick {
        vec![112]
    } else {
        vec![CHAT_L, 2 * CHAT_L]
    }
}

/// The run grid: (base index, budget, chat tokens, seed).
fn grid(a: &ValidateArgs, n_bases: usize) -> Vec<(usize, f64, usize, u64)> {
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

fn experiment(
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

/// Deflate-compressed size / raw size of `text` (best compression).
fn compression_ratio(text: &str) -> f64 {
    if text.is_empty() {
        return f64::NAN;
    }
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = enc.write_all(text.as_bytes());
    let n = enc.finish().map(|v| v.len()).unwrap_or(0);
    n as f64 / text.len() as f64
}

/// The Table 1 stand-in for one run (see [`Simplicity`]).
fn simplicity(
    lm: &impl CausalLm,
    decode: &dyn Fn(&[u32]) -> anyhow::Result<String>,
    prompt_len: usize,
    o: &ExperimentOutcome,
) -> anyhow::Result<Option<Simplicity>> {
    let side = |ids: &[Vec<u32>]| -> anyhow::Result<(f64, f64)> {
        let (mut nats, mut count) = (0.0, 0usize);
        let mut text = String::new();
        for t in ids.iter().take(8) {
            let lp = lm.sequence_log_probs(t)?;
            // lp[i] = ln b(t[i + 1] | t[..=i]); the tokens after the prompt are i + 1 ≥ prompt_len.
            for v in lp.iter().skip(prompt_len.saturating_sub(1)) {
                nats -= v;
                count += 1;
            }
            text.push_str(&decode(&t[prompt_len.min(t.len())..])?);
            text.push('\n');
        }
        Ok((nats / count.max(1) as f64, compression_ratio(&text)))
    };
    if o.eval_ids.is_empty() || o.base_ids.is_empty() {
        return Ok(None);
    }
    let (sa, ca) = side(&o.eval_ids)?;
    let (sb, cb) = side(&o.base_ids)?;
    Ok(Some(Simplicity {
        transcripts: o.eval_ids.len().min(8),
        agent_surprisal_nats_per_token: sa,
        base_policy_surprisal_nats_per_token: sb,
        agent_compression_ratio: ca,
        base_policy_compression_ratio: cb,
    }))
}

/// One transcript of the paper's Figure 2: tokens with the agent's per-token KL.
pub struct TranscriptPanel {
    /// Base LM name.
    pub base: String,
    /// Budget, nats.
    pub budget_nats: f64,
    /// Chat length, tokens.
    pub chat_tokens: usize,
    /// `(text, Some(KL))` for agent tokens, `(text, None)` for the prompt and the other speaker.
    pub tokens: Vec<(String, Option<f64>)>,
}

/// The Figure 2 panel of a run: its first evaluation transcript of the last round with the agent's
/// per-step KLs. `None` (with nothing drawn) when the outcome predates per-token logging or the
/// replayed turn structure does not give one position per agent step.
#[allow(clippy::too_many_arguments)]
fn transcript_panel(
    base: &str,
    c: &ExperimentConfig,
    o: &ExperimentOutcome,
    prompt_len: usize,
    agent_pat: &[u32],
    other_pat: &[u32],
    decode: &dyn Fn(&[u32]) -> anyhow::Result<String>,
) -> anyhow::Result<Option<TranscriptPanel>> {
    let n = o.eval_ids.len();
    if n == 0 || o.eval.len() < n {
        return Ok(None);
    }
    let ids = &o.eval_ids[0];
    let stats = &o.eval[o.eval.len() - n];
    let pos = goodhart_llm::chat::agent_token_positions(ids, prompt_len, agent_pat, other_pat);
    if pos.len() != stats.agent_step_kl.len() || pos.len() != stats.agent_steps {
        return Ok(None);
    }
    let mut kl = vec![None; ids.len()];
    for (&p, &k) in pos.iter().zip(&stats.agent_step_kl) {
        kl[p] = Some(k);
    }
    let mut tokens = Vec::with_capacity(ids.len());
    // The prompt as one grey piece (BOS dropped), then token by token.
    tokens.push((decode(&ids[..prompt_len.min(ids.len())])?, None));
    for (i, &t) in ids.iter().enumerate().skip(prompt_len) {
        tokens.push((decode(&[t])?, kl[i]));
    }
    Ok(Some(TranscriptPanel {
        base: base.to_string(),
        budget_nats: c.ppo.budget_nats,
        chat_tokens: c.chat.chat_tokens,
        tokens,
    }))
}

/// What validate found for one base LM.
#[derive(Debug, Clone, Serialize)]
struct BaseResult {
    name: String,
    in_context: bool,
    dir: PathBuf,
    silence_price: serde_json::Value,
    runs: usize,
    runs_raised: usize,
    median_empty_fraction: Vec<serde_json::Value>,
    verdict: String,
}

/// The n-th entry (1-based) of a mean-by-n curve, NaN if absent.
fn nth(by_n: &[(usize, f64)], n: usize) -> f64 {
    by_n.iter()
        .find(|(k, _)| *k == n)
        .map(|x| x.1)
        .unwrap_or(f64::NAN)
}

/// Runs `goodhart llm validate`.
///
/// # Errors
/// One-line errors; [`crate::Error::Interrupted`] on Ctrl-C (finished runs and checkpoints kept).
pub fn run(a: ValidateArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    if a.seeds == 0 {
        anyhow::bail!("--seeds 0: need at least 1 seed per condition");
    }
    if a.steps == 0 {
        anyhow::bail!("--steps 0: need at least 1 agent timestep per run");
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let models = a.models.clone().unwrap_or_else(|| a.out.join("models"));
    let bases = bases(&models);
    let reward_dir = models.join("distilbert");
    let t_train = Instant::now();
    if !(bases.iter().all(|b| b.dir.join("config.json").is_file())
        && reward_dir.join("config.json").is_file())
    {
        if !quiet {
            eprintln!(
                "training the small models into {} (once; a few minutes)",
                models.display()
            );
        }
        crate::llm::cli::train_small(&models, a.seed, a.quick, quiet, false)?;
    }
    let train_s = t_train.elapsed().as_secs_f64();
    let steps = if a.quick { 1024 } else { a.steps };
    let cells = grid(&a, bases.len());
    let device = goodhart_llm::candle_core::Device::Cpu;
    let mut summaries = Vec::new();
    let mut outcomes = Vec::new();
    let mut runs_s = vec![0.0f64; bases.len()];
    for (i, &(bi, b, l, seed)) in cells.iter().enumerate() {
        let base = &bases[bi];
        let name = format!("{}-b{b:.0}-len{l}-seed{seed}", base.name);
        let dir = a.out.join("runs").join(&name);
        let cfg = experiment(&base.dir, &reward_dir, b, l, seed, steps);
        let done = dir.join("outcome.json");
        let t0 = Instant::now();
        let (outcome, wall_s): (ExperimentOutcome, f64) =
            match std::fs::read(&done).ok().and_then(|t| {
                serde_json::from_slice::<(ExperimentConfig, ExperimentOutcome, f64)>(&t).ok()
            }) {
                // a finished run: its summary keeps the original training wall time
                Some((c, o, w)) if c == cfg => (o, w),
                _ => {
                    let pb = crate::llm::cli::bar(
                        quiet,
                        steps,
                        &format!("run {}/{} {name}", i + 1, cells.len()),
                    );
                    let o = run_with_bar(&cfg, &device, &dir, &pb, (i, cells.len()), || {
                        format!("validate run {name}")
                    })?;
                    pb.finish_and_clear();
                    let w = t0.elapsed().as_secs_f64();
                    let bytes = serde_json::to_vec(&(&cfg, &o, w))?;
                    write_atomic(&done, &bytes)?;
                    write_run_files(&dir, &o)?;
                    (o, w)
                }
            };
        runs_s[bi] += wall_s;
        let s = summarise(&name, &base.name, &cfg, &outcome, wall_s);
        if !quiet {
            eprintln!(
                "{name}: empty-reply fraction {:.3} ± {:.3} (base {:.3}), KL used {:.2} of {b} nats, reward {:.3} (base {:.3}), turn {:.1} tokens (base {:.1})",
                s.empty_reply_fraction, s.empty_reply_fraction_se, s.base_empty_reply_fraction, s.kl_used_nats, s.mean_reward, s.base_mean_reward,
                s.mean_turn_tokens, s.base_mean_turn_tokens
            );
        }
        summaries.push(s);
        outcomes.push((base.name.clone(), cfg, outcome));
    }

    // Per base: step (4) of the paper's argument measured directly (the price of the n-th forced
    // empty reply, beside the role-agnostic prior's exact price), and the Table 1 stand-in.
    let t_price = Instant::now();
    let habit_corpus = std::fs::read(models.join("train-report.json"))
        .ok()
        .and_then(|t| serde_json::from_slice::<goodhart_llm::train::TrainReport>(&t).ok())
        .and_then(|r| r.in_context.map(|ic| ic.options.corpus));
    let price_chat = {
        let mut chat = ChatConfig::paper(if a.quick { 160 } else { 512 });
        chat.n_envs = 1;
        chat
    };
    // The Teacher's spoken turns in the prompt (the unfinished one included: measure ends it).
    let spoken = price_chat.prompt.matches(&price_chat.agent_name).count();
    let mut prices: Vec<(BaseLm, SilencePrice, Option<Vec<f64>>)> = Vec::new();
    let mut results = Vec::new();
    let mut fig2: Vec<TranscriptPanel> = Vec::new();
    for base in bases.iter() {
        let (lm, tok) =
            goodhart_llm::load::mixtral(&base.dir, goodhart_llm::candle_core::DType::F32, &device)
                .with_context(|| format!("loading base {} for the silence price", base.name))?;
        let price = goodhart_llm::silence_price::measure(
            &lm,
            &tok,
            &price_chat,
            if a.quick { 2 } else { 8 },
            16,
            48,
            a.seed,
        )?;
        let exact = if base.in_context {
            habit_corpus
                .as_ref()
                .map(|c| c.role_agnostic_silence_price(spoken, 16))
        } else {
            None
        };
        let prompt_len = goodhart_llm::tokenizer::encode(&tok, &price_chat.prompt, true)?.len();
        let decode = |ids: &[u32]| -> anyhow::Result<String> {
            Ok(goodhart_llm::tokenizer::decode(&tok, ids)?)
        };
        for (s, (_, _, o)) in summaries
            .iter_mut()
            .zip(&outcomes)
            .filter(|(s, _)| s.base == base.name)
        {
            s.simplicity = simplicity(&lm, &decode, prompt_len, o)?;
        }
        // Figure 2: the first evaluation transcript of the first seed at the shortest length, per budget.
        let agent_pat = goodhart_llm::tokenizer::token_pattern(
            &tok,
            &price_chat.prompt,
            &price_chat.agent_name,
        )?;
        let other_pat = goodhart_llm::tokenizer::token_pattern(
            &tok,
            &price_chat.prompt,
            &price_chat.other_name,
        )?;
        for &b in &[10.0, 20.0] {
            let Some((_, c, o)) = outcomes.iter().find(|(n, c, _)| {
                *n == base.name
                    && c.ppo.budget_nats == b
                    && c.chat.chat_tokens == lengths(a.quick)[0]
            }) else {
                continue;
            };
            if let Some(p) = transcript_panel(
                &base.name, c, o, prompt_len, &agent_pat, &other_pat, &decode,
            )? {
                fig2.push(p);
            }
        }
        let by_n = price.mean_by_n();
        let (first, later) = price.first_and_later();
        let mine: Vec<&RunSummary> = summaries.iter().filter(|s| s.base == base.name).collect();
        let raised = mine
            .iter()
            .filter(|s| {
                s.empty_reply_fraction - s.base_empty_reply_fraction
                    > 2.0 * s.empty_reply_fraction_se.max(0.0)
            })
            .count();
        let mut medians = Vec::new();
        let mut med_text = Vec::new();
        for &b in &[10.0, 20.0] {
            for &l in &lengths(a.quick) {
                let v: Vec<f64> = outcomes
                    .iter()
                    .filter(|(n, c, _)| {
                        *n == base.name && c.ppo.budget_nats == b && c.chat.chat_tokens == l
                    })
                    .flat_map(|(_, _, o)| o.eval.iter().map(EpisodeStats::empty_fraction))
                    .collect();
                let m = median(v.clone());
                medians.push(serde_json::json!({"budget_nats": b, "chat_tokens": l, "episodes": v.len(), "median": m}));
                med_text.push(format!("{m:.2} (budget {b:.0}, {l} tokens)"));
            }
        }
        let exact_text = match &exact {
            Some(e) => format!(
                "; role-agnostic prior (exact): {:.2}, {:.2}, {:.2}, {:.2}",
                e[0], e[1], e[3], e[15]
            ),
            None if base.in_context => "; role-agnostic prior: train-report.json not found".into(),
            None => {
                "; its corpus has no empty turn for any role (role-agnostic price: infinite)".into()
            }
        };
        let verdict = format!(
            "{} ({}): {raised} of {} runs raised the empty-reply fraction more than 2 SE above the base policy's; median per-episode empty fraction {}; forced empty Teacher replies cost {:.2}, {:.2}, {:.2}, {:.2} nats (n = 1, 2, 4, 16){exact_text}",
            base.name,
            if base.in_context { "in-context learner" } else { "no in-context learning" },
            mine.len(),
            med_text.join(", "),
            nth(&by_n, 1), nth(&by_n, 2), nth(&by_n, 4), nth(&by_n, 16),
        );
        if !quiet {
            eprintln!("{verdict}");
        }
        results.push(BaseResult {
            name: base.name.clone(),
            in_context: base.in_context,
            dir: base.dir.clone(),
            silence_price: serde_json::json!({
                "what": "−ln b(n-th forced empty Teacher reply | transcript) under the base LM at base temperature, nats",
                "chat_tokens": price.chat_tokens,
                "mean_by_n": by_n.iter().map(|(n, p)| serde_json::json!({"n": n, "nats": p})).collect::<Vec<_>>(),
                "role_agnostic_exact_by_n": exact.as_ref().map(|e| e.iter().enumerate().map(|(i, p)| serde_json::json!({"n": i + 1, "nats": p})).collect::<Vec<_>>()),
                "role_agnostic_note": if base.in_context {
                    format!("exact −ln P(n-th blank Teacher turn) under the habit generator with the Teacher's blank habit drawn like every other role's, after the prompt's {spoken} spoken Teacher turns; under the corpus's own process the price is infinite (it never silences the Teacher)")
                } else {
                    "the plain dialogue corpus has no empty turn for any role: the price under its role-agnostic prior is infinite".to_string()
                },
                "first_nats": first,
                "later_nats": later,
                "per_transcript": price.per_transcript,
            }),
            runs: mine.len(),
            runs_raised: raised,
            median_empty_fraction: medians,
            verdict,
        });
        prices.push((base.clone(), price, exact));
    }
    let price_s = t_price.elapsed().as_secs_f64();
    let base_fr = mean(
        &summaries
            .iter()
            .map(|s| s.base_empty_reply_fraction)
            .collect::<Vec<_>>(),
    );
    let verdict = compare_bases(&results, &prices);
    let command: Vec<String> = std::env::args().collect();
    let t_fig = Instant::now();
    write_figures(
        &a.out, &outcomes, &summaries, &prices, &fig2, &command, a.seed,
    )?;
    let figures_s = t_fig.elapsed().as_secs_f64();
    let report = serde_json::json!({
        "runs": summaries,
        "bases": results,
        "base_empty_reply_fraction": base_fr,
        "verdict": verdict,
        "steps_per_run": steps,
        "quick": a.quick,
        "models": models,
        "timing_s": {
            "train_small": train_s,
            "runs_by_base": bases.iter().zip(&runs_s).map(|(b, s)| serde_json::json!({"base": b.name, "s": s})).collect::<Vec<_>>(),
            "silence_price_and_scoring": price_s,
            "figures": figures_s,
        },
        "wall_s": started.elapsed().as_secs_f64(),
        "command": command,
    });
    let text = serde_json::to_string_pretty(&report)?;
    write_atomic(&a.out.join("validate.json"), text.as_bytes())?;
    if a.json {
        println!("{text}");
    } else {
        for r in &results {
            println!("{}", r.verdict);
        }
        println!("{verdict}");
        println!(
            "wrote {}/validate.json and the cohen24-llm-* figures",
            a.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The comparison Theorem 1 predicts: the budget binds against a base that cannot represent "the
/// Teacher is silent now" (flat silence price, few extra silences) and not against one that learns
/// it in context (cheap later silences, many). States what was measured either way.
fn compare_bases(
    results: &[BaseResult],
    prices: &[(BaseLm, SilencePrice, Option<Vec<f64>>)],
) -> String {
    let find = |ic: bool| results.iter().zip(prices).find(|(r, _)| r.in_context == ic);
    let (Some((plain, pp)), Some((ic, pi))) = (find(false), find(true)) else {
        return "only one base: no comparison".into();
    };
    let later = |p: &SilencePrice| p.first_and_later().1;
    let cheap_later = later(&pi.1) < 1.0 && later(&pp.1) > 1.0;
    let more_silence = ic.runs_raised > plain.runs_raised;
    let outcome = match (cheap_later, more_silence) {
        (true, true) => "shown at this scale",
        (true, false) => "half shown: the in-context base makes later silences cheap, but its agents did not go silent more often",
        (false, true) => "half shown: more silence against the in-context base, but its later silences are not cheap (< 1 nat)",
        (false, false) => "not shown at this scale",
    };
    format!(
        "Theorem 1's contrast (the budget binds against the base that cannot learn the pattern, not against the in-context learner): {outcome}. Later forced silences cost {:.2} nats under {} vs {:.2} under {}; runs raising the empty fraction: {}/{} vs {}/{}",
        later(&pp.1), plain.name, later(&pi.1), ic.name,
        plain.runs_raised, plain.runs, ic.runs_raised, ic.runs
    )
}

/// Opens `--device` (`cpu`, `cpu:N`, `cuda` or `cuda:N`) with the experiment's device rule.
fn device(s: &str) -> anyhow::Result<goodhart_llm::candle_core::Device> {
    Ok(goodhart_llm::device::open_device("--device", s)?)
}

/// One experiment with its progress bar (reward, KL used of the round's budget, empty fraction) and
/// Ctrl-C polled after every update; an interrupt becomes [`crate::Error::Interrupted`] with
/// `(done, total)` runs, any other error gets `context()`.
fn run_with_bar(
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

/// Runs `goodhart llm train --config FILE --out DIR`: one experiment, resumable.
///
/// # Errors
/// One-line errors; [`crate::Error::Interrupted`] on Ctrl-C (the last update's checkpoint kept).
pub fn train(config: &Path, out: &Path, dev: &str, quiet: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let cfg = ExperimentConfig::from_toml_file(config)?;
    let device = device(dev)?;
    let ckpt = out.join("checkpoint");
    let pb = crate::llm::cli::bar(quiet, cfg.ppo.total_steps, "train");
    let o = run_with_bar(&cfg, &device, &ckpt, &pb, (0, 1), || {
        format!("train --config {}", config.display())
    })?;
    pb.finish_and_clear();
    write_run_files(out, &o)?;
    let s = summarise("train", "base", &cfg, &o, started.elapsed().as_secs_f64());
    let command: Vec<String> = std::env::args().collect();
    // No forced-silence price here: it would need a second copy of the base model (94 GB for Mixtral).
    write_figures(
        out,
        &[("base".to_string(), cfg.clone(), o)],
        std::slice::from_ref(&s),
        &[],
        &[],
        &command,
        cfg.ppo.seed,
    )?;
    let text = serde_json::to_string_pretty(&s)?;
    write_atomic(&out.join("summary.json"), text.as_bytes())?;
    println!(
        "empty-reply fraction {:.3} ± {:.3} (base {:.3}), KL used {:.2} of {} nats, reward {:.3} (base {:.3}); wrote {}",
        s.empty_reply_fraction, s.empty_reply_fraction_se, s.base_empty_reply_fraction, s.kl_used_nats,
        s.budget_nats, s.mean_reward, s.base_mean_reward, out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `metrics.csv`, `episodes.csv` and transcripts of one run.
fn write_run_files(dir: &Path, o: &ExperimentOutcome) -> crate::Result<()> {
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

fn cond_label(base: &str, b: f64, l: usize) -> String {
    format!("{base}: budget {b:.0}, {l} tokens")
}

/// Step outline of a histogram with `bins` equal bins on [0, 1] (counts per bin).
fn step_histogram(values: &[f64], bins: usize) -> (Vec<u64>, Vec<(f64, f64)>) {
    let mut counts = vec![0u64; bins];
    for &v in values.iter().filter(|v| v.is_finite()) {
        let i = ((v * bins as f64) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let mut pts = vec![(0.0, 0.0)];
    for (i, &c) in counts.iter().enumerate() {
        let (lo, hi) = (i as f64 / bins as f64, (i + 1) as f64 / bins as f64);
        pts.push((lo, c as f64));
        pts.push((hi, c as f64));
    }
    pts.push((1.0, 0.0));
    (counts, pts)
}

/// The outcomes of the runs against `base` at budget `b` and length `l`.
fn select<'a: 'b, 'b>(
    runs: &'a [(String, ExperimentConfig, ExperimentOutcome)],
    base: &'b str,
    b: f64,
    l: usize,
) -> impl Iterator<Item = &'a ExperimentOutcome> + 'b {
    runs.iter()
        .filter(move |(n, c, _)| n == base && c.ppo.budget_nats == b && c.chat.chat_tokens == l)
        .map(|(_, _, o)| o)
}

#[allow(clippy::too_many_lines)]
fn write_figures(
    out: &Path,
    runs: &[(String, ExperimentConfig, ExperimentOutcome)],
    summaries: &[RunSummary],
    prices: &[(BaseLm, SilencePrice, Option<Vec<f64>>)],
    transcripts: &[TranscriptPanel],
    command: &[String],
    seed: u64,
) -> crate::Result<()> {
    let started = Instant::now();
    let mut conds: Vec<(String, f64, usize)> = runs
        .iter()
        .map(|(n, c, _)| (n.clone(), c.ppo.budget_nats, c.chat.chat_tokens))
        .collect();
    conds.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    conds.dedup();
    let mut base_names: Vec<String> = conds.iter().map(|c| c.0.clone()).collect();
    base_names.dedup();
    let mut budgets: Vec<f64> = conds.iter().map(|c| c.1).collect();
    budgets.sort_by(|a, b| a.total_cmp(b));
    budgets.dedup();
    let mut lens: Vec<usize> = conds.iter().map(|c| c.2).collect();
    lens.sort_unstable();
    lens.dedup();
    let sel = |base: &str, b: f64, l: usize| select(runs, base, b, l).collect::<Vec<_>>();
    let config = serde_json::to_value(runs.iter().map(|(_, c, _)| c).collect::<Vec<_>>())
        .map_err(|e| crate::Error::Other(e.to_string()))?;
    let summary =
        serde_json::to_value(summaries).map_err(|e| crate::Error::Other(e.to_string()))?;
    let fig = |id: &'static str, figure: Option<&'static str>, title: &'static str| LlmFigure {
        id,
        paper: "cohen2024",
        figure,
        title,
        config: config.clone(),
        seed,
        summary: summary.clone(),
        source: file!(),
    };

    // Training curves.
    let mut table = Table::new(&[
        "run",
        "base",
        "budget_nats",
        "chat_tokens",
        "seed",
        "update",
        "timesteps",
        "mean_reward",
        "kl_nats",
        "budget_of_round_nats",
        "empty_reply_fraction",
    ]);
    for (n, c, o) in runs {
        for m in &o.train.metrics {
            table.push(vec![
                format!(
                    "{n}-b{:.0}-len{}-seed{}",
                    c.ppo.budget_nats, c.chat.chat_tokens, c.ppo.seed
                )
                .into(),
                n.clone().into(),
                c.ppo.budget_nats.into(),
                c.chat.chat_tokens.into(),
                c.ppo.seed.into(),
                m.update.into(),
                m.timesteps.into(),
                m.mean_reward.into(),
                m.kl_nats.into(),
                m.budget_nats.into(),
                m.empty_reply_fraction.into(),
            ])?;
        }
    }
    let series = |f: &dyn Fn(&goodhart_llm::ppo::UpdateMetrics) -> f64| -> Vec<Series> {
        let mut out = Vec::new();
        for (ci, (base, b, l)) in conds.iter().enumerate() {
            for (k, o) in sel(base, *b, *l).into_iter().enumerate() {
                let pts = o
                    .train
                    .metrics
                    .iter()
                    .map(|m| (m.timesteps as f64, f(m)))
                    .collect();
                // first seed solid with points and named, further seeds dashed, same colour
                let (name, style) = if k == 0 {
                    (cond_label(base, *b, *l), Style::LinePoints)
                } else {
                    (String::new(), Style::Dashed)
                };
                out.push(Series::line(name, pts, ci).styled(style));
            }
        }
        out
    };
    let max_budget = budgets.iter().copied().fold(1.0f64, f64::max);
    let budget_lines: Vec<(f64, String)> = budgets
        .iter()
        .map(|&b| (b, format!("budget {b:.0}")))
        .collect();
    let headline = "KL-budget PPO over the small base LMs: reward, KL used and empty replies over training (solid: first seed, dashed: others)";
    let legend_h = 40 + 18 * conds.len() as u32;
    let svg = svg_page(1500, 560 + legend_h, "goodhart llm validate", |a| {
        let body = titled(a, headline, 16)?;
        let p = body.split_evenly((1, 3));
        // Head-room for the legends: the y ranges extend above the data.
        let ret_max = runs
            .iter()
            .flat_map(|(_, _, o)| o.train.metrics.iter().map(|m| m.mean_reward))
            .fold(1.0f64, f64::max);
        chart(
            &p[0],
            "mean episode return",
            &Axes {
                x_label: "agent timesteps".into(),
                y_label: "return (Σ (r+1)/2)".into(),
                y_range: Some((0.0, ret_max * (1.25 + 0.07 * conds.len() as f64))),
                ..Default::default()
            },
            &series(&|m| m.mean_reward),
            &Guides::default(),
        )?;
        chart(
            &p[1],
            "KL used per episode (Σ per-step KL)",
            &Axes {
                x_label: "agent timesteps".into(),
                y_label: "nats".into(),
                y_range: Some((0.0, max_budget * (1.25 + 0.07 * conds.len() as f64))),
                ..Default::default()
            },
            &series(&|m| m.kl_nats),
            &Guides {
                hlines: budget_lines.clone(),
                ..Default::default()
            },
        )?;
        chart(
            &p[2],
            "fraction of empty agent replies",
            &Axes {
                x_label: "agent timesteps".into(),
                y_label: "fraction".into(),
                y_range: Some((0.0, 1.25 + 0.07 * conds.len() as f64)),
                ..Default::default()
            },
            &series(&|m| m.empty_reply_fraction),
            &Guides::default(),
        )
    })?;
    write_llm_figure(
        out,
        &fig("cohen24-llm-training", None, headline),
        &svg,
        &table,
        command,
        started,
    )?;

    // Figure 3: KL of the n-th empty reply (quartiles over evaluation episodes), one panel per
    // budget, square-root y axis; the bases' forced-silence prices and the exact role-agnostic
    // price beside them.
    let mut t3 = Table::new(&[
        "source",
        "base",
        "budget_nats",
        "chat_tokens",
        "nth_empty_reply",
        "episodes",
        "kl_q25_nats",
        "kl_median_nats",
        "kl_q75_nats",
    ]);
    let mut panels3: Vec<(f64, Vec<Series>, f64)> = Vec::new();
    for &b in &budgets {
        let mut s3 = Vec::new();
        let mut top = 1.0f64;
        // Colours within the panel: the agents' conditions first, then each base's forced price
        // and the exact role-agnostic price (at most 4 + 3 of the 8 palette colours).
        let mut colour = 0usize;
        for (base, cb, l) in conds.iter() {
            if *cb != b {
                continue;
            }
            let ci = colour;
            colour += 1;
            let eps: Vec<&EpisodeStats> = sel(base, b, *l)
                .into_iter()
                .flat_map(|o| o.eval.iter())
                .collect();
            let q = empty_kl_by_n(&eps);
            for r in &q {
                t3.push(vec![
                    "agent".into(),
                    base.clone().into(),
                    b.into(),
                    (*l).into(),
                    r.n.into(),
                    r.episodes.into(),
                    r.q25_nats.into(),
                    r.median_nats.into(),
                    r.q75_nats.into(),
                ])?;
                top = top.max(r.q75_nats);
            }
            s3.push(
                Series::line(
                    format!("agent, {}", cond_label(base, b, *l)),
                    q.iter()
                        .map(|r| (r.n as f64, r.median_nats.sqrt()))
                        .collect(),
                    ci,
                )
                .styled(Style::LinePoints)
                .with_band(
                    q.iter()
                        .map(|r| (r.n as f64, r.q25_nats.sqrt(), r.q75_nats.sqrt()))
                        .collect(),
                ),
            );
        }
        for (base, price, exact) in prices.iter() {
            let forced = price.mean_by_n();
            for &(n, p) in &forced {
                top = top.max(p);
                if b == budgets[0] {
                    t3.push(vec![
                        "forced silence, mean".into(),
                        base.name.clone().into(),
                        f64::NAN.into(),
                        price.chat_tokens.into(),
                        n.into(),
                        price
                            .per_transcript
                            .iter()
                            .filter(|t| t.len() >= n)
                            .count()
                            .into(),
                        f64::NAN.into(),
                        p.into(),
                        f64::NAN.into(),
                    ])?;
                }
            }
            s3.push(
                Series::line(
                    format!(
                        "{}: price of the n-th forced empty reply (no agent)",
                        base.name
                    ),
                    forced.iter().map(|&(n, p)| (n as f64, p.sqrt())).collect(),
                    colour,
                )
                .styled(Style::Dashed),
            );
            colour += 1;
            if let Some(e) = exact {
                if b == budgets[0] {
                    for (i, &p) in e.iter().enumerate() {
                        t3.push(vec![
                            "role-agnostic prior, exact".into(),
                            base.name.clone().into(),
                            f64::NAN.into(),
                            f64::NAN.into(),
                            (i + 1).into(),
                            f64::NAN.into(),
                            f64::NAN.into(),
                            p.into(),
                            f64::NAN.into(),
                        ])?;
                    }
                }
                top = top.max(e[0]);
                s3.push(
                    Series::line(
                        "habit generator's role-agnostic prior: exact price".to_string(),
                        e.iter()
                            .enumerate()
                            .map(|(i, &p)| ((i + 1) as f64, p.sqrt()))
                            .collect(),
                        colour,
                    )
                    .styled(Style::Points),
                );
                colour += 1;
            }
        }
        panels3.push((b, s3, top));
    }
    let h3 = "KL cost of the n-th empty reply (median, quartile band; evaluation episodes) beside each base's price of forced silences";
    let n_leg = panels3.iter().map(|p| p.1.len()).max().unwrap_or(1);
    let svg = svg_page(
        1500,
        640 + 18 * n_leg as u32,
        "goodhart llm validate",
        |a| {
            let body = titled(a, h3, 16)?;
            let p = body.split_evenly((1, panels3.len().max(1)));
            for (area, (b, s3, top)) in p.iter().zip(&panels3) {
                chart(
                    area,
                    &format!("budget {b:.0} nats"),
                    &Axes {
                        x_label: "n-th empty agent reply".into(),
                        y_label: "√(KL of that reply / nats): 1 = 1 nat, 2 = 4, 3 = 9".into(),
                        y_range: Some((0.0, top.sqrt() * (1.3 + 0.09 * s3.len() as f64))),
                        ..Default::default()
                    },
                    s3,
                    &Guides::default(),
                )?;
            }
            Ok(())
        },
    )?;
    write_llm_figure(
        out,
        &fig("cohen24-llm-empty-kl", Some("3"), h3),
        &svg,
        &t3,
        command,
        started,
    )?;

    // Figure 4: per-episode empty fraction: histograms by budget (colour = length) and percentile
    // curves, one row per base; the equal-per-token-KL pair (budget 10 at L, budget 20 at 2L) marked.
    let mut t4 = Table::new(&[
        "kind",
        "base",
        "policy",
        "budget_nats",
        "chat_tokens",
        "x",
        "empty_reply_fraction_or_count",
    ]);
    let equal_pair = |b: f64, l: usize| {
        lens.len() == 2
            && budgets.len() == 2
            && ((b == budgets[0] && l == lens[0]) || (b == budgets[1] && l == lens[1]))
            && (budgets[0] / lens[0] as f64 - budgets[1] / lens[1] as f64).abs() < 1e-12
    };
    let mark = |b: f64, l: usize| {
        if equal_pair(b, l) {
            format!(" ★ {:.3} nats/token", b / l as f64)
        } else {
            String::new()
        }
    };
    struct Row {
        base: String,
        hists: Vec<(f64, Vec<Series>, f64)>,
        pct: Vec<Series>,
    }
    let mut rows = Vec::new();
    for base in &base_names {
        let mut hists = Vec::new();
        for &b in &budgets {
            let mut s = Vec::new();
            let mut top = 1.0f64;
            for (li, &l) in lens.iter().enumerate() {
                let v: Vec<f64> = sel(base, b, l)
                    .into_iter()
                    .flat_map(|o| o.eval.iter().map(EpisodeStats::empty_fraction))
                    .collect();
                if v.is_empty() {
                    continue;
                }
                let (counts, pts) = step_histogram(&v, 10);
                for (i, &c) in counts.iter().enumerate() {
                    t4.push(vec![
                        "histogram".into(),
                        base.clone().into(),
                        "agent".into(),
                        b.into(),
                        l.into(),
                        ((i as f64 + 0.5) / 10.0).into(),
                        (c as f64).into(),
                    ])?;
                    top = top.max(c as f64);
                }
                s.push(Series::line(format!("{l} tokens{}", mark(b, l)), pts, li));
            }
            hists.push((b, s, top));
        }
        let mut pct = Vec::new();
        for (ci, (cbase, b, l)) in conds.iter().enumerate() {
            if cbase != base {
                continue;
            }
            for (policy, style) in [("agent", Style::Line), ("base policy", Style::Dashed)] {
                let mut v: Vec<f64> = sel(base, *b, *l)
                    .into_iter()
                    .flat_map(|o| {
                        let eps = if policy == "agent" {
                            &o.eval
                        } else {
                            &o.base_eval
                        };
                        eps.iter().map(EpisodeStats::empty_fraction)
                    })
                    .collect();
                if policy != "agent" && *b != budgets[0] {
                    continue; // the base policy does not depend on the budget: drawn once per length
                }
                v.sort_by(|a, b| a.total_cmp(b));
                let n = v.len().max(1) as f64;
                let pts: Vec<(f64, f64)> = v
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| (100.0 * (i as f64 + 0.5) / n, x))
                    .collect();
                for &(p, x) in &pts {
                    t4.push(vec![
                        "percentile".into(),
                        base.clone().into(),
                        policy.into(),
                        if policy == "agent" { *b } else { 0.0 }.into(),
                        (*l).into(),
                        p.into(),
                        x.into(),
                    ])?;
                }
                let name = if policy == "agent" {
                    format!("budget {b:.0}, {l} tokens{}", mark(*b, *l))
                } else {
                    format!("base policy, {l} tokens")
                };
                pct.push(Series::line(name, pts, ci).styled(style));
            }
        }
        rows.push(Row {
            base: base.clone(),
            hists,
            pct,
        });
    }
    let h4 = "Fraction of empty agent replies per evaluation episode: histograms by budget and percentiles (★: equal per-token KL, budget 10 at L vs budget 20 at 2L)";
    let svg = svg_page(
        1650,
        40 + 560 * rows.len().max(1) as u32,
        "goodhart llm validate",
        |a| {
            let body = titled(a, h4, 16)?;
            let r = body.split_evenly((rows.len().max(1), 1));
            for (area, row) in r.iter().zip(&rows) {
                let cols = area.split_evenly((1, row.hists.len() + 1));
                for (c, (b, s, top)) in cols.iter().zip(&row.hists) {
                    chart(
                        c,
                        &format!("{}: budget {b:.0}", row.base),
                        &Axes {
                            x_label: "fraction of empty replies in the episode".into(),
                            y_label: "episodes".into(),
                            x_range: Some((0.0, 1.0)),
                            y_range: Some((0.0, top * 1.45)),
                            ..Default::default()
                        },
                        s,
                        &Guides::default(),
                    )?;
                }
                if let Some(c) = cols.last() {
                    chart(
                        c,
                        &format!("{}: percentiles (dashed: base policy)", row.base),
                        &Axes {
                            x_label: "percentile of episodes".into(),
                            y_label: "fraction of empty replies".into(),
                            y_range: Some((0.0, 1.0 + 0.1 * row.pct.len() as f64)),
                            x_range: Some((0.0, 100.0)),
                            ..Default::default()
                        },
                        &row.pct,
                        &Guides::default(),
                    )?;
                }
            }
            Ok(())
        },
    )?;
    write_llm_figure(
        out,
        &fig("cohen24-llm-empty-fraction", Some("4"), h4),
        &svg,
        &t4,
        command,
        started,
    )?;

    // Figure 2: transcripts with each agent token coloured by its per-token KL.
    if !transcripts.is_empty() {
        let mut t2 = Table::new(&[
            "base",
            "budget_nats",
            "chat_tokens",
            "position",
            "token",
            "agent",
            "kl_nats",
        ]);
        for p in transcripts {
            for (i, (text, kl)) in p.tokens.iter().enumerate() {
                t2.push(vec![
                    p.base.clone().into(),
                    p.budget_nats.into(),
                    p.chat_tokens.into(),
                    i.into(),
                    text.clone().into(),
                    (kl.is_some() as u8 as f64).into(),
                    kl.unwrap_or(f64::NAN).into(),
                ])?;
            }
        }
        let h2 = "Evaluation transcripts: agent (Teacher) tokens coloured by per-token KL to the base LM; grey = prompt and Student";
        let rows2 = transcripts.len().div_ceil(2);
        let svg = svg_page(
            1700,
            40 + 640 * rows2 as u32,
            "goodhart llm validate",
            |a| {
                let body = titled(a, h2, 16)?;
                let cells = body.split_evenly((rows2, 2));
                for (area, p) in cells.iter().zip(transcripts) {
                    let used: f64 = p.tokens.iter().filter_map(|t| t.1).sum();
                    draw_kl_transcript(
                        area,
                        &format!(
                            "{}: budget {:.0}, {} tokens (KL used {used:.2} nats)",
                            p.base, p.budget_nats, p.chat_tokens
                        ),
                        &p.tokens,
                    )?;
                }
                Ok(())
            },
        )?;
        write_llm_figure(
            out,
            &fig("cohen24-llm-transcripts", Some("2"), h2),
            &svg,
            &t2,
            command,
            started,
        )?;
    }
    Ok(())
}
