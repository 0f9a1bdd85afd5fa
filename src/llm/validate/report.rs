//! `validate.json` of `goodhart llm validate` (contract: `runs` with `base`, `budget_nats`,
//! `chat_tokens`, `seed`, `empty_reply_fraction`, `kl_used_nats`, `mean_reward`;
//! `base_empty_reply_fraction`; `bases` with `name`, `in_context`, `silence_price.mean_by_n`), the
//! verdict and the time of each part; printed on stdout with `--json`, else the verdict lines.

use std::path::Path;

use super::runs::{mean, RunSummary};
use super::verdict::BaseResult;
use crate::output::write_atomic;

/// What the pass found.
pub(super) struct Pass<'a> {
    /// Each run's summary.
    pub summaries: &'a [RunSummary],
    /// Each base LM's result.
    pub results: &'a [BaseResult],
    /// The comparison between the bases.
    pub verdict: &'a str,
    /// Agent timesteps per run.
    pub steps_per_run: u64,
    /// The smoke preset.
    pub quick: bool,
    /// The models' directory.
    pub models: &'a Path,
}

/// Wall seconds of each part of the pass.
pub(super) struct Timing {
    /// Training the small models (0 when they were there).
    pub train_small: f64,
    /// The runs, per base LM.
    pub runs_by_base: Vec<(String, f64)>,
    /// The silence price and the Table 1 stand-in.
    pub silence_price_and_scoring: f64,
    /// The figures.
    pub figures: f64,
    /// The whole pass.
    pub wall_s: f64,
}

/// Writes `out/validate.json`; prints it (`json`) or the verdict lines.
///
/// # Errors
/// Serialisation and I/O errors.
pub(super) fn write_report(
    out: &Path,
    p: &Pass<'_>,
    t: &Timing,
    command: &[String],
    json: bool,
) -> anyhow::Result<()> {
    let base_fr = mean(
        &p.summaries
            .iter()
            .map(|s| s.base_empty_reply_fraction)
            .collect::<Vec<_>>(),
    );
    let report = serde_json::json!({
        "runs": p.summaries,
        "bases": p.results,
        "base_empty_reply_fraction": base_fr,
        "verdict": p.verdict,
        "steps_per_run": p.steps_per_run,
        "quick": p.quick,
        "models": p.models,
        "timing_s": {
            "train_small": t.train_small,
            "runs_by_base": t.runs_by_base.iter().map(|(b, s)| serde_json::json!({"base": b, "s": s})).collect::<Vec<_>>(),
            "silence_price_and_scoring": t.silence_price_and_scoring,
            "figures": t.figures,
        },
        "wall_s": t.wall_s,
        "command": command,
    });
    let text = serde_json::to_string_pretty(&report)?;
    write_atomic(&out.join("validate.json"), text.as_bytes())?;
    if json {
        println!("{text}");
    } else {
        for r in p.results {
            println!("{}", r.verdict);
        }
        println!("{}", p.verdict);
        println!(
            "wrote {}/validate.json and the cohen24-llm-* figures",
            out.display()
        );
    }
    Ok(())
}
