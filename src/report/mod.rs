//! The theorem report: every result of the papers as a [`Check`] computed on each run.
//!
//! A check is data: what was computed (`value`), what the theorem says (`bound` and
//! `relation`), the tolerance, and whether it holds. The property tests call the same
//! functions that build these checks, so report and tests cannot disagree. Format: see
//! `../shared/CONTRACT.md` ("The theorem report").

use serde::{Serialize, Serializer};

use crate::numerics::Tolerance;

pub mod printed;

/// Options for a theorem run.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Master seed for the Monte-Carlo checks.
    pub seed: u64,
    /// CI preset (fewer Monte-Carlo draws).
    pub quick: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            seed: crate::sim::seeds::DEFAULT_SEED,
            quick: false,
        }
    }
}

/// Which paper (or related source) a check belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// Kwa, Thomas, Garriga-Alonso 2024.
    Kwa2024,
    /// Cohen, Hutter, Bengio, Russell 2024.
    Cohen2024,
    /// Gao, Schulman, Hilton 2022/2023 (best-of-n KL).
    Gao2022,
    /// Beirami et al. 2024 (best-of-n KL counterexample).
    Beirami2024,
    /// Tail measurement.
    Tails,
    /// LLM stack.
    Llm,
}

impl Paper {
    /// The string used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Paper::Kwa2024 => "kwa2024",
            Paper::Cohen2024 => "cohen2024",
            Paper::Gao2022 => "gao2022",
            Paper::Beirami2024 => "beirami2024",
            Paper::Tails => "tails",
            Paper::Llm => "llm",
        }
    }
}

/// How `value` must relate to `bound`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// `value <= bound + allowance`.
    Le,
    /// `value >= bound − allowance`.
    Ge,
    /// `value < bound` (strict; the allowance is not used).
    Lt,
    /// `value > bound` (strict).
    Gt,
    /// `|value − bound| <= allowance`.
    Eq,
}

impl Relation {
    /// The symbol printed in the report.
    pub fn symbol(self) -> &'static str {
        match self {
            Relation::Le => "<=",
            Relation::Ge => ">=",
            Relation::Lt => "<",
            Relation::Gt => ">",
            Relation::Eq => "==",
        }
    }

    /// Whether `value relation bound` holds under `tol`.
    pub fn holds(self, value: f64, bound: f64, tol: Tolerance) -> bool {
        if value.is_nan() || bound.is_nan() {
            return false;
        }
        let allow = if bound.is_finite() {
            tol.allowance(bound)
        } else {
            0.0
        };
        match self {
            Relation::Le => value <= bound + allow,
            Relation::Ge => value >= bound - allow,
            Relation::Lt => value < bound,
            Relation::Gt => value > bound,
            Relation::Eq => tol.close(value, bound),
        }
    }
}

impl Serialize for Relation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.symbol())
    }
}

/// Serialises finite numbers as numbers and non-finite ones as the strings `"inf"`, `"-inf"`,
/// `"nan"` (JSON has no infinity; `null` would hide what was computed).
pub fn ser_f64<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_finite() {
        s.serialize_f64(*x)
    } else if x.is_nan() {
        s.serialize_str("nan")
    } else if *x > 0.0 {
        s.serialize_str("inf")
    } else {
        s.serialize_str("-inf")
    }
}

/// One checked result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id, e.g. `kwa2024-thm1-heavy-tail-kl-to-zero`.
    pub id: String,
    /// Paper.
    pub paper: Paper,
    /// The result as the paper names it ("Theorem 1", "Figure A.1", "Counterexample §5.2").
    pub result: String,
    /// One sentence in words.
    pub statement: String,
    /// What was computed.
    pub quantity: String,
    /// The computed value.
    #[serde(serialize_with = "ser_f64")]
    pub value: f64,
    /// What the theorem says it should be / be bounded by.
    #[serde(serialize_with = "ser_f64")]
    pub bound: f64,
    /// Relation between value and bound.
    pub relation: Relation,
    /// The absolute allowance used (`abs + rel·|bound|`).
    #[serde(serialize_with = "ser_f64")]
    pub tolerance: f64,
    /// Whether the relation holds.
    pub holds: bool,
    /// Parameters, n, standard errors, errata.
    pub detail: String,
}

/// What a theorem claims about one computed quantity: the input of a [`Check`], with every
/// field named (the strings cannot swap silently, as they could with positional arguments).
///
/// `Check::from(Claim { .. })` evaluates whether it holds.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Stable id, e.g. `kwa2024-thm1-heavy-tail-kl-to-zero`.
    pub id: String,
    /// Paper.
    pub paper: Paper,
    /// The result as the paper names it ("Theorem 1", "Figure A.1").
    pub result: String,
    /// One sentence in words.
    pub statement: String,
    /// What was computed.
    pub quantity: String,
    /// The computed value.
    pub value: f64,
    /// How `value` must relate to `bound`.
    pub relation: Relation,
    /// What the theorem says.
    pub bound: f64,
    /// The tolerance of the comparison.
    pub tol: Tolerance,
    /// Parameters, n, standard errors, errata.
    pub detail: String,
}

impl From<Claim> for Check {
    /// Evaluates `holds` from the relation and tolerance.
    fn from(c: Claim) -> Self {
        let holds = c.relation.holds(c.value, c.bound, c.tol);
        let tolerance = if c.bound.is_finite() {
            c.tol.allowance(c.bound)
        } else {
            0.0
        };
        Self {
            id: c.id,
            paper: c.paper,
            result: c.result,
            statement: c.statement,
            quantity: c.quantity,
            value: c.value,
            bound: c.bound,
            relation: c.relation,
            tolerance,
            holds,
            detail: c.detail,
        }
    }
}

/// The checks of one computation, or one failed check naming it when the computation failed.
pub fn checks_or_failed(
    id: &str,
    paper: Paper,
    result: &str,
    computed: crate::Result<Vec<Check>>,
) -> Vec<Check> {
    computed.unwrap_or_else(|e| vec![Check::failed_to_compute(id, paper, result, &e)])
}

/// A number as it appears in a check id: its shortest decimal form with `.` written `p`
/// (`0.5` → `0p5`, `10` → `10`), so ids stay plain words.
pub fn id_number(x: f64) -> String {
    format!("{x}").replace('.', "p")
}

impl Check {
    /// `computed`, or the check that says it could not be computed.
    pub fn or_failed(
        id: impl Into<String>,
        paper: Paper,
        result: impl Into<String>,
        computed: crate::Result<Check>,
    ) -> Self {
        computed.unwrap_or_else(|e| Self::failed_to_compute(id, paper, result, &e))
    }

    /// A check that could not be computed: it fails, and the detail says why.
    pub fn failed_to_compute(
        id: impl Into<String>,
        paper: Paper,
        result: impl Into<String>,
        err: &crate::Error,
    ) -> Self {
        Self {
            id: id.into(),
            paper,
            result: result.into(),
            statement: "could not be computed".into(),
            quantity: String::new(),
            value: f64::NAN,
            bound: f64::NAN,
            relation: Relation::Eq,
            tolerance: 0.0,
            holds: false,
            detail: format!("error: {err}"),
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// All checks, in a stable order.
    pub checks: Vec<Check>,
}

impl Report {
    /// Number of failing checks.
    pub fn failures(&self) -> usize {
        self.checks.iter().filter(|c| !c.holds).count()
    }

    /// JSON (pretty).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serialises")
    }

    /// Markdown table, grouped by paper.
    pub fn to_markdown(&self) -> String {
        let mut s = String::from("# Theorem report\n\n");
        let n = self.checks.len();
        s.push_str(&format!(
            "{} of {} checks hold.\n\n",
            n - self.failures(),
            n
        ));
        s.push_str("| | id | result | value | relation | bound | detail |\n|---|---|---|---|---|---|---|\n");
        for c in &self.checks {
            s.push_str(&format!(
                "| {} | `{}` | {} | {} | {} | {} | {} |\n",
                if c.holds { "✓" } else { "✗" },
                c.id,
                c.result.replace('|', "\\|"),
                fmt_num(c.value),
                c.relation.symbol(),
                fmt_num(c.bound),
                c.detail.replace('|', "\\|").replace('\n', " ")
            ));
        }
        s
    }

    /// Plain-text summary for the terminal.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for c in &self.checks {
            s.push_str(&format!(
                "{} {:<55} {:<22} {} {} {}\n",
                if c.holds { "PASS" } else { "FAIL" },
                c.id,
                c.result,
                fmt_num(c.value),
                c.relation.symbol(),
                fmt_num(c.bound)
            ));
        }
        let n = self.checks.len();
        s.push_str(&format!(
            "{} passed, {} failed\n",
            n - self.failures(),
            self.failures()
        ));
        s
    }
}

/// Short number formatting for tables.
pub fn fmt_num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if !x.is_finite() {
        format!("{x}")
    } else if x.abs() >= 1e-3 && x.abs() < 1e6 {
        format!("{:.6}", x)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        format!("{x:.4e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations() {
        let t = Tolerance::abs(0.1);
        assert!(Relation::Le.holds(1.05, 1.0, t));
        assert!(!Relation::Le.holds(1.2, 1.0, t));
        assert!(Relation::Ge.holds(0.95, 1.0, t));
        assert!(!Relation::Lt.holds(1.0, 1.0, t));
        assert!(Relation::Eq.holds(f64::INFINITY, f64::INFINITY, t));
        assert!(!Relation::Eq.holds(f64::NAN, 1.0, t));
    }

    #[test]
    fn id_numbers_are_plain_words() {
        assert_eq!(id_number(0.5), "0p5");
        assert_eq!(id_number(10.0), "10");
        assert_eq!(id_number(1e-5), "0p00001");
        assert_eq!(id_number(-2.25), "-2p25");
    }

    #[test]
    fn a_failed_computation_is_one_failed_check_naming_it() {
        let e = || crate::Error::Other("no convergence".into());
        let v = checks_or_failed("x-1", Paper::Kwa2024, "Theorem 1", Err(e()));
        assert_eq!(v.len(), 1);
        assert!(!v[0].holds && v[0].id == "x-1" && v[0].detail.contains("no convergence"));
        let c = Check::or_failed("x-2", Paper::Cohen2024, "Theorem 2", Err(e()));
        assert!(!c.holds && c.value.is_nan() && c.result == "Theorem 2");
    }

    #[test]
    fn json_has_contract_keys_and_infinities_as_strings() {
        let c = Check::from(Claim {
            id: "x".into(),
            paper: Paper::Kwa2024,
            result: "Theorem 1".into(),
            statement: "s".into(),
            quantity: "q".into(),
            value: f64::INFINITY,
            relation: Relation::Eq,
            bound: f64::INFINITY,
            tol: Tolerance::rel(1e-12),
            detail: "d".into(),
        });
        let r = Report { checks: vec![c] };
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        let c = &v["checks"][0];
        for k in [
            "id",
            "paper",
            "result",
            "statement",
            "quantity",
            "value",
            "bound",
            "relation",
            "tolerance",
            "holds",
            "detail",
        ] {
            assert!(c.get(k).is_some(), "missing {k}");
        }
        assert_eq!(c["value"], "inf");
        assert_eq!(c["paper"], "kwa2024");
        assert_eq!(c["holds"], true);
    }
}
