//! PPO with a hard per-episode KL budget (Cohen et al. 2024 §5, App. F; spec `cohen2024.md`
//! §3.5–3.9): the experiment's trainer, over any [`Environment`] whose observations carry the base
//! policy's next-token log-probs (the chat environment of [`crate::chat`], or the exact toy worlds
//! of [`crate::silence`]).
//!
//! **One round** runs `n_envs` episodes in lockstep to the end. On an agent step the actor
//! ([`crate::agent`]) gives the step policy `x = α a + (1 − α) b` with `KL(x‖b) = target ≤
//! budget_left`; a token is drawn from `x`, and the budget is charged:
//! * [`BudgetRule::Expected`] (default): `budget_left −= KL(x‖b)`, the exact per-step KL from the
//!   f64 solve. Then `Σ_t KL(x_t‖b_t) ≤ B` on **every** trajectory, so the sequence-level
//!   `KL(π‖β) = E_π[Σ_t KL(x_t‖b_t)] ≤ B`: the budget cannot be exceeded, not even by rounding
//!   (the solve returns `KL ≤ target` and `target < budget_left`).
//! * [`BudgetRule::Realised`] (the authors' code): `budget_left ← max(0, budget_left − [ln x(a) −
//!   ln b(a)])`. The realised log-ratio sum can then exceed `B` by the last step's overshoot, and
//!   negative log-ratios give budget back.
//!
//! Both sums (expected and realised) are logged per episode. The episode budget is ramped
//! linearly, `B · min(1, (t + 1)/ramp)` before each round (`t` = agent timesteps so far).
//!
//! **Update** (after a round, when `t / update_steps` increased, as the authors' code does):
//! Monte-Carlo return-to-go `G` with γ = 1, advantages `G − V` normalised over the buffer, then
//! `epochs` passes over random minibatches of
//! `−min(rA, clip(r, 1 ± ε)A) + ½(V − G)² − c_H·H(x) + c_KL·(KL_achieved − KL_target)²`,
//! gradient-norm clipping on the actor's parameters only, Adam with the actor's and the critic's
//! learning rates ([`adam`]).
//!
//! **Reproducibility and resume.** Round `r` draws from the ChaCha8 stream of unit
//! `ppo/round-r/rollout` and the update after it from `ppo/round-r/update`, evaluation round `r`
//! from `ppo/evaluation/round-r`, the agent's initial weights from `ppo/agent-init` (the workspace's
//! `(seed, unit path)` rule, `goodhart-seeds`); a checkpoint ([`state`]) is written atomically after
//! every update (actor, critic, Adam moments, counters, metrics so far), so a run resumed from it
//! continues exactly as if uninterrupted (tested). An interrupt request is honoured after the
//! current round: the last update's checkpoint is what is kept.

pub mod adam;
pub mod state;
#[cfg(test)]
mod tests;

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use goodhart_seeds::{stream_rng, stream_seed};
use rand::seq::SliceRandom;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::agent::Agent;
use crate::{LlmError, Result};
use adam::Adam;

/// What the trainer reads from an observation (one row per environment): the agent's state
/// features, the base policy's next-token log-probs and which environments take the agent's token
/// on the next tick. [`crate::chat::ChatObservation`] is the chat environment's.
pub trait AgentObservation {
    /// `(n, state_dim)` f32 state features.
    fn state(&self) -> &Tensor;
    /// The base policy's next-token log-probs, `(n, vocab)` f32.
    fn log_base(&self) -> &Tensor;
    /// Whether each environment takes the agent's token on the next tick (its turn).
    fn acting(&self) -> &[bool];
}

/// What one tick of an [`Environment`] produced.
#[derive(Debug, Clone)]
pub struct Tick<O> {
    /// The next observation (`None` once the episode is over).
    pub obs: Option<O>,
    /// Reward credited on this tick to each environment's **latest agent step** (0 if none).
    pub reward: Vec<f64>,
    /// `Some(is_empty)` when an agent turn was completed on this tick.
    pub agent_turn_completed: Vec<Option<bool>>,
    /// Whether the episode ended on this tick (all environments together).
    pub done: bool,
}

/// An episodic environment whose observations carry the base policy's log-probs (see
/// [`AgentObservation`]); all environments of a batch move in lockstep and end together.
pub trait Environment {
    /// What the agent sees after a tick.
    type Observation: AgentObservation;
    /// Parallel episodes.
    fn n_envs(&self) -> usize;
    /// Width of [`AgentObservation::state`].
    fn state_dim(&self) -> usize;
    /// Size of the action space.
    fn vocab_size(&self) -> usize;
    /// New episodes.
    ///
    /// # Errors
    /// Model errors.
    fn reset(&mut self) -> Result<Self::Observation>;
    /// One tick (see [`crate::chat::ChatEnv::step`]).
    ///
    /// # Errors
    /// Model errors, bad actions.
    fn step(&mut self, actions: &[u32], rng: &mut ChaCha8Rng) -> Result<Tick<Self::Observation>>;
    /// Episode `i`'s transcript as text.
    ///
    /// # Errors
    /// Decoding errors.
    fn transcript(&self, i: usize) -> Result<String>;
}

/// How the remaining budget is charged after an agent step (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BudgetRule {
    /// Charge the exact expected KL of the step: the budget is a hard bound on KL(π‖β).
    #[default]
    Expected,
    /// Charge the realised log-ratio, floored at 0 (the authors' code).
    Realised,
}

/// PPO and budget settings (spec §3.8; [`PpoConfig::paper`] is the authors').
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PpoConfig {
    /// Per-episode KL budget B in nats (paper: 10 or 20).
    pub budget_nats: f64,
    /// Agent timesteps over which the budget ramps linearly from 0 to B (paper: 3e6; 0 = no ramp).
    pub budget_ramp_steps: u64,
    /// How the remaining budget is charged.
    #[serde(default)]
    pub budget_rule: BudgetRule,
    /// Agent timesteps to train for.
    pub total_steps: u64,
    /// Update when `timesteps / update_steps` increases after a round (paper: 8000).
    pub update_steps: u64,
    /// Passes over the buffer per update (paper: 8).
    pub epochs: usize,
    /// Minibatch size (paper: 8192; the remainder of a permutation is dropped).
    pub minibatch: usize,
    /// Clip ε (paper: 0.1).
    pub clip: f64,
    /// Entropy coefficient (paper: 1e−4).
    pub entropy_coef: f64,
    /// Coefficient of `(KL_achieved − KL_target)²` (authors: 1).
    pub kl_match_coef: f64,
    /// Gradient-norm clip on the actor's parameters (paper: 0.1).
    pub max_grad_norm: f64,
    /// Actor learning rate (paper: 2e−5).
    pub actor_lr: f64,
    /// Critic learning rate (paper: 1e−4).
    pub critic_lr: f64,
    /// Adam ε (paper: 1e−5).
    pub adam_eps: f64,
    /// Master seed.
    pub seed: u64,
    /// Save one transcript every this many updates (0 = never).
    pub transcript_every: usize,
}

impl PpoConfig {
    /// The paper's settings at budget `b` (App. F.3 / `klreg_config.py`, first phase: 3 M steps with the ramp).
    pub fn paper(b: f64) -> Self {
        PpoConfig {
            budget_nats: b,
            budget_ramp_steps: 3_000_000,
            budget_rule: BudgetRule::Realised,
            total_steps: 3_000_000,
            update_steps: 8000,
            epochs: 8,
            minibatch: 8192,
            clip: 0.1,
            entropy_coef: 1e-4,
            kl_match_coef: 1.0,
            max_grad_norm: 0.1,
            actor_lr: 2e-5,
            critic_lr: 1e-4,
            adam_eps: 1e-5,
            seed: 0,
            transcript_every: 10,
        }
    }

    /// A CPU preset for the small models: minutes on 2 cores (larger learning rates, short ramp).
    pub fn cpu(b: f64, total_steps: u64) -> Self {
        PpoConfig {
            budget_nats: b,
            budget_ramp_steps: total_steps / 4,
            budget_rule: BudgetRule::Expected,
            total_steps,
            update_steps: 512,
            epochs: 4,
            minibatch: 256,
            clip: 0.2,
            entropy_coef: 1e-4,
            kl_match_coef: 1.0,
            max_grad_norm: 1.0,
            actor_lr: 3e-3,
            critic_lr: 3e-3,
            adam_eps: 1e-5,
            seed: 20240522,
            transcript_every: 5,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if !(self.budget_nats >= 0.0 && self.budget_nats.is_finite()) {
            return Err(LlmError::invalid(
                "budget_nats",
                self.budget_nats,
                "per-episode KL budget must be finite and ≥ 0 nats",
            ));
        }
        for (name, v) in [
            ("total_steps", self.total_steps as usize),
            ("update_steps", self.update_steps as usize),
            ("epochs", self.epochs),
            ("minibatch", self.minibatch),
        ] {
            if v == 0 {
                return Err(LlmError::invalid(name, v, "must be ≥ 1"));
            }
        }
        for (name, v) in [
            ("actor_lr", self.actor_lr),
            ("critic_lr", self.critic_lr),
            ("adam_eps", self.adam_eps),
            ("max_grad_norm", self.max_grad_norm),
            ("clip", self.clip),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(LlmError::invalid(name, v, "must be finite and > 0"));
            }
        }
        for (name, v) in [
            ("entropy_coef", self.entropy_coef),
            ("kl_match_coef", self.kl_match_coef),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(LlmError::invalid(name, v, "must be finite and ≥ 0"));
            }
        }
        Ok(())
    }

    /// The episode budget before a round at `timesteps` (the linear ramp).
    pub fn round_budget(&self, timesteps: u64) -> f64 {
        if self.budget_ramp_steps == 0 {
            return self.budget_nats;
        }
        self.budget_nats * ((timesteps + 1) as f64 / self.budget_ramp_steps as f64).min(1.0)
    }

    /// A stable hash of the settings (checkpoints from another configuration are refused).
    pub fn hash(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        // FNV-1a, 64 bit: stable across platforms and builds, no extra dependency.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// One agent step in the rollout buffer.
#[derive(Debug, Clone)]
struct StepRecord {
    round: usize,
    env: usize,
    state: Vec<f32>,
    log_base: Vec<f32>,
    budget: f32,
    action: u32,
    old_log_prob: f32,
    value: f32,
    reward: f64,
}

/// What one episode did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EpisodeStats {
    /// Update index the episode was collected before.
    pub update: usize,
    /// Round index.
    pub round: usize,
    /// Environment index within the round.
    pub env: usize,
    /// The episode budget B of its round (ramped), nats.
    pub budget_nats: f64,
    /// Sum of rewards.
    pub reward: f64,
    /// Σ exact per-step KL(x‖b), nats.
    pub kl_nats: f64,
    /// Σ realised log-ratios ln x(a) − ln b(a), nats.
    pub log_ratio_nats: f64,
    /// Agent timesteps.
    pub agent_steps: usize,
    /// Completed agent turns.
    pub agent_turns: usize,
    /// Completed empty agent turns.
    pub empty_turns: usize,
    /// Smallest remaining budget seen, nats (≥ 0 under both rules).
    pub min_budget_left: f64,
    /// Σ over steps of max(0, charge − budget before): what the floor at 0 forgave (realised rule).
    pub overshoot_nats: f64,
    /// Largest |KL(x‖b) − min(target, KL(a‖b))| over its steps.
    pub max_kl_rule_error: f64,
    /// KL (Σ per-step) of the n-th empty agent turn, in order.
    pub empty_turn_kl: Vec<f64>,
    /// Exact per-step KL(x‖b) of each agent step, in order (evaluation episodes only; empty in
    /// training episodes to keep logs small). Cohen et al.'s Figure 2 colours tokens by it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_step_kl: Vec<f64>,
}

impl EpisodeStats {
    /// Fraction of completed agent turns that were empty (0 when none completed).
    pub fn empty_fraction(&self) -> f64 {
        if self.agent_turns == 0 {
            0.0
        } else {
            self.empty_turns as f64 / self.agent_turns as f64
        }
    }
}

/// One row of the training log (per update), as TRL/OpenRLHF users expect.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UpdateMetrics {
    /// Update index (from 0).
    pub update: usize,
    /// Agent timesteps so far.
    pub timesteps: u64,
    /// Episode budget of the last round, nats.
    pub budget_nats: f64,
    /// Episodes in this update's buffer.
    pub episodes: usize,
    /// Mean episode return.
    pub mean_reward: f64,
    /// Mean Σ per-step KL per episode, nats.
    pub kl_nats: f64,
    /// Mean Σ realised log-ratio per episode, nats.
    pub log_ratio_nats: f64,
    /// Mean fraction of empty agent turns per episode.
    pub empty_reply_fraction: f64,
    /// Mean agent-turn length in tokens (timesteps / completed turns).
    pub mean_turn_tokens: f64,
    /// Mean entropy of the step policy, nats.
    pub entropy: f64,
    /// Fraction of samples whose ratio was clipped.
    pub clip_fraction: f64,
    /// Mean of (r − 1) − ln r (Schulman's approx-KL between old and new policy).
    pub approx_kl: f64,
    /// Value loss ½(V − G)², mean.
    pub value_loss: f64,
    /// 1 − Var(G − V)/Var(G) before the update.
    pub explained_variance: f64,
    /// Actor gradient norm before clipping, mean over minibatches.
    pub actor_grad_norm: f64,
    /// Wall seconds of the update (rollouts + optimisation).
    pub wall_s: f64,
}

/// A run's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainOutcome {
    /// Per-update metrics.
    pub metrics: Vec<UpdateMetrics>,
    /// Every episode.
    pub episodes: Vec<EpisodeStats>,
    /// Agent timesteps done.
    pub timesteps: u64,
    /// Transcripts saved (update, text).
    pub transcripts: Vec<(usize, String)>,
}

/// Called after each update with its metrics; return `true` to stop (Ctrl-C).
pub type Observer<'a> = &'a mut dyn FnMut(&UpdateMetrics, u64, u64) -> bool;

/// The trainer: an agent, its optimiser and the counters.
pub struct Trainer {
    /// The agent.
    pub agent: Agent,
    cfg: PpoConfig,
    opt: Adam,
    device: Device,
    timesteps: u64,
    rounds: usize,
    updates: usize,
    outcome: TrainOutcome,
}

impl Trainer {
    /// A fresh trainer for an environment of `state_dim` and `vocab`.
    ///
    /// # Errors
    /// Invalid settings.
    pub fn new(cfg: PpoConfig, state_dim: usize, vocab: usize, device: &Device) -> Result<Self> {
        cfg.validate()?;
        let agent = Agent::new(
            state_dim,
            vocab,
            stream_seed(cfg.seed, "ppo/agent-init"),
            device,
        )?;
        let names = ["actor.weight", "actor.bias"];
        let actor: Vec<_> = names
            .iter()
            .map(|s| s.to_string())
            .zip(agent.actor_vars())
            .collect();
        let critic: Vec<_> = agent
            .tensors()
            .keys()
            .filter(|k| k.starts_with("critic."))
            .cloned()
            .zip(agent.critic_vars())
            .collect();
        let opt = Adam::new(
            vec![
                ("actor".into(), cfg.actor_lr, actor),
                ("critic".into(), cfg.critic_lr, critic),
            ],
            cfg.adam_eps,
        )?;
        Ok(Trainer {
            agent,
            cfg,
            opt,
            device: device.clone(),
            timesteps: 0,
            rounds: 0,
            updates: 0,
            outcome: TrainOutcome {
                metrics: Vec::new(),
                episodes: Vec::new(),
                timesteps: 0,
                transcripts: Vec::new(),
            },
        })
    }

    /// The settings.
    pub fn config(&self) -> &PpoConfig {
        &self.cfg
    }

    /// Agent timesteps so far.
    pub fn timesteps(&self) -> u64 {
        self.timesteps
    }

    /// What was logged so far.
    pub fn outcome(&self) -> &TrainOutcome {
        &self.outcome
    }

    /// Trains until `total_steps`, writing a checkpoint into `checkpoint` (if given) after every
    /// update. `observer` sees every update's metrics and may stop the run.
    ///
    /// # Errors
    /// Environment and model errors; [`LlmError::Interrupted`] when the observer stopped the run
    /// (the checkpoint of the last update is on disk).
    pub fn train<E: Environment>(
        &mut self,
        env: &mut E,
        checkpoint: Option<&Path>,
        observer: Observer,
    ) -> Result<TrainOutcome> {
        if env.state_dim() != self.agent.state_dim() || env.vocab_size() != self.agent.vocab() {
            return Err(LlmError::ShapeMismatch {
                tensor: "environment (state_dim, vocab)".into(),
                expected: vec![self.agent.state_dim(), self.agent.vocab()],
                found: vec![env.state_dim(), env.vocab_size()],
            });
        }
        let mut buffer: Vec<StepRecord> = Vec::new();
        let mut episodes: Vec<EpisodeStats> = Vec::new();
        let mut started = std::time::Instant::now();
        while self.timesteps < self.cfg.total_steps {
            let before = self.timesteps / self.cfg.update_steps;
            let budget = self.cfg.round_budget(self.timesteps);
            let mut rng = stream_rng(self.cfg.seed, &format!("ppo/round-{}/rollout", self.rounds));
            let (steps, eps, text) = self.rollout(env, budget, true, &mut rng)?;
            self.timesteps += steps.len() as u64;
            buffer.extend(steps);
            episodes.extend(eps);
            self.rounds += 1;
            let last = self.timesteps >= self.cfg.total_steps;
            if self.timesteps / self.cfg.update_steps > before || last {
                // The update after round `rounds - 1` (counted above).
                let mut urng = stream_rng(
                    self.cfg.seed,
                    &format!("ppo/round-{}/update", self.rounds - 1),
                );
                let mut m = self.update(&buffer, &episodes, &mut urng)?;
                m.budget_nats = budget;
                m.wall_s = started.elapsed().as_secs_f64();
                started = std::time::Instant::now();
                if self.cfg.transcript_every > 0 && self.updates % self.cfg.transcript_every == 0 {
                    self.outcome.transcripts.push((self.updates, text));
                }
                self.updates += 1;
                self.outcome.metrics.push(m.clone());
                self.outcome.episodes.append(&mut episodes);
                self.outcome.timesteps = self.timesteps;
                buffer.clear();
                if let Some(dir) = checkpoint {
                    self.save(dir)?;
                }
                if observer(&m, self.timesteps, self.cfg.total_steps) {
                    return Err(LlmError::Interrupted);
                }
            }
        }
        Ok(self.outcome.clone())
    }

    /// Runs `n` evaluation rounds at the full budget without learning (streams after training's).
    ///
    /// # Errors
    /// Environment and model errors.
    pub fn evaluate<E: Environment>(
        &self,
        env: &mut E,
        rounds: usize,
    ) -> Result<Vec<EpisodeStats>> {
        let mut out = Vec::new();
        for r in 0..rounds {
            let mut rng = stream_rng(self.cfg.seed, &format!("ppo/evaluation/round-{r}"));
            let (_, eps, _) = self.rollout(env, self.cfg.budget_nats, false, &mut rng)?;
            out.extend(eps);
        }
        Ok(out)
    }

    /// One round of `n_envs` episodes in lockstep.
    fn rollout<E: Environment>(
        &self,
        env: &mut E,
        budget_nats: f64,
        record: bool,
        rng: &mut ChaCha8Rng,
    ) -> Result<(Vec<StepRecord>, Vec<EpisodeStats>, String)> {
        let n = env.n_envs();
        let mut obs = env.reset()?;
        let mut budget = vec![budget_nats; n];
        let mut steps: Vec<StepRecord> = Vec::new();
        let mut last_step: Vec<Option<usize>> = vec![None; n];
        let mut turn_kl = vec![0.0f64; n];
        let mut stats: Vec<EpisodeStats> = (0..n)
            .map(|env| EpisodeStats {
                update: self.updates,
                round: self.rounds,
                env,
                budget_nats,
                reward: 0.0,
                kl_nats: 0.0,
                log_ratio_nats: 0.0,
                agent_steps: 0,
                agent_turns: 0,
                empty_turns: 0,
                min_budget_left: budget_nats,
                overshoot_nats: 0.0,
                max_kl_rule_error: 0.0,
                empty_turn_kl: Vec::new(),
                agent_step_kl: Vec::new(),
            })
            .collect();
        loop {
            let acting: Vec<usize> = (0..n).filter(|&i| obs.acting()[i]).collect();
            let mut actions = vec![0u32; n];
            if !acting.is_empty() {
                let idx = Tensor::from_vec(
                    acting.iter().map(|&i| i as u32).collect::<Vec<_>>(),
                    acting.len(),
                    &self.device,
                )?;
                // The observation comes from the base device; the agent may live on another.
                let state = obs.state().to_device(&self.device)?.index_select(&idx, 0)?;
                let log_base = obs
                    .log_base()
                    .to_device(&self.device)?
                    .index_select(&idx, 0)?;
                let b: Vec<f32> = acting.iter().map(|&i| budget[i] as f32).collect();
                let bt = Tensor::from_vec(b.clone(), acting.len(), &self.device)?;
                let pol = self.agent.policy(&state, &log_base, &bt)?;
                let values: Vec<f32> = self.agent.value(&state, &bt)?.to_vec1()?;
                let log_x: Vec<Vec<f32>> = pol.log_x.to_dtype(DType::F32)?.to_vec2()?;
                let targets: Vec<f32> = pol.target.to_vec1()?;
                let lb: Vec<Vec<f32>> = log_base.to_vec2()?;
                let st: Vec<Vec<f32>> = if record { state.to_vec2()? } else { Vec::new() };
                for (j, &i) in acting.iter().enumerate() {
                    let a = sample_log_probs(&log_x[j], rng);
                    actions[i] = a;
                    let solve = pol.solves[j];
                    let log_ratio = log_x[j][a as usize] as f64 - lb[j][a as usize] as f64;
                    let s = &mut stats[i];
                    s.kl_nats += solve.kl;
                    s.log_ratio_nats += log_ratio;
                    s.agent_steps += 1;
                    let rule = (targets[j] as f64).min(solve.kl_max);
                    s.max_kl_rule_error = s.max_kl_rule_error.max((solve.kl - rule).abs());
                    turn_kl[i] += solve.kl;
                    if !record {
                        s.agent_step_kl.push(solve.kl);
                    }
                    let charge = match self.cfg.budget_rule {
                        BudgetRule::Expected => solve.kl,
                        BudgetRule::Realised => log_ratio,
                    };
                    s.overshoot_nats += (charge - budget[i]).max(0.0);
                    budget[i] = (budget[i] - charge).max(0.0);
                    s.min_budget_left = s.min_budget_left.min(budget[i]);
                    if record {
                        last_step[i] = Some(steps.len());
                        steps.push(StepRecord {
                            round: self.rounds,
                            env: i,
                            state: st[j].clone(),
                            log_base: lb[j].clone(),
                            budget: b[j],
                            action: a,
                            old_log_prob: log_x[j][a as usize],
                            value: values[j],
                            reward: 0.0,
                        });
                    }
                }
            }
            let tick = env.step(&actions, rng)?;
            for i in 0..n {
                if tick.reward[i] != 0.0 {
                    stats[i].reward += tick.reward[i];
                    if let Some(k) = last_step[i] {
                        steps[k].reward += tick.reward[i];
                    }
                }
                if let Some(empty) = tick.agent_turn_completed[i] {
                    stats[i].agent_turns += 1;
                    if empty {
                        stats[i].empty_turns += 1;
                        stats[i].empty_turn_kl.push(turn_kl[i]);
                    }
                    turn_kl[i] = 0.0;
                }
            }
            match tick.obs {
                Some(o) if !tick.done => obs = o,
                _ => break,
            }
        }
        let text = env.transcript(0)?;
        Ok((steps, stats, text))
    }

    /// One PPO update on `buf` (see the module doc).
    fn update(
        &mut self,
        buf: &[StepRecord],
        episodes: &[EpisodeStats],
        rng: &mut ChaCha8Rng,
    ) -> Result<UpdateMetrics> {
        let n = buf.len();
        // Return-to-go per episode, γ = 1: walk backwards (records are in time order).
        let mut ret = vec![0.0f64; n];
        let mut acc: std::collections::HashMap<(usize, usize), f64> =
            std::collections::HashMap::new();
        for k in (0..n).rev() {
            let e = acc.entry((buf[k].round, buf[k].env)).or_insert(0.0);
            *e += buf[k].reward;
            ret[k] = *e;
        }
        let adv_raw: Vec<f64> = (0..n).map(|k| ret[k] - buf[k].value as f64).collect();
        let mean = adv_raw.iter().sum::<f64>() / n.max(1) as f64;
        let var = adv_raw.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n.max(1) as f64;
        let sd = var.sqrt() + 1e-8;
        let adv: Vec<f32> = adv_raw.iter().map(|a| ((a - mean) / sd) as f32).collect();
        let g_mean = ret.iter().sum::<f64>() / n.max(1) as f64;
        let g_var = ret.iter().map(|g| (g - g_mean).powi(2)).sum::<f64>() / n.max(1) as f64;
        let explained_variance = if g_var > 0.0 { 1.0 - var / g_var } else { 0.0 };

        let (mut ent_s, mut clip_s, mut akl_s, mut vl_s, mut gn_s, mut cnt) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0usize);
        let mb = self.cfg.minibatch.min(n);
        let mut order: Vec<usize> = (0..n).collect();
        for _ in 0..self.cfg.epochs {
            order.shuffle(rng);
            for chunk in order.chunks(mb) {
                if chunk.len() < mb {
                    continue;
                }
                let m = chunk.len();
                let sd = self.agent.state_dim();
                let v = self.agent.vocab();
                let mut st = Vec::with_capacity(m * sd);
                let mut lb = Vec::with_capacity(m * v);
                for &k in chunk {
                    st.extend_from_slice(&buf[k].state);
                    lb.extend_from_slice(&buf[k].log_base);
                }
                let dev = &self.device;
                let state = Tensor::from_vec(st, (m, sd), dev)?;
                let log_base = Tensor::from_vec(lb, (m, v), dev)?;
                let budget =
                    Tensor::from_vec(chunk.iter().map(|&k| buf[k].budget).collect(), m, dev)?;
                let actions =
                    Tensor::from_vec(chunk.iter().map(|&k| buf[k].action).collect(), (m, 1), dev)?;
                let old =
                    Tensor::from_vec(chunk.iter().map(|&k| buf[k].old_log_prob).collect(), m, dev)?;
                let a_t = Tensor::from_vec(chunk.iter().map(|&k| adv[k]).collect(), m, dev)?;
                let g_t = Tensor::from_vec(chunk.iter().map(|&k| ret[k] as f32).collect(), m, dev)?;
                let pol = self.agent.policy(&state, &log_base, &budget)?;
                let new = pol.log_x.gather(&actions, 1)?.squeeze(1)?;
                let log_r = (&new - &old)?;
                let ratio = log_r.exp()?;
                let lo = 1.0 - self.cfg.clip;
                let hi = 1.0 + self.cfg.clip;
                let s1 = (&ratio * &a_t)?;
                let s2 = (ratio.clamp(lo, hi)? * &a_t)?;
                let pg = s1.minimum(&s2)?.mean_all()?.neg()?;
                let value = self.agent.value(&state, &budget)?;
                let vl = ((&value - &g_t)?.sqr()?.mean_all()? * 0.5)?;
                let lx = pol.log_x.clamp(-80.0, 0.0)?;
                let ent = (pol.log_x.exp()? * &lx)?.sum(1)?.neg()?.mean_all()?;
                let klm = (&pol.kl - &pol.target)?.sqr()?.mean_all()?;
                let loss = (((&pg + &vl)? - (&ent * self.cfg.entropy_coef)?)?
                    + (&klm * self.cfg.kl_match_coef)?)?;
                let grads = loss.backward()?;
                let gn = self.opt.grad_norm(&grads, 0)?;
                let scale = if gn > self.cfg.max_grad_norm {
                    self.cfg.max_grad_norm / gn
                } else {
                    1.0
                };
                self.opt.step(&grads, &[scale, 1.0])?;
                let r: Vec<f32> = ratio.to_vec1()?;
                let lr: Vec<f32> = log_r.to_vec1()?;
                clip_s += r
                    .iter()
                    .filter(|x| (**x as f64 - 1.0).abs() > self.cfg.clip)
                    .count() as f64
                    / m as f64;
                akl_s += r
                    .iter()
                    .zip(&lr)
                    .map(|(x, l)| (*x as f64 - 1.0) - *l as f64)
                    .sum::<f64>()
                    / m as f64;
                ent_s += ent.to_scalar::<f32>()? as f64;
                vl_s += vl.to_scalar::<f32>()? as f64;
                gn_s += gn;
                cnt += 1;
            }
        }
        let c = cnt.max(1) as f64;
        let ne = episodes.len().max(1) as f64;
        let turns: usize = episodes.iter().map(|e| e.agent_turns).sum();
        Ok(UpdateMetrics {
            update: self.updates,
            timesteps: self.timesteps,
            budget_nats: 0.0,
            episodes: episodes.len(),
            mean_reward: episodes.iter().map(|e| e.reward).sum::<f64>() / ne,
            kl_nats: episodes.iter().map(|e| e.kl_nats).sum::<f64>() / ne,
            log_ratio_nats: episodes.iter().map(|e| e.log_ratio_nats).sum::<f64>() / ne,
            empty_reply_fraction: episodes.iter().map(|e| e.empty_fraction()).sum::<f64>() / ne,
            mean_turn_tokens: n as f64 / turns.max(1) as f64,
            entropy: ent_s / c,
            clip_fraction: clip_s / c,
            approx_kl: akl_s / c,
            value_loss: vl_s / c,
            explained_variance,
            actor_grad_norm: gn_s / c,
            wall_s: 0.0,
        })
    }
}

/// Draws an index from `exp(log_p)` (normalised up to f32 rounding; the total is used).
fn sample_log_probs(log_p: &[f32], rng: &mut ChaCha8Rng) -> u32 {
    let w: Vec<f64> = log_p.iter().map(|&l| (l as f64).exp()).collect();
    let total: f64 = w.iter().sum();
    let mut u = rng.random::<f64>() * total;
    let mut last = 0;
    for (i, wi) in w.iter().enumerate() {
        if *wi > 0.0 {
            last = i;
            if u < *wi {
                return i as u32;
            }
            u -= wi;
        }
    }
    last as u32
}
