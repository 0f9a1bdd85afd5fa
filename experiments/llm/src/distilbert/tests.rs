//! Tests of the DistilBERT classifier against an independent f64 implementation (plain loops), finite
//! differences, closed forms of the reward, and the HF checkpoint layout.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

const VOCAB: usize = 61;

/// A tiny model whose VarMap weights are overwritten with seeded values: embeddings U(−1, 1), layer-norm
/// weights 1 + U(−0.3, 0.3), biases U(−0.2, 0.2), linear weights U(−s, s) with s = 1.5·√3/√fan_in (so
/// pre-activations have s.d. ≈ 1.5 and GELU, softmax and ReLU all work away from their linear regimes).
fn tiny_model(cfg: &DistilBertConfig, seed: u64, dtype: DType) -> (VarMap, DistilBertClassifier) {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, dtype, &Device::Cpu);
    let model = DistilBertClassifier::new(cfg, vb).expect("tiny model builds");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = varmap.data().lock().expect("varmap lock");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        let var = &data[name];
        let dims = var.dims().to_vec();
        let n: usize = dims.iter().product();
        let vals: Vec<f64> = if name.ends_with("embeddings.weight") {
            (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
        } else if name.contains("LayerNorm.weight") || name.contains("layer_norm.weight") {
            (0..n).map(|_| 1.0 + rng.random_range(-0.3..0.3)).collect()
        } else if name.ends_with(".bias") {
            (0..n).map(|_| rng.random_range(-0.2..0.2)).collect()
        } else {
            let s = 1.5 * 3f64.sqrt() / (dims[1] as f64).sqrt();
            (0..n).map(|_| rng.random_range(-s..s)).collect()
        };
        let t = Tensor::from_vec(vals, dims, &Device::Cpu)
            .and_then(|t| t.to_dtype(dtype))
            .expect("tensor");
        var.set(&t).expect("set var");
    }
    drop(data);
    (varmap, model)
}

/// The same weights as plain tensors (no `Var`): the path a loaded checkpoint takes.
fn detached(cfg: &DistilBertConfig, varmap: &VarMap, dtype: DType) -> DistilBertClassifier {
    let ts: HashMap<String, Tensor> = varmap
        .data()
        .lock()
        .expect("lock")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().detach()))
        .collect();
    DistilBertClassifier::new(cfg, VarBuilder::from_tensors(ts, dtype, &Device::Cpu))
        .expect("detached model")
}

// ---------------------------------------------------------------------------------------------
// Independent reference: f64 loops over weights read out of the VarMap.

/// Weights by name, row-major f64.
struct RefWeights(HashMap<String, (Vec<usize>, Vec<f64>)>);

impl RefWeights {
    fn from_varmap(varmap: &VarMap) -> Self {
        let data = varmap.data().lock().expect("lock");
        RefWeights(
            data.iter()
                .map(|(k, v)| {
                    let t = v.as_tensor().to_dtype(DType::F64).expect("f64");
                    let vals = t
                        .flatten_all()
                        .expect("flatten")
                        .to_vec1::<f64>()
                        .expect("vec");
                    (k.clone(), (t.dims().to_vec(), vals))
                })
                .collect(),
        )
    }
    fn get(&self, name: &str) -> &[f64] {
        &self.0[name].1
    }
    /// y = W x + b with W stored (out, in).
    fn linear(&self, prefix: &str, x: &[f64]) -> Vec<f64> {
        let (dims, w) = &self.0[&format!("{prefix}.weight")];
        let b = self.get(&format!("{prefix}.bias"));
        let (out, inp) = (dims[0], dims[1]);
        assert_eq!(inp, x.len());
        (0..out)
            .map(|i| b[i] + (0..inp).map(|j| w[i * inp + j] * x[j]).sum::<f64>())
            .collect()
    }
    fn layer_norm(&self, prefix: &str, x: &[f64]) -> Vec<f64> {
        let (g, b) = (
            self.get(&format!("{prefix}.weight")),
            self.get(&format!("{prefix}.bias")),
        );
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let inv = 1.0 / (var + 1e-12).sqrt();
        x.iter()
            .enumerate()
            .map(|(i, v)| (v - mean) * inv * g[i] + b[i])
            .collect()
    }
}

/// erf by its Maclaurin series for |z| < 2.5 and the Laplace continued fraction of erfc beyond
/// (both to ~1e-15 there); checked against tabulated values in `reference_erf_matches_tables`.
fn ref_erf(z: f64) -> f64 {
    let a = z.abs();
    let v = if a < 2.5 {
        let (mut term, mut sum, mut n) = (a, a, 0.0);
        loop {
            n += 1.0;
            term *= -a * a / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() < 1e-18 {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        let mut t = a;
        for k in (1..=200).rev() {
            t = a + (k as f64 / 2.0) / t;
        }
        1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / t
    };
    v.copysign(z)
}

fn ref_gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + ref_erf(x / std::f64::consts::SQRT_2))
}

/// Logits of one sequence: only positions with mask ≠ 0 are attended to (masked keys are left out of
/// the softmax altogether).
fn ref_logits(cfg: &DistilBertConfig, w: &RefWeights, ids: &[u32], mask: &[u32]) -> Vec<f64> {
    let (d, h) = (cfg.dim, cfg.n_heads);
    let hd = d / h;
    let word = w.get("distilbert.embeddings.word_embeddings.weight");
    let pos = w.get("distilbert.embeddings.position_embeddings.weight");
    let mut x: Vec<Vec<f64>> = ids
        .iter()
        .enumerate()
        .map(|(t, &id)| {
            let e: Vec<f64> = (0..d)
                .map(|j| word[id as usize * d + j] + pos[t * d + j])
                .collect();
            w.layer_norm("distilbert.embeddings.LayerNorm", &e)
        })
        .collect();
    let l = ids.len();
    for layer in 0..cfg.n_layers {
        let p = format!("distilbert.transformer.layer.{layer}");
        let q: Vec<Vec<f64>> = x
            .iter()
            .map(|r| w.linear(&format!("{p}.attention.q_lin"), r))
            .collect();
        let k: Vec<Vec<f64>> = x
            .iter()
            .map(|r| w.linear(&format!("{p}.attention.k_lin"), r))
            .collect();
        let v: Vec<Vec<f64>> = x
            .iter()
            .map(|r| w.linear(&format!("{p}.attention.v_lin"), r))
            .collect();
        let mut next = Vec::with_capacity(l);
        for t in 0..l {
            let mut ctx = vec![0.0; d];
            for head in 0..h {
                let r = head * hd..(head + 1) * hd;
                let keys: Vec<usize> = (0..l).filter(|&s| mask[s] != 0).collect();
                let sc: Vec<f64> = keys
                    .iter()
                    .map(|&s| {
                        r.clone().map(|j| q[t][j] * k[s][j]).sum::<f64>() / (hd as f64).sqrt()
                    })
                    .collect();
                let m = sc.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let ex: Vec<f64> = sc.iter().map(|s| (s - m).exp()).collect();
                let z: f64 = ex.iter().sum();
                for (wgt, &s) in ex.iter().zip(&keys) {
                    for j in r.clone() {
                        ctx[j] += wgt / z * v[s][j];
                    }
                }
            }
            let att = w.linear(&format!("{p}.attention.out_lin"), &ctx);
            let res: Vec<f64> = att.iter().zip(&x[t]).map(|(a, b)| a + b).collect();
            let sa = w.layer_norm(&format!("{p}.sa_layer_norm"), &res);
            let inner: Vec<f64> = w
                .linear(&format!("{p}.ffn.lin1"), &sa)
                .into_iter()
                .map(ref_gelu)
                .collect();
            let ffn = w.linear(&format!("{p}.ffn.lin2"), &inner);
            let res: Vec<f64> = ffn.iter().zip(&sa).map(|(a, b)| a + b).collect();
            next.push(w.layer_norm(&format!("{p}.output_layer_norm"), &res));
        }
        x = next;
    }
    let hidden: Vec<f64> = w
        .linear("pre_classifier", &x[0])
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    w.linear("classifier", &hidden)
}

fn ids_tensor(rows: &[Vec<u32>]) -> Tensor {
    let l = rows[0].len();
    Tensor::from_vec(rows.concat(), (rows.len(), l), &Device::Cpu).expect("ids")
}

fn logits_rows(t: &Tensor) -> Vec<Vec<f64>> {
    t.to_dtype(DType::F64)
        .expect("f64")
        .to_vec2::<f64>()
        .expect("vec2")
}

fn random_ids(rng: &mut ChaCha8Rng, n: usize) -> Vec<u32> {
    (0..n).map(|_| rng.random_range(1..VOCAB as u32)).collect()
}

#[test]
fn reference_erf_matches_tables() {
    // erf values from Abramowitz & Stegun / high-precision tables.
    for (z, e) in [
        (0.1, 0.1124629160182849),
        (0.5, 0.5204998778130465),
        (1.0, 0.8427007929497149),
        (2.0, 0.9953222650189527),
        (2.4, 0.999311486103355),
        (2.6, 0.9997639655834707),
        (3.0, 0.9999779095030014),
        (-1.0, -0.8427007929497149),
    ] {
        assert!(
            (ref_erf(z) - e).abs() < 1e-14,
            "erf({z}) = {} vs {e}",
            ref_erf(z)
        );
    }
    // erfc(3) = 2.209049699858544e-5: the continued fraction is accurate in the tail.
    assert!(((1.0 - ref_erf(3.0)) / 2.209049699858544e-5 - 1.0).abs() < 1e-9);
}

/// (1) The model equals the hand-written f64 implementation on the same weights, with padding.
#[test]
fn logits_match_independent_reference() {
    let cfg = DistilBertConfig::tiny(VOCAB);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let l = 9;
    // Row 1 is 5 real tokens then 4 padded positions holding arbitrary (non-pad) ids: a model that
    // attended to them would differ.
    let rows = vec![
        random_ids(&mut rng, l),
        random_ids(&mut rng, l),
        random_ids(&mut rng, l),
    ];
    let masks = vec![
        vec![1u32; l],
        [vec![1u32; 5], vec![0u32; 4]].concat(),
        [vec![1u32; 8], vec![0u32; 1]].concat(),
    ];
    let mask_t = ids_tensor(&masks);
    for (dtype, tol) in [(DType::F32, 1e-5), (DType::F64, 1e-11)] {
        let (varmap, model) = tiny_model(&cfg, 11, dtype);
        let w = RefWeights::from_varmap(&varmap);
        let expect: Vec<Vec<f64>> = rows
            .iter()
            .zip(&masks)
            .map(|(r, m)| ref_logits(&cfg, &w, r, m))
            .collect();
        let plain = detached(&cfg, &varmap, dtype);
        for (path, m) in [
            ("var (composed softmax)", &model),
            ("plain (fused softmax)", &plain),
        ] {
            let got = logits_rows(&m.forward(&ids_tensor(&rows), &mask_t).expect("forward"));
            let mut worst: f64 = 0.0;
            for (g, e) in got.iter().zip(&expect) {
                for (a, b) in g.iter().zip(e) {
                    worst = worst.max((a - b).abs() / b.abs().max(1.0));
                }
            }
            eprintln!("{dtype:?} {path}: logits {got:?}, max rel err vs reference {worst:.2e}");
            assert!(worst < tol, "{dtype:?} {path}: {worst:e}");
        }
        // The padded row is not a trivial one: its logits differ from the unpadded rows'.
        assert!((expect[1][1] - expect[0][1]).abs() > 1e-3);
    }
}

/// A half-precision model (f16; candle's CPU matmul has no bf16) runs, with f32 statistics, close to
/// the f32 logits.
#[test]
fn half_precision_models_track_f32() {
    let cfg = DistilBertConfig::tiny(VOCAB);
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let batch: Vec<Vec<u32>> = [6, 3, 9].iter().map(|&n| random_ids(&mut rng, n)).collect();
    let (varmap, _) = tiny_model(&cfg, 11, DType::F32);
    let want = detached(&cfg, &varmap, DType::F32)
        .score_ids(&batch)
        .expect("f32");
    let got = detached(&cfg, &varmap, DType::F16)
        .score_ids(&batch)
        .expect("half");
    let worst = got
        .iter()
        .zip(&want)
        .flat_map(|(g, w)| g.logits.iter().zip(&w.logits).map(|(a, b)| (a - b).abs()))
        .fold(0.0, f64::max);
    eprintln!("F16: max |logit - f32 logit| = {worst:.2e}");
    assert!(worst < 0.02);
}

/// (2) A padded batch scores each sequence as if alone; padding ids do not matter.
#[test]
fn padded_batch_equals_each_alone() {
    let cfg = DistilBertConfig::tiny(VOCAB);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let batch: Vec<Vec<u32>> = [1, 4, 11, 2, 7]
        .iter()
        .map(|&n| random_ids(&mut rng, n))
        .collect();
    for (dtype, tol) in [(DType::F32, 1e-5), (DType::F64, 1e-12)] {
        let (varmap, _) = tiny_model(&cfg, 5, dtype);
        let model = detached(&cfg, &varmap, dtype);
        let together = model.score_ids(&batch).expect("batch");
        let mut worst: f64 = 0.0;
        for (seq, s) in batch.iter().zip(&together) {
            let alone = &model.score_ids(std::slice::from_ref(seq)).expect("alone")[0];
            for (a, b) in s.logits.iter().zip(&alone.logits) {
                worst = worst.max((a - b).abs());
            }
            assert_eq!(s.label, alone.label);
        }
        eprintln!("{dtype:?}: max |logit(batched) - logit(alone)| = {worst:.2e}");
        assert!(worst < tol);
    }
}

/// (3a) forward_embeds(E[ids]) == forward(ids).
#[test]
fn forward_embeds_equals_forward() {
    let cfg = DistilBertConfig::tiny(VOCAB);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let rows = vec![random_ids(&mut rng, 6), random_ids(&mut rng, 6)];
    let mask = ids_tensor(&[vec![1; 6], vec![1, 1, 1, 0, 0, 0]]);
    let (varmap, _) = tiny_model(&cfg, 2, DType::F32);
    let model = detached(&cfg, &varmap, DType::F32);
    let ids = ids_tensor(&rows);
    let a = logits_rows(&model.forward(&ids, &mask).expect("forward"));
    let emb = model
        .word_embeddings()
        .index_select(&ids.flatten_all().expect("flat"), 0)
        .expect("select");
    let emb = emb.reshape((2, 6, cfg.dim)).expect("reshape");
    let b = logits_rows(&model.forward_embeds(&emb, &mask).expect("forward_embeds"));
    assert_eq!(a, b, "same ops on the same embeddings");
    // With a Var input (the composed softmax path) the logits agree to f32 rounding.
    let var = Var::from_tensor(&emb).expect("var");
    let c = logits_rows(
        &model
            .forward_embeds(var.as_tensor(), &mask)
            .expect("forward_embeds var"),
    );
    let worst = a
        .iter()
        .flatten()
        .zip(c.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    eprintln!("fused vs composed softmax path: max |Δlogit| = {worst:.2e}");
    assert!(worst < 1e-5);
}

/// (3b) ∂ logit(POSITIVE)/∂ input embeddings by candle's backward (f64 model, plain weights as a loaded
/// checkpoint, a Var input as ACG) equals central finite differences; padded positions get exactly 0.
#[test]
fn embedding_gradient_matches_finite_differences() {
    let cfg = DistilBertConfig::tiny(VOCAB);
    let (varmap, _) = tiny_model(&cfg, 13, DType::F64);
    let model = detached(&cfg, &varmap, DType::F64);
    let pos = model.positive_index().expect("positive");
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let (b, l, d) = (2, 5, cfg.dim);
    let ids = ids_tensor(&[random_ids(&mut rng, l), random_ids(&mut rng, l)]);
    let mask = ids_tensor(&[vec![1; 5], vec![1, 1, 1, 0, 0]]);
    let emb = model
        .word_embeddings()
        .index_select(&ids.flatten_all().expect("flat"), 0)
        .expect("select");
    let emb = emb.reshape((b, l, d)).expect("reshape");
    let objective = |e: &Tensor| -> Tensor {
        model
            .forward_embeds(e, &mask)
            .expect("fwd")
            .narrow(1, pos, 1)
            .expect("narrow")
            .sum_all()
            .expect("sum")
    };
    let var = Var::from_tensor(&emb).expect("var");
    let grads = objective(var.as_tensor()).backward().expect("backward");
    let g = grads
        .get(var.as_tensor())
        .expect("grad of the input")
        .flatten_all()
        .expect("flat");
    let g = g.to_vec1::<f64>().expect("vec");
    let base = emb
        .flatten_all()
        .expect("flat")
        .to_vec1::<f64>()
        .expect("vec");
    let h = 1e-5;
    let gmax = g.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let mut worst: f64 = 0.0;
    for i in 0..base.len() {
        let at = |delta: f64| {
            let mut v = base.clone();
            v[i] += delta;
            let t = Tensor::from_vec(v, (b, l, d), &Device::Cpu).expect("t");
            objective(&t).to_scalar::<f64>().expect("scalar")
        };
        let fd = (at(h) - at(-h)) / (2.0 * h);
        worst = worst.max((fd - g[i]).abs() / gmax);
        let (row, t) = (i / (l * d), (i / d) % l);
        if row == 1 && t >= 3 {
            assert_eq!(g[i], 0.0, "padded position {t} has gradient {}", g[i]);
            assert!(fd.abs() < 1e-9);
        }
    }
    eprintln!(
        "max |fd - backward| / max|grad| = {worst:.2e} over {} coordinates (max|grad| = {gmax:.3})",
        base.len()
    );
    assert!(gmax > 1e-2, "the gradient is not trivially small");
    assert!(worst < 1e-6);
}

fn sst2_like(pos_first: bool) -> DistilBertConfig {
    let mut cfg = DistilBertConfig::tiny(VOCAB);
    if pos_first {
        cfg.id2label = [("0", "POSITIVE"), ("1", "NEGATIVE")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    }
    cfg
}

/// (4) The Cohen reward never lies in (0.25, 0.75), equals p₊/2 + ½·[POSITIVE], and takes exact
/// values on chosen logits.
#[test]
fn cohen_reward_gap_and_exact_values() {
    let cfg = sst2_like(false);
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    for case in 0..10_000 {
        let scale = if case % 2 == 0 { 1.0 } else { 25.0 };
        let mut logits = vec![
            rng.random_range(-scale..scale),
            rng.random_range(-scale..scale),
        ];
        if case % 97 == 0 {
            logits[1] = logits[0]; // ties
        }
        let s = Sentiment::from_logits(&cfg, &logits).expect("sentiment");
        let r = cohen_reward(&s);
        assert!(
            (0.0..=0.25).contains(&r) || (0.75..=1.0).contains(&r),
            "reward {r} for {logits:?}"
        );
        let p_pos = 1.0 / (1.0 + (logits[0] - logits[1]).exp());
        let closed = p_pos / 2.0 + if logits[1] > logits[0] { 0.5 } else { 0.0 };
        assert!((r - closed).abs() < 1e-12, "{r} vs {closed}");
        assert!((s.p_positive - p_pos).abs() < 1e-12 && s.score >= 0.5);
        assert_eq!(logit_margin(&s), logits[1] - logits[0]);
    }
    let reward = |cfg: &DistilBertConfig, l: [f64; 2]| {
        cohen_reward(&Sentiment::from_logits(cfg, &l).expect("s"))
    };
    assert!((reward(&cfg, [0.0, 3f64.ln()]) - 0.875).abs() < 1e-15); // POSITIVE, p = 3/4
    assert!((reward(&cfg, [4f64.ln(), 0.0]) - 0.1).abs() < 1e-15); // NEGATIVE, score 0.8
    assert_eq!(reward(&cfg, [0.0, 0.0]), 0.25); // tie → index 0 = NEGATIVE, score ½
    assert_eq!(reward(&sst2_like(true), [0.0, 0.0]), 0.75); // tie → index 0 = POSITIVE
    let s = Sentiment::from_logits(&cfg, &[0.3, -1.2]).expect("s");
    assert_eq!((s.label.as_str(), s.positive), ("NEGATIVE", false));
    assert!((logit_margin(&s) + 1.5).abs() < 1e-15);
    let s = Sentiment::from_logits(&sst2_like(true), &[0.3, -1.2]).expect("s");
    assert_eq!((s.label.as_str(), s.positive), ("POSITIVE", true));
    assert!((logit_margin(&s) - 1.5).abs() < 1e-15);
    // Extreme logits stay exact in log space: p₊ = σ(−600) ≈ e^−600 is not rounded to 0, and the
    // top score is exactly 1.
    let s = Sentiment::from_logits(&cfg, &[300.0, -300.0]).expect("s");
    assert!(s.p_positive > 0.0 && (s.p_positive.ln() + 600.0).abs() < 1e-9 && s.score == 1.0);
    assert!(Sentiment::from_logits(&cfg, &[f64::NAN, 0.0]).is_err());
    assert!(Sentiment::from_logits(&cfg, &[0.0]).is_err());
}

/// (5) Label and config checks.
#[test]
fn positive_index_and_validate_errors() {
    let cfg = DistilBertConfig::tiny(VOCAB);
    assert_eq!(cfg.positive_index("c").expect("ok"), 1);
    assert_eq!(sst2_like(true).positive_index("c").expect("ok"), 0);
    let mut three = cfg.clone();
    three.id2label.insert("2".into(), "NEUTRAL".into());
    assert!(three.validate("c").is_ok());
    assert!(matches!(
        three.positive_index("c"),
        Err(LlmError::NotAClassifier { .. })
    ));
    let mut no_pos = cfg.clone();
    no_pos.id2label.insert("1".into(), "LABEL_1".into());
    assert!(matches!(
        no_pos.positive_index("c"),
        Err(LlmError::NotAClassifier { .. })
    ));
    assert!(matches!(
        DistilBertConfig::default().positive_index("c"),
        Err(LlmError::NotAClassifier { .. })
    ));
    let mut twice = cfg.clone();
    twice.id2label.insert("0".into(), "positive".into());
    assert!(matches!(
        twice.positive_index("c"),
        Err(LlmError::NotAClassifier { .. })
    ));
    let mut lower = cfg.clone();
    lower.id2label.insert("1".into(), "Positive".into());
    assert_eq!(lower.positive_index("c").expect("case-insensitive"), 1);

    let config_err = |c: &DistilBertConfig| matches!(c.validate("c"), Err(LlmError::Config { .. }));
    let mut heads = cfg.clone();
    heads.n_heads = 3; // 32 % 3 != 0
    assert!(config_err(&heads));
    assert!(matches!(
        DistilBertClassifier::new(
            &heads,
            VarBuilder::from_varmap(&VarMap::new(), DType::F32, &Device::Cpu)
        ),
        Err(LlmError::Config { .. })
    ));
    let mut act = cfg.clone();
    act.activation = "relu".into();
    assert!(config_err(&act));
    let mut pad = cfg.clone();
    pad.pad_token_id = VOCAB as u32;
    assert!(config_err(&pad));
    let mut keys = cfg.clone();
    keys.id2label.remove("0");
    keys.id2label.insert("2".into(), "NEGATIVE".into());
    assert!(config_err(&keys));
    let mut zero = cfg.clone();
    zero.n_layers = 0;
    assert!(config_err(&zero));
    let mut arch = cfg.clone();
    arch.architectures = vec!["DistilBertForMaskedLM".into()];
    assert!(matches!(
        arch.validate("c"),
        Err(LlmError::NotAClassifier { .. })
    ));
    assert!(DistilBertConfig::tiny(VOCAB).validate("c").is_ok());
}

/// The config.json of `distilbert-base-uncased-finetuned-sst-2-english` parses and describes
/// 66 955 010 parameters (the count HF reports for the model).
#[test]
fn sst2_config_parses_and_counts_parameters() {
    let json = r#"{
      "activation": "gelu", "architectures": ["DistilBertForSequenceClassification"],
      "attention_dropout": 0.1, "dim": 768, "dropout": 0.1, "finetuning_task": "sst-2",
      "hidden_dim": 3072, "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}, "initializer_range": 0.02,
      "label2id": {"NEGATIVE": 0, "POSITIVE": 1}, "max_position_embeddings": 512,
      "model_type": "distilbert", "n_heads": 12, "n_layers": 6, "output_past": true, "pad_token_id": 0,
      "qa_dropout": 0.1, "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": false, "tie_weights_": true,
      "vocab_size": 30522 }"#;
    let cfg: DistilBertConfig = serde_json::from_str(json).expect("parses");
    cfg.validate("config.json").expect("valid");
    assert_eq!(cfg.positive_index("config.json").expect("pos"), 1);
    let t = cfg.expected_tensors();
    assert_eq!(t.len(), 4 + 6 * 16 + 4);
    let params: usize = t.iter().map(|(_, s)| s.iter().product::<usize>()).sum();
    assert_eq!(params, 66_955_010);
    // A minimal config takes HF's defaults.
    let min: DistilBertConfig = serde_json::from_str("{}").expect("defaults");
    assert_eq!(
        (min.dim, min.n_layers, min.vocab_size, min.num_labels()),
        (768, 6, 30522, 2)
    );
}

/// (6) expected_tensors() is exactly what `new` creates in a VarMap; a missing or misshapen tensor is a
/// typed error.
#[test]
fn expected_tensors_match_varmap_and_bad_weights_are_typed() {
    let cfg = DistilBertConfig::tiny(VOCAB);
    let (varmap, _) = tiny_model(&cfg, 1, DType::F32);
    let mut got: Vec<(String, Vec<usize>)> = varmap
        .data()
        .lock()
        .expect("lock")
        .iter()
        .map(|(k, v)| (k.clone(), v.dims().to_vec()))
        .collect();
    got.sort();
    let mut want = cfg.expected_tensors();
    want.sort();
    assert_eq!(got, want);

    let full: HashMap<String, Tensor> = varmap
        .data()
        .lock()
        .expect("lock")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().detach()))
        .collect();
    let mut missing = full.clone();
    missing.remove("distilbert.transformer.layer.1.ffn.lin2.bias");
    match DistilBertClassifier::new(
        &cfg,
        VarBuilder::from_tensors(missing, DType::F32, &Device::Cpu),
    ) {
        Err(LlmError::MissingTensor { tensor, .. }) => {
            assert_eq!(tensor, "distilbert.transformer.layer.1.ffn.lin2.bias")
        }
        other => panic!("expected MissingTensor, got {other:?}"),
    }
    let mut wrong = full.clone();
    wrong.insert(
        "classifier.weight".into(),
        Tensor::zeros((3, cfg.dim), DType::F32, &Device::Cpu).expect("z"),
    );
    match DistilBertClassifier::new(
        &cfg,
        VarBuilder::from_tensors(wrong, DType::F32, &Device::Cpu),
    ) {
        Err(LlmError::ShapeMismatch {
            tensor,
            expected,
            found,
        }) => {
            assert_eq!(
                (tensor.as_str(), expected, found),
                ("classifier.weight", vec![2, cfg.dim], vec![3, cfg.dim])
            )
        }
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    assert!(matches!(
        DistilBertClassifier::new(
            &cfg,
            VarBuilder::from_tensors(full, DType::U32, &Device::Cpu)
        ),
        Err(LlmError::UnsupportedDtype { .. })
    ));
}

/// Bad inputs are typed errors; over-long sequences are truncated by score_ids and refused by forward.
#[test]
fn input_errors_and_truncation() {
    let cfg = DistilBertConfig::tiny(VOCAB);
    let (varmap, _) = tiny_model(&cfg, 4, DType::F32);
    let model = detached(&cfg, &varmap, DType::F32);
    let invalid = |r: Result<Vec<Sentiment>>| matches!(r, Err(LlmError::InvalidArgument { .. }));
    assert!(invalid(model.score_ids(&[])));
    assert!(invalid(model.score_ids(&[vec![1, 2], vec![]])));
    assert!(invalid(model.score_ids(&[vec![1, VOCAB as u32]])));
    let ids = ids_tensor(&[vec![1, 2, 3]]);
    let bad = |r: Result<Tensor>| matches!(r, Err(LlmError::InvalidArgument { .. }));
    assert!(bad(model.forward(&ids, &ids_tensor(&[vec![1, 1]]))));
    assert!(bad(model.forward(
        &ids_tensor(&[vec![1, 99]]),
        &ids_tensor(&[vec![1, 1]])
    )));
    assert!(bad(
        model.forward(&ids.to_dtype(DType::F32).expect("f32"), &ids)
    ));
    let e = Tensor::zeros((1, 3, cfg.dim), DType::F64, &Device::Cpu).expect("z");
    assert!(bad(model.forward_embeds(&e, &ids)));
    let e = Tensor::zeros((1, 3, cfg.dim + 1), DType::F32, &Device::Cpu).expect("z");
    assert!(bad(model.forward_embeds(&e, &ids)));

    let max = cfg.max_position_embeddings;
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let long = random_ids(&mut rng, max + 7);
    let mask = Tensor::ones((1, max + 7), DType::U32, &Device::Cpu).expect("ones");
    assert!(bad(
        model.forward(&ids_tensor(std::slice::from_ref(&long)), &mask)
    ));
    let cut = model
        .score_ids(std::slice::from_ref(&long))
        .expect("truncated");
    let head = model.score_ids(&[long[..max].to_vec()]).expect("head");
    assert_eq!(cut[0].logits, head[0].logits);

    let mut three = cfg.clone();
    three.id2label.insert("2".into(), "NEUTRAL".into());
    let (_, m3) = tiny_model(&three, 4, DType::F32);
    assert!(matches!(
        m3.score_ids(&[vec![1]]),
        Err(LlmError::NotAClassifier { .. })
    ));
    // A 3-label model still runs forward.
    assert_eq!(
        m3.forward(&ids, &ids_tensor(&[vec![1, 1, 1]]))
            .expect("fwd")
            .dims(),
        &[1, 3]
    );
}

/// A word-level tokenizer with a BERT-style `[CLS] $A [SEP]` post-processor.
fn test_tokenizer() -> tokenizers::Tokenizer {
    let json = r#"{
      "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
      "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
      "post_processor": {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
        "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                           "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}},
      "decoder": null,
      "model": {"type": "WordLevel", "unk_token": "[UNK]",
        "vocab": {"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[UNK]": 3, "good": 4, "bad": 5, "day": 6, "a": 7}}
    }"#;
    json.parse().expect("tokenizer json")
}

/// score_texts = score_ids of `[CLS] tokens [SEP]`; the empty text is `[CLS] [SEP]`; long texts keep
/// their `[SEP]`.
#[test]
fn score_texts_adds_special_tokens_and_truncates_before_them() {
    let cfg = DistilBertConfig::tiny(VOCAB);
    let (varmap, _) = tiny_model(&cfg, 6, DType::F32);
    let model = detached(&cfg, &varmap, DType::F32);
    let tok = test_tokenizer();
    let max = cfg.max_position_embeddings;
    let long_text = vec!["good"; max + 10].join(" ");
    let got = model
        .score_texts(&tok, &["", "a good day", "bad", &long_text])
        .expect("texts");
    let long_ids = [vec![1], vec![4; max - 2], vec![2]].concat();
    let want = model
        .score_ids(&[vec![1, 2], vec![1, 7, 4, 6, 2], vec![1, 5, 2], long_ids])
        .expect("ids");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.logits, w.logits);
    }
    eprintln!(
        "tiny random model: reward of the empty text = {:.4}",
        cohen_reward(&got[0])
    );
    assert!(matches!(
        model.score_texts(&tok, &[]),
        Err(LlmError::InvalidArgument { .. })
    ));
}

/// candle 0.9's CUDA and MKL matmuls take a 2-D operand only when its last stride is 1 and its row
/// stride equals its width (or it is the transpose of such a layout); its CPU matmul takes any strides.
/// This is the rule of `gemm_config` in candle-core's cuda_backend and of the MKL path of cpu_backend.
fn blas_accepts(t: &Tensor) -> bool {
    let (m, k) = t.dims2().unwrap();
    let s = t.stride();
    (s[1] == 1 && (s[0] == k || m == 1)) || (s[0] == 1 && (s[1] == m || k == 1))
}

/// Issue 11 §2: the pooled `[CLS]` rows fed to `pre_classifier` were the strided view `x[:, 0]`,
/// which CUDA/MKL reject for batch ≥ 2; they must be a contiguous copy with the same values.
#[test]
fn pooled_cls_rows_are_contiguous_for_cuda_and_mkl() {
    let x = Tensor::arange(0f32, 3.0 * 5.0 * 8.0, &Device::Cpu)
        .unwrap()
        .reshape((3, 5, 8))
        .unwrap();
    let view = x.i((.., 0)).unwrap();
    assert!(
        !blas_accepts(&view),
        "the plain index is the layout CUDA rejected"
    );
    let pooled = cls_rows(&x).unwrap();
    assert!(blas_accepts(&pooled) && pooled.is_contiguous());
    assert_eq!(
        pooled.to_vec2::<f32>().unwrap(),
        view.to_vec2::<f32>().unwrap()
    );
}

/// The fused CPU masked softmax against the composed HF form (`where_cond` with the dtype's minimum,
/// then softmax), in f32 and f64, including a sequence whose mask is all zero (HF: uniform 1/l).
#[test]
fn fused_masked_softmax_matches_masked_fill_softmax() {
    let (b, h, l) = (3, 2, 5);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let scores: Vec<f64> = (0..b * h * l * l)
        .map(|_| rng.random_range(-6.0..6.0))
        .collect();
    let mask: Vec<u8> = vec![1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0];
    for dtype in [DType::F32, DType::F64] {
        let s = Tensor::from_vec(scores.clone(), (b, h, l, l), &Device::Cpu)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let keys = Tensor::from_vec(mask.clone(), (b, l), &Device::Cpu).unwrap();
        let fused = s.apply_op2_no_bwd(&keys, &MaskedSoftmax).unwrap();
        let keep = keys
            .reshape((b, 1, 1, l))
            .unwrap()
            .broadcast_as((b, h, l, l))
            .unwrap();
        let fill = dtype_min(dtype, &Device::Cpu)
            .unwrap()
            .broadcast_as((b, h, l, l))
            .unwrap();
        let want =
            candle_nn::ops::softmax(&keep.where_cond(&s, &fill).unwrap(), D::Minus1).unwrap();
        let diff = (fused.to_dtype(DType::F64).unwrap() - want.to_dtype(DType::F64).unwrap())
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap();
        let tol = if dtype == DType::F32 { 1e-6 } else { 1e-14 };
        assert!(diff <= tol, "{dtype:?}: max diff {diff:e}");
        // The all-masked sequence is uniform, a masked key elsewhere has weight exactly 0.
        let flat: Vec<f64> = fused
            .to_dtype(DType::F64)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let last = &flat[(b - 1) * h * l * l..];
        assert!(last.iter().all(|&v| (v - 0.2).abs() < 1e-7), "{last:?}");
        assert!(flat[..h * l * l]
            .chunks(l)
            .all(|r| r[3] == 0.0 && r[4] == 0.0));
    }
}
