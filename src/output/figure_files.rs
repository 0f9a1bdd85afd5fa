//! The one writer of a figure's files, used by the figure registry ([`crate::figures::run_figure`]),
//! the LLM commands' figures (`crate::llm::figures`, feature `llm`) and the tail figure
//! ([`crate::figures::tails`]): the SVG, its PNG (feature `png`), the tidy CSV, each written
//! atomically ([`write_atomic`]), then the record describing them: a [`Provenance`] record `ID.json`
//! naming the SHA-256 of each file (`reproduce --resume` verifies them) or, for the tail figure,
//! its verdict report. Layout of the files: CONTRACT.md "Outputs of a figure".

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::provenance::{sha256_hex, Provenance};
use crate::output::{write_atomic, Table};

/// The data files of one figure.
pub struct FigureFiles<'a> {
    /// File name of the SVG (`ID.svg`).
    pub svg_name: String,
    /// The rendered SVG.
    pub svg: &'a str,
    /// File name of its PNG (`ID.png`), written only with the `png` feature; `None`: no PNG.
    pub png_name: Option<String>,
    /// File name of the tidy CSV (`ID.csv`).
    pub csv_name: String,
    /// The tidy data.
    pub table: &'a Table,
}

impl<'a> FigureFiles<'a> {
    /// The contract's files of figure `id`: `ID.svg`, `ID.png` (feature `png`), `ID.csv`.
    pub fn of(id: &str, svg: &'a str, table: &'a Table) -> Self {
        Self {
            svg_name: format!("{id}.svg"),
            svg,
            png_name: Some(format!("{id}.png")),
            csv_name: format!("{id}.csv"),
            table,
        }
    }
}

/// One file written.
#[derive(Debug, Clone)]
pub struct Written {
    /// File name in the directory.
    pub name: String,
    /// Its path.
    pub path: PathBuf,
    /// SHA-256 hex of its bytes.
    pub sha256: String,
}

/// Writes the files of `f` into `dir` (created if missing): the SVG, the CSV, then the PNG.
///
/// # Errors
/// I/O errors naming the path; CSV and PNG rendering errors.
pub fn write_figure_files(dir: &Path, f: &FigureFiles<'_>) -> Result<Vec<Written>> {
    #[allow(unused_mut)] // pushed to with the `png` feature
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (f.svg_name.clone(), f.svg.as_bytes().to_vec()),
        (f.csv_name.clone(), f.table.to_csv()?.into_bytes()),
    ];
    #[cfg(feature = "png")]
    if let Some(name) = &f.png_name {
        files.push((name.clone(), crate::output::png::svg_to_png(f.svg, 1.0)?));
    }
    let mut written = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let path = dir.join(&name);
        write_atomic(&path, &bytes)?;
        written.push(Written {
            sha256: sha256_hex(&bytes),
            name,
            path,
        });
    }
    Ok(written)
}

/// Writes `value` as pretty JSON to `path` atomically.
///
/// # Errors
/// Serialisation and I/O errors.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Other(e.to_string()))?;
    write_atomic(path, text.as_bytes())
}

/// Writes the provenance record `dir/ID.json` of the figure `prov.id` whose files are `files`:
/// the record's keys (sorted) plus `files_sha256` (file name → SHA-256) and, when the figure was
/// made from a config text, `config_text_sha256`.
///
/// # Errors
/// Serialisation and I/O errors.
pub fn write_provenance(
    dir: &Path,
    prov: &Provenance,
    files: &[Written],
    config_text: Option<&str>,
) -> Result<PathBuf> {
    let mut record = serde_json::to_value(prov).map_err(|e| Error::Other(e.to_string()))?;
    if let Some(m) = record.as_object_mut() {
        let hashes: serde_json::Map<String, serde_json::Value> = files
            .iter()
            .map(|w| (w.name.clone(), w.sha256.clone().into()))
            .collect();
        m.insert("files_sha256".into(), hashes.into());
        if let Some(text) = config_text {
            m.insert(
                "config_text_sha256".into(),
                sha256_hex(text.as_bytes()).into(),
            );
        }
    }
    let path = dir.join(format!("{}.json", prov.id));
    write_json(&path, &record)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_record_name_each_others_hashes() {
        let d = tempfile::tempdir().unwrap();
        let mut t = Table::new(&["x"]);
        t.push(vec![1.5.into()]).unwrap();
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>"#;
        let w = write_figure_files(d.path(), &FigureFiles::of("f", svg, &t)).unwrap();
        for f in &w {
            // the hash is of the bytes on disk, computed independently here
            assert_eq!(f.sha256, sha256_hex(&std::fs::read(&f.path).unwrap()));
        }
        assert_eq!(
            std::fs::read_to_string(d.path().join("f.svg")).unwrap(),
            svg
        );
        assert_eq!(
            std::fs::read_to_string(d.path().join("f.csv")).unwrap(),
            t.to_csv().unwrap()
        );
        assert_eq!(w.len(), if cfg!(feature = "png") { 3 } else { 2 });
    }
}
