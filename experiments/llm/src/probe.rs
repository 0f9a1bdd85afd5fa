//! The reward-model tail probe of Kwa et al. 2024 §4 (spec `kwa2024.md` §3 Figures 1, 2, B.1, B.2
//! and §4.3–4.5): is a reward model's error heavy- or light-tailed? Three sources of samples, each
//! handed to the tail module (`goodhart tails`):
//!
//! 1. **Uniform random token sequences** scored by the reward model (Figure 1 / B.1).
//! 2. **Base-model samples**: a few uniformly random prompt tokens, then the base LM continues
//!    (Figure 2: Llama-2-chat continuations); the text is scored by the reward model.
//! 3. **ACG** (accelerated coordinate gradient) discrete optimisation of the input tokens (Table 1,
//!    Figure B.2), as the authors ran it (`gcg.py::run_gcg`): each step backpropagates the reward to
//!    the input embeddings, scores every token at every position by the linearised gain
//!    `(∂r/∂e)·Eᵀ`, keeps the top `k` per position, builds `batch` candidates with
//!    `n_edits(step) = ⌊⌊(100000/(step+1))^0.3⌋/4⌋ + 2` random edits each (position uniform with
//!    replacement, token uniform among that position's candidates), scores them and moves to the
//!    best. **Quirks, and what we do:** the authors always move to the best candidate even when it is
//!    worse than the current sequence (their acceptance test is disabled) and report the reward of the
//!    *last* step. We keep the incumbent when no candidate improves on it (option
//!    `keep_incumbent`, default on) and report both the final and the best reward seen.
//!
//! The log-probability of each optimised sequence under a base LM is computed correctly: the text
//! is re-tokenised for the base LM, `<s>` prepended, and each token is scored by the distribution
//! of the *previous* position. The authors' version (`gather(log_softmax(logits), input_ids)`
//! without a shift: position i's next-token distribution evaluated at token i) is reported beside
//! it as `authors_log_prob` so the size of their off-by-one is visible.
//!
//! The reward of a DistilBERT sentiment classifier is its logit margin
//! ([`crate::distilbert::logit_margin`]), a scalar score like the paper's reward heads.

use candle_core::{DType, Device, IndexOp, Tensor, Var, D};
use goodhart_seeds::{stream_rng, stream_seed};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::distilbert::{logit_margin, DistilBertClassifier};
use crate::mixtral::CausalLm;
use crate::sampler::{generate, Sampler};
use crate::tokenizer::{decode, encode};
use crate::{LlmError, Result};

/// The authors' annealing schedule: simultaneous edits per candidate at 0-based `step`.
pub fn acg_edits(step: usize) -> usize {
    let inner = (100_000.0 / (step as f64 + 1.0)).powf(0.3).floor();
    (inner / 4.0).floor() as usize + 2
}

/// ACG settings (Table 1 of Kwa et al.; [`AcgConfig::paper`] has the authors' values).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AcgConfig {
    /// Optimised tokens per sequence (paper: 133).
    pub length: usize,
    /// Steps (paper: 1000).
    pub iterations: usize,
    /// Candidate tokens per position (paper: 3).
    pub top_k: usize,
    /// Candidate sequences per step (paper: 12).
    pub batch: usize,
    /// Independent runs (paper: 40).
    pub runs: usize,
    /// Keep the current sequence when no candidate improves on it (the authors do not).
    pub keep_incumbent: bool,
}

impl AcgConfig {
    /// The authors' settings (Table 1 and `gcg.py`).
    pub fn paper() -> Self {
        AcgConfig {
            length: 133,
            iterations: 1000,
            top_k: 3,
            batch: 12,
            runs: 40,
            keep_incumbent: true,
        }
    }

    fn validate(&self, max_len: usize) -> Result<()> {
        for (n, v) in [
            ("length", self.length),
            ("iterations", self.iterations),
            ("top_k", self.top_k),
            ("batch", self.batch),
            ("runs", self.runs),
        ] {
            if v == 0 {
                return Err(LlmError::invalid(n, v, "must be ≥ 1"));
            }
        }
        if self.length > max_len {
            return Err(LlmError::invalid(
                "length",
                self.length,
                "longer than the reward model's position table allows",
            ));
        }
        Ok(())
    }
}

/// One ACG run.
#[derive(Debug, Clone, Serialize)]
pub struct AcgRun {
    /// Run index.
    pub run: usize,
    /// Reward of the starting (random) sequence.
    pub initial_reward: f64,
    /// Reward after the last step (what the authors report).
    pub final_reward: f64,
    /// Best reward seen.
    pub best_reward: f64,
    /// Reward after each step.
    pub trajectory: Vec<f64>,
    /// The best sequence (reward-model token ids, without `[CLS]`/`[SEP]`).
    pub best_ids: Vec<u32>,
    /// Its text.
    pub best_text: String,
}

/// Token ids a probe may use: the reward tokenizer's vocabulary minus its special tokens.
fn ordinary_ids(tok: &Tokenizer) -> Vec<u32> {
    let specials: std::collections::HashSet<u32> =
        tok.get_added_tokens_decoder().keys().copied().collect();
    (0..tok.get_vocab_size(true) as u32)
        .filter(|i| !specials.contains(i))
        .collect()
}

fn special_id(tok: &Tokenizer, name: &str) -> Result<u32> {
    tok.token_to_id(name)
        .ok_or_else(|| LlmError::Tokenizer(format!("the reward tokenizer has no {name} token")))
}

/// Wraps content ids as `[CLS] ids [SEP]`.
fn wrap(tok: &Tokenizer, ids: &[u32]) -> Result<Vec<u32>> {
    let mut v = Vec::with_capacity(ids.len() + 2);
    v.push(special_id(tok, "[CLS]")?);
    v.extend_from_slice(ids);
    v.push(special_id(tok, "[SEP]")?);
    Ok(v)
}

/// Rewards (logit margins) of `n` uniformly random sequences of `length` ordinary tokens.
///
/// # Errors
/// Invalid sizes; model errors.
pub fn random_token_rewards(
    rm: &DistilBertClassifier,
    tok: &Tokenizer,
    n: usize,
    length: usize,
    seed: u64,
    mut progress: impl FnMut(usize) -> bool,
) -> Result<Vec<f64>> {
    if n == 0 || length == 0 {
        return Err(LlmError::invalid(
            "n/length",
            format!("{n}/{length}"),
            "both ≥ 1",
        ));
    }
    if length + 2 > rm.config().max_position_embeddings {
        return Err(LlmError::invalid(
            "length",
            length,
            "longer than the reward model's position table allows",
        ));
    }
    let ids = ordinary_ids(tok);
    let mut rng = stream_rng(seed, "probe/random-tokens");
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let b = (n - out.len()).min(64);
        let batch: Vec<Vec<u32>> = (0..b)
            .map(|_| {
                let content: Vec<u32> = (0..length)
                    .map(|_| ids[rng.random_range(0..ids.len())])
                    .collect();
                wrap(tok, &content)
            })
            .collect::<Result<_>>()?;
        out.extend(rm.score_ids(&batch)?.iter().map(logit_margin));
        if progress(out.len()) {
            return Err(LlmError::Interrupted);
        }
    }
    Ok(out)
}

/// A base-model sample and its reward.
#[derive(Debug, Clone, Serialize)]
pub struct BaseSample {
    /// The generated text (prompt tokens included, as the authors score them).
    pub text: String,
    /// The reward model's logit margin on it.
    pub reward: f64,
}

/// `n` base-model continuations of `prompt_tokens` uniformly random tokens (no `<s>`, as the
/// authors), `max_new` new tokens at temperature 1, each scored by the reward model.
///
/// # Errors
/// Invalid sizes; model/tokenizer errors.
#[allow(clippy::too_many_arguments)]
pub fn base_model_rewards<M: CausalLm>(
    base: &M,
    lm_tok: &Tokenizer,
    rm: &DistilBertClassifier,
    rm_tok: &Tokenizer,
    n: usize,
    prompt_tokens: usize,
    max_new: usize,
    seed: u64,
    mut progress: impl FnMut(usize) -> bool,
) -> Result<Vec<BaseSample>> {
    if n == 0 || prompt_tokens == 0 || max_new == 0 {
        return Err(LlmError::invalid(
            "n/prompt_tokens/max_new",
            format!("{n}/{prompt_tokens}/{max_new}"),
            "all ≥ 1",
        ));
    }
    let lm_ids = ordinary_ids(lm_tok);
    let mut rng = stream_rng(seed, "probe/base-model/prompts");
    let mut sampler = Sampler::new(stream_seed(seed, "probe/base-model/sampler"), 1.0, 1.0)?;
    let mut texts = Vec::with_capacity(n);
    for i in 0..n {
        let prompt: Vec<u32> = (0..prompt_tokens)
            .map(|_| lm_ids[rng.random_range(0..lm_ids.len())])
            .collect();
        let new = generate(base, &prompt, max_new, &mut sampler, &[])?;
        let mut all = prompt;
        all.extend(new);
        texts.push(decode(lm_tok, &all)?);
        if progress(i + 1) {
            return Err(LlmError::Interrupted);
        }
    }
    let mut out = Vec::with_capacity(n);
    for chunk in texts.chunks(64) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let s = rm.score_texts(rm_tok, &refs)?;
        out.extend(chunk.iter().zip(s.iter()).map(|(t, s)| BaseSample {
            text: t.clone(),
            reward: logit_margin(s),
        }));
    }
    Ok(out)
}

/// Reward (logit margin) of one `[CLS] ids [SEP]` sequence and its gradient w.r.t. the input
/// embeddings, `(len + 2, dim)`.
fn reward_and_embedding_grad(rm: &DistilBertClassifier, full: &[u32]) -> Result<(f64, Tensor)> {
    let dev = rm.word_embeddings().device().clone();
    let ids = Tensor::new(full, &dev)?;
    let emb = rm.word_embeddings().index_select(&ids, 0)?;
    let var = Var::from_tensor(&emb)?;
    let mask = Tensor::ones((1, full.len()), DType::U32, &dev)?;
    let logits = rm.forward_embeds(&var.as_tensor().unsqueeze(0)?, &mask)?;
    let pos = rm.positive_index()?;
    let neg = 1 - pos;
    let r = (logits.i((0, pos))? - logits.i((0, neg))?)?;
    let grads = r.backward()?;
    let g = grads
        .get(var.as_tensor())
        .ok_or_else(|| {
            LlmError::invalid(
                "gradient",
                "none",
                "the reward must depend on the embeddings",
            )
        })?
        .clone();
    Ok((r.to_dtype(DType::F64)?.to_scalar::<f64>()?, g))
}

/// Runs ACG (`cfg.runs` independent runs) on the reward model.
///
/// # Errors
/// Invalid settings; model errors; [`LlmError::Interrupted`] when `progress(run, step)` says stop.
pub fn acg(
    rm: &DistilBertClassifier,
    tok: &Tokenizer,
    cfg: &AcgConfig,
    seed: u64,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Result<Vec<AcgRun>> {
    cfg.validate(rm.config().max_position_embeddings.saturating_sub(2))?;
    let ordinary = ordinary_ids(tok);
    let vocab = rm.config().vocab_size;
    let mut allowed = vec![false; vocab];
    for &i in &ordinary {
        if (i as usize) < vocab {
            allowed[i as usize] = true;
        }
    }
    let emb_t = rm.word_embeddings().t()?.to_dtype(DType::F32)?; // (dim, vocab)
    let mut rng = stream_rng(seed, "probe/acg");
    let mut runs = Vec::with_capacity(cfg.runs);
    for run in 0..cfg.runs {
        let mut current: Vec<u32> = (0..cfg.length)
            .map(|_| ordinary[rng.random_range(0..ordinary.len())])
            .collect();
        let (mut cur_r, _) = reward_and_embedding_grad(rm, &wrap(tok, &current)?)?;
        let initial = cur_r;
        let (mut best_r, mut best_ids) = (cur_r, current.clone());
        let mut trajectory = Vec::with_capacity(cfg.iterations);
        for step in 0..cfg.iterations {
            let (_, g) = reward_and_embedding_grad(rm, &wrap(tok, &current)?)?;
            // linearised gain of every token at every content position: (len, vocab)
            let scores: Vec<Vec<f32>> = g
                .i(1..cfg.length + 1)?
                .to_dtype(DType::F32)?
                .matmul(&emb_t)?
                .to_vec2()?;
            let cands: Vec<Vec<u32>> = scores
                .iter()
                .map(|row| {
                    let mut idx: Vec<u32> =
                        (0..vocab as u32).filter(|&t| allowed[t as usize]).collect();
                    idx.sort_by(|&a, &b| {
                        row[b as usize].total_cmp(&row[a as usize]).then(a.cmp(&b))
                    });
                    idx.truncate(cfg.top_k);
                    idx
                })
                .collect();
            let edits = acg_edits(step);
            let batch: Vec<Vec<u32>> = (0..cfg.batch)
                .map(|_| {
                    let mut c = current.clone();
                    for _ in 0..edits {
                        let p = rng.random_range(0..cfg.length);
                        let choices = &cands[p];
                        c[p] = choices[rng.random_range(0..choices.len())];
                    }
                    c
                })
                .collect();
            let wrapped: Vec<Vec<u32>> =
                batch.iter().map(|c| wrap(tok, c)).collect::<Result<_>>()?;
            let rewards: Vec<f64> = rm.score_ids(&wrapped)?.iter().map(logit_margin).collect();
            let (bi, br) = rewards.iter().copied().enumerate().fold(
                (0, f64::NEG_INFINITY),
                |(i0, r0), (i, r)| if r > r0 { (i, r) } else { (i0, r0) },
            );
            if !cfg.keep_incumbent || br >= cur_r {
                current = batch[bi].clone();
                cur_r = br;
            }
            if cur_r > best_r {
                best_r = cur_r;
                best_ids = current.clone();
            }
            trajectory.push(cur_r);
            if progress(run, step + 1) {
                return Err(LlmError::Interrupted);
            }
        }
        runs.push(AcgRun {
            run,
            initial_reward: initial,
            final_reward: cur_r,
            best_reward: best_r,
            trajectory,
            best_text: decode(tok, &best_ids)?,
            best_ids,
        });
    }
    Ok(runs)
}

/// Log-probability of a text under the base LM, two ways.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TextLogProb {
    /// Σ_t log p(y_t | y_<t) with `<s>` prepended (correct).
    pub log_prob: f64,
    /// The authors' unshifted `gather(log_softmax(logits), ids)` over the same ids (off by one).
    pub authors_log_prob: f64,
    /// Tokens scored.
    pub tokens: usize,
}

/// Scores `text` under the base LM (see the module doc).
///
/// # Errors
/// Tokenizer/model errors; an empty text.
pub fn text_log_prob<M: CausalLm>(base: &M, lm_tok: &Tokenizer, text: &str) -> Result<TextLogProb> {
    let ids = encode(lm_tok, text, true)?;
    if ids.len() < 2 {
        return Err(LlmError::invalid(
            "text",
            format!("{text:?}"),
            "at least one token",
        ));
    }
    let lp = base.sequence_log_probs(&ids)?;
    let log_prob: f64 = lp.iter().sum();
    let t = Tensor::new(ids.as_slice(), base.device())?.unsqueeze(0)?;
    let mut cache = base.new_cache();
    let out = base.forward(&t, &mut cache, 0)?;
    let lsm = candle_nn::ops::log_softmax(&out.logits.i(0)?.to_dtype(DType::F32)?, D::Minus1)?;
    let rows: Vec<Vec<f32>> = lsm.to_vec2()?;
    let authors_log_prob: f64 = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| rows[i][id as usize] as f64)
        .sum();
    let _ = Device::Cpu;
    Ok(TextLogProb {
        log_prob,
        authors_log_prob,
        tokens: ids.len() - 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §3 Table 1: 9 at step 0, 8 at 1, 7 at 2–3, 6 at 4–8, 5 at 9–24, 4 at 25–96, 3 at
    /// 97–983, 2 at 984–999.
    #[test]
    fn acg_schedule_matches_the_spec_table() {
        let expect = [
            (0, 9),
            (1, 8),
            (2, 7),
            (3, 7),
            (4, 6),
            (8, 6),
            (9, 5),
            (24, 5),
            (25, 4),
            (96, 4),
            (97, 3),
            (983, 3),
            (984, 2),
            (999, 2),
        ];
        for (s, e) in expect {
            assert_eq!(acg_edits(s), e, "step {s}");
        }
    }
}
