//! One error type for the LLM stack; every variant names the input at fault.

use std::path::PathBuf;

/// Result alias of the crate.
pub type Result<T, E = LlmError> = std::result::Result<T, E>;

/// What went wrong, with the file, tensor, shape or value at fault.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// A file the Hugging Face layout needs is not in the model directory.
    #[error("{dir}: missing {file} (expected a Hugging Face model directory: config.json, *.safetensors or model.safetensors.index.json, tokenizer.json)")]
    MissingFile {
        /// The model directory.
        dir: PathBuf,
        /// The file that is missing.
        file: String,
    },
    /// A tensor the architecture needs is not in the weights.
    #[error("{file}: tensor `{tensor}` is missing")]
    MissingTensor {
        /// The weights file or directory.
        file: String,
        /// The tensor name.
        tensor: String,
    },
    /// The weights do not match the configuration.
    #[error(
        "tensor `{tensor}`: config.json implies shape {expected:?} but the weights have {found:?}"
    )]
    ShapeMismatch {
        /// The tensor name.
        tensor: String,
        /// Shape implied by config.json.
        expected: Vec<usize>,
        /// Shape stored in the weights.
        found: Vec<usize>,
    },
    /// A tensor is stored in a dtype we do not load.
    #[error("tensor `{tensor}` has dtype {dtype}; supported: bf16, f16, f32")]
    UnsupportedDtype {
        /// The tensor name.
        tensor: String,
        /// Its dtype as stored.
        dtype: String,
    },
    /// A stored weight is NaN or infinite (found at load, before any forward pass).
    #[error("{file}: tensor `{tensor}` holds {count} non-finite value(s), the first ({first}) at flat index {first_index}")]
    NonFiniteWeight {
        /// The weights file.
        file: String,
        /// The tensor name.
        tensor: String,
        /// How many of its values are NaN or ±inf.
        count: usize,
        /// Row-major index of the first one.
        first_index: usize,
        /// "NaN", "inf" or "-inf".
        first: String,
    },
    /// config.json (or another config) is malformed or describes something we do not support.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The tokenizer could not be built, loaded or applied.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The reward checkpoint is not a two-class sequence classifier.
    #[error("reward model {path}: not a 2-class sequence classifier ({message})")]
    NotAClassifier {
        /// The checkpoint directory.
        path: String,
        /// What was found instead.
        message: String,
    },
    /// An argument is out of its domain (NaN, negative budget, zero length, …).
    #[error("{name} = {value}: {expected}")]
    InvalidArgument {
        /// The argument name.
        name: &'static str,
        /// Its value, as written.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// A training checkpoint belongs to a different run configuration.
    #[error("checkpoint {path} was written by a run with another configuration (hash {found}, this run {expected})")]
    CheckpointMismatch {
        /// The checkpoint path.
        path: String,
        /// This run's configuration hash.
        expected: String,
        /// The checkpoint's configuration hash.
        found: String,
    },
    /// A file-system error, with the path.
    ///
    /// The I/O error is part of the message and deliberately not a `source()`: an error chain printed
    /// with `{:#}` would otherwise repeat it ("…: not a directory: not a directory").
    #[error("{path}: {cause}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        cause: std::io::Error,
    },
    /// The user pressed Ctrl-C; what was done is kept.
    #[error("interrupted")]
    Interrupted,
    /// An error inside candle (tensor op, device, safetensors parsing).
    /// Kept without the backtrace candle attaches under `RUST_BACKTRACE`, so that messages stay
    /// one line.
    #[error("candle: {0}")]
    Candle(candle_core::Error),
    /// A JSON file could not be parsed or written.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl LlmError {
    /// An [`LlmError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        LlmError::Io {
            path: path.into(),
            cause: source,
        }
    }

    /// An [`LlmError::InvalidArgument`].
    pub fn invalid(name: &'static str, value: impl ToString, expected: &'static str) -> Self {
        LlmError::InvalidArgument {
            name,
            value: value.to_string(),
            expected,
        }
    }
}

impl From<candle_core::Error> for LlmError {
    fn from(e: candle_core::Error) -> Self {
        match e {
            candle_core::Error::WithBacktrace { inner, .. } => LlmError::from(*inner),
            other => LlmError::Candle(other),
        }
    }
}
