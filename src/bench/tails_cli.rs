//! `tails_cli`: the whole `goodhart tails FILE` verdict — reading the CSV, the missing-value
//! check, the KS threshold scan, the five tail fits and their likelihood-ratio tests, the
//! 200-replicate GOF bootstrap with x_min re-selected per replicate, the double bootstrap and
//! the shape estimators — at n = 10⁵, 10⁶, 10⁷ on Student-t(3) draws (a power-law tail only to
//! first order, so nothing short-cuts), with the growth exponent (least-squares slope of
//! ln time against ln n). Exactly [`crate::figures::tails::analyse`], which the command runs before
//! printing. Writing the CSV is not timed. The 10⁷ row runs once whatever `repeats` says.
//!
//! Targets (issue 14): 10⁶ under 10 s and 10⁷ under 2 min on 2 cores.

use super::time;
use crate::figures::tails::{analyse, TailsInput};

/// The sizes, in run order.
pub const SIZES: [usize; 3] = [100_000, 1_000_000, 10_000_000];

/// Runs the three sizes; `(name, median wall seconds)` per row (`tails_cli.1e5`, …).
///
/// # Errors
/// File-system errors writing the data; the verdict's errors.
pub fn run(repeats: usize) -> anyhow::Result<Vec<(String, f64)>> {
    let dir = tempfile::tempdir()?;
    let mut rows = Vec::new();
    for &n in &SIZES {
        let x = crate::sim::par_sample::sample_student_t(3.0, n, super::SEED + 2)?;
        let path = dir.path().join(format!("t3-{n}.csv"));
        let mut text = String::with_capacity(n * 20 + 8);
        text.push_str("reward\n");
        for v in &x {
            text.push_str(&format!("{v}\n"));
        }
        std::fs::write(&path, text)?;
        drop(x);
        let args = TailsInput {
            file: path,
            column: None,
            drop_nonfinite: false,
            seed: None,
        };
        let reps = if n >= 10_000_000 { 1 } else { repeats };
        let (t, a) = time(reps, || analyse(&args, &crate::sim::NoObserver))?;
        let name = format!("tails_cli.{}", super::cohen::sci(n));
        eprintln!(
            "  {name:<18} {:>9.3} s  verdict {}, gamma {:.4} [{:.4}, {:.4}], k = {}, x_min = {:.4}",
            t.wall,
            a.verdict.verdict.as_str(),
            a.verdict.gamma,
            a.verdict.gamma_ci.0,
            a.verdict.gamma_ci.1,
            a.verdict.k,
            a.verdict.x_min
        );
        rows.push((name, t.wall));
    }
    Ok(rows)
}

/// Prints the rows, the growth exponent and the targets.
pub fn print(rows: &[(String, f64)]) {
    println!(
        "{:<18} {:>12} {:>14}",
        "tails_cli", "median (s)", "per value (µs)"
    );
    let mut pts = Vec::new();
    for ((name, secs), &n) in rows.iter().zip(&SIZES) {
        println!("{name:<18} {secs:>12.3} {:>14.3}", secs / n as f64 * 1e6);
        pts.push((n as f64, *secs));
    }
    if let Some(e) = super::cohen::growth_exponent(&pts) {
        println!("tails_cli growth exponent (slope of ln time vs ln n): {e:.3}");
    }
    let at = |n: usize| {
        SIZES
            .iter()
            .position(|&s| s == n)
            .and_then(|i| rows.get(i))
            .map(|r| r.1)
    };
    for (n, limit) in [(1_000_000, 10.0), (10_000_000, 120.0)] {
        if let Some(s) = at(n) {
            println!(
                "target n = {}: {s:.2} s (< {limit} s on 2 cores): {}",
                super::cohen::sci(n),
                if s < limit { "met" } else { "NOT met" }
            );
        }
    }
}
