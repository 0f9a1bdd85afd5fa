//! Tests of the Mixtral model against independent references: a hand-written f64 forward pass (plain
//! loops over the same weights), a dense MoE reference, decoding orders (full / token-by-token /
//! chunked / batched) that must agree, and the locality the sliding window implies.

use std::collections::HashMap;

use candle_core::IndexOp;
use candle_nn::VarMap;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

/// Tolerances (f32 model, tiny widths, logits of order 1–5).
mod tol {
    /// Two f32 evaluation orders of the same function (full pass vs cached/chunked/batched): a few hundred
    /// ulps of f32 at magnitude ~5.
    pub const SAME_F32: f64 = 1e-5;
    /// The f32 model against the f64 hand-written reference (f32 rounding through two layers).
    pub const VS_F64_REFERENCE: f64 = 1e-4;
}

/// Builds `cfg` on a VarMap, sets every weight from a ChaCha8 stream (in name order) and rebuilds it.
/// Matrices: U(−a, a) with variance 1/fan_in; the embedding and `lm_head`: variance 1 and 1/hidden;
/// norm weights: 1 + U(−0.2, 0.2).
pub(crate) fn seeded(cfg: &MixtralConfig, seed: u64) -> (Mixtral, VarMap) {
    let varmap = VarMap::new();
    Mixtral::new(
        cfg,
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
    )
    .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let vars = varmap.data().lock().unwrap().clone();
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    for name in names {
        let var = &vars[name];
        let dims = var.dims().to_vec();
        let n: usize = dims.iter().product();
        let vals: Vec<f32> = if dims.len() == 1 {
            (0..n)
                .map(|_| 1.0 + 0.4 * (rng.random::<f32>() - 0.5))
                .collect()
        } else {
            let var_target = if name.contains("embed_tokens") {
                1.0
            } else {
                1.0 / dims[1] as f32
            };
            let a = (3.0 * var_target).sqrt();
            (0..n)
                .map(|_| a * (2.0 * rng.random::<f32>() - 1.0))
                .collect()
        };
        var.set(&Tensor::from_vec(vals, dims, &Device::Cpu).unwrap())
            .unwrap();
    }
    let model = Mixtral::new(
        cfg,
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
    )
    .unwrap();
    (model, varmap)
}

fn random_ids(n: usize, vocab: usize, seed: u64) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(0..vocab as u32)).collect()
}

fn ids_tensor(rows: &[&[u32]]) -> Tensor {
    let flat: Vec<u32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_vec(flat, (rows.len(), rows[0].len()), &Device::Cpu).unwrap()
}

/// (seq, vocab) logits of batch row `b`.
fn rows_of(t: &Tensor, b: usize) -> Vec<Vec<f32>> {
    t.i(b).unwrap().to_vec2::<f32>().unwrap()
}

#[track_caller]
fn assert_close(a: &[Vec<f32>], b: &[Vec<f32>], tol: f64, what: &str) -> f64 {
    assert_eq!(a.len(), b.len(), "{what}: row count");
    let mut worst = 0.0f64;
    for (ra, rb) in a.iter().zip(b) {
        assert_eq!(ra.len(), rb.len(), "{what}: row length");
        for (x, y) in ra.iter().zip(rb) {
            worst = worst.max((*x as f64 - *y as f64).abs());
        }
    }
    assert!(worst <= tol, "{what}: max abs diff {worst:e} > {tol:e}");
    worst
}

fn max_abs_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (*x as f64 - *y as f64).abs())
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------------------
// Hand-written f64 reference (plain loops; HF conventions spelled out independently of the model code).
// ---------------------------------------------------------------------------------------------------

struct Reference {
    cfg: MixtralConfig,
    /// name → (row-major values in f64, shape)
    w: HashMap<String, (Vec<f64>, Vec<usize>)>,
}

impl Reference {
    fn new(cfg: &MixtralConfig, varmap: &VarMap) -> Self {
        let w = varmap
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let vals = v
                    .flatten_all()
                    .unwrap()
                    .to_dtype(DType::F64)
                    .unwrap()
                    .to_vec1::<f64>()
                    .unwrap();
                (k.clone(), (vals, v.dims().to_vec()))
            })
            .collect();
        Reference {
            cfg: cfg.clone(),
            w,
        }
    }

    /// y = W x for W of shape (out, in).
    fn matvec(&self, name: &str, x: &[f64]) -> Vec<f64> {
        let (w, shape) = &self.w[name];
        let (rows, cols) = (shape[0], shape[1]);
        assert_eq!(cols, x.len(), "{name}");
        (0..rows)
            .map(|r| (0..cols).map(|c| w[r * cols + c] * x[c]).sum())
            .collect()
    }

    fn rmsnorm(&self, name: &str, x: &[f64]) -> Vec<f64> {
        let (g, _) = &self.w[name];
        let ms = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
        let r = 1.0 / (ms + self.cfg.rms_norm_eps).sqrt();
        x.iter().zip(g).map(|(v, g)| v * r * g).collect()
    }

    /// Rotate-half RoPE of one head vector at position `pos`.
    fn rope(&self, u: &[f64], pos: usize) -> Vec<f64> {
        let d = u.len();
        let half = d / 2;
        let mut out = vec![0.0; d];
        for i in 0..half {
            let angle = pos as f64 / self.cfg.rope_theta.powf(2.0 * i as f64 / d as f64);
            let (s, c) = angle.sin_cos();
            out[i] = u[i] * c - u[i + half] * s;
            out[i + half] = u[i + half] * c + u[i] * s;
        }
        out
    }

    /// The MoE block on one normed token: every expert computed, then the renormalised top-k sum.
    fn moe(&self, prefix: &str, x: &[f64]) -> Vec<f64> {
        let n_exp = self.cfg.num_local_experts;
        let logits = self.matvec(&format!("{prefix}.gate.weight"), x);
        let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = logits.iter().map(|l| (l - m).exp()).sum();
        let probs: Vec<f64> = logits.iter().map(|l| (l - m).exp() / z).collect();
        let dense: Vec<Vec<f64>> = (0..n_exp)
            .map(|e| {
                let p = format!("{prefix}.experts.{e}");
                let a = self.matvec(&format!("{p}.w1.weight"), x);
                let g = self.matvec(&format!("{p}.w3.weight"), x);
                let act: Vec<f64> = a
                    .iter()
                    .zip(&g)
                    .map(|(a, g)| a / (1.0 + (-a).exp()) * g)
                    .collect();
                self.matvec(&format!("{p}.w2.weight"), &act)
            })
            .collect();
        // top-k by (probability desc, index asc), by selection.
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..self.cfg.num_experts_per_tok {
            let mut best: Option<usize> = None;
            for e in 0..n_exp {
                if chosen.contains(&e) {
                    continue;
                }
                if best.is_none_or(|b| probs[e] > probs[b]) {
                    best = Some(e);
                }
            }
            chosen.push(best.unwrap());
        }
        let norm: f64 = chosen.iter().map(|&e| probs[e]).sum();
        let mut y = vec![0.0; x.len()];
        for &e in &chosen {
            for (yi, di) in y.iter_mut().zip(&dense[e]) {
                *yi += probs[e] / norm * di;
            }
        }
        y
    }

    /// Returns (logits per position, all L+1 HF hidden states per position).
    #[allow(clippy::type_complexity)]
    fn forward(&self, ids: &[u32]) -> (Vec<Vec<f64>>, Vec<Vec<Vec<f64>>>) {
        let c = &self.cfg;
        let (h, hd, nh, nkv) = (
            c.hidden_size,
            c.head_dim(),
            c.num_attention_heads,
            c.num_key_value_heads,
        );
        let (emb, _) = &self.w["model.embed_tokens.weight"];
        let mut x: Vec<Vec<f64>> = ids
            .iter()
            .map(|&t| emb[t as usize * h..(t as usize + 1) * h].to_vec())
            .collect();
        let mut hs = vec![x.clone()];
        let n = ids.len();
        for l in 0..c.num_hidden_layers {
            let p = format!("model.layers.{l}");
            let xn: Vec<Vec<f64>> = x
                .iter()
                .map(|v| self.rmsnorm(&format!("{p}.input_layernorm.weight"), v))
                .collect();
            let q: Vec<Vec<f64>> = xn
                .iter()
                .map(|v| self.matvec(&format!("{p}.self_attn.q_proj.weight"), v))
                .collect();
            let k: Vec<Vec<f64>> = xn
                .iter()
                .map(|v| self.matvec(&format!("{p}.self_attn.k_proj.weight"), v))
                .collect();
            let v: Vec<Vec<f64>> = xn
                .iter()
                .map(|v| self.matvec(&format!("{p}.self_attn.v_proj.weight"), v))
                .collect();
            let mut attn_out = vec![vec![0.0; nh * hd]; n];
            for head in 0..nh {
                let g = head / (nh / nkv);
                let qh: Vec<Vec<f64>> = (0..n)
                    .map(|t| self.rope(&q[t][head * hd..(head + 1) * hd], t))
                    .collect();
                let kh: Vec<Vec<f64>> = (0..n)
                    .map(|t| self.rope(&k[t][g * hd..(g + 1) * hd], t))
                    .collect();
                for t in 0..n {
                    let visible: Vec<usize> = (0..=t)
                        .filter(|&j| c.sliding_window.is_none_or(|w| t < j + w))
                        .collect();
                    let scores: Vec<f64> = visible
                        .iter()
                        .map(|&j| {
                            qh[t].iter().zip(&kh[j]).map(|(a, b)| a * b).sum::<f64>()
                                / (hd as f64).sqrt()
                        })
                        .collect();
                    let m = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let z: f64 = scores.iter().map(|s| (s - m).exp()).sum();
                    for (&j, s) in visible.iter().zip(&scores) {
                        let a = (s - m).exp() / z;
                        for d in 0..hd {
                            attn_out[t][head * hd + d] += a * v[j][g * hd + d];
                        }
                    }
                }
            }
            for t in 0..n {
                let o = self.matvec(&format!("{p}.self_attn.o_proj.weight"), &attn_out[t]);
                x[t].iter_mut().zip(&o).for_each(|(a, b)| *a += b);
                let xn2 = self.rmsnorm(&format!("{p}.post_attention_layernorm.weight"), &x[t]);
                let y = self.moe(&format!("{p}.block_sparse_moe"), &xn2);
                x[t].iter_mut().zip(&y).for_each(|(a, b)| *a += b);
            }
            if l + 1 < c.num_hidden_layers {
                hs.push(x.clone());
            }
        }
        let fin: Vec<Vec<f64>> = x
            .iter()
            .map(|v| self.rmsnorm("model.norm.weight", v))
            .collect();
        hs.push(fin.clone());
        let head = if c.tie_word_embeddings {
            "model.embed_tokens.weight"
        } else {
            "lm_head.weight"
        };
        let logits = fin.iter().map(|v| self.matvec(head, v)).collect();
        (logits, hs)
    }
}

fn to_f32(rows: &[Vec<f64>]) -> Vec<Vec<f32>> {
    rows.iter()
        .map(|r| r.iter().map(|&v| v as f32).collect())
        .collect()
}

/// A tiny config with a given window / layer count / tying.
fn cfg_with(vocab: usize, layers: usize, window: Option<usize>, tie: bool) -> MixtralConfig {
    MixtralConfig {
        num_hidden_layers: layers,
        sliding_window: window,
        tie_word_embeddings: tie,
        ..MixtralConfig::tiny(vocab)
    }
}

#[test]
fn forward_matches_hand_written_f64_reference() {
    // Covers RoPE (rotate-half, θ^(−2i/d)), GQA head mapping, sliding window, MoE, norms, tying.
    for (window, tie, seed) in [(None, false, 1u64), (Some(3), true, 2)] {
        let cfg = cfg_with(61, 2, window, tie);
        let (model, varmap) = seeded(&cfg, seed);
        let reference = Reference::new(&cfg, &varmap);
        let ids = random_ids(9, cfg.vocab_size, seed + 10);
        let (ref_logits, ref_hs) = reference.forward(&ids);
        let mut cache = model.new_cache();
        let out = model.forward(&ids_tensor(&[&ids]), &mut cache, 3).unwrap();
        let d = assert_close(
            &rows_of(&out.logits, 0),
            &to_f32(&ref_logits),
            tol::VS_F64_REFERENCE,
            "logits",
        );
        eprintln!("window {window:?} tie {tie}: logits vs f64 reference max abs diff {d:e}");
        // hidden[i] = HF hidden_states[L − i]: [norm(out_2), out_1, embeddings].
        for (i, hsd) in out.hidden.iter().enumerate() {
            let r = &ref_hs[cfg.num_hidden_layers - i];
            let d = assert_close(
                &rows_of(hsd, 0),
                &to_f32(r),
                tol::VS_F64_REFERENCE,
                "hidden",
            );
            eprintln!("  hidden[{i}] max abs diff {d:e}");
        }
        let spread = ref_logits
            .iter()
            .flatten()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            spread > 1.0,
            "logits should be O(1) for the test to bite, max |logit| = {spread}"
        );
        // Sequence log-probs against log-softmax of the reference logits (f64 throughout).
        let lp = model.sequence_log_probs(&ids).unwrap();
        let mut worst = 0.0f64;
        for (t, l) in lp.iter().enumerate() {
            let row = &ref_logits[t];
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            worst = worst.max((l - (row[ids[t + 1] as usize] - lse)).abs());
        }
        assert!(
            worst < tol::VS_F64_REFERENCE,
            "log-probs vs reference {worst:e}"
        );
        eprintln!("  sequence log-probs vs reference max abs diff {worst:e}");
    }
}

#[test]
fn moe_block_matches_dense_reference() {
    let cfg = MixtralConfig {
        num_local_experts: 5,
        num_experts_per_tok: 2,
        ..MixtralConfig::tiny(31)
    };
    let (model, varmap) = seeded(&cfg, 3);
    let reference = Reference::new(&cfg, &varmap);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let n = 13;
    let xs: Vec<f32> = (0..n * cfg.hidden_size)
        .map(|_| 2.0 * rng.random::<f32>() - 1.0)
        .collect();
    let x = Tensor::from_vec(xs.clone(), (n, cfg.hidden_size), &Device::Cpu).unwrap();
    for layer in 0..cfg.num_hidden_layers {
        let moe = &model.layers[layer].block_sparse_moe;
        let got = moe.forward(&x, None).unwrap().to_vec2::<f32>().unwrap();
        let want: Vec<Vec<f64>> = xs
            .chunks(cfg.hidden_size)
            .map(|row| {
                let row: Vec<f64> = row.iter().map(|&v| v as f64).collect();
                reference.moe(&format!("model.layers.{layer}.block_sparse_moe"), &row)
            })
            .collect();
        let d = assert_close(&got, &to_f32(&want), tol::VS_F64_REFERENCE, "moe");
        eprintln!("layer {layer}: MoE vs dense reference max abs diff {d:e}");
        // The routing is genuinely sparse: some expert is unused by some token.
        let probs = candle_nn::ops::softmax_last_dim(&moe.gate.forward(&x).unwrap())
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let routes = moe.route(&probs).unwrap();
        let used: std::collections::BTreeSet<usize> =
            routes.iter().flatten().map(|r| r.0).collect();
        assert!(
            used.len() > cfg.num_experts_per_tok,
            "tokens should spread over experts: {used:?}"
        );
        for r in &routes {
            let s: f32 = r.iter().map(|x| x.1).sum();
            assert!(
                (s - 1.0).abs() < 1e-6,
                "renormalised top-k weights sum to {s}"
            );
        }
    }
}

/// Log-probs of ids[t+1] from the logits at t, via the crate's f64 log-sum-exp.
fn next_token_log_probs(logit_rows: &[Vec<f32>], ids: &[u32]) -> Vec<f64> {
    logit_rows
        .iter()
        .zip(&ids[1..])
        .map(|(r, &t)| crate::causal_lm::token_log_prob(r, t).unwrap())
        .collect()
}

#[test]
fn full_pass_equals_incremental_and_chunked_decoding() {
    for window in [None, Some(4)] {
        let cfg = cfg_with(97, 2, window, false);
        let (model, _) = seeded(&cfg, 5);
        let ids = random_ids(12, cfg.vocab_size, 6);
        let full_lp = model.sequence_log_probs(&ids).unwrap();
        let mut cache = model.new_cache();
        let full = rows_of(
            &model
                .forward(&ids_tensor(&[&ids]), &mut cache, 0)
                .unwrap()
                .logits,
            0,
        );
        assert_eq!(cache.len(), ids.len());

        // Token by token.
        let mut cache = model.new_cache();
        let mut inc = Vec::new();
        for t in 0..ids.len() {
            let out = model
                .forward(&ids_tensor(&[&ids[t..t + 1]]), &mut cache, 0)
                .unwrap();
            inc.extend(rows_of(&out.logits, 0));
            assert_eq!(cache.len(), t + 1);
        }
        let d_inc = assert_close(&full, &inc, tol::SAME_F32, "token-by-token logits");
        // Chunked prefill 5 + 1 + 6.
        let mut cache = model.new_cache();
        let mut chunked = Vec::new();
        for (a, b) in [(0, 5), (5, 6), (6, 12)] {
            let out = model
                .forward(&ids_tensor(&[&ids[a..b]]), &mut cache, 0)
                .unwrap();
            chunked.extend(rows_of(&out.logits, 0));
        }
        let d_chunk = assert_close(&full, &chunked, tol::SAME_F32, "chunked logits");

        let inc_lp = next_token_log_probs(&inc[..ids.len() - 1], &ids);
        let lp_diff = full_lp
            .iter()
            .zip(&inc_lp)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            lp_diff <= tol::SAME_F32,
            "log-probs full vs incremental {lp_diff:e}"
        );
        assert_eq!(full_lp.len(), ids.len() - 1);
        assert!(full_lp.iter().all(|l| *l < 0.0 && l.is_finite()));
        eprintln!("window {window:?}: full vs incremental {d_inc:e}, vs chunked {d_chunk:e}, log-probs {lp_diff:e}");
    }
}

#[test]
fn batch_rows_equal_single_runs_and_select_keeps_rows() {
    let cfg = cfg_with(80, 2, Some(5), false);
    let (model, _) = seeded(&cfg, 7);
    let a = random_ids(8, cfg.vocab_size, 8);
    let b = random_ids(8, cfg.vocab_size, 9);
    let (a_next, b_next) = ([3u32, 17], [44u32, 2]);

    let mut cache = model.new_cache();
    let out = model
        .forward(&ids_tensor(&[&a, &b]), &mut cache, 2)
        .unwrap();
    assert_eq!(cache.batch_size(), Some(2));
    let mut single = Vec::new();
    for (seq, next) in [(&a, &a_next), (&b, &b_next)] {
        let mut c = model.new_cache();
        let o = model.forward(&ids_tensor(&[seq]), &mut c, 2).unwrap();
        let o2 = model.forward(&ids_tensor(&[next]), &mut c, 2).unwrap();
        single.push((o, o2));
    }
    let mut worst = 0.0f64;
    for (r, (first, _)) in single.iter().enumerate() {
        worst = worst.max(assert_close(
            &rows_of(&out.logits, r),
            &rows_of(&first.logits, 0),
            tol::SAME_F32,
            "logits",
        ));
        for k in 0..2 {
            worst = worst.max(assert_close(
                &rows_of(&out.hidden[k], r),
                &rows_of(&first.hidden[k], 0),
                tol::SAME_F32,
                "hidden",
            ));
        }
    }
    // Continue both rows in one batch with two more tokens each.
    let mut cont_cache = cache.try_clone().unwrap();
    let out2 = model
        .forward(&ids_tensor(&[&a_next, &b_next]), &mut cont_cache, 1)
        .unwrap();
    for (r, (_, second)) in single.iter().enumerate() {
        worst = worst.max(assert_close(
            &rows_of(&out2.logits, r),
            &rows_of(&second.logits, 0),
            tol::SAME_F32,
            "cont",
        ));
    }
    // select: keep row 1 only, then continue it alone.
    let mut only_b = cache.select(&[1]).unwrap();
    assert_eq!((only_b.batch_size(), only_b.len()), (Some(1), 8));
    let out_b = model
        .forward(&ids_tensor(&[&b_next]), &mut only_b, 0)
        .unwrap();
    worst = worst.max(assert_close(
        &rows_of(&out_b.logits, 0),
        &rows_of(&single[1].1.logits, 0),
        tol::SAME_F32,
        "select",
    ));
    // select with repeats: [0, 0] continues a twice.
    let mut aa = cache.select(&[0, 0]).unwrap();
    let out_aa = model
        .forward(&ids_tensor(&[&a_next, &a_next]), &mut aa, 0)
        .unwrap();
    for r in 0..2 {
        assert_close(
            &rows_of(&out_aa.logits, r),
            &rows_of(&single[0].1.logits, 0),
            tol::SAME_F32,
            "select repeat",
        );
    }
    // The original cache was not touched by the clone's or the selections' continuation.
    assert_eq!(cache.len(), 8);
    let out_again = model
        .forward(&ids_tensor(&[&a_next, &b_next]), &mut cache, 0)
        .unwrap();
    assert_close(
        &rows_of(&out_again.logits, 1),
        &rows_of(&single[1].1.logits, 0),
        tol::SAME_F32,
        "original",
    );
    // The two rows really differ (otherwise the test could not fail).
    assert!(max_abs_diff(&rows_of(&out.logits, 0), &rows_of(&out.logits, 1)) > 0.1);
    eprintln!("batch vs single max abs diff {worst:e}");

    assert!(matches!(
        cache.select(&[]),
        Err(LlmError::InvalidArgument { .. })
    ));
    assert!(matches!(
        cache.select(&[2]),
        Err(LlmError::InvalidArgument { .. })
    ));
}

#[test]
fn sliding_window_is_exactly_local() {
    let w = 3;
    let ids = random_ids(10, 70, 11);
    // One layer: position t depends on ids[t−w+1..=t] only.
    let cfg = cfg_with(70, 1, Some(w), false);
    let (model, varmap) = seeded(&cfg, 12);
    let mut c = model.new_cache();
    let full = rows_of(
        &model
            .forward(&ids_tensor(&[&ids]), &mut c, 0)
            .unwrap()
            .logits,
        0,
    );
    let mut worst = 0.0f64;
    for t in w - 1..ids.len() {
        let mut c = model.new_cache();
        let local = rows_of(
            &model
                .forward(&ids_tensor(&[&ids[t + 1 - w..=t]]), &mut c, 0)
                .unwrap()
                .logits,
            0,
        );
        worst = worst.max(assert_close(
            &full[t..=t],
            &local[w - 1..],
            tol::SAME_F32,
            "window-local logits",
        ));
    }
    // The same weights without a window give other logits from position w on.
    let no_window = MixtralConfig {
        sliding_window: None,
        ..cfg.clone()
    };
    let unwindowed = Mixtral::new(
        &no_window,
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
    )
    .unwrap();
    let mut c = unwindowed.new_cache();
    let full_nw = rows_of(
        &unwindowed
            .forward(&ids_tensor(&[&ids]), &mut c, 0)
            .unwrap()
            .logits,
        0,
    );
    assert_close(
        &full[..w],
        &full_nw[..w],
        tol::SAME_F32,
        "identical before the window bites",
    );
    let differ = max_abs_diff(&full[w..], &full_nw[w..]);
    assert!(differ > 1e-2, "window must matter: {differ:e}");
    eprintln!("1 layer, w = {w}: window-local max abs diff {worst:e}; vs no window {differ:.3}");

    // Two layers: the receptive field is 2(w − 1) + 1 tokens.
    let cfg2 = cfg_with(70, 2, Some(w), false);
    let (model2, _) = seeded(&cfg2, 13);
    let mut c = model2.new_cache();
    let full2 = rows_of(
        &model2
            .forward(&ids_tensor(&[&ids]), &mut c, 0)
            .unwrap()
            .logits,
        0,
    );
    let span = 2 * (w - 1) + 1;
    for t in span - 1..ids.len() {
        let mut c = model2.new_cache();
        let local = rows_of(
            &model2
                .forward(&ids_tensor(&[&ids[t + 1 - span..=t]]), &mut c, 0)
                .unwrap()
                .logits,
            0,
        );
        assert_close(
            &full2[t..=t],
            &local[span - 1..],
            tol::SAME_F32,
            "2-layer receptive field",
        );
        // One token less is not enough.
        let mut c = model2.new_cache();
        let short = rows_of(
            &model2
                .forward(&ids_tensor(&[&ids[t + 2 - span..=t]]), &mut c, 0)
                .unwrap()
                .logits,
            0,
        );
        assert!(max_abs_diff(&full2[t..=t], &short[span - 2..]) > 1e-4);
    }
}

fn varmap_shapes(varmap: &VarMap) -> Vec<(String, Vec<usize>)> {
    let mut v: Vec<(String, Vec<usize>)> = varmap
        .data()
        .lock()
        .unwrap()
        .iter()
        .map(|(k, t)| (k.clone(), t.dims().to_vec()))
        .collect();
    v.sort();
    v
}

#[test]
fn expected_tensors_are_exactly_what_new_reads() {
    for tie in [false, true] {
        let cfg = MixtralConfig {
            num_key_value_heads: 1,
            head_dim: Some(8),
            ..cfg_with(50, 3, None, tie)
        };
        let varmap = VarMap::new();
        Mixtral::new(
            &cfg,
            VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
        )
        .unwrap();
        let mut expected = cfg.expected_tensors();
        let n = expected.len();
        expected.sort();
        expected.dedup();
        assert_eq!(expected.len(), n, "no duplicate names");
        assert_eq!(varmap_shapes(&varmap), expected);
        assert_eq!(n, 1 + 3 * (4 + 1 + 3 * 4 + 2) + 1 + usize::from(!tie));
        assert!(expected
            .iter()
            .any(|(k, s)| k == "model.layers.2.self_attn.q_proj.weight" && s == &vec![32, 64]));
    }
}

#[test]
fn tied_model_reads_the_embedding_as_lm_head() {
    let cfg = cfg_with(40, 2, None, true);
    let (model, varmap) = seeded(&cfg, 14);
    let mut c = model.new_cache();
    let out = model
        .forward(&ids_tensor(&[&[1, 2, 3]]), &mut c, 1)
        .unwrap();
    let emb = varmap.data().lock().unwrap()["model.embed_tokens.weight"]
        .as_tensor()
        .clone();
    let manual = out.hidden[0]
        .i(0)
        .unwrap()
        .matmul(&emb.t().unwrap())
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    assert_close(
        &rows_of(&out.logits, 0),
        &manual,
        tol::SAME_F32,
        "tied logits",
    );
}

#[test]
fn hidden_states_follow_hf_order_and_count() {
    let cfg = cfg_with(45, 2, None, false);
    let (model, varmap) = seeded(&cfg, 15);
    let ids = random_ids(6, cfg.vocab_size, 16);
    let mut c = model.new_cache();
    let out = model
        .forward(&ids_tensor(&[&ids, &ids]), &mut c, 3)
        .unwrap();
    assert_eq!(out.hidden.len(), 3);
    assert_eq!(out.logits.dims(), &[2, 6, 45]);
    assert_eq!(out.logits.dtype(), DType::F32);
    for h in &out.hidden {
        assert_eq!((h.dims(), h.dtype()), (&[2usize, 6, 64][..], DType::F32));
    }
    // hidden[0] through lm_head gives the logits.
    let lm = varmap.data().lock().unwrap()["lm_head.weight"]
        .as_tensor()
        .clone();
    let manual = out.hidden[0]
        .i(1)
        .unwrap()
        .matmul(&lm.t().unwrap())
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    assert_close(
        &rows_of(&out.logits, 1),
        &manual,
        tol::SAME_F32,
        "lm_head(hidden[0])",
    );
    // hidden[2] of a 2-layer model is the embedding (HF hidden_states[0]).
    let emb = varmap.data().lock().unwrap()["model.embed_tokens.weight"]
        .as_tensor()
        .clone();
    let rows: Vec<Vec<f32>> = ids
        .iter()
        .map(|&t| emb.i(t as usize).unwrap().to_vec1::<f32>().unwrap())
        .collect();
    assert_close(&rows_of(&out.hidden[2], 0), &rows, 0.0, "embeddings");
    // n_hidden = 1 gives the same hidden[0]; 0 gives none; L + 2 is an error and leaves the cache alone.
    let mut c1 = model.new_cache();
    let one = model.forward(&ids_tensor(&[&ids]), &mut c1, 1).unwrap();
    assert_close(
        &rows_of(&one.hidden[0], 0),
        &rows_of(&out.hidden[0], 0),
        tol::SAME_F32,
        "n_hidden 1",
    );
    let mut c0 = model.new_cache();
    assert!(model
        .forward(&ids_tensor(&[&ids]), &mut c0, 0)
        .unwrap()
        .hidden
        .is_empty());
    let mut c4 = model.new_cache();
    let err = model.forward(&ids_tensor(&[&ids]), &mut c4, 4).unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::InvalidArgument {
                name: "n_hidden",
                ..
            }
        ),
        "{err}"
    );
    assert!(c4.is_empty());
}

#[test]
fn forward_rejects_bad_input_with_typed_errors() {
    let cfg = MixtralConfig {
        max_position_embeddings: 10,
        ..cfg_with(30, 2, None, false)
    };
    let (model, _) = seeded(&cfg, 17);
    let mut c = model.new_cache();
    let name = |e: LlmError| match e {
        LlmError::InvalidArgument { name, .. } => name,
        other => panic!("expected InvalidArgument, got {other}"),
    };
    assert_eq!(
        name(
            model
                .forward(&ids_tensor(&[&[1, 30]]), &mut c, 0)
                .unwrap_err()
        ),
        "token id"
    );
    let i64_ids = Tensor::new(&[[1i64, 2]], &Device::Cpu).unwrap();
    assert_eq!(
        name(model.forward(&i64_ids, &mut c, 0).unwrap_err()),
        "ids dtype"
    );
    let flat = Tensor::new(&[1u32, 2], &Device::Cpu).unwrap();
    assert_eq!(
        name(model.forward(&flat, &mut c, 0).unwrap_err()),
        "ids shape"
    );
    let empty = Tensor::zeros((1, 0), DType::U32, &Device::Cpu).unwrap();
    assert_eq!(
        name(model.forward(&empty, &mut c, 0).unwrap_err()),
        "ids shape"
    );
    assert!(c.is_empty());
    model
        .forward(&ids_tensor(&[&[1, 2, 3, 4, 5, 6]]), &mut c, 0)
        .unwrap();
    assert_eq!(
        name(
            model
                .forward(&ids_tensor(&[&[1], &[2]]), &mut c, 0)
                .unwrap_err()
        ),
        "ids batch"
    );
    assert_eq!(
        name(
            model
                .forward(&ids_tensor(&[&[1, 2, 3, 4, 5]]), &mut c, 0)
                .unwrap_err()
        ),
        "sequence length"
    );
    assert_eq!(c.len(), 6);
    assert!(model.sequence_log_probs(&[]).is_err());
    assert_eq!(model.sequence_log_probs(&[3]).unwrap(), Vec::<f64>::new());
    // After a reset the cache takes another batch size.
    c.reset();
    assert!(c.is_empty());
    model
        .forward(&ids_tensor(&[&[1], &[2], &[3]]), &mut c, 0)
        .unwrap();
    assert_eq!(c.batch_size(), Some(3));
}

#[test]
fn bf16_weights_load_on_cpu_as_their_f32_values() {
    // On the CPU, bf16 weights are upcast at load: the model must equal, bit for bit, the f32 model built
    // from the same (bf16-rounded) values, and its outputs are f32.
    let cfg = cfg_with(64, 2, None, false);
    let (_, varmap) = seeded(&cfg, 18);
    let rounded: HashMap<String, Tensor> = varmap
        .data()
        .lock()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().to_dtype(DType::BF16).unwrap()))
        .collect();
    let as_f32: HashMap<String, Tensor> = rounded
        .iter()
        .map(|(k, v)| (k.clone(), v.to_dtype(DType::F32).unwrap()))
        .collect();
    let m16 = Mixtral::new(
        &cfg,
        VarBuilder::from_tensors(rounded, DType::BF16, &Device::Cpu),
    )
    .unwrap();
    let m32 = Mixtral::new(
        &cfg,
        VarBuilder::from_tensors(as_f32, DType::F32, &Device::Cpu),
    )
    .unwrap();
    let (_, original) = seeded(&cfg, 18);
    let m_orig = Mixtral::new(
        &cfg,
        VarBuilder::from_varmap(&original, DType::F32, &Device::Cpu),
    )
    .unwrap();
    let ids = random_ids(7, 64, 19);
    let run = |m: &Mixtral| {
        let mut c = m.new_cache();
        let o = m.forward(&ids_tensor(&[&ids]), &mut c, 1).unwrap();
        assert_eq!(
            (o.logits.dtype(), o.hidden[0].dtype()),
            (DType::F32, DType::F32)
        );
        rows_of(&o.logits, 0)
    };
    let (l16, l32, lorig) = (run(&m16), run(&m32), run(&m_orig));
    assert_close(&l16, &l32, 0.0, "bf16-loaded vs f32 of the same values");
    // Rounding the weights to bf16 (relative 2^-9) moves the logits, but only a little.
    let d = max_abs_diff(&l16, &lorig);
    eprintln!("bf16-rounded vs original weights: logits max abs diff {d:e}");
    assert!(d > 0.0 && d < 0.1, "{d}");
}

#[test]
fn validate_names_the_offending_field() {
    let ok = MixtralConfig::tiny(100);
    ok.validate("tiny").unwrap();
    let cases: Vec<(MixtralConfig, &str)> = vec![
        (
            MixtralConfig {
                num_attention_heads: 5,
                ..ok.clone()
            },
            "num_attention_heads",
        ),
        (
            MixtralConfig {
                num_key_value_heads: 3,
                ..ok.clone()
            },
            "num_key_value_heads",
        ),
        (
            MixtralConfig {
                num_experts_per_tok: 5,
                ..ok.clone()
            },
            "num_experts_per_tok",
        ),
        (
            MixtralConfig {
                hidden_act: "gelu".into(),
                ..ok.clone()
            },
            "hidden_act",
        ),
        (
            MixtralConfig {
                vocab_size: 0,
                ..ok.clone()
            },
            "vocab_size",
        ),
        (
            MixtralConfig {
                head_dim: Some(7),
                ..ok.clone()
            },
            "head_dim",
        ),
        (
            MixtralConfig {
                rms_norm_eps: f64::NAN,
                ..ok.clone()
            },
            "rms_norm_eps",
        ),
        (
            MixtralConfig {
                sliding_window: Some(0),
                ..ok.clone()
            },
            "sliding_window",
        ),
        (
            MixtralConfig {
                eos_token_id: Some(100),
                ..ok.clone()
            },
            "eos_token_id",
        ),
        (
            MixtralConfig {
                model_type: "llama".into(),
                ..ok.clone()
            },
            "model_type",
        ),
    ];
    for (cfg, field) in cases {
        match cfg.validate("cfg.json") {
            Err(LlmError::Config { path, message }) => {
                assert_eq!(path, "cfg.json");
                assert!(message.contains(field), "{message:?} should name {field}");
            }
            other => panic!("{field}: expected Config error, got {other:?}"),
        }
    }
    // heads not dividing hidden is fine with an explicit head_dim (q_proj is then heads·head_dim wide).
    MixtralConfig {
        num_attention_heads: 6,
        num_key_value_heads: 2,
        head_dim: Some(8),
        ..ok.clone()
    }
    .validate("x")
    .unwrap();
    let bad = MixtralConfig {
        num_attention_heads: 6,
        ..ok
    };
    let err = Mixtral::new(&bad, VarBuilder::zeros(DType::F32, &Device::Cpu)).unwrap_err();
    assert!(err.to_string().contains("hidden_size"), "{err}");
}

/// `mistralai/Mixtral-8x7B-v0.1` config.json as published on the Hugging Face Hub.
const MIXTRAL_8X7B_CONFIG: &str = r#"{
  "architectures": ["MixtralForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2,
  "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336,
  "max_position_embeddings": 32768, "model_type": "mixtral", "num_attention_heads": 32,
  "num_experts_per_tok": 2, "num_hidden_layers": 32, "num_key_value_heads": 8, "num_local_experts": 8,
  "output_router_logits": false, "rms_norm_eps": 1e-05, "rope_theta": 1000000.0,
  "router_aux_loss_coef": 0.02, "sliding_window": null, "tie_word_embeddings": false,
  "torch_dtype": "bfloat16", "transformers_version": "4.36.0.dev0", "use_cache": true, "vocab_size": 32000
}"#;

#[test]
fn parses_the_mixtral_8x7b_config_and_counts_its_parameters() {
    let cfg: MixtralConfig = serde_json::from_str(MIXTRAL_8X7B_CONFIG).unwrap();
    cfg.validate("config.json").unwrap();
    assert_eq!(
        (cfg.head_dim(), cfg.sliding_window, cfg.eos_token_id),
        (128, None, Some(2))
    );
    let tensors = cfg.expected_tensors();
    assert_eq!(tensors.len(), 1 + 32 * (4 + 1 + 8 * 3 + 2) + 1 + 1);
    let params: usize = tensors
        .iter()
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    // Mistral AI's published total: 46.7B parameters; the exact count (HF num_parameters()) is 46 702 792 704.
    assert_eq!(params, 46_702_792_704);
    // Minimal config: defaults as HF's MixtralConfig.
    let min: MixtralConfig = serde_json::from_str(
        r#"{"vocab_size": 10, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
            "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 64}"#,
    )
    .unwrap();
    assert_eq!(
        (
            min.hidden_act.as_str(),
            min.rope_theta,
            min.num_local_experts,
            min.num_experts_per_tok
        ),
        ("silu", 1e6, 8, 2)
    );
    min.validate("min").unwrap();
    // Round trip.
    let back: MixtralConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
    assert_eq!(back, cfg);
}

/// Issue 11 §2: a transformers-5 config.json keeps θ in `rope_parameters`; it used to be ignored (θ
/// defaulted to 1e6: wrong logits, no error).
#[test]
fn reads_rope_theta_from_both_config_layouts() {
    let base = r#""vocab_size": 10, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
        "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 64"#;
    let parse =
        |extra: &str| serde_json::from_str::<MixtralConfig>(&format!("{{{base}, {extra}}}"));
    // transformers 5
    let v5 = parse(r#""rope_parameters": {"rope_theta": 10000.0, "rope_type": "default"}, "head_dim": null, "dtype": "float32""#)
        .unwrap();
    assert_eq!(v5.rope_theta, 1e4);
    assert_eq!(v5.head_dim, None);
    // transformers 4
    let v4 = parse(r#""rope_theta": 500000.0, "rope_scaling": null"#).unwrap();
    assert_eq!(v4.rope_theta, 5e5);
    // both, agreeing: fine; disagreeing: refused naming both
    assert_eq!(
        parse(r#""rope_theta": 250.0, "rope_parameters": {"rope_theta": 250.0, "rope_type": "default"}"#)
            .unwrap()
            .rope_theta,
        250.0
    );
    let err = parse(r#""rope_theta": 1.0, "rope_parameters": {"rope_theta": 2.0}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("disagrees"), "{err}");
    // rope_parameters without θ keeps the default
    assert_eq!(
        parse(r#""rope_parameters": {"rope_type": "default"}"#)
            .unwrap()
            .rope_theta,
        1e6
    );
    // the models built from the two layouts differ exactly as their θ do
    assert_ne!(v5.rope_theta, default_rope_theta());
}

/// Issue 11 §2: RoPE scaling we do not implement is refused naming its type, in either layout.
#[test]
fn refuses_rope_scaling_naming_its_type() {
    let base = r#""vocab_size": 10, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
        "num_attention_heads": 2, "num_key_value_heads": 1, "max_position_embeddings": 64"#;
    let parse =
        |extra: &str| serde_json::from_str::<MixtralConfig>(&format!("{{{base}, {extra}}}"));
    for (extra, name) in [
        (
            r#""rope_parameters": {"rope_theta": 1e6, "rope_type": "yarn", "factor": 4.0}"#,
            "yarn",
        ),
        (
            r#""rope_scaling": {"type": "linear", "factor": 2.0}"#,
            "linear",
        ),
        (
            r#""rope_scaling": {"rope_type": "llama3", "factor": 8.0}"#,
            "llama3",
        ),
    ] {
        let err = parse(extra).unwrap_err().to_string();
        assert!(
            err.contains(name) && err.contains("not implemented"),
            "{err}"
        );
    }
    let err = parse(r#""rope_parameters": 3"#).unwrap_err().to_string();
    assert!(err.contains("rope_parameters"), "{err}");
    // a default-typed rope_scaling object is plain RoPE
    parse(r#""rope_scaling": {"rope_type": "default"}"#).unwrap();
}

/// Issue 11 §2: the router logits of `forward_with_router_logits` are the gate of the normalised
/// post-attention stream, and the forward outputs are those of `forward`.
#[test]
fn router_logits_come_with_an_unchanged_forward() {
    let cfg = cfg_with(37, 2, None, false);
    let (model, _) = seeded(&cfg, 5);
    let ids = ids_tensor(&[&random_ids(6, 37, 1)]);
    let plain = model.forward(&ids, &mut model.new_cache(), 2).unwrap();
    let (out, router) = model
        .forward_with_router_logits(&ids, &mut model.new_cache(), 2)
        .unwrap();
    assert_eq!(router.len(), 2);
    assert_eq!(router[0].dims(), &[6, cfg.num_local_experts]);
    assert_eq!(
        max_abs_diff(&rows_of(&plain.logits, 0), &rows_of(&out.logits, 0)),
        0.0
    );
}
