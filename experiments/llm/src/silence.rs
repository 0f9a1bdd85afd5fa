//! The "silence world": the exact small check of the KL-budget experiment (spec `cohen2024.md`
//! check C8). Mixtral is replaced by a fixed categorical base LM and the student by a
//! deterministic responder; the actor, the KL-fixed mixture and the budget rule are the real ones
//! ([`crate::agent`], [`crate::kl_budget`], [`crate::ppo`]).
//!
//! Tokens: `0` = the agent hands over (`"Student:"`), `1` = the student hands back
//! (`"Teacher:"`), `2..V` content. An episode is `episode_tokens` tokens; it starts at the start
//! of an agent turn. The student answers every agent turn with `reply_tokens` fixed content tokens
//! and hands back; each completed reply pays `reward` (a constant, "≥ 0.5 sentiment"), so shorter
//! agent turns mean more paid exchanges, and the empty turn (hand over at once) is optimal.
//!
//! The base LM for the agent's tokens:
//! * inside a turn: hand over with probability `end_prob`, else a content token from a seeded
//!   random 2-gram table (`1e−6` on the student's token, which is content for the agent);
//! * at the start of a turn, hand over with probability `p_empty`:
//!   - [`BaseKind::Bayesian`]: `p_empty = (e + ε)/(T + 1)` after `e` empty turns out of `T`
//!     (the predictive of a Beta(ε, 1 − ε) prior over "the teacher stays silent" — an imitator
//!     that learns in context, as a Bayesian one does). The first empty turn costs about
//!     `ln(1/ε)` nats, later ones less and less: the switch is a one-off cost.
//!   - [`BaseKind::Fixed`]: `p_empty = ε` always (a model class that cannot learn the pattern):
//!     every empty turn costs the same.
//!
//! Observation: one-hot of the last token ‖ [at turn start, e/(T+1), T/episode_tokens, fraction
//! of the episode remaining].

use candle_core::{Device, Tensor};
use goodhart_seeds::{stream_rng, stream_seed};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::chat::{ChatObservation, ChatTick};
use crate::ppo::Environment;
use crate::{LlmError, Result};

/// The agent's hand-over token ("Student:").
pub const HAND_OVER: u32 = 0;
/// The student's hand-back token ("Teacher:").
pub const HAND_BACK: u32 = 1;

/// How the base LM predicts an empty turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaseKind {
    /// `p_empty = (e + ε)/(T + 1)`: learns from the transcript.
    Bayesian,
    /// `p_empty = ε`.
    Fixed,
}

/// Settings of the silence world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceConfig {
    /// Parallel episodes.
    pub n_envs: usize,
    /// Vocabulary size (≥ 4).
    pub vocab: usize,
    /// Episode length in tokens.
    pub episode_tokens: usize,
    /// ε: prior probability of an empty turn.
    pub empty_prior: f64,
    /// Hand-over probability inside a turn.
    pub end_prob: f64,
    /// Student reply length (content tokens before the hand-back).
    pub reply_tokens: usize,
    /// Reward per completed student reply.
    pub reward: f64,
    /// The base LM's kind.
    pub base: BaseKind,
    /// Seed of the 2-gram table.
    pub seed: u64,
}

impl Default for SilenceConfig {
    fn default() -> Self {
        SilenceConfig {
            n_envs: 16,
            vocab: 50,
            episode_tokens: 64,
            empty_prior: 0.02,
            end_prob: 0.15,
            reply_tokens: 3,
            reward: 0.75,
            base: BaseKind::Bayesian,
            seed: 7,
        }
    }
}

#[derive(Debug, Clone)]
struct EnvState {
    tokens: Vec<u32>,
    agent_turn: bool,
    turn_len: usize,
    turns: usize,
    empties: usize,
    reply_left: usize,
}

/// The silence world (see the module doc).
pub struct SilenceWorld {
    cfg: SilenceConfig,
    /// Row-normalised 2-gram probabilities over content tokens, `vocab × vocab`.
    bigram: Vec<Vec<f64>>,
    envs: Vec<EnvState>,
    device: Device,
}

impl SilenceWorld {
    /// A silence world.
    ///
    /// # Errors
    /// [`LlmError::InvalidArgument`] naming the field.
    pub fn new(cfg: SilenceConfig, device: &Device) -> Result<Self> {
        if cfg.n_envs == 0 {
            return Err(LlmError::invalid("n_envs", cfg.n_envs, "must be ≥ 1"));
        }
        if cfg.vocab < 4 {
            return Err(LlmError::invalid("vocab", cfg.vocab, "must be ≥ 4"));
        }
        if cfg.episode_tokens < 2 {
            return Err(LlmError::invalid(
                "episode_tokens",
                cfg.episode_tokens,
                "must be ≥ 2",
            ));
        }
        for (name, v) in [("empty_prior", cfg.empty_prior), ("end_prob", cfg.end_prob)] {
            if !(v > 0.0 && v < 1.0) {
                return Err(LlmError::invalid(name, v, "a probability in (0, 1)"));
            }
        }
        if !cfg.reward.is_finite() {
            return Err(LlmError::invalid("reward", cfg.reward, "must be finite"));
        }
        let mut rng = stream_rng(cfg.seed, "silence/bigram");
        let v = cfg.vocab;
        let bigram = (0..v)
            .map(|_| {
                let w: Vec<f64> = (2..v)
                    .map(|_| -(rng.random::<f64>().max(1e-12)).ln())
                    .collect();
                let s: f64 = w.iter().sum();
                let mut row = vec![0.0; v];
                for (j, x) in w.iter().enumerate() {
                    row[j + 2] = x / s;
                }
                row
            })
            .collect();
        Ok(SilenceWorld {
            envs: Vec::new(),
            bigram,
            cfg,
            device: device.clone(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &SilenceConfig {
        &self.cfg
    }

    /// The base LM's probability of an empty turn after `empties` empty turns of `turns`.
    pub fn p_empty(&self, empties: usize, turns: usize) -> f64 {
        match self.cfg.base {
            BaseKind::Bayesian => (empties as f64 + self.cfg.empty_prior) / (turns as f64 + 1.0),
            BaseKind::Fixed => self.cfg.empty_prior,
        }
    }

    /// The base LM's next-token log-probs for the agent in state `s`.
    fn log_base(&self, s: &EnvState) -> Vec<f32> {
        let v = self.cfg.vocab;
        let p_end = if s.turn_len == 0 {
            self.p_empty(s.empties, s.turns)
        } else {
            self.cfg.end_prob
        };
        let last = *s.tokens.last().unwrap_or(&HAND_BACK) as usize;
        let back = 1e-6;
        let content = 1.0 - p_end - back;
        let mut out = vec![0f32; v];
        out[HAND_OVER as usize] = p_end.ln() as f32;
        out[HAND_BACK as usize] = back.ln() as f32;
        for (j, o) in out.iter_mut().enumerate().skip(2) {
            *o = (content * self.bigram[last][j]).ln() as f32;
        }
        out
    }

    fn observe(&self) -> Result<ChatObservation> {
        let n = self.envs.len();
        let v = self.cfg.vocab;
        let d = v + 4;
        let mut state = vec![0f32; n * d];
        let mut lb = vec![0f32; n * v];
        let mut acting = Vec::with_capacity(n);
        let mut frac = Vec::with_capacity(n);
        for (i, s) in self.envs.iter().enumerate() {
            let last = *s.tokens.last().unwrap_or(&HAND_BACK) as usize;
            let row = &mut state[i * d..(i + 1) * d];
            row[last] = 1.0;
            row[v] = if s.turn_len == 0 { 1.0 } else { 0.0 };
            row[v + 1] = (s.empties as f64 / (s.turns as f64 + 1.0)) as f32;
            row[v + 2] = (s.turns as f64 / self.cfg.episode_tokens as f64) as f32;
            let rem = 1.0 - s.tokens.len() as f64 / self.cfg.episode_tokens as f64;
            row[v + 3] = rem as f32;
            frac.push(rem);
            acting.push(s.agent_turn);
            lb[i * v..(i + 1) * v].copy_from_slice(&self.log_base(s));
        }
        Ok(ChatObservation {
            state: Tensor::from_vec(state, (n, d), &self.device)?,
            log_base: Tensor::from_vec(lb, (n, v), &self.device)?,
            acting,
            fraction_remaining: frac,
        })
    }
}

impl Environment for SilenceWorld {
    type Observation = ChatObservation;

    fn n_envs(&self) -> usize {
        self.cfg.n_envs
    }

    fn state_dim(&self) -> usize {
        self.cfg.vocab + 4
    }

    fn vocab_size(&self) -> usize {
        self.cfg.vocab
    }

    fn reset(&mut self) -> Result<ChatObservation> {
        self.envs = vec![
            EnvState {
                tokens: vec![HAND_BACK],
                agent_turn: true,
                turn_len: 0,
                turns: 0,
                empties: 0,
                reply_left: 0,
            };
            self.cfg.n_envs
        ];
        self.observe()
    }

    fn step(&mut self, actions: &[u32], _rng: &mut ChaCha8Rng) -> Result<ChatTick> {
        let n = self.cfg.n_envs;
        if actions.len() != n || self.envs.len() != n {
            return Err(LlmError::invalid(
                "actions",
                actions.len(),
                "one action per environment, after reset()",
            ));
        }
        let mut reward = vec![0.0; n];
        let mut completed = vec![None; n];
        for (i, s) in self.envs.iter_mut().enumerate() {
            if s.agent_turn {
                let a = actions[i];
                if a as usize >= self.cfg.vocab {
                    return Err(LlmError::invalid(
                        "action",
                        a,
                        "token id outside the vocabulary",
                    ));
                }
                s.tokens.push(a);
                s.turn_len += 1;
                if a == HAND_OVER {
                    let empty = s.turn_len == 1;
                    completed[i] = Some(empty);
                    s.turns += 1;
                    s.empties += usize::from(empty);
                    s.agent_turn = false;
                    s.reply_left = self.cfg.reply_tokens;
                }
            } else if s.reply_left > 0 {
                s.tokens
                    .push(2 + (s.reply_left as u32 % (self.cfg.vocab as u32 - 2)));
                s.reply_left -= 1;
            } else {
                s.tokens.push(HAND_BACK);
                s.agent_turn = true;
                s.turn_len = 0;
                reward[i] = self.cfg.reward;
            }
        }
        let done = self.envs[0].tokens.len() >= self.cfg.episode_tokens;
        let obs = if done { None } else { Some(self.observe()?) };
        Ok(ChatTick {
            obs,
            reward,
            agent_turn_completed: completed,
            done,
        })
    }

    fn transcript(&self, i: usize) -> Result<String> {
        let s = self
            .envs
            .get(i)
            .ok_or_else(|| LlmError::invalid("transcript", i, "an environment index"))?;
        let mut out = String::new();
        for &t in &s.tokens {
            match t {
                HAND_OVER => out.push_str("\nStudent: "),
                HAND_BACK => out.push_str("\nTeacher: "),
                c => {
                    out.push_str(&format!("w{c} "));
                }
            }
        }
        Ok(out)
    }
}

/// The measured quantities of check C8 (spec `cohen2024.md` §5), each computed on every run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct C8Report {
    /// Episodes in the accounting runs.
    pub episodes: usize,
    /// The budget of the accounting runs, nats.
    pub budget_nats: f64,
    /// Largest |KL(x‖b) − min(target, KL(a‖b))| over all steps.
    pub max_kl_rule_error: f64,
    /// Largest Σ per-step KL of an episode under the expected rule (must be ≤ budget).
    pub max_episode_kl_expected_rule: f64,
    /// Smallest remaining budget seen under either rule (must be ≥ 0).
    pub min_budget_left: f64,
    /// Largest Σ realised log-ratio − (B + Σ overshoots) under the realised rule (must be ≤ 0).
    pub max_realised_excess: f64,
    /// Mean over episodes of Σ realised log-ratio − Σ per-step KL (expected 0).
    pub mean_log_ratio_minus_kl: f64,
    /// Its standard error.
    pub mean_log_ratio_minus_kl_se: f64,
    /// Trained in the Bayesian silence world: evaluation empty-turn fraction.
    pub trained_empty_fraction: f64,
    /// Base policy's empty-turn fraction in the same world.
    pub base_empty_fraction: f64,
    /// Mean KL of the first empty turn of an episode, nats.
    pub first_empty_kl: f64,
    /// Mean KL of the later empty turns, nats.
    pub later_empty_kl: f64,
    /// Mean Σ per-step KL per evaluation episode, nats.
    pub trained_kl_used: f64,
    /// The same training against the fixed (non-learning) base LM.
    pub fixed_base: SilenceRun,
    /// Agent timesteps of training.
    pub train_steps: u64,
}

/// One PPO run in the silence world at budget 10 and its evaluation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SilenceRun {
    /// The base LM's kind.
    pub base: BaseKind,
    /// Evaluation episodes.
    pub episodes: usize,
    /// Trained policy's empty-turn fraction.
    pub empty_fraction: f64,
    /// Base policy's empty-turn fraction in the same world.
    pub base_empty_fraction: f64,
    /// Mean KL of the first empty turn of an episode, nats (NaN if none).
    pub first_empty_kl: f64,
    /// Mean KL of the later empty turns, nats (NaN if none).
    pub later_empty_kl: f64,
    /// Mean Σ per-step KL per evaluation episode, nats.
    pub kl_used: f64,
}

/// Trains PPO for `train_steps` agent timesteps at a 10-nat budget in the default silence world
/// with base LM `base`, then evaluates the trained and the base policy (4 rounds of episodes).
///
/// # Errors
/// Model errors.
pub fn train_in_silence_world(
    base: BaseKind,
    seed: u64,
    train_steps: u64,
    dev: &Device,
) -> Result<SilenceRun> {
    use crate::ppo::{PpoConfig, Trainer};
    let mut cfg = PpoConfig::cpu(10.0, train_steps);
    cfg.seed = seed;
    cfg.transcript_every = 0;
    let mut world = SilenceWorld::new(
        SilenceConfig {
            base,
            ..SilenceConfig::default()
        },
        dev,
    )?;
    let mut t = Trainer::new(cfg.clone(), world.state_dim(), world.vocab_size(), dev)?;
    t.train(&mut world, None, &mut |_, _, _| false)?;
    let eval = t.evaluate(&mut world, 4)?;
    let mut base_cfg = cfg;
    base_cfg.budget_nats = 0.0;
    let base_policy = Trainer::new(base_cfg, world.state_dim(), world.vocab_size(), dev)?;
    let base_eval = base_policy.evaluate(&mut world, 4)?;
    let mean = |v: &[f64]| {
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let first: Vec<f64> = eval
        .iter()
        .filter_map(|e| e.empty_turn_kl.first().copied())
        .collect();
    let later: Vec<f64> = eval
        .iter()
        .flat_map(|e| e.empty_turn_kl.iter().skip(1).copied())
        .collect();
    Ok(SilenceRun {
        base,
        episodes: eval.len(),
        empty_fraction: mean(&eval.iter().map(|e| e.empty_fraction()).collect::<Vec<_>>()),
        base_empty_fraction: mean(
            &base_eval
                .iter()
                .map(|e| e.empty_fraction())
                .collect::<Vec<_>>(),
        ),
        first_empty_kl: mean(&first),
        later_empty_kl: mean(&later),
        kl_used: mean(&eval.iter().map(|e| e.kl_nats).collect::<Vec<_>>()),
    })
}

/// An agent whose actor has random weights (scale `w`), so that its proposals differ from the base.
fn perturbed(t: &crate::ppo::Trainer, seed: u64, w: f64) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tensors = t.agent.tensors();
    for (name, tensor) in tensors.iter_mut() {
        if name.starts_with("actor.") {
            let n = tensor.elem_count();
            let v: Vec<f32> = (0..n)
                .map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * w) as f32)
                .collect();
            *tensor = Tensor::from_vec(v, tensor.dims(), tensor.device())?;
        }
    }
    t.agent.load_tensors(&tensors, "perturbed")
}

/// Runs check C8: exact budget accounting on random agents (both rules), the martingale identity
/// E[Σ KL] = E[Σ log-ratio] by Monte Carlo, and PPO in the Bayesian silence world.
///
/// # Errors
/// Model errors.
pub fn c8(seed: u64, train_steps: u64) -> Result<C8Report> {
    use crate::ppo::{BudgetRule, PpoConfig, Trainer};
    let dev = Device::Cpu;
    let budget = 5.0;
    let world = SilenceConfig {
        n_envs: 32,
        ..SilenceConfig::default()
    };
    let mut env = SilenceWorld::new(world.clone(), &dev)?;
    let mut max_rule = 0.0f64;
    let mut max_kl = 0.0f64;
    let mut min_left = f64::INFINITY;
    let mut max_excess = f64::NEG_INFINITY;
    let mut diffs = Vec::new();
    for rule in [BudgetRule::Expected, BudgetRule::Realised] {
        let mut cfg = PpoConfig::cpu(budget, 1024);
        cfg.seed = stream_seed(seed, &format!("c8/{rule:?}/ppo"));
        cfg.budget_rule = rule;
        let t = Trainer::new(cfg, env.state_dim(), env.vocab_size(), &dev)?;
        perturbed(&t, stream_seed(seed, &format!("c8/{rule:?}/actor")), 0.5)?;
        let eps = t.evaluate(&mut env, 8)?;
        for e in &eps {
            max_rule = max_rule.max(e.max_kl_rule_error);
            min_left = min_left.min(e.min_budget_left);
            match rule {
                BudgetRule::Expected => {
                    max_kl = max_kl.max(e.kl_nats);
                    diffs.push(e.log_ratio_nats - e.kl_nats);
                }
                BudgetRule::Realised => {
                    max_excess = max_excess.max(e.log_ratio_nats - (budget + e.overshoot_nats));
                }
            }
        }
    }
    let n = diffs.len() as f64;
    let m = diffs.iter().sum::<f64>() / n;
    let sd = (diffs.iter().map(|d| (d - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();

    // PPO at budget 10 in the Bayesian silence world, and in the same world with a base LM whose
    // model class cannot learn the pattern (every empty turn costs ln(1/ε)).
    let bayes = train_in_silence_world(BaseKind::Bayesian, seed, train_steps, &dev)?;
    let fixed = train_in_silence_world(BaseKind::Fixed, seed, train_steps, &dev)?;
    Ok(C8Report {
        episodes: diffs.len(),
        budget_nats: budget,
        max_kl_rule_error: max_rule,
        max_episode_kl_expected_rule: max_kl,
        min_budget_left: min_left,
        max_realised_excess: max_excess,
        mean_log_ratio_minus_kl: m,
        mean_log_ratio_minus_kl_se: sd / n.sqrt(),
        trained_empty_fraction: bayes.empty_fraction,
        base_empty_fraction: bayes.base_empty_fraction,
        first_empty_kl: bayes.first_empty_kl,
        later_empty_kl: bayes.later_empty_kl,
        trained_kl_used: bayes.kl_used,
        fixed_base: fixed,
        train_steps,
    })
}
