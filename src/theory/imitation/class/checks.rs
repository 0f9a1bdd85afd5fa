//! The report's checks of the Bayesian imitators of Cohen et al. 2024: the grouped clock-world
//! mixture against the enumerated class, and context-tree weighting against a published value
//! and brute force.

use std::sync::Arc;

use super::clock::{ClockMixture, ClockWorld};
use super::ctw::{brute_force_ln_pw, Ctw, DEFAULT_MEMORY_LIMIT, WST_PAST, WST_SEQUENCE};
use super::{BasePolicy, Mixture};
use crate::error::Result;
use crate::numerics::Tolerance;
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};

/// The checks of this module: exact mixtures against brute force and closed forms.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    let mut v = Vec::new();
    v.extend(clock_checks());
    v.extend(ctw_checks());
    v
}

/// Shared helper: an `Eq` check of an exact quantity against an independent computation.
#[allow(clippy::too_many_arguments)]
pub(crate) fn exact_check(
    id: &str,
    result: &str,
    statement: &str,
    quantity: &str,
    value: f64,
    reference: f64,
    tol: Tolerance,
    detail: String,
) -> Check {
    Check::from(Claim {
        id: id.into(),
        paper: Paper::Cohen2024,
        result: result.into(),
        statement: statement.into(),
        quantity: quantity.into(),
        value,
        relation: Relation::Eq,
        bound: reference,
        tol,
        detail: detail,
    })
}

/// Checks: the grouped clock mixture equals the enumerated 36 873-model mixture.
fn clock_checks() -> Vec<Check> {
    let r = "Bayesian imitator";
    let id = "cohen2024-clock-grouped-equals-enumerated";
    let run = || -> Result<Check> {
        let world = ClockWorld::c2();
        let class = Arc::new(world.to_model_class()?);
        let seqs: [&[usize]; 3] = [
            &[0, 0, 0, 0, 0, 1, 1, 1],
            &[0, 1, 0, 0, 1, 1],
            &[1, 1, 1, 0, 1],
        ];
        let mut worst: f64 = 0.0;
        for x in seqs {
            let a = Mixture::new(class.clone()).ln_prob_extend(x)?;
            let b = ClockMixture::new(Arc::new(world.clone())).ln_prob_extend(x)?;
            worst = worst.max((a - b).abs());
        }
        Ok(exact_check(
            id,
            r,
            "The analytically grouped clock-world mixture gives the same sequence probabilities as summing over all models one by one.",
            "max |ln ξ_grouped(x) − ln ξ_enumerated(x)| over 3 binary strings (nats)",
            worst,
            0.0,
            Tolerance::abs(1e-12),
            format!("class of {} models (J = 8, T_max = 4096, Elias gamma), Kraft sum {:.6}", class.len(), world.kraft_sum()),
        ))
    };
    vec![run()
        .unwrap_or_else(|e| Check::failed_to_compute(id, crate::report::Paper::Cohen2024, r, &e))]
}

/// Checks: the published CTW value and brute-force enumeration of all trees.
fn ctw_checks() -> Vec<Check> {
    let r = "Bayesian imitator";
    let mut v = Vec::new();
    let id = "cohen2024-ctw-wst-example";
    let c = (|| -> Result<Check> {
        let mut ctw = Ctw::with_past(3, &WST_PAST, DEFAULT_MEMORY_LIMIT)?;
        let lp = ctw.ln_prob_extend(&WST_SEQUENCE)?;
        Ok(exact_check(
            id,
            r,
            "Context-tree weighting reproduces the published weighted probability of the Willems–Shtarkov–Tjalkens example.",
            "P_w^λ(0110100 | past 010), D = 3",
            lp.exp(),
            95.0 / 32768.0,
            Tolerance::rel(1e-12),
            "reference 95/32768 from Willems, Shtarkov & Tjalkens (1995), IEEE Trans. IT 41(3), Fig. 2".into(),
        ))
    })();
    v.push(c.unwrap_or_else(|e| Check::failed_to_compute(id, Paper::Cohen2024, r, &e)));
    let id = "cohen2024-ctw-brute-force";
    let c = (|| -> Result<Check> {
        let x: Vec<usize> = (0..40u64)
            .map(|i| ((i * i * 7 + i * 3 + 1) % 5 < 2) as usize)
            .collect();
        let mut worst: f64 = 0.0;
        for depth in 0..=3 {
            let past: Vec<usize> = (0..depth).map(|i| i % 2).collect();
            let mut ctw = Ctw::with_past(depth, &past, DEFAULT_MEMORY_LIMIT)?;
            let a = ctw.ln_prob_extend(&x)?;
            let b = brute_force_ln_pw(depth, &past, &x)?;
            worst = worst.max((a - b).abs());
        }
        Ok(exact_check(
            id,
            r,
            "CTW equals the Bayes mixture over every prediction suffix tree of depth ≤ D (prior 2^-Γ_D(S), KT leaves), enumerated one by one.",
            "max over D = 0..3 of |ln P_w(CTW) − ln Σ_S 2^-Γ(S) Π P_e| on a 40-symbol sequence (nats)",
            worst,
            0.0,
            Tolerance::abs(1e-11),
            "trees enumerated: 1 + 2 + 5 + 26; KT via ln Γ".into(),
        ))
    })();
    v.push(c.unwrap_or_else(|e| Check::failed_to_compute(id, Paper::Cohen2024, r, &e)));
    v
}
