//! Loading the two models of the stack from a Hugging Face model directory (or a local HF cache
//! entry): config.json → typed config (validated), weights verified against the architecture's
//! expected tensors (names, shapes, dtypes) and memory-mapped, tokenizer.json.

use std::path::Path;

use candle_core::{DType, Device};
use tokenizers::Tokenizer;

use crate::checkpoint::ModelDir;
use crate::distilbert::{DistilBertClassifier, DistilBertConfig};
use crate::mixtral::{Mixtral, MixtralConfig};
use crate::quant::BaseQuantization;
use crate::{LlmError, Result};

/// A Mixtral-architecture causal LM and its tokenizer from `path`.
///
/// # Errors
/// The typed errors of [`ModelDir`] (missing file, tensor, shape or dtype mismatch), an invalid
/// config, a tokenizer/model vocabulary mismatch.
pub fn mixtral(path: &Path, dtype: DType, device: &Device) -> Result<(Mixtral, Tokenizer)> {
    mixtral_quantized(path, dtype, BaseQuantization::None, device)
}

/// As [`mixtral`], with the decoder's linear layers held as `quant` says ([`crate::quant`]; NF4 and
/// q8_0 are quantised at load from the stored bf16/f16/f32 weights).
///
/// # Errors
/// As [`mixtral`].
pub fn mixtral_quantized(
    path: &Path,
    dtype: DType,
    quant: BaseQuantization,
    device: &Device,
) -> Result<(Mixtral, Tokenizer)> {
    let dir = ModelDir::open(path)?;
    check_model_type(&dir, Role::Base)?;
    let cfg: MixtralConfig = dir.read_config()?;
    let cfg_path = dir.config_path.display().to_string();
    cfg.validate(&cfg_path)?;
    let vb = dir.var_builder(&cfg.expected_tensors(), dtype, device)?;
    let model = Mixtral::new_quantized(&cfg, vb, quant)?;
    let tok = dir.tokenizer()?;
    check_vocab(&tok, cfg.vocab_size, &cfg_path)?;
    Ok((model, tok))
}

/// A DistilBERT two-class sequence classifier and its tokenizer from `path` (`tokenizer.json`, or a
/// BERT WordPiece tokenizer built from `vocab.txt` + `tokenizer_config.json`).
///
/// The classifier always runs in **f32**, whatever `_base_dtype` (the dtype the run loads its base
/// model in) is: the authors ran the reward pipeline in f32, and candle's CPU matmul has no bf16
/// kernel. Half-precision weights are upcast at load.
///
/// # Errors
/// As [`mixtral`], and [`LlmError::NotAClassifier`] if the labels are not NEGATIVE/POSITIVE.
pub fn distilbert(
    path: &Path,
    _base_dtype: DType,
    device: &Device,
) -> Result<(DistilBertClassifier, Tokenizer)> {
    let dir = ModelDir::open(path)?;
    check_model_type(&dir, Role::Reward)?;
    let cfg: DistilBertConfig = dir.read_config()?;
    let cfg_path = dir.config_path.display().to_string();
    cfg.validate(&cfg_path)?;
    cfg.positive_index(&dir.dir.display().to_string())?;
    let vb = dir.var_builder(&cfg.expected_tensors(), DType::F32, device)?;
    let model = DistilBertClassifier::new(&cfg, vb)?;
    let tok = dir.tokenizer()?;
    check_vocab(&tok, cfg.vocab_size, &cfg_path)?;
    Ok((model, tok))
}

/// Which model of the pair a directory is meant to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The base policy: a Mixtral causal LM (`model_type` "mixtral").
    Base,
    /// The reward model: a DistilBERT sequence classifier (`model_type` "distilbert").
    Reward,
}

/// Checks config.json's `model_type` before the typed config is parsed, so that a directory given
/// for the wrong role (base and reward swapped) is named as such instead of failing on a missing
/// field of the other architecture. A config without `model_type` passes (the typed config decides).
///
/// # Errors
/// [`LlmError::Config`] naming the file, what it holds and what the role needs.
pub fn check_model_type(dir: &ModelDir, role: Role) -> Result<()> {
    check_model_type_of(
        &dir.config_json()?,
        &dir.config_path.display().to_string(),
        role,
    )
}

/// [`check_model_type`] on an already-read `config.json` (at `path`), for callers that read the
/// config without opening the whole model directory (the memory plan).
///
/// # Errors
/// As [`check_model_type`].
pub fn check_model_type_of(cfg: &serde_json::Value, path: &str, role: Role) -> Result<()> {
    let Some(found) = cfg.get("model_type").and_then(|v| v.as_str()) else {
        return Ok(());
    };
    let (want, what, other) = match role {
        Role::Base => (
            "mixtral",
            "the base model must be a Mixtral causal LM",
            "distilbert",
        ),
        Role::Reward => (
            "distilbert",
            "the reward model must be a DistilBERT sequence classifier",
            "mixtral",
        ),
    };
    if found == want {
        return Ok(());
    }
    let hint = if found == other {
        " (this is the other model of the pair: are the base and reward directories swapped?)"
    } else {
        ""
    };
    Err(LlmError::Config {
        path: path.to_string(),
        message: format!("model_type = {found:?}, but {what} (model_type {want:?}){hint}"),
    })
}

/// The tokenizer may not produce ids the embedding table does not have.
fn check_vocab(tok: &Tokenizer, vocab: usize, path: &str) -> Result<()> {
    let n = tok.get_vocab_size(true);
    if n > vocab {
        return Err(LlmError::Config {
            path: path.to_string(),
            message: format!("the tokenizer has {n} tokens but the model's vocab_size is {vocab}"),
        });
    }
    Ok(())
}
