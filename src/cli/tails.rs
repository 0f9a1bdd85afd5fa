//! `goodhart tails FILE`: is the right tail of these samples heavy or light?
//!
//! Parses the arguments, runs [`crate::figures::tails::analyse`] (reading, missing values, the
//! verdict [`crate::estimate::verdict::verdict`]) and prints the verdict, `γ̂` with its 95 % CI,
//! `k`, `x̂_min` and the tests; `--json` prints the verdict report as one JSON object; `--out DIR`
//! writes the tail figure ([`crate::figures::tails`]: `tails.svg`, `tails-hill.csv`, `tails.json`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::estimate::verdict::VerdictReport;
use crate::figures::tails::{
    analyse, report_json, write_figure, Analysis, Column, Dropped, TailsInput,
};

/// Arguments of `goodhart tails`.
#[derive(Debug, Args)]
pub struct TailsArgs {
    /// CSV (with a header row) or JSON file of samples (e.g. reward-model scores).
    pub file: PathBuf,
    /// Column (CSV header name or JSON object key); default: the only one, else `reward`.
    #[arg(long)]
    pub column: Option<String>,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write tails.svg, tails-hill.csv and tails.json here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Drop NaN/inf values (and say how many) instead of rejecting the file.
    #[arg(long)]
    pub drop_nonfinite: bool,
    /// Master seed of the bootstrap (default 20240522).
    #[arg(long)]
    pub seed: Option<u64>,
}

impl TailsArgs {
    /// What [`analyse`] reads.
    pub fn input(&self) -> TailsInput {
        TailsInput {
            file: self.file.clone(),
            column: self.column.clone(),
            drop_nonfinite: self.drop_nonfinite,
            seed: self.seed,
        }
    }
}

/// Runs `goodhart tails`.
///
/// # Errors
/// One-line errors for unreadable/malformed files, non-finite values, too-short, all-equal or
/// non-positive samples, and estimator failures.
pub fn run(a: TailsArgs, quiet: bool) -> anyhow::Result<ExitCode> {
    let bars = crate::output::progress::Bars::new(quiet);
    let Analysis {
        column: col,
        values: x,
        dropped,
        verdict: v,
        seed,
    } = analyse(&a.input(), &bars)?;
    report(&a, &col, &x, dropped, seed, &v)
}

/// Prints the report and writes `--out`.
fn report(
    a: &TailsArgs,
    col: &Column,
    x: &[f64],
    dropped: Dropped,
    seed: u64,
    v: &VerdictReport,
) -> anyhow::Result<ExitCode> {
    let report = report_json(&a.file, col, dropped, seed, v);
    if let Some(dir) = &a.out {
        let title = format!("{} [{}]", a.file.display(), col.name);
        let written = write_figure(dir, x, v, &title, &report)?;
        if !a.json {
            for p in &written {
                eprintln!("wrote {}", p.display());
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} [{}]: n = {}{}",
        a.file.display(),
        col.name,
        v.n,
        if dropped.total() > 0 {
            format!(
                " ({} missing and {} infinite dropped)",
                dropped.missing, dropped.infinite
            )
        } else {
            String::new()
        }
    );
    println!("verdict: {}", v.verdict.as_str());
    println!("rule: {}", v.evidence.rule);
    println!(
        "gamma (extreme-value index, moment estimator) = {:.4}  95% CI [{:.4}, {:.4}] at k = {}",
        v.gamma, v.gamma_ci.0, v.gamma_ci.1, v.k
    );
    println!(
        "  threshold sensitivity over k = {}..{}: gamma in [{:.4}, {:.4}]; CI including the threshold choice [{:.4}, {:.4}]",
        v.threshold_band_k.0,
        v.threshold_band_k.1,
        v.gamma_threshold_band.0,
        v.gamma_threshold_band.1,
        v.gamma_ci_threshold.0,
        v.gamma_ci_threshold.1
    );
    if v.verdict == crate::estimate::verdict::TailVerdict::Heavy {
        println!(
            "  Hill gamma = {:.4}  95% CI [{:.4}, {:.4}]  (alpha = 1/gamma = {:.3})",
            v.hill_gamma,
            v.hill_gamma_ci.0,
            v.hill_gamma_ci.1,
            1.0 / v.hill_gamma
        );
    }
    println!(
        "k = {} upper order statistics above x_min = {:.6}",
        v.k, v.x_min
    );
    for t in &v.evidence.tests {
        println!(
            "  - {}: statistic {:.4}, p = {:.4}, favours {}",
            t.name, t.statistic, t.p_value, t.favours
        );
    }
    for note in &v.evidence.notes {
        println!("note: {note}");
    }
    Ok(ExitCode::SUCCESS)
}
