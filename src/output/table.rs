//! Tidy (long) tables: one row per observation, units in column names, loadable by
//! `pandas.read_csv` as is (non-finite numbers are written `inf`, `-inf`, `nan`).

use crate::error::{Error, Result};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A float.
    F(f64),
    /// An integer.
    I(i64),
    /// Text.
    S(String),
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Cell::F(x)
    }
}
impl From<i64> for Cell {
    fn from(x: i64) -> Self {
        Cell::I(x)
    }
}
impl From<usize> for Cell {
    fn from(x: usize) -> Self {
        Cell::I(x as i64)
    }
}
impl From<u64> for Cell {
    fn from(x: u64) -> Self {
        Cell::I(x as i64)
    }
}
impl From<&str> for Cell {
    fn from(x: &str) -> Self {
        Cell::S(x.to_string())
    }
}
impl From<String> for Cell {
    fn from(x: String) -> Self {
        Cell::S(x)
    }
}

impl Cell {
    fn render(&self) -> String {
        match self {
            Cell::F(x) if x.is_nan() => "nan".into(),
            Cell::F(x) if x.is_infinite() => {
                if *x > 0.0 {
                    "inf".into()
                } else {
                    "-inf".into()
                }
            }
            Cell::F(x) => format!("{x:?}"), // shortest round-trip form, exponent when needed
            Cell::I(i) => i.to_string(),
            Cell::S(s) => s.clone(),
        }
    }

    /// The float value, if numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::F(x) => Some(*x),
            Cell::I(i) => Some(*i as f64),
            Cell::S(_) => None,
        }
    }
}

/// A tidy table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Column names (with units, e.g. `kl_nats`).
    pub columns: Vec<String>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: &[&str]) -> Self {
        Self {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if the row length differs from the column count.
    pub fn push(&mut self, row: Vec<Cell>) -> Result<()> {
        if row.len() != self.columns.len() {
            return Err(Error::LengthMismatch {
                left: "table columns",
                left_len: self.columns.len(),
                right: "row",
                right_len: row.len(),
            });
        }
        self.rows.push(row);
        Ok(())
    }

    /// Index of a column.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// CSV text.
    pub fn to_csv(&self) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.columns)
            .map_err(|e| Error::Other(e.to_string()))?;
        for r in &self.rows {
            w.write_record(r.iter().map(Cell::render))
                .map_err(|e| Error::Other(e.to_string()))?;
        }
        let bytes = w.into_inner().map_err(|e| Error::Other(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| Error::Other(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_roundtrip_shape() {
        let mut t = Table::new(&["beta", "kl_nats", "series"]);
        t.push(vec![1.0.into(), f64::INFINITY.into(), "heavy, t3".into()])
            .unwrap();
        t.push(vec![0.5.into(), 1e-300.into(), "light".into()])
            .unwrap();
        assert!(t.push(vec![1.0.into()]).is_err());
        let s = t.to_csv().unwrap();
        assert_eq!(s.lines().next().unwrap(), "beta,kl_nats,series");
        assert!(s.contains("1.0,inf,\"heavy, t3\""));
        assert!(s.contains("0.5,1e-300,light"));
    }
}
