//! Subcommands of `goodhart llm` (parsed here so that the top-level CLI stays the same with and
//! without the `llm` feature).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

/// `goodhart llm`: the LLM stack and the KL-budget experiment.
#[derive(Debug, Parser)]
#[command(name = "goodhart llm")]
pub struct LlmCli {
    /// Less output on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: LlmCommand,
}

/// Subcommands of `goodhart llm`.
#[derive(Debug, Subcommand)]
pub enum LlmCommand {
    /// Small random-initialised checkpoints in the Hugging Face layout: DIR/mixtral/, DIR/distilbert/.
    MakeTiny {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Seed of the weights and of the tokenizers' corpus.
        #[arg(long, default_value_t = crate::sim::seeds::DEFAULT_SEED)]
        seed: u64,
    },
    /// Train the small real models on CPU: a Mixtral-architecture LM on synthetic dialogues, a
    /// second one on habit dialogues (an in-context learner) and a DistilBERT sentiment classifier;
    /// writes DIR/mixtral/, DIR/mixtral-incontext/, DIR/distilbert/, DIR/train-report.json and
    /// DIR/llm-train-small.{svg,csv}.
    TrainSmall {
        /// Output directory.
        #[arg(long, default_value = "models/small")]
        out: PathBuf,
        /// Master seed.
        #[arg(long, default_value_t = crate::sim::seeds::DEFAULT_SEED)]
        seed: u64,
        /// Seconds-long smoke preset (models learn little).
        #[arg(long)]
        quick: bool,
    },
    /// The reward-model tail probe (Kwa et al. 2024 §4): random-token and base-model samples and
    /// ACG-optimised inputs scored by a reward model, each sent through `goodhart tails`.
    Probe(crate::llm::tail_probe::ProbeArgs),
    /// Cohen et al. 2024's experiment from a TOML config (e.g. experiments/configs/gpu-mixtral.toml):
    /// PPO with a per-episode KL budget over a frozen base LM; resumes from DIR/checkpoint.
    Train {
        /// The experiment's TOML (keys base and reward, tables chat and ppo); unknown keys are errors.
        #[arg(long)]
        config: PathBuf,
        /// Output directory (checkpoint, metrics.csv, episodes.csv, transcripts, figures).
        #[arg(long, default_value = "train")]
        out: PathBuf,
        /// Device: cpu, cuda or cuda:N (build with --features cuda).
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// The memory plan of a training config per device, before anything is loaded; whether it fits
    /// the devices present or a named card (--device h100-80gb).
    Plan(crate::llm::plan::PlanArgs),
    /// The CPU validation pass of the KL-budget experiment on the small trained models: budgets
    /// 10 and 20 nats x two chat lengths x seeds; figures and a verdict.
    Validate(crate::llm::validate::ValidateArgs),
    /// The base LM's per-token log-probs of texts: token ids, log p(token | tokens before), total.
    Score(crate::llm::score::ScoreArgs),
    /// The reward classifier on texts: label, probabilities in id2label order, the experiment's reward.
    Reward(crate::llm::reward::RewardArgs),
}

/// Runs `goodhart llm ARGS…`.
///
/// # Errors
/// One-line errors; usage errors are printed by clap and exit 2.
pub fn run(args: &[String], quiet: bool) -> anyhow::Result<ExitCode> {
    let argv = std::iter::once("goodhart llm".to_string()).chain(args.iter().cloned());
    let cli = match LlmCli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(ExitCode::from(code));
        }
    };
    let quiet = quiet || cli.quiet;
    match cli.command {
        LlmCommand::MakeTiny { out, seed } => {
            let p = goodhart_llm::tiny::make_tiny(&out, seed)
                .with_context(|| format!("make-tiny into {}", out.display()))?;
            println!(
                "wrote {} and {} (config.json, model.safetensors, tokenizer.json)",
                p.mixtral.display(),
                p.distilbert.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        LlmCommand::TrainSmall { out, seed, quick } => {
            crate::llm::train_small::train_small(&out, seed, quick, quiet, true)
        }
        LlmCommand::Probe(a) => crate::llm::tail_probe::run(a, quiet),
        LlmCommand::Train {
            config,
            out,
            device,
        } => crate::llm::validate::train(&config, &out, &device, quiet),
        LlmCommand::Validate(a) => crate::llm::validate::run(a, quiet),
        LlmCommand::Score(a) => crate::llm::score::run(a),
        LlmCommand::Reward(a) => crate::llm::reward::run(a),
        LlmCommand::Plan(a) => crate::llm::plan::run(a),
    }
}
