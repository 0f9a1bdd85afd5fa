//! Ctrl-C as a recorded reason, not a crash: a handler sets a flag; long loops poll
//! [`requested`] between work units, keep what is done and return [`crate::Error::Interrupted`].

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Sets the flag (used by the CLI's handler and by tests).
pub fn request() {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Installs the Ctrl-C handler once; later calls are no-ops.
pub fn install_handler() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if !INSTALLED.swap(true, Ordering::SeqCst) {
        let _ = ctrlc::set_handler(request);
    }
}
