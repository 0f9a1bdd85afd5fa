//! `goodhart tails` as users and scripts see it: one-line typed errors with exit code 1 for bad
//! input, the contract's JSON keys, and the files `--out` writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn goodhart(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("goodhart-tails-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn write(name: &str, text: &str) -> PathBuf {
    let p = tmp(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Exit 1 and exactly one stderr line containing every `needle`.
fn fails_with(file: &Path, extra: &[&str], needles: &[&str]) {
    let mut args = vec!["tails", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = goodhart(&args);
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "one line: {e}");
    for n in needles {
        assert!(e.contains(n), "`{n}` not in: {e}");
    }
}

/// `n` Pareto(α = 2) quantiles (deterministic), as CSV lines.
fn pareto_csv(n: usize) -> String {
    let mut s = String::from("reward\n");
    for i in 1..=n {
        let p = (i as f64 - 0.5) / n as f64;
        s.push_str(&format!("{}\n", (1.0 - p).powf(-0.5)));
    }
    s
}

#[test]
fn bad_input_is_one_line_exit_1() {
    fails_with(&write("empty.csv", ""), &[], &["empty"]);
    fails_with(&write("header.csv", "reward\n"), &[], &["no values", "100"]);
    fails_with(
        &write("short.csv", "reward\n1\n2\n3\n"),
        &[],
        &["3 values", "at least 100"],
    );
    let same = format!("reward\n{}", "2.5\n".repeat(200));
    fails_with(&write("same.csv", &same), &[], &["all 200 values equal"]);
    let nan = pareto_csv(300).replacen("\n2", "\nnan\n2", 1);
    fails_with(&write("nan.csv", &nan), &[], &["NaN", "--drop-nonfinite"]);
    fails_with(
        &write("text.csv", "reward\n1\nabc\n"),
        &[],
        &["line 3", "abc"],
    );
    fails_with(&write("two.csv", "a,b\n1,2\n"), &[], &["--column"]);
    fails_with(
        &write("col.csv", "a\n1\n"),
        &["--column", "zz"],
        &["no column `zz`"],
    );
    fails_with(&write("bad.json", "[1, 2,"), &[], &["invalid JSON"]);
    let neg: String = (0..300).map(|i| format!("{}\n", -1.0 - i as f64)).collect();
    fails_with(
        &write("neg.csv", &format!("reward\n{neg}")),
        &[],
        &["shift"],
    );
    fails_with(&tmp("does-not-exist.csv"), &[], &["does-not-exist"]);
}

#[test]
fn json_has_contract_keys_and_drop_nonfinite_says_how_many() {
    let text = pareto_csv(2_000).replacen("\n2", "\nnan\ninf\n2", 1);
    let f = write("pareto.csv", &text);
    let o = goodhart(&["tails", f.to_str().unwrap(), "--json", "--drop-nonfinite"]);
    let e = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(e.contains("dropped 2 non-finite"), "{e}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    for key in ["n", "verdict", "gamma", "gamma_ci", "k", "evidence"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["n"], 2_000);
    assert_eq!(v["dropped_nonfinite"], 2);
    let verdict = v["verdict"].as_str().unwrap();
    assert!(["heavy", "light", "undetermined"].contains(&verdict));
    // exact Pareto(α = 2) quantiles: γ = 0.5 inside the reported CI
    let ci = v["gamma_ci"].as_array().unwrap();
    let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
    assert!(lo <= 0.5 && 0.5 <= hi, "CI [{lo}, {hi}]");
    // the same numbers from a JSON object input, with --out
    let nums: Vec<String> = text
        .lines()
        .skip(1)
        .filter(|l| !l.contains("n"))
        .map(String::from)
        .collect();
    let j = write(
        "pareto.json",
        &format!("{{\"scores\": [{}]}}", nums.join(",")),
    );
    let out = tmp("out");
    let o = goodhart(&[
        "tails",
        j.to_str().unwrap(),
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let w: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(w["gamma"], v["gamma"]);
    assert_eq!(w["column"], "scores");
    for f in ["tails.svg", "tails-hill.csv", "tails.json"] {
        assert!(out.join(f).is_file(), "{f} written");
    }
    let csv = std::fs::read_to_string(out.join("tails-hill.csv")).unwrap();
    assert!(csv.starts_with("k,theta,gamma,se,lo95,hi95"));
}
