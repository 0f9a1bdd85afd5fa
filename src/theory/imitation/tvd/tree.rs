//! Theorem 2 of Cohen et al. 2024, several steps: a finite tree MDP with stochastic
//! observations, its TVD-constrained optimum (a sequence-form linear program), its
//! KL-constrained optimum (soft backward induction) and the actions that gain probability.

use super::lp::{Lp, LpStatus, Sense};
use super::{check_budget_c, GAIN_EPS};
use crate::error::{Error, Result};
use crate::numerics::{neumaier_sum, Neumaier};
use crate::prob::Probs;

/// Where an observation leads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Child {
    /// Another decision node (its index; must be larger than the parent's).
    Node(usize),
    /// The end of the episode, with utility `U ∈ [0, 1]`.
    Leaf(f64),
}

/// One observation after an action: probability and what follows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Probability of this observation given the history and action.
    pub prob: f64,
    /// What follows.
    pub child: Child,
}

/// One decision node: the base policy there and, per action, the observation outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionNode {
    /// `β(·|h)` (a distribution over the node's actions).
    pub base: Vec<f64>,
    /// `actions[a]` = the outcomes of action `a`.
    pub actions: Vec<Vec<Outcome>>,
}

/// A finite tree-shaped decision problem (root = node 0), validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationTreeMdp {
    nodes: Vec<DecisionNode>,
    /// Offset of node h's actions in the flat (h, a) sequence index.
    offset: Vec<usize>,
    /// Parent sequence (flat index of (h', a')) of each node; `None` for the root.
    parent_seq: Vec<Option<usize>>,
    /// Product of observation probabilities on the path to each node.
    rho: Vec<f64>,
}

/// A stationary-in-the-tree policy: conditionals `π(·|h)` per node.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationTreePolicy {
    /// `probs[h][a] = π(a|h)`.
    pub probs: Vec<Vec<f64>>,
}

/// One leaf of the tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leaf {
    /// Flat index of the last (node, action) pair.
    pub seq: usize,
    /// Product of observation probabilities on the path, including the last.
    pub obs_prob: f64,
    /// Utility.
    pub utility: f64,
}

/// The TVD-constrained optimum of a tree.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeTvdOptimum {
    /// Conditional policy (β at nodes the optimum never reaches).
    pub policy: ObservationTreePolicy,
    /// Realisation plan `x(h,a)` (flat).
    pub realisation: Vec<f64>,
    /// Value `E_π[U]`.
    pub value: f64,
    /// TVD of the trajectory laws to β's.
    pub tvd: f64,
    /// Simplex pivots.
    pub pivots: usize,
}

/// An action that gained probability at a node without being V-optimal there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Violation {
    /// Node.
    pub node: usize,
    /// Action.
    pub action: usize,
    /// `π(a|h) − β(a|h)` (conditional reading) or `P_π(h,a) − P_β(h,a)` (joint reading).
    pub gain: f64,
    /// `V*(h) − Q*(h,a) > 0`.
    pub regret: f64,
}

impl ObservationTreeMdp {
    /// Validates a tree.
    ///
    /// # Errors
    /// [`Error::Empty`] for no nodes or a node without actions; [`Error::LengthMismatch`] if a
    /// node's base has a different length from its action list; [`Error::NotAProbability`] /
    /// [`Error::NotNormalised`] for a bad base or outcome distribution; [`Error::OutOfRange`] for a
    /// utility outside `[0, 1]` or a child index that is not larger than its parent's, out of
    /// bounds, or used twice / never.
    pub fn new(nodes: Vec<DecisionNode>) -> Result<Self> {
        if nodes.is_empty() {
            return Err(Error::Empty { name: "tree nodes" });
        }
        let mut offset = Vec::with_capacity(nodes.len());
        let mut n_seq = 0;
        let mut parent_seq: Vec<Option<usize>> = vec![None; nodes.len()];
        let mut seen = vec![false; nodes.len()];
        seen[0] = true;
        for (h, node) in nodes.iter().enumerate() {
            if node.actions.is_empty() {
                return Err(Error::Empty {
                    name: "node actions",
                });
            }
            crate::prob::probs::check_len(
                "node base",
                node.base.len(),
                "node actions",
                node.actions.len(),
            )?;
            Probs::new_named("node base", node.base.clone())?;
            offset.push(n_seq);
            for (a, outs) in node.actions.iter().enumerate() {
                Probs::new_named(
                    "outcome probabilities",
                    outs.iter().map(|o| o.prob).collect(),
                )?;
                for o in outs {
                    match o.child {
                        Child::Leaf(u) => {
                            if !(0.0..=1.0).contains(&u) {
                                return Err(Error::OutOfRange {
                                    name: "leaf utility",
                                    value: u,
                                    range: "[0, 1]",
                                });
                            }
                        }
                        Child::Node(j) => {
                            if j <= h || j >= nodes.len() || seen[j] {
                                return Err(Error::OutOfRange {
                                    name: "child node index",
                                    value: j as f64,
                                    range: "(parent, n_nodes), each node used once",
                                });
                            }
                            seen[j] = true;
                            parent_seq[j] = Some(n_seq + a);
                        }
                    }
                }
            }
            n_seq += node.actions.len();
        }
        if let Some(j) = seen.iter().position(|s| !s) {
            return Err(Error::OutOfRange {
                name: "unreachable node index",
                value: j as f64,
                range: "every node must be some outcome's child",
            });
        }
        let mut rho = vec![1.0; nodes.len()];
        for (h, node) in nodes.iter().enumerate() {
            for outs in &node.actions {
                for o in outs {
                    if let Child::Node(j) = o.child {
                        rho[j] = rho[h] * o.prob;
                    }
                }
            }
        }
        Ok(Self {
            nodes,
            offset,
            parent_seq,
            rho,
        })
    }

    /// The nodes.
    pub fn nodes(&self) -> &[DecisionNode] {
        &self.nodes
    }

    /// Number of (node, action) pairs.
    pub fn n_seq(&self) -> usize {
        self.offset.last().copied().unwrap_or(0) + self.nodes.last().map_or(0, |n| n.actions.len())
    }

    /// Flat index of `(node, action)`.
    pub fn seq(&self, node: usize, action: usize) -> usize {
        self.offset[node] + action
    }

    /// All leaves.
    pub fn leaves(&self) -> Vec<Leaf> {
        let mut v = Vec::new();
        for (h, node) in self.nodes.iter().enumerate() {
            for (a, outs) in node.actions.iter().enumerate() {
                for o in outs {
                    if let Child::Leaf(u) = o.child {
                        v.push(Leaf {
                            seq: self.seq(h, a),
                            obs_prob: self.rho[h] * o.prob,
                            utility: u,
                        });
                    }
                }
            }
        }
        v
    }

    /// The base policy β as a [`ObservationTreePolicy`].
    pub fn base_policy(&self) -> ObservationTreePolicy {
        ObservationTreePolicy {
            probs: self.nodes.iter().map(|n| n.base.clone()).collect(),
        }
    }

    /// `(V*, Q*)` by backward induction: `V*[h]`, `Q*[h][a]`.
    pub fn optimal_values(&self) -> (Vec<f64>, Vec<Vec<f64>>) {
        let n = self.nodes.len();
        let mut v = vec![0.0; n];
        let mut q: Vec<Vec<f64>> = vec![Vec::new(); n];
        for h in (0..n).rev() {
            q[h] = self.nodes[h]
                .actions
                .iter()
                .map(|outs| {
                    neumaier_sum(outs.iter().map(|o| {
                        o.prob
                            * match o.child {
                                Child::Leaf(u) => u,
                                Child::Node(j) => v[j],
                            }
                    }))
                })
                .collect();
            v[h] = q[h].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        }
        (v, q)
    }

    /// Validates a policy against the tree.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`], [`Error::NotAProbability`], [`Error::NotNormalised`].
    pub fn check_policy(&self, pi: &ObservationTreePolicy) -> Result<()> {
        crate::prob::probs::check_len(
            "tree nodes",
            self.nodes.len(),
            "policy nodes",
            pi.probs.len(),
        )?;
        for (node, p) in self.nodes.iter().zip(&pi.probs) {
            crate::prob::probs::check_len(
                "node actions",
                node.actions.len(),
                "policy actions",
                p.len(),
            )?;
            Probs::new_named("policy", p.clone())?;
        }
        Ok(())
    }

    /// The realisation plan `x(h,a) = x(parent seq of h)·π(a|h)` (flat).
    ///
    /// # Errors
    /// As [`ObservationTreeMdp::check_policy`].
    pub fn realisation(&self, pi: &ObservationTreePolicy) -> Result<Vec<f64>> {
        self.check_policy(pi)?;
        let mut x = vec![0.0; self.n_seq()];
        for (h, p) in pi.probs.iter().enumerate() {
            let reach = self.parent_seq[h].map_or(1.0, |s| x[s]);
            for (a, &pa) in p.iter().enumerate() {
                x[self.seq(h, a)] = reach * pa;
            }
        }
        Ok(x)
    }

    /// `P_π(h, a) = ρ(h)·x(h,a)`: the probability that the episode passes through `h` and plays `a`.
    ///
    /// # Errors
    /// As [`ObservationTreeMdp::check_policy`].
    pub fn joint(&self, pi: &ObservationTreePolicy) -> Result<Vec<f64>> {
        let mut x = self.realisation(pi)?;
        for (h, node) in self.nodes.iter().enumerate() {
            for a in 0..node.actions.len() {
                x[self.seq(h, a)] *= self.rho[h];
            }
        }
        Ok(x)
    }

    /// `E_π[U]`.
    ///
    /// # Errors
    /// As [`ObservationTreeMdp::check_policy`].
    pub fn value(&self, pi: &ObservationTreePolicy) -> Result<f64> {
        let x = self.realisation(pi)?;
        Ok(neumaier_sum(
            self.leaves()
                .iter()
                .map(|l| l.obs_prob * x[l.seq] * l.utility),
        ))
    }

    /// TVD of the trajectory laws of two policies.
    ///
    /// # Errors
    /// As [`ObservationTreeMdp::check_policy`].
    pub fn tvd(&self, p: &ObservationTreePolicy, q: &ObservationTreePolicy) -> Result<f64> {
        let (xp, xq) = (self.realisation(p)?, self.realisation(q)?);
        Ok(0.5
            * neumaier_sum(
                self.leaves()
                    .iter()
                    .map(|l| l.obs_prob * (xp[l.seq] - xq[l.seq]).abs()),
            ))
    }

    /// Expected (chain-rule) KL of the trajectory laws, `E_π Σ_t KL(π(·|h_t)‖β(·|h_t))`.
    ///
    /// # Errors
    /// As [`ObservationTreeMdp::check_policy`].
    pub fn kl(&self, pi: &ObservationTreePolicy, beta: &ObservationTreePolicy) -> Result<f64> {
        self.check_policy(beta)?;
        let x = self.realisation(pi)?;
        let mut s = Neumaier::new();
        for (h, (p, b)) in pi.probs.iter().zip(&beta.probs).enumerate() {
            let reach = self.rho[h] * self.parent_seq[h].map_or(1.0, |k| x[k]);
            if reach > 0.0 {
                let k = crate::prob::kl(
                    &Probs::new_named("policy", p.clone())?,
                    &Probs::new_named("base", b.clone())?,
                )?;
                if k.is_infinite() {
                    return Ok(f64::INFINITY);
                }
                s.add(reach * k);
            }
        }
        Ok(s.total())
    }

    /// The TVD-constrained optimum, by linear programming in the sequence form (module docs).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] unless `0 <= c <= 1`; [`Error::Other`] if the LP reports no optimum.
    pub fn tvd_optimum(&self, c: f64) -> Result<TreeTvdOptimum> {
        check_budget_c(c)?;
        let ns = self.n_seq();
        let leaves = self.leaves();
        let xb = self.realisation(&self.base_policy())?;
        let mut obj = vec![0.0; ns + leaves.len()];
        for l in &leaves {
            obj[l.seq] += l.obs_prob * l.utility;
        }
        let mut lp = Lp::new(obj)?;
        for (h, node) in self.nodes.iter().enumerate() {
            let mut row: Vec<(usize, f64)> = (0..node.actions.len())
                .map(|a| (self.seq(h, a), 1.0))
                .collect();
            match self.parent_seq[h] {
                None => lp.add_row(&row, Sense::Eq, 1.0)?,
                Some(p) => {
                    row.push((p, -1.0));
                    lp.add_row(&row, Sense::Eq, 0.0)?;
                }
            }
        }
        for (i, l) in leaves.iter().enumerate() {
            lp.add_row(
                &[(l.seq, l.obs_prob), (ns + i, -1.0)],
                Sense::Le,
                l.obs_prob * xb[l.seq],
            )?;
        }
        lp.add_row(
            &(0..leaves.len()).map(|i| (ns + i, 1.0)).collect::<Vec<_>>(),
            Sense::Le,
            c,
        )?;
        let sol = lp.maximize()?;
        if sol.status != LpStatus::Optimal {
            return Err(Error::Other(format!("tree TVD LP ended {:?}", sol.status)));
        }
        let x = sol.x[..ns].to_vec();
        let mut probs = Vec::with_capacity(self.nodes.len());
        for (h, node) in self.nodes.iter().enumerate() {
            let reach = self.parent_seq[h].map_or(1.0, |s| x[s]);
            let raw: Vec<f64> = (0..node.actions.len())
                .map(|a| x[self.seq(h, a)].max(0.0))
                .collect();
            let tot = neumaier_sum(raw.iter().copied());
            if reach > GAIN_EPS && tot > 0.0 {
                probs.push(raw.iter().map(|v| v / tot).collect());
            } else {
                probs.push(node.base.clone());
            }
        }
        let policy = ObservationTreePolicy { probs };
        let value = self.value(&policy)?;
        let tvd = self.tvd(&policy, &self.base_policy())?;
        let realisation = self.realisation(&policy)?;
        Ok(TreeTvdOptimum {
            policy,
            realisation,
            value,
            tvd,
            pivots: sol.pivots,
        })
    }

    /// The KL-regularised optimum at temperature λ by soft backward induction:
    /// `Q_λ(h,a) = E_o[U or V_λ(child)]`, `V_λ(h) = λ ln Σ_a β(a|h) e^{Q_λ(h,a)/λ}`,
    /// `π(a|h) ∝ β(a|h) e^{Q_λ(h,a)/λ}`; it maximises `E_π[U] − λ·KL(P_π‖P_β)`.
    ///
    /// # Errors
    /// [`Error::NotPositive`] for `λ <= 0` or NaN.
    pub fn kl_policy(&self, lambda: f64) -> Result<ObservationTreePolicy> {
        crate::error::positive("lambda", lambda)?;
        let n = self.nodes.len();
        let mut v = vec![0.0; n];
        let mut probs = vec![Vec::new(); n];
        for h in (0..n).rev() {
            let node = &self.nodes[h];
            let q: Vec<f64> = node
                .actions
                .iter()
                .map(|outs| {
                    neumaier_sum(outs.iter().map(|o| {
                        o.prob
                            * match o.child {
                                Child::Leaf(u) => u,
                                Child::Node(j) => v[j],
                            }
                    }))
                })
                .collect();
            let logits: Vec<f64> = node
                .base
                .iter()
                .zip(&q)
                .map(|(b, qa)| {
                    if *b > 0.0 {
                        b.ln() + qa / lambda
                    } else {
                        f64::NEG_INFINITY
                    }
                })
                .collect();
            let lse = crate::numerics::logsumexp(&logits);
            v[h] = lambda * lse;
            probs[h] = logits.iter().map(|l| (l - lse).exp()).collect();
        }
        Ok(ObservationTreePolicy { probs })
    }

    /// The KL-constrained optimum with expected trajectory KL `= budget` (bisection on `ln λ`).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a negative/NaN budget; [`Error::UnreachableBudget`] if even
    /// λ = 1e-6 stays below it.
    pub fn kl_optimum(&self, budget: f64) -> Result<(f64, ObservationTreePolicy)> {
        if budget.is_nan() || budget < 0.0 {
            return Err(Error::OutOfRange {
                name: "KL budget",
                value: budget,
                range: "[0, ∞)",
            });
        }
        let base = self.base_policy();
        if budget == 0.0 {
            return Ok((f64::INFINITY, base));
        }
        let kl_at = |ln_l: f64| -> Result<f64> { self.kl(&self.kl_policy(ln_l.exp())?, &base) };
        let (mut lo, mut hi) = (
            -6.0 * std::f64::consts::LN_10,
            6.0 * std::f64::consts::LN_10,
        );
        let kmax = kl_at(lo)?;
        if kmax < budget {
            return Err(Error::UnreachableBudget { budget, max: kmax });
        }
        if kl_at(hi)? > budget {
            return Err(Error::OutOfRange {
                name: "KL budget",
                value: budget,
                range: "above the KL at λ = 1e6",
            });
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if kl_at(mid)? > budget {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo < 1e-13 {
                break;
            }
        }
        let l = (0.5 * (lo + hi)).exp();
        Ok((l, self.kl_policy(l)?))
    }

    /// Theorem 2, joint reading: `(h, a)` with `P_π(h,a) > P_β(h,a) + GAIN_EPS` and
    /// `Q*(h,a) < V*(h) − GAIN_EPS`.
    ///
    /// # Errors
    /// As [`ObservationTreeMdp::check_policy`].
    pub fn joint_violations(&self, pi: &ObservationTreePolicy) -> Result<Vec<Violation>> {
        let (v, q) = self.optimal_values();
        let (jp, jb) = (self.joint(pi)?, self.joint(&self.base_policy())?);
        let mut out = Vec::new();
        for (h, node) in self.nodes.iter().enumerate() {
            for a in 0..node.actions.len() {
                let s = self.seq(h, a);
                let (gain, regret) = (jp[s] - jb[s], v[h] - q[h][a]);
                if gain > GAIN_EPS && regret > GAIN_EPS {
                    out.push(Violation {
                        node: h,
                        action: a,
                        gain,
                        regret,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Theorem 2, conditional reading as printed: at nodes π reaches, `π(a|h) > β(a|h) + GAIN_EPS`
    /// and `Q*(h,a) < V*(h) − GAIN_EPS`.
    ///
    /// # Errors
    /// As [`ObservationTreeMdp::check_policy`].
    pub fn conditional_violations(&self, pi: &ObservationTreePolicy) -> Result<Vec<Violation>> {
        let (v, q) = self.optimal_values();
        let x = self.realisation(pi)?;
        let mut out = Vec::new();
        for (h, node) in self.nodes.iter().enumerate() {
            let reach = self.parent_seq[h].map_or(1.0, |s| x[s]);
            if reach <= GAIN_EPS {
                continue;
            }
            for a in 0..node.actions.len() {
                let (gain, regret) = (pi.probs[h][a] - node.base[a], v[h] - q[h][a]);
                if gain > GAIN_EPS && regret > GAIN_EPS {
                    out.push(Violation {
                        node: h,
                        action: a,
                        gain,
                        regret,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// A two-step tree with stochastic observations (used by the checks and the tests):
/// root actions `safe` (U = 0.6 for sure), `gamble` (a coin: heads → node 1, tails → node 2) and
/// `bad` (U = 0.1); β = (0.3, 0.4, 0.3) at the root; node 1 offers `cash` (U = 1, β = 0.2) or
/// `stall` (U = 0.3, β = 0.8); node 2 offers `patch` (U = 0.5, β = 0.5) or `drop` (U = 0, β = 0.5).
pub fn example_tree() -> ObservationTreeMdp {
    let leaf = |u: f64| {
        vec![Outcome {
            prob: 1.0,
            child: Child::Leaf(u),
        }]
    };
    ObservationTreeMdp::new(vec![
        DecisionNode {
            base: vec![0.3, 0.4, 0.3],
            actions: vec![
                leaf(0.6),
                vec![
                    Outcome {
                        prob: 0.5,
                        child: Child::Node(1),
                    },
                    Outcome {
                        prob: 0.5,
                        child: Child::Node(2),
                    },
                ],
                leaf(0.1),
            ],
        },
        DecisionNode {
            base: vec![0.2, 0.8],
            actions: vec![leaf(1.0), leaf(0.3)],
        },
        DecisionNode {
            base: vec![0.5, 0.5],
            actions: vec![leaf(0.5), leaf(0.0)],
        },
    ])
    .expect("valid tree")
}

/// The deterministic two-step tree on which the printed (conditional) form of Theorem 2 fails:
/// root `L` (U = 1, β = 0.5) or `R` (β = 0.5) → node 1 with `a1` (U = 0.5, β = 0.2), `a2`
/// (U = 0, β = 0.8), `a3` (U = 0.8, β = 0). For `c <= 0.4` the TVD optimum takes `c` from the
/// leaf `R a2` and gives it to `L`; then `π(a1|R) = 0.1/(0.5 − c) > 0.2 = β(a1|R)`, yet `a3`, not
/// `a1`, is V-optimal at node 1. `P_π(R, a1) = P_β(R, a1)`: the joint reading holds.
pub fn counterexample_conditional() -> ObservationTreeMdp {
    let leaf = |u: f64| {
        vec![Outcome {
            prob: 1.0,
            child: Child::Leaf(u),
        }]
    };
    ObservationTreeMdp::new(vec![
        DecisionNode {
            base: vec![0.5, 0.5],
            actions: vec![
                leaf(1.0),
                vec![Outcome {
                    prob: 1.0,
                    child: Child::Node(1),
                }],
            ],
        },
        DecisionNode {
            base: vec![0.2, 0.8, 0.0],
            actions: vec![leaf(0.5), leaf(0.0), leaf(0.8)],
        },
    ])
    .expect("valid tree")
}
