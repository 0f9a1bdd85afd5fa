//! The `goodhart` binary as users and scripts see it: exit codes, one-line errors, JSON shapes,
//! configs that round-trip.

use crate::{goodhart, stderr};
use std::process::Command;

#[test]
fn usage_error_is_exit_2() {
    assert_eq!(goodhart(&["no-such-command"]).status.code(), Some(2));
}

#[test]
fn unknown_figure_is_one_line_exit_1() {
    let o = goodhart(&["figure", "no-such-figure"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("no-such-figure"), "{e}");
}

#[test]
fn every_registered_config_matches_its_file_and_parses() {
    for spec in goodhart::catalogue::figures() {
        let path = format!(
            "{}/simulations/{}.toml",
            env!("CARGO_MANIFEST_DIR"),
            spec.id
        );
        let file = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {path}"));
        assert_eq!(
            file, spec.default_config,
            "{path} differs from the embedded default"
        );
        let o = goodhart(&["config", "show", spec.id]);
        assert_eq!(String::from_utf8_lossy(&o.stdout), file);
        assert!(
            file.starts_with(&format!("simulation = \"{}\"", spec.id)),
            "{path} must start with its simulation key"
        );
    }
    // and every file in simulations/ is registered
    for entry in std::fs::read_dir(format!("{}/simulations", env!("CARGO_MANIFEST_DIR"))).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) == Some("toml") {
            let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
            assert!(
                goodhart::catalogue::find_figure(&stem).is_ok(),
                "simulations/{stem}.toml has no producer"
            );
        }
    }
}

#[test]
fn simulate_rejects_unknown_key_and_malformed_toml_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let Some(spec) = goodhart::catalogue::figures().first().copied() else {
        return;
    };
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, format!("{}\nbta_typo = 1.0\n", spec.default_config)).unwrap();
    let o = goodhart(&[
        "simulate",
        "--config",
        typo.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("bta_typo"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "simulation = = 3\n").unwrap();
    let o = goodhart(&["simulate", "--config", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));

    let none = dir.path().join("none.toml");
    std::fs::write(&none, "seed = 3\n").unwrap();
    let o = goodhart(&["simulate", "--config", none.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("simulation"), "{}", stderr(&o));
}

#[test]
fn theorems_json_has_contract_shape() {
    let o = goodhart(&["theorems", "--json", "--quick"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    let checks = v["checks"].as_array().expect("checks array");
    let mut failing = Vec::new();
    for c in checks {
        for k in [
            "id",
            "paper",
            "result",
            "statement",
            "quantity",
            "value",
            "bound",
            "relation",
            "tolerance",
            "holds",
            "detail",
        ] {
            assert!(c.get(k).is_some(), "check {} lacks {k}", c["id"]);
        }
        if c["holds"] != true {
            failing.push(c["id"].to_string());
        }
    }
    assert!(failing.is_empty(), "failing checks: {failing:?}");
    assert_eq!(o.status.code(), Some(0));
    let ids: std::collections::HashSet<&str> =
        checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), checks.len(), "check ids must be unique");
}

#[test]
fn readme_indexes_every_figure() {
    let readme =
        std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for spec in goodhart::catalogue::figures() {
        assert!(
            readme.contains(&format!("`goodhart figure {}`", spec.id)),
            "README.md lacks figure {}",
            spec.id
        );
    }
}

/// Ctrl-C during `reproduce`: exit 130, the figures finished so far are complete and indexed.
#[test]
fn ctrl_c_keeps_finished_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("figs");
    let child = Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args(["reproduce", "--quick", "--out", out.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // wait for the first finished figure, then interrupt
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::fs::read_dir(&out)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .all(|e| e.path().extension().and_then(|x| x.to_str()) != Some("json"))
        })
        .unwrap_or(true)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no figure written in time"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    crate::ctrl_c(&child);
    let o = child.wait_with_output().unwrap();
    if o.status.code() == Some(0) {
        return; // finished before the signal arrived: nothing to check
    }
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let index = std::fs::read_to_string(out.join("README.md")).expect("index written on interrupt");
    let mut n = 0;
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) == Some("json") {
            let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
            assert!(
                out.join(format!("{stem}.svg")).exists()
                    && out.join(format!("{stem}.csv")).exists(),
                "{stem} incomplete"
            );
            assert!(index.contains(&stem), "{stem} not indexed");
            n += 1;
        }
    }
    assert!(n >= 1);
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

/// Contract: without the LLM stack, `goodhart llm …` is one clear line naming the feature, exit 1.
#[cfg(not(feature = "llm"))]
#[test]
fn llm_without_feature_names_it() {
    let o = goodhart(&["llm", "make-tiny", "--out", "x"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.contains("feature `llm`"), "{e}");
}

/// Issue 14: a closed stdout (`goodhart figure --list | head -1`) is a quiet exit 0, a full one
/// (`> /dev/full`) exit 1 with one line naming standard output; before, both panicked (exit 101).
#[test]
fn closed_or_full_stdout_is_not_a_panic() {
    // the read end is closed before the child writes, so its first write fails with EPIPE
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args(["figure", "--list"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    if std::path::Path::new("/dev/full").exists() {
        for args in [&["figure", "--list"][..], &["config", "show", "kwa24-tilt"]] {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            let o = Command::new(env!("CARGO_BIN_EXE_goodhart"))
                .args(args)
                .stdout(full)
                .stderr(std::process::Stdio::piped())
                .output()
                .unwrap();
            let e = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
            assert_eq!(e.trim().lines().count(), 1, "{e}");
            assert!(e.contains("standard output") && !e.contains("panic"), "{e}");
        }
    }
}

/// Issue 14: Ctrl-C during the theorem checks ends the run within a second with exit 130, no
/// report and no check recorded as failed (before: ~26 s later, interrupted checks printed as
/// failures with NaN, exit 1).
#[test]
fn ctrl_c_during_theorem_checks_is_exit_130_without_a_report() {
    let crate::Interrupted {
        code,
        stdout: out,
        stderr: err,
        secs,
    } = crate::interrupt_after(
        &["theorems", "--quick"],
        std::time::Duration::from_millis(1500),
    );
    assert_eq!(code, Some(130), "stdout {out}\nstderr {err}");
    assert!(
        secs < crate::CTRL_C_WALL_LIMIT_S,
        "took {secs} s after Ctrl-C"
    );
    assert!(out.is_empty(), "no report printed: {out}");
    assert!(
        err.contains("interrupted") && err.contains("no check recorded"),
        "{err}"
    );
}

fn tmp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("goodhart-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Issue 14: a config asking for hours of work is refused naming the limit, and a long
/// discretisation stops within a second of Ctrl-C saying nothing was written (before: SIGINT
/// was ignored until the end, and the message claimed finished results were kept).
#[test]
fn simulate_large_atoms_refused_or_interruptible() {
    let d = tmp_dir("atoms");
    let base = std::fs::read_to_string(format!(
        "{}/simulations/kwa24-tilt.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let huge = d.join("huge.toml");
    std::fs::write(&huge, base.replace("atoms = 20000", "atoms = 1000000000")).unwrap();
    let o = goodhart(&[
        "simulate",
        "--config",
        huge.to_str().unwrap(),
        "--out",
        d.to_str().unwrap(),
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("atoms") && e.contains("limit"), "{e}");
    let big = d.join("big.toml");
    std::fs::write(&big, base.replace("atoms = 20000", "atoms = 10000000")).unwrap();
    let crate::Interrupted {
        code,
        stderr: err,
        secs,
        ..
    } = crate::interrupt_after(
        &[
            "simulate",
            "--config",
            big.to_str().unwrap(),
            "--out",
            d.to_str().unwrap(),
        ],
        std::time::Duration::from_millis(700),
    );
    assert_eq!(code, Some(130), "{err}");
    assert!(
        secs < crate::CTRL_C_WALL_LIMIT_S,
        "took {secs} s after Ctrl-C"
    );
    assert!(
        err.contains("nothing was written") && !err.contains("were kept"),
        "{err}"
    );
    assert!(!d.join("kwa24-tilt.svg").exists());
}

/// Issue 14, degenerate values: each gets a message naming the field (before: an empty figure
/// for empty lists, "quantile must be finite" without `df`, invalid SVG for a NUL in a name).
#[test]
fn degenerate_config_values_name_the_field() {
    let d = tmp_dir("degenerate");
    let base = std::fs::read_to_string(format!(
        "{}/simulations/kwa24-tilt.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("atoms = 20000", "atoms = 2000");
    let betas = base
        .lines()
        .find(|l| l.starts_with("betas"))
        .unwrap()
        .to_string();
    let budgets = base
        .lines()
        .find(|l| l.starts_with("budgets_nats"))
        .unwrap()
        .to_string();
    let cases = [
        (base.replace(&betas, "betas = []"), "`betas` is empty"),
        (
            base.replace(&budgets, "budgets_nats = []"),
            "`budgets_nats` is empty",
        ),
        (base.replace("df = 3.0", "df = 1e-300"), "df"),
        (
            base.replacen(
                "name = \"heavy error",
                "name = \"nul \\u0000 heavy error",
                1,
            ),
            "pairs[0].name",
        ),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        let f = d.join(format!("c{i}.toml"));
        std::fs::write(&f, text).unwrap();
        let o = goodhart(&[
            "simulate",
            "--config",
            f.to_str().unwrap(),
            "--out",
            d.to_str().unwrap(),
        ]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "case {i}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{e}");
        assert!(e.contains(needle), "case {i}: `{needle}` not in {e}");
    }
    assert!(!d.join("kwa24-tilt.svg").exists(), "nothing written");
}
