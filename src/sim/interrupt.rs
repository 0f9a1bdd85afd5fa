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

/// Installs the Ctrl-C handler once; later calls are no-ops. The first Ctrl-C sets the flag
/// (loops stop at their next poll and keep what is done); a second one ends the process at once
/// with exit 130.
pub fn install_handler() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if !INSTALLED.swap(true, Ordering::SeqCst) {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::Relaxed) {
                eprintln!("goodhart: interrupted twice; stopping now");
                std::process::exit(130);
            }
        });
    }
}

/// Runs all-or-nothing work `f` (whose results are written only after it returns) so that
/// Ctrl-C ends the process within 0.1 s with exit 130 and `message` on stderr, instead of
/// waiting for `f`'s loops; returns `None` if Ctrl-C came while `f` ran (its result is then
/// incomplete and must not be written), else `f`'s value.
pub fn abandon_on_interrupt<T>(message: &str, f: impl FnOnce() -> T) -> Option<T> {
    use std::sync::Arc;
    let finished = Arc::new(AtomicBool::new(false));
    let watcher = {
        let finished = Arc::clone(&finished);
        let message = message.to_string();
        std::thread::spawn(move || {
            while !finished.load(Ordering::Relaxed) {
                if requested() {
                    eprintln!("goodhart: {message}");
                    std::process::exit(130);
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        })
    };
    let value = f();
    finished.store(true, Ordering::Relaxed);
    let _ = watcher.join();
    (!requested()).then_some(value)
}
