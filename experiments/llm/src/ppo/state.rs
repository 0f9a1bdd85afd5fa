//! Atomic checkpoints of a [`super::Trainer`]: `DIR/trainer.safetensors` (actor, critic and Adam
//! moments) and `DIR/trainer.json` (configuration and its hash, counters, metrics and episodes so
//! far). Both are written to temporary files in `DIR` and renamed into place, JSON last, so a
//! checkpoint is either the old one or the new one, never half of each; a resumed run refuses a
//! checkpoint written under another configuration ([`LlmError::CheckpointMismatch`]).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{PpoConfig, TrainOutcome, Trainer};
use crate::{LlmError, Result};

/// The JSON half of a checkpoint.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    config: PpoConfig,
    config_hash: String,
    timesteps: u64,
    rounds: usize,
    updates: usize,
    adam_steps: u64,
    outcome: TrainOutcome,
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| LlmError::io(dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| LlmError::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| LlmError::io(path, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| LlmError::io(path, e))?;
    tmp.persist(path).map_err(|e| LlmError::io(path, e.error))?;
    Ok(())
}

impl Trainer {
    /// Saves the trainer into `dir` (see the module doc).
    ///
    /// # Errors
    /// File-system and serialisation errors.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let mut tensors: BTreeMap<String, candle_core::Tensor> = self.agent.tensors();
        let (moments, adam_steps) = self.opt.state();
        tensors.extend(moments);
        let map: HashMap<String, candle_core::Tensor> = tensors.into_iter().collect();
        let st = dir.join("trainer.safetensors");
        std::fs::create_dir_all(dir).map_err(|e| LlmError::io(dir, e))?;
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| LlmError::io(dir, e))?;
        candle_core::safetensors::save(&map, tmp.path())?;
        tmp.persist(&st).map_err(|e| LlmError::io(&st, e.error))?;
        let saved = Saved {
            config: self.cfg.clone(),
            config_hash: self.cfg.hash(),
            timesteps: self.timesteps,
            rounds: self.rounds,
            updates: self.updates,
            adam_steps,
            outcome: self.outcome.clone(),
        };
        write_atomic(&dir.join("trainer.json"), &serde_json::to_vec(&saved)?)
    }

    /// Whether `dir` holds a checkpoint.
    pub fn has_checkpoint(dir: &Path) -> bool {
        dir.join("trainer.json").is_file() && dir.join("trainer.safetensors").is_file()
    }

    /// Restores a checkpoint written by [`Trainer::save`] under the same configuration.
    ///
    /// # Errors
    /// [`LlmError::CheckpointMismatch`] for another configuration; [`LlmError::Config`] for a
    /// malformed file; missing or mis-shaped tensors, named.
    pub fn resume(&mut self, dir: &Path) -> Result<()> {
        let jp = dir.join("trainer.json");
        let text = std::fs::read_to_string(&jp).map_err(|e| LlmError::io(&jp, e))?;
        let saved: Saved = serde_json::from_str(&text).map_err(|e| LlmError::Config {
            path: jp.display().to_string(),
            message: format!("not a trainer checkpoint: {e}"),
        })?;
        let hash = self.cfg.hash();
        if saved.config_hash != hash || saved.config.hash() != hash {
            return Err(LlmError::CheckpointMismatch {
                path: jp.display().to_string(),
                expected: hash,
                found: saved.config_hash,
            });
        }
        let sp = dir.join("trainer.safetensors");
        let file = sp.display().to_string();
        let loaded = candle_core::safetensors::load(&sp, &self.device)?;
        let tensors: BTreeMap<String, candle_core::Tensor> = loaded.into_iter().collect();
        self.agent.load_tensors(&tensors, &file)?;
        self.opt.load_state(&tensors, saved.adam_steps, &file)?;
        self.timesteps = saved.timesteps;
        self.rounds = saved.rounds;
        self.updates = saved.updates;
        self.outcome = saved.outcome;
        Ok(())
    }
}
