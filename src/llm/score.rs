//! `goodhart llm score`: the base LM's per-token log-probabilities of texts — the first thing to run
//! on a new checkpoint to see that it loaded right (compare with transformers'
//! `log_softmax(model(ids).logits)[:-1].gather(ids[1:])`).
//!
//! Each text is tokenised as the experiment tokenises transcripts (the tokenizer's own template, so
//! `<s>` first for a Mistral/Mixtral tokenizer), run through the model in one full pass, and every
//! token after the first gets `log p(ids[i] | ids[..i])` in nats, computed in f64 by a log-sum-exp of
//! the f32 logits ([`goodhart_llm::mixtral::CausalLm::sequence_log_probs`]).
//!
//! Output: a table per text, or with `--json` one object
//! `{"base": DIR, "texts": [{"text", "ids", "tokens", "logprobs", "total"}]}` where `logprobs[i]` is the
//! log-prob of `ids[i + 1]` (the first token has nothing before it: `logprobs` is one shorter than
//! `ids`) and `total` is their sum.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use goodhart_llm::mixtral::CausalLm;
use serde::Serialize;

/// Where the texts come from: exactly one of `--text` and `--file`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TextInput {
    /// One text.
    #[arg(long)]
    pub text: Option<String>,
    /// A UTF-8 file with one text per line (`-` reads stdin); an empty line is an empty text.
    #[arg(long)]
    pub file: Option<PathBuf>,
}

impl TextInput {
    /// The texts, in order.
    ///
    /// # Errors
    /// An unreadable or non-UTF-8 file (named), or a file with no lines.
    pub fn texts(&self) -> anyhow::Result<Vec<String>> {
        if let Some(t) = &self.text {
            return Ok(vec![t.clone()]);
        }
        let Some(path) = &self.file else {
            bail!("give --text or --file");
        };
        let content = if path.as_os_str() == "-" {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading the texts from stdin")?;
            s
        } else {
            std::fs::read_to_string(path)
                .with_context(|| format!("{}: reading the texts", path.display()))?
        };
        let content = content.strip_prefix('\u{feff}').unwrap_or(&content);
        let texts: Vec<String> = content
            .lines()
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
            .collect();
        if texts.is_empty() {
            bail!("{}: no lines (one text per line expected)", path.display());
        }
        Ok(texts)
    }
}

/// Arguments of `goodhart llm score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Base LM: a Mixtral-architecture causal LM in the Hugging Face layout (a local directory or a
    /// local HF cache entry `models--org--name`).
    #[arg(long)]
    pub base: PathBuf,
    /// The texts: `--text` or `--file`.
    #[command(flatten)]
    pub input: TextInput,
    /// Print one JSON object `{texts: [{ids, logprobs, total, …}]}` instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Dtype the weights are loaded in (bf16, f16, f32; the CPU computes in f32 whatever it is).
    #[arg(long, default_value = "f32")]
    pub dtype: String,
}

/// One scored text.
#[derive(Debug, Clone, Serialize)]
pub struct ScoredText {
    /// The text as given.
    pub text: String,
    /// Its token ids, the tokenizer's special tokens included.
    pub ids: Vec<u32>,
    /// The tokens as strings (the vocabulary's pieces).
    pub tokens: Vec<String>,
    /// `logprobs[i] = log p(ids[i+1] | ids[..=i])`, nats.
    pub logprobs: Vec<f64>,
    /// Sum of `logprobs`, nats.
    pub total: f64,
}

/// Runs `goodhart llm score`.
///
/// # Errors
/// Loading errors name the file or tensor; a text with no tokens or more tokens than the model's
/// positions (named by its number); model errors.
pub fn run(a: ScoreArgs) -> anyhow::Result<ExitCode> {
    let texts = a.input.texts()?;
    let dtype = goodhart_llm::checkpoint::parse_dtype(&a.dtype)?;
    let device = goodhart_llm::candle_core::Device::Cpu;
    let (model, tok) = goodhart_llm::load::mixtral(&a.base, dtype, &device)
        .with_context(|| format!("base model {}", a.base.display()))?;
    let max_positions = model.config().max_position_embeddings;
    let mut scored = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let ids = goodhart_llm::tokenizer::encode(&tok, text, true)?;
        if ids.is_empty() {
            bail!(
                "text {} is empty and the tokenizer adds no <s>: nothing to score",
                i + 1
            );
        }
        if ids.len() > max_positions {
            bail!(
                "text {} has {} tokens, more than the model's max_position_embeddings = {max_positions}",
                i + 1,
                ids.len()
            );
        }
        if crate::sim::interrupt::requested() {
            return Err(crate::Error::Interrupted {
                done: i,
                total: texts.len(),
            }
            .into());
        }
        let logprobs = model.sequence_log_probs(&ids)?;
        let tokens = ids
            .iter()
            .map(|&id| tok.id_to_token(id).unwrap_or_default())
            .collect();
        scored.push(ScoredText {
            text: text.clone(),
            total: logprobs.iter().sum(),
            ids,
            tokens,
            logprobs,
        });
    }
    if a.json {
        let json = serde_json::json!({
            "base": a.base.display().to_string(),
            "texts": scored,
        });
        println!("{}", serde_json::to_string(&json)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (i, s) in scored.iter().enumerate() {
        let n = s.logprobs.len();
        let per = if n > 0 { s.total / n as f64 } else { 0.0 };
        println!(
            "text {}: {} tokens, total log-prob {:.4} nats over {n} predicted tokens ({per:.4} per token)",
            i + 1,
            s.ids.len(),
            s.total
        );
        println!("{:>6}  {:>8}  {:>12}  token", "pos", "id", "logprob");
        for (j, (id, piece)) in s.ids.iter().zip(&s.tokens).enumerate() {
            let lp = if j == 0 {
                "-".to_string()
            } else {
                format!("{:.4}", s.logprobs[j - 1])
            };
            println!("{j:>6}  {id:>8}  {lp:>12}  {piece:?}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
