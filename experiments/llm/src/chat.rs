//! The chat environment of Cohen et al. 2024 §5 (spec `cohen2024.md` §3.3–3.4, `ChatEnv` in the
//! authors' `klreg.py`): a transcript with named speakers; the agent speaks for one name (the
//! teacher); the other speaker (the student) is the frozen base LM at a low temperature; the reward
//! of an agent turn is the sentiment of the student's reply that it triggered; an episode is a fixed
//! number of transcript tokens.
//!
//! **Lockstep batching.** As in the authors' code, `n_envs` transcripts grow by exactly one token per
//! tick: environments whose turn it is take the agent's token, the others take a student token
//! sampled from the base LM. One batched forward pass with a shared KV cache then gives, for every
//! environment, the base model's next-token log-probs (temperature `base_temperature`) and the last
//! three hidden states at the last position: the agent's observation. All transcripts therefore
//! have the same length and finish on the same tick. Only the environments with
//! [`ChatObservation::acting`] set consume an action on the next tick.
//!
//! **Turns** are detected by exact token-id subsequence match of the agent's and the other speaker's
//! name patterns (e.g. `"Teacher:"`), obtained from the prompt with [`crate::tokenizer::token_pattern`].
//! The agent ends its own turn by emitting the other speaker's pattern; the student's reply ends when
//! the LM emits the agent's pattern.
//!
//! **Reward.** When a student reply ends, its text (between the end of the last `Student:` pattern and
//! the start of the new `Teacher:` pattern, decoded **keeping special tokens** such as `</s>`, as
//! transformers' `tokenizer.decode(ids)` does by default in the authors' code) is scored by the DistilBERT classifier and mapped with
//! [`crate::distilbert::cohen_reward`]; the reward is credited to the agent turn that triggered the
//! reply (the tick on which the agent emitted `Student:`), as the authors' code returns it on that
//! agent step. Differences from the authors' code, on purpose: a student reply cut off by the end of
//! the episode is **not** rewarded (their code scores the empty slice); the observation's scalar is
//! the fraction of the episode *remaining* at every step (their reset uses the fraction elapsed).
//!
//! **Empty reply** (the paper's outcome): an agent turn of at most `empty_reply_max_tokens` tokens,
//! counting the tokens that end it (the authors' definition, §3.10).

use candle_core::{DType, IndexOp, Tensor};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::distilbert::{cohen_reward, DistilBertClassifier};
use crate::mixtral::{CausalLm, KvCache};
use crate::ppo::{AgentObservation, Environment, Tick};
use crate::tokenizer::{decode, decode_keeping_special, encode, token_pattern};
use crate::{LlmError, Result};

/// The prompt of the authors' `ChatEnv` (spec §3.3), verbatim.
pub use crate::corpus::COHEN_PROMPT;

/// Settings of the chat environment (spec §3.3; the paper's values are [`ChatConfig::paper`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChatConfig {
    /// Parallel transcripts (paper: 64).
    pub n_envs: usize,
    /// Episode length in transcript tokens, BOS and prompt included (paper: 256, then 512).
    pub chat_tokens: usize,
    /// Temperature of the student (paper: 0.05).
    pub student_temperature: f64,
    /// Temperature of the base policy the agent is regularised to (paper: 1.0).
    pub base_temperature: f64,
    /// The starting transcript; it must end inside the agent's turn.
    pub prompt: String,
    /// The agent's speaker name, with the colon (paper: `"Teacher:"`).
    pub agent_name: String,
    /// The other speaker's name, with the colon (paper: `"Student:"`).
    pub other_name: String,
    /// An agent turn of at most this many tokens (the ending pattern included) is "empty" (paper: 4).
    pub empty_reply_max_tokens: usize,
}

impl ChatConfig {
    /// The paper's settings at episode length `chat_tokens`.
    pub fn paper(chat_tokens: usize) -> Self {
        ChatConfig {
            n_envs: 64,
            chat_tokens,
            student_temperature: 0.05,
            base_temperature: 1.0,
            prompt: COHEN_PROMPT.to_string(),
            agent_name: "Teacher:".into(),
            other_name: "Student:".into(),
            empty_reply_max_tokens: 4,
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.n_envs == 0 {
            return Err(LlmError::invalid("n_envs", self.n_envs, "must be ≥ 1"));
        }
        if self.chat_tokens == 0 {
            return Err(LlmError::invalid(
                "chat_tokens",
                self.chat_tokens,
                "episode length must be ≥ 1 token beyond the prompt",
            ));
        }
        if !(self.student_temperature >= 0.0 && self.student_temperature.is_finite()) {
            return Err(LlmError::invalid(
                "student_temperature",
                self.student_temperature,
                "must be finite and ≥ 0",
            ));
        }
        if !(self.base_temperature > 0.0 && self.base_temperature.is_finite()) {
            return Err(LlmError::invalid(
                "base_temperature",
                self.base_temperature,
                "must be finite and > 0",
            ));
        }
        if self.agent_name.is_empty()
            || self.other_name.is_empty()
            || self.agent_name == self.other_name
        {
            return Err(LlmError::invalid(
                "agent_name/other_name",
                format!("{:?}/{:?}", self.agent_name, self.other_name),
                "two different non-empty speaker names",
            ));
        }
        Ok(())
    }
}

/// What the agent sees after a tick (one row per environment).
#[derive(Debug, Clone)]
pub struct ChatObservation {
    /// `[h₋₁ ‖ h₋₂ ‖ h₋₃ ‖ fraction remaining]` at the last position, `(n, 3·hidden + 1)`, f32.
    pub state: Tensor,
    /// The base policy's log-probs of the next token at `base_temperature`, `(n, vocab)`, f32.
    pub log_base: Tensor,
    /// Whether the environment takes the agent's token on the next tick (its turn).
    pub acting: Vec<bool>,
    /// Fraction of the episode remaining, per environment (all equal in lockstep).
    pub fraction_remaining: Vec<f64>,
}

/// What one tick of the chat environment produced.
pub type ChatTick = Tick<ChatObservation>;

impl AgentObservation for ChatObservation {
    fn state(&self) -> &Tensor {
        &self.state
    }

    fn log_base(&self) -> &Tensor {
        &self.log_base
    }

    fn acting(&self) -> &[bool] {
        &self.acting
    }
}

/// Per-environment turn bookkeeping.
#[derive(Debug, Clone)]
struct Turns {
    agent_turn: bool,
    /// Tokens of the current agent turn so far (its ending pattern included once it ends).
    agent_turn_len: usize,
    /// Index in the transcript where the current student reply's text starts.
    student_text_start: usize,
}

/// A batch of chat transcripts in lockstep (see the module doc).
pub struct ChatEnv<'m, M: CausalLm> {
    base: &'m M,
    reward_model: &'m DistilBertClassifier,
    lm_tokenizer: &'m Tokenizer,
    reward_tokenizer: &'m Tokenizer,
    cfg: ChatConfig,
    prompt_ids: Vec<u32>,
    agent_pattern: Vec<u32>,
    other_pattern: Vec<u32>,
    tokens: Vec<Vec<u32>>,
    turns: Vec<Turns>,
    cache: KvCache,
    /// Student logits of the last tick, `(n, vocab)`.
    last_logits: Option<Tensor>,
    /// Log-probs of the base policy at `base_temperature`, for `acting` checks.
    last_obs: Option<ChatObservation>,
    /// Per environment, texts of completed student replies and their rewards (for transcripts).
    pub rewards_log: Vec<Vec<(String, f64)>>,
}

impl<'m, M: CausalLm> ChatEnv<'m, M> {
    /// A chat environment over a frozen base LM and a sentiment classifier.
    ///
    /// # Errors
    /// Invalid settings; a speaker name that is not in the prompt; a prompt that does not end in
    /// the agent's turn or is not shorter than `chat_tokens`; vocabulary mismatches.
    pub fn new(
        base: &'m M,
        reward_model: &'m DistilBertClassifier,
        lm_tokenizer: &'m Tokenizer,
        reward_tokenizer: &'m Tokenizer,
        cfg: ChatConfig,
    ) -> Result<Self> {
        cfg.validate()?;
        let prompt_ids = encode(lm_tokenizer, &cfg.prompt, true)?;
        let agent_pattern = token_pattern(lm_tokenizer, &cfg.prompt, &cfg.agent_name)?;
        let other_pattern = token_pattern(lm_tokenizer, &cfg.prompt, &cfg.other_name)?;
        if agent_pattern.is_empty() || other_pattern.is_empty() {
            return Err(LlmError::Tokenizer(
                "a speaker name tokenises to no tokens".into(),
            ));
        }
        if prompt_ids.len() >= cfg.chat_tokens {
            return Err(LlmError::invalid(
                "chat_tokens",
                cfg.chat_tokens,
                "must exceed the prompt's length in tokens",
            ));
        }
        if last_occurrence(&prompt_ids, &agent_pattern)
            <= last_occurrence(&prompt_ids, &other_pattern)
        {
            return Err(LlmError::invalid(
                "prompt",
                "…",
                "must end inside the agent's turn (its name more recent than the other's)",
            ));
        }
        if let Some(&bad) = prompt_ids
            .iter()
            .find(|&&t| t as usize >= base.config_vocab_size())
        {
            return Err(LlmError::invalid(
                "prompt",
                bad,
                "token id outside the base model's vocabulary (tokenizer and model do not match)",
            ));
        }
        let n = cfg.n_envs;
        let agent_start =
            last_occurrence(&prompt_ids, &agent_pattern).unwrap_or(0) + agent_pattern.len();
        Ok(ChatEnv {
            base,
            reward_model,
            lm_tokenizer,
            reward_tokenizer,
            tokens: vec![prompt_ids.clone(); n],
            turns: vec![
                Turns {
                    agent_turn: true,
                    agent_turn_len: prompt_ids.len() - agent_start,
                    student_text_start: 0,
                };
                n
            ],
            cache: base.new_cache(),
            last_logits: None,
            last_obs: None,
            rewards_log: vec![Vec::new(); n],
            prompt_ids,
            agent_pattern,
            other_pattern,
            cfg,
        })
    }

    /// The settings.
    pub fn config(&self) -> &ChatConfig {
        &self.cfg
    }

    /// Dimension of [`ChatObservation::state`].
    pub fn state_dim(&self) -> usize {
        3 * self.base.hidden_size() + 1
    }

    /// Size of the action space (the base model's vocabulary).
    pub fn vocab_size(&self) -> usize {
        self.base.config_vocab_size()
    }

    /// The transcripts so far (token ids).
    pub fn transcripts(&self) -> &[Vec<u32>] {
        &self.tokens
    }

    /// Transcript `i` as text.
    ///
    /// # Errors
    /// Decoding errors.
    pub fn transcript_text(&self, i: usize) -> Result<String> {
        decode(self.lm_tokenizer, &self.tokens[i])
    }

    /// Starts new episodes from the prompt: one batched prefill pass.
    ///
    /// # Errors
    /// Model errors.
    pub fn reset(&mut self) -> Result<ChatObservation> {
        let n = self.cfg.n_envs;
        self.tokens = vec![self.prompt_ids.clone(); n];
        let agent_start = last_occurrence(&self.prompt_ids, &self.agent_pattern).unwrap_or(0)
            + self.agent_pattern.len();
        for t in &mut self.turns {
            *t = Turns {
                agent_turn: true,
                agent_turn_len: self.prompt_ids.len() - agent_start,
                student_text_start: 0,
            };
        }
        self.rewards_log = vec![Vec::new(); n];
        self.cache = self.base.new_cache();
        let l = self.prompt_ids.len();
        let flat: Vec<u32> = self.tokens.iter().flatten().copied().collect();
        let ids = Tensor::from_vec(flat, (n, l), self.base.device())?;
        let obs = self.observe(&ids)?;
        Ok(obs)
    }

    /// One tick: acting environments append `actions[i]`, the others a student token.
    ///
    /// # Errors
    /// `actions` of the wrong length or outside the vocabulary; a tick after the episode ended;
    /// model errors.
    pub fn step(&mut self, actions: &[u32], rng: &mut ChaCha8Rng) -> Result<ChatTick> {
        let n = self.cfg.n_envs;
        if actions.len() != n {
            return Err(LlmError::invalid(
                "actions",
                actions.len(),
                "one action per environment",
            ));
        }
        let (Some(obs), Some(logits)) = (self.last_obs.take(), self.last_logits.take()) else {
            return Err(LlmError::invalid(
                "step",
                "after the end of the episode",
                "call reset() first",
            ));
        };
        let vocab = self.vocab_size();
        let student_logits: Vec<Vec<f32>> = logits.to_dtype(DType::F32)?.to_vec2()?;
        let mut next = Vec::with_capacity(n);
        for i in 0..n {
            let tok = if obs.acting[i] {
                let a = actions[i];
                if a as usize >= vocab {
                    return Err(LlmError::invalid(
                        "action",
                        a,
                        "token id outside the vocabulary",
                    ));
                }
                a
            } else {
                sample_at_temperature(&student_logits[i], self.cfg.student_temperature, rng)?
            };
            next.push(tok);
        }
        let mut reward = vec![0.0; n];
        let mut completed = vec![None; n];
        let mut to_score: Vec<(usize, String)> = Vec::new();
        for (i, &tok) in next.iter().enumerate() {
            self.tokens[i].push(tok);
            let seq = &self.tokens[i];
            let turns = &mut self.turns[i];
            if turns.agent_turn {
                turns.agent_turn_len += 1;
                if seq.ends_with(&self.other_pattern) {
                    // The agent handed over: its turn is complete.
                    completed[i] = Some(turns.agent_turn_len <= self.cfg.empty_reply_max_tokens);
                    turns.agent_turn = false;
                    turns.student_text_start = seq.len();
                }
            } else if seq.ends_with(&self.agent_pattern) {
                let end = seq.len() - self.agent_pattern.len();
                let start = turns.student_text_start.min(end);
                // Special tokens kept (`</s>` …), as the authors' `tokenizer.decode(ids)` does.
                let text = decode_keeping_special(self.lm_tokenizer, &seq[start..end])?;
                to_score.push((i, text.trim().to_string()));
                turns.agent_turn = true;
                turns.agent_turn_len = 0;
            }
        }
        if !to_score.is_empty() {
            let texts: Vec<&str> = to_score.iter().map(|(_, t)| t.as_str()).collect();
            let scores = self
                .reward_model
                .score_texts(self.reward_tokenizer, &texts)?;
            for ((i, text), s) in to_score.into_iter().zip(scores) {
                let r = cohen_reward(&s);
                reward[i] = r;
                self.rewards_log[i].push((text, r));
            }
        }
        let done = self.tokens[0].len() >= self.cfg.chat_tokens;
        let obs = if done {
            None
        } else {
            let ids = Tensor::from_vec(next, (n, 1), self.base.device())?;
            Some(self.observe(&ids)?)
        };
        Ok(ChatTick {
            obs,
            reward,
            agent_turn_completed: completed,
            done,
        })
    }

    /// Runs `ids` through the base model (appending to the cache) and builds the observation.
    fn observe(&mut self, ids: &Tensor) -> Result<ChatObservation> {
        let out = self.base.forward(ids, &mut self.cache, 3)?;
        let (n, l, _) = out.logits.dims3()?;
        let last = l - 1;
        let logits = out.logits.i((.., last, ..))?.to_dtype(DType::F32)?;
        let len = self.tokens[0].len();
        let remaining = 1.0 - len as f64 / self.cfg.chat_tokens as f64;
        let mut parts = Vec::with_capacity(4);
        for h in out.hidden.iter().take(3) {
            parts.push(h.i((.., last, ..))?.to_dtype(DType::F32)?);
        }
        parts.push(Tensor::full(remaining as f32, (n, 1), self.base.device())?);
        // `contiguous`: the agent index-selects rows of both, which candle's CPU backend only
        // does on contiguous storage (`cat` along dim 1 of strided slices returns a strided view).
        let state = Tensor::cat(&parts, 1)?.contiguous()?;
        // f64-accurate normalisation: the KL-fixed mixture refuses rows that are not normalised
        // to 1e-6, which candle's f32 log_softmax can miss on large vocabularies.
        let log_base =
            crate::kl_budget::exact_log_softmax(&(&logits / self.cfg.base_temperature)?)?
                .contiguous()?;
        let obs = ChatObservation {
            state,
            log_base,
            acting: self.turns.iter().map(|t| t.agent_turn).collect(),
            fraction_remaining: vec![remaining; n],
        };
        self.last_logits = Some(logits);
        self.last_obs = Some(obs.clone());
        Ok(obs)
    }
}

/// Indices in `ids` (a finished transcript that starts with the `prompt_len` prompt tokens, the
/// prompt ending inside the agent's turn) of the tokens the agent wrote, replaying the turn
/// detection of [`ChatEnv::step`]: the agent writes until its text ends with `other_pattern`, the
/// other speaker until its text ends with `agent_pattern`. The n-th index is the n-th agent step.
pub fn agent_token_positions(
    ids: &[u32],
    prompt_len: usize,
    agent_pattern: &[u32],
    other_pattern: &[u32],
) -> Vec<usize> {
    let mut agent_turn = true;
    let mut out = Vec::new();
    for k in prompt_len..ids.len() {
        let seq = &ids[..=k];
        if agent_turn {
            out.push(k);
            if seq.ends_with(other_pattern) {
                agent_turn = false;
            }
        } else if seq.ends_with(agent_pattern) {
            agent_turn = true;
        }
    }
    out
}

/// Index of the start of the last occurrence of `pat` in `seq`.
pub fn last_occurrence(seq: &[u32], pat: &[u32]) -> Option<usize> {
    if pat.is_empty() || pat.len() > seq.len() {
        return None;
    }
    (0..=seq.len() - pat.len())
        .rev()
        .find(|&s| &seq[s..s + pat.len()] == pat)
}

/// Draws a token from `softmax(logits / t)` (greedy at `t = 0`), in f64.
///
/// # Errors
/// A NaN logit, or an empty row.
pub fn sample_at_temperature(logits: &[f32], t: f64, rng: &mut ChaCha8Rng) -> Result<u32> {
    if logits.is_empty() {
        return Err(LlmError::invalid("logits", "[]", "a non-empty row"));
    }
    if logits.iter().any(|x| x.is_nan()) {
        return Err(LlmError::invalid("logits", "NaN", "finite logits"));
    }
    let argmax = logits
        .iter()
        .enumerate()
        .fold((0usize, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv {
                (i, v)
            } else {
                (bi, bv)
            }
        })
        .0;
    if t == 0.0 {
        return Ok(argmax as u32);
    }
    let m = logits[argmax] as f64;
    let w: Vec<f64> = logits.iter().map(|&x| ((x as f64 - m) / t).exp()).collect();
    let total: f64 = w.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, wi) in w.iter().enumerate() {
        if u < *wi {
            return Ok(i as u32);
        }
        u -= wi;
    }
    Ok(argmax as u32)
}

impl<M: CausalLm> Environment for ChatEnv<'_, M> {
    type Observation = ChatObservation;

    fn n_envs(&self) -> usize {
        self.cfg.n_envs
    }

    fn state_dim(&self) -> usize {
        ChatEnv::state_dim(self)
    }

    fn vocab_size(&self) -> usize {
        ChatEnv::vocab_size(self)
    }

    fn reset(&mut self) -> Result<ChatObservation> {
        ChatEnv::reset(self)
    }

    fn step(&mut self, actions: &[u32], rng: &mut ChaCha8Rng) -> Result<ChatTick> {
        ChatEnv::step(self, actions, rng)
    }

    fn transcript(&self, i: usize) -> Result<String> {
        self.transcript_text(i)
    }
}
