//! Propositions 6 and 7 of Cohen et al. 2024 (optimisers exist; a ξ-optimiser via the
//! un-normalised ξ_small): a finite Bayesian clock bandit, its history tree, expectimax over ξ
//! and ξ_small, and brute force over every deterministic policy.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::numerics::Neumaier;
use crate::theory::imitation::class::clock::ClockWorld;
use crate::theory::imitation::class::{
    BasePolicy, History, Layout, Mixture, Model, ModelClass, Role,
};

use std::f64::consts::LN_2 as LN2;

/// An environment of the clock bandit: arm 0 pays 1 with probability `safe`; arm 1 behaves like
/// the clock-world model `B_j` (pays with probability `q_j`) before time `T` and pays 1 from `T`
/// on (`S_{j,T}`; `T = None` for `B_j`). Actions are predicted uniformly (an environment does not
/// model the agent), so they carry no evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockBandit {
    q: f64,
    switch_at: Option<usize>,
    safe: f64,
}

impl ClockBandit {
    /// A model; `q`, `safe` in `[0, 1]`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a probability outside `[0, 1]`.
    pub fn new(q: f64, switch_at: Option<usize>, safe: f64) -> Result<Self> {
        for (name, p) in [("arm-1 probability q", q), ("safe-arm probability", safe)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(Error::OutOfRange {
                    name,
                    value: p,
                    range: "[0, 1]",
                });
            }
        }
        Ok(Self { q, switch_at, safe })
    }

    /// The class `B_j`, `S_{j,T}` (`T ≤ world.max_switch_time()`) with the clock world's code
    /// lengths.
    ///
    /// # Errors
    /// As [`ModelClass::from_code_lengths`].
    pub fn class(world: &ClockWorld, safe: f64) -> Result<ModelClass> {
        let mut models: Vec<(String, Arc<dyn Model>)> = Vec::new();
        let mut bits = Vec::new();
        for j in 0..world.bases() {
            models.push((
                format!("B{j}"),
                Arc::new(Self::new(world.q(j), None, safe)?),
            ));
            bits.push(world.base_bits(j));
        }
        for j in 0..world.bases() {
            for t in 1..=world.max_switch_time() {
                models.push((
                    format!("S{j},{t}"),
                    Arc::new(Self::new(world.q(j), Some(t), safe)?),
                ));
                bits.push(world.base_bits(j) + world.delta_bits(t));
            }
        }
        ModelClass::from_code_lengths(BANDIT_LAYOUT, models, bits)
    }
}

/// Binary actions (arms) and binary observations (rewards).
pub const BANDIT_LAYOUT: Layout = Layout {
    actions: 2,
    observations: Some(2),
};

impl Model for ClockBandit {
    fn layout(&self) -> Layout {
        BANDIT_LAYOUT
    }

    fn ln_prob(&self, history: &History, symbol: usize) -> f64 {
        if symbol > 1 {
            return f64::NEG_INFINITY;
        }
        match history.next_role() {
            Role::Action => -LN2,
            Role::Observation => {
                let t = history.next_time();
                let a = history.symbols().last().copied().unwrap_or(0);
                let p1 = if a == 0 {
                    self.safe
                } else if self.switch_at.is_some_and(|s| t >= s) {
                    1.0
                } else {
                    self.q
                };
                if symbol == 1 {
                    p1.ln()
                } else {
                    (-p1).ln_1p()
                }
            }
        }
    }

    fn describe(&self) -> String {
        match self.switch_at {
            None => format!("arm1 Bern({}), arm0 Bern({})", self.q, self.safe),
            Some(t) => format!(
                "arm1 Bern({}) then 1 from t={t}, arm0 Bern({})",
                self.q, self.safe
            ),
        }
    }
}

/// The history tree of a horizon-`m` bandit: nodes are histories before an action, numbered
/// `child(n, a, o) = 4n + 1 + 2a + o` from the root 0.
#[derive(Debug, Clone)]
pub struct BanditTree {
    m: usize,
    /// `ln ξ(o | h a)` per node (internal nodes only).
    ln_xi: Vec<[[f64; 2]; 2]>,
    /// Sum of observations along the path to each node.
    reward: Vec<usize>,
    /// Depth of each node.
    depth: Vec<usize>,
    /// Per model: `ln ν(observations of h | actions of h)` per node.
    ln_obs: Vec<Vec<f64>>,
    /// Code lengths.
    bits: Vec<f64>,
}

/// Largest bandit horizon [`BanditTree::new`] accepts (the tree has `(4^{m+1} − 1)/3` nodes).
pub const MAX_BANDIT_HORIZON: usize = 8;

impl BanditTree {
    /// Expands the tree under `class` (ξ's conditionals from the existing [`Mixture`], per-model
    /// observation likelihoods for ξ_small).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for `m` outside `1..=MAX_BANDIT_HORIZON`; [`Error::Config`] if the
    /// class is not binary-interleaved or has no code lengths.
    pub fn new(class: Arc<ModelClass>, m: usize) -> Result<Self> {
        if !(1..=MAX_BANDIT_HORIZON).contains(&m) {
            return Err(Error::OutOfRange {
                name: "bandit horizon",
                value: m as f64,
                range: "[1, 8]",
            });
        }
        if class.layout() != BANDIT_LAYOUT {
            return Err(Error::Config(
                "the bandit tree needs binary actions and observations".into(),
            ));
        }
        let bits = (0..class.len())
            .map(|i| class.code_bits(i))
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| Error::Config("ξ_small needs code lengths".into()))?;
        let nodes = (4usize.pow(m as u32 + 1) - 1) / 3;
        let mut tree = Self {
            m,
            ln_xi: vec![[[f64::NAN; 2]; 2]; nodes],
            reward: vec![0; nodes],
            depth: vec![0; nodes],
            ln_obs: vec![vec![0.0; nodes]; class.len()],
            bits,
        };
        let mix = Mixture::new(class.clone());
        tree.expand(&class, 0, &mix)?;
        Ok(tree)
    }

    fn expand(&mut self, class: &ModelClass, node: usize, mix: &Mixture) -> Result<()> {
        if self.depth[node] == self.m {
            return Ok(());
        }
        for a in 0..2 {
            let mut ma = mix.clone();
            ma.update(a)?;
            let lp = ma.ln_predict();
            self.ln_xi[node][a] = [lp[0], lp[1]];
            for o in 0..2 {
                let child = 4 * node + 1 + 2 * a + o;
                for (i, row) in self.ln_obs.iter_mut().enumerate() {
                    row[child] = row[node] + class.model(i).ln_prob(ma.history(), o);
                }
                self.reward[child] = self.reward[node] + o;
                self.depth[child] = self.depth[node] + 1;
                let mut mo = ma.clone();
                mo.update(o)?;
                self.expand(class, child, &mo)?;
            }
        }
        Ok(())
    }

    /// The horizon.
    pub fn horizon(&self) -> usize {
        self.m
    }

    fn utility(&self, node: usize) -> f64 {
        self.reward[node] as f64 / self.m as f64
    }

    /// Expectimax under ξ: `(V*, Q*)` per node (`Q*[n][a]`, NaN at leaves).
    pub fn expectimax(&self) -> (Vec<f64>, Vec<[f64; 2]>) {
        let n = self.depth.len();
        let mut v = vec![0.0; n];
        let mut q = vec![[f64::NAN; 2]; n];
        for node in (0..n).rev() {
            if self.depth[node] == self.m {
                v[node] = self.utility(node);
                continue;
            }
            for a in 0..2 {
                let mut s = Neumaier::new();
                for o in 0..2 {
                    s.add(self.ln_xi[node][a][o].exp() * v[4 * node + 1 + 2 * a + o]);
                }
                q[node][a] = s.total();
            }
            v[node] = q[node][0].max(q[node][1]);
        }
        (v, q)
    }

    /// `S_i(h) = Σ_{ℓ(ν) ≤ max_bits} 2^{−ℓ(ν)} ν(o_{<t} | a_{<t})` per node (un-normalised).
    pub fn evidence(&self, max_bits: f64) -> Vec<f64> {
        let n = self.depth.len();
        let mut s = vec![Neumaier::new(); n];
        for (row, &b) in self.ln_obs.iter().zip(&self.bits) {
            if b > max_bits {
                continue;
            }
            for (acc, &l) in s.iter_mut().zip(row) {
                acc.add((l - b * LN2).exp());
            }
        }
        s.iter().map(|a| a.total()).collect()
    }

    /// The ξ_small programme on `evidence`: `V_small(h) = max_a Σ_o V_small(hao)`,
    /// `V_small(leaf) = S(leaf)·U(leaf)`; `(V_small, Q_small)` per node.
    pub fn expectimax_small(&self, evidence: &[f64]) -> (Vec<f64>, Vec<[f64; 2]>) {
        let n = self.depth.len();
        let mut v = vec![0.0; n];
        let mut q = vec![[f64::NAN; 2]; n];
        for node in (0..n).rev() {
            if self.depth[node] == self.m {
                v[node] = evidence[node] * self.utility(node);
                continue;
            }
            for a in 0..2 {
                q[node][a] = v[4 * node + 1 + 2 * a] + v[4 * node + 2 + 2 * a];
            }
            v[node] = q[node][0].max(q[node][1]);
        }
        (v, q)
    }

    /// The best value over all deterministic policies (decision trees on the observations:
    /// `2^{2^m − 1}` of them), by enumeration. Returns `(value, number of policies)`.
    ///
    /// # Errors
    /// [`Error::TooLarge`] for `m > 4` (2^31 policies).
    pub fn brute_force(&self) -> Result<(f64, usize)> {
        let m = self.m;
        if m > 4 {
            return Err(Error::TooLarge {
                name: "brute-force horizon",
                value: m as f64,
                needed: format!("2^{} deterministic policies", (1usize << m) - 1),
                limit: "horizon 4 (2^15 policies)".into(),
            });
        }
        let obs_nodes = (1usize << m) - 1;
        let count = 1usize << obs_nodes;
        let p_xi: Vec<[[f64; 2]; 2]> = self
            .ln_xi
            .iter()
            .map(|r| {
                [
                    [r[0][0].exp(), r[0][1].exp()],
                    [r[1][0].exp(), r[1][1].exp()],
                ]
            })
            .collect();
        let mut best = f64::NEG_INFINITY;
        for policy in 0..count {
            let mut val = Neumaier::new();
            for seq in 0..(1usize << m) {
                let (mut node, mut onode, mut p) = (0usize, 0usize, 1.0f64);
                for t in 0..m {
                    let o = (seq >> t) & 1;
                    let a = (policy >> onode) & 1;
                    p *= p_xi[node][a][o];
                    node = 4 * node + 1 + 2 * a + o;
                    onode = 2 * onode + 1 + o;
                }
                val.add(p * self.utility(node));
            }
            best = best.max(val.total());
        }
        Ok((best, count))
    }
}
