//! The report's checks of Kwa et al. 2024 §4.1 ("ACG results need some interpretation") and
//! Table 1's annealing schedule, recomputed from the published data.

use super::{acg_edits, csv_column, mixture_kl};
use crate::error::{Error, Result};
use crate::numerics::moments::mean;
use crate::numerics::{tol, Tolerance};
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};

const LLAMA: &str = include_str!("../../../../data/kwa2024/llama_starling_reward_values.csv");
const ACG: &str = include_str!("../../../../data/kwa2024/acg_final_rewards.csv");

/// The checks of §4.1 and Table 1.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    match compute() {
        Ok(v) => v,
        Err(e) => vec![Check::failed_to_compute(
            "kwa2024-acg-data",
            Paper::Kwa2024,
            "§4.1 ACG interpretation",
            &e,
        )],
    }
}

fn compute() -> Result<Vec<Check>> {
    let llama = csv_column(LLAMA, "reward")?;
    let acg = csv_column(ACG, "final_reward")?;
    let base_mean = mean(&llama);
    let (lo_run, lo) = acg
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or(Error::Empty {
            name: "acg rewards",
        })?;
    let (hi_run, hi) = acg
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or(Error::Empty {
            name: "acg rewards",
        })?;
    let (alpha, ln_q) = (0.01, -1339.70);
    let exact = mixture_kl(alpha, ln_q)?;
    let first_order = alpha * (alpha.ln() - ln_q);
    let gain = alpha * (lo - base_mean);
    let printed_wrong = alpha * (lo - 0.3329);
    let best_of = llama.len() as f64;
    let best_gain = llama.iter().copied().fold(f64::NEG_INFINITY, f64::max) - base_mean;
    let r = "§4.1 ACG interpretation";
    let mut v = vec![
        Check::from(Claim {
            id: "kwa2024-acg-mixture-kl-exact".into(),
            paper: Paper::Kwa2024,
            result: r.into(),
            statement: "Playing the ACG sequence 1% of the time costs about 13.3 nats of KL (exact mixture formula, q → 0).".into(),
            quantity: "KL((1−α)Q + α δ_x ‖ Q), α = 0.01, ln q = −1339.70 (nats)".into(),
            value: exact,
            relation: Relation::Eq,
            bound: 13.34100,
            tol: Tolerance::rel(tol::SPEC_PRINTED),
            detail: format!("first-order α(ln α − ln q) = {first_order:.5}; ERRATUM: the paper prints α(log α − 1339.70), the sign of ln q is wrong"),
        }),
        Check::from(Claim {
            id: "kwa2024-acg-mixture-kl-first-order".into(),
            paper: Paper::Kwa2024,
            result: r.into(),
            statement: "The first-order approximation α(ln α − ln q) is within 0.1% of the exact mixture KL.".into(),
            quantity: "α(ln α − ln q) (nats)".into(),
            value: first_order,
            relation: Relation::Eq,
            bound: exact,
            tol: Tolerance::rel(1e-3),
            detail: "spec §6.7: 13.35095 vs exact 13.34100".to_string(),
        }),
        Check::from(Claim {
            id: "kwa2024-acg-reward-gain".into(),
            paper: Paper::Kwa2024,
            result: r.into(),
            statement: "The mixture's expected reward gain is tiny: α·(R(x) − E_Q[R]) with the base mean computed from the published Llama samples.".into(),
            quantity: "α·(R_acg − mean(llama_starling)) (reward units)".into(),
            value: gain,
            relation: Relation::Eq,
            bound: 0.0257071,
            tol: Tolerance::rel(tol::SPEC_PRINTED),
            detail: format!(
                "base mean {base_mean:.6} over n = {}; ERRATUM: the paper writes α(2.2377 − 0.3329) = {printed_wrong:.5}, but the base mean is negative",
                llama.len()
            ),
        }),
        Check::from(Claim {
            id: "kwa2024-acg-quoted-run-is-lowest".into(),
            paper: Paper::Kwa2024,
            result: r.into(),
            statement: "The ACG reward the paper quotes (2.2377) is the lowest of the 40 final rewards, not the highest.".into(),
            quantity: "min over 40 ACG runs of the final reward".into(),
            value: lo,
            relation: Relation::Eq,
            bound: 2.237723,
            tol: Tolerance::rel(tol::SPEC_PRINTED),
            detail: format!("DISCREPANCY: lowest is run {lo_run}; highest is run {hi_run} with {hi:.4}"),
        }),
        Check::from(Claim {
            id: "kwa2024-acg-vs-conditioning".into(),
            paper: Paper::Kwa2024,
            result: r.into(),
            statement: "Conditioning the Llama outputs on the best of 16 000 samples buys far more reward per nat than the ACG mixture.".into(),
            quantity: "reward gain per nat: best-of-16000 (ln 16000 nats) divided by the ACG mixture's".into(),
            value: (best_gain / best_of.ln()) / (gain / exact),
            relation: Relation::Gt,
            bound: 100.0,
            tol: Tolerance::abs(0.0),
            detail: format!("best-of-n: KL = ln {best_of} = {:.2} nats, gain {best_gain:.3}; ACG mixture: KL {exact:.2}, gain {gain:.4}", best_of.ln()),
        }),
    ];
    let steps: Vec<u32> = (0..1000).map(acg_edits).collect();
    let count = |k: u32| steps.iter().filter(|&&s| s == k).count() as f64;
    let expected = [
        (9, 1.0),
        (8, 1.0),
        (7, 2.0),
        (6, 5.0),
        (5, 16.0),
        (4, 72.0),
        (3, 887.0),
        (2, 16.0),
    ];
    let mismatches = expected.iter().filter(|(k, n)| count(*k) != *n).count();
    v.push(Check::from(Claim {
        id: "kwa2024-table1-acg-annealing".into(),
        paper: Paper::Kwa2024,
        result: "Table 1".into(),
        statement: "ACG's annealing starts at 9 simultaneous edits and ends at 2 over 1000 steps.".into(),
        quantity: "number of edit counts whose step count differs from [9:1, 8:1, 7:2, 6:5, 5:16, 4:72, 3:887, 2:16]".into(),
        value: mismatches as f64,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!("n_edits(0) = {}, n_edits(999) = {}", steps[0], steps[999]),
    }));
    Ok(v)
}
