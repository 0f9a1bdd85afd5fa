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
    let cfg: MixtralConfig = dir.read_config()?;
    let cfg_path = dir.config_path.display().to_string();
    cfg.validate(&cfg_path)?;
    let vb = dir.var_builder(&cfg.expected_tensors(), dtype, device)?;
    let model = Mixtral::new_quantized(&cfg, vb, quant)?;
    let tok = dir.tokenizer()?;
    check_vocab(&tok, cfg.vocab_size, &cfg_path)?;
    Ok((model, tok))
}

/// A DistilBERT two-class sequence classifier and its tokenizer from `path`.
///
/// # Errors
/// As [`mixtral`], and [`LlmError::NotAClassifier`] if the labels are not NEGATIVE/POSITIVE.
pub fn distilbert(
    path: &Path,
    dtype: DType,
    device: &Device,
) -> Result<(DistilBertClassifier, Tokenizer)> {
    let dir = ModelDir::open(path)?;
    let cfg: DistilBertConfig = dir.read_config()?;
    let cfg_path = dir.config_path.display().to_string();
    cfg.validate(&cfg_path)?;
    cfg.positive_index(&dir.dir.display().to_string())?;
    let vb = dir.var_builder(&cfg.expected_tensors(), dtype, device)?;
    let model = DistilBertClassifier::new(&cfg, vb)?;
    let tok = dir.tokenizer()?;
    check_vocab(&tok, cfg.vocab_size, &cfg_path)?;
    Ok((model, tok))
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
