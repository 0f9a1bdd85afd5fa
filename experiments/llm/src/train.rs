//! The small *trained* pair of the CPU validation pass (`goodhart llm train-small`): a tiny
//! Mixtral-architecture LM trained on the synthetic named-speaker dialogue corpus
//! ([`crate::corpus::dialogues`]) and a tiny DistilBERT sentiment classifier trained on the
//! synthetic labelled sentences ([`crate::corpus::sentiment_sentences`]). Both are real models of
//! the same architectures as the paper's, trained here with AdamW from seeded initial weights; the
//! report gives the LM's held-out cross-entropy (against ln V for a uniform model and the value at
//! initialisation) and the classifier's held-out accuracy. Checkpoints are written in the Hugging
//! Face layout and load through [`crate::checkpoint::ModelDir`] like real ones.

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device, Tensor, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use goodhart_seeds::{stream_rng, stream_seed};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::checkpoint::write_model_dir;
use crate::corpus::{dialogues, sentiment_sentences, DialogueOptions, LabelledText};
use crate::distilbert::{DistilBertClassifier, DistilBertConfig};
use crate::mixtral::{CausalLm, Mixtral, MixtralConfig};
use crate::tiny::{init_distilbert, init_mixtral, tokenizer_corpus, varmap_tensors, TINY_VOCAB};
use crate::tokenizer::{causal_lm_tokenizer, classifier_tokenizer, encode};
use crate::{LlmError, Result};

pub mod in_context;
use in_context::{train_in_context_lm, InContextOptions, InContextReport, IN_CONTEXT_DIR};

/// Settings of the small-pair training (defaults: a few minutes on 2 cores).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrainOptions {
    /// Master seed (corpora, initial weights, batches).
    pub seed: u64,
    /// Dialogues in the LM's training corpus.
    pub lm_dialogues: usize,
    /// LM optimiser steps.
    pub lm_steps: usize,
    /// LM batch size (windows).
    pub lm_batch: usize,
    /// LM window length in tokens.
    pub lm_window: usize,
    /// LM learning rate (AdamW).
    pub lm_lr: f64,
    /// Sentences in the classifier's training corpus.
    pub cls_sentences: usize,
    /// Classifier optimiser steps.
    pub cls_steps: usize,
    /// Classifier batch size.
    pub cls_batch: usize,
    /// Classifier learning rate (AdamW).
    pub cls_lr: f64,
    /// The second LM, the in-context learner ([`in_context`]).
    #[serde(default)]
    pub in_context: InContextOptions,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            seed: 20240522,
            lm_dialogues: 2000,
            lm_steps: 600,
            lm_batch: 16,
            lm_window: 96,
            lm_lr: 3e-3,
            cls_sentences: 4000,
            cls_steps: 300,
            cls_batch: 32,
            cls_lr: 1e-3,
            in_context: InContextOptions::default(),
        }
    }
}

impl TrainOptions {
    /// A seconds-long preset for tests (models learn something, not everything).
    pub fn smoke() -> Self {
        TrainOptions {
            lm_dialogues: 200,
            lm_steps: 30,
            lm_batch: 8,
            lm_window: 48,
            cls_sentences: 400,
            cls_steps: 40,
            cls_batch: 16,
            in_context: InContextOptions::smoke(),
            ..Self::default()
        }
    }

    fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("lm_dialogues", self.lm_dialogues),
            ("lm_steps", self.lm_steps),
            ("lm_batch", self.lm_batch),
            ("lm_window", self.lm_window),
            ("cls_sentences", self.cls_sentences),
            ("cls_steps", self.cls_steps),
            ("cls_batch", self.cls_batch),
        ] {
            if v == 0 {
                return Err(LlmError::invalid(name, v, "must be ≥ 1"));
            }
        }
        for (name, v) in [("lm_lr", self.lm_lr), ("cls_lr", self.cls_lr)] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(LlmError::invalid(name, v, "must be finite and > 0"));
            }
        }
        Ok(())
    }
}

/// One point of a training curve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Optimiser step.
    pub step: usize,
    /// Which model: `"lm"` or `"classifier"`.
    pub model: String,
    /// Mean training loss of this step's batch (nats/token or nats/example).
    pub train_loss: f64,
    /// Held-out loss (evaluated every few steps; `None` between).
    pub held_out_loss: Option<f64>,
    /// Held-out accuracy (classifier only).
    pub held_out_accuracy: Option<f64>,
}

/// What `train-small` measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainReport {
    /// The options used.
    pub options: TrainOptions,
    /// Where the trained LM is.
    pub lm_dir: PathBuf,
    /// Where the trained classifier is.
    pub classifier_dir: PathBuf,
    /// ln V: the cross-entropy of a uniform next-token model.
    pub lm_uniform_loss: f64,
    /// Held-out cross-entropy at initialisation (nats/token).
    pub lm_initial_held_out_loss: f64,
    /// Held-out cross-entropy after training (nats/token).
    pub lm_held_out_loss: f64,
    /// Held-out accuracy of the classifier after training.
    pub classifier_held_out_accuracy: f64,
    /// Held-out accuracy at initialisation.
    pub classifier_initial_accuracy: f64,
    /// Training curves.
    pub curve: Vec<CurvePoint>,
    /// Wall-clock seconds of the LM training.
    pub lm_wall_s: f64,
    /// Wall-clock seconds of the classifier training.
    pub classifier_wall_s: f64,
    /// Where the in-context LM is.
    #[serde(default)]
    pub in_context_lm_dir: Option<PathBuf>,
    /// What training the in-context LM measured.
    #[serde(default)]
    pub in_context: Option<InContextReport>,
}

/// Progress hook: `(model, step, steps, loss)`; return `true` to stop (Ctrl-C).
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize, f64) -> bool;

/// Token stream of a dialogue corpus: each dialogue with `<s>` (the tokenizer's template) and
/// `</s>` after it.
fn token_stream(tok: &Tokenizer, texts: &[String]) -> Result<Vec<u32>> {
    let eos = tok
        .token_to_id("</s>")
        .ok_or_else(|| LlmError::Tokenizer("no </s> token".into()))?;
    let mut out = Vec::new();
    for t in texts {
        out.extend(encode(tok, t, true)?);
        out.push(eos);
    }
    Ok(out)
}

/// Mean next-token cross-entropy (nats/token) of `model` on `windows` (each `window + 1` long).
fn lm_loss(model: &Mixtral, windows: &[Vec<u32>]) -> Result<Tensor> {
    let b = windows.len();
    let l = windows[0].len() - 1;
    let inputs: Vec<u32> = windows
        .iter()
        .flat_map(|w| w[..l].iter().copied())
        .collect();
    let targets: Vec<u32> = windows
        .iter()
        .flat_map(|w| w[1..].iter().copied())
        .collect();
    let dev = &Device::Cpu;
    let x = Tensor::from_vec(inputs, (b, l), dev)?;
    let y = Tensor::from_vec(targets, b * l, dev)?;
    let mut cache = model.new_cache();
    let out = model.forward(&x, &mut cache, 0)?;
    let logits = out.logits.reshape((b * l, ()))?;
    Ok(candle_nn::loss::cross_entropy(&logits, &y)?)
}

fn windows_at(stream: &[u32], starts: &[usize], len: usize) -> Vec<Vec<u32>> {
    starts
        .iter()
        .map(|&s| stream[s..s + len].to_vec())
        .collect()
}

/// What differs between the LM training runs that [`lm_steps`] runs.
pub(crate) struct LmSchedule {
    /// The model's name in the curve and the progress callback.
    pub name: &'static str,
    /// Peak learning rate.
    pub lr: f64,
    /// AdamW steps.
    pub steps: usize,
    /// Windows per step.
    pub batch: usize,
    /// Steps of linear warm-up (1: none).
    pub warmup: usize,
    /// The error's name for a non-finite training loss.
    pub loss_name: &'static str,
    /// What the error expects instead, naming the option to lower.
    pub expected: &'static str,
}

/// The training loop shared by the pair's LM and the in-context LM: per step, `batch` random
/// windows of `train` (each `w` tokens), AdamW at `lr` times a linear warm-up and a cosine decay
/// to 10 %; the held-out loss every 50 steps and at the end. Returns the last held-out loss and the
/// curve.
///
/// # Errors
/// A non-finite loss (naming the option to lower), candle errors, [`LlmError::Interrupted`] when `progress`
/// asks to stop.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lm_steps(
    model: &Mixtral,
    opt: &mut AdamW,
    rng: &mut ChaCha8Rng,
    (train, held_windows, w): (&[u32], &[Vec<u32>], usize),
    sched: LmSchedule,
    initial_held: f64,
    progress: Progress<'_>,
) -> Result<(f64, Vec<CurvePoint>)> {
    let mut curve = Vec::with_capacity(sched.steps);
    let mut last_held = initial_held;
    for step in 0..sched.steps {
        let frac = step as f64 / sched.steps as f64;
        let warm = ((step + 1) as f64 / sched.warmup as f64).min(1.0);
        opt.set_learning_rate(
            warm * sched.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * frac).cos())),
        );
        let starts: Vec<usize> = (0..sched.batch)
            .map(|_| rng.random_range(0..train.len() - w))
            .collect();
        let loss = lm_loss(model, &windows_at(train, &starts, w))?;
        opt.backward_step(&loss)?;
        let l = loss.to_scalar::<f32>()? as f64;
        if !l.is_finite() {
            return Err(LlmError::invalid(sched.loss_name, l, sched.expected));
        }
        let eval = step % 50 == 49 || step + 1 == sched.steps;
        let held_loss = if eval {
            last_held = lm_loss(model, held_windows)?.to_scalar::<f32>()? as f64;
            Some(last_held)
        } else {
            None
        };
        curve.push(CurvePoint {
            step: step + 1,
            model: sched.name.into(),
            train_loss: l,
            held_out_loss: held_loss,
            held_out_accuracy: None,
        });
        if progress(sched.name, step + 1, sched.steps, l) {
            return Err(LlmError::Interrupted);
        }
    }
    Ok((last_held, curve))
}

/// Trains the tiny LM and writes it to `dir`; returns (initial held-out, final held-out, curve).
fn train_lm(
    opts: &TrainOptions,
    tok: &Tokenizer,
    dir: &Path,
    progress: Progress<'_>,
) -> Result<(f64, f64, Vec<CurvePoint>, f64)> {
    let t0 = Instant::now();
    let dopts = DialogueOptions::default();
    let train_texts = dialogues(
        stream_seed(opts.seed, "train/lm/train-dialogues"),
        opts.lm_dialogues,
        &dopts,
    )?;
    let held_texts = dialogues(
        stream_seed(opts.seed, "train/lm/held-out-dialogues"),
        opts.lm_dialogues.div_ceil(10).max(20),
        &dopts,
    )?;
    let train = token_stream(tok, &train_texts)?;
    let held = token_stream(tok, &held_texts)?;
    let w = opts.lm_window + 1;
    if train.len() <= w || held.len() <= w {
        return Err(LlmError::invalid(
            "lm_window",
            opts.lm_window,
            "shorter than the corpus",
        ));
    }
    let held_starts: Vec<usize> = (0..16).map(|i| i * (held.len() - w) / 16).collect();
    let held_windows = windows_at(&held, &held_starts, w);

    let mut cfg = MixtralConfig::tiny(tok.get_vocab_size(true));
    cfg.bos_token_id = Some(crate::tokenizer::BOS_ID);
    cfg.eos_token_id = Some(crate::tokenizer::EOS_ID);
    let (model, varmap) = init_mixtral(&cfg, stream_seed(opts.seed, "train/lm/init"))?;
    let mut opt = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: opts.lm_lr,
            weight_decay: 0.01,
            ..Default::default()
        },
    )?;
    let initial = lm_loss(&model, &held_windows)?.to_scalar::<f32>()? as f64;
    let mut rng = stream_rng(opts.seed, "train/lm/batches");
    let (last_held, curve) = lm_steps(
        &model,
        &mut opt,
        &mut rng,
        (&train, &held_windows, w),
        LmSchedule {
            name: "lm",
            lr: opts.lm_lr,
            steps: opts.lm_steps,
            batch: opts.lm_batch,
            warmup: 1,
            loss_name: "lm training loss",
            expected: "finite (lower lm_lr)",
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
    Ok((initial, last_held, curve, t0.elapsed().as_secs_f64()))
}

fn encode_batch(
    tok: &Tokenizer,
    items: &[LabelledText],
    max_len: usize,
) -> Result<(Tensor, Tensor, Tensor)> {
    let mut ids = Vec::with_capacity(items.len());
    for it in items {
        let mut e = encode(tok, &it.text, true)?;
        e.truncate(max_len);
        ids.push(e);
    }
    let l = ids.iter().map(Vec::len).max().unwrap_or(1);
    let b = ids.len();
    let mut flat = vec![0u32; b * l];
    let mut mask = vec![0u32; b * l];
    for (i, e) in ids.iter().enumerate() {
        flat[i * l..i * l + e.len()].copy_from_slice(e);
        mask[i * l..i * l + e.len()].iter_mut().for_each(|m| *m = 1);
    }
    let labels: Vec<u32> = items.iter().map(|it| it.positive as u32).collect();
    let dev = &Device::Cpu;
    Ok((
        Tensor::from_vec(flat, (b, l), dev)?,
        Tensor::from_vec(mask, (b, l), dev)?,
        Tensor::from_vec(labels, b, dev)?,
    ))
}

fn accuracy(
    model: &DistilBertClassifier,
    tok: &Tokenizer,
    items: &[LabelledText],
) -> Result<(f64, f64)> {
    let mut correct = 0usize;
    let mut loss_sum = 0.0;
    for chunk in items.chunks(64) {
        let (x, m, y) = encode_batch(tok, chunk, model.config().max_position_embeddings)?;
        let logits = model.forward(&x, &m)?;
        loss_sum += candle_nn::loss::cross_entropy(&logits, &y)?.to_scalar::<f32>()? as f64
            * chunk.len() as f64;
        let pred: Vec<u32> = logits.argmax(D::Minus1)?.to_vec1()?;
        correct += pred
            .iter()
            .zip(chunk)
            .filter(|(p, it)| **p == it.positive as u32)
            .count();
    }
    Ok((
        correct as f64 / items.len() as f64,
        loss_sum / items.len() as f64,
    ))
}

/// Trains the tiny classifier and writes it to `dir`; returns (initial acc, final acc, curve, wall).
fn train_classifier(
    opts: &TrainOptions,
    tok: &Tokenizer,
    dir: &Path,
    progress: Progress<'_>,
) -> Result<(f64, f64, Vec<CurvePoint>, f64)> {
    let t0 = Instant::now();
    let train = sentiment_sentences(
        stream_seed(opts.seed, "train/classifier/train-sentences"),
        opts.cls_sentences,
    );
    let held = sentiment_sentences(
        stream_seed(opts.seed, "train/classifier/held-out-sentences"),
        (opts.cls_sentences / 5).max(200),
    );
    let cfg = DistilBertConfig::tiny(tok.get_vocab_size(true));
    let (model, varmap) = init_distilbert(&cfg, stream_seed(opts.seed, "train/classifier/init"))?;
    let mut opt = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: opts.cls_lr,
            weight_decay: 0.01,
            ..Default::default()
        },
    )?;
    let (initial_acc, _) = accuracy(&model, tok, &held)?;
    let mut rng = stream_rng(opts.seed, "train/classifier/batches");
    let mut curve = Vec::new();
    let mut acc = initial_acc;
    for step in 0..opts.cls_steps {
        let batch: Vec<LabelledText> = (0..opts.cls_batch)
            .map(|_| train[rng.random_range(0..train.len())].clone())
            .collect();
        let (x, m, y) = encode_batch(tok, &batch, cfg.max_position_embeddings)?;
        let loss = candle_nn::loss::cross_entropy(&model.forward(&x, &m)?, &y)?;
        opt.backward_step(&loss)?;
        let l = loss.to_scalar::<f32>()? as f64;
        let eval = step % 50 == 49 || step + 1 == opts.cls_steps;
        let (held_acc, held_loss) = if eval {
            let (a, hl) = accuracy(&model, tok, &held)?;
            acc = a;
            (Some(a), Some(hl))
        } else {
            (None, None)
        };
        curve.push(CurvePoint {
            step: step + 1,
            model: "classifier".into(),
            train_loss: l,
            held_out_loss: held_loss,
            held_out_accuracy: held_acc,
        });
        if progress("classifier", step + 1, opts.cls_steps, l) {
            return Err(LlmError::Interrupted);
        }
    }
    write_model_dir(
        dir,
        &serde_json::to_value(&cfg)?,
        &varmap_tensors(&varmap)?,
        tok,
    )?;
    Ok((initial_acc, acc, curve, t0.elapsed().as_secs_f64()))
}

/// Trains the small pair into `out/mixtral/` and `out/distilbert/`, the in-context LM into
/// `out/mixtral-incontext/` (same tokenizer as `out/mixtral/`), and writes `out/train-report.json`.
///
/// # Errors
/// Invalid options, tokenizer/model/file errors, [`LlmError::Interrupted`] when `progress` asks to stop.
pub fn train_small_pair(
    out: &Path,
    opts: &TrainOptions,
    progress: Progress<'_>,
) -> Result<TrainReport> {
    opts.validate()?;
    let texts = tokenizer_corpus(opts.seed)?;
    let lm_tok = causal_lm_tokenizer(&texts, TINY_VOCAB)?;
    let cls_tok = classifier_tokenizer(&texts, TINY_VOCAB)?;
    let lm_dir = out.join("mixtral");
    let classifier_dir = out.join("distilbert");
    let (lm_init, lm_final, mut curve, lm_wall) = train_lm(opts, &lm_tok, &lm_dir, progress)?;
    let (c_init, c_final, c_curve, c_wall) =
        train_classifier(opts, &cls_tok, &classifier_dir, progress)?;
    curve.extend(c_curve);
    let ic_dir = out.join(IN_CONTEXT_DIR);
    let ic = train_in_context_lm(&opts.in_context, opts.seed, &lm_tok, &ic_dir, progress)?;
    let report = TrainReport {
        options: opts.clone(),
        lm_dir,
        classifier_dir,
        lm_uniform_loss: (lm_tok.get_vocab_size(true) as f64).ln(),
        lm_initial_held_out_loss: lm_init,
        lm_held_out_loss: lm_final,
        classifier_held_out_accuracy: c_final,
        classifier_initial_accuracy: c_init,
        curve,
        lm_wall_s: lm_wall,
        classifier_wall_s: c_wall,
        in_context_lm_dir: Some(ic_dir),
        in_context: Some(ic),
    };
    let json = serde_json::to_vec_pretty(&report)?;
    let path = out.join("train-report.json");
    std::fs::write(&path, json).map_err(|e| LlmError::io(&path, e))?;
    let _ = DType::F32;
    Ok(report)
}
