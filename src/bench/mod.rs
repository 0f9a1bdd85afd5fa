//! `goodhart bench`: the built-in benchmarks (same workloads as `../shared/baselines/bench.py`).

use std::process::ExitCode;

/// Runs the benchmarks selected by `only` (all if empty).
pub fn cli(
    _only: &[String],
    _json: bool,
    _baseline: bool,
    _repeats: usize,
) -> anyhow::Result<ExitCode> {
    anyhow::bail!("benchmarks are being built")
}
