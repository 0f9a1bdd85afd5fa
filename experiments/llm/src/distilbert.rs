//! DistilBERT sequence classifier (the sentiment reward of Cohen et al. 2024 §3.2–3.3) and the
//! reward conventions built on it.
//!
//! The reward model of the paper is `distilbert-base-uncased-finetuned-sst-2-english`, called through
//! `transformers.pipeline("sentiment-analysis")`. [`DistilBertClassifier`] is our own candle
//! implementation of Hugging Face's `DistilBertForSequenceClassification` in eval mode (dropout is the
//! identity), reading the HF tensor names, so the real checkpoint loads through a
//! [`candle_nn::VarBuilder`] and tiny random models load from a [`candle_nn::VarMap`]:
//!
//! * embeddings = LayerNorm(word\[ids\] + position\[0..l\]) (eps 10⁻¹²);
//! * `n_layers` post-LN blocks: `x = LN(x + attn(x))`, `x = LN(x + lin2(gelu(lin1 x)))` with the exact
//!   erf GELU; attention scales the queries by 1/√head_dim and, as HF's `masked_fill`, *replaces* the
//!   scores of masked keys (attention mask 0) by the dtype's minimum before the softmax, so a padded
//!   key gets weight exactly 0;
//! * pooled = hidden\[:, 0\] → `pre_classifier` → ReLU → `classifier` → logits.
//!
//! Layer norms are the two-pass (mean, then centred variance) composition of candle ops, which is
//! differentiable and as exact as PyTorch's; the attention softmax uses candle-nn's fused
//! `softmax_last_dim` kernel unless its input takes part in a gradient computation (a [`candle_core::Var`]
//! among its ancestors: training, or the ACG gradient w.r.t. input embeddings of Kwa et al. 2024 §4.5,
//! see [`DistilBertClassifier::forward_embeds`]), where the composed, differentiable softmax is used.
//! On the CPU, for f32/f64 tensors outside a gradient computation, two fused kernels (candle custom ops)
//! replace these compositions with the same numbers: the two-pass LayerNorm (sums in f64) and the
//! masked attention softmax (masked keys get exactly 0, as after HF's fill); CUDA, half precision and
//! gradients take the composed ops, so every device runs (measured on `llm reward`, 1280 texts of the
//! small pair: ~25 % less CPU time).
//! A half-precision model (f16/bf16 loading) keeps both in f32 internally.
//!
//! Scoring follows the HF text-classification pipeline: for a 2-label model the pipeline applies a
//! softmax and reports the top class and its probability (`score` ≥ ½). Ties go to the lower label
//! index, as numpy's `argmax`. Probabilities here are computed in f64 from the logits by a
//! max-shifted softmax, p_i = e^{l_i − max}/Σ_j e^{l_j − max} (the pipeline uses float32; the
//! difference is ~10⁻⁷). The Cohen reward is [`cohen_reward`]: `r = score` if POSITIVE else `−score`, reward = (r+1)/2, so rewards lie in
//! \[0, 0.25\] ∪ \[0.75, 1\] (equivalently reward = p₊/2 + ½·\[POSITIVE\]); the paper's "neutral 0.5" is
//! unattainable. The reward of an empty reply is whatever the model says about `[CLS] [SEP]`: score it
//! with [`DistilBertClassifier::score_texts`] on `""`, never assume it.
//!
//! Lengths: [`DistilBertClassifier::forward`] and [`DistilBertClassifier::forward_embeds`] refuse a
//! sequence longer than `max_position_embeddings` (a typed error). The scoring helpers truncate
//! instead: [`DistilBertClassifier::score_ids`] keeps the first `max_position_embeddings` ids;
//! [`DistilBertClassifier::score_texts`] truncates the text's tokens *before* the tokenizer's
//! post-processor adds `[CLS]`/`[SEP]`, exactly as the HF tokenizer does with `truncation=True`.
//! (The HF pipeline does not truncate by default and fails on over-long inputs; the texts of the
//! paper's environment, at most 256 tokens of transcript, never reach 512.)

use std::collections::BTreeMap;

use candle_core::{DType, Device, IndexOp, Module, Tensor, D};
use candle_nn::{Embedding, Linear, VarBuilder};
use serde::{Deserialize, Serialize};
use tokenizers::{PostProcessor, TruncationDirection};

use crate::{LlmError, Result};

/// Layer-norm epsilon of DistilBERT (HF hard-codes 1e-12 in every `nn.LayerNorm` of the model).
pub const LAYER_NORM_EPS: f64 = 1e-12;

/// The `architectures` entry of a DistilBERT sequence classifier's config.json.
pub const ARCHITECTURE: &str = "DistilBertForSequenceClassification";

/// Sequences per forward pass in [`DistilBertClassifier::score_ids`] (bounds memory; results do not
/// depend on it).
pub const SCORE_CHUNK: usize = 64;

#[cfg(test)]
mod tests;

/// A DistilBERT config.json (Hugging Face field names; unknown fields are ignored; a missing field
/// takes HF's `DistilBertConfig()` default, i.e. the `distilbert-base-uncased` sizes and labels
/// `LABEL_0`, `LABEL_1`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DistilBertConfig {
    /// Vocabulary size (30 522 for `distilbert-base-uncased`).
    pub vocab_size: usize,
    /// Hidden size (768).
    pub dim: usize,
    /// Number of transformer blocks (6).
    pub n_layers: usize,
    /// Attention heads (12); must divide `dim`.
    pub n_heads: usize,
    /// FFN inner size (3072).
    pub hidden_dim: usize,
    /// FFN activation; only `"gelu"` (exact erf GELU) is supported.
    pub activation: String,
    /// Rows of the learned position table (512); longer sequences are refused or truncated.
    pub max_position_embeddings: usize,
    /// Padding token id (0).
    pub pad_token_id: u32,
    /// Whether the position table was initialised sinusoidally (it is stored in the checkpoint either way).
    pub sinusoidal_pos_embds: bool,
    /// Label names by index, keys `"0"`, `"1"`, ….
    pub id2label: BTreeMap<String, String>,
    /// Label indices by name.
    pub label2id: BTreeMap<String, usize>,
    /// `["DistilBertForSequenceClassification"]` for a classifier.
    pub architectures: Vec<String>,
    /// `"distilbert"`.
    pub model_type: String,
    /// Dropout before the classifier (unused: eval mode).
    pub seq_classif_dropout: f64,
    /// Dropout (unused: eval mode).
    pub dropout: f64,
    /// Attention dropout (unused: eval mode).
    pub attention_dropout: f64,
    /// Storage dtype as written by `transformers` (informative only).
    pub torch_dtype: Option<String>,
}

impl Default for DistilBertConfig {
    /// HF's `DistilBertConfig()` defaults.
    fn default() -> Self {
        let id2label: BTreeMap<String, String> = (0..2)
            .map(|i| (i.to_string(), format!("LABEL_{i}")))
            .collect();
        let label2id = id2label
            .iter()
            .map(|(k, v)| (v.clone(), k.parse().unwrap_or(0)))
            .collect();
        DistilBertConfig {
            vocab_size: 30522,
            dim: 768,
            n_layers: 6,
            n_heads: 12,
            hidden_dim: 3072,
            activation: "gelu".into(),
            max_position_embeddings: 512,
            pad_token_id: 0,
            sinusoidal_pos_embds: false,
            id2label,
            label2id,
            architectures: Vec::new(),
            model_type: "distilbert".into(),
            seq_classif_dropout: 0.2,
            dropout: 0.1,
            attention_dropout: 0.1,
            torch_dtype: None,
        }
    }
}

impl DistilBertConfig {
    /// Checks that the config describes a model this module can run: positive sizes, `n_heads`
    /// dividing `dim`, `activation == "gelu"`, `pad_token_id < vocab_size`, `model_type ==
    /// "distilbert"`, dropouts in \[0, 1\], `id2label` keyed exactly `"0"…"n−1"` (n ≥ 1), and
    /// `architectures` (when given) naming [`ARCHITECTURE`]. `path` names the file in the error.
    pub fn validate(&self, path: &str) -> Result<()> {
        let bad = |message: String| {
            Err(LlmError::Config {
                path: path.to_string(),
                message,
            })
        };
        for (name, v) in [
            ("vocab_size", self.vocab_size),
            ("dim", self.dim),
            ("n_layers", self.n_layers),
            ("n_heads", self.n_heads),
            ("hidden_dim", self.hidden_dim),
            ("max_position_embeddings", self.max_position_embeddings),
        ] {
            if v == 0 {
                return bad(format!("{name} = 0; must be positive"));
            }
        }
        if !self.dim.is_multiple_of(self.n_heads) {
            return bad(format!(
                "n_heads = {} does not divide dim = {}",
                self.n_heads, self.dim
            ));
        }
        if self.activation != "gelu" {
            return bad(format!(
                "activation = {:?}; only \"gelu\" (exact erf GELU) is supported",
                self.activation
            ));
        }
        if self.pad_token_id as usize >= self.vocab_size {
            return bad(format!(
                "pad_token_id = {} is not below vocab_size = {}",
                self.pad_token_id, self.vocab_size
            ));
        }
        if self.model_type != "distilbert" {
            return bad(format!(
                "model_type = {:?}; expected \"distilbert\"",
                self.model_type
            ));
        }
        for (name, p) in [
            ("seq_classif_dropout", self.seq_classif_dropout),
            ("dropout", self.dropout),
            ("attention_dropout", self.attention_dropout),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return bad(format!("{name} = {p}; must lie in [0, 1]"));
            }
        }
        if self.id2label.is_empty() {
            return bad("id2label is empty; a classifier needs at least one label".into());
        }
        let n = self.id2label.len();
        for key in self.id2label.keys() {
            match key.parse::<usize>() {
                Ok(i) if i < n && i.to_string() == *key => {}
                _ => {
                    return bad(format!(
                        "id2label key {key:?}: the keys must be \"0\"..\"{}\" (one per label)",
                        n - 1
                    ))
                }
            }
        }
        if !self.architectures.is_empty() && !self.architectures.iter().any(|a| a == ARCHITECTURE) {
            return Err(LlmError::NotAClassifier {
                path: path.to_string(),
                message: format!(
                    "architectures = {:?}, expected [{ARCHITECTURE:?}]",
                    self.architectures
                ),
            });
        }
        Ok(())
    }

    /// Number of labels (`len(id2label)`, as HF).
    pub fn num_labels(&self) -> usize {
        self.id2label.len()
    }

    /// Label name of index `i` (`LABEL_i` when `id2label` lacks it, as HF).
    pub fn label(&self, i: usize) -> String {
        self.id2label
            .get(&i.to_string())
            .cloned()
            .unwrap_or_else(|| format!("LABEL_{i}"))
    }

    /// Index of the POSITIVE label: the config must have exactly two labels, keyed `"0"` and `"1"`,
    /// exactly one of them named `POSITIVE` (case-insensitive); otherwise
    /// [`LlmError::NotAClassifier`] naming `path`.
    pub fn positive_index(&self, path: &str) -> Result<usize> {
        let not = |message: String| {
            Err(LlmError::NotAClassifier {
                path: path.to_string(),
                message,
            })
        };
        if self.num_labels() != 2 {
            return not(format!(
                "{} labels {:?}; a sentiment reward needs exactly 2 (NEGATIVE, POSITIVE)",
                self.num_labels(),
                self.id2label
            ));
        }
        let positive: Vec<&String> = self
            .id2label
            .iter()
            .filter(|(_, v)| v.eq_ignore_ascii_case("POSITIVE"))
            .map(|(k, _)| k)
            .collect();
        match positive.as_slice() {
            [k] => match k.as_str() {
                "0" => Ok(0),
                "1" => Ok(1),
                _ => not(format!(
                    "id2label {:?} is not keyed \"0\", \"1\"",
                    self.id2label
                )),
            },
            [] => not(format!(
                "id2label {:?} has no label named POSITIVE",
                self.id2label
            )),
            _ => not(format!("id2label {:?} names POSITIVE twice", self.id2label)),
        }
    }

    /// Every tensor [`DistilBertClassifier::new`] reads, with its shape, in reading order (HF names;
    /// `nn.Linear` weights are (out, in)).
    pub fn expected_tensors(&self) -> Vec<(String, Vec<usize>)> {
        let (d, h) = (self.dim, self.hidden_dim);
        let mut t: Vec<(String, Vec<usize>)> = vec![
            (
                "distilbert.embeddings.word_embeddings.weight".into(),
                vec![self.vocab_size, d],
            ),
            (
                "distilbert.embeddings.position_embeddings.weight".into(),
                vec![self.max_position_embeddings, d],
            ),
            ("distilbert.embeddings.LayerNorm.weight".into(), vec![d]),
            ("distilbert.embeddings.LayerNorm.bias".into(), vec![d]),
        ];
        for i in 0..self.n_layers {
            let p = format!("distilbert.transformer.layer.{i}");
            for lin in ["q_lin", "k_lin", "v_lin", "out_lin"] {
                t.push((format!("{p}.attention.{lin}.weight"), vec![d, d]));
                t.push((format!("{p}.attention.{lin}.bias"), vec![d]));
            }
            t.push((format!("{p}.sa_layer_norm.weight"), vec![d]));
            t.push((format!("{p}.sa_layer_norm.bias"), vec![d]));
            t.push((format!("{p}.ffn.lin1.weight"), vec![h, d]));
            t.push((format!("{p}.ffn.lin1.bias"), vec![h]));
            t.push((format!("{p}.ffn.lin2.weight"), vec![d, h]));
            t.push((format!("{p}.ffn.lin2.bias"), vec![d]));
            t.push((format!("{p}.output_layer_norm.weight"), vec![d]));
            t.push((format!("{p}.output_layer_norm.bias"), vec![d]));
        }
        t.push(("pre_classifier.weight".into(), vec![d, d]));
        t.push(("pre_classifier.bias".into(), vec![d]));
        t.push(("classifier.weight".into(), vec![self.num_labels(), d]));
        t.push(("classifier.bias".into(), vec![self.num_labels()]));
        t
    }

    /// A small CPU config: dim 32, 2 layers, 4 heads, FFN 64, 128 positions, pad id 0, labels
    /// {0: NEGATIVE, 1: POSITIVE}. `vocab_size` must be positive for [`DistilBertConfig::validate`].
    pub fn tiny(vocab_size: usize) -> Self {
        let id2label: BTreeMap<String, String> = [("0", "NEGATIVE"), ("1", "POSITIVE")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let label2id = [("NEGATIVE".to_string(), 0), ("POSITIVE".to_string(), 1)]
            .into_iter()
            .collect();
        DistilBertConfig {
            vocab_size,
            dim: 32,
            n_layers: 2,
            n_heads: 4,
            hidden_dim: 64,
            max_position_embeddings: 128,
            id2label,
            label2id,
            architectures: vec![ARCHITECTURE.to_string()],
            torch_dtype: Some("float32".into()),
            ..DistilBertConfig::default()
        }
    }
}

/// Reads `name` under `vb` with the given shape, turning a missing tensor or a wrong shape into the
/// typed [`LlmError::MissingTensor`] / [`LlmError::ShapeMismatch`].
fn fetch(vb: &VarBuilder, shape: &[usize], name: &str) -> Result<Tensor> {
    match vb.get(shape, name) {
        Ok(t) => Ok(t),
        Err(e) => {
            let prefix = vb.prefix();
            let full = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            if !vb.contains_tensor(name) {
                return Err(LlmError::MissingTensor {
                    file: "weights".into(),
                    tensor: full,
                });
            }
            match vb.get_unchecked(name) {
                Ok(t) if t.dims() != shape => Err(LlmError::ShapeMismatch {
                    tensor: full,
                    expected: shape.to_vec(),
                    found: t.dims().to_vec(),
                }),
                _ => Err(e.into()),
            }
        }
    }
}

fn linear(vb: &VarBuilder, out_dim: usize, in_dim: usize) -> Result<Linear> {
    let w = fetch(vb, &[out_dim, in_dim], "weight")?;
    let b = fetch(vb, &[out_dim], "bias")?;
    Ok(Linear::new(w, Some(b)))
}

/// A LayerNorm with weight and bias, evaluated in two passes (see the module doc).
#[derive(Debug, Clone)]
struct Norm {
    weight: Tensor,
    bias: Tensor,
}

impl Norm {
    fn load(vb: &VarBuilder, dim: usize) -> Result<Self> {
        Ok(Norm {
            weight: fetch(vb, &[dim], "weight")?,
            bias: fetch(vb, &[dim], "bias")?,
        })
    }

    /// Statistics in f32 for a half-precision model (as PyTorch's kernels), in the model's dtype otherwise.
    /// An f32/f64 input on the CPU that takes no part in a gradient computation goes through the fused
    /// kernel [`TwoPassLayerNorm`] (one pass over memory per row instead of ~11 tensor ops); everything
    /// else (CUDA, half precision, gradients) uses the composed, differentiable form below.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dtype = x.dtype();
        if x.device().is_cpu()
            && matches!(dtype, DType::F32 | DType::F64)
            && self.weight.dtype() == dtype
            && self.bias.dtype() == dtype
            && !x.track_op()
            && !self.weight.track_op()
            && !self.bias.track_op()
        {
            let x = x.contiguous()?;
            return Ok(x.apply_op3_no_bwd(&self.weight, &self.bias, &TwoPassLayerNorm)?);
        }
        let x = x.to_dtype(internal_dtype(dtype))?;
        let dim = x.dim(D::Minus1)? as f64;
        let mean = (x.sum_keepdim(D::Minus1)? / dim)?;
        let xc = x.broadcast_sub(&mean)?;
        let var = (xc.sqr()?.sum_keepdim(D::Minus1)? / dim)?;
        let xn = xc
            .broadcast_div(&(var + LAYER_NORM_EPS)?.sqrt()?)?
            .to_dtype(dtype)?;
        Ok(xn.broadcast_mul(&self.weight)?.broadcast_add(&self.bias)?)
    }
}

/// Fused CPU LayerNorm over the last dimension with DistilBERT's eps ([`LAYER_NORM_EPS`]), numerically
/// the two-pass form of [`Norm::forward`]: per row, mean = Σx/d, var = Σ(x − mean)²/d (centred, so it is
/// never negative, unlike the one-pass E\[x²\] − mean² of candle-nn's fused `layer_norm`, which also sums
/// in f32), then y = (x − mean)/√(var + eps)·w + b. Sums are accumulated in f64 for f32 input. It has no
/// CUDA kernel and no backward: [`Norm::forward`] only calls it on the CPU for f32/f64 tensors outside a
/// gradient computation and falls back to the composed candle ops otherwise.
struct TwoPassLayerNorm;

impl TwoPassLayerNorm {
    fn rows<T>(x: &[T], w: &[T], b: &[T]) -> Vec<T>
    where
        T: Copy + Into<f64> + FromF64,
    {
        let d = w.len();
        let mut out = Vec::with_capacity(x.len());
        for row in x.chunks_exact(d) {
            let mean = row.iter().map(|&v| v.into()).sum::<f64>() / d as f64;
            let var = row
                .iter()
                .map(|&v| {
                    let c = v.into() - mean;
                    c * c
                })
                .sum::<f64>()
                / d as f64;
            let std = (var + LAYER_NORM_EPS).sqrt();
            out.extend(row.iter().zip(w.iter().zip(b)).map(|(&v, (&wi, &bi))| {
                T::from_f64((v.into() - mean) / std * wi.into() + bi.into())
            }));
        }
        out
    }
}

/// Rounding from f64 to the kernel's element type.
trait FromF64 {
    fn from_f64(v: f64) -> Self;
}

impl FromF64 for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl FromF64 for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
}

impl candle_core::CustomOp3 for TwoPassLayerNorm {
    fn name(&self) -> &'static str {
        "distilbert-two-pass-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &candle_core::CpuStorage,
        l1: &candle_core::Layout,
        s2: &candle_core::CpuStorage,
        l2: &candle_core::Layout,
        s3: &candle_core::CpuStorage,
        l3: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
        use candle_core::CpuStorage as S;
        let d = l1.dims().last().copied().unwrap_or(0);
        if d == 0 || l2.dims() != [d] || l3.dims() != [d] {
            candle_core::bail!(
                "layer norm: input {:?}, weight {:?}, bias {:?}",
                l1.dims(),
                l2.dims(),
                l3.dims()
            )
        }
        let span = |l: &candle_core::Layout| {
            l.contiguous_offsets()
                .ok_or_else(|| candle_core::Error::Msg("layer norm: non-contiguous operand".into()))
        };
        let ((a1, e1), (a2, e2), (a3, e3)) = (span(l1)?, span(l2)?, span(l3)?);
        let out = match (s1, s2, s3) {
            (S::F32(x), S::F32(w), S::F32(b)) => {
                S::F32(Self::rows(&x[a1..e1], &w[a2..e2], &b[a3..e3]))
            }
            (S::F64(x), S::F64(w), S::F64(b)) => {
                S::F64(Self::rows(&x[a1..e1], &w[a2..e2], &b[a3..e3]))
            }
            _ => candle_core::bail!("layer norm: f32 or f64 operands of one dtype expected"),
        };
        Ok((out, l1.shape().clone()))
    }
}

/// f32 for the half-precision dtypes (layer-norm statistics and softmax sums), the dtype itself otherwise.
fn internal_dtype(dtype: DType) -> DType {
    match dtype {
        DType::F16 | DType::BF16 => DType::F32,
        d => d,
    }
}

/// Softmax over the last dimension (in f32 for a half-precision `x`): candle-nn's fused kernel when
/// no gradient can flow through `x`, the composed (differentiable) form otherwise.
fn softmax_last(x: &Tensor) -> Result<Tensor> {
    let dtype = x.dtype();
    let x = x.to_dtype(internal_dtype(dtype))?;
    let p = if x.track_op() {
        candle_nn::ops::softmax(&x, D::Minus1)?
    } else {
        candle_nn::ops::softmax_last_dim(&x.contiguous()?)?
    };
    Ok(p.to_dtype(dtype)?)
}

/// The most negative finite value of `dtype` (HF's `torch.finfo(dtype).min`), as a 0-d tensor.
fn dtype_min(dtype: DType, device: &Device) -> Result<Tensor> {
    Ok(match dtype {
        DType::F64 => Tensor::new(f64::MIN, device)?,
        DType::F32 => Tensor::new(f32::MIN, device)?,
        DType::F16 => Tensor::new(half::f16::MIN, device)?,
        DType::BF16 => Tensor::new(half::bf16::MIN, device)?,
        other => {
            return Err(LlmError::UnsupportedDtype {
                tensor: "attention scores".into(),
                dtype: format!("{other:?}"),
            })
        }
    })
}

/// The `[CLS]` row of every sequence, (b, l, dim) → (b, dim), **contiguous**: the plain index
/// `x[:, 0]` is a strided view (row stride l·dim) that candle's CPU matmul accepts but its CUDA and
/// MKL matmuls reject for b ≥ 2 (`MatMulNonContiguous`), and it feeds `pre_classifier`.
fn cls_rows(x: &Tensor) -> Result<Tensor> {
    Ok(x.i((.., 0))?.contiguous()?)
}

/// The attention mask of one forward pass: `keys` (b, l) u8, 1 = attend.
struct AttentionMask {
    keys: Tensor,
    heads: usize,
    dtype: DType,
    /// `(keep, fill)` of the composed path, (b, heads, l, l) each, built on first use: HF's
    /// `masked_fill(mask == 0, finfo.min)` operands, materialised contiguous once per pass because
    /// candle's CPU `where_cond` walks broadcast (strided) operands element by element through a
    /// strided index, which took ~40 % of a forward pass when the (b, 1, 1, l) mask was broadcast in
    /// every layer (perf, 64 texts × 40 tokens).
    filled: std::cell::OnceCell<(Tensor, Tensor)>,
}

impl AttentionMask {
    /// softmax(masked_fill(scores, mask == 0, finfo.min)) over the keys, `scores` (b, heads, l, l).
    /// On the CPU, for f32/f64 scores outside a gradient computation, the fused [`MaskedSoftmax`]
    /// kernel (same numbers: the filled keys' exp underflows to exactly 0 in HF's form); otherwise the
    /// composed `where_cond` + [`softmax_last`].
    fn softmax(&self, scores: &Tensor) -> Result<Tensor> {
        if scores.device().is_cpu()
            && matches!(scores.dtype(), DType::F32 | DType::F64)
            && !scores.track_op()
        {
            let scores = scores.contiguous()?;
            return Ok(scores.apply_op2_no_bwd(&self.keys, &MaskedSoftmax)?);
        }
        if self.filled.get().is_none() {
            let shape = scores.dims4()?;
            let (b, _, _, l) = shape;
            let keep = self
                .keys
                .reshape((b, 1, 1, l))?
                .broadcast_as(shape)?
                .contiguous()?;
            let fill = dtype_min(self.dtype, self.keys.device())?
                .broadcast_as(shape)?
                .contiguous()?;
            let _ = self.filled.set((keep, fill));
        }
        let (keep, fill) = self.filled.get().expect("set above");
        softmax_last(&keep.where_cond(scores, fill)?)
    }
}

/// Fused CPU masked softmax over the last axis of contiguous scores (b, heads, l, l) with a (b, l) u8
/// key mask: for each row, m = max of the kept scores, p_j = e^{s_j − m}/Σ_kept e^{s_k − m} for kept
/// keys and exactly 0 for masked ones. This equals HF's softmax after `masked_fill(finfo.min)` (whose
/// masked terms e^{min − m} underflow to 0); a row with no kept key gets HF's answer for an all-`min`
/// row, the uniform 1/l. No CUDA kernel and no backward: [`AttentionMask::softmax`] falls back to the
/// composed ops on other devices and under gradients.
struct MaskedSoftmax;

impl MaskedSoftmax {
    fn rows<T: SoftmaxFloat>(s: &[T], keys: &[u8], l: usize, rows_per_seq: usize) -> Vec<T> {
        let mut out = vec![T::ZERO; s.len()];
        for (r, (row, dst)) in s.chunks_exact(l).zip(out.chunks_exact_mut(l)).enumerate() {
            let keep = &keys[(r / rows_per_seq) * l..][..l];
            let mut m = T::NEG_INFINITY;
            for (&v, &k) in row.iter().zip(keep) {
                if k != 0 && v > m {
                    m = v;
                }
            }
            if m == T::NEG_INFINITY && !keep.iter().any(|&k| k != 0) {
                let u = T::ONE / T::from_usize(l);
                dst.iter_mut().for_each(|d| *d = u);
                continue;
            }
            let mut sum = T::ZERO;
            for ((&v, &k), d) in row.iter().zip(keep).zip(dst.iter_mut()) {
                if k != 0 {
                    *d = (v - m).exp_();
                    sum = sum + *d;
                }
            }
            dst.iter_mut().for_each(|d| *d = *d / sum);
        }
        out
    }
}

/// The float operations [`MaskedSoftmax`] needs (f32, f64).
trait SoftmaxFloat:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Div<Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
    const NEG_INFINITY: Self;
    fn exp_(self) -> Self;
    fn from_usize(n: usize) -> Self;
}

impl SoftmaxFloat for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NEG_INFINITY: Self = f32::NEG_INFINITY;
    fn exp_(self) -> Self {
        self.exp()
    }
    fn from_usize(n: usize) -> Self {
        n as f32
    }
}

impl SoftmaxFloat for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NEG_INFINITY: Self = f64::NEG_INFINITY;
    fn exp_(self) -> Self {
        self.exp()
    }
    fn from_usize(n: usize) -> Self {
        n as f64
    }
}

impl candle_core::CustomOp2 for MaskedSoftmax {
    fn name(&self) -> &'static str {
        "distilbert-masked-softmax"
    }

    fn cpu_fwd(
        &self,
        s1: &candle_core::CpuStorage,
        l1: &candle_core::Layout,
        s2: &candle_core::CpuStorage,
        l2: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
        use candle_core::CpuStorage as S;
        let (b, h, q, l) = l1.shape().dims4()?;
        if l2.dims() != [b, l] || l == 0 {
            candle_core::bail!(
                "masked softmax: scores {:?}, mask {:?}",
                l1.dims(),
                l2.dims()
            )
        }
        let span = |l: &candle_core::Layout| {
            l.contiguous_offsets().ok_or_else(|| {
                candle_core::Error::Msg("masked softmax: non-contiguous operand".into())
            })
        };
        let ((a1, e1), (a2, e2)) = (span(l1)?, span(l2)?);
        let keys = match s2 {
            S::U8(k) => &k[a2..e2],
            _ => candle_core::bail!("masked softmax: u8 mask expected"),
        };
        let out = match s1 {
            S::F32(x) => S::F32(Self::rows(&x[a1..e1], keys, l, h * q)),
            S::F64(x) => S::F64(Self::rows(&x[a1..e1], keys, l, h * q)),
            _ => candle_core::bail!("masked softmax: f32 or f64 scores expected"),
        };
        Ok((out, l1.shape().clone()))
    }
}

#[derive(Debug, Clone)]
struct Block {
    q_lin: Linear,
    k_lin: Linear,
    v_lin: Linear,
    out_lin: Linear,
    sa_layer_norm: Norm,
    lin1: Linear,
    lin2: Linear,
    output_layer_norm: Norm,
}

impl Block {
    fn load(vb: &VarBuilder, cfg: &DistilBertConfig) -> Result<Self> {
        let (d, h) = (cfg.dim, cfg.hidden_dim);
        let att = vb.pp("attention");
        Ok(Block {
            q_lin: linear(&att.pp("q_lin"), d, d)?,
            k_lin: linear(&att.pp("k_lin"), d, d)?,
            v_lin: linear(&att.pp("v_lin"), d, d)?,
            out_lin: linear(&att.pp("out_lin"), d, d)?,
            sa_layer_norm: Norm::load(&vb.pp("sa_layer_norm"), d)?,
            lin1: linear(&vb.pp("ffn").pp("lin1"), h, d)?,
            lin2: linear(&vb.pp("ffn").pp("lin2"), d, h)?,
            output_layer_norm: Norm::load(&vb.pp("output_layer_norm"), d)?,
        })
    }

    /// `x`: (b, l, dim); `mask`: the keys to attend to.
    fn forward(&self, x: &Tensor, mask: &AttentionMask) -> Result<Tensor> {
        let n_heads = mask.heads;
        let (b, l, dim) = x.dims3()?;
        let hd = dim / n_heads;
        let heads = |t: Tensor| -> Result<Tensor> {
            Ok(t.reshape((b, l, n_heads, hd))?
                .transpose(1, 2)?
                .contiguous()?)
        };
        // HF scales the queries (not the scores) by 1/sqrt(head_dim).
        let q = heads((self.q_lin.forward(x)? / (hd as f64).sqrt())?)?;
        let k = heads(self.k_lin.forward(x)?)?;
        let v = heads(self.v_lin.forward(x)?)?;
        let scores = q.matmul(&k.t()?.contiguous()?)?; // (b, h, l, l)
        let weights = mask.softmax(&scores)?;
        let ctx = weights
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, l, dim))?;
        let sa = self
            .sa_layer_norm
            .forward(&(self.out_lin.forward(&ctx)? + x)?)?;
        let ffn = self.lin2.forward(&self.lin1.forward(&sa)?.gelu_erf()?)?;
        self.output_layer_norm.forward(&(ffn + sa)?)
    }
}

/// `DistilBertForSequenceClassification` (eval mode) on candle; see the module doc.
#[derive(Debug, Clone)]
pub struct DistilBertClassifier {
    cfg: DistilBertConfig,
    word_embeddings: Embedding,
    position_embeddings: Tensor,
    embeddings_norm: Norm,
    layers: Vec<Block>,
    pre_classifier: Linear,
    classifier: Linear,
    dtype: DType,
    device: Device,
}

impl DistilBertClassifier {
    /// Builds the model from the tensors of [`DistilBertConfig::expected_tensors`] under `vb` (a
    /// safetensors checkpoint, or a [`candle_nn::VarMap`] that creates them). The config is
    /// validated first; the model's dtype is `vb`'s (f32, f64, f16 or bf16).
    pub fn new(cfg: &DistilBertConfig, vb: VarBuilder) -> Result<Self> {
        cfg.validate("DistilBertConfig")?;
        let dtype = vb.dtype();
        if !matches!(dtype, DType::F32 | DType::F64 | DType::F16 | DType::BF16) {
            return Err(LlmError::UnsupportedDtype {
                tensor: "DistilBERT weights".into(),
                dtype: format!("{dtype:?}"),
            });
        }
        let d = cfg.dim;
        let emb = vb.pp("distilbert").pp("embeddings");
        let word = fetch(&emb.pp("word_embeddings"), &[cfg.vocab_size, d], "weight")?;
        let position_embeddings = fetch(
            &emb.pp("position_embeddings"),
            &[cfg.max_position_embeddings, d],
            "weight",
        )?;
        let embeddings_norm = Norm::load(&emb.pp("LayerNorm"), d)?;
        let tvb = vb.pp("distilbert").pp("transformer").pp("layer");
        let layers = (0..cfg.n_layers)
            .map(|i| Block::load(&tvb.pp(i), cfg))
            .collect::<Result<Vec<_>>>()?;
        let pre_classifier = linear(&vb.pp("pre_classifier"), d, d)?;
        let classifier = linear(&vb.pp("classifier"), cfg.num_labels(), d)?;
        Ok(DistilBertClassifier {
            cfg: cfg.clone(),
            word_embeddings: Embedding::new(word, d),
            position_embeddings,
            embeddings_norm,
            layers,
            pre_classifier,
            classifier,
            dtype,
            device: vb.device().clone(),
        })
    }

    /// The configuration the model was built from.
    pub fn config(&self) -> &DistilBertConfig {
        &self.cfg
    }

    /// The dtype of the weights (and of [`DistilBertClassifier::forward_embeds`]' input).
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The device of the weights.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The word-embedding matrix E, (vocab_size, dim).
    pub fn word_embeddings(&self) -> &Tensor {
        self.word_embeddings.embeddings()
    }

    /// Logits (b, num_labels) of token ids `input_ids` ((b, l) u32) under `attention_mask` ((b, l), any
    /// dtype, non-zero = attend, as HF). The logits are f64 for an f64 model and f32 otherwise. A
    /// length above `max_position_embeddings`, an id ≥ `vocab_size`, an empty batch or mismatched shapes
    /// are [`LlmError::InvalidArgument`].
    pub fn forward(&self, input_ids: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let (b, l) = input_ids.dims2().map_err(|_| {
            LlmError::invalid(
                "input_ids",
                format!("shape {:?}", input_ids.dims()),
                "a (batch, length) tensor",
            )
        })?;
        if b == 0 || l == 0 {
            return Err(LlmError::invalid(
                "input_ids",
                format!("shape {:?}", input_ids.dims()),
                "a non-empty (batch, length) tensor",
            ));
        }
        if input_ids.dtype() != DType::U32 {
            return Err(LlmError::invalid(
                "input_ids",
                format!("dtype {:?}", input_ids.dtype()),
                "u32 token ids",
            ));
        }
        let max_id = input_ids.flatten_all()?.max(0)?.to_scalar::<u32>()?;
        if max_id as usize >= self.cfg.vocab_size {
            return Err(LlmError::invalid(
                "input_ids",
                format!("token id {max_id}"),
                "ids below vocab_size",
            ));
        }
        let embeds = self.word_embeddings.forward(input_ids)?;
        self.encode(&embeds, attention_mask)
    }

    /// Logits from word embeddings `word_embeds` ((b, l, dim) in the model's dtype, e.g. rows of
    /// [`DistilBertClassifier::word_embeddings`] or a [`candle_core::Var`] for the gradient of a logit
    /// w.r.t. the input embeddings, Kwa et al. 2024 §4.5); positions are added inside, exactly as
    /// `forward(ids) == forward_embeds(E[ids])`. Same mask, length and error rules as `forward`.
    pub fn forward_embeds(&self, word_embeds: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let dims = word_embeds.dims();
        if dims.len() != 3 || dims[0] == 0 || dims[1] == 0 || dims[2] != self.cfg.dim {
            return Err(LlmError::invalid(
                "word_embeds",
                format!("shape {dims:?}"),
                "a non-empty (batch, length, dim) tensor with the model's dim",
            ));
        }
        if word_embeds.dtype() != self.dtype {
            return Err(LlmError::invalid(
                "word_embeds",
                format!("dtype {:?}", word_embeds.dtype()),
                "the model's dtype",
            ));
        }
        self.encode(word_embeds, attention_mask)
    }

    fn encode(&self, word_embeds: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let (b, l, _) = word_embeds.dims3()?;
        if l > self.cfg.max_position_embeddings {
            return Err(LlmError::invalid(
                "sequence length",
                l,
                "at most max_position_embeddings (forward does not truncate; score_ids/score_texts do)",
            ));
        }
        if attention_mask.dims() != [b, l] {
            return Err(LlmError::invalid(
                "attention_mask",
                format!(
                    "shape {:?} for inputs of (batch, length) = ({b}, {l})",
                    attention_mask.dims()
                ),
                "the (batch, length) shape of the inputs",
            ));
        }
        let mask = AttentionMask {
            keys: attention_mask
                .to_device(&self.device)?
                .ne(0f64)?
                .contiguous()?,
            heads: self.cfg.n_heads,
            dtype: self.dtype,
            filled: std::cell::OnceCell::new(),
        };
        let pos = self.position_embeddings.narrow(0, 0, l)?;
        let mut x = self
            .embeddings_norm
            .forward(&word_embeds.broadcast_add(&pos)?)?;
        for layer in &self.layers {
            x = layer.forward(&x, &mask)?;
        }
        let pooled = cls_rows(&x)?;
        let hidden = self.pre_classifier.forward(&pooled)?.relu()?;
        let logits = self.classifier.forward(&hidden)?;
        Ok(match self.dtype {
            DType::F64 => logits,
            _ => logits.to_dtype(DType::F32)?,
        })
    }

    /// Index of the POSITIVE label ([`DistilBertConfig::positive_index`]).
    pub fn positive_index(&self) -> Result<usize> {
        self.cfg.positive_index("DistilBertConfig")
    }

    /// Sentiment of each token-id sequence (ids as the model sees them: include `[CLS]`/`[SEP]`
    /// yourself, or use [`DistilBertClassifier::score_texts`]). Sequences are right-padded with
    /// `pad_token_id` under a 0 mask and run [`SCORE_CHUNK`] at a time. A sequence longer than
    /// `max_position_embeddings` is **truncated to its first `max_position_embeddings` ids**. An empty
    /// batch, an empty sequence or an id ≥ `vocab_size` is [`LlmError::InvalidArgument`]; a model that
    /// is not a 2-label POSITIVE/NEGATIVE classifier is [`LlmError::NotAClassifier`].
    pub fn score_ids(&self, batch: &[Vec<u32>]) -> Result<Vec<Sentiment>> {
        if batch.is_empty() {
            return Err(LlmError::invalid(
                "batch",
                "[] (no sequences)",
                "at least one sequence",
            ));
        }
        self.positive_index()?;
        for (i, seq) in batch.iter().enumerate() {
            if seq.is_empty() {
                return Err(LlmError::invalid(
                    "batch",
                    format!("sequence {i} is empty"),
                    "at least one token id per sequence",
                ));
            }
            if let Some(&id) = seq.iter().find(|&&id| id as usize >= self.cfg.vocab_size) {
                return Err(LlmError::invalid(
                    "batch",
                    format!("sequence {i} has token id {id}"),
                    "ids below vocab_size",
                ));
            }
        }
        let max_len = self.cfg.max_position_embeddings;
        let mut out = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(SCORE_CHUNK) {
            let l = chunk
                .iter()
                .map(|s| s.len().min(max_len))
                .max()
                .unwrap_or(1);
            let mut ids = Vec::with_capacity(chunk.len() * l);
            let mut mask = Vec::with_capacity(chunk.len() * l);
            for seq in chunk {
                let n = seq.len().min(max_len);
                ids.extend_from_slice(&seq[..n]);
                ids.extend(std::iter::repeat_n(self.cfg.pad_token_id, l - n));
                mask.extend(std::iter::repeat_n(1u32, n));
                mask.extend(std::iter::repeat_n(0u32, l - n));
            }
            let ids = Tensor::from_vec(ids, (chunk.len(), l), &self.device)?;
            let mask = Tensor::from_vec(mask, (chunk.len(), l), &self.device)?;
            let logits = self
                .forward(&ids, &mask)?
                .to_dtype(DType::F64)?
                .to_vec2::<f64>()?;
            for row in logits {
                out.push(Sentiment::from_logits(&self.cfg, &row)?);
            }
        }
        Ok(out)
    }

    /// Sentiment of each text, tokenised by `tokenizer` (whose own post-processor adds `[CLS]`/`[SEP]`,
    /// as `tokenizer(text)` in the HF pipeline). A text whose tokens do not fit in
    /// `max_position_embeddings` is truncated on the right *before* the special tokens are added (HF
    /// `truncation=True`), so `[SEP]` is kept. The empty text `""` is scored as the special tokens alone
    /// (the empty-reply reward of Cohen et al. 2024 §3.3); a tokenizer that adds no special tokens makes
    /// it an empty sequence, which is [`LlmError::InvalidArgument`].
    pub fn score_texts(
        &self,
        tokenizer: &tokenizers::Tokenizer,
        texts: &[&str],
    ) -> Result<Vec<Sentiment>> {
        if texts.is_empty() {
            return Err(LlmError::invalid(
                "texts",
                "[] (no texts)",
                "at least one text",
            ));
        }
        let added = tokenizer
            .get_post_processor()
            .map_or(0, |p| p.added_tokens(false));
        let budget = self.cfg.max_position_embeddings.saturating_sub(added);
        if budget == 0 {
            return Err(LlmError::invalid(
                "max_position_embeddings",
                self.cfg.max_position_embeddings,
                "more positions than the tokenizer's special tokens",
            ));
        }
        let mut batch = Vec::with_capacity(texts.len());
        for text in texts {
            let mut enc = tokenizer
                .encode(*text, false)
                .map_err(|e| LlmError::Tokenizer(e.to_string()))?;
            if enc.len() > budget {
                enc.truncate(budget, 0, TruncationDirection::Right);
            }
            let enc = tokenizer
                .post_process(enc, None, true)
                .map_err(|e| LlmError::Tokenizer(e.to_string()))?;
            // A tokenizer configured to pad marks its padding with mask 0: keep only the real tokens.
            let ids: Vec<u32> = enc
                .get_ids()
                .iter()
                .zip(enc.get_attention_mask())
                .filter(|(_, &m)| m != 0)
                .map(|(&id, _)| id)
                .collect();
            if ids.is_empty() {
                return Err(LlmError::invalid(
                    "text",
                    format!("{text:?} (no tokens)"),
                    "a tokenizer whose post-processor adds [CLS]/[SEP] (an empty text has no tokens otherwise)",
                ));
            }
            batch.push(ids);
        }
        self.score_ids(&batch)
    }
}

/// The HF sentiment pipeline's answer for one input, plus what the rewards need.
#[derive(Debug, Clone, Serialize)]
pub struct Sentiment {
    /// Name of the top label (`id2label[argmax]`; ties go to the lower index).
    pub label: String,
    /// Whether the top label is POSITIVE.
    pub positive: bool,
    /// Probability of the top label (≥ ½ for two labels), the pipeline's `score`.
    pub score: f64,
    /// Probability of POSITIVE.
    pub p_positive: f64,
    /// The logits, in label order.
    pub logits: Vec<f64>,
}

impl Sentiment {
    /// The sentiment of `logits` (one per label of `cfg`, all finite) under `cfg`'s labels, with
    /// probabilities from a max-shifted f64 softmax (= exp of the f64 log-softmax). `cfg` must be a
    /// 2-label POSITIVE classifier.
    pub fn from_logits(cfg: &DistilBertConfig, logits: &[f64]) -> Result<Self> {
        let pos = cfg.positive_index("DistilBertConfig")?;
        if logits.len() != cfg.num_labels() {
            return Err(LlmError::invalid(
                "logits",
                format!("{logits:?}"),
                "one logit per label",
            ));
        }
        if logits.iter().any(|x| !x.is_finite()) {
            return Err(LlmError::invalid(
                "logits",
                format!("{logits:?}"),
                "finite logits",
            ));
        }
        let mut top = 0;
        for (i, &x) in logits.iter().enumerate() {
            if x > logits[top] {
                top = i;
            }
        }
        // Max-shifted softmax in f64: p_i = e^{l_i − m} / Σ_j e^{l_j − m} = exp(log_softmax_i) with
        // relative precision ~1e-16 even for tiny p_i, and the top class gets 1/Σ ≥ 1/n exactly
        // (so a 2-label score is never below ½ by rounding, and the Cohen reward never enters
        // (0.25, 0.75)).
        let m = logits[top];
        let sum: f64 = logits.iter().map(|&x| (x - m).exp()).sum();
        Ok(Sentiment {
            label: cfg.label(top),
            positive: top == pos,
            score: 1.0 / sum,
            p_positive: (logits[pos] - m).exp() / sum,
            logits: logits.to_vec(),
        })
    }
}

impl Sentiment {
    /// The softmax probabilities of every label, in label order (max-shifted, in f64: the same
    /// numbers as `score` and `p_positive`).
    pub fn probs(&self) -> Vec<f64> {
        let m = self
            .logits
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = self.logits.iter().map(|&l| (l - m).exp()).sum();
        self.logits.iter().map(|&l| (l - m).exp() / z).collect()
    }
}

/// The reward of Cohen et al. 2024 §3.3: (r+1)/2 with r = `score` if POSITIVE else −`score`; in
/// \[0, 0.25\] ∪ \[0.75, 1\] for a 2-label model.
pub fn cohen_reward(s: &Sentiment) -> f64 {
    let r = if s.positive { s.score } else { -s.score };
    (r + 1.0) / 2.0
}

/// logit(POSITIVE) − logit(NEGATIVE), the scalar reward-model score for the tail probe. Computed from
/// the logits and the top label, exactly: ±(top logit − other logit), positive iff the top label is
/// POSITIVE (0 on a tie). For a [`Sentiment`] with fewer than two logits (never built here) it is 0.
pub fn logit_margin(s: &Sentiment) -> f64 {
    let mut sorted = s.logits.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    if sorted.len() < 2 {
        return 0.0;
    }
    let gap = sorted[0] - sorted[1];
    if s.positive {
        gap
    } else {
        -gap
    }
}
