//! `goodhart llm train --config FILE --out DIR`: one run of Cohen et al. 2024's KL-budget experiment
//! from a TOML config (e.g. `experiments/configs/gpu-mixtral.toml`), resumable from `DIR/checkpoint`;
//! it shares the run machinery ([`super::runs`]) and the figures ([`super::figures`]) of `validate`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use goodhart_llm::experiment::ExperimentConfig;

use super::figures::write_figures;
use super::runs::{device, run_with_bar, summarise, write_run_files};
use crate::output::write_atomic;

/// Runs `goodhart llm train --config FILE --out DIR`: one experiment, resumable.
///
/// # Errors
/// One-line errors; [`crate::Error::Interrupted`] on Ctrl-C (the last update's checkpoint kept).
pub fn train(config: &Path, out: &Path, dev: &str, quiet: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let cfg = ExperimentConfig::from_toml_file(config)?;
    let device = device(dev)?;
    let ckpt = out.join("checkpoint");
    let pb = crate::output::progress::bar(quiet, cfg.ppo.total_steps, "train");
    let o = run_with_bar(&cfg, &device, &ckpt, &pb, (0, 1), || {
        format!("train --config {}", config.display())
    })?;
    pb.finish_and_clear();
    write_run_files(out, &o)?;
    let s = summarise("train", "base", &cfg, &o, started.elapsed().as_secs_f64());
    let command: Vec<String> = std::env::args().collect();
    // No forced-silence price here: it would need a second copy of the base model (94 GB for Mixtral).
    write_figures(
        out,
        &[("base".to_string(), cfg.clone(), o)],
        std::slice::from_ref(&s),
        &[],
        &[],
        &command,
        cfg.ppo.seed,
    )?;
    let text = serde_json::to_string_pretty(&s)?;
    write_atomic(&out.join("summary.json"), text.as_bytes())?;
    println!(
        "empty-reply fraction {:.3} ± {:.3} (base {:.3}), KL used {:.2} of {} nats, reward {:.3} (base {:.3}); wrote {}",
        s.empty_reply_fraction, s.empty_reply_fraction_se, s.base_empty_reply_fraction, s.kl_used_nats,
        s.budget_nats, s.mean_reward, s.base_mean_reward, out.display()
    );
    Ok(ExitCode::SUCCESS)
}
