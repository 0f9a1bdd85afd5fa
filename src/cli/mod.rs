//! The command-line interface (clap derive). `main.rs` only calls [`main`], which maps errors to
//! exit codes: 0 success, 1 error or failed check (one line), 2 usage (clap), 130 interrupted.

mod progress;
pub mod tails;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::figures::{self, RunOptions};
use crate::report::Paper;
use crate::sim::interrupt;
use crate::theory::{self, CheckOptions};
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
        /// List the figure ids and exit.
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
        /// Comma-separated subset: tilt, sample_t3, hill, tails, cohen (Cohen et al. 2024 scaling).
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

/// Parses argv, runs, maps the outcome to an exit code.
pub fn main() -> ExitCode {
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
    match run(cli) {
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

fn argv() -> Vec<String> {
    let mut v: Vec<String> = std::env::args().collect();
    if let Some(first) = v.first_mut() {
        *first = "goodhart".into();
    }
    v
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let observer = progress::Bars::new(cli.quiet);
    match cli.command {
        Command::Tails(args) => tails::run(args),
        Command::Reproduce {
            out,
            quick,
            seed,
            resume,
        } => reproduce(&out, quick, seed, resume, &observer),
        Command::Figure { list: true, .. } => {
            for s in figures::registry() {
                println!("{:<28} {:<10} {}", s.id, s.figure.unwrap_or("—"), s.title);
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
            let spec = figures::find(&id)?;
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
            )?;
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
            let report = theory::report(&opts, paper);
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
            print!("{}", figures::find(&id)?.default_config);
            Ok(ExitCode::SUCCESS)
        }
        Command::Config {
            action: ConfigAction::List,
        } => {
            for s in figures::registry() {
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
                    figures::registry()
                        .iter()
                        .map(|s| s.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let spec = figures::find(&id)?;
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
    observer: &progress::Bars,
) -> anyhow::Result<ExitCode> {
    use crate::sim::Observer;
    let specs = figures::registry();
    let mut provs = Vec::new();
    let (commit, _) = crate::output::provenance::git_state();
    for (i, spec) in specs.iter().enumerate() {
        if interrupt::requested() {
            figures::write_index(out, &provs)?;
            return Err(Error::Interrupted {
                done: i,
                total: specs.len(),
            }
            .into());
        }
        if resume {
            if let Some(p) = previous(out, spec.id, seed, quick, commit.as_deref()) {
                observer.message(&format!(
                    "[{}/{}] {} unchanged, kept",
                    i + 1,
                    specs.len(),
                    spec.id
                ));
                provs.push(p);
                continue;
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
                return Err(anyhow::Error::from(e).context(format!("figure {}", spec.id)));
            }
        }
    }
    figures::write_index(out, &provs)?;
    observer.message("theorem report");
    let opts = CheckOptions {
        seed: seed.unwrap_or(crate::sim::seeds::DEFAULT_SEED),
        quick,
    };
    let report = theory::report(&opts, None);
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

/// The provenance of an earlier output that `--resume` may keep.
fn previous(
    out: &std::path::Path,
    id: &str,
    seed: Option<u64>,
    quick: bool,
    commit: Option<&str>,
) -> Option<crate::output::Provenance> {
    let text = std::fs::read_to_string(out.join(format!("{id}.json"))).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let same = v["seed"].as_u64() == Some(seed.unwrap_or(crate::sim::seeds::DEFAULT_SEED))
        && v["quick"].as_bool() == Some(quick)
        && v["git_commit"].as_str() == commit
        && v["git_dirty"].as_bool() == Some(false)
        && out.join(format!("{id}.svg")).exists()
        && out.join(format!("{id}.csv")).exists();
    if !same {
        return None;
    }
    serde_json::from_value::<ProvLite>(v)
        .ok()
        .map(ProvLite::into_prov)
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
