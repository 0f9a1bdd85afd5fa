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

mod figures;
mod report;
mod runs;
mod simplicity;
mod train;
mod verdict;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use goodhart_llm::chat::ChatConfig;
use goodhart_llm::experiment::{ExperimentConfig, ExperimentOutcome};
use goodhart_llm::silence_price::SilencePrice;

use crate::output::write_atomic;

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

pub use figures::TranscriptPanel;
use figures::{transcript_panel, write_figures};
use report::{write_report, Pass, Timing};
pub use runs::{bases, BaseLm, NthEmptyKl, RunSummary};
use runs::{experiment, grid, lengths, run_with_bar, summarise, write_run_files};
use simplicity::simplicity;
pub use simplicity::Simplicity;
pub use train::train;
use verdict::{base_result, compare_bases};

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
        crate::llm::train_small::train_small(&models, a.seed, a.quick, quiet, false)?;
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
                    let pb = crate::output::progress::bar(
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
        let result = base_result(
            base,
            &price,
            exact.as_deref(),
            spoken,
            &summaries,
            &outcomes,
            a.quick,
        );
        if !quiet {
            eprintln!("{}", result.verdict);
        }
        results.push(result);
        prices.push((base.clone(), price, exact));
    }
    let price_s = t_price.elapsed().as_secs_f64();
    let verdict = compare_bases(&results, &prices);
    let command: Vec<String> = std::env::args().collect();
    let t_fig = Instant::now();
    write_figures(
        &a.out, &outcomes, &summaries, &prices, &fig2, &command, a.seed,
    )?;
    let figures_s = t_fig.elapsed().as_secs_f64();
    let timing = Timing {
        train_small: train_s,
        runs_by_base: bases.iter().map(|b| b.name.clone()).zip(runs_s).collect(),
        silence_price_and_scoring: price_s,
        figures: figures_s,
        wall_s: started.elapsed().as_secs_f64(),
    };
    let pass = Pass {
        summaries: &summaries,
        results: &results,
        verdict: &verdict,
        steps_per_run: steps,
        quick: a.quick,
        models: &models,
    };
    write_report(&a.out, &pass, &timing, &command, a.json)?;
    Ok(ExitCode::SUCCESS)
}
