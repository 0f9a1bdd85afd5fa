//! Cohen et al. 2024's LLM experiment as one configured run (spec `cohen2024.md` §3): a frozen
//! base LM (Mixtral architecture) plays the student and is the base policy; a DistilBERT
//! classifier scores the student's replies; the KL-budget agent is trained with PPO
//! ([`crate::ppo`]) and then evaluated at the full budget, next to the base policy itself
//! (budget 0: `x = b` exactly).
//!
//! The configuration is a TOML file ([`ExperimentConfig`] in [`crate::config`], unknown keys are errors);
//! `experiments/configs/gpu-mixtral.toml` is the paper's setting (NF4 base and reward on one card,
//! agent on another), `gpu-mixtral-h200.toml` the same on one 141 GB card in bf16, and
//! `cpu-small.toml` the validation pass on the small models trained here.
//!
//! **Placement.** `base_device` holds the base model and the reward model, `agent_device` the actor,
//! critic and PPO (the authors' split over two cards); either defaults to the device the caller
//! passes (`llm train --device`). Names: `cpu`, `cuda`, `cuda:N`, and `cpu:N`, a CPU stand-in for a
//! second device so that the two-device path runs in CPU tests (candle has one CPU device, so
//! `cpu:1` is the same memory). Observations cross from the base device to the agent device
//! explicitly ([`crate::ppo`]), as two CUDA devices need. Before any weights are read, [`run`]
//! opens both devices (an absent one is a one-line error) and checks the memory plan
//! ([`crate::plan`]), refusing a plan that does not fit and naming its largest item.

use std::path::Path;

use candle_core::Device;
use serde::{Deserialize, Serialize};

use crate::chat::ChatEnv;
use crate::checkpoint::parse_dtype;
use crate::device::{device_name, open_device};
use crate::ppo::{EpisodeStats, Observer, TrainOutcome, Trainer};
use crate::Result;

/// The configuration moved to [`crate::config`] (the memory plan reads it too); re-exported so
/// `experiment::ExperimentConfig` keeps working.
pub use crate::config::ExperimentConfig;

/// Where the parts of a run live.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Name of the base (and reward) device.
    pub base_name: String,
    /// The base (and reward) device.
    pub base: Device,
    /// Name of the agent device.
    pub agent_name: String,
    /// The agent (actor, critic, PPO) device.
    pub agent: Device,
}

impl Placement {
    /// The config's devices, each defaulting to `default`.
    ///
    /// # Errors
    /// As [`open_device`].
    pub fn open(cfg: &ExperimentConfig, default: &Device) -> Result<Self> {
        let default_name = device_name(default);
        let open = |key: &'static str, name: &Option<String>| -> Result<(String, Device)> {
            match name {
                Some(n) => Ok((n.clone(), open_device(key, n)?)),
                None => Ok((default_name.clone(), default.clone())),
            }
        };
        let (base_name, base) = open("base_device", &cfg.base_device)?;
        let (agent_name, agent) = open("agent_device", &cfg.agent_device)?;
        Ok(Placement {
            base_name,
            base,
            agent_name,
            agent,
        })
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
/// the evaluation. `device` is the device of the parts the config does not place.
///
/// First, before any weights are read: opens the config's devices and checks the memory plan
/// ([`crate::plan`]) against the devices present.
///
/// # Errors
/// An absent device; a plan that does not fit (naming the device and its largest item); loading
/// errors (typed), a reward model that is not a 2-class classifier, environment and model errors,
/// [`LlmError::Interrupted`](crate::LlmError::Interrupted) (checkpoint kept).
pub fn run(
    cfg: &ExperimentConfig,
    device: &Device,
    checkpoint: Option<&Path>,
    observer: Observer,
) -> Result<ExperimentOutcome> {
    cfg.validate()?;
    let dtype = parse_dtype(&cfg.dtype)?;
    let place = Placement::open(cfg, device)?;
    let models = crate::plan::Models::read(cfg)?;
    // The devices opened; without nvidia-smi a CUDA card's memory is unknown, and the check is
    // left to the card (the CPU's memory is always known).
    let cuda_unmeasured =
        (place.base.is_cuda() || place.agent.is_cuda()) && !crate::plan::nvidia_smi_available();
    if !cuda_unmeasured {
        crate::plan::plan(
            cfg,
            &models,
            &device_name(device),
            &crate::plan::Memory::Present,
        )?
        .require_fit("memory plan")?;
    }
    let (base, lm_tok) =
        crate::load::mixtral_quantized(&cfg.base, dtype, cfg.base_quantization, &place.base)?;
    let (reward, rw_tok) = crate::load::distilbert(&cfg.reward, dtype, &place.base)?;
    let mut env = ChatEnv::new(&base, &reward, &lm_tok, &rw_tok, cfg.chat.clone())?;
    let agent = &place.agent;
    let mut trainer = Trainer::new(cfg.ppo.clone(), env.state_dim(), env.vocab_size(), agent)?;
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
    let base_policy = Trainer::new(base_cfg, env.state_dim(), env.vocab_size(), agent)?;
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
