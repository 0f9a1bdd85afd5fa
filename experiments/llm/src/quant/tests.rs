//! NF4 against bitsandbytes 0.50.2's own outputs (`tests/vectors/nf4_reference.json`, made by
//! `tests/vectors/make_nf4_vectors.py`), bit for bit; the device dequantisation against the host
//! one; q8_0 and the layer forward against a dense matmul.

use super::*;
use crate::causal_lm::{next_token_kl, TokenKl};
use serde_json::Value;

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/nf4_reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn u32s(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn f32s_le(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn bf16s_le(bytes: &[u8]) -> Vec<half::bf16> {
    bytes
        .chunks(2)
        .map(|c| half::bf16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// The case's input as float32 (bf16 widened exactly).
fn input(case: &Value) -> Vec<f32> {
    let bytes = hex(case["input"].as_str().unwrap());
    match case["dtype"].as_str().unwrap() {
        "bf16" => bf16s_le(&bytes).iter().map(|x| x.to_f32()).collect(),
        "f32" => f32s_le(&bytes),
        d => panic!("dtype {d}"),
    }
}

fn shape(case: &Value) -> (usize, usize) {
    let s: Vec<usize> = case["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    (s[0], s[1])
}

#[test]
fn nf4_code_and_dynamic_map_are_bitsandbytes_bits() {
    let r = reference();
    let code: Vec<u32> = NF4_CODE.iter().map(|x| x.to_bits()).collect();
    assert_eq!(code, u32s(&r["nf4_code"]));
    let dm: Vec<u32> = dynamic_map().iter().map(|x| x.to_bits()).collect();
    assert_eq!(dm, u32s(&r["dynamic_map"]));
}

#[test]
fn quantisation_matches_bitsandbytes_bit_for_bit() {
    let r = reference();
    for case in r["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let x = input(case);
        let (_, raw) = quantize_blockwise(&x, &NF4_CODE, NF4_BLOCK);
        let raw: Vec<u32> = raw.iter().map(|a| a.to_bits()).collect();
        assert_eq!(raw, u32s(&case["absmax_raw"]), "{name}: raw absmax");
        let q = Nf4Host::quantize(&x);
        assert_eq!(
            q.packed,
            hex(case["packed"].as_str().unwrap()),
            "{name}: codes"
        );
        let ref_offset = f32::from_bits(case["offset"].as_u64().unwrap() as u32);
        // torch's float32 mean and ours (float64 sum, one rounding) agree to an ulp.
        let ulps = (q.offset.to_bits() as i64 - ref_offset.to_bits() as i64).abs();
        assert!(ulps <= 1, "{name}: offset {} vs {ref_offset}", q.offset);
        assert_eq!(
            q.absmax_codes,
            hex(case["absmax_codes"].as_str().unwrap()),
            "{name}: absmax codes"
        );
        let a2: Vec<u32> = q.absmax2.iter().map(|a| a.to_bits()).collect();
        assert_eq!(a2, u32s(&case["absmax2"]), "{name}: absmax2");
    }
}

#[test]
fn device_dequantisation_matches_bitsandbytes() {
    let r = reference();
    let dev = Device::Cpu;
    for case in r["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (o, i) = shape(case);
        let mut q = Nf4Host::quantize(&input(case));
        // Dequantise with bitsandbytes' own offset, so that this test is about the dequantisation.
        q.offset = f32::from_bits(case["offset"].as_u64().unwrap() as u32);
        let w = Nf4Weight::from_host(&q, (o, i), &dev).unwrap();
        let got: Vec<u32> = w
            .dequantize(DType::F32)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect();
        let want: Vec<u32> = f32s_le(&hex(case["dequant_f32"].as_str().unwrap()))
            .iter()
            .map(|x| x.to_bits())
            .collect();
        assert_eq!(got, want, "{name}: float32 dequantisation");
        let host: Vec<u32> = q.dequantize().iter().map(|x| x.to_bits()).collect();
        assert_eq!(host, want, "{name}: host dequantisation");
        let got16: Vec<u16> = w
            .dequantize(DType::BF16)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<half::bf16>()
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect();
        let want16: Vec<u16> = bf16s_le(&hex(case["dequant_bf16"].as_str().unwrap()))
            .iter()
            .map(|x| x.to_bits())
            .collect();
        assert_eq!(got16, want16, "{name}: bfloat16 dequantisation");
    }
}

#[test]
fn resident_bytes_follow_the_formula() {
    for (o, i) in [(80, 256), (7, 37), (14336, 64)] {
        let x: Vec<f32> = (0..o * i)
            .map(|k| ((k * 7919) % 1000) as f32 - 500.0)
            .collect();
        let w = Nf4Weight::from_host(&Nf4Host::quantize(&x), (o, i), &Device::Cpu).unwrap();
        let tables = 4 * 256 * 3;
        assert_eq!(
            (w.resident_bytes() - tables) as u64,
            BaseQuantization::Nf4.weight_bytes(o, i, 4)
        );
    }
}

#[test]
fn nearest_is_argmin_first_on_ties() {
    let dm = dynamic_map();
    let mut state = 12345u64;
    for _ in 0..20_000 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let x = ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
        for code in [&NF4_CODE[..], &dm[..]] {
            let full = code
                .iter()
                .enumerate()
                .fold((0usize, f32::INFINITY), |(bi, bd), (i, &c)| {
                    let d = (x - c).abs();
                    if d < bd {
                        (i, d)
                    } else {
                        (bi, bd)
                    }
                })
                .0;
            assert_eq!(nearest(code, x) as usize, full, "x = {x}");
        }
    }
    // exactly halfway between two NF4 levels (as float32 distances): the lower index
    let mid = (NF4_CODE[8] + NF4_CODE[9]) / 2.0;
    let (d8, d9) = ((mid - NF4_CODE[8]).abs(), (mid - NF4_CODE[9]).abs());
    let want = if d9 < d8 { 9 } else { 8 };
    assert_eq!(nearest(&NF4_CODE, mid), want);
    assert_eq!(nearest(&NF4_CODE, f32::NAN), 0);
}

#[test]
fn layers_compute_what_their_weights_say() {
    let dev = Device::Cpu;
    let (o, i) = (48, 64);
    let w: Vec<f32> = (0..o * i)
        .map(|k| (((k * 2654435761usize) % 2001) as f32 - 1000.0) / 1000.0)
        .collect();
    let wt = Tensor::from_vec(w.clone(), (o, i), &dev).unwrap();
    let vb = candle_nn::VarBuilder::from_tensors(
        [("l.weight".to_string(), wt.clone())].into_iter().collect(),
        DType::F32,
        &dev,
    );
    let x = Tensor::from_vec(
        (0..3 * i)
            .map(|k| ((k % 17) as f32 - 8.0) / 8.0)
            .collect::<Vec<_>>(),
        (3, i),
        &dev,
    )
    .unwrap();
    let dense = QLinear::load(&vb.pp("l"), (o, i), "weight", BaseQuantization::None).unwrap();
    let exact = dense.forward(&x).unwrap();
    assert_eq!(
        exact.to_vec2::<f32>().unwrap(),
        x.matmul(&wt.t().unwrap())
            .unwrap()
            .to_vec2::<f32>()
            .unwrap()
    );
    // NF4: the same matmul with the dequantised weight; q8_0: close to the dense result.
    let nf4 = QLinear::load(&vb.pp("l"), (o, i), "weight", BaseQuantization::Nf4).unwrap();
    let deq = Tensor::from_vec(Nf4Host::quantize(&w).dequantize(), (o, i), &dev).unwrap();
    let want = x
        .matmul(&deq.t().unwrap())
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let got = nf4.forward(&x).unwrap().to_vec2::<f32>().unwrap();
    for (a, b) in got.iter().flatten().zip(want.iter().flatten()) {
        assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
    }
    let q8 = QLinear::load(&vb.pp("l"), (o, i), "weight", BaseQuantization::Q8_0).unwrap();
    let got = q8.forward(&x).unwrap().to_vec2::<f32>().unwrap();
    let exact = exact.to_vec2::<f32>().unwrap();
    // q8_0 keeps |w| / 127 per 32 weights (here ≤ 1/127 ≈ 0.008 per weight) and quantises the
    // activations to 8 bits as well: a few percent of the row norm at most.
    for (a, b) in got.iter().flatten().zip(exact.iter().flatten()) {
        assert!((a - b).abs() <= 0.15, "q8_0 {a} vs {b}");
    }
    assert!(matches!(
        BaseQuantization::parse("nf5"),
        Err(LlmError::InvalidArgument { .. })
    ));
}

/// A model built from `tensors` with its decoder's linear layers held as `q`.
fn build(
    cfg: &crate::mixtral::MixtralConfig,
    tensors: &std::collections::HashMap<String, Tensor>,
    q: BaseQuantization,
) -> crate::mixtral::Mixtral {
    let vb = VarBuilder::from_tensors(tensors.clone(), DType::F32, &Device::Cpu);
    crate::mixtral::Mixtral::new_quantized(cfg, vb, q).unwrap()
}

fn random_ids(batch: usize, seq: usize, vocab: usize, seed: u64) -> Tensor {
    let mut s = seed;
    let ids: Vec<u32> = (0..batch * seq)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % vocab as u64) as u32
        })
        .collect();
    Tensor::from_vec(ids, (batch, seq), &Device::Cpu).unwrap()
}

/// KL of each quantisation against the f32 model on `ids`.
fn kls(
    cfg: &crate::mixtral::MixtralConfig,
    tensors: &std::collections::HashMap<String, Tensor>,
    ids: &Tensor,
) -> [TokenKl; 3] {
    let f32_model = build(cfg, tensors, BaseQuantization::None);
    [
        BaseQuantization::None,
        BaseQuantization::Q8_0,
        BaseQuantization::Nf4,
    ]
    .map(|q| next_token_kl(&f32_model, &build(cfg, tensors, q), ids).unwrap())
}

#[test]
fn quantised_base_models_stay_close_to_f32_in_order_of_bits() {
    let cfg = crate::mixtral::MixtralConfig::tiny(300);
    let (_, varmap) = crate::tiny::init_mixtral(&cfg, 11).unwrap();
    // Larger weights than the 0.02 init so that the next-token distributions are far from uniform.
    let tensors: std::collections::HashMap<String, Tensor> = crate::tiny::varmap_tensors(&varmap)
        .unwrap()
        .into_iter()
        .map(|(k, v)| {
            let v = if k.contains("norm") {
                v
            } else {
                (v * 10.0).unwrap()
            };
            (k, v)
        })
        .collect();
    let ids = random_ids(2, 24, 300, 5);
    let [none, q8, nf4] = kls(&cfg, &tensors, &ids);
    // The same f32 weights: exactly the same distributions.
    assert_eq!((none.mean, none.max), (0.0, 0.0));
    // 8 bits per weight perturb less than 4: 0 < KL(q8_0) < KL(NF4).
    assert!(
        q8.mean > 0.0 && q8.mean < nf4.mean,
        "q8_0 {q8:?} vs nf4 {nf4:?}"
    );
    assert_eq!(nf4.positions, 48);
}

/// The figures of the README (issue 13): per-token KL of NF4 and q8_0 against f32 on the small LM
/// trained by `goodhart llm train-small` (at `GOODHART_SMALL_MODELS`, default `models/small` of the
/// workspace; skipped with a message when absent) on held-out synthetic dialogues, and on a
/// Mixtral-shaped random model (Mixtral-8x7B's proportions at a width of 1024: vocabulary 32 000,
/// 8 experts top-2, expert width 3.5 x hidden, 4:1 grouped-query attention, 2 layers).
/// Minutes on 2 cores: `cargo test -p goodhart-llm --release --lib quantisation_kl_report -- --ignored --nocapture`.
#[test]
#[ignore]
fn quantisation_kl_report() {
    let root = std::env::var("GOODHART_SMALL_MODELS")
        .unwrap_or_else(|_| format!("{}/../../models/small", env!("CARGO_MANIFEST_DIR")));
    let dir = std::path::Path::new(&root).join("mixtral");
    if dir.join("config.json").is_file() {
        let d = crate::checkpoint::ModelDir::open(&dir).unwrap();
        let cfg: crate::mixtral::MixtralConfig = d.read_config().unwrap();
        let tok = d.tokenizer().unwrap();
        let vb = d
            .var_builder(&cfg.expected_tensors(), DType::F32, &Device::Cpu)
            .unwrap();
        let tensors: std::collections::HashMap<String, Tensor> = cfg
            .expected_tensors()
            .iter()
            .map(|(name, shape)| (name.clone(), vb.get(shape.as_slice(), name).unwrap()))
            .collect();
        // Held-out dialogues (a seed the training corpus does not use), 8 x 128 tokens.
        let texts = crate::corpus::dialogues(987_654_321, 64, &Default::default()).unwrap();
        let mut ids: Vec<u32> = Vec::new();
        for t in &texts {
            ids.extend(tok.encode(t.as_str(), false).unwrap().get_ids());
        }
        let (b, s) = (8, 128);
        assert!(ids.len() >= b * s);
        ids.truncate(b * s);
        let ids = Tensor::from_vec(ids, (b, s), &Device::Cpu).unwrap();
        let [_, q8, nf4] = kls(&cfg, &tensors, &ids);
        println!("small trained LM ({root}): NF4 {nf4:?}; q8_0 {q8:?}");
    } else {
        println!("no small trained LM at {root}: run `goodhart llm train-small` first");
    }
    let mut cfg = crate::mixtral::MixtralConfig::tiny(32_000);
    cfg.hidden_size = 1024;
    cfg.intermediate_size = 3584;
    cfg.num_attention_heads = 8;
    cfg.num_key_value_heads = 2;
    cfg.num_local_experts = 8;
    cfg.num_hidden_layers = 2;
    let (_, varmap) = crate::tiny::init_mixtral(&cfg, 3).unwrap();
    let tensors = crate::tiny::varmap_tensors(&varmap).unwrap();
    let ids = random_ids(4, 64, 32_000, 9);
    let [_, q8, nf4] = kls(&cfg, &tensors, &ids);
    println!("Mixtral-shaped random model (normal(0, 0.02) weights): NF4 {nf4:?}; q8_0 {q8:?}");
}
