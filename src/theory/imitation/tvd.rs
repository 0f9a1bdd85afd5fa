//! Theorem 2: under a total-variation constraint only V-optimal actions gain probability; under
//! a KL constraint non-optimal actions gain too, and base-impossible actions stay impossible
//! (check C5).
//!
//! Cohen, Hutter, Bengio, Russell 2024, Thm 2 and App. E; Def. 7; spec:
//! `../shared/spec/cohen2024.md` §1.8, §2.5, §5 C5.
//!
//! # One step (a bandit)
//!
//! ```text
//! max_π  Σ_a π(a) Q(a)   s.t.  TVD(π, β) = ½ Σ_a |π(a) − β(a)| <= c
//! optimum: m = min(c, 1 − β(A*)),  A* = argmax Q (over all actions, β(a) = 0 included);
//!          take m from the lowest-Q actions first, give it to argmax Q.
//! V_c = E_β[Q] + Σ_a d_a (Q* − Q(a)),  d = the amounts taken.
//! ```
//!
//! Proof of optimality (a fractional knapsack). Write `π = β + u − d` with `u, d >= 0`, `d <= β`,
//! `Σu = Σd <= c` (any π can be written so, with `Σd = TVD`). The gain is
//! `Σ u_a Q(a) − Σ d_a Q(a) <= Q*·Σu − Σ d_a Q(a) = Σ d_a (Q* − Q(a))`, with equality iff all of `u`
//! sits on argmax Q. Maximising `Σ d_a (Q* − Q(a))` over `0 <= d <= β`, `Σd <= c` is a fractional
//! knapsack with unit weights and values `Q* − Q(a)`: fill from the largest value, i.e. the lowest Q.
//! So the closed form attains the bound, and every optimum puts its added mass on argmax Q —
//! Theorem 2 for one step. The tests cross-check against [`lp`] and a brute-force simplex grid.
//!
//! The KL-constrained optimum is the tilt `π ∝ β·exp(Q/λ)` with `KL(π‖β) = ε`
//! ([`crate::prob::Tilt`]): every action with `Q(a) > E_π[Q]` gains mass, so a non-optimal action
//! gains too, while `β(a) = 0 ⇒ π(a) = 0` (else KL = ∞).
//!
//! # Several steps (a tree MDP)
//!
//! [`TreeMdp`]: decision nodes with a base policy β(·|h), stochastic observations, utilities
//! in `[0, 1]` at the leaves. The TVD between policies is the TVD of the trajectory laws
//! they induce (observations weighted by the environment); the TVD-constrained optimum is a linear
//! program in the sequence form (realisation plans `x(h,a) = Π π(a_s|h_s)` along the path):
//!
//! ```text
//! max Σ_leaves ρ(ℓ) U(ℓ) x(h_ℓ,a_ℓ)   s.t.  Σ_a x(root,a) = 1,  Σ_a x(h,a) = x(parent seq of h),
//!     s_ℓ >= ρ(ℓ)(x(h_ℓ,a_ℓ) − x_β(h_ℓ,a_ℓ)),  Σ_ℓ s_ℓ <= c,  x, s >= 0
//! ```
//! (`ρ(ℓ)` = product of observation probabilities on the path to leaf ℓ; `Σ_ℓ s_ℓ` at the optimum is
//! `Σ (P_π − P_β)⁺ = TVD`), solved by [`lp`]. V-optimality (Def. 7) is
//! `Q*(h,a) = V*(h)` by backward induction.
//!
//! DISCREPANCY (found here; see the checks). Theorem 2 states its conclusion for the conditional
//! probabilities `π(a_t|x_{<2t}) > β(a_t|x_{<2t})`. At the first step (`t = k`) that is what the
//! proof shows. At later steps the proof moves mass from a continuation "with π-probability above
//! β's" — true for the conditional law but not for the trajectory law the constraint measures, when
//! π reaches `x_{<2t}` less often than β does. [`counterexample_conditional`] is a deterministic
//! two-step tree where the TVD optimum raises `π(a|h)` above `β(a|h)` for a non-optimal `a`
//! (because it removed mass from a worse sibling, not because it added mass to `a`). What holds, and
//! what is checked over random trees, is the joint form: `P_π(h, a) > P_β(h, a)` ⇒ `a` V-optimal at `h`.
//!
//! Reading of the paper's TVD (§1.8): its literal formula sums the action-probability products over
//! all continuation strings, observations included, which for more than one observation sequence is
//! not a distance between distributions; we use the TVD of the trajectory laws under the environment
//! (identical to the literal one when observations are deterministic). The paper's constraint is
//! strict (`< c`); the optimum of the closed constraint `<= c` is the supremum, reported here.

pub mod lp;

use crate::error::{Error, Result};
use crate::numerics::{neumaier_sum, tol, Neumaier, Tolerance};
use crate::prob::{Probs, Tilt};
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};

use lp::{Lp, LpStatus, Sense};

/// Absolute slack used to decide "gains mass" and "is optimal" on LP output (the simplex works
/// to ~1e-12 on these O(1) problems).
pub const GAIN_EPS: f64 = 1e-9;

/// `TVD(p, q) = ½ Σ |p_i − q_i|`, compensated.
///
/// # Errors
/// [`Error::LengthMismatch`].
pub fn tvd(p: &Probs, q: &Probs) -> Result<f64> {
    crate::prob::probs::check_len("p", p.len(), "q", q.len())?;
    Ok(0.5
        * neumaier_sum(
            p.as_slice()
                .iter()
                .zip(q.as_slice())
                .map(|(a, b)| (a - b).abs()),
        ))
}

fn check_budget_c(c: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&c) {
        return Err(Error::OutOfRange {
            name: "TVD budget c",
            value: c,
            range: "[0, 1]",
        });
    }
    Ok(c)
}

/// A one-step decision problem: base policy β and action values Q.
#[derive(Debug, Clone, PartialEq)]
pub struct Bandit {
    base: Probs,
    q: Vec<f64>,
}

/// The TVD-constrained optimum of a [`Bandit`].
#[derive(Debug, Clone, PartialEq)]
pub struct TvdOptimum {
    /// The optimal policy.
    pub policy: Probs,
    /// Its value `E_π[Q]`.
    pub value: f64,
    /// Its TVD to β (= the mass moved).
    pub tvd: f64,
}

/// The KL-constrained optimum of a [`Bandit`].
#[derive(Debug, Clone, PartialEq)]
pub struct KlOptimum {
    /// The optimal policy `π ∝ β·exp(Q/λ)`.
    pub policy: Probs,
    /// The temperature λ that meets the budget (`∞` at budget 0).
    pub lambda: f64,
    /// `E_π[Q]`.
    pub value: f64,
    /// `KL(π‖β)` in nats.
    pub kl: f64,
}

impl Bandit {
    /// Pairs β with Q.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`]; [`Error::NotFinite`] for a non-finite Q (on every action: under
    /// TVD every action can receive mass).
    pub fn new(base: Probs, q: Vec<f64>) -> Result<Self> {
        crate::prob::probs::check_len("base", base.len(), "Q", q.len())?;
        for &v in &q {
            crate::error::finite("Q", v)?;
        }
        Ok(Self { base, q })
    }

    /// The base policy.
    pub fn base(&self) -> &Probs {
        &self.base
    }

    /// The action values.
    pub fn q(&self) -> &[f64] {
        &self.q
    }

    /// `max_a Q(a)` over all actions.
    pub fn q_max(&self) -> f64 {
        self.q.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }

    /// Whether action `a` is optimal (`Q(a) = max Q`, exactly).
    pub fn is_optimal(&self, a: usize) -> bool {
        self.q[a] == self.q_max()
    }

    /// `E_π[Q]`, compensated.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`].
    pub fn value(&self, pi: &Probs) -> Result<f64> {
        pi.expect(&self.q)
    }

    /// The exact TVD-constrained optimum (module docs: move `min(c, 1 − β(A*))` from the lowest-Q
    /// actions to the first action attaining `max Q`).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] unless `0 <= c <= 1` (NaN rejected).
    pub fn tvd_optimum(&self, c: f64) -> Result<TvdOptimum> {
        check_budget_c(c)?;
        let q_max = self.q_max();
        let b = self.base.as_slice();
        let target = self.q.iter().position(|&v| v == q_max).unwrap_or(0);
        let mass_off_argmax = neumaier_sum(
            b.iter()
                .zip(&self.q)
                .filter(|(_, &v)| v < q_max)
                .map(|(p, _)| *p),
        );
        let mut left = c.min(mass_off_argmax);
        let moved = left;
        let mut order: Vec<usize> = (0..b.len()).filter(|&a| self.q[a] < q_max).collect();
        order.sort_by(|&i, &j| self.q[i].total_cmp(&self.q[j]).then(i.cmp(&j)));
        let mut pi = b.to_vec();
        for a in order {
            if left <= 0.0 {
                break;
            }
            let take = left.min(b[a]);
            pi[a] -= take;
            left -= take;
        }
        pi[target] += moved;
        // Exact rounding: the entries still sum to 1 within a few ulps.
        let policy = Probs::new_named("TVD optimum", pi)?;
        let value = self.value(&policy)?;
        let tvd = tvd(&policy, &self.base)?;
        Ok(TvdOptimum { policy, value, tvd })
    }

    /// The TVD-constrained optimum by linear programming (an independent oracle).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a bad `c`; [`Error::Other`] if the LP does not report an optimum.
    pub fn tvd_optimum_lp(&self, c: f64) -> Result<TvdOptimum> {
        check_budget_c(c)?;
        let n = self.q.len();
        // variables: π_0..π_{n-1}, s_0..s_{n-1} with s_a >= π_a − β_a, Σ s <= c.
        let mut obj = self.q.clone();
        obj.extend(std::iter::repeat_n(0.0, n));
        let mut lp = Lp::new(obj)?;
        lp.add_row(
            &(0..n).map(|a| (a, 1.0)).collect::<Vec<_>>(),
            Sense::Eq,
            1.0,
        )?;
        for a in 0..n {
            lp.add_row(
                &[(a, 1.0), (n + a, -1.0)],
                Sense::Le,
                self.base.as_slice()[a],
            )?;
        }
        lp.add_row(
            &(0..n).map(|a| (n + a, 1.0)).collect::<Vec<_>>(),
            Sense::Le,
            c,
        )?;
        let s = lp.maximize()?;
        if s.status != LpStatus::Optimal {
            return Err(Error::Other(format!("bandit TVD LP ended {:?}", s.status)));
        }
        let pi: Vec<f64> = s.x[..n].to_vec();
        let total = neumaier_sum(pi.iter().copied());
        let policy = Probs::new_named("LP optimum", pi.iter().map(|p| p / total).collect())?;
        let value = self.value(&policy)?;
        let tvd = tvd(&policy, &self.base)?;
        Ok(TvdOptimum { policy, value, tvd })
    }

    /// The KL-constrained optimum `π ∝ β·exp(Q/λ)` with `KL(π‖β) = budget` nats.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a negative or NaN budget; [`Error::UnreachableBudget`] at or past
    /// `−ln β(argmax Q on supp β)`.
    pub fn kl_optimum(&self, budget: f64) -> Result<KlOptimum> {
        if budget.is_nan() || budget < 0.0 {
            return Err(Error::OutOfRange {
                name: "KL budget",
                value: budget,
                range: "[0, ∞)",
            });
        }
        let tilt = Tilt::new(&self.base, &self.q)?;
        if budget == 0.0 {
            return Ok(KlOptimum {
                policy: self.base.clone(),
                lambda: f64::INFINITY,
                value: self.value(&self.base)?,
                kl: 0.0,
            });
        }
        let lambda = tilt.beta_for_kl(budget)?;
        let policy = tilt.policy(lambda)?;
        let kl = crate::prob::kl(&policy, &self.base)?;
        Ok(KlOptimum {
            value: self.value(&policy)?,
            policy,
            lambda,
            kl,
        })
    }

    /// Largest KL a tilt can reach: `−ln β(argmax Q restricted to supp β)`.
    ///
    /// # Errors
    /// As [`Tilt::new`].
    pub fn max_kl(&self) -> Result<f64> {
        Ok(Tilt::new(&self.base, &self.q)?.max_kl())
    }
}

/// Actions with `π(a) > β(a) + GAIN_EPS` that are not optimal (Theorem 2 says: none under TVD).
pub fn non_optimal_gainers(b: &Bandit, pi: &Probs) -> Vec<usize> {
    (0..b.q.len())
        .filter(|&a| {
            pi.as_slice()[a] > b.base.as_slice()[a] + GAIN_EPS && b.q[a] < b.q_max() - GAIN_EPS
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tree MDP
// ---------------------------------------------------------------------------------------------

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
pub struct TreeMdp {
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
pub struct TreePolicy {
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
    pub policy: TreePolicy,
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

impl TreeMdp {
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

    /// The base policy β as a [`TreePolicy`].
    pub fn base_policy(&self) -> TreePolicy {
        TreePolicy {
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
    pub fn check_policy(&self, pi: &TreePolicy) -> Result<()> {
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
    /// As [`TreeMdp::check_policy`].
    pub fn realisation(&self, pi: &TreePolicy) -> Result<Vec<f64>> {
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
    /// As [`TreeMdp::check_policy`].
    pub fn joint(&self, pi: &TreePolicy) -> Result<Vec<f64>> {
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
    /// As [`TreeMdp::check_policy`].
    pub fn value(&self, pi: &TreePolicy) -> Result<f64> {
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
    /// As [`TreeMdp::check_policy`].
    pub fn tvd(&self, p: &TreePolicy, q: &TreePolicy) -> Result<f64> {
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
    /// As [`TreeMdp::check_policy`].
    pub fn kl(&self, pi: &TreePolicy, beta: &TreePolicy) -> Result<f64> {
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
        let policy = TreePolicy { probs };
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
    pub fn kl_policy(&self, lambda: f64) -> Result<TreePolicy> {
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
        Ok(TreePolicy { probs })
    }

    /// The KL-constrained optimum with expected trajectory KL `= budget` (bisection on `ln λ`).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a negative/NaN budget; [`Error::UnreachableBudget`] if even
    /// λ = 1e-6 stays below it.
    pub fn kl_optimum(&self, budget: f64) -> Result<(f64, TreePolicy)> {
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
    /// As [`TreeMdp::check_policy`].
    pub fn joint_violations(&self, pi: &TreePolicy) -> Result<Vec<Violation>> {
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
    /// As [`TreeMdp::check_policy`].
    pub fn conditional_violations(&self, pi: &TreePolicy) -> Result<Vec<Violation>> {
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

/// The C5 bandit: β = (0.5, 0.3, 0.2), Q = (0, 0.5, 1).
pub fn c5_bandit() -> Bandit {
    Bandit::new(
        Probs::new(vec![0.5, 0.3, 0.2]).expect("valid"),
        vec![0.0, 0.5, 1.0],
    )
    .expect("valid")
}

/// The C5 bandit with a fourth action that β never plays and that is the best:
/// β = (0.5, 0.3, 0.2, 0), Q = (0, 0.5, 0.8, 1).
pub fn impossible_best_bandit() -> Bandit {
    Bandit::new(
        Probs::new(vec![0.5, 0.3, 0.2, 0.0]).expect("valid"),
        vec![0.0, 0.5, 0.8, 1.0],
    )
    .expect("valid")
}

/// A two-step tree with stochastic observations (used by the checks and the tests):
/// root actions `safe` (U = 0.6 for sure), `gamble` (a coin: heads → node 1, tails → node 2) and
/// `bad` (U = 0.1); β = (0.3, 0.4, 0.3) at the root; node 1 offers `cash` (U = 1, β = 0.2) or
/// `stall` (U = 0.3, β = 0.8); node 2 offers `patch` (U = 0.5, β = 0.5) or `drop` (U = 0, β = 0.5).
pub fn example_tree() -> TreeMdp {
    let leaf = |u: f64| {
        vec![Outcome {
            prob: 1.0,
            child: Child::Leaf(u),
        }]
    };
    TreeMdp::new(vec![
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
pub fn counterexample_conditional() -> TreeMdp {
    let leaf = |u: f64| {
        vec![Outcome {
            prob: 1.0,
            child: Child::Leaf(u),
        }]
    };
    TreeMdp::new(vec![
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

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    let mut v = Vec::new();
    push_all(&mut v, "cohen2024-thm2-bandit", bandit_checks());
    push_all(&mut v, "cohen2024-thm2-tree", tree_checks());
    v
}

fn push_all(v: &mut Vec<Check>, id: &str, r: Result<Vec<Check>>) {
    match r {
        Ok(c) => v.extend(c),
        Err(e) => v.push(Check::failed_to_compute(
            id,
            Paper::Cohen2024,
            "Theorem 2",
            &e,
        )),
    }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn fmt_vec(v: &[f64]) -> String {
    let s: Vec<String> = v.iter().map(|x| format!("{x:.6}")).collect();
    format!("({})", s.join(", "))
}

const THM2: &str = "Theorem 2";

fn bandit_checks() -> Result<Vec<Check>> {
    let b = c5_bandit();
    let mut v = Vec::new();
    let t = b.tvd_optimum(0.1)?;
    let lp = b.tvd_optimum_lp(0.1)?;
    v.push(Check::from(Claim {
        id: "cohen2024-thm2-bandit-tvd-policy".into(),
        paper: Paper::Cohen2024,
        result: THM2.into(),
        statement: "TVD-constrained optimum of the C5 bandit at c = 0.1 moves 0.1 from the Q = 0 action to the Q = 1 action".into(),
        quantity: "max_a |π_TVD(a) − (0.4, 0.3, 0.3)_a|".into(),
        value: max_abs_diff(t.policy.as_slice(), &[0.4, 0.3, 0.3]),
        relation: Relation::Le,
        bound: 0.0,
        tol: Tolerance::abs(1e-15),
        detail: format!("β = (0.5, 0.3, 0.2), Q = (0, 0.5, 1); π_TVD = {} (exact mass moving); spec C5 (computed there): (0.4, 0.3, 0.3)", fmt_vec(t.policy.as_slice())),
    }));
    v.push(Check::from(Claim {
        id: "cohen2024-thm2-bandit-tvd-value".into(),
        paper: Paper::Cohen2024,
        result: THM2.into(),
        statement: "value of the TVD-constrained optimum of the C5 bandit at c = 0.1".into(),
        quantity: "E_π_TVD[Q]".into(),
        value: t.value,
        relation: Relation::Eq,
        bound: 0.45,
        tol: Tolerance::abs(tol::SPEC_PRINTED),
        detail: format!("spec C5: 0.45; LP oracle (two-phase simplex, independent of the closed form): {:.15}; TVD used {:.15}", lp.value, t.tvd),
    }));
    v.push(Check::from(Claim {
        id: "cohen2024-thm2-bandit-tvd-lp-agrees".into(),
        paper: Paper::Cohen2024,
        result: THM2.into(),
        statement: "the closed-form mass-moving optimum equals the LP optimum across budgets c = 0, 0.05, …, 1".into(),
        quantity: "max_c |V_closed(c) − V_LP(c)|".into(),
        value: {
            let mut m: f64 = 0.0;
            for i in 0..=20 {
                let c = f64::from(i) * 0.05;
                m = m.max((b.tvd_optimum(c)?.value - b.tvd_optimum_lp(c)?.value).abs());
            }
            m
        },
        relation: Relation::Le,
        bound: 0.0,
        tol: Tolerance::abs(1e-12),
        detail: "C5 bandit; 21 budgets".into(),
    }));
    let mut gainers = 0usize;
    let mut kl_gainers_nonopt = 0usize;
    for i in 1..=40 {
        let c = f64::from(i) * 0.025;
        gainers += non_optimal_gainers(&b, &b.tvd_optimum_lp(c)?.policy).len();
    }
    for &e in &[0.001, 0.01, 0.05, 0.1, 0.5] {
        kl_gainers_nonopt +=
            usize::from(non_optimal_gainers(&b, &b.kl_optimum(e)?.policy).contains(&1));
    }
    v.push(Check::from(Claim {
        id: "cohen2024-thm2-bandit-tvd-only-optimal-gain".into(),
        paper: Paper::Cohen2024,
        result: THM2.into(),
        statement: "under a TVD constraint only optimal actions gain probability (LP optimum, 40 budgets)".into(),
        quantity: "number of (budget, non-optimal action) pairs with π_TVD(a) > β(a)".into(),
        value: gainers as f64,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: "C5 bandit, c = 0.025, 0.05, …, 1; the LP oracle is used so the closed form's construction cannot decide the answer".into(),
    }));
    for (eps, pi_spec, lam_spec, val_spec) in [
        (0.01, [0.4375, 0.3133, 0.2493], 2.826, 0.4059),
        (0.05, [0.3629, 0.3212, 0.3159], 1.286, 0.4765),
    ] {
        let k = b.kl_optimum(eps)?;
        let tag = if eps == 0.01 { "0.01" } else { "0.05" };
        v.push(Check::from(Claim {
            id: format!("cohen2024-thm2-bandit-kl-{tag}-policy"),
            paper: Paper::Cohen2024,
            result: THM2.into(),
            statement: format!("KL-constrained optimum π ∝ β·exp(Q/λ) of the C5 bandit at KL = {tag} nats"),
            quantity: "max_a |π_KL(a) − spec C5|".into(),
            value: max_abs_diff(k.policy.as_slice(), &pi_spec),
            relation: Relation::Le,
            bound: 5e-5,
            tol: Tolerance::abs(1e-9),
            detail: format!("π_KL = {}, KL = {:.3e}; spec C5 prints 4 decimals ({pi_spec:?}), so the bound is the rounding 5e-5", fmt_vec(k.policy.as_slice()), k.kl),
        }));
        v.push(Check::from(Claim {
            id: format!("cohen2024-thm2-bandit-kl-{tag}-lambda"),
            paper: Paper::Cohen2024,
            result: THM2.into(),
            statement: format!("temperature λ that meets KL = {tag} nats"),
            quantity: "λ".into(),
            value: k.lambda,
            relation: Relation::Eq,
            bound: lam_spec,
            tol: Tolerance::abs(5e-4),
            detail: format!(
                "λ = {:.9} (Tilt::beta_for_kl); spec C5 prints {lam_spec} (3 decimals)",
                k.lambda
            ),
        }));
        v.push(Check::from(Claim {
            id: format!("cohen2024-thm2-bandit-kl-{tag}-value"),
            paper: Paper::Cohen2024,
            result: THM2.into(),
            statement: format!("value of the KL-constrained optimum at KL = {tag} nats"),
            quantity: "E_π_KL[Q]".into(),
            value: k.value,
            relation: Relation::Eq,
            bound: val_spec,
            tol: Tolerance::abs(5e-5),
            detail: format!("value = {:.9}; spec C5 prints {val_spec}; TVD optimum with the same TVD as π_KL ({:.6}) has value {:.6}", k.value, tvd(&k.policy, b.base())?, b.tvd_optimum(tvd(&k.policy, b.base())?)?.value),
        }));
    }
    let k01 = b.kl_optimum(0.01)?;
    v.push(Check::from(Claim {
        id: "cohen2024-thm2-bandit-kl-nonoptimal-gains".into(),
        paper: Paper::Cohen2024,
        result: THM2.into(),
        statement: "under a KL constraint a non-optimal action (Q = 0.5) gains probability".into(),
        quantity: "π_KL(a=1) − β(a=1) at KL = 0.01 nats".into(),
        value: k01.policy.as_slice()[1] - b.base().as_slice()[1],
        relation: Relation::Gt,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!("the Q = 0.5 action gains at {kl_gainers_nonopt} of 5 budgets (0.001 … 0.5 nats): Q(a) > E_π[Q] while the budget is small"),
    }));
    let ib = impossible_best_bandit();
    let kmax = ib.max_kl()?;
    let mut max_impossible_kl: f64 = 0.0;
    for &e in &[0.01, 0.1, 0.5, 0.9 * kmax] {
        max_impossible_kl = max_impossible_kl.max(ib.kl_optimum(e)?.policy.as_slice()[3]);
    }
    v.push(Check::from(Claim {
        id: "cohen2024-thm2-bandit-kl-impossible-stays-impossible".into(),
        paper: Paper::Cohen2024,
        result: THM2.into(),
        statement: "under a KL constraint an action the base never plays keeps probability 0 (else KL = ∞), even when it is the best".into(),
        quantity: "max over KL budgets of π_KL(a) for the action with β(a) = 0".into(),
        value: max_impossible_kl,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!("β = (0.5, 0.3, 0.2, 0), Q = (0, 0.5, 0.8, 1); budgets 0.01, 0.1, 0.5, {:.4} nats (max reachable {kmax:.4} = −ln 0.2)", 0.9 * kmax),
    }));
    let ti = ib.tvd_optimum(0.1)?;
    let ti_lp = ib.tvd_optimum_lp(0.1)?;
    v.push(Check::from(Claim {
        id: "cohen2024-thm2-bandit-tvd-impossible-gains".into(),
        paper: Paper::Cohen2024,
        result: THM2.into(),
        statement: "under a TVD constraint the best action gains probability even when the base never plays it".into(),
        quantity: "π_TVD(a) at c = 0.1 for the action with β(a) = 0".into(),
        value: ti.policy.as_slice()[3],
        relation: Relation::Eq,
        bound: 0.1,
        tol: Tolerance::abs(1e-15),
        detail: format!("π_TVD = {} (closed form), LP oracle {}; KL(π_TVD‖β) = {}", fmt_vec(ti.policy.as_slice()), fmt_vec(ti_lp.policy.as_slice()), crate::prob::kl(&ti.policy, ib.base())?),
    }));
    Ok(v)
}

fn tree_checks() -> Result<Vec<Check>> {
    let mut v = Vec::new();
    let t = example_tree();
    let mut joint = 0usize;
    let mut cond = 0usize;
    let mut detail = String::new();
    for &c in &[0.02, 0.05, 0.1, 0.2, 0.4, 0.7] {
        let o = t.tvd_optimum(c)?;
        joint += t.joint_violations(&o.policy)?.len();
        cond += t.conditional_violations(&o.policy)?.len();
        detail.push_str(&format!(
            "c = {c}: value {:.6}, TVD {:.6}; ",
            o.value, o.tvd
        ));
    }
    v.push(Check::from(Claim {
        id: "cohen2024-thm2-tree-gainers-optimal".into(),
        paper: Paper::Cohen2024,
        result: THM2.into(),
        statement: "in a two-step tree with stochastic observations, every (history, action) whose probability the TVD optimum raises above β's is V-optimal (Def. 7)".into(),
        quantity: "number of (budget, node, action) with P_π(h,a) > P_β(h,a) and Q*(h,a) < V*(h)".into(),
        value: joint as f64,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!("example_tree(), sequence-form LP; {detail}conditional-reading violations on this tree: {cond}"),
    }));
    let mut kl_nonopt = 0usize;
    let (vs, qs) = t.optimal_values();
    let base = t.base_policy();
    let (_lam, pk) = t.kl_optimum(0.05)?;
    let (jp, jb) = (t.joint(&pk)?, t.joint(&base)?);
    for (h, node) in t.nodes().iter().enumerate() {
        for a in 0..node.actions.len() {
            let s = t.seq(h, a);
            if jp[s] > jb[s] + GAIN_EPS && qs[h][a] < vs[h] - GAIN_EPS {
                kl_nonopt += 1;
            }
        }
    }
    v.push(Check::from(Claim {
        id: "cohen2024-thm2-tree-kl-nonoptimal-gains".into(),
        paper: Paper::Cohen2024,
        result: THM2.into(),
        statement: "in the same tree, the KL-constrained optimum (soft backward induction) raises the probability of non-optimal (history, action) pairs".into(),
        quantity: "number of (h, a) with P_π(h,a) > P_β(h,a) and Q*(h,a) < V*(h), at expected trajectory KL 0.05 nats".into(),
        value: kl_nonopt as f64,
        relation: Relation::Ge,
        bound: 1.0,
        tol: Tolerance::abs(0.0),
        detail: "π ∝ β·exp(Q_λ/λ) node by node, λ by bisection on the expected chain-rule KL".into(),
    }));
    let ce = counterexample_conditional();
    let o = ce.tvd_optimum(0.1)?;
    let cv = ce.conditional_violations(&o.policy)?;
    let jv = ce.joint_violations(&o.policy)?;
    v.push(Check::from(Claim {
        id: "cohen2024-thm2-tree-conditional-reading-counterexample".into(),
        paper: Paper::Cohen2024,
        result: THM2.into(),
        statement: "DISCREPANCY: for t > k the printed conditional form fails — the TVD optimum raises π(a1|R) above β(a1|R) although a1 is not V-optimal at R; the joint form P_π(h,a) > P_β(h,a) ⇒ V-optimal holds".into(),
        quantity: "π_TVD(a1|R) − β(a1|R) at c = 0.1 on counterexample_conditional()".into(),
        value: cv.first().map_or(0.0, |x| x.gain),
        relation: Relation::Eq,
        bound: 0.1 / 0.4 - 0.2,
        tol: Tolerance::abs(1e-9),
        detail: format!(
            "root L (U=1, β=.5) / R (β=.5) → a1 (U=.5, β=.2), a2 (U=0, β=.8), a3 (U=.8, β=0); optimum moves 0.1 from R·a2 to L, so π(a1|R) = 0.1/0.4; conditional violations {}, joint violations {} (expected 0); value {:.6}",
            cv.len(),
            jv.len(),
            o.value
        ),
    }));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::tolerance::assert_close;
    use proptest::prelude::*;

    #[test]
    fn c5_values_and_brute_force_grid() {
        let b = c5_bandit();
        let t = b.tvd_optimum(0.1).unwrap();
        assert_close(t.value, 0.45, Tolerance::abs(1e-15));
        // Brute force over the simplex grid of step 1/200 (0.4, 0.3, 0.3 lies on it).
        let n = 200;
        let mut best = f64::NEG_INFINITY;
        for i in 0..=n {
            for j in 0..=(n - i) {
                let p = [
                    i as f64 / n as f64,
                    j as f64 / n as f64,
                    (n - i - j) as f64 / n as f64,
                ];
                let d = 0.5 * ((p[0] - 0.5).abs() + (p[1] - 0.3).abs() + (p[2] - 0.2).abs());
                if d <= 0.1 + 1e-12 {
                    best = best.max(p[1] * 0.5 + p[2]);
                }
            }
        }
        assert_close(best, 0.45, Tolerance::abs(1e-12));
        // KL side: the spec's printed values (spec C5, "computed here").
        let k = b.kl_optimum(0.05).unwrap();
        assert_close(k.kl, 0.05, Tolerance::rel(1e-9));
        assert_close(k.lambda, 1.286, Tolerance::abs(5e-4));
        assert!(k.policy.as_slice()[1] > 0.3);
    }

    #[test]
    fn checks_all_hold() {
        for c in checks(&CheckOptions::default()) {
            assert!(
                c.holds,
                "{} failed: value {} {} {} ({})",
                c.id,
                c.value,
                c.relation.symbol(),
                c.bound,
                c.detail
            );
        }
    }

    #[test]
    fn bad_input_is_typed() {
        let b = c5_bandit();
        for c in [-0.1, 1.5, f64::NAN] {
            assert!(matches!(
                b.tvd_optimum(c),
                Err(Error::OutOfRange {
                    name: "TVD budget c",
                    ..
                })
            ));
            assert!(matches!(
                example_tree().tvd_optimum(c),
                Err(Error::OutOfRange { .. })
            ));
        }
        assert!(matches!(
            b.kl_optimum(f64::NAN),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            b.kl_optimum(10.0),
            Err(Error::UnreachableBudget { .. })
        ));
        assert!(matches!(
            Bandit::new(Probs::uniform(2).unwrap(), vec![0.0]),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            Bandit::new(Probs::uniform(2).unwrap(), vec![0.0, f64::NAN]),
            Err(Error::NotFinite { .. })
        ));
        let leaf = |u: f64| {
            vec![Outcome {
                prob: 1.0,
                child: Child::Leaf(u),
            }]
        };
        assert!(matches!(
            TreeMdp::new(vec![DecisionNode {
                base: vec![1.0],
                actions: vec![leaf(2.0)]
            }]),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            TreeMdp::new(vec![DecisionNode {
                base: vec![0.5, 0.5],
                actions: vec![leaf(0.0)]
            }]),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            TreeMdp::new(vec![DecisionNode {
                base: vec![1.0],
                actions: vec![vec![Outcome {
                    prob: 1.0,
                    child: Child::Node(0)
                }]]
            }]),
            Err(Error::OutOfRange { .. })
        ));
    }

    #[test]
    fn tree_kl_optimum_meets_budget_and_chain_rule() {
        let t = example_tree();
        let (lam, p) = t.kl_optimum(0.05).unwrap();
        assert_close(
            t.kl(&p, &t.base_policy()).unwrap(),
            0.05,
            Tolerance::rel(1e-9),
        );
        assert!(lam > 0.0);
        // The tree's KL of a one-step policy equals the bandit KL on its root.
        let base = t.base_policy();
        assert_eq!(t.kl(&base, &base).unwrap(), 0.0);
    }

    #[test]
    fn deterministic_tree_reduces_to_a_bandit_over_leaves() {
        // In a deterministic tree any leaf distribution is realisable, so the LP optimum value
        // equals the bandit closed form over leaves.
        let ce = counterexample_conditional();
        let leaves = ce.leaves();
        let xb = ce.realisation(&ce.base_policy()).unwrap();
        let lb = Bandit::new(
            Probs::new(leaves.iter().map(|l| l.obs_prob * xb[l.seq]).collect()).unwrap(),
            leaves.iter().map(|l| l.utility).collect(),
        )
        .unwrap();
        for &c in &[0.0, 0.1, 0.3, 0.45, 1.0] {
            assert_close(
                ce.tvd_optimum(c).unwrap().value,
                lb.tvd_optimum(c).unwrap().value,
                Tolerance::abs(1e-12),
            );
        }
    }

    fn bandit_strategy() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, f64)> {
        (2usize..=6)
            .prop_flat_map(|n| {
                (
                    proptest::collection::vec(0.0f64..1.0, n),
                    proptest::collection::vec(0u8..5, n),
                    proptest::collection::vec(any::<bool>(), n),
                    0.0f64..=1.0,
                )
            })
            .prop_map(|(w, q, zero, c)| {
                // some base-impossible actions; coarse Q values so ties occur
                let mut w: Vec<f64> = w
                    .iter()
                    .zip(&zero)
                    .map(|(x, z)| if *z && *x < 0.3 { 0.0 } else { x + 1e-3 })
                    .collect();
                if w.iter().all(|x| *x == 0.0) {
                    w[0] = 1.0;
                }
                (w, q.iter().map(|v| f64::from(*v) / 4.0).collect(), c)
            })
    }

    /// A random two-level tree: root with 2–3 actions, each leading to a leaf or to 1–2
    /// observations that lead to nodes with 2–3 leaf actions.
    fn tree_strategy() -> impl Strategy<Value = TreeMdp> {
        let node = (2usize..=3).prop_flat_map(|k| {
            (
                proptest::collection::vec(0.05f64..1.0, k),
                proptest::collection::vec(0u8..=8, k),
            )
        });
        let branch = (
            any::<bool>(),
            1usize..=2,
            0.1f64..0.9,
            0u8..=8,
            proptest::collection::vec(node, 2),
        );
        ((2usize..=3).prop_flat_map(move |k| {
            (
                proptest::collection::vec(0.05f64..1.0, k),
                proptest::collection::vec(branch.clone(), k),
            )
        }))
        .prop_map(|(rw, branches)| {
            let norm = |w: &[f64]| {
                let s: f64 = w.iter().sum();
                w.iter().map(|x| x / s).collect::<Vec<f64>>()
            };
            let mut nodes = vec![DecisionNode {
                base: norm(&rw),
                actions: Vec::new(),
            }];
            let mut children = Vec::new();
            for (is_leaf, n_obs, p, u, subs) in branches {
                if is_leaf {
                    nodes[0].actions.push(vec![Outcome {
                        prob: 1.0,
                        child: Child::Leaf(f64::from(u) / 8.0),
                    }]);
                    continue;
                }
                let probs = if n_obs == 1 {
                    vec![1.0]
                } else {
                    vec![p, 1.0 - p]
                };
                let mut outs = Vec::new();
                for (o, pr) in probs.iter().enumerate() {
                    let idx = 1 + children.len();
                    let (w, us) = &subs[o];
                    children.push(DecisionNode {
                        base: norm(w),
                        actions: us
                            .iter()
                            .map(|u| {
                                vec![Outcome {
                                    prob: 1.0,
                                    child: Child::Leaf(f64::from(*u) / 8.0),
                                }]
                            })
                            .collect(),
                    });
                    outs.push(Outcome {
                        prob: *pr,
                        child: Child::Node(idx),
                    });
                }
                nodes[0].actions.push(outs);
            }
            nodes.extend(children);
            TreeMdp::new(nodes).expect("strategy builds valid trees")
        })
    }

    /// `PROPTEST_CASES` scales the run (default `n`, small so CI stays fast).
    fn cases(n: u32) -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(n)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(64)))]

        #[test]
        fn bandit_tvd_only_optimal_gain_and_lp_agrees((w, q, c) in bandit_strategy()) {
            let b = Bandit::new(Probs::from_weights("w", &w).unwrap(), q).unwrap();
            let closed = b.tvd_optimum(c).unwrap();
            let lp = b.tvd_optimum_lp(c).unwrap();
            prop_assert!((closed.value - lp.value).abs() <= 1e-10, "closed {} lp {}", closed.value, lp.value);
            prop_assert!(closed.tvd <= c + 1e-12);
            prop_assert!(non_optimal_gainers(&b, &closed.policy).is_empty());
            prop_assert!(non_optimal_gainers(&b, &lp.policy).is_empty());
        }

        #[test]
        fn tree_tvd_gainers_are_v_optimal(t in tree_strategy(), c in 0.0f64..=1.0) {
            let o = t.tvd_optimum(c).unwrap();
            prop_assert!(o.tvd <= c + 1e-9);
            prop_assert!(o.value >= t.value(&t.base_policy()).unwrap() - 1e-12);
            let viol = t.joint_violations(&o.policy).unwrap();
            prop_assert!(viol.is_empty(), "joint violations {:?}", viol);
        }
    }
}
