//! The figure registry (every figure, the LLM ones under feature `llm`) and the run of one figure
//! shared by `reproduce`, `figure` and `simulate` (its files written by
//! [`crate::output::figure_files`]).

use std::path::Path;
use std::time::Instant;

use crate::config;
use crate::error::{Error, Result};
use crate::output::provenance::FigureFacts;
use crate::output::{
    write_atomic, write_figure_files, write_provenance, FigureFiles, Provenance, Table,
};
use crate::report::Paper;
use crate::sim::Observer;

/// What a producer receives.
pub struct FigureInput<'a> {
    /// The producer's own keys (header keys removed).
    pub config: toml::Table,
    /// Where the config came from (for error messages).
    pub origin: String,
    /// Master seed.
    pub seed: u64,
    /// CI preset: fewer Monte-Carlo trials, coarser grids.
    pub quick: bool,
    /// Progress sink.
    pub observer: &'a dyn Observer,
}

/// What a producer returns.
pub struct FigureOutput {
    /// The resolved (typed, defaults filled) config, for provenance.
    pub config: serde_json::Value,
    /// Tidy data.
    pub table: Table,
    /// The rendered SVG.
    pub svg: String,
    /// Key numbers (for the index and provenance).
    pub summary: serde_json::Value,
}

/// One registered figure or simulation.
pub struct FigureSpec {
    /// Stable id (file stem of outputs).
    pub id: &'static str,
    /// Paper.
    pub paper: Paper,
    /// The paper's own figure number, if the paper has this figure.
    pub figure: Option<&'static str>,
    /// Title.
    pub title: &'static str,
    /// Source file of the producer.
    pub source: &'static str,
    /// Embedded default config (`simulations/<id>.toml`).
    pub default_config: &'static str,
    /// The producer.
    pub produce: fn(&FigureInput<'_>) -> Result<FigureOutput>,
}

/// Every registered figure, in `reproduce` order.
pub fn registry() -> Vec<&'static FigureSpec> {
    let mut v: Vec<&'static FigureSpec> = Vec::new();
    for specs in [
        // Kwa, Thomas, Garriga-Alonso 2024.
        super::kwa24_fig_a1::SPECS,
        super::kwa24_kl_frontier::SPECS,
        super::kwa24_fig_a2::SPECS,
        super::kwa24_conditioning::SPECS,
        super::kwa24_fig_b3::SPECS,
        super::kwa24_tilt::SPECS,
        super::kwa24_empirical::SPECS,
        // Cohen, Hutter, Bengio, Russell 2024.
        super::cohen24_kl_vs_horizon::SPECS,
        super::cohen24_value_vs_budget::SPECS,
        super::cohen24_simplest_time::SPECS,
        super::cohen24_tvd_kl_mass::SPECS,
        super::cohen24_ask_for_help::SPECS,
    ] {
        v.extend(specs.iter().copied());
    }
    v
}

/// The LLM figures (feature `llm`): made by a `goodhart llm …` command from trained models, so
/// `reproduce` and `figure ID` do not make them; `figure --list` shows them with that command.
#[cfg(feature = "llm")]
pub fn llm_figures() -> &'static [&'static crate::llm::figures::LlmFigureSpec] {
    crate::llm::figures::SPECS
}

/// Looks up a figure by id.
///
/// # Errors
/// [`Error::UnknownId`] listing the known ids; for an LLM figure, [`Error::Other`] naming the
/// command that makes it.
pub fn find(id: &str) -> Result<&'static FigureSpec> {
    #[cfg(feature = "llm")]
    if let Some(l) = llm_figures().iter().find(|s| s.id == id) {
        return Err(Error::Other(format!(
            "figure `{id}` needs trained models: `{}` makes it",
            l.command
        )));
    }
    let all = registry();
    all.iter()
        .copied()
        .find(|s| s.id == id)
        .ok_or_else(|| Error::UnknownId {
            id: id.to_string(),
            known: all.iter().map(|s| s.id).collect::<Vec<_>>().join(", "),
        })
}

/// Options shared by every run.
pub struct RunOptions<'a> {
    /// Output directory.
    pub out_dir: &'a Path,
    /// Master seed (overrides the config's `seed`).
    pub seed: Option<u64>,
    /// CI preset.
    pub quick: bool,
    /// argv that regenerates the output.
    pub command: Vec<String>,
    /// Progress sink.
    pub observer: &'a dyn Observer,
}

/// Runs `spec` on config text `toml_text` and writes `ID.svg`, `ID.csv`, `ID.json`.
///
/// # Errors
/// Config errors (naming the key), the producer's errors, I/O errors naming the path.
pub fn run_figure(
    spec: &FigureSpec,
    toml_text: &str,
    origin: &str,
    opts: &RunOptions<'_>,
) -> Result<Provenance> {
    let mut table = config::parse_toml(toml_text, origin)?;
    let header = config::split_header(&mut table, origin)?;
    if let Some(sim) = &header.simulation {
        if sim != spec.id {
            return Err(Error::Config(format!(
                "{origin}: `simulation = \"{sim}\"` does not match figure `{}`",
                spec.id
            )));
        }
    }
    let seed = opts
        .seed
        .or(header.seed)
        .unwrap_or(crate::sim::seeds::DEFAULT_SEED);
    let start = Instant::now();
    let input = FigureInput {
        config: table,
        origin: origin.to_string(),
        seed,
        quick: opts.quick,
        observer: opts.observer,
    };
    let out = (spec.produce)(&input)?;
    let wall_s = start.elapsed().as_secs_f64();
    let prov = Provenance::new(FigureFacts {
        id: spec.id,
        paper: spec.paper.as_str(),
        figure: spec.figure,
        title: spec.title,
        command: opts.command.clone(),
        config: out.config,
        seed,
        quick: opts.quick,
        source: spec.source,
        summary: out.summary,
        wall_s,
    });
    let files = write_figure_files(
        opts.out_dir,
        &FigureFiles::of(spec.id, &out.svg, &out.table),
    )?;
    write_provenance(opts.out_dir, &prov, &files, Some(toml_text))?;
    Ok(prov)
}

/// Writes `README.md` in `dir` indexing every figure with its command.
///
/// # Errors
/// I/O errors naming the path.
pub fn write_index(dir: &Path, provs: &[Provenance]) -> Result<()> {
    let mut s = String::from(
        "# Figures\n\nGenerated by `goodhart`; each row names the command that regenerates it.\n\n",
    );
    s.push_str("| id | paper | figure | title | command | source | wall s |\n|---|---|---|---|---|---|---|\n");
    for p in provs {
        s.push_str(&format!(
            "| [{id}]({id}.svg) | {} | {} | {} | `{}` | `{}` | {:.2} |\n",
            p.paper,
            p.figure.clone().unwrap_or_else(|| "—".into()),
            p.title.replace('|', "\\|"),
            p.command.join(" "),
            p.source,
            p.wall_s,
            id = p.id
        ));
    }
    s.push_str("\nAlso here: `report.json` and `report.md` (the theorem report).\n");
    write_atomic(&dir.join("README.md"), s.as_bytes())
}
