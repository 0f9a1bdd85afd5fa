//! `goodhart llm reward`: the reward classifier on texts, as the KL-budget experiment scores a
//! student's reply (Cohen et al. 2024 §3.3).
//!
//! Each text goes through the checkpoint's tokenizer (`[CLS] … [SEP]`, truncated to the model's
//! positions as transformers' `truncation=True`), the DistilBERT classifier in f32, a softmax in f64
//! ([`goodhart_llm::distilbert::Sentiment`]), and the experiment's reward
//! [`goodhart_llm::distilbert::cohen_reward`]: `(r + 1)/2` with `r = score` if the top label is
//! POSITIVE, else `−score` (so in \[0, 0.25\] ∪ \[0.75, 1\]).
//!
//! Output: a table, or with `--json` one object `{"reward": DIR, "labels": [...], "texts": [{"text",
//! "label", "probs", "logits", "reward"}]}` where `probs` and `logits` follow the checkpoint's
//! `id2label` order (`labels`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use crate::llm::score::TextInput;

/// Arguments of `goodhart llm reward`.
#[derive(Debug, Args)]
pub struct RewardArgs {
    /// Reward model: a DistilBERT two-label (NEGATIVE/POSITIVE) sequence classifier in the Hugging
    /// Face layout (`tokenizer.json`, or `vocab.txt` + `tokenizer_config.json`).
    #[arg(long)]
    pub reward: PathBuf,
    /// The texts: `--text` or `--file`.
    #[command(flatten)]
    pub input: TextInput,
    /// Print one JSON object `{texts: [{label, probs, reward, …}]}` instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One scored text.
#[derive(Debug, Clone, Serialize)]
pub struct RewardedText {
    /// The text as given.
    pub text: String,
    /// The top label (`id2label[argmax]`, ties to the lower index).
    pub label: String,
    /// Softmax probabilities in `id2label` order.
    pub probs: Vec<f64>,
    /// The classifier's logits in `id2label` order.
    pub logits: Vec<f64>,
    /// The experiment's reward of this text.
    pub reward: f64,
}

/// Runs `goodhart llm reward`.
///
/// # Errors
/// Loading errors name the file or tensor; a checkpoint that is not a NEGATIVE/POSITIVE classifier.
pub fn run(a: RewardArgs) -> anyhow::Result<ExitCode> {
    use goodhart_llm::candle_core::{DType, Device};
    let texts = a.input.texts()?;
    let (model, tok) = goodhart_llm::load::distilbert(&a.reward, DType::F32, &Device::Cpu)
        .with_context(|| format!("reward model {}", a.reward.display()))?;
    let cfg = model.config();
    let labels: Vec<String> = (0..cfg.num_labels()).map(|i| cfg.label(i)).collect();
    let mut out = Vec::with_capacity(texts.len());
    for (chunk_start, chunk) in (0..)
        .step_by(goodhart_llm::distilbert::SCORE_CHUNK)
        .zip(texts.chunks(goodhart_llm::distilbert::SCORE_CHUNK))
    {
        if crate::sim::interrupt::requested() {
            return Err(crate::Error::Interrupted {
                done: chunk_start,
                total: texts.len(),
            }
            .into());
        }
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        for (text, s) in chunk.iter().zip(model.score_texts(&tok, &refs)?) {
            out.push(RewardedText {
                text: text.clone(),
                label: s.label.clone(),
                probs: s.probs(),
                logits: s.logits.clone(),
                reward: goodhart_llm::distilbert::cohen_reward(&s),
            });
        }
    }
    if a.json {
        let json = serde_json::json!({
            "reward": a.reward.display().to_string(),
            "labels": labels,
            "texts": out,
        });
        println!("{}", serde_json::to_string(&json)?);
        return Ok(ExitCode::SUCCESS);
    }
    let header: Vec<String> = labels.iter().map(|l| format!("p({l})")).collect();
    println!(
        "{:>5}  {:<10}  {}  {:>8}  text",
        "#",
        "label",
        header
            .iter()
            .map(|h| format!("{h:>12}"))
            .collect::<Vec<_>>()
            .join("  "),
        "reward"
    );
    for (i, r) in out.iter().enumerate() {
        let probs: Vec<String> = r.probs.iter().map(|p| format!("{p:>12.6}")).collect();
        println!(
            "{:>5}  {:<10}  {}  {:>8.5}  {:?}",
            i + 1,
            r.label,
            probs.join("  "),
            r.reward,
            r.text
        );
    }
    Ok(ExitCode::SUCCESS)
}
