//! Progress bars on stderr, one style for every command: [`bar`] for a loop of known length
//! (training steps, PPO runs, probe samples) and [`Bars`], the same bar behind the library's
//! [`Observer`] (figures, checks, the tail verdict). Hidden when quiet; indicatif hides them itself
//! when stderr is not a terminal, so CI logs stay clean.

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::sim::Observer;

/// A progress bar for a loop of `total` steps labelled `label`, on stderr (hidden when `quiet`).
/// `set_prefix` shows a running number after the bar (e.g. the loss).
pub fn bar(quiet: bool, total: u64, label: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} ({eta}) {prefix}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(label.to_string());
    pb
}

/// [`bar`] as an [`Observer`]: one bar per `begin`/`end`.
pub struct Bars {
    quiet: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// New, possibly silent.
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            bar: Mutex::new(None),
        }
    }
}

impl Observer for Bars {
    fn begin(&self, label: &str, total: u64) {
        if self.quiet {
            return;
        }
        let pb = bar(false, total, label);
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(pb);
        }
    }
    fn advance(&self, n: u64) {
        if let Ok(b) = self.bar.lock() {
            if let Some(pb) = b.as_ref() {
                pb.inc(n);
            }
        }
    }
    fn end(&self) {
        if let Ok(mut b) = self.bar.lock() {
            if let Some(pb) = b.take() {
                pb.finish_and_clear();
            }
        }
    }
    fn message(&self, msg: &str) {
        if !self.quiet {
            tracing::info!("{msg}");
        }
    }
}
