//! The report's checks of Proposition 2 of Cohen et al. 2024 (check C4): the simplest
//! unprecedented time m(t) against the spec's table, 2·log₂ t and the Kraft sum.

use super::*;
use crate::error::Result;
use crate::numerics::Tolerance;
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};
use crate::theory::imitation::checks_or_failed;

/// The checks of Proposition 2.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    checks_or_failed("cohen2024-prop2", "Proposition 2", compute())
}

fn compute() -> Result<Vec<Check>> {
    let r = "Proposition 2";
    let mut v = Vec::new();
    let n_kraft = 1usize << 20;
    let k = kraft_partial(n_kraft);
    v.push(Check::from(Claim {
        id: "cohen2024-prop2-kraft".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: "The integer description language is prefix-free, so its code lengths satisfy Kraft's inequality.".into(),
        quantity: "Σ_{T ≤ 2^20} 2^−ℓ(T)".into(),
        value: k,
        relation: Relation::Le,
        bound: language_mass(),
        tol: Tolerance::abs(1e-15),
        detail: format!("bound: the language's total codeword mass K = (5 − √8)/4 = {:.6} ≤ 1 (prefix-freeness proved in the module doc)", language_mass()),
    }));
    let table = DescriptionTable::new(40, 1100)?;
    // brute force against the table of ℓ for small t
    let small = rich_code_lengths(1 << 16);
    let mut suffix_min = vec![u32::MAX; small.len() + 1];
    for t in (1..small.len()).rev() {
        suffix_min[t] = suffix_min[t + 1].min(small[t]);
    }
    let mut mismatches = 0;
    for (t, &want) in suffix_min.iter().enumerate().take(5001).skip(1) {
        if table.m(&BigUint::from(t))? != want {
            mismatches += 1;
        }
    }
    v.push(Check::from(Claim {
        id: "cohen2024-prop2-brute-force".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: "m(t) from the big-integer table of largest describable integers equals the brute-force minimum of ℓ(T) over T ≥ t.".into(),
        quantity: "number of t ≤ 5000 where the two disagree".into(),
        value: mismatches as f64,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: "brute force: suffix minima of ℓ(T), T ≤ 2^16 (every m(t), t ≤ 5000, is attained below 2^16)".into(),
    }));
    let rows = m_rows(&table, &DECADES)?;
    let decreases = rows
        .windows(2)
        .filter(|w| w[1].m_bits < w[0].m_bits)
        .count();
    // unbounded: m(M(L) + 1) > L for every L with M(L) below the cap
    let mut unbounded_fail = 0;
    let mut levels = Vec::new();
    for l in 2..=table.max_len() {
        if let Capped::Exact(x) = table.max_describable(l) {
            let next = x + BigUint::one();
            if next < BigUint::from(10u32).pow(1100) {
                let m = table.m(&next)?;
                if m <= l {
                    unbounded_fail += 1;
                }
                levels.push(format!("M({l}) = {}", table.expr(l)));
            }
        }
    }
    v.push(Check::from(Claim {
        id: "cohen2024-prop2-nondecreasing-unbounded".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: "m(t) is non-decreasing along t = 10^d and unbounded: just past the largest integer describable in L bits, m exceeds L.".into(),
        quantity: "number of decreases along t = 10^d plus number of L with m(M(L)+1) ≤ L".into(),
        value: (decreases + unbounded_fail) as f64,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: levels.join("; "),
    }));
    let last = rows.last().ok_or(Error::Empty { name: "m rows" })?;
    v.push(Check::from(Claim {
        id: "cohen2024-prop2-slow-growth".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: "The simplest unprecedented time stays simple: m(t) is a tiny fraction of the Elias-gamma length γ(t) ≈ 2·log₂ t.".into(),
        quantity: "m(10^1000) / γ(10^1000)".into(),
        value: last.m_bits as f64 / last.gamma_bits as f64,
        relation: Relation::Le,
        bound: 0.01,
        tol: Tolerance::abs(0.0),
        detail: rows.iter().map(|r| format!("t=10^{}: m={} bits (at {}), γ={}", r.log10_t, r.m_bits, r.witness, r.gamma_bits)).collect::<Vec<_>>().join("; "),
    }));
    Ok(v)
}
