//! The configuration of one run of Cohen et al. 2024's LLM experiment (spec `cohen2024.md` §3): a
//! TOML file read into [`ExperimentConfig`] (unknown keys are errors), validated part by part.
//! [`crate::experiment`] runs it and [`crate::plan`] sizes its memory before anything is loaded;
//! both read it from here.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chat::ChatConfig;
use crate::checkpoint::parse_dtype;
use crate::device::DeviceName;
use crate::ppo::PpoConfig;
use crate::quant::BaseQuantization;
use crate::{LlmError, Result};

/// One run of the experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Base LM directory (Hugging Face layout; Mixtral architecture).
    pub base: PathBuf,
    /// Reward model directory (DistilBERT two-class sequence classifier).
    pub reward: PathBuf,
    /// Weights dtype: "f32", "bf16" or "f16" (CPU runs upcast to f32).
    #[serde(default = "default_dtype")]
    pub dtype: String,
    /// Evaluation rounds (of `n_envs` episodes each) after training.
    #[serde(default = "default_eval_rounds")]
    pub eval_rounds: usize,
    /// How the base model's decoder linear layers are held: "none", "nf4" (bitsandbytes NF4 with
    /// double quantisation, the authors' choice) or "q8_0".
    #[serde(default)]
    pub base_quantization: BaseQuantization,
    /// Device of the base and reward models (`cpu`, `cpu:N`, `cuda`, `cuda:N`); default: the caller's.
    #[serde(default)]
    pub base_device: Option<String>,
    /// Device of the actor, critic and PPO; default: the caller's.
    #[serde(default)]
    pub agent_device: Option<String>,
    /// The chat environment.
    pub chat: ChatConfig,
    /// PPO and the budget.
    pub ppo: PpoConfig,
}

fn default_dtype() -> String {
    "f32".into()
}

fn default_eval_rounds() -> usize {
    4
}

impl ExperimentConfig {
    /// Parses a TOML file.
    ///
    /// # Errors
    /// [`LlmError::Config`] naming the file and the key or value at fault.
    pub fn from_toml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| LlmError::io(path, e))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Parses TOML text (`origin` names it in errors); relative model paths stay as written.
    ///
    /// # Errors
    /// [`LlmError::Config`].
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let cfg: ExperimentConfig = toml::from_str(text).map_err(|e| LlmError::Config {
            path: origin.to_string(),
            message: e.to_string().replace('\n', " "),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every part.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] naming the field.
    pub fn validate(&self) -> Result<()> {
        self.chat.validate()?;
        self.ppo.validate()?;
        parse_dtype(&self.dtype)?;
        if let Some(d) = &self.base_device {
            DeviceName::parse("base_device", d)?;
        }
        if let Some(d) = &self.agent_device {
            DeviceName::parse("agent_device", d)?;
        }
        Ok(())
    }
}
