//! `goodhart llm plan` and the checks `llm train` makes before loading any weights (issue 13): the
//! plan's JSON keys as the contract has them, a named card, and one-line refusals for an unknown
//! quantisation, an absent device and a plan that cannot fit.

use crate::{goodhart, stderr};
use std::path::Path;

/// cpu-small.toml pointed at tiny checkpoints made in `dir`, with `edit` applied.
fn config(dir: &Path, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let o = goodhart(&["llm", "make-tiny", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/experiments/configs/cpu-small.toml"
    ))
    .unwrap()
    .replace(
        "models/small/mixtral",
        dir.join("mixtral").to_str().unwrap(),
    )
    .replace(
        "models/small/distilbert",
        dir.join("distilbert").to_str().unwrap(),
    );
    let p = dir.join("run.toml");
    std::fs::write(&p, edit(text)).unwrap();
    p
}

#[test]
fn plan_prints_the_contract_json_per_device() {
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), |t| {
        t.replace(
            "eval_rounds = 4",
            "eval_rounds = 4\nbase_quantization = \"nf4\"\nbase_device = \"cpu\"\nagent_device = \"cpu:1\"",
        )
    });
    let o = goodhart(&["llm", "plan", "--config", cfg.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&j), ["devices", "fits"]);
    assert_eq!(j["fits"], true);
    let devices = j["devices"].as_array().unwrap();
    let names: Vec<&str> = devices
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cpu", "cpu:1"]);
    for dev in devices {
        assert_eq!(keys(dev), ["items", "name", "total_gib", "used_gib"]);
        let items = dev["items"].as_array().unwrap();
        let sum: f64 = items.iter().map(|i| i["gib"].as_f64().unwrap()).sum();
        assert!((sum - dev["used_gib"].as_f64().unwrap()).abs() < 1e-9);
        for i in items {
            assert_eq!(keys(i), ["gib", "what"]);
        }
    }
    let what: Vec<&str> = devices
        .iter()
        .flat_map(|d| d["items"].as_array().unwrap())
        .map(|i| i["what"].as_str().unwrap())
        .collect();
    for needle in [
        "base weights: decoder linear layers (nf4)",
        "KV cache",
        "reward model weights",
        "actor + critic",
        "Adam moments",
        "PPO minibatch",
    ] {
        assert!(
            what.iter().any(|w| w.starts_with(needle)),
            "{needle} in {what:?}"
        );
    }
    // A named card: the config's devices are CPUs, so the card changes nothing but is accepted;
    // an unknown card is a one-line error.
    let o = goodhart(&[
        "llm",
        "plan",
        "--config",
        cfg.to_str().unwrap(),
        "--device",
        "h100-80gb",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("fits"));
    let o = goodhart(&[
        "llm",
        "plan",
        "--config",
        cfg.to_str().unwrap(),
        "--device",
        "h100-90gb",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("h100-90gb") && stderr(&o).trim().lines().count() == 1);
}

#[test]
fn train_refuses_bad_quantisation_absent_devices_and_plans_that_do_not_fit() {
    let d = tempfile::tempdir().unwrap();
    let cases: [(&str, &dyn Fn(String) -> String, &[&str]); 3] = [
        (
            "nf5",
            &|t: String| {
                t.replace(
                    "eval_rounds = 4",
                    "eval_rounds = 4\nbase_quantization = \"nf5\"",
                )
            },
            &["nf5"],
        ),
        (
            "absent device",
            &|t: String| {
                t.replace(
                    "eval_rounds = 4",
                    "eval_rounds = 4\nbase_device = \"cuda:3\"",
                )
            },
            &["cuda:3"],
        ),
        (
            // 200 000 chats of 2048 tokens: rollout buffer, KV cache and activations far beyond any host.
            "does not fit",
            &|t: String| {
                t.replace("n_envs = 16", "n_envs = 200000")
                    .replace("chat_tokens = 128", "chat_tokens = 2048")
            },
            &["does not fit", "largest item: "],
        ),
    ];
    for (i, (name, edit, needles)) in cases.iter().enumerate() {
        let sub = d.path().join(format!("c{i}"));
        let cfg = config(&sub, edit);
        let o = goodhart(&[
            "llm",
            "train",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            sub.join("out").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        let e = stderr(&o);
        assert_eq!(e.trim().lines().count(), 1, "{name}: {e}");
        for n in *needles {
            assert!(e.contains(n), "{name}: {e}");
        }
        // Refused before anything was written or loaded.
        assert!(!sub.join("out").join("checkpoint").exists(), "{name}");
    }
}
