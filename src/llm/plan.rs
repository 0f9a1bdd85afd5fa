//! `goodhart llm plan --config FILE [--device NAME] [--json]`: the memory plan of a training config
//! before anything is loaded ([`goodhart_llm::plan`]): per device, the GiB of base weights, KV cache,
//! reward model, actor + critic + Adam state and the PPO minibatch's peak, and whether it fits the
//! devices present or a named card (`h100-80gb`, `a100-80gb`, `h200-141gb`, ...).
//! Exit 0 whether or not it fits (the answer is the output); 1 on bad input.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use goodhart_llm::experiment::ExperimentConfig;
use goodhart_llm::plan::{plan, Memory, Models};

/// Arguments of `goodhart llm plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The experiment's TOML (as for `llm train`); only the models' config.json files are read.
    #[arg(long)]
    pub config: PathBuf,
    /// Plan for this card instead of the GPUs present (every CUDA device of the config is taken to
    /// be one): h100-80gb, a100-80gb, h200-141gb, a100-40gb, l40s-48gb, rtx4090-24gb.
    #[arg(long)]
    pub device: Option<String>,
    /// Print `{devices: [{name, total_gib, items: [{what, gib}], used_gib}], fits}` as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `goodhart llm plan`.
///
/// # Errors
/// One-line errors: an unreadable or invalid config, an unknown card, an absent device.
pub fn run(a: PlanArgs) -> anyhow::Result<ExitCode> {
    let cfg = ExperimentConfig::from_toml_file(&a.config)?;
    let models = Models::read(&cfg)?;
    let memory = match &a.device {
        Some(card) => Memory::Card(card.clone()),
        None => Memory::Present,
    };
    // Parts the config does not place go where `llm train` would put them by default (the CPU),
    // or on cuda:0 when a card is named.
    let default = if a.device.is_some() { "cuda:0" } else { "cpu" };
    let p = plan(&cfg, &models, default, &memory)?;
    let text = if a.json {
        serde_json::to_string_pretty(&p)? + "\n"
    } else {
        p.render()
    };
    // A closed pipe (`| head`) is not an error.
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}
