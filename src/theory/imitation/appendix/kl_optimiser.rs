//! Proposition 8 of Cohen et al. 2024 (KL-regularised optimisers exist): the per-step
//! soft-Bellman policy on the clock world's action tree, and the λ that meets a KL budget.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::numerics::Neumaier;
use crate::theory::imitation::class::clock::{logaddexp, ClockMixture, ClockWorld};
use crate::theory::imitation::class::BasePolicy;

/// `ln ξ(a | 0^k x)` on the binary action tree of depth `n` after `0^k` (heap-numbered:
/// `child(v, a) = 2v + 1 + a`), from the grouped [`ClockMixture`].
///
/// # Errors
/// [`Error::OutOfRange`] for `n` outside `1..=16`.
pub fn clock_action_tree(world: &ClockWorld, k: usize, n: usize) -> Result<Vec<[f64; 2]>> {
    if !(1..=16).contains(&n) {
        return Err(Error::OutOfRange {
            name: "action-tree depth",
            value: n as f64,
            range: "[1, 16]",
        });
    }
    let mut mix = ClockMixture::new(Arc::new(world.clone()));
    mix.ln_prob_extend(&vec![0; k])?;
    let internal = (1usize << n) - 1;
    let mut out = vec![[0.0; 2]; internal];
    fn rec(out: &mut [[f64; 2]], v: usize, mix: &ClockMixture, internal: usize) -> Result<()> {
        if v >= internal {
            return Ok(());
        }
        let lp = mix.ln_predict();
        out[v] = [lp[0], lp[1]];
        for a in 0..2 {
            let mut m = mix.clone();
            m.update(a)?;
            rec(out, 2 * v + 1 + a, &m, internal)?;
        }
        Ok(())
    }
    rec(&mut out, 0, &mix, internal)?;
    Ok(out)
}

/// The soft-Bellman (per-step) KL-regularised policy on an action tree with utility
/// `U = #1/n`: `Q(leaf) = λ·U`, `Q(v) = ln Σ_a ξ(a|v) e^{Q(child)}`,
/// `π(a|v) = ξ(a|v) e^{Q(child) − Q(v)}`. Returns `(E_π[U], KL(π‖ξ))`, both by forward sums
/// over the tree (chain rule).
pub fn soft_bellman(tree: &[[f64; 2]], lambda: f64) -> (f64, f64) {
    let internal = tree.len();
    let n_nodes = 2 * internal + 1;
    let depth = (internal + 1).trailing_zeros() as usize;
    let mut ones = vec![0usize; n_nodes];
    for v in 0..internal {
        for a in 0..2 {
            ones[2 * v + 1 + a] = ones[v] + a;
        }
    }
    let mut q = vec![0.0; n_nodes];
    for v in (0..n_nodes).rev() {
        q[v] = if v >= internal {
            lambda * ones[v] as f64 / depth as f64
        } else {
            logaddexp(tree[v][0] + q[2 * v + 1], tree[v][1] + q[2 * v + 2])
        };
    }
    let mut reach = vec![0.0; n_nodes];
    reach[0] = 1.0;
    let (mut value, mut kl) = (Neumaier::new(), Neumaier::new());
    for v in 0..n_nodes {
        if v >= internal {
            value.add(reach[v] * ones[v] as f64 / depth as f64);
            continue;
        }
        for a in 0..2 {
            let c = 2 * v + 1 + a;
            let ln_pi = tree[v][a] + q[c] - q[v];
            let p = ln_pi.exp();
            reach[c] = reach[v] * p;
            if p > 0.0 {
                kl.add(reach[v] * p * (ln_pi - tree[v][a]));
            }
        }
    }
    (value.total(), kl.total())
}

/// The soft-Bellman policy whose KL equals `budget` (bisection on λ), `(λ, value, KL)`.
///
/// # Errors
/// [`Error::OutOfRange`] for a negative or NaN budget; [`Error::NoConvergence`] if the KL
/// cannot reach the budget (it is then above `−ln ξ(1^n)`).
pub fn soft_bellman_for_budget(tree: &[[f64; 2]], budget: f64) -> Result<(f64, f64, f64)> {
    if budget.is_nan() || budget < 0.0 {
        return Err(Error::OutOfRange {
            name: "KL budget",
            value: budget,
            range: "[0, ∞)",
        });
    }
    let mut hi = 1.0;
    let mut it = 0;
    while soft_bellman(tree, hi).1 < budget {
        hi *= 2.0;
        it += 1;
        if it > 60 {
            return Err(Error::NoConvergence {
                method: "soft-Bellman λ bracket",
                iterations: it,
                residual: budget - soft_bellman(tree, hi).1,
            });
        }
    }
    let mut lo = 0.0;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if soft_bellman(tree, mid).1 < budget {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let lam = 0.5 * (lo + hi);
    let (v, kl) = soft_bellman(tree, lam);
    Ok((lam, v, kl))
}
