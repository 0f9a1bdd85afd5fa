//! Configuration: TOML files parsed into typed, `deny_unknown_fields` structs (a typo such as
//! `bta = 1` is an error naming the key), checked into valid values at the boundary.
//!
//! Every figure/simulation has an embedded default (`simulations/<id>.toml`, compiled in with
//! `include_str!`); `goodhart config show <id>` prints it, users edit it and run
//! `goodhart simulate --config my.toml`. Top-level keys every file may have: `simulation`
//! (which producer runs it; required for `simulate`) and `seed` (master seed).

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Parses TOML text; `origin` (a file name) prefixes errors.
///
/// # Errors
/// [`Error::Config`] with the parser's line/column message.
pub fn parse_toml(text: &str, origin: &str) -> Result<toml::Table> {
    let table = text
        .parse::<toml::Table>()
        .map_err(|e| Error::Config(format!("{origin}: {}", one_line(&e.to_string()))))?;
    for (k, v) in &table {
        no_control_chars(k, v, origin)?;
    }
    Ok(table)
}

/// Refuses strings with control characters (NUL, escape, …; tab and newline allowed), which
/// would end up in SVG/CSV/Markdown outputs as invalid or invisible text. Names the key.
fn no_control_chars(path: &str, v: &toml::Value, origin: &str) -> Result<()> {
    match v {
        toml::Value::String(s) => {
            if let Some(c) = s
                .chars()
                .find(|&c| c.is_control() && c != '\t' && c != '\n')
            {
                return Err(Error::Config(format!(
                    "{origin}: key `{path}` contains the control character U+{:04X}; remove it",
                    u32::from(c)
                )));
            }
            Ok(())
        }
        toml::Value::Array(a) => a
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| no_control_chars(&format!("{path}[{i}]"), x, origin)),
        toml::Value::Table(t) => t
            .iter()
            .try_for_each(|(k, x)| no_control_chars(&format!("{path}.{k}"), x, origin)),
        _ => Ok(()),
    }
}

/// Refuses an empty list, naming its key (an empty sweep would write an empty figure).
///
/// # Errors
/// [`Error::Config`] naming `origin` and `key`.
pub fn non_empty<T>(key: &str, v: &[T], origin: &str) -> Result<()> {
    if v.is_empty() {
        return Err(Error::Config(format!(
            "{origin}: `{key}` is empty; give at least one value"
        )));
    }
    Ok(())
}

/// Deserialises a table into `T`; unknown keys and wrong types are errors naming the key.
///
/// # Errors
/// [`Error::Config`].
pub fn from_table<T: DeserializeOwned>(table: toml::Table, origin: &str) -> Result<T> {
    let text = toml::to_string(&table).map_err(|e| Error::Config(format!("{origin}: {e}")))?;
    toml::from_str::<T>(&text)
        .map_err(|e| Error::Config(format!("{origin}: {}", one_line(&e.to_string()))))
}

/// A typed config back to JSON for provenance.
pub fn to_json<T: serde::Serialize>(cfg: &T) -> serde_json::Value {
    serde_json::to_value(cfg).unwrap_or(serde_json::Value::Null)
}

/// The header keys shared by every config file.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Which simulation/figure producer.
    pub simulation: Option<String>,
    /// Master seed, if given.
    pub seed: Option<u64>,
}

/// Removes and returns the header keys, leaving the producer's own keys.
///
/// # Errors
/// [`Error::Config`] if `simulation` is not a string or `seed` not a non-negative integer.
pub fn split_header(table: &mut toml::Table, origin: &str) -> Result<Header> {
    let simulation = match table.remove("simulation") {
        None => None,
        Some(toml::Value::String(s)) => Some(s),
        Some(v) => {
            return Err(Error::Config(format!(
                "{origin}: key `simulation` must be a string, got {v}"
            )))
        }
    };
    let seed = match table.remove("seed") {
        None => None,
        Some(toml::Value::Integer(i)) if i >= 0 => Some(i as u64),
        Some(v) => {
            return Err(Error::Config(format!(
                "{origin}: key `seed` must be a non-negative integer, got {v}"
            )))
        }
    };
    Ok(Header { simulation, seed })
}

/// Collapses a multi-line parser message (with its source excerpt) into one line.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| {
            // drop the parser's source excerpt: `|`-gutter lines, `12 | text` lines and `^^^` markers
            let excerpt = l
                .split_once(" |")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            !l.is_empty()
                && !l.starts_with('|')
                && !excerpt
                && !l.chars().all(|c| c == '^' || c == ' ')
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Demo {
        beta: f64,
    }

    #[test]
    fn unknown_key_is_named() {
        let t = parse_toml("bta = 1.0", "my.toml").unwrap();
        let e = from_table::<Demo>(t, "my.toml").unwrap_err().to_string();
        assert!(e.contains("bta"), "{e}");
        assert!(e.contains("my.toml"), "{e}");
    }

    #[test]
    fn malformed_toml_is_one_line() {
        let e = parse_toml("beta = = 1", "x.toml").unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
        assert!(e.starts_with("config: x.toml"), "{e}");
    }

    #[test]
    fn header_split() {
        let mut t = parse_toml("simulation = \"a\"\nseed = 3\nbeta = 1.0", "x").unwrap();
        let h = split_header(&mut t, "x").unwrap();
        assert_eq!(
            h,
            Header {
                simulation: Some("a".into()),
                seed: Some(3)
            }
        );
        assert_eq!(t.len(), 1);
        let mut t = parse_toml("seed = -3", "x").unwrap();
        assert!(split_header(&mut t, "x").is_err());
    }
}
