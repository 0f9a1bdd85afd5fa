//! The command-line interface (clap derive). `main.rs` only calls [`main`], which maps errors to
//! exit codes: 0 success, 1 error or failed check (one line), 2 usage (clap), 130 interrupted.

pub mod tails;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::catalogue;
use crate::figures::{self, RunOptions};
use crate::report::{CheckOptions, Paper};
use crate::sim::interrupt;
use crate::Error;

/// Check, regenerate and extend results on KL-regularised RL: Catastrophic Goodhart (Kwa et
/// al. 2024) and "RL, but don't do anything I wouldn't do" (Cohen et al. 2024).
#[derive(Debug, Parser)]
#[command(name = "goodhart", version, about, long_about = None)]
pub struct Cli {
    /// Less output on stderr (no progress bars, warnings only).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Worker threads for parallel kernels (default: all cores). Results do not depend on it.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    #[command(subcommand)]
    /// What to do.
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every figure of every paper + the theorem report, from the embedded defaults.
    Reproduce {
        /// Output directory.
        #[arg(long, default_value = "figures")]
        out: PathBuf,
        /// CI preset: fewer Monte-Carlo trials, coarser grids.
        #[arg(long)]
        quick: bool,
        /// Master seed (default 20240522).
        #[arg(long)]
        seed: Option<u64>,
        /// Skip figures whose outputs exist with the same config hash, seed and commit.
        #[arg(long)]
        resume: bool,
    },
    /// One figure.
    Figure {
        /// Figure id (see `goodhart figure --list`).
        id: Option<String>,
        /// Output directory.
        #[arg(long, default_value = "figures")]
        out: PathBuf,
        /// CI preset.
        #[arg(long)]
        quick: bool,
        /// Master seed.
        #[arg(long)]
        seed: Option<u64>,
        /// List the figure ids and exit (the LLM figures, feature `llm`, with the command that makes
        /// them).
        #[arg(long)]
        list: bool,
    },
    /// Run every theorem check and print the report; exit 1 if any check fails.
    Theorems {
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Only this paper's checks.
        #[arg(long, value_enum)]
        paper: Option<Paper>,
        /// Master seed for Monte-Carlo checks.
        #[arg(long)]
        seed: Option<u64>,
        /// Fewer Monte-Carlo draws.
        #[arg(long)]
        quick: bool,
    },
    /// Embedded default configs.
    Config {
        #[command(subcommand)]
        /// What to do with configs.
        action: ConfigAction,
    },
    /// Run a simulation from a TOML file (start from `goodhart config show ID`).
    Simulate {
        /// The TOML file; its `simulation = "ID"` key picks the producer.
        #[arg(long)]
        config: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "figures")]
        out: PathBuf,
        /// Master seed (overrides the file's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// CI preset.
        #[arg(long)]
        quick: bool,
    },
    /// Is the right tail of these samples heavy or light? Verdict, γ̂ with CI, k, tests, plots.
    Tails(tails::TailsArgs),
    /// Built-in benchmarks, timed beside the NumPy/SciPy baselines when they are available.
    Bench {
        /// Print `{name: median_seconds}` as JSON.
        #[arg(long)]
        json: bool,
        /// Comma-separated subset: tilt, sample_t3, hill, tails, cohen (Cohen et al. 2024 scaling), tails_cli (the whole `goodhart tails` verdict at n = 1e5, 1e6, 1e7), llm (feature llm: scoring, generation, reward, PPO steps on the small pair beside PyTorch).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Skip running `../shared/baselines/bench.py` beside ours.
        #[arg(long)]
        no_baseline: bool,
        /// Repetitions (median reported).
        #[arg(long, default_value_t = 3)]
        repeats: usize,
    },
    /// The LLM stack and the KL-budget experiment (cargo feature `llm`): make-tiny, train-small,
    /// probe, validate, train. `goodhart llm --help` lists them.
    #[command(disable_help_flag = true)]
    Llm {
        /// Arguments of the LLM subcommands.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// `config` actions.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the embedded default config of a figure/simulation as TOML.
    Show {
        /// Figure/simulation id.
        id: String,
    },
    /// List the ids that have configs.
    List,
}

/// How a failed write to standard output ends the process: a closed pipe (`goodhart figure
/// --list | head -1`) is a normal, quiet exit 0; any other write error (`--json > /dev/full`)
/// is one line on stderr and exit 1.
fn stdout_write_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("goodhart: cannot write to standard output: {e}");
    std::process::exit(1)
}

/// The one place where writes to standard output fail: `print!`/`println!` anywhere in the
/// binary (here, in the benchmarks, in the LLM commands) panic with std's message
/// `failed printing to stdout: {io error}`; this hook turns that panic into
/// [`stdout_write_failed`]'s exit instead of a panic message and exit 101. Every other panic
/// goes to the default hook.
fn install_stdout_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload_as_str().unwrap_or("");
        if let Some(rest) = msg.strip_prefix("failed printing to stdout: ") {
            let kind = if rest.contains("Broken pipe") || rest.contains("os error 32") {
                std::io::ErrorKind::BrokenPipe
            } else {
                std::io::ErrorKind::Other
            };
            stdout_write_failed(&std::io::Error::new(kind, rest.to_string()));
        }
        default(info)
    }));
}

/// Parses argv, runs, maps the outcome to an exit code.
pub fn main() -> ExitCode {
    install_stdout_hook();
    let cli = Cli::parse();
    let level = if cli.quiet { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "{level},usvg=error,resvg=error,tiny_skia=error"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
    if let Some(n) = cli.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    interrupt::install_handler();
    let outcome = run(cli);
    // the last buffered bytes (a `print!` without a newline) fail here, not silently at exit
    if let Err(e) = std::io::Write::flush(&mut std::io::stdout()) {
        stdout_write_failed(&e);
    }
    match outcome {
        Ok(code) => code,
        Err(e) => {
            if let Some(Error::Interrupted { .. }) = e.downcast_ref::<Error>() {
                eprintln!("goodhart: {e:#}");
                return ExitCode::from(130);
            }
            eprintln!("goodhart: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}

/// What an interrupted `reproduce` kept, in words.
fn kept_figures(out: &std::path::Path, n: usize) -> String {
    if n == 0 {
        "interrupted before any figure finished: nothing was written".to_string()
    } else {
        format!(
            "{n} finished figure(s) kept in {} (README.md indexes them)",
            out.display()
        )
    }
}

/// The error of an interrupted all-or-nothing command.
fn interrupted_nothing_kept(what: &str) -> anyhow::Error {
    anyhow::Error::from(Error::Interrupted { done: 0, total: 1 })
        .context(format!("interrupted during {what}: nothing was written"))
}

fn argv() -> Vec<String> {
    let mut v: Vec<String> = std::env::args().collect();
    if let Some(first) = v.first_mut() {
        *first = "goodhart".into();
    }
    v
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let observer = crate::output::progress::Bars::new(cli.quiet);
    match cli.command {
        Command::Tails(args) => tails::run(args, cli.quiet),
        Command::Reproduce {
            out,
            quick,
            seed,
            resume,
        } => reproduce(&out, quick, seed, resume, &observer),
        Command::Figure { list: true, .. } => {
            for s in catalogue::figures() {
                println!("{:<28} {:<10} {}", s.id, s.figure.unwrap_or("—"), s.title);
            }
            #[cfg(feature = "llm")]
            for s in catalogue::llm_figures() {
                println!(
                    "{:<28} {:<10} {} [`{}`]",
                    s.id,
                    s.figure.unwrap_or("—"),
                    s.title,
                    s.command
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Figure {
            id,
            out,
            quick,
            seed,
            list: false,
        } => {
            let id = id.context("give a figure id (see `goodhart figure --list`)")?;
            let spec = catalogue::find_figure(&id)?;
            let mut command = vec![
                "goodhart".to_string(),
                "figure".into(),
                id.clone(),
                "--out".into(),
                out.display().to_string(),
            ];
            if quick {
                command.push("--quick".into());
            }
            if let Some(s) = seed {
                command.extend(["--seed".into(), s.to_string()]);
            }
            let opts = RunOptions {
                out_dir: &out,
                seed,
                quick,
                command,
                observer: &observer,
            };
            let p = figures::run_figure(
                spec,
                spec.default_config,
                &format!("embedded {id}.toml"),
                &opts,
            )
            .map_err(|e| match e {
                Error::Interrupted { .. } => anyhow::Error::from(e)
                    .context(format!("figure {id}: nothing was written")),
                _ => e.into(),
            })?;
            println!(
                "wrote {}/{}.{{svg,csv,json{}}} in {:.2} s",
                out.display(),
                p.id,
                if cfg!(feature = "png") { ",png" } else { "" },
                p.wall_s
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Theorems {
            json,
            paper,
            seed,
            quick,
        } => {
            let opts = CheckOptions {
                seed: seed.unwrap_or(crate::sim::seeds::DEFAULT_SEED),
                quick,
            };
            let Some(report) = interrupt::abandon_on_interrupt(
                "interrupted (Ctrl-C) during the theorem checks; no report printed, no check recorded",
                || catalogue::report(&opts, paper),
            ) else {
                return Err(interrupted_nothing_kept("the theorem checks"));
            };
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_text());
            }
            Ok(if report.failures() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Config {
            action: ConfigAction::Show { id },
        } => {
            print!("{}", catalogue::find_figure(&id)?.default_config);
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            action: ConfigAction::List,
        } => {
            for s in catalogue::figures() {
                println!("{}", s.id);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate {
            config,
            out,
            seed,
            quick,
        } => {
            let text = std::fs::read_to_string(&config)
                .with_context(|| format!("cannot read {}", config.display()))?;
            let origin = config.display().to_string();
            let mut table = crate::config::parse_toml(&text, &origin)?;
            let header = crate::config::split_header(&mut table, &origin)?;
            let id = header.simulation.with_context(|| {
                format!(
                    "{origin}: missing top-level key `simulation` (one of: {})",
                    catalogue::figures()
                        .iter()
                        .map(|s| s.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let spec = catalogue::find_figure(&id)?;
            let opts = RunOptions {
                out_dir: &out,
                seed,
                quick,
                command: argv(),
                observer: &observer,
            };
            let p =
                // config errors already name the file; others get it here
                figures::run_figure(spec, &text, &origin, &opts).map_err(|e| match e {
                    Error::Config(_) => anyhow::Error::from(e),
                    Error::Interrupted { .. } => anyhow::Error::from(e)
                        .context(format!("{origin}: nothing was written")),
                    _ => anyhow::Error::from(e).context(origin.clone()),
                })?;
            println!(
                "wrote {}/{}.{{svg,csv,json{}}} in {:.2} s",
                out.display(),
                p.id,
                if cfg!(feature = "png") { ",png" } else { "" },
                p.wall_s
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            json,
            only,
            no_baseline,
            repeats,
        } => crate::bench::cli(&only, json, !no_baseline, repeats),
        #[cfg(feature = "llm")]
        Command::Llm { args } => crate::llm::cli::run(&args, cli.quiet),
        #[cfg(not(feature = "llm"))]
        Command::Llm { args } => anyhow::bail!(
            "`goodhart llm {}` needs the LLM stack: this binary was built without the cargo feature `llm` (rebuild with `cargo run --release --features llm -- llm ...`)",
            args.join(" ")
        ),
    }
}

fn reproduce(
    out: &std::path::Path,
    quick: bool,
    seed: Option<u64>,
    resume: bool,
    observer: &crate::output::progress::Bars,
) -> anyhow::Result<ExitCode> {
    use crate::sim::Observer;
    let specs = catalogue::figures();
    let mut provs = Vec::new();
    let build = crate::output::provenance::git_state();
    for (i, spec) in specs.iter().enumerate() {
        if interrupt::requested() {
            figures::write_index(out, &provs)?;
            return Err(anyhow::Error::from(Error::Interrupted {
                done: i,
                total: specs.len(),
            })
            .context(kept_figures(out, provs.len())));
        }
        if resume {
            let key = ResumeKey {
                version: env!("CARGO_PKG_VERSION"),
                commit: build.0.as_deref(),
                dirty: build.1,
                config_text: spec.default_config,
                seed: seed.unwrap_or(crate::sim::seeds::DEFAULT_SEED),
                quick,
            };
            match previous(out, spec.id, &key) {
                Ok(p) => {
                    observer.message(&format!(
                        "[{}/{}] {} unchanged (same build, config, seed, preset; file hashes verified), kept",
                        i + 1,
                        specs.len(),
                        spec.id
                    ));
                    provs.push(p);
                    continue;
                }
                Err(why) => observer.message(&format!("{}: recomputed ({why})", spec.id)),
            }
        }
        observer.message(&format!(
            "[{}/{}] {}: {}",
            i + 1,
            specs.len(),
            spec.id,
            spec.title
        ));
        let mut command = vec![
            "goodhart".to_string(),
            "figure".into(),
            spec.id.into(),
            "--out".into(),
            out.display().to_string(),
        ];
        if quick {
            command.push("--quick".into());
        }
        if let Some(s) = seed {
            command.extend(["--seed".into(), s.to_string()]);
        }
        let opts = RunOptions {
            out_dir: out,
            seed,
            quick,
            command,
            observer,
        };
        match figures::run_figure(
            spec,
            spec.default_config,
            &format!("embedded {}.toml", spec.id),
            &opts,
        ) {
            Ok(p) => provs.push(p),
            Err(e) => {
                // keep an index of what is done, whatever stopped us (Ctrl-C inside a figure included)
                figures::write_index(out, &provs)?;
                let interrupted = matches!(e, Error::Interrupted { .. });
                let e = anyhow::Error::from(e).context(format!("figure {}", spec.id));
                return Err(if interrupted {
                    e.context(kept_figures(out, provs.len()))
                } else {
                    e
                });
            }
        }
    }
    figures::write_index(out, &provs)?;
    observer.message("theorem report");
    let opts = CheckOptions {
        seed: seed.unwrap_or(crate::sim::seeds::DEFAULT_SEED),
        quick,
    };
    let kept = format!(
        "interrupted (Ctrl-C) during the theorem report: no check recorded, the previous report.json/report.md in {} kept; the {} figures and README.md written before it were kept",
        out.display(),
        provs.len()
    );
    let Some(report) = interrupt::abandon_on_interrupt(&kept, || catalogue::report(&opts, None))
    else {
        return Err(anyhow::Error::from(Error::Interrupted {
            done: provs.len(),
            total: specs.len() + 1,
        })
        .context(kept));
    };
    crate::output::write_atomic(&out.join("report.json"), report.to_json().as_bytes())?;
    crate::output::write_atomic(&out.join("report.md"), report.to_markdown().as_bytes())?;
    println!(
        "wrote {} figures, report.json, report.md and README.md to {}; {} of {} checks hold",
        provs.len(),
        out.display(),
        report.checks.len() - report.failures(),
        report.checks.len()
    );
    Ok(if report.failures() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What determines a figure's outputs: `--resume` keeps earlier files only when all of it
/// matches the record beside them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResumeKey<'a> {
    /// This binary's version.
    pub version: &'a str,
    /// The commit it was built from (embedded at build time).
    pub commit: Option<&'a str>,
    /// Whether its sources differed from that commit.
    pub dirty: Option<bool>,
    /// The config text the figure runs on (the resolved config is a function of it and the build).
    pub config_text: &'a str,
    /// Master seed.
    pub seed: u64,
    /// CI preset.
    pub quick: bool,
}

/// The provenance of an earlier output that `--resume` may keep, or why not.
///
/// Keeps only when this binary has a known, clean build commit and the record `ID.json` has the
/// same goodhart version, build commit, config text hash, seed and preset, its `config_hash`
/// matches its own `config`, and every file in its `files_sha256` exists with that SHA-256 (the
/// `.csv` and `.svg` at least).
pub(crate) fn previous(
    out: &std::path::Path,
    id: &str,
    key: &ResumeKey<'_>,
) -> std::result::Result<crate::output::Provenance, String> {
    use crate::output::provenance::{hash_json, sha256_hex};
    let Some(commit) = key.commit else {
        return Err("this binary was built outside a git checkout, so earlier outputs cannot be matched to its source".into());
    };
    if key.dirty != Some(false) {
        return Err("this binary was built from modified sources".into());
    }
    let path = out.join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path).map_err(|_| format!("no {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let differs = |what: &str| Err(format!("{what} differs from the earlier run"));
    if v["versions"]["goodhart"].as_str() != Some(key.version) {
        return differs("goodhart version");
    }
    if v["git_commit"].as_str() != Some(commit) || v["git_dirty"].as_bool() != Some(false) {
        return differs("build commit");
    }
    if v["seed"].as_u64() != Some(key.seed) {
        return differs("seed");
    }
    if v["quick"].as_bool() != Some(key.quick) {
        return differs("preset (--quick)");
    }
    if v["config_text_sha256"].as_str() != Some(sha256_hex(key.config_text.as_bytes()).as_str()) {
        return differs("config");
    }
    if v["config_hash"].as_str() != Some(hash_json(&v["config"]).as_str()) {
        return Err("the record's config does not match its config_hash".into());
    }
    let files = v["files_sha256"]
        .as_object()
        .ok_or("the record lists no file hashes")?;
    for ext in ["csv", "svg"] {
        if !files.contains_key(&format!("{id}.{ext}")) {
            return Err(format!("the record has no hash for {id}.{ext}"));
        }
    }
    for (name, want) in files {
        let bytes = std::fs::read(out.join(name)).map_err(|_| format!("{name} is missing"))?;
        if want.as_str() != Some(sha256_hex(&bytes).as_str()) {
            return Err(format!("{name} changed since it was written"));
        }
    }
    serde_json::from_value::<ProvLite>(v)
        .map(ProvLite::into_prov)
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[derive(serde::Deserialize)]
struct ProvLite {
    id: String,
    paper: String,
    figure: Option<String>,
    title: String,
    command: Vec<String>,
    config: serde_json::Value,
    config_hash: String,
    seed: u64,
    quick: bool,
    git_commit: Option<String>,
    git_dirty: Option<bool>,
    source: String,
    summary: serde_json::Value,
    wall_s: f64,
    timestamp_unix: u64,
}

impl ProvLite {
    fn into_prov(self) -> crate::output::Provenance {
        crate::output::Provenance {
            id: self.id,
            paper: self.paper,
            figure: self.figure,
            title: self.title,
            command: self.command,
            config: self.config,
            config_hash: self.config_hash,
            seed: self.seed,
            quick: self.quick,
            git_commit: self.git_commit,
            git_dirty: self.git_dirty,
            versions: crate::output::provenance::Versions::current(),
            source: self.source,
            summary: self.summary,
            wall_s: self.wall_s,
            timestamp_unix: self.timestamp_unix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::provenance::{hash_json, sha256_hex};

    /// Issue 14: `--resume` keyed on the build (version, commit embedded at build time), the
    /// config text, seed and preset, and the kept files' hashes. Before, it compared the current
    /// directory's git HEAD and only that the files existed: a changed config, a different
    /// version or an edited `.svg` were kept.
    #[test]
    fn resume_keys_on_build_config_seed_preset_and_file_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let (csv, svg) = (b"x\n1\n".to_vec(), b"<svg/>".to_vec());
        std::fs::write(out.join("f.csv"), &csv).unwrap();
        std::fs::write(out.join("f.svg"), &svg).unwrap();
        let config = serde_json::json!({"a": 1});
        let record = |commit: &str| {
            serde_json::json!({
                "id": "f", "paper": "kwa2024", "figure": null, "title": "t",
                "command": ["goodhart"], "config": config, "config_hash": hash_json(&config),
                "seed": 7, "quick": true, "git_commit": commit, "git_dirty": false,
                "versions": {"goodhart": "0.1.0"}, "source": "s", "summary": {},
                "wall_s": 1.0, "timestamp_unix": 0,
                "config_text_sha256": sha256_hex(b"a = 1\n"),
                "files_sha256": {"f.csv": sha256_hex(&csv), "f.svg": sha256_hex(&svg)},
            })
        };
        std::fs::write(out.join("f.json"), record("abc").to_string()).unwrap();
        let key = ResumeKey {
            version: "0.1.0",
            commit: Some("abc"),
            dirty: Some(false),
            config_text: "a = 1\n",
            seed: 7,
            quick: true,
        };
        assert!(previous(out, "f", &key).is_ok());
        let why = |k: ResumeKey<'_>| previous(out, "f", &k).unwrap_err();
        assert!(why(ResumeKey {
            commit: None,
            ..key
        })
        .contains("outside a git checkout"));
        assert!(why(ResumeKey {
            dirty: Some(true),
            ..key
        })
        .contains("modified"));
        assert!(why(ResumeKey {
            commit: Some("def"),
            ..key
        })
        .contains("build commit"));
        assert!(why(ResumeKey {
            version: "0.2.0",
            ..key
        })
        .contains("version"));
        assert!(why(ResumeKey { seed: 8, ..key }).contains("seed"));
        assert!(why(ResumeKey {
            quick: false,
            ..key
        })
        .contains("preset"));
        assert!(why(ResumeKey {
            config_text: "a = 2\n",
            ..key
        })
        .contains("config"));
        std::fs::write(out.join("f.svg"), b"<svg>edited</svg>").unwrap();
        assert!(why(key).contains("f.svg changed"));
        std::fs::remove_file(out.join("f.svg")).unwrap();
        assert!(why(key).contains("missing"));
        assert!(why(ResumeKey { ..key }).contains("f.svg"));
        let _ = std::fs::remove_file(out.join("f.json"));
        assert!(why(key).contains("no "));
    }
}
