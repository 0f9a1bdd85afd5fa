//! The laws of Kwa et al. 2024, Figure B.3 (script `best-of-n/bon_synthetic.py`) and the
//! expected winner values printed in spec §6.6.
//!
//! Rows: `V = 2·N(0,1)` or `V = 2·t₁₀·√(8/10)` (sd 2). Columns: `X = N(0,1)`,
//! `lognormal(0, ln 2) − 1`, `t₃·√(1/3)`, `t₅·√(3/5)`, `Lévy(0, 1)` (unit variance except Lévy).

use crate::dist::Law;
use crate::error::Result;

/// Draw counts of the figure: `N = 4^k`, `k = 0..=10` (the paper's grid stops at `4⁸`).
pub const LOG4_N_MAX: u32 = 10;

/// Short keys of the utility laws (rows), in figure order.
pub const V_KEYS: [&str; 2] = ["normal", "t10"];
/// Short keys of the error laws (columns), in figure order.
pub const X_KEYS: [&str; 5] = ["normal", "lognormal", "t3", "t5", "levy"];

/// The utility law of row `key`, before the factor `v_scale` (2 in the paper): unit variance.
///
/// # Errors
/// Never for the listed keys; [`crate::Error::UnknownId`] otherwise.
pub fn v_law_unit(key: &str) -> Result<Law> {
    match key {
        "normal" => Law::normal(0.0, 1.0),
        "t10" => Law::student_t(10.0, 0.0, 0.8f64.sqrt()),
        _ => Err(crate::Error::UnknownId {
            id: key.into(),
            known: V_KEYS.join(", "),
        }),
    }
}

/// The error law of column `key`.
///
/// # Errors
/// Never for the listed keys; [`crate::Error::UnknownId`] otherwise.
pub fn x_law(key: &str) -> Result<Law> {
    match key {
        "normal" => Law::normal(0.0, 1.0),
        "lognormal" => Law::affine(Law::lognormal(0.0, 2f64.ln())?, -1.0, 1.0),
        "t3" => Law::student_t(3.0, 0.0, (1.0f64 / 3.0).sqrt()),
        "t5" => Law::student_t(5.0, 0.0, 0.6f64.sqrt()),
        "levy" => Law::levy(0.0, 1.0),
        _ => Err(crate::Error::UnknownId {
            id: key.into(),
            known: X_KEYS.join(", "),
        }),
    }
}

/// The paper's `(V, X)` pairs in figure order (row-major), with `V` scaled by 2.
///
/// # Errors
/// Never in practice (fixed valid parameters).
pub fn paper_pairs() -> Result<Vec<(&'static str, &'static str, Law, Law)>> {
    let mut out = Vec::new();
    for v in V_KEYS {
        for x in X_KEYS {
            out.push((v, x, Law::affine(v_law_unit(v)?, 0.0, 2.0)?, x_law(x)?));
        }
    }
    Ok(out)
}

/// Spec §6.6: `E[V_best(N)]` for `N = 4, 16, …, 4¹⁰` (3 decimals; "computed here" by the spec
/// author with a v-grid of step 0.01 and a log-spaced u-grid to 10¹⁶), keyed `(v, x)`.
pub const SPEC_V: [(&str, &str, [f64; 10]); 10] = [
    (
        "normal",
        "normal",
        [
            1.841, 3.159, 4.193, 5.057, 5.811, 6.487, 7.104, 7.676, 8.211, 8.716,
        ],
    ),
    (
        "normal",
        "lognormal",
        [
            1.829, 2.895, 3.356, 3.258, 2.773, 2.239, 1.836, 1.539, 1.309, 1.125,
        ],
    ),
    (
        "normal",
        "t3",
        [
            1.884, 3.147, 3.910, 4.053, 3.308, 1.937, 1.018, 0.609, 0.378, 0.237,
        ],
    ),
    (
        "normal",
        "t5",
        [
            1.853, 3.132, 4.033, 4.604, 4.772, 4.388, 3.433, 2.349, 1.623, 1.181,
        ],
    ),
    (
        "normal",
        "levy",
        [0.434, 0.063, 0.004, 0.000, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ),
    (
        "t10",
        "normal",
        [
            1.809, 3.264, 4.667, 6.128, 7.703, 9.429, 11.340, 13.472, 15.862, 18.558,
        ],
    ),
    (
        "t10",
        "lognormal",
        [
            1.797, 2.999, 3.854, 4.387, 4.552, 4.324, 3.778, 3.089, 2.444, 1.937,
        ],
    ),
    (
        "t10",
        "t3",
        [
            1.853, 3.248, 4.387, 5.192, 5.327, 4.322, 2.385, 0.927, 0.415, 0.240,
        ],
    ),
    (
        "t10",
        "t5",
        [
            1.821, 3.235, 4.516, 5.756, 6.965, 8.077, 8.912, 9.146, 8.382, 6.507,
        ],
    ),
    (
        "t10",
        "levy",
        [0.430, 0.065, 0.004, 0.000, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ),
];

/// Spec §6.6: `E[X_best(N)]` for `N = 4, …, 4¹⁰` (the Lévy panels are infinite).
pub const SPEC_X: [(&str, &str, [f64; 10]); 8] = [
    (
        "normal",
        "normal",
        [
            0.460, 0.790, 1.048, 1.264, 1.453, 1.622, 1.776, 1.919, 2.053, 2.179,
        ],
    ),
    (
        "normal",
        "lognormal",
        [
            0.763, 1.530, 2.766, 4.683, 7.324, 10.500, 14.095, 18.180, 22.847, 28.181,
        ],
    ),
    (
        "normal",
        "t3",
        [
            0.389, 0.816, 1.547, 3.059, 6.214, 11.782, 19.960, 32.241, 51.494, 81.935,
        ],
    ),
    (
        "normal",
        "t5",
        [
            0.444, 0.833, 1.292, 1.949, 3.022, 4.851, 7.741, 11.597, 16.220, 21.965,
        ],
    ),
    (
        "t10",
        "normal",
        [
            0.472, 0.755, 0.894, 0.935, 0.914, 0.856, 0.781, 0.701, 0.623, 0.550,
        ],
    ),
    (
        "t10",
        "lognormal",
        [
            0.775, 1.497, 2.518, 3.976, 6.041, 8.866, 12.499, 16.868, 21.869, 27.474,
        ],
    ),
    (
        "t10",
        "t3",
        [
            0.398, 0.790, 1.381, 2.524, 4.968, 9.997, 18.825, 31.965, 51.461, 81.931,
        ],
    ),
    (
        "t10",
        "t5",
        [
            0.454, 0.802, 1.120, 1.470, 1.938, 2.688, 4.027, 6.481, 10.763, 17.456,
        ],
    ),
];

/// Spec §6.6 sanity value: `E[max of 4 standard normals] = 1.029375`.
pub const SPEC_MAX_OF_4_NORMALS: f64 = 1.029375;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    #[test]
    fn laws_have_the_papers_moments() {
        for (v, x, lv, lx) in paper_pairs().unwrap() {
            assert_close(lv.variance().unwrap(), 4.0, Tolerance::rel(1e-14));
            if x == "levy" {
                assert!(lx.mean().is_none());
            } else {
                assert_close(
                    lx.variance().unwrap(),
                    if x == "lognormal" {
                        (2f64.ln().powi(2).exp() - 1.0) * 2f64.ln().powi(2).exp()
                    } else {
                        1.0
                    },
                    Tolerance::rel(1e-12),
                );
            }
            assert!(V_KEYS.contains(&v));
        }
        assert!(x_law("cauchy").is_err());
    }
}
