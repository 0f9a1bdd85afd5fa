//! Subcommands of `goodhart llm` (parsed here so that the top-level CLI stays the same with and
//! without the `llm` feature).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::sim::interrupt;

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
    Probe(crate::llm::probe::ProbeArgs),
    /// Cohen et al. 2024's experiment from a TOML config (e.g. experiments/configs/gpu-mixtral.toml):
    /// PPO with a per-episode KL budget over a frozen base LM; resumes from DIR/checkpoint.
    Train {
        /// The experiment's TOML (base, reward, [chat], [ppo]); unknown keys are errors.
        #[arg(long)]
        config: PathBuf,
        /// Output directory (checkpoint, metrics.csv, episodes.csv, transcripts, figures).
        #[arg(long, default_value = "train")]
        out: PathBuf,
        /// Device: cpu, or cuda[:N] (build with --features cuda).
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
        LlmCommand::TrainSmall { out, seed, quick } => train_small(&out, seed, quick, quiet, true),
        LlmCommand::Probe(a) => crate::llm::probe::run(a, quiet),
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

/// A progress bar for a loop of known length, on stderr (hidden when quiet or not a terminal).
pub(crate) fn bar(quiet: bool, total: u64, label: &str) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(total);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>20} [{bar:30}] {pos}/{len} ({eta}) {prefix}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(label.to_string());
    pb
}

pub(crate) fn train_small(
    out: &Path,
    seed: u64,
    quick: bool,
    quiet: bool,
    // false when a caller (validate --json) owns stdout: the summary then goes to stderr
    on_stdout: bool,
) -> anyhow::Result<ExitCode> {
    use goodhart_llm::train::{train_small_pair, TrainOptions};
    let opts = TrainOptions {
        seed,
        ..if quick {
            TrainOptions::smoke()
        } else {
            TrainOptions::default()
        }
    };
    let mut current: Option<(String, indicatif::ProgressBar)> = None;
    let mut progress = |model: &str, step: usize, steps: usize, loss: f64| {
        if current.as_ref().map(|c| c.0 != model).unwrap_or(true) {
            if let Some((_, pb)) = current.take() {
                pb.finish_and_clear();
            }
            current = Some((model.to_string(), bar(quiet, steps as u64, model)));
        }
        if let Some((_, pb)) = &current {
            pb.set_position(step as u64);
            pb.set_prefix(format!("loss {loss:.3}"));
        }
        interrupt::requested()
    };
    let report = train_small_pair(out, &opts, &mut progress).map_err(|e| match e {
        goodhart_llm::LlmError::Interrupted => {
            anyhow::Error::from(crate::Error::Interrupted { done: 0, total: 3 })
        }
        e => anyhow::Error::from(e).context(format!("train-small into {}", out.display())),
    })?;
    if let Some((_, pb)) = current.take() {
        pb.finish_and_clear();
    }
    crate::llm::figures::write_training_figure(
        out,
        &report,
        &std::env::args().collect::<Vec<_>>(),
    )?;
    let say = |line: String| {
        if on_stdout {
            println!("{line}");
        } else if !quiet {
            eprintln!("{line}");
        }
    };
    say(format!(
        "LM: held-out cross-entropy {:.3} nats/token (uniform ln V = {:.3}, at init {:.3}), {:.0} s; classifier: held-out accuracy {:.3} (at init {:.3}), {:.0} s",
        report.lm_held_out_loss,
        report.lm_uniform_loss,
        report.lm_initial_held_out_loss,
        report.lm_wall_s,
        report.classifier_held_out_accuracy,
        report.classifier_initial_accuracy,
        report.classifier_wall_s
    ));
    if let Some(ic) = &report.in_context {
        say(format!(
            "in-context LM ({} layers x {} wide, {} parameters, habit corpus): held-out cross-entropy {:.3} nats/token (at init {:.3}), {:.0} s",
            ic.options.layers, ic.options.hidden, ic.parameters, ic.held_out_loss, ic.initial_held_out_loss, ic.wall_s
        ));
    }
    say(format!(
        "wrote {}/{{mixtral,mixtral-incontext,distilbert}}/, train-report.json, llm-train-small.{{svg,csv}}",
        out.display()
    ));
    Ok(ExitCode::SUCCESS)
}
