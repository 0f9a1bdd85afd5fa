//! Cohen et al. 2024's LLM experiment as one configured run (spec `cohen2024.md` §3): a frozen
//! base LM (Mixtral architecture) plays the student and is the base policy; a DistilBERT
//! classifier scores the student's replies; the KL-budget agent is trained with PPO
//! ([`crate::ppo`]) and then evaluated at the full budget, next to the base policy itself
//! (budget 0: `x = b` exactly).
//!
//! The configuration is a TOML file ([`ExperimentConfig`], unknown keys are errors);
//! `experiments/configs/gpu-mixtral.toml` is the paper's setting and `cpu-small.toml` the
//! validation pass on the small models trained here.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use serde::{Deserialize, Serialize};

use crate::chat::{ChatConfig, ChatEnv};
use crate::ppo::{EpisodeStats, Observer, PpoConfig, TrainOutcome, Trainer};
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
        Ok(())
    }
}

/// "f32" | "bf16" | "f16".
///
/// # Errors
/// [`LlmError::InvalidArgument`] for anything else.
pub fn parse_dtype(s: &str) -> Result<DType> {
    match s {
        "f32" => Ok(DType::F32),
        "bf16" => Ok(DType::BF16),
        "f16" => Ok(DType::F16),
        _ => Err(LlmError::invalid("dtype", s, "one of f32, bf16, f16")),
    }
}

/// What a run produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExperimentOutcome {
    /// Training log.
    pub train: TrainOutcome,
    /// Evaluation episodes of the trained agent at the full budget.
    pub eval: Vec<EpisodeStats>,
    /// Evaluation episodes of the base policy (budget 0).
    pub base_eval: Vec<EpisodeStats>,
    /// A transcript of the trained agent (first evaluation episode).
    pub eval_transcript: String,
    /// Token ids of the last evaluation round's transcripts, one per environment, in the order of
    /// the last `n_envs` entries of `eval` (for per-token figures and scoring).
    #[serde(default)]
    pub eval_ids: Vec<Vec<u32>>,
    /// The same for the base policy's last evaluation round (`base_eval`).
    #[serde(default)]
    pub base_ids: Vec<Vec<u32>>,
}

/// Mean of `f` over episodes (0 for none).
pub fn mean_of(eps: &[EpisodeStats], f: impl Fn(&EpisodeStats) -> f64) -> f64 {
    if eps.is_empty() {
        return 0.0;
    }
    eps.iter().map(f).sum::<f64>() / eps.len() as f64
}

/// Runs training (resuming from `checkpoint` when it holds one of the same configuration) and
/// the evaluation.
///
/// # Errors
/// Loading errors (typed), a reward model that is not a 2-class classifier, environment and model
/// errors, [`LlmError::Interrupted`] (checkpoint kept).
pub fn run(
    cfg: &ExperimentConfig,
    device: &Device,
    checkpoint: Option<&Path>,
    observer: Observer,
) -> Result<ExperimentOutcome> {
    cfg.validate()?;
    let dtype = parse_dtype(&cfg.dtype)?;
    let (base, lm_tok) = crate::load::mixtral(&cfg.base, dtype, device)?;
    let (reward, rw_tok) = crate::load::distilbert(&cfg.reward, dtype, device)?;
    let mut env = ChatEnv::new(&base, &reward, &lm_tok, &rw_tok, cfg.chat.clone())?;
    let mut trainer = Trainer::new(cfg.ppo.clone(), env.state_dim(), env.vocab_size(), device)?;
    if let Some(dir) = checkpoint {
        if Trainer::has_checkpoint(dir) {
            trainer.resume(dir)?;
        }
    }
    let train = trainer.train(&mut env, checkpoint, observer)?;
    let eval = trainer.evaluate(&mut env, cfg.eval_rounds)?;
    let eval_transcript = crate::ppo::Environment::transcript(&env, 0)?;
    let eval_ids = env.transcripts().to_vec();
    let mut base_cfg = cfg.ppo.clone();
    base_cfg.budget_nats = 0.0;
    let base_policy = Trainer::new(base_cfg, env.state_dim(), env.vocab_size(), device)?;
    let base_eval = base_policy.evaluate(&mut env, cfg.eval_rounds)?;
    let base_ids = env.transcripts().to_vec();
    Ok(ExperimentOutcome {
        train,
        eval,
        base_eval,
        eval_transcript,
        eval_ids,
        base_ids,
    })
}
