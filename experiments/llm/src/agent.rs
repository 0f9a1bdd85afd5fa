//! The KL-budget agent of Cohen et al. 2024 §5 (spec `cohen2024.md` §3.5–3.7): an actor that reads
//! the base model's last hidden states plus the remaining budget, proposes a distribution and
//! chooses what fraction of the remaining budget to spend this step, and a critic.
//!
//! * **Actor**: one linear layer from `[state ‖ budget_left]` to `1 + V` outputs (the authors'
//!   `Actor(…, depth = 1, …)`): weights initialised to zero (their orthogonal init with gain 0),
//!   biases PyTorch's default `U(−1/√fan_in, 1/√fan_in)`.
//!   - output 0 is the **KL-control neuron**: `target = sigmoid(z₀ − ln 16) · budget_left`. The
//!     authors add `1e−6`; we do not, so that `target < budget_left` always holds and the budget
//!     can never be overspent (at init the fraction is `1/17`, not the paper's "1/16").
//!   - outputs `1..=V` are added to the base log-probs and normalised: `log a = log_softmax(z + log b)`.
//!   - the step policy is the KL-fixed mixture `x = α a + (1 − α) b` with `KL(x‖b) = target`
//!     ([`crate::kl_budget::kl_fixed_mixture`], exact solve, implicit gradient).
//! * **Critic**: `[state ‖ budget_left] → 128 → tanh → 128 → tanh → 1`, last layer zero-initialised.
//!   The authors' critic sees the pre-action budget in rollouts and the post-expected-KL budget in
//!   the update (a quirk, §3.7); ours sees the pre-action budget in both.
//!
//! Parameters are candle [`Var`]s named like a PyTorch state dict (`actor.weight`, …) so that
//! [`Agent::tensors`] / [`Agent::load_tensors`] round-trip through safetensors.

use std::collections::BTreeMap;

use candle_core::{DType, Device, IndexOp, Tensor, Var};
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::kl_budget::{exact_log_softmax, kl_fixed_mixture, AlphaSolve};
use crate::{LlmError, Result};

/// `ln 16`: the offset of the KL-control neuron (`sigmoid(z₀ − ln 16)` = 1/17 at `z₀ = 0`).
pub use crate::kl_budget::INIT_FRACTION_OFFSET as KL_NEURON_OFFSET;

/// Hidden width of the critic (spec §3.7).
pub const CRITIC_WIDTH: usize = 128;

/// The step policy at a batch of states (see the module doc).
#[derive(Debug, Clone)]
pub struct StepPolicy {
    /// `log x`, `(n, V)`, f32, differentiable w.r.t. the actor's parameters.
    pub log_x: Tensor,
    /// The KL targets in nats, `(n,)`, differentiable.
    pub target: Tensor,
    /// The achieved KL(x‖b), `(n,)`, differentiable (for the `(achieved − target)²` loss term).
    pub kl: Tensor,
    /// The exact f64 solves, one per row (the budget is accounted with these).
    pub solves: Vec<AlphaSolve>,
}

/// Actor and critic (see the module doc).
pub struct Agent {
    state_dim: usize,
    vocab: usize,
    device: Device,
    /// `(name, var)`, actor's first.
    vars: Vec<(String, Var)>,
    n_actor: usize,
}

fn uniform(rng: &mut ChaCha8Rng, n: usize, bound: f64) -> Vec<f32> {
    (0..n)
        .map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * bound) as f32)
        .collect()
}

impl Agent {
    /// A freshly initialised agent for states of width `state_dim` and a vocabulary of `vocab`.
    ///
    /// # Errors
    /// `state_dim` or `vocab` of 0; candle errors.
    pub fn new(state_dim: usize, vocab: usize, seed: u64, device: &Device) -> Result<Self> {
        if state_dim == 0 {
            return Err(LlmError::invalid("state_dim", state_dim, "must be ≥ 1"));
        }
        if vocab < 2 {
            return Err(LlmError::invalid("vocab", vocab, "must be ≥ 2"));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let fan_in = state_dim + 1;
        let b_in = 1.0 / (fan_in as f64).sqrt();
        let b_h = 1.0 / (CRITIC_WIDTH as f64).sqrt();
        let mut specs: Vec<(&str, Vec<usize>, Vec<f32>)> = Vec::new();
        specs.push((
            "actor.weight",
            vec![vocab + 1, fan_in],
            vec![0.0; (vocab + 1) * fan_in],
        ));
        specs.push((
            "actor.bias",
            vec![vocab + 1],
            uniform(&mut rng, vocab + 1, b_in),
        ));
        specs.push((
            "critic.0.weight",
            vec![CRITIC_WIDTH, fan_in],
            uniform(&mut rng, CRITIC_WIDTH * fan_in, b_in),
        ));
        specs.push((
            "critic.0.bias",
            vec![CRITIC_WIDTH],
            uniform(&mut rng, CRITIC_WIDTH, b_in),
        ));
        specs.push((
            "critic.2.weight",
            vec![CRITIC_WIDTH, CRITIC_WIDTH],
            uniform(&mut rng, CRITIC_WIDTH * CRITIC_WIDTH, b_h),
        ));
        specs.push((
            "critic.2.bias",
            vec![CRITIC_WIDTH],
            uniform(&mut rng, CRITIC_WIDTH, b_h),
        ));
        specs.push((
            "critic.4.weight",
            vec![1, CRITIC_WIDTH],
            vec![0.0; CRITIC_WIDTH],
        ));
        specs.push(("critic.4.bias", vec![1], vec![0.0]));
        let mut vars = Vec::with_capacity(specs.len());
        for (name, shape, data) in specs {
            let t = Tensor::from_vec(data, shape, device)?;
            vars.push((name.to_string(), Var::from_tensor(&t)?));
        }
        Ok(Agent {
            state_dim,
            vocab,
            device: device.clone(),
            vars,
            n_actor: 2,
        })
    }

    /// Width of the states the agent reads (without the budget input).
    pub fn state_dim(&self) -> usize {
        self.state_dim
    }

    /// Size of the action space.
    pub fn vocab(&self) -> usize {
        self.vocab
    }

    /// The actor's parameters.
    pub fn actor_vars(&self) -> Vec<Var> {
        self.vars[..self.n_actor]
            .iter()
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The critic's parameters.
    pub fn critic_vars(&self) -> Vec<Var> {
        self.vars[self.n_actor..]
            .iter()
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// All parameters by name (actor's and critic's), for checkpoints.
    pub fn tensors(&self) -> BTreeMap<String, Tensor> {
        self.vars
            .iter()
            .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
            .collect()
    }

    /// Sets every parameter from `tensors` (a checkpoint).
    ///
    /// # Errors
    /// [`LlmError::MissingTensor`] / [`LlmError::ShapeMismatch`] naming the tensor.
    pub fn load_tensors(&self, tensors: &BTreeMap<String, Tensor>, file: &str) -> Result<()> {
        for (name, var) in &self.vars {
            let t = tensors.get(name).ok_or_else(|| LlmError::MissingTensor {
                file: file.to_string(),
                tensor: name.clone(),
            })?;
            if t.dims() != var.dims() {
                return Err(LlmError::ShapeMismatch {
                    tensor: name.clone(),
                    expected: var.dims().to_vec(),
                    found: t.dims().to_vec(),
                });
            }
            var.set(&t.to_dtype(DType::F32)?.to_device(&self.device)?.copy()?)?;
        }
        Ok(())
    }

    fn var(&self, i: usize) -> &Tensor {
        self.vars[i].1.as_tensor()
    }

    /// `[state ‖ budget]`, `(n, state_dim + 1)`.
    fn input(&self, state: &Tensor, budget: &Tensor) -> Result<Tensor> {
        let (n, d) = state.dims2()?;
        if d != self.state_dim {
            return Err(LlmError::ShapeMismatch {
                tensor: "state".into(),
                expected: vec![n, self.state_dim],
                found: vec![n, d],
            });
        }
        if budget.dims() != [n] {
            return Err(LlmError::ShapeMismatch {
                tensor: "budget_left".into(),
                expected: vec![n],
                found: budget.dims().to_vec(),
            });
        }
        Ok(Tensor::cat(&[state, &budget.unsqueeze(1)?], 1)?)
    }

    /// The critic's values, `(n,)`.
    ///
    /// # Errors
    /// Shape mismatches; candle errors.
    pub fn value(&self, state: &Tensor, budget: &Tensor) -> Result<Tensor> {
        let x = self.input(state, budget)?;
        let h = x
            .matmul(&self.var(2).t()?)?
            .broadcast_add(self.var(3))?
            .tanh()?;
        let h = h
            .matmul(&self.var(4).t()?)?
            .broadcast_add(self.var(5))?
            .tanh()?;
        let v = h.matmul(&self.var(6).t()?)?.broadcast_add(self.var(7))?;
        Ok(v.squeeze(1)?)
    }

    /// The step policy at `state` (`(n, state_dim)`), base log-probs `log_base` (`(n, V)`, treated
    /// as constants) and remaining budgets `budget` (`(n,)`, nats, ≥ 0).
    ///
    /// # Errors
    /// Shape mismatches; a negative or NaN budget; the errors of [`kl_fixed_mixture`].
    pub fn policy(&self, state: &Tensor, log_base: &Tensor, budget: &Tensor) -> Result<StepPolicy> {
        let b: Vec<f32> = budget.to_vec1()?;
        if let Some(bad) = b.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
            return Err(LlmError::invalid(
                "budget_left",
                bad,
                "remaining KL budget must be finite and ≥ 0 nats",
            ));
        }
        let x = self.input(state, budget)?;
        let z = x.matmul(&self.var(0).t()?)?.broadcast_add(self.var(1))?;
        let n = z.dim(0)?;
        let (_, v) = log_base.dims2()?;
        if v != self.vocab || log_base.dim(0)? != n {
            return Err(LlmError::ShapeMismatch {
                tensor: "log_base".into(),
                expected: vec![n, self.vocab],
                found: log_base.dims().to_vec(),
            });
        }
        let z0 = z.i((.., 0))?;
        let frac = candle_nn::ops::sigmoid(&(z0 - KL_NEURON_OFFSET)?)?;
        let target = (frac * budget)?;
        let log_b = log_base.detach();
        let logits = (z.narrow(1, 1, self.vocab)? + &log_b)?;
        let log_a = exact_log_softmax(&logits)?;
        let mix = kl_fixed_mixture(&log_a, &log_b, &target)?;
        Ok(StepPolicy {
            log_x: mix.log_x,
            target,
            kl: mix.kl,
            solves: mix.solves,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_spends_one_seventeenth_and_proposes_the_base_policy() {
        let dev = Device::Cpu;
        let agent = Agent::new(5, 7, 1, &dev).unwrap();
        let state = Tensor::ones((2, 5), DType::F32, &dev).unwrap();
        let lb: Vec<f32> = {
            let p = [0.3f32, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1];
            p.iter().chain(p.iter()).map(|x| x.ln()).collect()
        };
        let log_base = Tensor::from_vec(lb, (2, 7), &dev).unwrap();
        let budget = Tensor::new(&[10.0f32, 0.0], &dev).unwrap();
        let p = agent.policy(&state, &log_base, &budget).unwrap();
        let t: Vec<f32> = p.target.to_vec1().unwrap();
        // Zero weights: z₀ = bias₀, so the fraction is sigmoid(bias₀ − ln 16), within the bias range.
        let bias0 = agent.var(1).i(0).unwrap().to_scalar::<f32>().unwrap() as f64;
        let frac = 1.0 / (1.0 + (-(bias0 - KL_NEURON_OFFSET)).exp());
        assert!((t[0] as f64 - 10.0 * frac).abs() < 1e-5, "{t:?} vs {frac}");
        assert_eq!(t[1], 0.0);
        // Zero budget: x = b exactly (α = 0).
        assert!(p.solves[1].alpha.abs() < 1e-12);
        assert!((KL_NEURON_OFFSET - 16f64.ln()).abs() < 1e-15);
        // A spend never exceeds the remaining budget.
        for (s, b) in p.solves.iter().zip([10.0, 0.0]) {
            assert!(s.kl <= b, "{s:?}");
        }
    }

    #[test]
    fn bad_budget_and_shapes_are_typed_errors() {
        let dev = Device::Cpu;
        let agent = Agent::new(3, 4, 1, &dev).unwrap();
        let state = Tensor::zeros((1, 3), DType::F32, &dev).unwrap();
        let lb = Tensor::full((0.25f32).ln(), (1, 4), &dev).unwrap();
        let nan = Tensor::new(&[f32::NAN], &dev).unwrap();
        assert!(matches!(
            agent.policy(&state, &lb, &nan),
            Err(LlmError::InvalidArgument {
                name: "budget_left",
                ..
            })
        ));
        let neg = Tensor::new(&[-1.0f32], &dev).unwrap();
        assert!(agent.policy(&state, &lb, &neg).is_err());
        let wrong = Tensor::zeros((1, 2), DType::F32, &dev).unwrap();
        let ok = Tensor::new(&[1.0f32], &dev).unwrap();
        assert!(matches!(
            agent.policy(&wrong, &lb, &ok),
            Err(LlmError::ShapeMismatch { .. })
        ));
        assert!(Agent::new(0, 4, 1, &dev).is_err());
    }

    #[test]
    fn tensors_round_trip() {
        let dev = Device::Cpu;
        let a = Agent::new(3, 4, 1, &dev).unwrap();
        let b = Agent::new(3, 4, 2, &dev).unwrap();
        b.load_tensors(&a.tensors(), "mem").unwrap();
        for ((_, x), (_, y)) in a.tensors().iter().zip(b.tensors().iter()) {
            let d = (x - y)
                .unwrap()
                .abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert_eq!(d, 0.0);
        }
        let c = Agent::new(3, 5, 1, &dev).unwrap();
        assert!(matches!(
            c.load_tensors(&a.tensors(), "mem"),
            Err(LlmError::ShapeMismatch { .. })
        ));
    }
}
