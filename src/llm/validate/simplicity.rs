//! The computable stand-in for Cohen et al. 2024's Table 1 (which needs a human or GPT judge):
//! the base LM's mean surprisal of the transcripts and their deflate compression ratio, agent vs
//! base policy.

use std::io::Write;

use goodhart_llm::experiment::ExperimentOutcome;
use goodhart_llm::mixtral::CausalLm;
use serde::{Deserialize, Serialize};

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

/// Deflate-compressed size / raw size of `text` (best compression).
pub(super) fn compression_ratio(text: &str) -> f64 {
    if text.is_empty() {
        return f64::NAN;
    }
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = enc.write_all(text.as_bytes());
    let n = enc.finish().map(|v| v.len()).unwrap_or(0);
    n as f64 / text.len() as f64
}

/// The Table 1 stand-in for one run (see [`Simplicity`]).
pub(super) fn simplicity(
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
