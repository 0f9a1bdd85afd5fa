//! `goodhart llm score` and `goodhart llm reward` (CONTRACT.md) end to end: on checkpoints made by
//! transformers (tests/vectors/llm, see tests/vectors/make_llm_vectors.py) against the numbers
//! transformers computed on them, on `make-tiny` checkpoints against a second computation, and the
//! loading errors of issue 14 (a missing directory, base and reward swapped, a NaN weight).

use std::path::PathBuf;
use std::process::Output;

use crate::{goodhart, make_tiny, stderr};
use serde_json::Value;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/llm")
}

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(vectors().join("reference.json")).unwrap())
        .unwrap()
}

fn case<'a>(r: &'a Value, dir: &str) -> &'a Value {
    r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dir"] == dir)
        .unwrap()
}

fn json_of(o: &Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("one JSON object on stdout")
}

fn max_diff(a: &Value, b: &Value) -> f64 {
    let (a, b) = (a.as_array().unwrap(), b.as_array().unwrap());
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x.as_f64().unwrap() - y.as_f64().unwrap()).abs())
        .fold(0.0, f64::max)
}

/// `llm score` on the transformers-made checkpoints (both config layouts, bf16 sharded) gives
/// transformers' ids and log-probs (tolerance: the JSON's f32 log-prob tolerance, 1e-4).
#[test]
fn score_matches_transformers_on_hf_checkpoints() {
    let r = reference();
    let tol = r["tolerance"]["log_probs"].as_f64().unwrap();
    let d = tempfile::tempdir().unwrap();
    for dir in [
        "mixtral_gqa2_window_v5",
        "mixtral_gqa4_tied_v4",
        "mixtral_mha_bf16_sharded",
    ] {
        let want = case(&r, dir)["score"].as_array().unwrap();
        let file = d.path().join(format!("{dir}.txt"));
        let lines: Vec<&str> = want.iter().map(|w| w["text"].as_str().unwrap()).collect();
        // the chat prompt has newlines: score the one-line texts through --file, the prompt through --text
        let one_line: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|t| !t.contains('\n'))
            .collect();
        std::fs::write(&file, one_line.join("\n") + "\n").unwrap();
        let base = vectors().join(dir);
        let from_file = json_of(&goodhart(&[
            "llm",
            "score",
            "--base",
            base.to_str().unwrap(),
            "--file",
            file.to_str().unwrap(),
            "--json",
        ]));
        let texts = from_file["texts"].as_array().unwrap();
        assert_eq!(
            texts.len(),
            one_line.len(),
            "an empty line is an empty text, never dropped"
        );
        let mut got: Vec<Value> = Vec::new();
        for w in want {
            let t = w["text"].as_str().unwrap();
            if t.contains('\n') {
                let o = json_of(&goodhart(&[
                    "llm",
                    "score",
                    "--base",
                    base.to_str().unwrap(),
                    "--text",
                    t,
                    "--json",
                ]));
                got.push(o["texts"][0].clone());
            } else {
                got.push(texts.iter().find(|x| x["text"] == t).unwrap().clone());
            }
        }
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g["ids"], w["ids"], "{dir}: ids of {}", w["text"]);
            let n = g["ids"].as_array().unwrap().len();
            assert_eq!(g["logprobs"].as_array().unwrap().len(), n - 1);
            let dl = max_diff(&g["logprobs"], &w["logprobs"]);
            let dt = (g["total"].as_f64().unwrap() - w["total"].as_f64().unwrap()).abs();
            eprintln!(
                "{dir} {:?}: max |Δ logprob| {dl:.2e}, |Δ total| {dt:.2e}",
                w["text"]
                    .as_str()
                    .unwrap()
                    .chars()
                    .take(20)
                    .collect::<String>()
            );
            assert!(dl <= tol, "{dir}: {dl}");
            assert!(dt <= tol * n as f64, "{dir}: total {dt}");
        }
    }
}

/// `llm reward` on the transformers-made classifiers (label order both ways; vocab.txt-only
/// WordPiece; bf16 weights; a text past max_position_embeddings; an empty line) gives transformers'
/// probabilities, in id2label order, and the experiment's reward computed from them.
#[test]
fn reward_matches_transformers_on_hf_checkpoints() {
    let r = reference();
    let tol = r["tolerance"]["probs"].as_f64().unwrap();
    let d = tempfile::tempdir().unwrap();
    for dir in ["distilbert_uncased", "distilbert_cased_bf16"] {
        let c = case(&r, dir);
        let texts: Vec<&str> = c["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let file = d.path().join("texts.txt");
        std::fs::write(&file, texts.join("\n") + "\n").unwrap();
        let j = json_of(&goodhart(&[
            "llm",
            "reward",
            "--reward",
            vectors().join(dir).to_str().unwrap(),
            "--file",
            file.to_str().unwrap(),
            "--json",
        ]));
        let got = j["texts"].as_array().unwrap();
        assert_eq!(got.len(), texts.len());
        let labels: Vec<&str> = (0..2)
            .map(|i| c["id2label"][i.to_string()].as_str().unwrap())
            .collect();
        assert_eq!(j["labels"], serde_json::json!(labels));
        let mut worst: f64 = 0.0;
        for (g, want) in got.iter().zip(c["probs"].as_array().unwrap()) {
            worst = worst.max(max_diff(&g["probs"], want));
            let p: Vec<f64> = want
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let top = if p[0] >= p[1] { 0 } else { 1 };
            assert_eq!(g["label"], labels[top]);
            // the experiment's reward: (r + 1)/2, r = ±score by the top label
            let pos = labels.iter().position(|l| *l == "POSITIVE").unwrap();
            let signed = if top == pos { p[top] } else { -p[top] };
            let want_reward = (signed + 1.0) / 2.0;
            assert!(
                (g["reward"].as_f64().unwrap() - want_reward).abs() <= tol,
                "{g}"
            );
        }
        eprintln!("{dir}: max |Δ prob| {worst:.2e}");
        assert!(worst <= tol, "{dir}: {worst}");
    }
}

/// On `make-tiny` checkpoints: the table and the JSON agree, and `total` is the sum of `logprobs`,
/// each a log-probability (≤ 0); `reward` gives probabilities summing to one and a reward in
/// [0, 0.25] ∪ [0.75, 1]; `--text` and `--file` are exclusive and one is required (usage, exit 2).
#[test]
fn score_and_reward_on_make_tiny_checkpoints() {
    let d = tempfile::tempdir().unwrap();
    make_tiny(d.path());
    let base = d.path().join("mixtral");
    let j = json_of(&goodhart(&[
        "llm",
        "score",
        "--base",
        base.to_str().unwrap(),
        "--text",
        "Teacher: hello there",
        "--json",
    ]));
    let t = &j["texts"][0];
    let lps: Vec<f64> = t["logprobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(
        !lps.is_empty() && lps.iter().all(|&x| x <= 0.0 && x.is_finite()),
        "{t}"
    );
    assert!((lps.iter().sum::<f64>() - t["total"].as_f64().unwrap()).abs() < 1e-9);
    let table = goodhart(&[
        "llm",
        "score",
        "--base",
        base.to_str().unwrap(),
        "--text",
        "Teacher: hello there",
    ]);
    assert!(table.status.success(), "{}", stderr(&table));
    let out = String::from_utf8_lossy(&table.stdout);
    assert!(
        out.contains(&format!("{:.4}", t["total"].as_f64().unwrap())),
        "{out}"
    );

    let reward = d.path().join("distilbert");
    let j = json_of(&goodhart(&[
        "llm",
        "reward",
        "--reward",
        reward.to_str().unwrap(),
        "--text",
        "what a great lesson",
        "--json",
    ]));
    let t = &j["texts"][0];
    let p: f64 = t["probs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((p - 1.0).abs() < 1e-12, "{t}");
    let rw = t["reward"].as_f64().unwrap();
    assert!(
        (0.0..=0.25).contains(&rw) || (0.75..=1.0).contains(&rw),
        "{rw}"
    );

    for args in [
        vec!["llm", "score", "--base", base.to_str().unwrap()],
        vec![
            "llm",
            "score",
            "--base",
            base.to_str().unwrap(),
            "--text",
            "a",
            "--file",
            "b",
        ],
    ] {
        let o = goodhart(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    }
}

/// Issue 14: loading errors are one line and say what is wrong once.
#[test]
fn loading_errors_name_the_problem_once() {
    let d = tempfile::tempdir().unwrap();
    // a missing directory: "no such directory", said once
    let missing = d.path().join("nope");
    let o = goodhart(&[
        "llm",
        "score",
        "--base",
        missing.to_str().unwrap(),
        "--text",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert_eq!(e.matches("directory (expected").count(), 1, "{e}");

    // base and reward swapped, in score/reward and in `llm train`
    let mixtral = vectors().join("mixtral_gqa2_window_v5");
    let distilbert = vectors().join("distilbert_uncased");
    let o = goodhart(&[
        "llm",
        "score",
        "--base",
        distilbert.to_str().unwrap(),
        "--text",
        "x",
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains("base model") && e.contains("swapped") && e.contains("\"distilbert\""),
        "{e}"
    );
    let o = goodhart(&[
        "llm",
        "reward",
        "--reward",
        mixtral.to_str().unwrap(),
        "--text",
        "x",
    ]);
    let e = stderr(&o);
    assert!(e.contains("reward model") && e.contains("swapped"), "{e}");
    let good = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("experiments/configs/cpu-small.toml"),
    )
    .unwrap();
    let swapped = good
        .replace(
            "base = \"models/small/mixtral\"",
            &format!("base = {:?}", distilbert.to_str().unwrap()),
        )
        .replace(
            "reward = \"models/small/distilbert\"",
            &format!("reward = {:?}", mixtral.to_str().unwrap()),
        );
    assert_ne!(swapped, good);
    let cfg = d.path().join("swapped.toml");
    std::fs::write(&cfg, swapped).unwrap();
    let o = goodhart(&[
        "llm",
        "train",
        "--quiet",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        d.path().join("o").to_str().unwrap(),
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("swapped") && !e.contains("missing field"), "{e}");

    // a NaN weight is named at load
    make_tiny(d.path());
    let base = d.path().join("mixtral");
    let weights = base.join("model.safetensors");
    let dev = goodhart_llm::candle_core::Device::Cpu;
    let mut tensors = goodhart_llm::candle_core::safetensors::load(&weights, &dev).unwrap();
    let name = "model.layers.1.self_attn.v_proj.weight";
    let w = &tensors[name];
    let mut vals: Vec<f32> = w.flatten_all().unwrap().to_vec1().unwrap();
    vals[7] = f32::NAN;
    let bad = goodhart_llm::candle_core::Tensor::from_vec(vals, w.shape(), &dev).unwrap();
    tensors.insert(name.to_string(), bad);
    goodhart_llm::candle_core::safetensors::save(&tensors, &weights).unwrap();
    let o = goodhart(&[
        "llm",
        "score",
        "--base",
        base.to_str().unwrap(),
        "--text",
        "x",
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.contains(name) && e.contains("NaN") && e.contains("index 7"),
        "{e}"
    );
}
