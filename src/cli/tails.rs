//! `goodhart tails FILE`: is the right tail of these samples heavy or light?
//!
//! Reads one column of numbers from a CSV file (header row; the column named by `--column`, else
//! the only column, else `reward`) or a JSON file (an array of numbers, or an object whose
//! `--column` key — else its only key, else `reward` — holds one). Non-finite values (`nan`,
//! `inf`, JSON `null`) are rejected unless `--drop-nonfinite`, which drops them and says how
//! many. Runs [`crate::estimate::verdict::verdict`] and prints the verdict, `γ̂` with its 95 % CI,
//! `k`, `x̂_min` and the tests; `--json` prints the verdict report as one JSON object; `--out DIR`
//! writes `tails.svg` (the tail plots of [`crate::estimate::plots`]), `tails-hill.csv` (the tidy
//! Hill curve) and `tails.json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::error::{Error, Result};
use crate::estimate::plots::{
    ccdf_plot, hill_curve, hill_plot, mean_excess_plot, pareto_qq_plot, positive_part, HillBand,
    TailLine,
};
use crate::estimate::verdict::{verdict, VerdictOptions, VerdictReport, MIN_SAMPLE};
use crate::output::write_atomic;
use crate::plot::{histogram, svg_page, titled};

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

/// Samples read from a file, with where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name (`"(array)"` for a bare JSON array).
    pub name: String,
    /// The values, in file order (may include non-finite ones).
    pub values: Vec<f64>,
}

fn cfg(path: &Path, msg: String) -> Error {
    Error::Config(format!("{}: {msg}", path.display()))
}

fn pick<'a>(names: &[&'a str], column: Option<&str>, path: &Path) -> Result<&'a str> {
    if let Some(c) = column {
        return names.iter().copied().find(|n| *n == c).ok_or_else(|| {
            cfg(
                path,
                format!("no column `{c}`; columns: {}", names.join(", ")),
            )
        });
    }
    if names.len() == 1 {
        return Ok(names[0]);
    }
    names
        .iter()
        .copied()
        .find(|n| *n == "reward")
        .ok_or_else(|| {
            cfg(
                path,
                format!(
                    "{} columns ({}) and none is `reward`: pick one with --column",
                    names.len(),
                    names.join(", ")
                ),
            )
        })
}

/// Parses a CSV text (header row, comma-separated; `nan`/`inf` allowed) into the chosen column.
///
/// # Errors
/// [`Error::Config`] naming the file and line for a missing header/column or a non-number.
pub fn read_csv(text: &str, column: Option<&str>, path: &Path) -> Result<Column> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, head)) = lines.next() else {
        return Err(Error::Empty { name: "input file" });
    };
    let header: Vec<&str> = head
        .split(',')
        .map(|h| h.trim().trim_matches('"'))
        .collect();
    let name = pick(&header, column, path)?;
    let j = header.iter().position(|h| *h == name).unwrap_or(0);
    let mut values = Vec::new();
    for (i, l) in lines {
        let cell = l.split(',').nth(j).unwrap_or("").trim().trim_matches('"');
        let v = cell.parse::<f64>().map_err(|_| {
            cfg(
                path,
                format!("line {}, column `{name}`: `{cell}` is not a number", i + 1),
            )
        })?;
        values.push(v);
    }
    Ok(Column {
        name: name.to_string(),
        values,
    })
}

fn json_values(v: &serde_json::Value, name: &str, path: &Path) -> Result<Vec<f64>> {
    let arr = v
        .as_array()
        .ok_or_else(|| cfg(path, format!("`{name}` is not an array of numbers")))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| match x {
            serde_json::Value::Number(n) => n
                .as_f64()
                .ok_or_else(|| cfg(path, format!("{name}[{i}] = {n} is not an f64"))),
            serde_json::Value::Null => Ok(f64::NAN),
            serde_json::Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| cfg(path, format!("{name}[{i}] = \"{s}\" is not a number"))),
            other => Err(cfg(path, format!("{name}[{i}] = {other} is not a number"))),
        })
        .collect()
}

/// Parses a JSON array of numbers, or an object holding one under the chosen key
/// (`null` and the strings `"nan"`/`"inf"` read as non-finite).
///
/// # Errors
/// [`Error::Config`] for malformed JSON, a missing key or a non-number.
pub fn read_json(text: &str, column: Option<&str>, path: &Path) -> Result<Column> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| cfg(path, format!("invalid JSON: {e}")))?;
    match &v {
        serde_json::Value::Array(_) => Ok(Column {
            name: "(array)".into(),
            values: json_values(&v, "array", path)?,
        }),
        serde_json::Value::Object(m) => {
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            let name = pick(&keys, column, path)?;
            Ok(Column {
                name: name.to_string(),
                values: json_values(&m[name], name, path)?,
            })
        }
        _ => Err(cfg(
            path,
            "JSON must be an array of numbers or an object of arrays".into(),
        )),
    }
}

/// Reads the file: JSON if its extension is `.json` or its first character `[`/`{`, else CSV.
///
/// # Errors
/// [`Error::Io`] if unreadable; as [`read_csv`] / [`read_json`].
pub fn read_samples(path: &Path, column: Option<&str>) -> Result<Column> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let first = text.trim_start().chars().next();
    let is_json = path.extension().is_some_and(|e| e == "json") || matches!(first, Some('[' | '{'));
    if is_json {
        read_json(&text, column, path)
    } else {
        read_csv(&text, column, path)
    }
}

/// Drops non-finite values if `drop`, else rejects the first one. Returns the finite values and
/// how many were dropped.
///
/// # Errors
/// [`Error::NotFinite`]-style [`Error::Config`] naming the position, suggesting `--drop-nonfinite`.
pub fn finite_only(values: Vec<f64>, drop: bool, path: &Path) -> Result<(Vec<f64>, usize)> {
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        if !drop {
            let bad = values.iter().filter(|v| !v.is_finite()).count();
            return Err(cfg(
                path,
                format!(
                    "value {} (row {}) is {}; {bad} non-finite value(s) in all: pass --drop-nonfinite to drop them",
                    values[i],
                    i + 1,
                    if values[i].is_nan() { "NaN" } else { "infinite" }
                ),
            ));
        }
    }
    let n = values.len();
    let kept: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    let dropped = n - kept.len();
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
    dropped: usize,
    seed: u64,
    v: &VerdictReport,
) -> serde_json::Value {
    let mut o = serde_json::to_value(v).unwrap_or_default();
    if let Some(m) = o.as_object_mut() {
        m.insert("file".into(), file.display().to_string().into());
        m.insert("column".into(), col.name.clone().into());
        m.insert("dropped_nonfinite".into(), dropped.into());
        m.insert("seed".into(), seed.into());
        m.insert("alpha".into(), serde_json::json!(1.0 / v.gamma));
    }
    o
}

fn write_plots(dir: &Path, x: &[f64], v: &VerdictReport, title: &str) -> Result<Vec<PathBuf>> {
    let pos = positive_part(x, 0.0);
    let kmax = hill_k_max(pos.len(), v.k);
    let curve = hill_curve(&pos, 1, kmax)?;
    let fits = [TailLine {
        name: format!("power-law fit: γ̂ = {:.3}, k = {}", v.gamma, v.k),
        gamma: v.gamma,
        k: v.k,
    }];
    let headline = format!(
        "{title}: verdict {} — γ̂ = {:.3} (95% CI [{:.3}, {:.3}]), k = {}, x̂_min = {}",
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
    let files = [
        (dir.join("tails.svg"), svg.into_bytes()),
        (
            dir.join("tails-hill.csv"),
            curve.table()?.to_csv()?.into_bytes(),
        ),
    ];
    let mut out = Vec::new();
    for (p, b) in files {
        write_atomic(&p, &b)?;
        out.push(p);
    }
    Ok(out)
}

/// Runs `goodhart tails`.
///
/// # Errors
/// One-line errors for unreadable/malformed files, non-finite values, too-short, all-equal or
/// non-positive samples, and estimator failures.
pub fn run(a: TailsArgs) -> anyhow::Result<ExitCode> {
    let col = read_samples(&a.file, a.column.as_deref())?;
    let (x, dropped) = finite_only(col.values.clone(), a.drop_nonfinite, &a.file)?;
    if dropped > 0 {
        eprintln!(
            "goodhart tails: dropped {dropped} non-finite value(s) of {} (--drop-nonfinite)",
            col.values.len()
        );
    }
    if x.is_empty() {
        return Err(cfg(
            &a.file,
            format!(
                "no values in column `{}` (need at least {MIN_SAMPLE})",
                col.name
            ),
        )
        .into());
    }
    let seed = a.seed.unwrap_or(crate::sim::seeds::DEFAULT_SEED);
    let v = verdict(&x, &VerdictOptions::default(), seed)
        .with_context(|| format!("{}: column `{}`", a.file.display(), col.name))?;
    let report = report_json(&a.file, &col, dropped, seed, &v);
    if let Some(dir) = &a.out {
        let title = format!("{} [{}]", a.file.display(), col.name);
        let mut written = write_plots(dir, &x, &v, &title)?;
        let p = dir.join("tails.json");
        write_atomic(
            &p,
            serde_json::to_string_pretty(&report)
                .context("serialising the report")?
                .as_bytes(),
        )?;
        written.push(p);
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
        if dropped > 0 {
            format!(" ({dropped} non-finite dropped)")
        } else {
            String::new()
        }
    );
    println!("verdict: {}", v.verdict.as_str());
    println!("rule: {}", v.evidence.rule);
    println!(
        "gamma = {:.4}  95% CI [{:.4}, {:.4}]  (alpha = 1/gamma = {:.3})",
        v.gamma,
        v.gamma_ci.0,
        v.gamma_ci.1,
        1.0 / v.gamma
    );
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
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_and_json_columns() {
        let p = Path::new("x");
        let c = read_csv("a,reward\n1,2.5\n2,nan\n\n", None, p).unwrap();
        assert_eq!(c.name, "reward");
        assert_eq!(c.values[0], 2.5);
        assert!(c.values[1].is_nan());
        assert_eq!(
            read_csv("v\n1\n-inf\n", None, p).unwrap().values[1],
            f64::NEG_INFINITY
        );
        assert!(read_csv("a,b\n1,2\n", None, p).is_err(), "ambiguous");
        assert_eq!(
            read_csv("a,b\n1,2\n", Some("b"), p).unwrap().values,
            vec![2.0]
        );
        let e = read_csv("a\n1\nx\n", None, p).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("`x`"), "{e}");
        assert_eq!(
            read_json("[1, 2.5, null]", None, p).unwrap().values[..2],
            [1.0, 2.5]
        );
        let o = read_json(r#"{"s": [3, "inf"]}"#, None, p).unwrap();
        assert_eq!((o.name.as_str(), o.values[1]), ("s", f64::INFINITY));
        assert!(read_json(r#"{"s": [true]}"#, None, p).is_err());
        assert!(read_json("[1,", None, p).is_err());
    }

    #[test]
    fn nonfinite_rejected_or_dropped() {
        let p = Path::new("f.csv");
        let e = finite_only(vec![1.0, f64::NAN, f64::INFINITY], false, p)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 2") && e.contains("2 non-finite") && e.contains("--drop-nonfinite")
        );
        assert_eq!(
            finite_only(vec![1.0, f64::NAN, 3.0], true, p).unwrap(),
            (vec![1.0, 3.0], 1)
        );
        assert_eq!(hill_k_max(1000, 30), 250);
        assert_eq!(hill_k_max(1000, 400), 800);
        assert_eq!(hill_k_max(10, 9), 9);
    }
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
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let col = Column {
        name: column.to_string(),
        values: values.to_vec(),
    };
    let report = report_json(file, &col, 0, seed, v);
    let mut written = write_plots(dir, values, v, title)?;
    let p = dir.join("tails.json");
    let text = serde_json::to_string_pretty(&report).map_err(|e| Error::Other(e.to_string()))?;
    write_atomic(&p, text.as_bytes())?;
    written.push(p);
    Ok(written)
}
