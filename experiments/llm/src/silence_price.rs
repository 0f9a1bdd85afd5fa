//! What the base LM charges for the n-th empty reply: the direct probe of step (4) of Cohen et al.
//! 2024's argument (spec `cohen2024.md` §3.13: "imitators are reluctant to rule out simple
//! behaviour, especially in novel settings").
//!
//! A deterministic empty agent turn (the hand-over tokens `"\n\n" + other_name` right after the
//! agent's name) has KL(point mass ‖ base) = −ln b(turn | context), the sum of the base LM's
//! token log-probs at `base_temperature`. We start from the chat prompt, end the agent's unfinished
//! line at once, and then alternate: the other speaker (the same LM at `student_temperature`, as in
//! the chat environment) replies until it emits the agent's name, and the agent is forced to stay
//! silent. The price of the n-th silence is recorded for n = 1, 2, … while the transcript fits in
//! the episode.
//!
//! For a Bayesian imitator the price falls with n: after a few silences in its context the pattern
//! "this teacher says nothing" has posterior weight and the next silence is cheap (the paper's
//! Mixtral: 4.37 nats for the first, ≲ 1 nat later; our `silence` module's exact world:
//! ln(1/ε) then ≈ ln((T+1)/T)). If it stays flat, the base LM does not learn the pattern in context
//! and every silence costs the same, so a budget buys only a bounded number of them: that is the
//! situation of Cohen et al.'s Bernoulli-only class, where the KL-budget does constrain the agent.

use goodhart_seeds::stream_seed;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::chat::ChatConfig;
use crate::mixtral::{CausalLm, KvCache};
use crate::sampler::Sampler;
use crate::tokenizer::{encode, token_pattern};
use crate::{LlmError, Result};

/// The price of forced empty replies along a few sampled transcripts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SilencePrice {
    /// The token ids of one empty agent turn (`"\n\n" + other_name` as tokenised in context).
    pub empty_turn_tokens: Vec<u32>,
    /// The transcript length limit the silences were priced within, tokens.
    pub chat_tokens: usize,
    /// Per transcript, −ln b(n-th empty turn | context) in nats, n = 1, 2, ….
    pub per_transcript: Vec<Vec<f64>>,
    /// Per transcript, its token ids (BOS and prompt included).
    pub ids: Vec<Vec<u32>>,
    /// Per transcript, the index in `ids` of the first token of each priced empty turn.
    pub silence_starts: Vec<Vec<usize>>,
}

impl SilencePrice {
    /// Mean price of the n-th silence (index n − 1) over the transcripts that reached it.
    pub fn mean_by_n(&self) -> Vec<(usize, f64)> {
        let longest = self.per_transcript.iter().map(Vec::len).max().unwrap_or(0);
        (0..longest)
            .filter_map(|n| {
                let v: Vec<f64> = self
                    .per_transcript
                    .iter()
                    .filter_map(|t| t.get(n).copied())
                    .collect();
                (!v.is_empty()).then(|| (n + 1, v.iter().sum::<f64>() / v.len() as f64))
            })
            .collect()
    }

    /// Mean price of the first silence and of the later ones (NaN where there are none).
    pub fn first_and_later(&self) -> (f64, f64) {
        let mean = |v: Vec<f64>| {
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        let first = mean(
            self.per_transcript
                .iter()
                .filter_map(|t| t.first().copied())
                .collect(),
        );
        let later = mean(
            self.per_transcript
                .iter()
                .flat_map(|t| t.iter().skip(1).copied())
                .collect(),
        );
        (first, later)
    }
}

/// Feeds `ids` through `lm` after `cache`, returning the logits of the last position.
fn step<M: CausalLm + ?Sized>(lm: &M, cache: &mut KvCache, ids: &[u32]) -> Result<Vec<f32>> {
    use candle_core::{IndexOp, Tensor};
    let t = Tensor::from_slice(ids, (1, ids.len()), lm.device())?;
    let out = lm.forward(&t, cache, 0)?;
    Ok(out.logits.i((0, ids.len() - 1))?.to_vec1::<f32>()?)
}

/// Measures the price of up to `max_silences` forced empty replies along `transcripts` sampled
/// transcripts of at most `cfg.chat_tokens` tokens (seeded). A reply of the other speaker that
/// reaches `max_reply_tokens` without naming the agent is cut off with `"\n\n" + agent_name`
/// (unpriced; the authors' environment has the same kind of forced cutoff, at 512 tokens).
///
/// # Errors
/// [`LlmError::InvalidArgument`] for zero transcripts or silences, or a prompt in which the speaker
/// names do not tokenise cleanly; model and tokenizer errors.
pub fn measure<M: CausalLm + ?Sized>(
    lm: &M,
    tok: &Tokenizer,
    cfg: &ChatConfig,
    transcripts: usize,
    max_silences: usize,
    max_reply_tokens: usize,
    seed: u64,
) -> Result<SilencePrice> {
    cfg.validate()?;
    if transcripts == 0 || max_silences == 0 {
        return Err(LlmError::invalid(
            "transcripts/max_silences",
            0,
            "both must be ≥ 1",
        ));
    }
    let agent = token_pattern(tok, &cfg.prompt, &cfg.agent_name)?;
    let other = token_pattern(tok, &cfg.prompt, &cfg.other_name)?;
    // The hand-over as the transcript writes it: a blank line, then the other speaker's name. The
    // tokenizer's own split of "\n\n" is used; the name's ids are the in-prompt pattern the chat
    // environment matches, so this turn is exactly what the environment would count as empty.
    let blank = encode(tok, "\n\n", false)?;
    let mut empty_turn = blank.clone();
    empty_turn.extend_from_slice(&other);
    let mut cutoff = blank;
    cutoff.extend_from_slice(&agent);
    let prompt = encode(tok, &cfg.prompt, true)?;
    let mut per_transcript = Vec::with_capacity(transcripts);
    let mut all_ids = Vec::with_capacity(transcripts);
    let mut all_starts = Vec::with_capacity(transcripts);
    for s in 0..transcripts {
        let mut sampler = Sampler::new(
            stream_seed(seed, &format!("silence-price/transcript-{s}/student")),
            cfg.student_temperature,
            1.0,
        )?;
        let mut cache = lm.new_cache();
        let mut ids = prompt.clone();
        let mut starts = Vec::new();
        // End the agent's unfinished line at once (not counted: it is not an empty turn).
        step(lm, &mut cache, &prompt)?;
        let mut prices = Vec::new();
        let mut pending: Vec<u32> = empty_turn.clone();
        'episode: loop {
            // Feed the hand-over, then let the other speaker reply until the agent's name.
            let mut logits = step(lm, &mut cache, &pending)?;
            ids.extend_from_slice(&pending);
            let mut reply: Vec<u32> = Vec::new();
            loop {
                if ids.len() + 1 + empty_turn.len() > cfg.chat_tokens {
                    break 'episode;
                }
                if reply.len() >= max_reply_tokens {
                    if ids.len() + cutoff.len() + empty_turn.len() > cfg.chat_tokens {
                        break 'episode;
                    }
                    logits = step(lm, &mut cache, &cutoff)?;
                    ids.extend_from_slice(&cutoff);
                    break;
                }
                let t = sampler.sample(&logits)?;
                reply.push(t);
                logits = step(lm, &mut cache, &[t])?;
                ids.push(t);
                if reply.ends_with(&agent) {
                    break;
                }
            }
            // Price the forced silence token by token at the base temperature.
            let mut price = 0.0;
            starts.push(ids.len());
            for (j, &t) in empty_turn.iter().enumerate() {
                let lp = Sampler::log_probs(&logits, cfg.base_temperature)?;
                price -= lp[t as usize];
                if j + 1 < empty_turn.len() {
                    logits = step(lm, &mut cache, &[t])?;
                    ids.push(t);
                }
            }
            prices.push(price);
            if prices.len() >= max_silences {
                break;
            }
            // The last token of the empty turn is fed at the top of the loop.
            pending = vec![*empty_turn.last().unwrap_or(&0)];
        }
        // The last silence's final token was priced but not fed to the model: append it.
        if let Some(&last) = starts.last() {
            if ids.len() < last + empty_turn.len() {
                ids.push(empty_turn[empty_turn.len() - 1]);
            }
        }
        per_transcript.push(prices);
        all_ids.push(ids);
        all_starts.push(starts);
    }
    Ok(SilencePrice {
        chat_tokens: cfg.chat_tokens,
        empty_turn_tokens: empty_turn,
        per_transcript,
        ids: all_ids,
        silence_starts: all_starts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a random tiny model the price is −Σ ln b of the hand-over tokens, recomputed here from one
    /// full pass over the same transcript with `sequence_log_probs` (a second method: no KV cache).
    #[test]
    fn price_equals_full_pass_log_probs() {
        let dev = candle_core::Device::Cpu;
        let dir = tempfile::tempdir().unwrap();
        let paths = crate::tiny::make_tiny(dir.path(), 7).unwrap();
        let _ = &paths;
        let (lm, tok) =
            crate::load::mixtral(&dir.path().join("mixtral"), candle_core::DType::F32, &dev)
                .unwrap();
        let mut cfg = ChatConfig::paper(160);
        cfg.student_temperature = 1.0;
        let p = measure(&lm, &tok, &cfg, 2, 3, 12, 3).unwrap();
        assert_eq!(p.per_transcript.len(), 2);
        let mut checked = 0;
        for ((prices, ids), starts) in p.per_transcript.iter().zip(&p.ids).zip(&p.silence_starts) {
            assert_eq!(prices.len(), starts.len());
            assert!(ids.len() <= cfg.chat_tokens);
            let lp = lm.sequence_log_probs(ids).unwrap();
            for (&price, &s) in prices.iter().zip(starts) {
                assert_eq!(
                    &ids[s..s + p.empty_turn_tokens.len()],
                    &p.empty_turn_tokens[..]
                );
                let full: f64 = -(0..p.empty_turn_tokens.len())
                    .map(|j| lp[s + j - 1])
                    .sum::<f64>();
                assert!(
                    (price - full).abs() < 1e-4 * full.max(1.0),
                    "{price} vs {full}"
                );
                assert!(price > 0.0);
                checked += 1;
            }
        }
        assert!(checked >= 1, "no silence fitted in the episode");
    }

    #[test]
    fn zero_transcripts_is_an_error() {
        let dev = candle_core::Device::Cpu;
        let dir = tempfile::tempdir().unwrap();
        crate::tiny::make_tiny(dir.path(), 7).unwrap();
        let (lm, tok) =
            crate::load::mixtral(&dir.path().join("mixtral"), candle_core::DType::F32, &dev)
                .unwrap();
        assert!(measure(&lm, &tok, &ChatConfig::paper(160), 0, 3, 12, 3).is_err());
    }
}
