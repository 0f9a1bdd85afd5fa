//! Subcommands of `goodhart llm` (parsed here so that the top-level CLI stays the same with and
//! without the `llm` feature).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `goodhart llm`: the LLM stack and the KL-budget experiment.
#[derive(Debug, Parser)]
#[command(name = "goodhart llm")]
pub struct LlmCli {
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
        /// Seed of the weights and the tokenizer corpus.
        #[arg(long, default_value_t = 20240522)]
        seed: u64,
    },
}

/// Runs `goodhart llm ARGS…`.
///
/// # Errors
/// Usage errors come back as clap errors (exit 2 by the caller); everything else as a one-line error.
pub fn run(args: &[String], quiet: bool) -> anyhow::Result<ExitCode> {
    let cli = match LlmCli::try_parse_from(
        std::iter::once("goodhart llm".to_string()).chain(args.iter().cloned()),
    ) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(ExitCode::from(code));
        }
    };
    let _ = quiet;
    match cli.command {
        LlmCommand::MakeTiny { out, seed } => {
            anyhow::bail!("make-tiny {} {seed}: being built", out.display())
        }
    }
}
