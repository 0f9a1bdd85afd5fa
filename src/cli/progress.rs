//! indicatif progress bars implementing the library's [`Observer`]. Bars go to stderr and hide
//! themselves when stderr is not a terminal, so CI logs stay clean.

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::sim::Observer;

/// Progress bars for the CLI.
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
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(label.to_string());
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
