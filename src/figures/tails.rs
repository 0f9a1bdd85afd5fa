//! The tail figure of `goodhart tails` and of the reward probe (`goodhart llm probe`): read one
//! column of samples, check or drop missing values, run the verdict
//! ([`crate::estimate::verdict::verdict_observed`]), and write `tails.svg` (the tail plots of
//! [`crate::estimate::plots`]), `tails-hill.csv` (the tidy Hill curve) and `tails.json` (the
//! verdict report). The command line (`goodhart tails`, printing) is [`crate::cli::tails`].
//!
//! Reading uses the shared reader [`crate::dist::columns`]: a CSV file (header row, RFC 4180
//! quoting, optional UTF-8 BOM; the column named by `--column`, else the only column, else
//! `reward`) or a JSON file (an array of numbers, or an object whose `--column` key — else its only
//! key, else `reward` — holds one). Missing values (empty/`NA`/`NaN`/`null` cells, blank rows) and
//! infinite values are rejected, with their count and first lines, unless `--drop-nonfinite`,
//! which drops them and reports how many of each (`dropped_missing`, `dropped_infinite`, and their
//! sum `dropped_nonfinite`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::estimate::plots::{
    ccdf_plot, hill_curve, hill_plot, mean_excess_plot, pareto_qq_plot, positive_part, HillBand,
    TailLine,
};
use crate::estimate::verdict::{verdict_observed, VerdictOptions, VerdictReport, MIN_SAMPLE};
use crate::output::figure_files::write_json;
use crate::output::{write_figure_files, FigureFiles};
use crate::plot::{histogram, svg_page, titled};

pub use crate::dist::columns::{read_csv, read_json, Column};

/// Reads the samples (`-` is standard input) with the shared reader
/// [`crate::dist::columns::read_path`].
///
/// # Errors
/// [`Error::Io`] naming the file and line.
pub fn read_samples(path: &Path, column: Option<&str>) -> Result<Column> {
    crate::dist::columns::read_path(path, column)
}

/// What [`finite_only`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dropped {
    /// Missing values (empty/NA/NaN/null cells, blank rows, JSON `null`).
    pub missing: usize,
    /// Infinite values.
    pub infinite: usize,
}

impl Dropped {
    /// Missing plus infinite.
    pub fn total(self) -> usize {
        self.missing + self.infinite
    }
}

/// Drops missing and infinite values if `drop`, else rejects the column, naming how many and
/// where. Returns the finite values and what was dropped.
///
/// # Errors
/// [`Error::Io`] naming the file, the counts and the first lines, suggesting `--drop-nonfinite`.
pub fn finite_only(col: &Column, drop: bool, origin: &str) -> Result<(Vec<f64>, Dropped)> {
    let infinite = col.infinite();
    let dropped = Dropped {
        missing: col.missing,
        infinite,
    };
    if dropped.total() > 0 && !drop {
        let mut parts = Vec::new();
        if col.missing > 0 {
            parts.push(format!(
                "{} missing value(s) (empty, NA, NaN or null cells, or blank rows; first at line(s) {})",
                col.missing,
                col.missing_lines
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if infinite > 0 {
            let i = col.values.iter().position(|v| v.is_infinite()).unwrap_or(0);
            parts.push(format!(
                "{infinite} infinite value(s) (first: value {} of the column)",
                i + 1
            ));
        }
        return Err(Error::Io {
            path: origin.into(),
            message: format!(
                "column `{}` has {}: pass --drop-nonfinite to drop them",
                col.name,
                parts.join(" and ")
            ),
        });
    }
    let kept: Vec<f64> = col
        .values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    Ok((kept, dropped))
}

/// The Hill curve's range for the plots and CSV: `k = 1..=min(n₊ − 1, max(2·k̂, n₊/4))`.
pub fn hill_k_max(n_positive: usize, k_selected: usize) -> usize {
    (2 * k_selected)
        .max(n_positive / 4)
        .min(n_positive.saturating_sub(1))
        .max(1)
}

/// The report object printed by `--json` and written to `tails.json`.
pub fn report_json(
    file: &Path,
    col: &Column,
    dropped: Dropped,
    seed: u64,
    v: &VerdictReport,
) -> serde_json::Value {
    let mut o = serde_json::to_value(v).unwrap_or_default();
    if let Some(m) = o.as_object_mut() {
        m.insert("file".into(), file.display().to_string().into());
        m.insert("column".into(), col.name.clone().into());
        m.insert("dropped_nonfinite".into(), dropped.total().into());
        m.insert("dropped_missing".into(), dropped.missing.into());
        m.insert("dropped_infinite".into(), dropped.infinite.into());
        m.insert("seed".into(), seed.into());
        // Hill's index is a tail index only for a heavy verdict: null otherwise
        let heavy = v.verdict == crate::estimate::verdict::TailVerdict::Heavy;
        m.remove("hill_gamma");
        m.remove("hill_gamma_ci");
        m.insert(
            "hill".into(),
            if heavy {
                serde_json::json!({
                    "gamma": v.hill_gamma,
                    "gamma_ci": v.hill_gamma_ci,
                    "alpha": 1.0 / v.hill_gamma,
                })
            } else {
                serde_json::Value::Null
            },
        );
        m.insert(
            "alpha".into(),
            if heavy && v.gamma > 0.0 {
                serde_json::json!(1.0 / v.gamma)
            } else {
                serde_json::Value::Null
            },
        );
    }
    o
}

/// Writes the tail figure of `x` (verdict `v`) into `dir`: `tails.svg` (six tail plots under a
/// headline starting with `title`) and `tails-hill.csv`; returns their paths.
///
/// # Errors
/// Rendering and I/O errors.
pub fn write_plots(dir: &Path, x: &[f64], v: &VerdictReport, title: &str) -> Result<Vec<PathBuf>> {
    let pos = positive_part(x, 0.0);
    let kmax = hill_k_max(pos.len(), v.k);
    let curve = hill_curve(&pos, 1, kmax)?;
    let fits = [TailLine {
        name: format!(
            "power-law (Hill) fit: γ̂_H = {:.3}, k = {}",
            v.hill_gamma, v.k
        ),
        gamma: v.hill_gamma,
        k: v.k,
    }];
    let headline = format!(
        "{title}: verdict {} — extreme-value index γ̂ = {:.3} (95% CI [{:.3}, {:.3}]), k = {}, x̂_min = {}",
        v.verdict.as_str(),
        v.gamma,
        v.gamma_ci.0,
        v.gamma_ci.1,
        v.k,
        crate::plot::sig3(v.x_min)
    );
    let svg = svg_page(1500, 1000, "goodhart tails FILE --out DIR", |a| {
        let body = titled(a, &headline, 17)?;
        let p = body.split_evenly((2, 3));
        let marks = [(v.k, format!("k̂={}", v.k))];
        hill_plot(
            &p[0],
            "Hill plot with 95% band",
            &curve,
            false,
            HillBand::Band95,
            &marks,
            &[],
        )?;
        hill_plot(
            &p[1],
            "alt-Hill: γ̂ against ln k / ln n",
            &curve,
            true,
            HillBand::Band95,
            &marks,
            &[],
        )?;
        histogram(&p[2], "Histogram (100 bins)", "value", x, 100, 0)?;
        ccdf_plot(&p[3], "Log-log CCDF (positive values)", &pos, &fits, kmax)?;
        pareto_qq_plot(&p[4], "Pareto QQ (positive values)", &pos, &fits, kmax)?;
        mean_excess_plot(&p[5], "Mean excess", x)
    })?;
    let table = curve.table()?;
    let files = FigureFiles {
        svg_name: "tails.svg".into(),
        svg: &svg,
        png_name: None,
        csv_name: "tails-hill.csv".into(),
        table: &table,
    };
    Ok(write_figure_files(dir, &files)?
        .into_iter()
        .map(|w| w.path)
        .collect())
}

/// What `goodhart tails` reads: the file, its column, whether to drop non-finite values, the
/// bootstrap seed (`None`: the project's default).
#[derive(Debug, Clone)]
pub struct TailsInput {
    /// CSV or JSON file of samples (`-` is standard input).
    pub file: PathBuf,
    /// Column; default: the only one, else `reward`.
    pub column: Option<String>,
    /// Drop NaN/inf values (and say how many) instead of rejecting the file.
    pub drop_nonfinite: bool,
    /// Master seed of the bootstrap.
    pub seed: Option<u64>,
}

/// What [`analyse`] found.
pub struct Analysis {
    /// The column as read.
    pub column: Column,
    /// Its finite values.
    pub values: Vec<f64>,
    /// What was dropped (with `--drop-nonfinite`).
    pub dropped: Dropped,
    /// The verdict.
    pub verdict: VerdictReport,
    /// The bootstrap seed used.
    pub seed: u64,
}

/// The work of `goodhart tails` before anything is printed or written: read the file, check
/// or drop missing values, run the verdict (progress to `observer`). `goodhart bench`'s
/// `tails_cli` times exactly this.
///
/// # Errors
/// One-line errors for unreadable/malformed files, missing or non-finite values, too-short,
/// all-equal or non-positive samples, estimator failures; [`Error::Interrupted`] on Ctrl-C.
pub fn analyse(a: &TailsInput, observer: &dyn crate::sim::Observer) -> anyhow::Result<Analysis> {
    let col = read_samples(&a.file, a.column.as_deref())?;
    let origin = a.file.display().to_string();
    let (x, dropped) = finite_only(&col, a.drop_nonfinite, &origin)?;
    if dropped.total() > 0 {
        eprintln!(
            "goodhart tails: dropped {} missing and {} infinite value(s) of {} (--drop-nonfinite)",
            dropped.missing,
            dropped.infinite,
            col.values.len()
        );
    }
    if x.is_empty() {
        return Err(Error::io(
            &a.file,
            format!(
                "no values in column `{}` (need at least {MIN_SAMPLE})",
                col.name
            ),
        )
        .into());
    }
    let seed = a.seed.unwrap_or(crate::sim::seeds::DEFAULT_SEED);
    let v = verdict_observed(&x, &VerdictOptions::default(), seed, observer).map_err(|e| {
        let interrupted = matches!(e, Error::Interrupted { .. });
        let e = anyhow::Error::from(e).context(format!("{}: column `{}`", origin, col.name));
        if interrupted {
            e.context("nothing was written")
        } else {
            e
        }
    })?;
    Ok(Analysis {
        column: col,
        values: x,
        dropped,
        verdict: v,
        seed,
    })
}

/// Writes the outputs of `goodhart tails --out DIR` for samples that did not come from a file
/// argument (e.g. the reward probe of `goodhart llm probe`): `tails.svg`, `tails-hill.csv` and
/// `tails.json` in `dir`. `file` is where the samples were written.
///
/// # Errors
/// File-system and rendering errors.
pub fn write_outputs(
    dir: &Path,
    file: &Path,
    column: &str,
    values: &[f64],
    seed: u64,
    v: &VerdictReport,
    title: &str,
) -> Result<Vec<PathBuf>> {
    let col = Column {
        name: column.to_string(),
        values: values.to_vec(),
        missing: 0,
        missing_lines: Vec::new(),
    };
    let report = report_json(file, &col, Dropped::default(), seed, v);
    write_figure(dir, values, v, title, &report)
}

/// Writes the tail figure into `dir`: [`write_plots`], then `report` (from [`report_json`]) as
/// `tails.json`; returns the paths written.
///
/// # Errors
/// Rendering and I/O errors.
pub fn write_figure(
    dir: &Path,
    x: &[f64],
    v: &VerdictReport,
    title: &str,
    report: &serde_json::Value,
) -> Result<Vec<PathBuf>> {
    let mut written = write_plots(dir, x, v, title)?;
    let p = dir.join("tails.json");
    write_json(&p, report)?;
    written.push(p);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonfinite_rejected_or_dropped() {
        let c = read_csv("v\n1\nNA\ninf\n3\n", None, "f.csv").unwrap();
        let e = finite_only(&c, false, "f.csv").unwrap_err().to_string();
        assert!(
            e.contains("1 missing")
                && e.contains("line(s) 3")
                && e.contains("1 infinite")
                && e.contains("--drop-nonfinite"),
            "{e}"
        );
        assert_eq!(
            finite_only(&c, true, "f.csv").unwrap(),
            (
                vec![1.0, 3.0],
                Dropped {
                    missing: 1,
                    infinite: 1
                }
            )
        );
        assert_eq!(hill_k_max(1000, 30), 250);
        assert_eq!(hill_k_max(1000, 400), 800);
        assert_eq!(hill_k_max(10, 9), 9);
    }
}
