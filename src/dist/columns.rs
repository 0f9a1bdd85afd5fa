//! Reading one numeric column of samples from CSV or JSON text: the one reader behind
//! `goodhart tails FILE`, empirical laws (`family = "empirical"`, `file = ...`) and the embedded
//! data sets of Kwa et al. 2024.
//!
//! CSV is parsed by the `csv` crate (RFC 4180 quoting: `"1,234"` is one cell), after stripping a
//! UTF-8 byte-order mark. The first row is the header. Rules, all reported rather than silent:
//! - a row with a different number of fields than the header is an error naming its line;
//! - an empty cell, `NA`, `N/A`, `NaN`, `nan`, `null`, `NULL`, `None` is a *missing* value and a
//!   blank line after the header is a missing row: both are kept as NaN in [`Column::values`]
//!   and counted in [`Column::missing`] (with the first line numbers in
//!   [`Column::missing_lines`]); callers decide whether to drop them (never silently);
//! - `inf`, `-inf` parse as infinite numbers (non-finite, not missing);
//! - any other non-number is an error naming the line and column.
//!
//! JSON: an array of numbers, or an object holding one under the chosen key; `null` is missing.

use std::path::Path;

use crate::error::{Error, Result};

/// One column of samples with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name (`"(array)"` for a bare JSON array).
    pub name: String,
    /// The values in file order; missing cells are NaN.
    pub values: Vec<f64>,
    /// Number of missing values (empty/NA/NaN/null cells and blank rows).
    pub missing: usize,
    /// 1-based line numbers (CSV) or 0-based indices (JSON) of the first few missing values.
    pub missing_lines: Vec<usize>,
}

impl Column {
    fn new(name: String) -> Self {
        Self {
            name,
            values: Vec::new(),
            missing: 0,
            missing_lines: Vec::new(),
        }
    }

    fn push_missing(&mut self, line: usize) {
        self.values.push(f64::NAN);
        self.missing += 1;
        if self.missing_lines.len() < MISSING_LINES_KEPT {
            self.missing_lines.push(line);
        }
    }

    /// Number of infinite values (non-finite numbers that are not missing).
    pub fn infinite(&self) -> usize {
        self.values.iter().filter(|v| v.is_infinite()).count()
    }
}

/// How many missing-value line numbers a [`Column`] keeps for messages.
const MISSING_LINES_KEPT: usize = 5;

/// Whether a cell denotes a missing value.
pub fn is_missing_token(cell: &str) -> bool {
    matches!(
        cell.trim(),
        "" | "NA" | "N/A" | "NaN" | "nan" | "NAN" | "null" | "NULL" | "None" | "na"
    )
}

fn data_err(origin: &str, msg: String) -> Error {
    Error::Io {
        path: origin.into(),
        message: msg,
    }
}

/// Picks the column: `column` if given, else the only one, else `reward`.
fn pick<'a>(names: &[&'a str], column: Option<&str>, origin: &str) -> Result<usize> {
    if let Some(c) = column {
        return names.iter().position(|n| *n == c).ok_or_else(|| {
            data_err(
                origin,
                format!("no column `{c}`; columns: {}", names.join(", ")),
            )
        });
    }
    if names.len() == 1 {
        return Ok(0);
    }
    names.iter().position(|n| *n == "reward").ok_or_else(|| {
        data_err(
            origin,
            format!(
                "{} columns ({}) and none is `reward`: pick one with --column",
                names.len(),
                names.join(", ")
            ),
        )
    })
}

/// Number of empty lines (`""` or `"\r"`, each ended by `\n`) at the start of `rest`: the
/// lines the `csv` reader skips before the next record (or before the end of the file).
fn leading_empty_lines(rest: &str) -> usize {
    let mut n = 0;
    let mut r = rest;
    while let Some(i) = r.find('\n') {
        if !r[..i].trim_end_matches('\r').is_empty() {
            break;
        }
        n += 1;
        r = &r[i + 1..];
    }
    n
}

/// Parses CSV text (header row) into the chosen column (see the module docs for the rules).
///
/// # Errors
/// [`Error::Io`] naming `origin` and the line for an empty file, a missing column, a ragged row
/// or a cell that is not a number.
pub fn read_csv(text: &str, column: Option<&str>, origin: &str) -> Result<Column> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| data_err(origin, format!("cannot read the header row: {e}")))?
        .clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(data_err(origin, "no header row (the file is empty)".into()));
    }
    let names: Vec<&str> = headers.iter().collect();
    let j = pick(&names, column, origin)?;
    let mut col = Column::new(names[j].to_string());
    // Line numbers are counted here (1 + newlines before a byte offset) so that skipped empty
    // lines and quoted fields spanning lines are numbered as a text editor shows them.
    let mut newlines = 0usize;
    let mut counted_to = 0usize;
    let mut line_at = |byte: usize| {
        if byte > counted_to {
            newlines += text.as_bytes()[counted_to..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted_to = byte;
        }
        1 + newlines
    };
    // end of the previous record (the header first)
    let mut prev_end = rdr.position().byte() as usize;
    let mut record = csv::StringRecord::new();
    loop {
        // a CRLF record ends before its `\n` (the reader consumes it with the next record)
        if prev_end > 0
            && text.as_bytes().get(prev_end - 1) == Some(&b'\r')
            && text.as_bytes().get(prev_end) == Some(&b'\n')
        {
            prev_end += 1;
        }
        let skipped = text.get(prev_end..).map_or(0, leading_empty_lines);
        let first = line_at(prev_end);
        let line = first + skipped;
        let more = rdr.read_record(&mut record).map_err(|e| match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => data_err(
                origin,
                format!("line {line} has {len} field(s) but the header has {expected_len}"),
            ),
            _ => data_err(origin, format!("line {line}: {e}")),
        })?;
        // empty lines before this record (or before the end of the file) are missing rows
        for i in 0..skipped {
            col.push_missing(first + i);
        }
        if !more {
            break;
        }
        prev_end = rdr.position().byte() as usize;
        let cell = record.get(j).unwrap_or("");
        if is_missing_token(cell) {
            col.push_missing(line);
            continue;
        }
        let v = cell.parse::<f64>().map_err(|_| {
            data_err(
                origin,
                format!(
                    "line {line}, column `{}`: `{cell}` is not a number",
                    col.name
                ),
            )
        })?;
        col.values.push(v);
    }
    Ok(col)
}

fn json_values(v: &serde_json::Value, col: &mut Column, origin: &str) -> Result<()> {
    let name = col.name.clone();
    let arr = v
        .as_array()
        .ok_or_else(|| data_err(origin, format!("`{name}` is not an array of numbers")))?;
    for (i, x) in arr.iter().enumerate() {
        match x {
            serde_json::Value::Number(n) => col.values.push(
                n.as_f64()
                    .ok_or_else(|| data_err(origin, format!("{name}[{i}] = {n} is not an f64")))?,
            ),
            serde_json::Value::Null => col.push_missing(i),
            serde_json::Value::String(s) if is_missing_token(s) => col.push_missing(i),
            serde_json::Value::String(s) => {
                col.values.push(s.trim().parse::<f64>().map_err(|_| {
                    data_err(origin, format!("{name}[{i}] = \"{s}\" is not a number"))
                })?)
            }
            other => {
                return Err(data_err(
                    origin,
                    format!("{name}[{i}] = {other} is not a number"),
                ))
            }
        }
    }
    Ok(())
}

/// Parses a JSON array of numbers, or an object holding one under the chosen key (`null` and
/// the missing tokens are missing; the strings `"inf"`/`"-inf"` are infinite).
///
/// # Errors
/// [`Error::Io`] naming `origin` for malformed JSON, a missing key or a non-number.
pub fn read_json(text: &str, column: Option<&str>, origin: &str) -> Result<Column> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| data_err(origin, format!("invalid JSON: {e}")))?;
    match &v {
        serde_json::Value::Array(_) => {
            let mut col = Column::new("(array)".into());
            json_values(&v, &mut col, origin)?;
            Ok(col)
        }
        serde_json::Value::Object(m) => {
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            let name = keys[pick(&keys, column, origin)?];
            let mut col = Column::new(name.to_string());
            json_values(&m[name], &mut col, origin)?;
            Ok(col)
        }
        _ => Err(data_err(
            origin,
            "JSON must be an array of numbers or an object of arrays".into(),
        )),
    }
}

/// Reads text as JSON if `json_hint` (e.g. a `.json` extension) or its first non-blank character
/// is `[`/`{`, else as CSV.
///
/// # Errors
/// As [`read_csv`] / [`read_json`].
pub fn read_text(
    text: &str,
    column: Option<&str>,
    origin: &str,
    json_hint: bool,
) -> Result<Column> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = body.trim_start().chars().next();
    if json_hint || matches!(first, Some('[' | '{')) {
        read_json(body, column, origin)
    } else {
        read_csv(body, column, origin)
    }
}

/// Reads a file (`-` is standard input): JSON if its extension is `.json` or its first character
/// `[`/`{`, else CSV.
///
/// # Errors
/// [`Error::Io`] if unreadable or not UTF-8; as [`read_text`].
pub fn read_path(path: &Path, column: Option<&str>) -> Result<Column> {
    use std::io::Read;
    let (text, origin) = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::io("(stdin)", e))?;
        (s, "(stdin)".to_string())
    } else {
        (
            std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?,
            path.display().to_string(),
        )
    };
    let hint = path.extension().is_some_and(|e| e == "json");
    read_text(&text, column, &origin, hint)
}

/// The values of a column that must have none missing or infinite (embedded data, configs).
///
/// # Errors
/// [`Error::Io`] naming `origin` and the first missing line or infinite value.
pub fn all_finite(col: Column, origin: &str) -> Result<Vec<f64>> {
    if col.missing > 0 {
        return Err(data_err(
            origin,
            format!(
                "column `{}` has {} missing value(s) (empty, NA, NaN, null or a blank row), first at line {}",
                col.name,
                col.missing,
                col.missing_lines.first().copied().unwrap_or(0)
            ),
        ));
    }
    if let Some(v) = col.values.iter().find(|v| !v.is_finite()) {
        return Err(data_err(
            origin,
            format!("column `{}` has a non-finite value {v}", col.name),
        ));
    }
    Ok(col.values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_bom_missing_ragged() {
        // a quoted cell with a comma is one cell (not split)
        let c = read_csv("id,loss\n1,\"1,5\"\n2,3\n", Some("id"), "f").unwrap();
        assert_eq!(c.values, vec![1.0, 2.0]);
        let e = read_csv("id,loss\n1,\"1,5\"\n", Some("loss"), "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("`1,5`"), "{e}");
        let c = read_csv("name,loss\n\"Smith, J\",7\n", None, "f");
        assert!(c.is_err(), "two columns, none reward");
        let c = read_csv("name,reward\n\"Smith, J\",7\n", None, "f").unwrap();
        assert_eq!(c.values, vec![7.0]);
        // BOM
        let c = read_csv("\u{feff}reward\n1\n2\n", None, "f").unwrap();
        assert_eq!((c.name.as_str(), c.values.len()), ("reward", 2));
        // missing cells and blank rows counted, in place
        let c = read_csv("v\n1\n\n3\nNA\nnull\n5\n", None, "f").unwrap();
        assert_eq!(c.values.len(), 6, "{:?}", c.values);
        assert_eq!(c.missing, 3);
        assert_eq!(c.missing_lines, vec![3, 5, 6]);
        assert_eq!(c.values[2], 3.0);
        let c = read_csv("a,b\n1,\n2,3\n", Some("b"), "f").unwrap();
        assert_eq!((c.missing, c.values[1]), (1, 3.0));
        // the final newline is not a blank row; extra blank lines at the end are
        assert_eq!(read_csv("v\n1\n2\n", None, "f").unwrap().missing, 0);
        assert_eq!(read_csv("v\n1\n2", None, "f").unwrap().missing, 0);
        assert_eq!(read_csv("v\r\n1\r\n2\r\n", None, "f").unwrap().missing, 0);
        let c = read_csv("v\r\n1\r\n\r\nx\r\n", None, "f")
            .unwrap_err()
            .to_string();
        assert!(c.contains("line 4"), "{c}");
        assert_eq!(
            read_csv("v\r\n1\r\n\r\n2\r\n", None, "f")
                .unwrap()
                .missing_lines,
            vec![3]
        );
        assert_eq!(read_csv("v\n1\n2\n\n\n", None, "f").unwrap().missing, 2);
        assert_eq!(read_csv("v\n\n1\n", None, "f").unwrap().missing, 1);
        // ragged rows name the line
        let e = read_csv("a,b\n1,2\n3\n", Some("a"), "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3") && e.contains("1 field"), "{e}");
        // inf is a number, not missing
        let c = read_csv("v\ninf\n-inf\n", None, "f").unwrap();
        assert_eq!((c.missing, c.infinite()), (0, 2));
        assert!(all_finite(c, "f").is_err());
        // JSON
        let c = read_json("[1, null, \"NA\", \"inf\"]", None, "f").unwrap();
        assert_eq!((c.missing, c.infinite()), (2, 1));
        assert!(read_text("\u{feff}[1,2]", None, "f", false).is_ok());
        // errors are data errors naming the origin, not `config:`
        let e = read_csv("v\nx\n", None, "data.csv")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("data.csv: line 2"), "{e}");
    }
}
