//! An exact deterministic-transition tree MDP (a DMRMDP, Kwa et al. 2024 §3.2; spec §1.9).
//!
//! A state is a prefix of actions `a₀a₁…a_{d−1}` (the root is the empty prefix); action `a`
//! moves `s` to `s·a` with probability one; the `b^L` prefixes of length `L` are the sink
//! states, so a trajectory is a leaf. Returns are attached to leaves, hence Markovian. This is
//! the RLHF picture with a vocabulary of `b` tokens and a fixed response length `L`. (Theorem 2
//! of Cohen et al. 2024 needs a different tree, general and with stochastic observations:
//! `theory::imitation::tvd::ObservationTreeMdp`.)
//!
//! ```text
//! Tr(π)(τ)     = Π_{d<L} π(a_d | a_{<d})                       trajectory = leaf τ = a₀…a_{L−1}
//! occ_π(s)     = Pr_{τ∼Tr(π)}(τ passes through s)
//! π_ρ(a | s)   = ρ(s·a) / ρ(s),   ρ(s) = Σ_{leaves τ below s} ρ(τ)   ⇒   Tr(π_ρ) = ρ
//! kl_traj      = Σ_{s internal} occ_π(s)·KL(π(·|s) ‖ π₀(·|s))  = KL(Tr(π) ‖ Tr(π₀))   (chain rule)
//! kl_per_state = E_{T∼Tr(π)} [ (1/|T|)·Σ_{s∈T} KL_s ]          = kl_traj / L
//! ```
//!
//! The paper's policy KL (spec §1.4) is `E_{s∈T, T∼Tr(π)}[KL(π(s)‖π₀(s))]`; both readings are
//! implemented: the sum along the trajectory ([`kl_traj`], which the chain rule makes equal to
//! the trajectory-level KL) and the average over the trajectory's states ([`kl_per_state`]).
//! Every trajectory here visits exactly `L` decision states, so the state average is `kl_traj/L`
//! whether one averages per trajectory or divides by `E[#states]`.
//!
//! Layout: nodes are numbered level by level (heap order): the root is 0, the children of node
//! `i` are `b·i + 1 + a` for `a = 0..b`; internal nodes are `0..n_internal`, leaf `k` (the
//! base-`b` number `a₀a₁…a_{L−1}`, `a₀` most significant) is node `n_internal + k`.
//! Unreachable states (`occ_π(s) = 0`) contribute nothing to either KL (`0·KL = 0`, even where
//! that KL is infinite), as in the definition's expectation over visited states.
use rand::{Rng, RngExt};

use crate::error::{Error, Result};
use crate::numerics::{tol, Neumaier};
use crate::prob::kl::xlogx_excess;
use crate::prob::Probs;

/// Largest number of leaves a [`TreeShape`] accepts (`2^22`, about 4·10⁶ trajectories).
pub const MAX_LEAVES: usize = 1 << 22;

/// Depth `L >= 1` and branching `b >= 2` of a complete tree, validated once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeShape {
    depth: usize,
    branching: usize,
    n_leaves: usize,
    n_internal: usize,
}

impl TreeShape {
    /// A complete `branching`-ary tree of `depth` decision steps.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] if `depth == 0`, `branching < 2` or `branching^depth` exceeds
    /// [`MAX_LEAVES`].
    pub fn new(depth: usize, branching: usize) -> Result<Self> {
        if depth == 0 {
            return Err(Error::OutOfRange {
                name: "tree depth",
                value: 0.0,
                range: "[1, 22]",
            });
        }
        if branching < 2 {
            return Err(Error::OutOfRange {
                name: "tree branching",
                value: branching as f64,
                range: "[2, 2^22]",
            });
        }
        let n_leaves = u32::try_from(depth)
            .ok()
            .and_then(|d| branching.checked_pow(d))
            .filter(|&n| n <= MAX_LEAVES)
            .ok_or(Error::OutOfRange {
                name: "number of leaves branching^depth",
                value: (branching as f64).powf(depth as f64),
                range: "[2, 2^22]",
            })?;
        // 1 + b + … + b^{L−1} = (b^L − 1)/(b − 1)
        let n_internal = (n_leaves - 1) / (branching - 1);
        Ok(Self {
            depth,
            branching,
            n_leaves,
            n_internal,
        })
    }

    /// Number of decision steps `L` (every trajectory has `L` non-sink states).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of actions `b` per state.
    pub fn branching(&self) -> usize {
        self.branching
    }

    /// Number of leaves (trajectories) `b^L`.
    pub fn n_leaves(&self) -> usize {
        self.n_leaves
    }

    /// Number of internal (decision) states `(b^L − 1)/(b − 1)`.
    pub fn n_internal(&self) -> usize {
        self.n_internal
    }

    /// Node id of the child reached from internal node `node` by action `a`.
    pub fn child(&self, node: usize, a: usize) -> usize {
        self.branching * node + 1 + a
    }

    /// The actions `a₀…a_{L−1}` that lead from the root to leaf `leaf` (`< n_leaves`).
    pub fn leaf_path(&self, leaf: usize) -> Vec<usize> {
        let mut path = vec![0; self.depth];
        let mut k = leaf;
        for slot in path.iter_mut().rev() {
            *slot = k % self.branching;
            k /= self.branching;
        }
        path
    }
}

/// A stochastic policy on a [`TreeShape`]: one distribution over the `b` actions per internal
/// state, validated once.
#[derive(Debug, Clone, PartialEq)]
pub struct TreePolicy {
    shape: TreeShape,
    /// `probs[node·b + a] = π(a | node)` for internal nodes in heap order.
    probs: Vec<f64>,
}

impl TreePolicy {
    /// A policy from its action probabilities, `probs[node·b + a] = π(a | node)`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] unless `probs.len() == n_internal·b`; [`Error::NotAProbability`]
    /// for a negative or non-finite entry (index into `probs`); [`Error::NotNormalised`] if a row
    /// misses 1 by more than [`tol::SIMPLEX`].
    pub fn new(shape: TreeShape, probs: Vec<f64>) -> Result<Self> {
        let b = shape.branching;
        if probs.len() != shape.n_internal * b {
            return Err(Error::LengthMismatch {
                left: "policy probabilities",
                left_len: probs.len(),
                right: "internal states × actions",
                right_len: shape.n_internal * b,
            });
        }
        for (index, &value) in probs.iter().enumerate() {
            if !(value >= 0.0) || !value.is_finite() {
                return Err(Error::NotAProbability {
                    name: "policy",
                    index,
                    value,
                });
            }
        }
        for row in probs.chunks_exact(b) {
            let sum = crate::numerics::neumaier_sum(row.iter().copied());
            if !((sum - 1.0).abs() <= tol::SIMPLEX) {
                return Err(Error::NotNormalised {
                    name: "policy row π(·|s)",
                    sum,
                    tolerance: tol::SIMPLEX,
                });
            }
        }
        Ok(Self { shape, probs })
    }

    /// The uniform policy `π(a|s) = 1/b`.
    pub fn uniform(shape: TreeShape) -> Self {
        let p = 1.0 / shape.branching as f64;
        Self {
            shape,
            probs: vec![p; shape.n_internal * shape.branching],
        }
    }

    /// The policy whose trajectory distribution is `rho` (Theorem 3's construction):
    /// `π(a|s) = ρ(s·a)/ρ(s)` with prefix masses `ρ(s)` summed bottom-up (compensated), and
    /// `fallback`'s row where `ρ(s) = 0` (such states are never visited, so the choice changes
    /// neither `Tr(π)` nor the KLs).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `rho` does not have one entry per leaf or `fallback` is on
    /// another shape.
    pub fn from_leaf_distribution(
        shape: TreeShape,
        rho: &Probs,
        fallback: &TreePolicy,
    ) -> Result<Self> {
        if rho.len() != shape.n_leaves {
            return Err(Error::LengthMismatch {
                left: "leaf distribution ρ",
                left_len: rho.len(),
                right: "leaves",
                right_len: shape.n_leaves,
            });
        }
        if fallback.shape != shape {
            return Err(Error::LengthMismatch {
                left: "fallback policy states",
                left_len: fallback.shape.n_internal,
                right: "tree states",
                right_len: shape.n_internal,
            });
        }
        let b = shape.branching;
        let mut probs = vec![0.0; shape.n_internal * b];
        // masses of the level below, starting with the leaves
        let mut below: Vec<f64> = rho.as_slice().to_vec();
        let mut level_size = shape.n_leaves / b;
        let mut level_offset = shape.n_internal - level_size;
        loop {
            let mut here = Vec::with_capacity(level_size);
            for k in 0..level_size {
                let children = &below[k * b..(k + 1) * b];
                let mut m = Neumaier::new();
                m.extend(children.iter().copied());
                let mass = m.total();
                let node = level_offset + k;
                let row = &mut probs[node * b..(node + 1) * b];
                if mass > 0.0 {
                    for (r, &c) in row.iter_mut().zip(children) {
                        *r = c / mass;
                    }
                } else {
                    row.copy_from_slice(fallback.action_probs(node));
                }
                here.push(mass);
            }
            if level_offset == 0 {
                break;
            }
            below = here;
            level_size /= b;
            level_offset -= level_size;
        }
        Ok(Self { shape, probs })
    }

    /// The tree this policy acts on.
    pub fn shape(&self) -> TreeShape {
        self.shape
    }

    /// `π(·|node)` for an internal node (`node < n_internal`).
    pub fn action_probs(&self, node: usize) -> &[f64] {
        let b = self.shape.branching;
        &self.probs[node * b..(node + 1) * b]
    }

    /// All action probabilities, `[node·b + a]`.
    pub fn as_slice(&self) -> &[f64] {
        &self.probs
    }

    /// State occupancy `occ_π(s)` for every node (internal nodes first, then the leaves), by one
    /// forward pass: `occ(root) = 1`, `occ(s·a) = occ(s)·π(a|s)`.
    pub fn occupancy(&self) -> Vec<f64> {
        let s = self.shape;
        let mut occ = vec![0.0; s.n_internal + s.n_leaves];
        occ[0] = 1.0;
        for node in 0..s.n_internal {
            let o = occ[node];
            for (a, &p) in self.action_probs(node).iter().enumerate() {
                occ[s.child(node, a)] = o * p;
            }
        }
        occ
    }

    /// The trajectory distribution `Tr(π)` over leaves (products of step probabilities).
    ///
    /// # Errors
    /// [`Error::NotNormalised`] if the rows' rounding adds up past [`tol::SIMPLEX`] (never for
    /// rows normalised in `f64`).
    pub fn trajectory_distribution(&self) -> Result<Probs> {
        let occ = self.occupancy();
        Probs::new_named("Tr(π)", occ[self.shape.n_internal..].to_vec())
    }

    /// Draws one trajectory (its leaf index) by walking down the tree with `rng`.
    pub fn sample_leaf<R: Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let s = self.shape;
        let mut node = 0;
        while node < s.n_internal {
            let u: f64 = rng.random();
            let row = self.action_probs(node);
            let mut acc = 0.0;
            let mut chosen = s.branching - 1;
            for (a, &p) in row.iter().enumerate() {
                acc += p;
                if u < acc {
                    chosen = a;
                    break;
                }
            }
            // skip zero-probability actions picked only through rounding at the top end
            while row[chosen] == 0.0 && chosen > 0 {
                chosen -= 1;
            }
            node = s.child(node, chosen);
        }
        node - s.n_internal
    }
}

/// `KL(p‖q)` for one action distribution, with the conventions of [`fn@crate::prob::kl`]
/// (`0·ln(0/q) = 0`, `p > 0 = q` gives `+∞`) and its cancellation-free form
/// `Σ q·g(p/q) + Σ(p − q)`; written here to avoid allocating one `Probs` per state.
fn row_kl(p: &[f64], q: &[f64]) -> f64 {
    let (mut s, mut mass) = (Neumaier::new(), Neumaier::new());
    for (&pi, &qi) in p.iter().zip(q) {
        if pi > 0.0 && qi == 0.0 {
            return f64::INFINITY;
        }
        mass.add(pi);
        mass.add(-qi);
        if qi > 0.0 {
            s.add(qi * xlogx_excess((pi - qi) / qi));
        }
    }
    s.add(mass.total());
    s.total().max(0.0)
}

fn same_shape(pi: &TreePolicy, pi0: &TreePolicy) -> Result<()> {
    if pi.shape != pi0.shape {
        return Err(Error::LengthMismatch {
            left: "policy π states",
            left_len: pi.probs.len(),
            right: "base policy π₀ states",
            right_len: pi0.probs.len(),
        });
    }
    Ok(())
}

/// `Σ_s occ_π(s)·KL(π(·|s) ‖ π₀(·|s))` over internal states: the per-step KL summed along the
/// trajectory and averaged over `T ∼ Tr(π)`, equal to `KL(Tr(π) ‖ Tr(π₀))` by the chain rule.
///
/// # Errors
/// [`Error::LengthMismatch`] if the policies live on different trees.
pub fn kl_traj(pi: &TreePolicy, pi0: &TreePolicy) -> Result<f64> {
    same_shape(pi, pi0)?;
    let occ = pi.occupancy();
    let mut s = Neumaier::new();
    for (node, &o) in occ[..pi.shape.n_internal].iter().enumerate() {
        if o > 0.0 {
            let k = row_kl(pi.action_probs(node), pi0.action_probs(node));
            if k == f64::INFINITY {
                return Ok(f64::INFINITY);
            }
            s.add(o * k);
        }
    }
    Ok(s.total())
}

/// The paper's per-state reading `E_{T∼Tr(π)}[(1/|T|)·Σ_{s∈T} KL(π(s)‖π₀(s))]`; every
/// trajectory of the tree has `|T| = L` decision states, so this is `kl_traj / L`.
///
/// # Errors
/// As [`kl_traj`].
pub fn kl_per_state(pi: &TreePolicy, pi0: &TreePolicy) -> Result<f64> {
    Ok(kl_traj(pi, pi0)? / pi.shape.depth as f64)
}

/// A tree DMRMDP: a shape, a base policy `π₀` and one return per leaf.
#[derive(Debug, Clone)]
pub struct TreeMdp {
    base: TreePolicy,
    returns: Vec<f64>,
}

impl TreeMdp {
    /// Pairs a base policy with leaf returns `g` (leaf order as in [`TreeShape::leaf_path`]).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] unless there is one return per leaf; [`Error::NotFinite`] for
    /// a non-finite return.
    pub fn new(base: TreePolicy, returns: Vec<f64>) -> Result<Self> {
        if returns.len() != base.shape.n_leaves {
            return Err(Error::LengthMismatch {
                left: "leaf returns",
                left_len: returns.len(),
                right: "leaves",
                right_len: base.shape.n_leaves,
            });
        }
        if let Some(&value) = returns.iter().find(|g| !g.is_finite()) {
            return Err(Error::NotFinite {
                name: "leaf return",
                value,
            });
        }
        Ok(Self { base, returns })
    }

    /// The tree.
    pub fn shape(&self) -> TreeShape {
        self.base.shape
    }

    /// The base policy `π₀`.
    pub fn base(&self) -> &TreePolicy {
        &self.base
    }

    /// The leaf returns `g`.
    pub fn returns(&self) -> &[f64] {
        &self.returns
    }

    /// `E_{τ∼Tr(π)}[g(τ)]`, compensated.
    ///
    /// # Errors
    /// As [`TreePolicy::trajectory_distribution`]; [`Error::LengthMismatch`] if `pi` is on
    /// another tree.
    pub fn expected_return(&self, pi: &TreePolicy) -> Result<f64> {
        same_shape(pi, &self.base)?;
        pi.trajectory_distribution()?.expect(&self.returns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};
    use crate::prob::kl;
    use proptest::prelude::*;

    #[test]
    fn shape_counts_and_paths() {
        let s = TreeShape::new(3, 3).unwrap();
        assert_eq!((s.n_leaves(), s.n_internal()), (27, 13));
        assert_eq!(s.leaf_path(0), vec![0, 0, 0]);
        assert_eq!(s.leaf_path(26), vec![2, 2, 2]);
        assert_eq!(s.leaf_path(5), vec![0, 1, 2]);
        // walking the path from the root lands on node n_internal + leaf
        let mut node = 0;
        for a in s.leaf_path(5) {
            node = s.child(node, a);
        }
        assert_eq!(node, s.n_internal() + 5);
    }

    #[test]
    fn bad_shapes_are_rejected_by_name() {
        assert!(matches!(
            TreeShape::new(0, 2),
            Err(Error::OutOfRange {
                name: "tree depth",
                ..
            })
        ));
        assert!(matches!(
            TreeShape::new(3, 1),
            Err(Error::OutOfRange {
                name: "tree branching",
                ..
            })
        ));
        assert!(matches!(
            TreeShape::new(23, 2),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            TreeShape::new(usize::MAX, 2),
            Err(Error::OutOfRange { .. })
        ));
        assert!(TreeShape::new(22, 2).is_ok());
    }

    #[test]
    fn bad_policies_are_rejected() {
        let s = TreeShape::new(1, 2).unwrap();
        assert!(matches!(
            TreePolicy::new(s, vec![0.5]),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            TreePolicy::new(s, vec![1.5, -0.5]),
            Err(Error::NotAProbability { index: 1, .. })
        ));
        assert!(matches!(
            TreePolicy::new(s, vec![0.5, 0.6]),
            Err(Error::NotNormalised { .. })
        ));
        assert!(matches!(
            TreePolicy::new(s, vec![f64::NAN, 1.0]),
            Err(Error::NotAProbability { index: 0, .. })
        ));
        let pi0 = TreePolicy::uniform(s);
        assert!(matches!(
            TreeMdp::new(pi0.clone(), vec![1.0]),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            TreeMdp::new(pi0, vec![1.0, f64::INFINITY]),
            Err(Error::NotFinite { .. })
        ));
    }

    #[test]
    fn depth_two_by_hand() {
        // π(·|root) = (0.25, 0.75); π(·|0) = (0.5, 0.5); π(·|1) = (1, 0).
        let s = TreeShape::new(2, 2).unwrap();
        let pi = TreePolicy::new(s, vec![0.25, 0.75, 0.5, 0.5, 1.0, 0.0]).unwrap();
        let tr = pi.trajectory_distribution().unwrap();
        assert_eq!(tr.as_slice(), &[0.125, 0.125, 0.75, 0.0]);
        let pi0 = TreePolicy::uniform(s);
        // chain rule by hand: KL_root + 0.25·KL(½,½‖½,½) + 0.75·KL(1,0‖½,½)
        let expected = (0.25f64 * (0.5f64).ln() + 0.75 * (1.5f64).ln()) + 0.75 * 2f64.ln();
        assert_close(kl_traj(&pi, &pi0).unwrap(), expected, Tolerance::rel(1e-15));
        assert_close(
            kl_per_state(&pi, &pi0).unwrap(),
            expected / 2.0,
            Tolerance::rel(1e-15),
        );
        let leaf_kl = kl(&tr, &pi0.trajectory_distribution().unwrap()).unwrap();
        assert_close(leaf_kl, expected, Tolerance::rel(1e-15));
        // the reverse direction puts mass where π has none: infinite, not NaN
        assert_eq!(kl_traj(&pi0, &pi).unwrap(), f64::INFINITY);
        // unreachable states do not count: π₀ deviates only below the unreachable node 3's sibling
        let mdp = TreeMdp::new(pi0.clone(), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_close(
            mdp.expected_return(&pi).unwrap(),
            0.125 + 0.25 + 2.25,
            Tolerance::rel(1e-15),
        );
        assert_close(
            mdp.expected_return(&pi0).unwrap(),
            2.5,
            Tolerance::rel(1e-15),
        );
    }

    #[test]
    fn unreachable_states_use_the_fallback_and_cost_nothing() {
        let s = TreeShape::new(2, 2).unwrap();
        let rho = Probs::new(vec![0.0, 0.0, 0.3, 0.7]).unwrap();
        let pi0 = TreePolicy::uniform(s);
        let pi = TreePolicy::from_leaf_distribution(s, &rho, &pi0).unwrap();
        assert_eq!(pi.action_probs(1), pi0.action_probs(1));
        assert_eq!(pi.action_probs(0), &[0.0, 1.0]);
        assert_eq!(
            pi.trajectory_distribution().unwrap().as_slice(),
            rho.as_slice()
        );
        let expected = kl(&rho, &pi0.trajectory_distribution().unwrap()).unwrap();
        assert_close(kl_traj(&pi, &pi0).unwrap(), expected, Tolerance::rel(1e-15));
    }

    #[test]
    fn row_kl_agrees_with_prob_kl() {
        for (p, q) in [
            (vec![0.3, 0.7], vec![0.5, 0.5]),
            (vec![0.0, 0.2, 0.8], vec![0.1, 0.1, 0.8]),
            (
                vec![0.5 + 2f64.powi(-30), 0.5 - 2f64.powi(-30)],
                vec![0.5, 0.5],
            ),
        ] {
            let reference = kl(
                &Probs::new(p.clone()).unwrap(),
                &Probs::new(q.clone()).unwrap(),
            )
            .unwrap();
            assert_close(row_kl(&p, &q), reference, Tolerance::rel(1e-15));
        }
        assert_eq!(row_kl(&[0.5, 0.5], &[1.0, 0.0]), f64::INFINITY);
    }

    #[test]
    fn sampling_matches_the_trajectory_distribution() {
        // 20 000 draws: each leaf frequency within tol::MC_Z binomial standard errors.
        let s = TreeShape::new(2, 3).unwrap();
        let rho = Probs::new(vec![0.05, 0.1, 0.05, 0.2, 0.0, 0.1, 0.3, 0.1, 0.1]).unwrap();
        let pi = TreePolicy::from_leaf_distribution(s, &rho, &TreePolicy::uniform(s)).unwrap();
        let mut rng = crate::sim::seeds::stream_rng(7, "test/tree/sample");
        let n = 20_000;
        let mut counts = [0usize; 9];
        for _ in 0..n {
            counts[pi.sample_leaf(&mut rng)] += 1;
        }
        assert_eq!(counts[4], 0);
        for (c, &p) in counts.iter().zip(rho.as_slice()) {
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (*c as f64 / n as f64 - p).abs() <= tol::MC_Z * se + 1e-12,
                "{c} vs {p}"
            );
        }
    }

    /// A random tree shape: depth 1–5, branching 2–3.
    fn shape() -> impl Strategy<Value = TreeShape> {
        (1usize..=5, 2usize..=3).prop_map(|(d, b)| TreeShape::new(d, b).unwrap())
    }

    /// A random policy on `s`: each row normalised from weights in [0.01, 1] (so π₀ has full
    /// support and every KL is finite).
    fn policy(s: TreeShape) -> impl Strategy<Value = TreePolicy> {
        proptest::collection::vec(0.01f64..1.0, s.n_internal() * s.branching()).prop_map(move |w| {
            let b = s.branching();
            let mut p = w.clone();
            for (row, wr) in p.chunks_exact_mut(b).zip(w.chunks_exact(b)) {
                let t: f64 = wr.iter().sum();
                for x in row.iter_mut() {
                    *x /= t;
                }
            }
            TreePolicy::new(s, p).unwrap()
        })
    }

    /// A random leaf distribution on `s`, some leaves with zero mass.
    fn leaf_distribution(s: TreeShape) -> impl Strategy<Value = Probs> {
        proptest::collection::vec(prop_oneof![1 => Just(0.0), 4 => 1e-6f64..1.0], s.n_leaves())
            .prop_filter("some mass", |w| w.iter().any(|&x| x > 0.0))
            .prop_map(|w| Probs::from_weights("ρ", &w).unwrap())
    }

    /// Two exact computations of one KL agree to `EXACT_REL` relative, plus an absolute floor of
    /// 16 ulp of 1: a KL of ~1e-4 is a sum of terms of order 1 that cancel, so each side carries
    /// rounding of order `f64::EPSILON` in absolute terms (seen: 7.0e-5 vs 7.0e-5 + 1.7e-16, i.e.
    /// 2.4e-12 relative, with `EXACT_REL` = 1e-12).
    fn kl_tolerance(kl: f64) -> f64 {
        tol::EXACT_REL * kl + 16.0 * f64::EPSILON
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn chain_rule_on_random_trees((pi, pi0) in shape().prop_flat_map(|s| (policy(s), policy(s)))) {
            let lhs = kl_traj(&pi, &pi0).unwrap();
            let rhs = kl(&pi.trajectory_distribution().unwrap(), &pi0.trajectory_distribution().unwrap()).unwrap();
            prop_assert!((lhs - rhs).abs() <= kl_tolerance(rhs), "{lhs} vs {rhs}");
            let per_state = kl_per_state(&pi, &pi0).unwrap();
            prop_assert!(per_state <= lhs);
        }

        #[test]
        fn trajectory_of_policy_from_rho_is_rho(
            (s, rho, pi0) in shape().prop_flat_map(|s| (Just(s), leaf_distribution(s), policy(s)))
        ) {
            let pi = TreePolicy::from_leaf_distribution(s, &rho, &pi0).unwrap();
            let tr = pi.trajectory_distribution().unwrap();
            for (&a, &b) in tr.as_slice().iter().zip(rho.as_slice()) {
                prop_assert!((a - b).abs() <= tol::EXACT_REL * b, "{a} vs {b}");
            }
            // chain rule also holds for the constructed policy (π₀ has full support)
            let lhs = kl_traj(&pi, &pi0).unwrap();
            let rhs = kl(&rho, &pi0.trajectory_distribution().unwrap()).unwrap();
            prop_assert!((lhs - rhs).abs() <= kl_tolerance(rhs), "{lhs} vs {rhs}");
        }
    }
}
