//! The base policy: a Mixtral-architecture causal language model on candle (Cohen et al. 2024 §3.2–3.4).
//!
//! Cohen et al. use `mistralai/Mixtral-8x7B-v0.1` (base) as the frozen base policy and environment model;
//! the agent reads the **last three hidden states** (`hidden_states[-1], [-2], [-3]`) and the base
//! log-probs for the next token **from the same forward pass**, and 64 environments run in lockstep with
//! batched KV caches (§3.4). candle-transformers' Mixtral returns only the last position's logits and no
//! hidden states, so this is our own implementation of the architecture of Hugging Face's
//! `MixtralForCausalLM` (transformers 4.36):
//!
//! * token embedding → `L` decoder layers → final RMSNorm → `lm_head` (or the embedding when
//!   `tie_word_embeddings`);
//! * decoder layer: `h = x + Attn(RmsNorm(x))`, `out = h + SparseMoe(RmsNorm(h))`;
//! * attention: rotary position embedding in the rotate-half convention (`inv_freq_i = θ^(−2i/d)`, as HF
//!   Llama/Mistral; [`candle_nn::rotary_emb::rope`]), grouped-query attention (query head `h` reads
//!   key/value head `h / (heads / kv_heads)`, HF `repeat_kv`), causal mask, optional sliding window (a
//!   query at position `p` sees keys at positions `j` with `p − window < j ≤ p`), scores scaled by
//!   `1/√head_dim`, softmax in f32;
//! * sparse MoE: router softmax over the experts, top-k (ties to the lower expert index), the top-k
//!   weights renormalised to sum to one (as Mixtral does), expert `w2(silu(w1 x) ⊙ w3 x)`; each expert
//!   runs only on the tokens routed to it (`index_select` / `index_add`).
//!
//! Tensor names are exactly Hugging Face's ([`MixtralConfig::expected_tensors`]), so real checkpoints
//! load through a [`VarBuilder`] over their safetensors.
//!
//! **Precision.** On an accelerator the linear layers run in the [`VarBuilder`]'s dtype (bf16/f16
//! weights for a GPU run); on the CPU every weight is upcast to f32 at load. [`Mixtral::new_quantized`] holds the decoder's
//! linear layers in NF4 or q8_0 instead ([`crate::quant`]). The residual stream, the norms, attention (and the KV cache), the router softmax, the final
//! norm and `lm_head` run in f32. Log-probabilities leave the model in f64, computed from the f32 logits
//! by a log-sum-exp (never the log of a softmax).
//!
//! **Hidden states** follow HF's `output_hidden_states` for Mistral/Mixtral:
//! `hidden_states = [embeddings, out_1, …, out_{L−1}, norm(out_L)]`; [`LmOutput::hidden`] lists the last
//! `n_hidden` of them newest first, so `hidden[0]` is what `lm_head` reads, `hidden[1]` is the output of
//! layer `L−1` (before any norm), `hidden[2]` that of layer `L−2`.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Embedding, RmsNorm, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::quant::{BaseQuantization, QLinear};
use crate::{LlmError, Result};

/// The base-policy interface lives in [`crate::causal_lm`] (the sampler and the quantisation check
/// use it without this model); re-exported so `mixtral::{CausalLm, KvCache, LmOutput}` keep working.
pub use crate::causal_lm::{CausalLm, KvCache, LmOutput};

/// A Mixtral `config.json` (Hugging Face field names; unknown fields are ignored).
///
/// Fields HF's `MixtralConfig` gives defaults to are optional here with the same defaults
/// (`hidden_act` "silu", `rms_norm_eps` 1e-5, `rope_theta` 1e6, top-2 of 8 experts, untied embeddings).
///
/// **Both RoPE layouts** are read: transformers 4 writes a top-level `rope_theta` (and optionally
/// `rope_scaling`); transformers 5 writes `rope_parameters: {rope_theta, rope_type}`. θ is taken from
/// whichever is present (both present and different is an error), and any `rope_type` other than
/// `"default"` (linear, dynamic, yarn, longrope, llama3 scaling) is refused naming it: this module
/// implements plain RoPE only. See [`resolve_rope_layout`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct MixtralConfig {
    /// Vocabulary size (rows of the embedding and of `lm_head`).
    pub vocab_size: usize,
    /// Width of the residual stream.
    pub hidden_size: usize,
    /// Inner width of each expert's feed-forward network.
    pub intermediate_size: usize,
    /// Number of decoder layers `L`.
    pub num_hidden_layers: usize,
    /// Number of query heads.
    pub num_attention_heads: usize,
    /// Number of key/value heads (grouped-query attention).
    pub num_key_value_heads: usize,
    /// Per-head width; `hidden_size / num_attention_heads` when absent.
    #[serde(default)]
    pub head_dim: Option<usize>,
    /// Expert activation; only "silu" is supported.
    #[serde(default = "default_hidden_act")]
    pub hidden_act: String,
    /// Longest sequence (prompt + generated tokens) the model accepts.
    pub max_position_embeddings: usize,
    /// RMSNorm epsilon.
    #[serde(default = "default_rms_norm_eps")]
    pub rms_norm_eps: f64,
    /// RoPE base θ.
    #[serde(default = "default_rope_theta")]
    pub rope_theta: f64,
    /// Sliding attention window (a query sees itself and the `window − 1` keys before it); `None` = full.
    #[serde(default)]
    pub sliding_window: Option<usize>,
    /// Experts each token is routed to (top-k).
    #[serde(default = "default_experts_per_tok")]
    pub num_experts_per_tok: usize,
    /// Experts per layer.
    #[serde(default = "default_local_experts")]
    pub num_local_experts: usize,
    /// Reuse the embedding matrix as `lm_head`.
    #[serde(default)]
    pub tie_word_embeddings: bool,
    /// Beginning-of-sequence token id.
    #[serde(default)]
    pub bos_token_id: Option<u32>,
    /// End-of-sequence token id.
    #[serde(default)]
    pub eos_token_id: Option<u32>,
    /// HF architecture names; we write `["MixtralForCausalLM"]`.
    #[serde(default)]
    pub architectures: Vec<String>,
    /// HF model type; must be "mixtral".
    #[serde(default = "default_model_type")]
    pub model_type: String,
    /// Dtype the weights were saved in (informational).
    #[serde(default)]
    pub torch_dtype: Option<String>,
}

impl<'de> Deserialize<'de> for MixtralConfig {
    /// Reads either RoPE layout ([`resolve_rope_layout`]), then the fields.
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        resolve_rope_layout(&mut map).map_err(D::Error::custom)?;
        MixtralConfig::deserialize(serde_json::Value::Object(map)).map_err(D::Error::custom)
    }
}

impl Serialize for MixtralConfig {
    /// The transformers-4 layout (top-level `rope_theta`), which transformers 5 also reads.
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        MixtralConfig::serialize(self, serializer)
    }
}

/// Brings a config.json object to the transformers-4 RoPE layout this struct reads: θ from
/// `rope_parameters.rope_theta` (transformers 5) moved to a top-level `rope_theta`; `rope_parameters`
/// and a null or default `rope_scaling` removed.
///
/// # Errors
/// A message naming the field: a `rope_type` (or `rope_scaling.type`) other than `"default"` (RoPE
/// scaling is not implemented), a `rope_parameters` that is not an object or has a non-numeric θ, a
/// top-level `rope_theta` that disagrees with `rope_parameters.rope_theta`, or per-layer-type
/// `rope_parameters` (an object of objects).
pub fn resolve_rope_layout(
    map: &mut serde_json::Map<String, serde_json::Value>,
) -> std::result::Result<(), String> {
    use serde_json::Value;
    fn check_type(
        field: &str,
        obj: &serde_json::Map<String, Value>,
    ) -> std::result::Result<(), String> {
        for key in ["rope_type", "type"] {
            match obj.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::String(t)) if t == "default" => {}
                Some(other) => {
                    return Err(format!(
                        "{field}.{key} = {other}: RoPE scaling is not implemented here (only \"default\" rotary embeddings); \
                         refusing rather than computing different logits"
                    ))
                }
            }
        }
        Ok(())
    }
    match map.remove("rope_scaling") {
        None | Some(Value::Null) => {}
        Some(Value::Object(obj)) => check_type("rope_scaling", &obj)?,
        Some(other) => {
            return Err(format!(
                "rope_scaling = {other}: expected an object or null"
            ))
        }
    }
    let theta = match map.remove("rope_parameters") {
        None | Some(Value::Null) => None,
        Some(Value::Object(obj)) => {
            if obj.values().any(Value::is_object) {
                return Err(
                    "rope_parameters holds per-layer-type parameters: not supported for Mixtral"
                        .to_string(),
                );
            }
            check_type("rope_parameters", &obj)?;
            match obj.get("rope_theta") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_f64().ok_or_else(|| {
                    format!("rope_parameters.rope_theta = {v}: expected a number")
                })?),
            }
        }
        Some(other) => {
            return Err(format!(
                "rope_parameters = {other}: expected an object or null"
            ))
        }
    };
    if let Some(theta) = theta {
        match map.get("rope_theta") {
            None | Some(Value::Null) => {
                map.insert("rope_theta".into(), Value::from(theta));
            }
            Some(top) if top.as_f64() == Some(theta) => {}
            Some(top) => {
                return Err(format!(
                    "rope_theta = {top} disagrees with rope_parameters.rope_theta = {theta}"
                ))
            }
        }
    }
    if map.get("rope_theta").is_some_and(Value::is_null) {
        map.remove("rope_theta");
    }
    Ok(())
}

fn default_hidden_act() -> String {
    "silu".to_string()
}
fn default_rms_norm_eps() -> f64 {
    1e-5
}
fn default_rope_theta() -> f64 {
    1e6
}
fn default_experts_per_tok() -> usize {
    2
}
fn default_local_experts() -> usize {
    8
}
fn default_model_type() -> String {
    "mixtral".to_string()
}

impl MixtralConfig {
    /// Checks that the configuration describes a model we can build.
    ///
    /// # Errors
    /// [`LlmError::Config`] (with `path`) naming the first offending field: a zero size, heads not
    /// dividing `hidden_size` (without an explicit `head_dim`), an odd `head_dim` (RoPE rotates halves),
    /// key/value heads not dividing the query heads, `num_experts_per_tok` above `num_local_experts`, an
    /// activation other than silu, a non-positive or non-finite `rms_norm_eps`/`rope_theta`, a zero
    /// `sliding_window`, special-token ids outside the vocabulary, or a `model_type` other than "mixtral".
    pub fn validate(&self, path: &str) -> Result<()> {
        let bad = |message: String| {
            Err(LlmError::Config {
                path: path.to_string(),
                message,
            })
        };
        for (name, value) in [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("intermediate_size", self.intermediate_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("num_key_value_heads", self.num_key_value_heads),
            ("max_position_embeddings", self.max_position_embeddings),
            ("num_local_experts", self.num_local_experts),
            ("num_experts_per_tok", self.num_experts_per_tok),
        ] {
            if value == 0 {
                return bad(format!("{name} = 0: must be > 0"));
            }
        }
        match self.head_dim {
            None if !self.hidden_size.is_multiple_of(self.num_attention_heads) => {
                return bad(format!(
                    "num_attention_heads = {} does not divide hidden_size = {} (and no head_dim is given)",
                    self.num_attention_heads, self.hidden_size
                ));
            }
            Some(0) => return bad("head_dim = 0: must be > 0".to_string()),
            _ => {}
        }
        let head_dim = self.head_dim();
        if !head_dim.is_multiple_of(2) {
            return bad(format!(
                "head_dim = {head_dim}: must be even (rotary embedding rotates halves)"
            ));
        }
        if !self
            .num_attention_heads
            .is_multiple_of(self.num_key_value_heads)
        {
            return bad(format!(
                "num_key_value_heads = {} does not divide num_attention_heads = {}",
                self.num_key_value_heads, self.num_attention_heads
            ));
        }
        if self.num_experts_per_tok > self.num_local_experts {
            return bad(format!(
                "num_experts_per_tok = {} exceeds num_local_experts = {}",
                self.num_experts_per_tok, self.num_local_experts
            ));
        }
        if self.hidden_act != "silu" {
            return bad(format!(
                "hidden_act = {:?}: only \"silu\" is supported",
                self.hidden_act
            ));
        }
        if !(self.rms_norm_eps > 0.0 && self.rms_norm_eps.is_finite()) {
            return bad(format!(
                "rms_norm_eps = {}: must be finite and > 0",
                self.rms_norm_eps
            ));
        }
        if !(self.rope_theta > 0.0 && self.rope_theta.is_finite()) {
            return bad(format!(
                "rope_theta = {}: must be finite and > 0",
                self.rope_theta
            ));
        }
        if self.sliding_window == Some(0) {
            return bad("sliding_window = 0: must be > 0 (or null for full attention)".to_string());
        }
        for (name, id) in [
            ("bos_token_id", self.bos_token_id),
            ("eos_token_id", self.eos_token_id),
        ] {
            if let Some(id) = id {
                if id as usize >= self.vocab_size {
                    return bad(format!(
                        "{name} = {id} is outside the vocabulary (vocab_size = {})",
                        self.vocab_size
                    ));
                }
            }
        }
        if self.model_type != "mixtral" {
            return bad(format!(
                "model_type = {:?}: expected \"mixtral\"",
                self.model_type
            ));
        }
        Ok(())
    }

    /// Per-head width: `head_dim` if given, else `hidden_size / num_attention_heads`.
    pub fn head_dim(&self) -> usize {
        self.head_dim
            .unwrap_or(self.hidden_size / self.num_attention_heads.max(1))
    }

    /// Every tensor [`Mixtral::new`] reads, with its shape, in the order it reads them (HF names).
    pub fn expected_tensors(&self) -> Vec<(String, Vec<usize>)> {
        let (h, v, f) = (self.hidden_size, self.vocab_size, self.intermediate_size);
        let q_out = self.num_attention_heads * self.head_dim();
        let kv_out = self.num_key_value_heads * self.head_dim();
        let mut out = vec![("model.embed_tokens.weight".to_string(), vec![v, h])];
        for i in 0..self.num_hidden_layers {
            let p = format!("model.layers.{i}");
            out.push((format!("{p}.self_attn.q_proj.weight"), vec![q_out, h]));
            out.push((format!("{p}.self_attn.k_proj.weight"), vec![kv_out, h]));
            out.push((format!("{p}.self_attn.v_proj.weight"), vec![kv_out, h]));
            out.push((format!("{p}.self_attn.o_proj.weight"), vec![h, q_out]));
            out.push((
                format!("{p}.block_sparse_moe.gate.weight"),
                vec![self.num_local_experts, h],
            ));
            for j in 0..self.num_local_experts {
                let e = format!("{p}.block_sparse_moe.experts.{j}");
                out.push((format!("{e}.w1.weight"), vec![f, h]));
                out.push((format!("{e}.w2.weight"), vec![h, f]));
                out.push((format!("{e}.w3.weight"), vec![f, h]));
            }
            out.push((format!("{p}.input_layernorm.weight"), vec![h]));
            out.push((format!("{p}.post_attention_layernorm.weight"), vec![h]));
        }
        out.push(("model.norm.weight".to_string(), vec![h]));
        if !self.tie_word_embeddings {
            out.push(("lm_head.weight".to_string(), vec![v, h]));
        }
        out
    }

    /// A small configuration for CPU tests and `make-tiny`: hidden 64, 2 layers, 4 heads (2 key/value
    /// heads, head_dim 16), 4 experts with top-2 routing, expert width 128, sliding window 4096, RoPE θ
    /// 10 000, at most 2048 positions. Special-token ids are left `None` for the caller's tokenizer.
    pub fn tiny(vocab_size: usize) -> Self {
        MixtralConfig {
            vocab_size,
            hidden_size: 64,
            intermediate_size: 128,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            num_key_value_heads: 2,
            head_dim: None,
            hidden_act: "silu".to_string(),
            max_position_embeddings: 2048,
            rms_norm_eps: 1e-5,
            rope_theta: 10_000.0,
            sliding_window: Some(4096),
            num_experts_per_tok: 2,
            num_local_experts: 4,
            tie_word_embeddings: false,
            bos_token_id: None,
            eos_token_id: None,
            architectures: vec!["MixtralForCausalLM".to_string()],
            model_type: "mixtral".to_string(),
            torch_dtype: Some("float32".to_string()),
        }
    }
}

/// Reads a weight matrix: in the [`VarBuilder`]'s dtype on an accelerator, upcast to f32 on the CPU
/// (candle's CPU matmul has no bf16 kernel, and f32 is what the CPU runs are specified in).
fn weight(vb: &VarBuilder, shape: (usize, usize), name: &str) -> Result<Tensor> {
    let w = vb.get(shape, name)?;
    Ok(if w.device().is_cpu() && w.dtype() != DType::F32 {
        w.to_dtype(DType::F32)?
    } else {
        w
    })
}

/// A linear layer (no bias) run in the weights' compute dtype on an f32 input; returns f32. Held
/// dense or quantised ([`crate::quant`]).
#[derive(Debug, Clone)]
struct Proj(QLinear);

impl Proj {
    fn load(in_dim: usize, out_dim: usize, vb: VarBuilder, q: BaseQuantization) -> Result<Self> {
        Ok(Proj(QLinear::load(&vb, (out_dim, in_dim), "weight", q)?))
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.0.forward(x)?.to_dtype(DType::F32)?)
    }
}

/// An RMSNorm with its weight held in f32.
fn rms_norm(size: usize, eps: f64, vb: VarBuilder) -> Result<RmsNorm> {
    Ok(RmsNorm::new(
        vb.get(size, "weight")?.to_dtype(DType::F32)?,
        eps,
    ))
}

#[derive(Debug, Clone)]
struct Attention {
    q_proj: Proj,
    k_proj: Proj,
    v_proj: Proj,
    o_proj: Proj,
    n_heads: usize,
    n_kv_heads: usize,
    head_dim: usize,
}

impl Attention {
    fn new(cfg: &MixtralConfig, vb: VarBuilder, q: BaseQuantization) -> Result<Self> {
        let (h, hd) = (cfg.hidden_size, cfg.head_dim());
        let (nh, nkv) = (cfg.num_attention_heads, cfg.num_key_value_heads);
        Ok(Attention {
            q_proj: Proj::load(h, nh * hd, vb.pp("q_proj"), q)?,
            k_proj: Proj::load(h, nkv * hd, vb.pp("k_proj"), q)?,
            v_proj: Proj::load(h, nkv * hd, vb.pp("v_proj"), q)?,
            o_proj: Proj::load(nh * hd, h, vb.pp("o_proj"), q)?,
            n_heads: nh,
            n_kv_heads: nkv,
            head_dim: hd,
        })
    }

    /// x: (b, s, hidden) f32 → (b, s, hidden) f32.
    fn forward(
        &self,
        x: &Tensor,
        layer: usize,
        cache: &mut KvCache,
        rope: &Rope,
        mask: Option<&Tensor>,
    ) -> Result<Tensor> {
        let (b, s, _) = x.dims3()?;
        let (nh, nkv, hd) = (self.n_heads, self.n_kv_heads, self.head_dim);
        let heads = |t: Tensor, n: usize| -> Result<Tensor> {
            Ok(t.reshape((b, s, n, hd))?.transpose(1, 2)?.contiguous()?)
        };
        let q = heads(self.q_proj.forward(x)?, nh)?;
        let k = heads(self.k_proj.forward(x)?, nkv)?;
        let v = heads(self.v_proj.forward(x)?, nkv)?;
        let q = candle_nn::rotary_emb::rope(&q, &rope.cos, &rope.sin)?;
        let k = candle_nn::rotary_emb::rope(&k, &rope.cos, &rope.sin)?;
        let (k_all, v_all) = cache.append(layer, &k, &v)?;
        let t = k_all.dim(2)?;
        let n_rep = nh / nkv;
        // Query heads h = g·n_rep + r share key/value head g (HF repeat_kv): group them so that one batched
        // matmul per key/value head serves its n_rep query heads without copying the keys.
        let q = q.reshape((b, nkv, n_rep * s, hd))?;
        let scale = 1.0 / (hd as f64).sqrt();
        let scores = (q.matmul(&k_all.t()?)? * scale)?.reshape((b, nh, s, t))?;
        let scores = match mask {
            Some(m) => scores.broadcast_add(m)?,
            None => scores,
        };
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = probs.reshape((b, nkv, n_rep * s, t))?.matmul(&v_all)?;
        let out = out
            .reshape((b, nh, s, hd))?
            .transpose(1, 2)?
            .reshape((b, s, nh * hd))?;
        self.o_proj.forward(&out)
    }
}

#[derive(Debug, Clone)]
struct Expert {
    w1: QLinear,
    w2: QLinear,
    w3: QLinear,
}

impl Expert {
    fn new(cfg: &MixtralConfig, vb: VarBuilder, q: BaseQuantization) -> Result<Self> {
        let (h, f) = (cfg.hidden_size, cfg.intermediate_size);
        Ok(Expert {
            w1: QLinear::load(&vb, (f, h), "w1.weight", q)?,
            w2: QLinear::load(&vb, (h, f), "w2.weight", q)?,
            w3: QLinear::load(&vb, (f, h), "w3.weight", q)?,
        })
    }

    /// `w2(silu(w1 x) ⊙ w3 x)`, x: (n, hidden) f32 → (n, hidden) f32, computed in the weights' dtype.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = x.to_dtype(self.w1.compute_dtype())?;
        let a = self.w1.forward(&x)?.silu()?;
        let g = self.w3.forward(&x)?;
        Ok(self.w2.forward(&(a * g)?)?.to_dtype(DType::F32)?)
    }
}

#[derive(Debug, Clone)]
struct SparseMoe {
    gate: Proj,
    experts: Vec<Expert>,
    top_k: usize,
}

impl SparseMoe {
    fn new(cfg: &MixtralConfig, vb: VarBuilder, q: BaseQuantization) -> Result<Self> {
        let gate = Proj::load(cfg.hidden_size, cfg.num_local_experts, vb.pp("gate"), q)?;
        let vbe = vb.pp("experts");
        let experts = (0..cfg.num_local_experts)
            .map(|j| Expert::new(cfg, vbe.pp(j), q))
            .collect::<Result<Vec<_>>>()?;
        Ok(SparseMoe {
            gate,
            experts,
            top_k: cfg.num_experts_per_tok,
        })
    }

    /// For each token, its top-k experts and their renormalised weights (ties go to the lower index).
    fn route(&self, probs: &[Vec<f32>]) -> Result<Vec<Vec<(usize, f32)>>> {
        probs
            .iter()
            .map(|row| {
                if row.iter().any(|p| !p.is_finite()) {
                    return Err(LlmError::invalid(
                        "router probabilities",
                        "NaN or infinite",
                        "finite values (the weights or the input produce NaN/inf)",
                    ));
                }
                let mut order: Vec<usize> = (0..row.len()).collect();
                order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
                order.truncate(self.top_k);
                let sum: f32 = order.iter().map(|&e| row[e]).sum();
                Ok(order.into_iter().map(|e| (e, row[e] / sum)).collect())
            })
            .collect()
    }

    /// x: (n, hidden) f32 → (n, hidden) f32; the router logits (n, experts) are pushed to `router` when
    /// given.
    fn forward(&self, x: &Tensor, router: Option<&mut Vec<Tensor>>) -> Result<Tensor> {
        let n = x.dim(0)?;
        let router_logits = self.gate.forward(x)?;
        if let Some(r) = router {
            r.push(router_logits.clone());
        }
        let probs = candle_nn::ops::softmax_last_dim(&router_logits)?.to_vec2::<f32>()?;
        let routes = self.route(&probs)?;
        let mut tokens: Vec<Vec<u32>> = vec![Vec::new(); self.experts.len()];
        let mut weights: Vec<Vec<f32>> = vec![Vec::new(); self.experts.len()];
        for (t, route) in routes.iter().enumerate() {
            for &(e, w) in route {
                tokens[e].push(t as u32);
                weights[e].push(w);
            }
        }
        let mut out = x.zeros_like()?;
        for (e, expert) in self.experts.iter().enumerate() {
            let m = tokens[e].len();
            if m == 0 {
                continue;
            }
            let idx = Tensor::from_slice(&tokens[e], m, x.device())?;
            let w = Tensor::from_slice(&weights[e], (m, 1), x.device())?;
            let y = expert
                .forward(&x.index_select(&idx, 0)?)?
                .broadcast_mul(&w)?;
            out = out.index_add(&idx, &y, 0)?;
        }
        debug_assert_eq!(out.dim(0)?, n);
        Ok(out)
    }
}

#[derive(Debug, Clone)]
struct DecoderLayer {
    self_attn: Attention,
    block_sparse_moe: SparseMoe,
    input_layernorm: RmsNorm,
    post_attention_layernorm: RmsNorm,
}

impl DecoderLayer {
    fn new(cfg: &MixtralConfig, vb: VarBuilder, q: BaseQuantization) -> Result<Self> {
        Ok(DecoderLayer {
            self_attn: Attention::new(cfg, vb.pp("self_attn"), q)?,
            block_sparse_moe: SparseMoe::new(cfg, vb.pp("block_sparse_moe"), q)?,
            input_layernorm: rms_norm(cfg.hidden_size, cfg.rms_norm_eps, vb.pp("input_layernorm"))?,
            post_attention_layernorm: rms_norm(
                cfg.hidden_size,
                cfg.rms_norm_eps,
                vb.pp("post_attention_layernorm"),
            )?,
        })
    }

    fn forward(
        &self,
        x: &Tensor,
        layer: usize,
        cache: &mut KvCache,
        rope: &Rope,
        mask: Option<&Tensor>,
        router: Option<&mut Vec<Tensor>>,
    ) -> Result<Tensor> {
        let (b, s, h) = x.dims3()?;
        let a =
            self.self_attn
                .forward(&self.input_layernorm.forward(x)?, layer, cache, rope, mask)?;
        let x = (x + a)?;
        let m = self.block_sparse_moe.forward(
            &self
                .post_attention_layernorm
                .forward(&x)?
                .reshape((b * s, h))?,
            router,
        )?;
        Ok((x + m.reshape((b, s, h))?)?)
    }
}

/// cos/sin of the rotary embedding for a run of positions, (seq, head_dim/2) f32.
struct Rope {
    cos: Tensor,
    sin: Tensor,
}

impl Rope {
    /// Angles `p·θ^(−2i/d)` for positions `offset..offset+seq`, computed in f64 then rounded to f32.
    fn new(cfg: &MixtralConfig, offset: usize, seq: usize, device: &Device) -> Result<Self> {
        let hd = cfg.head_dim();
        let half = hd / 2;
        let inv_freq: Vec<f64> = (0..half)
            .map(|i| cfg.rope_theta.powf(-((2 * i) as f64) / hd as f64))
            .collect();
        let mut cos = Vec::with_capacity(seq * half);
        let mut sin = Vec::with_capacity(seq * half);
        for p in offset..offset + seq {
            for f in &inv_freq {
                let angle = p as f64 * f;
                cos.push(angle.cos() as f32);
                sin.push(angle.sin() as f32);
            }
        }
        Ok(Rope {
            cos: Tensor::from_vec(cos, (seq, half), device)?,
            sin: Tensor::from_vec(sin, (seq, half), device)?,
        })
    }
}

/// Additive attention mask (seq, offset+seq): 0 where query `offset+i` may see key `j`
/// (`j ≤ offset+i` and, with a window `w`, `j > offset+i−w`), −∞ elsewhere; `None` when nothing is masked.
fn attention_mask(
    offset: usize,
    seq: usize,
    window: Option<usize>,
    device: &Device,
) -> Result<Option<Tensor>> {
    let total = offset + seq;
    let window_bites = window.is_some_and(|w| total > w);
    if seq == 1 && !window_bites {
        return Ok(None);
    }
    let mut m = Vec::with_capacity(seq * total);
    for i in 0..seq {
        let p = offset + i;
        for j in 0..total {
            let visible = j <= p && window.is_none_or(|w| j + w > p);
            m.push(if visible { 0.0f32 } else { f32::NEG_INFINITY });
        }
    }
    Ok(Some(Tensor::from_vec(m, (seq, total), device)?))
}

/// The Mixtral causal LM (HF `MixtralForCausalLM`), see the module documentation.
#[derive(Debug, Clone)]
pub struct Mixtral {
    cfg: MixtralConfig,
    embed_tokens: Embedding,
    layers: Vec<DecoderLayer>,
    norm: RmsNorm,
    /// (vocab, hidden) f32.
    lm_head: Tensor,
    device: Device,
}

impl Mixtral {
    /// Builds the model from weights under HF names ([`MixtralConfig::expected_tensors`]); the
    /// [`VarBuilder`]'s dtype is the dtype of the linear layers.
    ///
    /// # Errors
    /// [`LlmError::Config`] if the configuration is invalid (path "config"); [`LlmError::Candle`] if a
    /// tensor is missing or has another shape.
    pub fn new(cfg: &MixtralConfig, vb: VarBuilder) -> Result<Self> {
        Self::new_quantized(cfg, vb, BaseQuantization::None)
    }

    /// As [`Mixtral::new`], with the decoder's linear layers (attention, router, experts) held as
    /// `q` says ([`crate::quant`]); the embedding, norms and `lm_head` are not quantised.
    ///
    /// # Errors
    /// As [`Mixtral::new`].
    pub fn new_quantized(cfg: &MixtralConfig, vb: VarBuilder, q: BaseQuantization) -> Result<Self> {
        cfg.validate("config")?;
        let (h, v) = (cfg.hidden_size, cfg.vocab_size);
        let vbm = vb.pp("model");
        let embed_w = weight(&vbm, (v, h), "embed_tokens.weight")?;
        let embed_tokens = Embedding::new(embed_w.clone(), h);
        let vbl = vbm.pp("layers");
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| DecoderLayer::new(cfg, vbl.pp(i), q))
            .collect::<Result<Vec<_>>>()?;
        let norm = rms_norm(h, cfg.rms_norm_eps, vbm.pp("norm"))?;
        let lm_head = if cfg.tie_word_embeddings {
            embed_w
        } else {
            vb.get((v, h), "lm_head.weight")?
        };
        Ok(Mixtral {
            cfg: cfg.clone(),
            embed_tokens,
            layers,
            norm,
            lm_head: lm_head.to_dtype(DType::F32)?,
            device: vb.device().clone(),
        })
    }

    /// The configuration the model was built from.
    pub fn config(&self) -> &MixtralConfig {
        &self.cfg
    }

    fn check_ids(&self, ids: &Tensor, cache: &KvCache, n_hidden: usize) -> Result<(usize, usize)> {
        let (b, s) = match ids.dims() {
            &[b, s] if b > 0 && s > 0 => (b, s),
            dims => {
                return Err(LlmError::invalid(
                    "ids shape",
                    format!("{dims:?}"),
                    "(batch, seq) with batch, seq > 0",
                ))
            }
        };
        if ids.dtype() != DType::U32 {
            return Err(LlmError::invalid(
                "ids dtype",
                format!("{:?}", ids.dtype()),
                "u32 token ids",
            ));
        }
        let max_id = ids.flatten_all()?.max(0)?.to_scalar::<u32>()?;
        if max_id as usize >= self.cfg.vocab_size {
            return Err(LlmError::invalid(
                "token id",
                max_id,
                "ids below the model's vocab_size",
            ));
        }
        let n_layers = self.layers.len();
        if n_hidden > n_layers + 1 {
            return Err(LlmError::invalid(
                "n_hidden",
                n_hidden,
                "at most num_hidden_layers + 1 hidden states",
            ));
        }
        if cache.num_layers() != n_layers {
            return Err(LlmError::invalid(
                "cache layers",
                cache.num_layers(),
                "the model's num_hidden_layers",
            ));
        }
        if let Some(cb) = cache.batch_size() {
            if cb != b {
                return Err(LlmError::invalid(
                    "ids batch",
                    b,
                    "the batch size the KV cache holds",
                ));
            }
        }
        if cache.len() + s > self.cfg.max_position_embeddings {
            return Err(LlmError::invalid(
                "sequence length",
                cache.len() + s,
                "at most max_position_embeddings positions",
            ));
        }
        Ok((b, s))
    }
}

impl CausalLm for Mixtral {
    fn config_vocab_size(&self) -> usize {
        self.cfg.vocab_size
    }

    fn hidden_size(&self) -> usize {
        self.cfg.hidden_size
    }

    fn num_layers(&self) -> usize {
        self.layers.len()
    }

    fn device(&self) -> &Device {
        &self.device
    }

    fn new_cache(&self) -> KvCache {
        KvCache::new(self.layers.len())
    }

    fn forward(&self, ids: &Tensor, cache: &mut KvCache, n_hidden: usize) -> Result<LmOutput> {
        self.forward_inner(ids, cache, n_hidden, None)
    }
}

impl Mixtral {
    /// [`CausalLm::forward`], and the router logits of every layer, each (batch·seq, experts) f32 in
    /// row-major token order: HF's `output_router_logits` (for conformance checks and diagnostics).
    ///
    /// # Errors
    /// As [`CausalLm::forward`].
    pub fn forward_with_router_logits(
        &self,
        ids: &Tensor,
        cache: &mut KvCache,
        n_hidden: usize,
    ) -> Result<(LmOutput, Vec<Tensor>)> {
        let mut router = Vec::with_capacity(self.layers.len());
        let out = self.forward_inner(ids, cache, n_hidden, Some(&mut router))?;
        Ok((out, router))
    }

    fn forward_inner(
        &self,
        ids: &Tensor,
        cache: &mut KvCache,
        n_hidden: usize,
        mut router: Option<&mut Vec<Tensor>>,
    ) -> Result<LmOutput> {
        let ids = ids.to_device(&self.device)?;
        let (b, s) = self.check_ids(&ids, cache, n_hidden)?;
        let offset = cache.len();
        let rope = Rope::new(&self.cfg, offset, s, &self.device)?;
        let mask = attention_mask(offset, s, self.cfg.sliding_window, &self.device)?;
        let n_layers = self.layers.len();
        // HF hidden_states index k ∈ 0..=L: 0 = embeddings, k = output of layer k (k < L), L = norm(out_L).
        let first_kept = n_layers + 1 - n_hidden;
        let mut kept: Vec<Tensor> = Vec::with_capacity(n_hidden);
        let mut x = self.embed_tokens.forward(&ids)?.to_dtype(DType::F32)?;
        for (i, layer) in self.layers.iter().enumerate() {
            if i >= first_kept {
                kept.push(x.clone());
            }
            x = layer.forward(&x, i, cache, &rope, mask.as_ref(), router.as_deref_mut())?;
        }
        let x = self.norm.forward(&x)?;
        if n_hidden > 0 {
            kept.push(x.clone());
        }
        kept.reverse();
        let h = self.cfg.hidden_size;
        let logits = x
            .reshape((b * s, h))?
            .matmul(&self.lm_head.t()?)?
            .reshape((b, s, self.cfg.vocab_size))?;
        cache.advance(s);
        Ok(LmOutput {
            logits,
            hidden: kept,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
