//! Conformance with Hugging Face transformers (issue 11 §1): checkpoints made by transformers' own
//! classes and `save_pretrained` (tests/vectors/make_llm_vectors.py, torch 2.15, transformers 5.23),
//! loaded by goodhart-llm and compared with the outputs transformers computed on them
//! (tests/vectors/llm/reference.json). No Python is needed here.
//!
//! Tolerances are those the JSON states per quantity (f32 logits 1e-4 absolute, …); every test prints
//! the maximum difference it measured.

use std::path::PathBuf;

use candle_core::{DType, Device, IndexOp, Tensor};
use goodhart_llm::distilbert::Sentiment;
use goodhart_llm::mixtral::CausalLm;
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/llm")
}

fn reference() -> Value {
    let path = vectors_dir().join("reference.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn ints(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn flat(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f64>()
        .unwrap()
}

/// max |a − b|, asserting equal lengths.
fn max_diff(a: &[f64], b: &[f64], what: &str) -> f64 {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn tol(r: &Value, name: &str) -> f64 {
    r["tolerance"][name].as_f64().unwrap()
}

fn check(diff: f64, tolerance: f64, what: &str) {
    eprintln!("{what}: max |goodhart − transformers| = {diff:.2e} (tolerance {tolerance:.0e})");
    assert!(diff <= tolerance, "{what}: {diff:.3e} > {tolerance:.0e}");
}

fn cases<'a>(r: &'a Value, kind: &str) -> Vec<&'a Value> {
    r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == kind)
        .collect()
}

#[test]
fn mixtral_checkpoints_match_transformers() {
    let r = reference();
    let dev = Device::Cpu;
    let all = cases(&r, "mixtral");
    assert_eq!(all.len(), 3);
    for case in all {
        let name = case["dir"].as_str().unwrap();
        // bf16 files are loaded as bf16 (upcast to f32 on the CPU, as transformers was run in f32)
        let dtype = if case["dtype"] == "bfloat16" {
            DType::BF16
        } else {
            DType::F32
        };
        let (model, _) = goodhart_llm::load::mixtral(&vectors_dir().join(name), dtype, &dev)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let rows: Vec<Vec<u32>> = case["ids"].as_array().unwrap().iter().map(ints).collect();
        let (b, s) = (rows.len(), rows[0].len());
        let ids = Tensor::from_vec(rows.concat(), (b, s), &dev).unwrap();

        // per-position logits, last three hidden states, router logits: one full pass
        let (out, router) = model
            .forward_with_router_logits(&ids, &mut model.new_cache(), 3)
            .unwrap();
        let d = max_diff(&flat(&out.logits), &floats(&case["logits"]), "logits");
        check(d, tol(&r, "logits_f32"), &format!("{name} logits"));
        for (k, want) in case["hidden_last3"].as_array().unwrap().iter().enumerate() {
            let d = max_diff(&flat(&out.hidden[k]), &floats(want), "hidden");
            check(
                d,
                tol(&r, "hidden"),
                &format!("{name} hidden_states[-{}]", k + 1),
            );
        }
        let want_router = case["router_logits"].as_array().unwrap();
        assert_eq!(router.len(), want_router.len());
        for (k, (got, want)) in router.iter().zip(want_router).enumerate() {
            let d = max_diff(&flat(got), &floats(want), "router");
            check(
                d,
                tol(&r, "router_logits"),
                &format!("{name} router logits, layer {k}"),
            );
        }

        // log-probs of the given next tokens (exact log-sum-exp of our logits, row by row)
        let want_lp = floats(&case["next_token_log_probs"]);
        let mut got_lp = Vec::new();
        for row in &rows {
            got_lp.extend(model.sequence_log_probs(row).unwrap());
        }
        check(
            max_diff(&got_lp, &want_lp, "log-probs"),
            tol(&r, "log_probs"),
            &format!("{name} next-token log-probs"),
        );

        // incremental decoding with the KV cache: prefill, then one token at a time
        let prefill = case["prefill"].as_u64().unwrap() as usize;
        let mut cache = model.new_cache();
        model
            .forward(&ids.narrow(1, 0, prefill).unwrap(), &mut cache, 0)
            .unwrap();
        let mut steps = Vec::new();
        for t in prefill..s {
            let o = model
                .forward(&ids.narrow(1, t, 1).unwrap(), &mut cache, 0)
                .unwrap();
            steps.push(o.logits);
        }
        let inc = Tensor::cat(&steps, 1).unwrap();
        let d = max_diff(
            &flat(&inc),
            &floats(&case["incremental_logits"]),
            "incremental",
        );
        check(
            d,
            tol(&r, "incremental_logits"),
            &format!("{name} KV-cache decoding"),
        );

        // greedy continuation with the KV cache
        let prompt = ints(&case["greedy_prompt"]);
        let want = ints(&case["greedy"]);
        let mut cache = model.new_cache();
        let mut logits = model
            .forward(
                &Tensor::from_vec(prompt.clone(), (1, prompt.len()), &dev).unwrap(),
                &mut cache,
                0,
            )
            .unwrap()
            .logits;
        let mut got = Vec::new();
        for _ in 0..want.len() {
            let last = logits.dim(1).unwrap() - 1;
            let row: Vec<f32> = logits.i((0, last)).unwrap().to_vec1().unwrap();
            let next = (0..row.len())
                .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                .unwrap() as u32;
            got.push(next);
            logits = model
                .forward(
                    &Tensor::from_vec(vec![next], (1, 1), &dev).unwrap(),
                    &mut cache,
                    0,
                )
                .unwrap()
                .logits;
        }
        let min_gap = floats(&case["greedy_top2_gap"])
            .into_iter()
            .fold(f64::INFINITY, f64::min);
        eprintln!("{name} greedy: {got:?} (smallest top-2 gap {min_gap:.3})");
        assert_eq!(got, want, "{name}: greedy continuation");
    }
}

#[test]
fn mixtral_tokenizer_matches_transformers() {
    let r = reference();
    let dir =
        goodhart_llm::checkpoint::ModelDir::open(&vectors_dir().join("mixtral_gqa2_window_v5"))
            .unwrap();
    let tok = dir.tokenizer().unwrap();
    check_tokens(&tok, &r["mixtral_tokens"], "mixtral");
}

/// Ids with the special tokens added, and decoding keeping and skipping them, for every text.
fn check_tokens(tok: &tokenizers::Tokenizer, vectors: &Value, what: &str) {
    for (name, v) in vectors.as_object().unwrap() {
        let text = v["text"].as_str().unwrap();
        let ids = goodhart_llm::tokenizer::encode(tok, text, true).unwrap();
        assert_eq!(ids, ints(&v["ids"]), "{what} {name}: ids of {text:?}");
        let keep = goodhart_llm::tokenizer::decode_keeping_special(tok, &ids).unwrap();
        assert_eq!(
            keep,
            v["decoded_keep_special"].as_str().unwrap(),
            "{what} {name}: decode keeping special tokens"
        );
        let skip = goodhart_llm::tokenizer::decode(tok, &ids).unwrap();
        assert_eq!(
            skip,
            v["decoded_skip_special"].as_str().unwrap(),
            "{what} {name}: decode skipping special tokens"
        );
    }
    eprintln!(
        "{what}: {} tokenizer vectors identical",
        vectors.as_object().unwrap().len()
    );
}

#[test]
fn distilbert_checkpoints_match_transformers() {
    let r = reference();
    let dev = Device::Cpu;
    let all = cases(&r, "distilbert");
    assert_eq!(all.len(), 2);
    for case in all {
        let name = case["dir"].as_str().unwrap();
        // the base dtype of a GPU run is bf16: the classifier must run (in f32) all the same
        let (model, tok) =
            goodhart_llm::load::distilbert(&vectors_dir().join(name), DType::BF16, &dev)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(model.dtype(), DType::F32);
        check_tokens(&tok, &case["tokens"], name);

        // HF's padded batch (truncated to max_position_embeddings), through forward
        let ids: Vec<Vec<u32>> = case["input_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(ints)
            .collect();
        let mask: Vec<Vec<u32>> = case["attention_mask"]
            .as_array()
            .unwrap()
            .iter()
            .map(ints)
            .collect();
        let (b, l) = (ids.len(), ids[0].len());
        let logits = model
            .forward(
                &Tensor::from_vec(ids.concat(), (b, l), &dev).unwrap(),
                &Tensor::from_vec(mask.concat(), (b, l), &dev).unwrap(),
            )
            .unwrap();
        let want_logits: Vec<f64> = case["logits"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(floats)
            .collect();
        let d = max_diff(&flat(&logits), &want_logits, "classifier logits");
        check(
            d,
            tol(&r, "classifier_logits"),
            &format!("{name} classifier logits (padded batch)"),
        );

        // our own tokenisation, truncation and padding: score_texts
        let texts: Vec<&str> = case["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let scored = model.score_texts(&tok, &texts).unwrap();
        let got_logits: Vec<f64> = scored.iter().flat_map(|s| s.logits.clone()).collect();
        let d = max_diff(&got_logits, &want_logits, "score_texts logits");
        check(
            d,
            tol(&r, "classifier_logits"),
            &format!("{name} score_texts logits"),
        );

        // probabilities in id2label order; the POSITIVE one wherever it is
        let pos = model.positive_index().unwrap();
        let want_probs: Vec<Vec<f64>> = case["probs"]
            .as_array()
            .unwrap()
            .iter()
            .map(floats)
            .collect();
        let mut worst: f64 = 0.0;
        for (s, want) in scored.iter().zip(&want_probs) {
            let again = Sentiment::from_logits(model.config(), &s.logits).unwrap();
            worst = worst.max((again.p_positive - want[pos]).abs());
            let top = if want[0] >= want[1] { 0 } else { 1 };
            assert_eq!(
                s.label,
                case["id2label"][top.to_string()].as_str().unwrap(),
                "{name}: label"
            );
            worst = worst.max((s.score - want[top]).abs());
        }
        check(worst, tol(&r, "probs"), &format!("{name} probabilities"));
    }
}
