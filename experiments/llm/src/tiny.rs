//! `goodhart llm make-tiny`: small random-initialised checkpoints in the Hugging Face layout, made
//! here (there is no model hub): `DIR/mixtral/` (Mixtral architecture, byte-level BPE tokenizer with
//! `<s>` prepended) and `DIR/distilbert/` (DistilBERT sequence classifier, `[CLS] … [SEP]`
//! tokenizer, labels NEGATIVE/POSITIVE), each with `config.json`, `model.safetensors` and
//! `tokenizer.json`. They load through exactly the code that loads the real checkpoints
//! ([`crate::checkpoint::ModelDir`]), so tests and the CPU validation pass exercise it.
//!
//! Weights are drawn from our seeded ChaCha8 stream (candle's own initialisers use an unseeded
//! device RNG): normal(0, 0.02) for matrices, ones for norm scales, zeros for biases: the GPT-2/BERT
//! initialisation of the HF reference implementations.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use goodhart_seeds::{stream_rng, stream_seed};
use rand_distr::{Distribution, Normal};
use serde::Serialize;

use crate::checkpoint::write_model_dir;
use crate::corpus::{dialogues, sentiment_sentences, DialogueOptions};
use crate::distilbert::{DistilBertClassifier, DistilBertConfig};
use crate::mixtral::{Mixtral, MixtralConfig};
use crate::tokenizer::{causal_lm_tokenizer, classifier_tokenizer};
use crate::{LlmError, Result};

/// Vocabulary size of the tiny tokenizers.
pub const TINY_VOCAB: usize = 512;

/// Where `make-tiny` wrote the two checkpoints.
#[derive(Debug, Clone, Serialize)]
pub struct TinyPaths {
    /// The Mixtral-architecture causal LM.
    pub mixtral: PathBuf,
    /// The DistilBERT sequence classifier.
    pub distilbert: PathBuf,
}

/// The texts the tiny tokenizers are trained on: dialogues and sentiment sentences.
///
/// # Errors
/// Never with the default options (they are valid); kept for the corpus generator's contract.
pub fn tokenizer_corpus(seed: u64) -> Result<Vec<String>> {
    let mut texts = dialogues(
        stream_seed(seed, "tokenizer-corpus/dialogues"),
        400,
        &DialogueOptions::default(),
    )?;
    texts.extend(
        sentiment_sentences(stream_seed(seed, "tokenizer-corpus/sentences"), 800)
            .into_iter()
            .map(|s| s.text),
    );
    Ok(texts)
}

/// Overwrites every variable of `varmap` with seeded values: ones for norm scales (`*norm*.weight`,
/// `*LayerNorm.weight`), zeros for biases, normal(0, `std`) otherwise.
///
/// # Errors
/// Tensor errors.
pub fn seeded_init(varmap: &VarMap, seed: u64, std: f64) -> Result<()> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| LlmError::invalid("varmap", "poisoned", "an unlocked VarMap"))?;
    let normal = Normal::new(0.0, std)
        .map_err(|_| LlmError::invalid("std", std, "must be finite and > 0"))?;
    for (name, var) in data.iter() {
        let shape = var.shape().clone();
        let n = shape.elem_count();
        let lower = name.to_ascii_lowercase();
        let values: Vec<f32> = if lower.ends_with(".bias") {
            vec![0.0; n]
        } else if lower.contains("norm") && lower.ends_with(".weight") {
            vec![1.0; n]
        } else {
            // Each tensor's stream depends on the seed and its name only, not on the order in
            // which the model creates its variables.
            let mut rng = stream_rng(seed, name);
            (0..n).map(|_| normal.sample(&mut rng) as f32).collect()
        };
        let t = Tensor::from_vec(values, shape, var.device())?.to_dtype(var.dtype())?;
        var.set(&t)?;
    }
    Ok(())
}

/// The variables of a VarMap as named tensors (for saving).
pub fn varmap_tensors(varmap: &VarMap) -> Result<HashMap<String, Tensor>> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| LlmError::invalid("varmap", "poisoned", "an unlocked VarMap"))?;
    Ok(data
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect())
}

/// A seeded random-initialised tiny Mixtral and its VarMap.
///
/// # Errors
/// Model construction errors.
pub fn init_mixtral(cfg: &MixtralConfig, seed: u64) -> Result<(Mixtral, VarMap)> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let model = Mixtral::new(cfg, vb)?;
    seeded_init(&varmap, seed, 0.02)?;
    Ok((model, varmap))
}

/// A seeded random-initialised tiny DistilBERT classifier and its VarMap.
///
/// # Errors
/// Model construction errors.
pub fn init_distilbert(
    cfg: &DistilBertConfig,
    seed: u64,
) -> Result<(DistilBertClassifier, VarMap)> {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let model = DistilBertClassifier::new(cfg, vb)?;
    seeded_init(&varmap, seed, 0.02)?;
    Ok((model, varmap))
}

/// Writes `out/mixtral/` and `out/distilbert/` (random weights, trained tokenizers).
///
/// # Errors
/// File-system, tokenizer and model errors.
pub fn make_tiny(out: &Path, seed: u64) -> Result<TinyPaths> {
    let texts = tokenizer_corpus(seed)?;
    let lm_tok = causal_lm_tokenizer(&texts, TINY_VOCAB)?;
    let cls_tok = classifier_tokenizer(&texts, TINY_VOCAB)?;

    let mut mcfg = MixtralConfig::tiny(lm_tok.get_vocab_size(true));
    mcfg.bos_token_id = Some(crate::tokenizer::BOS_ID);
    mcfg.eos_token_id = Some(crate::tokenizer::EOS_ID);
    let (_, mvars) = init_mixtral(&mcfg, stream_seed(seed, "tiny/lm/init"))?;
    let mdir = out.join("mixtral");
    write_model_dir(
        &mdir,
        &serde_json::to_value(&mcfg)?,
        &varmap_tensors(&mvars)?,
        &lm_tok,
    )?;

    let dcfg = DistilBertConfig::tiny(cls_tok.get_vocab_size(true));
    let (_, dvars) = init_distilbert(&dcfg, stream_seed(seed, "tiny/classifier/init"))?;
    let ddir = out.join("distilbert");
    write_model_dir(
        &ddir,
        &serde_json::to_value(&dcfg)?,
        &varmap_tensors(&dvars)?,
        &cls_tok,
    )?;
    Ok(TinyPaths {
        mixtral: mdir,
        distilbert: ddir,
    })
}
