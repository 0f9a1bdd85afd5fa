//! The base-policy interface: [`CausalLm`] (per-position logits, the last hidden states, exact
//! sequence log-probs), its batched [`KvCache`], and the f64 log-softmax of a row of logits
//! ([`token_log_prob`]), which the sampler shares.
//!
//! [`crate::mixtral`] implements the interface (Cohen et al. 2024 §3.2–3.4: the base policy reads
//! logits and hidden states from the same forward pass, 64 chats in lockstep with batched caches);
//! the chat environment, the sampler, the probe and PPO use it, and [`next_token_kl`] compares two
//! implementations (a quantised base against its f32 weights, [`crate::quant`]). Log-probabilities
//! are computed in f64 as a log-sum-exp of the f32 logits with a Neumaier-compensated sum, never
//! the log of a softmax.

use candle_core::{Device, IndexOp, Tensor};
use serde::{Deserialize, Serialize};

use crate::{LlmError, Result};

/// Rejects empty logits, NaN, +∞ and all-(−∞) rows (−∞ entries are tokens of probability zero).
pub(crate) fn check_logits(logits: &[f32]) -> Result<()> {
    if logits.is_empty() {
        return Err(LlmError::invalid("logits", "[]", "at least one token"));
    }
    if let Some(bad) = logits.iter().find(|x| x.is_nan() || **x == f32::INFINITY) {
        return Err(LlmError::invalid(
            "logits",
            bad,
            "finite values or -inf (NaN/+inf come from a broken model)",
        ));
    }
    if logits.iter().all(|x| *x == f32::NEG_INFINITY) {
        return Err(LlmError::invalid(
            "logits",
            "all -inf",
            "at least one token of positive probability",
        ));
    }
    Ok(())
}

/// Neumaier-compensated sum.
fn neumaier_sum(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for x in xs {
        let t = sum + x;
        comp += if sum.abs() >= x.abs() {
            (sum - t) + x
        } else {
            (x - t) + sum
        };
        sum = t;
    }
    sum + comp
}

/// `(m, log Σ_i exp(scale · logits_i − m))` with `m` the largest scaled logit, in f64 (logits already
/// checked), so that `log p_i = (scale · logits_i − m) − second` keeps full precision for large logits.
pub(crate) fn shifted_log_sum_exp(logits: &[f32], scale: f64) -> (f64, f64) {
    let max = logits
        .iter()
        .fold(f64::NEG_INFINITY, |m, &x| m.max(x as f64 * scale));
    (
        max,
        neumaier_sum(logits.iter().map(|&x| (x as f64 * scale - max).exp())).ln(),
    )
}

/// `log softmax(logits)[token]` in f64 (temperature 1).
///
/// # Errors
/// [`LlmError::InvalidArgument`] for empty/NaN/+∞/all-(−∞) logits or a token outside them.
pub fn token_log_prob(logits: &[f32], token: u32) -> Result<f64> {
    check_logits(logits)?;
    let Some(&x) = logits.get(token as usize) else {
        return Err(LlmError::invalid(
            "token",
            token,
            "an id below the number of logits",
        ));
    };
    let (max, ln_sum) = shifted_log_sum_exp(logits, 1.0);
    Ok((x as f64 - max) - ln_sum)
}

/// Per-position logits and the last hidden states of one forward pass.
#[derive(Debug, Clone)]
pub struct LmOutput {
    /// (batch, seq, vocab), f32.
    pub logits: Tensor,
    /// HF `hidden_states[-1], [-2], …` in that order (newest first), each (batch, seq, hidden) f32.
    pub hidden: Vec<Tensor>,
}

/// One layer's keys and values, (batch, kv_heads, capacity, head_dim) f32, filled up to the cache length.
#[derive(Debug)]
struct LayerKv {
    k: Tensor,
    v: Tensor,
}

/// A batched key/value cache: per layer, the rotated keys and the values of every position so far.
///
/// Buffers grow by doubling and are written in place, so the cache is deliberately not `Clone` (a shallow
/// clone would share those buffers): [`KvCache::try_clone`] makes an independent deep copy, and
/// [`KvCache::select`] new storage. A forward pass that fails leaves the cache's length (and hence its
/// logical content) unchanged.
#[derive(Debug)]
pub struct KvCache {
    layers: Vec<Option<LayerKv>>,
    len: usize,
}

impl KvCache {
    /// An empty cache for a model with `num_layers` layers.
    pub fn new(num_layers: usize) -> Self {
        KvCache {
            layers: (0..num_layers).map(|_| None).collect(),
            len: 0,
        }
    }

    /// Positions held (the same for every row of the batch).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no position is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of layers this cache is for.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Batch size of the held rows (`None` when empty).
    pub fn batch_size(&self) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        self.layers.iter().flatten().next().map(|kv| kv.k.dims()[0])
    }

    /// Forgets every position.
    pub fn reset(&mut self) {
        self.layers.iter_mut().for_each(|l| *l = None);
        self.len = 0;
    }

    /// A deep copy (its own storage).
    ///
    /// # Errors
    /// [`LlmError::Candle`] if the device cannot allocate the copy.
    pub fn try_clone(&self) -> Result<Self> {
        let mut layers = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            layers.push(match l {
                Some(kv) if self.len > 0 => Some(LayerKv {
                    k: kv.k.copy()?,
                    v: kv.v.copy()?,
                }),
                _ => None,
            });
        }
        Ok(KvCache {
            layers,
            len: self.len,
        })
    }

    /// A new cache holding only the rows `batch_indices` (in that order; repeats allowed), e.g. to drop
    /// finished episodes or to branch one.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] if `batch_indices` is empty or an index is not below the batch size.
    pub fn select(&self, batch_indices: &[usize]) -> Result<KvCache> {
        if batch_indices.is_empty() {
            return Err(LlmError::invalid(
                "batch_indices",
                "[]",
                "at least one row to keep",
            ));
        }
        let Some(batch) = self.batch_size() else {
            return Ok(KvCache::new(self.layers.len()));
        };
        if let Some(&bad) = batch_indices.iter().find(|&&i| i >= batch) {
            return Err(LlmError::invalid(
                "batch_indices",
                bad,
                "row indices below the cache's batch size",
            ));
        }
        let idx: Vec<u32> = batch_indices.iter().map(|&i| i as u32).collect();
        let mut layers = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            layers.push(match l {
                Some(kv) => {
                    let idx = Tensor::from_vec(idx.clone(), idx.len(), kv.k.device())?;
                    Some(LayerKv {
                        k: kv.k.index_select(&idx, 0)?,
                        v: kv.v.index_select(&idx, 0)?,
                    })
                }
                None => None,
            });
        }
        Ok(KvCache {
            layers,
            len: self.len,
        })
    }

    /// Writes `k`, `v` (batch, kv_heads, seq, head_dim) of `layer` at positions `len..len+seq` and returns
    /// the keys and values of positions `0..len+seq`. The cache length is advanced by the caller
    /// ([`KvCache::advance`]) once every layer has been written.
    pub(crate) fn append(
        &mut self,
        layer: usize,
        k: &Tensor,
        v: &Tensor,
    ) -> Result<(Tensor, Tensor)> {
        let (b, nkv, s, hd) = k.dims4()?;
        let offset = self.len;
        let needed = offset + s;
        let slot = self
            .layers
            .get_mut(layer)
            .ok_or_else(|| LlmError::invalid("layer", layer, "a layer index of the model"))?;
        if offset == 0 {
            // A fresh sequence (possibly of another batch size): start from new buffers.
            *slot = None;
        }
        match slot {
            Some(kv) if kv.k.dims()[2] >= needed => {}
            Some(kv) => {
                let cap = needed.next_power_of_two();
                let pad = Tensor::zeros(
                    (b, nkv, cap - kv.k.dims()[2], hd),
                    kv.k.dtype(),
                    kv.k.device(),
                )?;
                kv.k = Tensor::cat(&[&kv.k, &pad], 2)?;
                kv.v = Tensor::cat(&[&kv.v, &pad], 2)?;
            }
            None => {
                let cap = needed.next_power_of_two().max(16);
                *slot = Some(LayerKv {
                    k: Tensor::zeros((b, nkv, cap, hd), k.dtype(), k.device())?,
                    v: Tensor::zeros((b, nkv, cap, hd), v.dtype(), v.device())?,
                });
            }
        }
        let kv = slot
            .as_mut()
            .ok_or_else(|| LlmError::invalid("layer", layer, "an allocated cache layer"))?;
        kv.k.slice_set(&k.contiguous()?, 2, offset)?;
        kv.v.slice_set(&v.contiguous()?, 2, offset)?;
        Ok((kv.k.narrow(2, 0, needed)?, kv.v.narrow(2, 0, needed)?))
    }

    pub(crate) fn advance(&mut self, by: usize) {
        self.len += by;
    }
}

/// The base-policy interface the chat environment, the probe and PPO use.
pub trait CausalLm {
    /// Vocabulary size (width of the logits).
    fn config_vocab_size(&self) -> usize;
    /// Width of each hidden state.
    fn hidden_size(&self) -> usize;
    /// Number of decoder layers `L` (so at most `L + 1` hidden states exist).
    fn num_layers(&self) -> usize;
    /// Device the model lives on.
    fn device(&self) -> &Device;
    /// An empty KV cache for this model.
    fn new_cache(&self) -> KvCache;

    /// Runs `ids` (batch, seq) u32, appended after what `cache` holds (positions continue); returns
    /// per-position logits and the last `n_hidden` hidden states, and extends `cache`.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] for ids that are not a non-empty (batch, seq) u32 tensor, a token id
    /// outside the vocabulary, a batch size other than the cache's, more positions than
    /// `max_position_embeddings`, or `n_hidden` above `L + 1`.
    fn forward(&self, ids: &Tensor, cache: &mut KvCache, n_hidden: usize) -> Result<LmOutput>;

    /// `log p(ids[t] | ids[..t])` for `t = 1..ids.len()`, in f64, from one full pass (log-sum-exp of the
    /// f32 logits in f64). A single token gives an empty vector.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] for an empty sequence or non-finite logits; those of
    /// [`CausalLm::forward`].
    fn sequence_log_probs(&self, ids: &[u32]) -> Result<Vec<f64>> {
        if ids.is_empty() {
            return Err(LlmError::invalid("ids", "[]", "at least one token"));
        }
        let input = Tensor::from_slice(ids, (1, ids.len()), self.device())?;
        let mut cache = self.new_cache();
        let out = self.forward(&input, &mut cache, 0)?;
        if ids.len() == 1 {
            return Ok(Vec::new());
        }
        let rows = out
            .logits
            .i(0)?
            .narrow(0, 0, ids.len() - 1)?
            .to_vec2::<f32>()?;
        rows.iter()
            .zip(&ids[1..])
            .map(|(row, &next)| token_log_prob(row, next))
            .collect()
    }
}

/// Per-token KL divergence between the next-token distributions of two models on the same tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TokenKl {
    /// Mean over positions of `KL(p_reference ‖ p_other)`, nats.
    pub mean: f64,
    /// Largest per-position KL, nats.
    pub max: f64,
    /// Positions compared.
    pub positions: usize,
}

/// `KL(p_reference ‖ p_other)` of the next-token distributions at every position of `ids`
/// (`(batch, seq)` u32), from one forward pass of each model, log-softmax in f64 (e.g. a quantised
/// base against its f32 weights, [`crate::quant`]'s tests).
///
/// # Errors
/// Model errors (ids outside the vocabulary, too long); models of different vocabularies.
pub fn next_token_kl<M: CausalLm>(reference: &M, other: &M, ids: &Tensor) -> Result<TokenKl> {
    let logits = |m: &M| -> Result<Vec<Vec<Vec<f32>>>> {
        let mut cache = m.new_cache();
        Ok(m.forward(ids, &mut cache, 0)?.logits.to_vec3::<f32>()?)
    };
    let (p, q) = (logits(reference)?, logits(other)?);
    let log_softmax = |row: &[f32]| -> Vec<f64> {
        let mx = row.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x as f64));
        let lse = mx + row.iter().map(|&x| (x as f64 - mx).exp()).sum::<f64>().ln();
        row.iter().map(|&x| x as f64 - lse).collect()
    };
    let (mut sum, mut max, mut n) = (0.0, 0.0f64, 0usize);
    for (pb, qb) in p.iter().zip(&q) {
        for (pr, qr) in pb.iter().zip(qb) {
            if pr.len() != qr.len() {
                return Err(LlmError::ShapeMismatch {
                    tensor: "logits".into(),
                    expected: vec![pr.len()],
                    found: vec![qr.len()],
                });
            }
            let (lp, lq) = (log_softmax(pr), log_softmax(qr));
            let kl: f64 = lp.iter().zip(&lq).map(|(a, b)| a.exp() * (a - b)).sum();
            let kl = kl.max(0.0);
            sum += kl;
            max = max.max(kl);
            n += 1;
        }
    }
    Ok(TokenKl {
        mean: sum / n.max(1) as f64,
        max,
        positions: n,
    })
}
