//! The one error type of the library.
//!
//! Every variant names the offending input and carries its value, so the CLI can print a
//! single line such as `beta must be > 0, got -1`. The binary wraps these in `anyhow` to add
//! file and key context; the library never uses `anyhow`.

use std::path::PathBuf;

/// Errors returned by `goodhart`'s constructors, kernels and pipelines.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A parameter that must be strictly positive was `<= 0` or NaN.
    #[error("{name} must be > 0, got {value}")]
    NotPositive {
        /// Which input.
        name: &'static str,
        /// The value received.
        value: f64,
    },
    /// A parameter that must be finite was NaN or infinite.
    #[error("{name} must be finite, got {value}")]
    NotFinite {
        /// Which input.
        name: &'static str,
        /// The value received.
        value: f64,
    },
    /// A value lies outside the interval it must lie in.
    #[error("{name} must lie in {range}, got {value}")]
    OutOfRange {
        /// Which input.
        name: &'static str,
        /// The value received.
        value: f64,
        /// The allowed range, in words (e.g. `[0, 1]`).
        range: &'static str,
    },
    /// A probability vector has a negative or non-finite entry.
    #[error("{name}[{index}] = {value} is not a probability (must be finite and >= 0)")]
    NotAProbability {
        /// Which input.
        name: &'static str,
        /// Index of the first bad entry.
        index: usize,
        /// The entry.
        value: f64,
    },
    /// A probability vector does not sum to one (never silently renormalised).
    #[error("{name} sums to {sum}, not 1 (tolerance {tolerance:e}); goodhart never renormalises silently")]
    NotNormalised {
        /// Which input.
        name: &'static str,
        /// The sum found.
        sum: f64,
        /// Tolerance used.
        tolerance: f64,
    },
    /// An empty support / empty sample.
    #[error("{name} is empty")]
    Empty {
        /// Which input.
        name: &'static str,
    },
    /// Too few values for an estimator or construction.
    #[error("{name} has {len} values, needs at least {min}")]
    TooShort {
        /// Which input.
        name: &'static str,
        /// How many values were given.
        len: usize,
        /// How many are needed.
        min: usize,
    },
    /// Two inputs that must have the same length do not.
    #[error("length mismatch: {left} has {left_len} entries but {right} has {right_len}")]
    LengthMismatch {
        /// First input.
        left: &'static str,
        /// Its length.
        left_len: usize,
        /// Second input.
        right: &'static str,
        /// Its length.
        right_len: usize,
    },
    /// A KL budget that no tilt of the base distribution can reach.
    #[error("KL budget {budget} nats cannot be reached: the largest KL attainable by tilting is {max} nats")]
    UnreachableBudget {
        /// The requested budget.
        budget: f64,
        /// The supremum attainable.
        max: f64,
    },
    /// A quantity is infinite (e.g. the tilted normaliser of a heavy-tailed law).
    #[error("{what} is infinite: {why}")]
    Infinite {
        /// What was being computed.
        what: &'static str,
        /// Why it diverges.
        why: String,
    },
    /// An iterative method failed to reach its tolerance.
    #[error(
        "{method} did not converge after {iterations} iterations (last residual {residual:e})"
    )]
    NoConvergence {
        /// Which method.
        method: &'static str,
        /// Iterations run.
        iterations: usize,
        /// Last residual.
        residual: f64,
    },
    /// A configuration value or file is invalid.
    #[error("config: {0}")]
    Config(String),
    /// Unknown figure / simulation id.
    #[error("unknown id `{id}`; known ids: {known}")]
    UnknownId {
        /// The id given.
        id: String,
        /// The ids that exist.
        known: String,
    },
    /// Input/output failure, with the path.
    #[error("{path}: {message}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A run was interrupted (Ctrl-C). Whether anything was kept is for the caller to say (the
    /// CLI adds what it kept, or that nothing was written).
    #[error("interrupted (Ctrl-C) after {done} of {total} units")]
    Interrupted {
        /// Units finished.
        done: usize,
        /// Units planned.
        total: usize,
    },
    /// A symbol of a history lies outside the finite alphabet of its position.
    #[error("{name}: symbol {symbol} at position {position} is outside the {role} alphabet {{0, …, {max}}}")]
    OutsideAlphabet {
        /// Which input (e.g. `demonstrator data`).
        name: &'static str,
        /// 0-based position in the sequence.
        position: usize,
        /// The symbol found.
        symbol: usize,
        /// `action` or `observation`.
        role: &'static str,
        /// The largest valid symbol (alphabet size − 1).
        max: usize,
    },
    /// A request whose memory (or work) would exceed a stated limit; refused before allocating.
    #[error("{name} = {value} needs {needed}, more than the limit of {limit}")]
    TooLarge {
        /// Which input.
        name: &'static str,
        /// The value received.
        value: f64,
        /// What it would need, in words with units.
        needed: String,
        /// The limit, in words with units.
        limit: String,
    },
    /// Anything else with a message (plotting back-ends and the like).
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Convenience for I/O errors.
    pub fn io(path: impl Into<PathBuf>, e: impl std::fmt::Display) -> Self {
        Error::Io {
            path: path.into(),
            message: e.to_string(),
        }
    }
}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks that `value > 0` (rejects NaN too, rand_distr style).
pub fn positive(name: &'static str, value: f64) -> Result<f64> {
    if !(value > 0.0) {
        return Err(Error::NotPositive { name, value });
    }
    Ok(value)
}

/// Checks that `value > 0` and finite.
pub fn positive_finite(name: &'static str, value: f64) -> Result<f64> {
    positive(name, value)?;
    finite(name, value)
}

/// Checks that `value` is finite.
pub fn finite(name: &'static str, value: f64) -> Result<f64> {
    if !value.is_finite() {
        return Err(Error::NotFinite { name, value });
    }
    Ok(value)
}
