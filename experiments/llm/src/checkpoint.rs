//! A model directory in the Hugging Face layout, read from local paths only (never the hub).
//!
//! Cohen et al. 2024 §3.2 load `mistralai/Mixtral-8x7B-v0.1` and
//! `distilbert-base-uncased-finetuned-sst-2-english` with `from_pretrained`; this module is the local,
//! offline counterpart. A model directory holds
//!
//! * `config.json` (the architecture; parsed by each model file into its own serde `Config`),
//! * the weights: `model.safetensors`, or `model.safetensors.index.json` whose `weight_map` names the
//!   shards, or else every `*.safetensors` file of the directory (pickled `pytorch_model.bin` is refused:
//!   convert it to safetensors first),
//! * optionally `tokenizer.json`.
//!
//! [`ModelDir::open`] also accepts a repository folder of the local Hugging Face cache
//! (`<cache>/models--org--name`, resolved through `refs/main` to `snapshots/<hash>/`, or the only
//! snapshot), and [`ModelDir::from_hf_cache`] builds that folder name from a repo id.
//!
//! Shapes and dtypes are checked from the safetensors headers alone ([`ModelDir::tensor_infos`],
//! [`ModelDir::verify`]) before any data is mapped, so a checkpoint that does not fit its config fails
//! with a typed error naming the tensor and both shapes instead of a shape error deep inside a forward
//! pass. [`write_model_dir`] writes the same layout (used by `make-tiny` and by training).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use serde::de::DeserializeOwned;

use crate::error::{LlmError, Result};

/// Name of the configuration file.
pub const CONFIG_FILE: &str = "config.json";
/// Name of the single-file weights.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Name of the index of sharded weights.
pub const WEIGHTS_INDEX_FILE: &str = "model.safetensors.index.json";
/// Name of the tokenizer file.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// Name of a BERT WordPiece vocabulary (read when there is no `tokenizer.json`).
pub const VOCAB_FILE: &str = "vocab.txt";
/// Name of the tokenizer settings transformers writes beside the vocabulary.
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";

/// Largest safetensors header we read (the limit of the safetensors crate itself).
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// A resolved model directory: where the config, the weights and the tokenizer are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelDir {
    /// The directory holding `config.json` (for a cache repo: the resolved snapshot).
    pub dir: PathBuf,
    /// `dir/config.json`.
    pub config_path: PathBuf,
    /// The safetensors files, in a fixed order (the single file, the shards of the index in sorted
    /// order, or every `*.safetensors` sorted by name).
    pub weights: Vec<PathBuf>,
    /// `dir/tokenizer.json` if present.
    pub tokenizer_path: Option<PathBuf>,
    /// `dir/model.safetensors.index.json` when the weights came from it.
    pub index_path: Option<PathBuf>,
}

/// What a safetensors header says about one tensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// The dtype as the header writes it: `"BF16"`, `"F16"`, `"F32"`, `"I64"`, ….
    pub dtype: String,
    /// The shape.
    pub shape: Vec<usize>,
    /// The file that holds it.
    pub file: PathBuf,
}

/// The dtypes [`ModelDir::verify`] accepts (safetensors spelling).
const SUPPORTED_DTYPES: [&str; 3] = ["BF16", "F16", "F32"];

impl ModelDir {
    /// Resolves a model directory: (a) a directory with `config.json`, or (b) a repository folder of
    /// the local Hugging Face cache (`models--org--name`, with `refs/main` naming a snapshot, or a
    /// single snapshot).
    ///
    /// # Errors
    /// [`LlmError::Io`] if `path` is not a directory; [`LlmError::MissingFile`] for a missing
    /// `config.json`, missing weights (the message says to convert a `pytorch_model.bin`), a shard
    /// named by the index that is not there, or a snapshot `refs/main` names that is not there;
    /// [`LlmError::Config`] for an unreadable index; [`LlmError::InvalidArgument`] for a cache folder
    /// with several snapshots and no `refs/main`.
    pub fn open(path: &Path) -> Result<Self> {
        if !path.is_dir() {
            let (kind, what) = if path.exists() {
                (
                    std::io::ErrorKind::NotADirectory,
                    "not a directory (expected a model directory holding config.json)",
                )
            } else {
                (
                    std::io::ErrorKind::NotFound,
                    "no such directory (expected a model directory holding config.json)",
                )
            };
            return Err(LlmError::io(path, std::io::Error::new(kind, what)));
        }
        let config_path = path.join(CONFIG_FILE);
        if !config_path.is_file() {
            if path.join("snapshots").is_dir() {
                let snapshot = resolve_snapshot(path)?;
                return Self::open_model_dir(&snapshot);
            }
            return Err(LlmError::MissingFile {
                dir: path.to_path_buf(),
                file: CONFIG_FILE.into(),
            });
        }
        Self::open_model_dir(path)
    }

    /// Opens `cache_root/models--{org}--{name}` for `repo_id = "org/name"` (e.g. the hub cache
    /// `~/.cache/huggingface/hub` and `"mistralai/Mixtral-8x7B-v0.1"`). Nothing is downloaded.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] for an empty or path-like repo id; [`LlmError::MissingFile`] if
    /// the repository is not in the cache; otherwise as [`ModelDir::open`].
    pub fn from_hf_cache(cache_root: &Path, repo_id: &str) -> Result<Self> {
        let parts: Vec<&str> = repo_id.split('/').collect();
        let valid = !repo_id.is_empty()
            && parts.len() <= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && *p != "." && *p != ".." && !p.contains('\\'));
        if !valid {
            return Err(LlmError::invalid(
                "repo_id",
                repo_id,
                "a Hugging Face repo id `org/name` (or `name`)",
            ));
        }
        let folder = format!("models--{}", parts.join("--"));
        let repo_dir = cache_root.join(&folder);
        if !repo_dir.is_dir() {
            return Err(LlmError::MissingFile {
                dir: cache_root.to_path_buf(),
                file: folder,
            });
        }
        Self::open(&repo_dir)
    }

    /// `dir` has a `config.json`: find the weights and the tokenizer.
    fn open_model_dir(dir: &Path) -> Result<Self> {
        let config_path = dir.join(CONFIG_FILE);
        if !config_path.is_file() {
            return Err(LlmError::MissingFile {
                dir: dir.to_path_buf(),
                file: CONFIG_FILE.into(),
            });
        }
        let (weights, index_path) = find_weights(dir)?;
        let tokenizer_path = Some(dir.join(TOKENIZER_FILE)).filter(|p| p.is_file());
        Ok(ModelDir {
            dir: dir.to_path_buf(),
            config_path,
            weights,
            tokenizer_path,
            index_path,
        })
    }

    /// Parses `config.json` into `T`.
    ///
    /// # Errors
    /// [`LlmError::Io`] if unreadable; [`LlmError::Config`] naming the file and serde's message
    /// (missing field, wrong type, line and column) if it does not parse into `T`.
    pub fn read_config<T: DeserializeOwned>(&self) -> Result<T> {
        let text = fs::read_to_string(&self.config_path)
            .map_err(|e| LlmError::io(&self.config_path, e))?;
        serde_json::from_str(&text).map_err(|e| LlmError::Config {
            path: self.config_path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// `config.json` as a JSON value.
    ///
    /// # Errors
    /// As [`ModelDir::read_config`].
    pub fn config_json(&self) -> Result<serde_json::Value> {
        self.read_config()
    }

    /// Name → dtype, shape and file of every tensor, read from the safetensors headers only (no tensor
    /// data is read). With an index, every tensor its `weight_map` names must be in the shard it names.
    ///
    /// # Errors
    /// [`LlmError::Config`] for a malformed or truncated safetensors file or a tensor stored in two
    /// files; [`LlmError::MissingTensor`] for a tensor the index promises but its shard lacks;
    /// [`LlmError::Io`] if a file cannot be read.
    pub fn tensor_infos(&self) -> Result<BTreeMap<String, TensorInfo>> {
        let mut infos: BTreeMap<String, TensorInfo> = BTreeMap::new();
        for file in &self.weights {
            for (name, (dtype, shape)) in read_safetensors_header(file)? {
                if let Some(previous) = infos.get(&name) {
                    return Err(LlmError::Config {
                        path: file.display().to_string(),
                        message: format!(
                            "tensor `{name}` is also stored in {}",
                            previous.file.display()
                        ),
                    });
                }
                infos.insert(
                    name,
                    TensorInfo {
                        dtype,
                        shape,
                        file: file.clone(),
                    },
                );
            }
        }
        if let Some(index_path) = &self.index_path {
            for (name, shard) in read_index(index_path)? {
                let shard_path = self.dir.join(&shard);
                if infos.get(&name).is_none_or(|info| info.file != shard_path) {
                    return Err(LlmError::MissingTensor {
                        file: shard_path.display().to_string(),
                        tensor: name,
                    });
                }
            }
        }
        Ok(infos)
    }

    /// Where a missing tensor should have been: the single weights file, else the index, else the
    /// directory.
    fn weights_label(&self) -> String {
        match (&self.index_path, self.weights.as_slice()) {
            (Some(index), _) => index.display().to_string(),
            (None, [single]) => single.display().to_string(),
            _ => self.dir.display().to_string(),
        }
    }

    /// Checks that every expected tensor is stored, in a loadable dtype, with the expected shape.
    /// Tensors the weights hold beyond `expected` are ignored.
    ///
    /// # Errors
    /// The first problem in the order of `expected`: [`LlmError::MissingTensor`],
    /// [`LlmError::UnsupportedDtype`] (anything but BF16/F16/F32) or [`LlmError::ShapeMismatch`];
    /// errors of [`ModelDir::tensor_infos`].
    pub fn verify(&self, expected: &[(String, Vec<usize>)]) -> Result<()> {
        let infos = self.tensor_infos()?;
        for (name, shape) in expected {
            let Some(info) = infos.get(name) else {
                return Err(LlmError::MissingTensor {
                    file: self.weights_label(),
                    tensor: name.clone(),
                });
            };
            if !SUPPORTED_DTYPES.contains(&info.dtype.as_str()) {
                return Err(LlmError::UnsupportedDtype {
                    tensor: name.clone(),
                    dtype: info.dtype.clone(),
                });
            }
            if &info.shape != shape {
                return Err(LlmError::ShapeMismatch {
                    tensor: name.clone(),
                    expected: shape.clone(),
                    found: info.shape.clone(),
                });
            }
        }
        Ok(())
    }

    /// Verifies the weights against `expected`, then memory-maps them into a [`candle_nn::VarBuilder`]
    /// that converts each tensor to `dtype` on `device` when it is fetched.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] if `dtype` is not BF16/F16/F32; errors of [`ModelDir::verify`];
    /// [`LlmError::Candle`] if a file cannot be mapped.
    pub fn var_builder(
        &self,
        expected: &[(String, Vec<usize>)],
        dtype: DType,
        device: &Device,
    ) -> Result<candle_nn::VarBuilder<'static>> {
        if !matches!(dtype, DType::BF16 | DType::F16 | DType::F32) {
            return Err(LlmError::invalid(
                "dtype",
                format!("{dtype:?}"),
                "bf16, f16 or f32",
            ));
        }
        self.verify(expected)?;
        // SAFETY: `from_mmaped_safetensors` is unsafe because a memory map aliases the file: if another
        // process truncates or rewrites a weights file while it is mapped, reads through the map can see
        // torn data or fault (SIGBUS). We open the files read-only, never write to them while the
        // `VarBuilder` lives (our own writer, `write_model_dir`, replaces files by rename, which leaves an
        // existing map on the old inode intact), and every header has just been validated against the
        // file length by `verify`. Soundness still depends on no *other* process modifying the files in
        // place while they are mapped; that is the caveat every mmap-based loader (candle, HF) accepts.
        #[allow(unsafe_code)]
        let tensors = unsafe { candle_core::safetensors::MmapedSafetensors::multi(&self.weights)? };
        // One pass over the mapped bytes (memory bandwidth; the load reads them anyway) so that a
        // NaN or inf weight is named here instead of surfacing as NaN logits or a routing error.
        let infos = self.tensor_infos()?;
        for (name, _) in expected {
            let view = tensors.get(name)?;
            let file = infos
                .get(name)
                .map_or_else(|| self.weights_label(), |i| i.file.display().to_string());
            check_finite(name, &file, &format!("{:?}", view.dtype()), view.data())?;
        }
        Ok(candle_nn::VarBuilder::from_backend(
            Box::new(tensors),
            dtype,
            device.clone(),
        ))
    }

    /// Loads `tokenizer.json`; without one, a BERT WordPiece tokenizer from `vocab.txt` and
    /// `tokenizer_config.json` ([`crate::tokenizer::bert_wordpiece_from_vocab`], as transformers builds
    /// it for a checkpoint such as `distilbert-base-uncased-finetuned-sst-2-english`).
    ///
    /// # Errors
    /// [`LlmError::MissingFile`] if the directory has neither; [`LlmError::Tokenizer`] naming the file if
    /// it does not load.
    pub fn tokenizer(&self) -> Result<tokenizers::Tokenizer> {
        let Some(path) = &self.tokenizer_path else {
            let vocab = self.dir.join(VOCAB_FILE);
            if vocab.is_file() {
                let config_path = self.dir.join(TOKENIZER_CONFIG_FILE);
                let config: Option<serde_json::Value> = if config_path.is_file() {
                    let text = fs::read_to_string(&config_path)
                        .map_err(|e| LlmError::io(&config_path, e))?;
                    Some(serde_json::from_str(&text).map_err(|e| LlmError::Config {
                        path: config_path.display().to_string(),
                        message: e.to_string(),
                    })?)
                } else {
                    None
                };
                return crate::tokenizer::bert_wordpiece_from_vocab(
                    &vocab,
                    config.as_ref(),
                    &config_path,
                );
            }
            return Err(LlmError::MissingFile {
                dir: self.dir.clone(),
                file: format!("{TOKENIZER_FILE} (or {VOCAB_FILE} for a BERT WordPiece tokenizer)"),
            });
        };
        tokenizers::Tokenizer::from_file(path)
            .map_err(|e| LlmError::Tokenizer(format!("{}: {e}", path.display())))
    }
}

/// Fails with [`LlmError::NonFiniteWeight`] if the little-endian `data` of a tensor of safetensors
/// dtype `dtype` (`"BF16"`, `"F16"`, `"F32"`) holds a NaN or an infinity (all exponent bits set);
/// other dtypes are not checked.
pub fn check_finite(tensor: &str, file: &str, dtype: &str, data: &[u8]) -> Result<()> {
    // (bytes per value, exponent mask, mantissa mask) of the IEEE-style formats
    let (width, exp, mant): (usize, u32, u32) = match dtype {
        "F32" => (4, 0x7f80_0000, 0x007f_ffff),
        "BF16" => (2, 0x7f80, 0x007f),
        "F16" => (2, 0x7c00, 0x03ff),
        _ => return Ok(()),
    };
    let bits = |c: &[u8]| -> u32 {
        if width == 4 {
            u32::from_le_bytes([c[0], c[1], c[2], c[3]])
        } else {
            u32::from(u16::from_le_bytes([c[0], c[1]]))
        }
    };
    let bad = |b: u32| b & exp == exp;
    // Fast path: a branch-free pass (vectorised by the compiler) answers "any?"; only a tensor that
    // has a non-finite value is walked again to locate and count them.
    let any = if width == 4 {
        data.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .fold(false, |acc, b| acc | bad(b))
    } else {
        let exp16 = exp as u16;
        data.chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .fold(false, |acc, b| acc | (b & exp16 == exp16))
    };
    if !any {
        return Ok(());
    }
    let Some(first_index) = data.chunks_exact(width).position(|c| bad(bits(c))) else {
        return Ok(());
    };
    let b = bits(&data[first_index * width..]);
    let sign = b >> (8 * width - 1) == 1;
    let first = match (b & mant != 0, sign) {
        (true, _) => "NaN",
        (false, false) => "inf",
        (false, true) => "-inf",
    };
    let count = data.chunks_exact(width).filter(|c| bad(bits(c))).count();
    Err(LlmError::NonFiniteWeight {
        file: file.to_string(),
        tensor: tensor.to_string(),
        count,
        first_index,
        first: first.to_string(),
    })
}

/// Resolves a cache repository folder to its snapshot: `refs/main`, else the only snapshot.
fn resolve_snapshot(repo_dir: &Path) -> Result<PathBuf> {
    let refs_main = repo_dir.join("refs").join("main");
    if refs_main.is_file() {
        let hash = fs::read_to_string(&refs_main).map_err(|e| LlmError::io(&refs_main, e))?;
        let hash = hash.trim();
        if hash.is_empty() || hash.contains(['/', '\\']) || hash == "." || hash == ".." {
            return Err(LlmError::Config {
                path: refs_main.display().to_string(),
                message: format!("`{hash}` is not a snapshot hash"),
            });
        }
        let snapshot = repo_dir.join("snapshots").join(hash);
        if !snapshot.is_dir() {
            return Err(LlmError::MissingFile {
                dir: repo_dir.to_path_buf(),
                file: format!("snapshots/{hash}"),
            });
        }
        return Ok(snapshot);
    }
    let snapshots_dir = repo_dir.join("snapshots");
    let mut snapshots = Vec::new();
    for entry in fs::read_dir(&snapshots_dir).map_err(|e| LlmError::io(&snapshots_dir, e))? {
        let entry = entry.map_err(|e| LlmError::io(&snapshots_dir, e))?;
        if entry.path().is_dir() {
            snapshots.push(entry.path());
        }
    }
    snapshots.sort();
    match snapshots.len() {
        0 => Err(LlmError::MissingFile { dir: repo_dir.to_path_buf(), file: "snapshots/<revision>".into() }),
        1 => Ok(snapshots.remove(0)),
        _ => Err(LlmError::invalid(
            "model path",
            repo_dir.display(),
            "a cache folder with refs/main or exactly one snapshot (several snapshots and no refs/main: pass the snapshot directory)",
        )),
    }
}

/// The weight files of a model directory, and the index they came from.
fn find_weights(dir: &Path) -> Result<(Vec<PathBuf>, Option<PathBuf>)> {
    let single = dir.join(WEIGHTS_FILE);
    if single.is_file() {
        return Ok((vec![single], None));
    }
    let index = dir.join(WEIGHTS_INDEX_FILE);
    if index.is_file() {
        let shards: BTreeSet<String> = read_index(&index)?.into_values().collect();
        if shards.is_empty() {
            return Err(LlmError::Config {
                path: index.display().to_string(),
                message: "weight_map is empty".into(),
            });
        }
        let mut weights = Vec::with_capacity(shards.len());
        for shard in shards {
            let path = dir.join(&shard);
            if !path.is_file() {
                return Err(LlmError::MissingFile {
                    dir: dir.to_path_buf(),
                    file: shard,
                });
            }
            weights.push(path);
        }
        return Ok((weights, Some(index)));
    }
    let mut safetensors = Vec::new();
    let mut pickled = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| LlmError::io(dir, e))? {
        let entry = entry.map_err(|e| LlmError::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !path.is_file() {
            continue;
        }
        if name.ends_with(".safetensors") {
            safetensors.push(path);
        } else if name.ends_with(".bin") || name.ends_with(".pt") || name.ends_with(".pth") {
            pickled.push(name);
        }
    }
    safetensors.sort();
    pickled.sort();
    if !safetensors.is_empty() {
        return Ok((safetensors, None));
    }
    let file = if pickled.is_empty() {
        WEIGHTS_FILE.to_string()
    } else {
        format!(
            "{WEIGHTS_FILE} (only pickled PyTorch weights here: {}; they are not loaded, convert them to safetensors, \
             e.g. `model.save_pretrained(dir, safe_serialization=True)` in transformers)",
            pickled.join(", ")
        )
    };
    Err(LlmError::MissingFile {
        dir: dir.to_path_buf(),
        file,
    })
}

/// `weight_map` of a `model.safetensors.index.json`: tensor name → shard file name.
fn read_index(index: &Path) -> Result<BTreeMap<String, String>> {
    #[derive(serde::Deserialize)]
    struct Index {
        weight_map: BTreeMap<String, String>,
    }
    let text = fs::read_to_string(index).map_err(|e| LlmError::io(index, e))?;
    let parsed: Index = serde_json::from_str(&text).map_err(|e| LlmError::Config {
        path: index.display().to_string(),
        message: e.to_string(),
    })?;
    for shard in parsed.weight_map.values() {
        let plain =
            Path::new(shard).components().count() == 1 && !shard.is_empty() && shard != "..";
        if !plain {
            return Err(LlmError::Config {
                path: index.display().to_string(),
                message: format!("shard `{shard}` is not a file name in the model directory"),
            });
        }
    }
    Ok(parsed.weight_map)
}

/// Reads the header of a safetensors file (8-byte little-endian length, then JSON) and checks it
/// against the file length: tensor name → (dtype, shape). No tensor data is read.
fn read_safetensors_header(path: &Path) -> Result<BTreeMap<String, (String, Vec<usize>)>> {
    let bad = |message: String| LlmError::Config {
        path: path.display().to_string(),
        message,
    };
    let mut file = fs::File::open(path).map_err(|e| LlmError::io(path, e))?;
    let file_len = file.metadata().map_err(|e| LlmError::io(path, e))?.len();
    let mut len_bytes = [0u8; 8];
    file.read_exact(&mut len_bytes).map_err(|_| {
        bad(format!(
            "not a safetensors file ({file_len} bytes, shorter than the 8-byte header length)"
        ))
    })?;
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > MAX_HEADER_BYTES || header_len > file_len - 8 {
        return Err(bad(format!(
            "not a safetensors file (header length {header_len}, file length {file_len})"
        )));
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header)
        .map_err(|e| LlmError::io(path, e))?;
    let metadata: safetensors::tensor::Metadata = serde_json::from_slice(&header)
        .map_err(|e| bad(format!("malformed safetensors header: {e}")))?;
    let expected_len = 8 + header_len + metadata.data_len() as u64;
    if expected_len != file_len {
        return Err(bad(format!(
            "the header describes {expected_len} bytes but the file has {file_len} (truncated or corrupt)"
        )));
    }
    Ok(metadata
        .tensors()
        .into_iter()
        .map(|(name, info)| (name, (format!("{:?}", info.dtype), info.shape.clone())))
        .collect())
}

/// Parses a dtype name: `bf16`/`bfloat16`, `f16`/`float16`, `f32`/`float32` (any case).
///
/// # Errors
/// [`LlmError::InvalidArgument`] for anything else.
pub fn parse_dtype(s: &str) -> Result<DType> {
    match s.trim().to_ascii_lowercase().as_str() {
        "bf16" | "bfloat16" => Ok(DType::BF16),
        "f16" | "float16" => Ok(DType::F16),
        "f32" | "float32" => Ok(DType::F32),
        _ => Err(LlmError::invalid(
            "dtype",
            s,
            "bf16, f16 or f32 (also bfloat16, float16, float32)",
        )),
    }
}

/// Writes a model directory: `config.json` (pretty), `model.safetensors` and `tokenizer.json`, each
/// atomically (a temporary file in `dir`, synced, then renamed over the target) with mode 0644.
/// `dir` is created if needed.
///
/// # Errors
/// [`LlmError::UnsupportedDtype`] for a tensor that is not BF16/F16/F32 (it could not be loaded
/// back); [`LlmError::InvalidArgument`] for no tensors; [`LlmError::Io`], [`LlmError::Candle`],
/// [`LlmError::Tokenizer`] for failed writes.
pub fn write_model_dir(
    dir: &Path,
    config: &serde_json::Value,
    tensors: &HashMap<String, Tensor>,
    tokenizer: &tokenizers::Tokenizer,
) -> Result<()> {
    if tensors.is_empty() {
        return Err(LlmError::invalid("tensors", "{}", "at least one tensor"));
    }
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    for name in names {
        let dtype = tensors[name].dtype();
        if !matches!(dtype, DType::BF16 | DType::F16 | DType::F32) {
            return Err(LlmError::UnsupportedDtype {
                tensor: name.clone(),
                dtype: format!("{dtype:?}"),
            });
        }
    }
    fs::create_dir_all(dir).map_err(|e| LlmError::io(dir, e))?;

    let config_text = serde_json::to_string_pretty(config)?;
    write_atomically(dir, CONFIG_FILE, |path| {
        fs::write(path, config_text.as_bytes()).map_err(|e| LlmError::io(path, e))
    })?;
    write_atomically(dir, WEIGHTS_FILE, |path| {
        Ok(candle_core::safetensors::save(tensors, path)?)
    })?;
    let tokenizer_text = tokenizer
        .to_string(false)
        .map_err(|e| LlmError::Tokenizer(e.to_string()))?;
    write_atomically(dir, TOKENIZER_FILE, |path| {
        fs::write(path, tokenizer_text.as_bytes()).map_err(|e| LlmError::io(path, e))
    })
}

/// Writes `dir/name` through a temporary file in `dir`: `write` fills the temporary path, which is
/// then synced, made 0644 and renamed over the target. The temporary file is removed on failure.
fn write_atomically(dir: &Path, name: &str, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let target = dir.join(name);
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| LlmError::io(dir, e))?;
    write(tmp.path())?;
    {
        let file = fs::OpenOptions::new()
            .write(true)
            .open(tmp.path())
            .map_err(|e| LlmError::io(tmp.path(), e))?;
        file.sync_all().map_err(|e| LlmError::io(tmp.path(), e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(fs::Permissions::from_mode(0o644))
                .map_err(|e| LlmError::io(tmp.path(), e))?;
        }
    }
    tmp.persist(&target)
        .map_err(|e| LlmError::io(&target, e.error))?;
    // Make the rename itself durable where the platform allows opening a directory.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
