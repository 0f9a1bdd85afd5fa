//! Progress reporting without a UI dependency (argmin's `Observe`): every method has a no-op
//! default. The CLI implements it with indicatif; tests use [`NoObserver`].

/// Receives progress of long computations.
pub trait Observer: Sync {
    /// A stage named `label` with `total` units begins.
    fn begin(&self, _label: &str, _total: u64) {}
    /// `n` more units are done.
    fn advance(&self, _n: u64) {}
    /// The current stage ended.
    fn end(&self) {}
    /// A one-line message for the user (goes to stderr in the CLI).
    fn message(&self, _msg: &str) {}
}

/// Ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}
