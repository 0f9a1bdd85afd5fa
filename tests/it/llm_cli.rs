//! `goodhart llm …` end to end on checkpoints the project makes itself (feature `llm`): make-tiny
//! writes a loadable Hugging Face layout, the probe runs on it and hands its samples to the tail
//! module, and broken checkpoints are one-line errors naming the problem.

use crate::{goodhart, make_tiny, stderr};

#[test]
fn make_tiny_writes_the_contract_files() {
    let d = tempfile::tempdir().unwrap();
    make_tiny(d.path());
    for m in ["mixtral", "distilbert"] {
        for f in ["config.json", "model.safetensors", "tokenizer.json"] {
            let p = d.path().join(m).join(f);
            assert!(p.is_file(), "missing {}", p.display());
        }
    }
}

#[test]
fn probe_on_tiny_models_writes_samples_figures_and_a_verdict() {
    let d = tempfile::tempdir().unwrap();
    make_tiny(d.path());
    let out = d.path().join("probe");
    let reward = d.path().join("distilbert");
    let base = d.path().join("mixtral");
    let o = goodhart(&[
        "llm",
        "probe",
        "--quiet",
        "--json",
        "--reward",
        reward.to_str().unwrap(),
        "--base",
        base.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--random",
        "300",
        "--random-length",
        "16",
        "--base-samples",
        "120",
        "--max-new",
        "8",
        "--acg-runs",
        "2",
        "--acg-iterations",
        "4",
        "--acg-length",
        "8",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("probe.json on stdout");
    let text = j.to_string();
    assert!(text.contains("verdict"), "{text}");
    for f in [
        "probe-random.csv",
        "probe-base.csv",
        "probe-acg.csv",
        "probe.json",
        "kwa24-fig-b1-probe.svg",
        "kwa24-fig-b2-probe.svg",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    // The samples load as tidy CSV with one row per sample.
    let random = std::fs::read_to_string(out.join("probe-random.csv")).unwrap();
    assert_eq!(random.lines().count(), 301, "header + 300 rows");
}

#[test]
fn broken_checkpoints_are_one_line_errors_naming_the_problem() {
    let d = tempfile::tempdir().unwrap();
    make_tiny(d.path());
    let reward = d.path().join("distilbert");
    // Missing weights.
    std::fs::remove_file(reward.join("model.safetensors")).unwrap();
    let o = goodhart(&[
        "llm",
        "probe",
        "--quiet",
        "--reward",
        reward.to_str().unwrap(),
        "--out",
        d.path().join("p").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("safetensors"), "{e}");
    // Malformed config.json.
    let base = d.path().join("mixtral");
    std::fs::write(base.join("config.json"), "{ not json").unwrap();
    make_tiny(&d.path().join("again"));
    let o = goodhart(&[
        "llm",
        "probe",
        "--quiet",
        "--reward",
        d.path().join("again/distilbert").to_str().unwrap(),
        "--base",
        base.to_str().unwrap(),
        "--out",
        d.path().join("p2").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("config.json"), "{e}");
}

#[test]
fn validate_quick_writes_the_contract_json_and_figures() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("val");
    let o = goodhart(&[
        "llm",
        "validate",
        "--quick",
        "--quiet",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("validate.json on stdout");
    let base = j["base_empty_reply_fraction"]
        .as_f64()
        .expect("base_empty_reply_fraction");
    assert!((0.0..=1.0).contains(&base), "{base}");
    let runs = j["runs"].as_array().expect("runs");
    assert!(!runs.is_empty());
    for r in runs {
        for k in [
            "base",
            "budget_nats",
            "chat_tokens",
            "seed",
            "empty_reply_fraction",
            "kl_used_nats",
            "mean_reward",
        ] {
            assert!(r.get(k).is_some(), "run lacks {k}: {r}");
        }
        let (b, kl) = (
            r["budget_nats"].as_f64().unwrap(),
            r["kl_used_nats"].as_f64().unwrap(),
        );
        // The expected-KL budget rule makes the per-episode sum of exact per-step KLs <= budget.
        assert!(
            kl >= 0.0 && kl <= b + 1e-9,
            "KL used {kl} exceeds budget {b}"
        );
        let f = r["empty_reply_fraction"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&f), "{f}");
    }
    // Two bases, one of them the in-context learner, each with its silence price n = 1, 2, …
    let bases = j["bases"].as_array().expect("bases");
    assert_eq!(bases.len(), 2, "{bases:?}");
    let in_context: Vec<bool> = bases
        .iter()
        .map(|b| b["in_context"].as_bool().expect("in_context"))
        .collect();
    assert_eq!(in_context, [false, true]);
    for b in bases {
        let name = b["name"].as_str().expect("name");
        assert!(
            runs.iter().any(|r| r["base"] == name),
            "no run against {name}"
        );
        let by_n = b["silence_price"]["mean_by_n"]
            .as_array()
            .expect("mean_by_n");
        assert!(!by_n.is_empty(), "{name}: no forced silence priced");
        for (i, p) in by_n.iter().enumerate() {
            assert_eq!(p["n"].as_u64(), Some(i as u64 + 1));
            let nats = p["nats"].as_f64().unwrap();
            assert!(nats.is_finite() && nats > 0.0, "{name}: {nats}");
        }
    }
    // The exact role-agnostic price is given for the in-context base only.
    assert!(bases[0]["silence_price"]["role_agnostic_exact_by_n"].is_null());
    assert_eq!(
        bases[1]["silence_price"]["role_agnostic_exact_by_n"]
            .as_array()
            .map(Vec::len),
        Some(16)
    );
    for f in [
        "validate.json",
        "cohen24-llm-training.svg",
        "cohen24-llm-training.csv",
        "cohen24-llm-empty-fraction.svg",
        "cohen24-llm-empty-kl.svg",
        "cohen24-llm-transcripts.svg",
        "cohen24-llm-transcripts.csv",
        "models/mixtral-incontext/model.safetensors",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    // A rerun resumes: finished runs are skipped and the summary is the same.
    let o2 = goodhart(&[
        "llm",
        "validate",
        "--quick",
        "--quiet",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o2.status.success(), "{}", stderr(&o2));
    let j2: serde_json::Value = serde_json::from_slice(&o2.stdout).unwrap();
    assert_eq!(j["runs"], j2["runs"]);
}

#[test]
fn validate_rejects_zero_seeds_in_one_line() {
    let d = tempfile::tempdir().unwrap();
    let o = goodhart(&[
        "llm",
        "validate",
        "--seeds",
        "0",
        "--out",
        d.path().join("v").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("--seeds 0"), "{e}");
    // Nothing was trained before the argument was checked.
    assert!(!d.path().join("v/models").exists());
}

#[test]
fn train_config_errors_name_the_key_or_value() {
    let d = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/experiments/configs/cpu-small.toml"
    ))
    .unwrap();
    let cases = [
        (
            good.replace("eval_rounds = 4", "eval_rounds = 4\nlearning_rate = 1.0"),
            "learning_rate",
        ),
        (
            good.replace("budget_nats = 10.0", "budget_nats = -1.0"),
            "budget",
        ),
        (
            good.replace("budget_nats = 10.0", "budget_nats = nan"),
            "budget",
        ),
        (
            good.replace("chat_tokens = 128", "chat_tokens = 0"),
            "chat_tokens",
        ),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        let p = d.path().join(format!("c{i}.toml"));
        std::fs::write(&p, text).unwrap();
        let o = goodhart(&[
            "llm",
            "train",
            "--quiet",
            "--config",
            p.to_str().unwrap(),
            "--out",
            d.path().join(format!("o{i}")).to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "case {needle}: {}", stderr(&o));
        let e = stderr(&o);
        assert_eq!(e.trim().lines().count(), 1, "{e}");
        assert!(e.contains(needle), "case {needle}: {e}");
    }
}

/// Issue 10: the LLM figures are in the figure registry: `figure --list` shows each with the `llm`
/// command that makes it, and `figure ID` for one of them is a one-line error naming that command.
#[test]
fn figure_list_shows_llm_figures_with_their_command() {
    let o = goodhart(&["figure", "--list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let list = String::from_utf8_lossy(&o.stdout).to_string();
    for (id, cmd) in [
        ("llm-train-small", "`goodhart llm train-small --out DIR`"),
        (
            "cohen24-llm-transcripts",
            "`goodhart llm validate --out DIR`",
        ),
        (
            "kwa24-fig-b1-probe",
            "`goodhart llm probe --reward DIR --out DIR`",
        ),
    ] {
        let line = list
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("{id} not listed:\n{list}"));
        assert!(line.ends_with(&format!("[{cmd}]")), "{line}");
    }
    let o = goodhart(&["figure", "cohen24-llm-empty-kl", "--out", "x"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("goodhart llm validate --out DIR"), "{e}");
}
