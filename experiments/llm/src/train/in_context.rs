//! The second small base LM of the CPU validation pass: a Mixtral-architecture LM trained on the
//! *habit* corpus ([`crate::corpus::habits`]), where every speaker keeps a latent habit through the
//! transcript, so that predicting well requires reading the transcript: an in-context learner
//! (issue 12). It is the contrast to the first small LM ([`super::train_small_pair`]), trained on
//! dialogues without habits, which has no reason to learn from its context.
//!
//! It shares the first LM's tokenizer (so the two bases score the same token ids), is deeper and
//! wider than [`MixtralConfig::tiny`] (induction-like look-ups need at least two attention layers
//! and room in the residual stream), and trains on longer windows (many turns per window).

use std::path::Path;
use std::time::Instant;

use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use goodhart_seeds::{stream_rng, stream_seed};
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use super::{lm_loss, lm_steps, token_stream, windows_at, CurvePoint, LmSchedule, Progress};
use crate::checkpoint::write_model_dir;
use crate::corpus::habits::{habit_dialogues, HabitOptions};
use crate::mixtral::MixtralConfig;
use crate::tiny::{init_mixtral, varmap_tensors};
use crate::{LlmError, Result};

/// The directory name of the in-context LM under `train-small`'s output.
pub const IN_CONTEXT_DIR: &str = "mixtral-incontext";

/// Settings of the in-context LM and its training.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InContextOptions {
    /// Transcripts in the training corpus.
    pub dialogues: usize,
    /// Optimiser steps.
    pub steps: usize,
    /// Batch size (windows).
    pub batch: usize,
    /// Window length in tokens.
    pub window: usize,
    /// Peak learning rate (AdamW, cosine decay to 10 %).
    pub lr: f64,
    /// Residual width.
    pub hidden: usize,
    /// Decoder layers.
    pub layers: usize,
    /// Attention heads (key/value heads: the same number).
    pub heads: usize,
    /// Experts per layer (top-1 routing when 1 or 2, top-2 above).
    pub experts: usize,
    /// The corpus generator's settings.
    pub corpus: HabitOptions,
}

impl Default for InContextOptions {
    fn default() -> Self {
        InContextOptions {
            dialogues: 3000,
            steps: 2000,
            batch: 16,
            window: 128,
            lr: 3e-3,
            hidden: 64,
            layers: 4,
            heads: 4,
            experts: 1,
            corpus: HabitOptions::default(),
        }
    }
}

impl InContextOptions {
    /// A seconds-long preset for tests.
    pub fn smoke() -> Self {
        InContextOptions {
            dialogues: 60,
            steps: 20,
            batch: 4,
            window: 64,
            hidden: 32,
            layers: 2,
            heads: 2,
            ..Self::default()
        }
    }

    /// The model's configuration for a vocabulary of `vocab` tokens.
    pub fn config(&self, vocab: usize) -> MixtralConfig {
        let mut cfg = MixtralConfig::tiny(vocab);
        cfg.hidden_size = self.hidden;
        cfg.intermediate_size = 2 * self.hidden;
        cfg.num_hidden_layers = self.layers;
        cfg.num_attention_heads = self.heads;
        cfg.num_key_value_heads = self.heads;
        cfg.num_local_experts = self.experts;
        cfg.num_experts_per_tok = if self.experts <= 2 { 1 } else { 2 };
        cfg.bos_token_id = Some(crate::tokenizer::BOS_ID);
        cfg.eos_token_id = Some(crate::tokenizer::EOS_ID);
        cfg
    }

    fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("in_context.dialogues", self.dialogues),
            ("in_context.steps", self.steps),
            ("in_context.batch", self.batch),
            ("in_context.window", self.window),
            ("in_context.hidden", self.hidden),
            ("in_context.layers", self.layers),
            ("in_context.heads", self.heads),
            ("in_context.experts", self.experts),
        ] {
            if v == 0 {
                return Err(LlmError::invalid(name, v, "must be ≥ 1"));
            }
        }
        if self.hidden % self.heads != 0 {
            return Err(LlmError::invalid(
                "in_context.hidden",
                self.hidden,
                "a multiple of in_context.heads",
            ));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(LlmError::invalid(
                "in_context.lr",
                self.lr,
                "must be finite and > 0",
            ));
        }
        self.corpus.validate()
    }
}

/// What training the in-context LM measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InContextReport {
    /// The options used.
    pub options: InContextOptions,
    /// Parameters of the model.
    pub parameters: usize,
    /// Held-out cross-entropy at initialisation (nats/token).
    pub initial_held_out_loss: f64,
    /// Held-out cross-entropy after training (nats/token).
    pub held_out_loss: f64,
    /// Training curve (model `"lm-incontext"`).
    pub curve: Vec<CurvePoint>,
    /// Wall-clock seconds.
    pub wall_s: f64,
}

/// Trains the in-context LM with tokenizer `tok` and writes it to `dir` (Hugging Face layout).
///
/// # Errors
/// Invalid options, a window longer than the corpus, a non-finite loss, model/file errors,
/// [`LlmError::Interrupted`] when `progress` asks to stop.
pub fn train_in_context_lm(
    opts: &InContextOptions,
    seed: u64,
    tok: &Tokenizer,
    dir: &Path,
    progress: Progress<'_>,
) -> Result<InContextReport> {
    opts.validate()?;
    let t0 = Instant::now();
    let train_texts = habit_dialogues(
        stream_seed(seed, "train/in-context/train-dialogues"),
        opts.dialogues,
        &opts.corpus,
    )?;
    let held_texts = habit_dialogues(
        stream_seed(seed, "train/in-context/held-out-dialogues"),
        opts.dialogues.div_ceil(20).max(10),
        &opts.corpus,
    )?;
    let train = token_stream(tok, &train_texts)?;
    let held = token_stream(tok, &held_texts)?;
    let w = opts.window + 1;
    if train.len() <= w || held.len() <= w {
        return Err(LlmError::invalid(
            "in_context.window",
            opts.window,
            "shorter than the corpus",
        ));
    }
    let held_starts: Vec<usize> = (0..16).map(|i| i * (held.len() - w) / 16).collect();
    let held_windows = windows_at(&held, &held_starts, w);
    let cfg = opts.config(tok.get_vocab_size(true));
    let (model, varmap) = init_mixtral(&cfg, stream_seed(seed, "train/in-context/init"))?;
    let parameters = varmap.all_vars().iter().map(|v| v.elem_count()).sum();
    let mut opt = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: opts.lr,
            weight_decay: 0.01,
            ..Default::default()
        },
    )?;
    let initial = lm_loss(&model, &held_windows)?.to_scalar::<f32>()? as f64;
    let mut rng = stream_rng(seed, "train/in-context/batches");
    let (last_held, curve) = lm_steps(
        &model,
        &mut opt,
        &mut rng,
        (&train, &held_windows, w),
        LmSchedule {
            name: "lm-incontext",
            lr: opts.lr,
            steps: opts.steps,
            batch: opts.batch,
            warmup: (opts.steps / 20).max(1),
            loss_name: "in-context LM training loss",
            expected: "finite (lower in_context.lr)",
        },
        initial,
        progress,
    )?;
    write_model_dir(
        dir,
        &serde_json::to_value(&cfg)?,
        &varmap_tensors(&varmap)?,
        tok,
    )?;
    Ok(InContextReport {
        options: opts.clone(),
        parameters,
        initial_held_out_loss: initial,
        held_out_loss: last_held,
        curve,
        wall_s: t0.elapsed().as_secs_f64(),
    })
}
