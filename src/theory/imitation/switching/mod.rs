//! Theorem 1 of Cohen et al. 2024, made numerical: the KL cost of switching to a simple unprecedented behaviour, and
//! the KL-budgeted agent that waits and then switches (checks C2, C3; spec §2.2, §5).
//!
//! **Definition 2** (KL over a block of actions, worst case over *fixed* observation sequences):
//!
//! ```text
//! KL_{h,m}(π‖β) = max_{o_{k:m}} Σ_{a_{k:m}} Π_t π(a_t|·) · ln( Π_t π(a_t|·) / Π_t β(a_t|·) )
//! ```
//!
//! computed exactly by [`def2_kl`] (enumeration; small horizons). For a deterministic policy in an
//! action-only world it is `−ln β(its actions | h)`.
//!
//! **Theorem 1 in the clock world** (C2). After `0^{t−1}` the event "time = t" is unprecedented.
//! The policy π* "play 1 from t on" has, for every horizon n,
//!
//! ```text
//! KL(π*‖ξ) = −ln ξ(1^n | 0^{t−1}) ≤ Δ·ln 2 − ln W_base(0^{t−1}),   Δ = γ(t) + 4 bits
//! ```
//!
//! because each `B_j` has a switched copy `S_{j,t}` with prior ratio `2^{−Δ}` whose posterior ratio
//! is unchanged by the history (the copies agree with `B_j` before t), and `W_base` is the posterior
//! mass of the models that have copies (the closure caveat of spec §2.2). The proof's last line
//! gives `Δ·ln 2` nats; the paper prints `Δ/ln 2` (**ERRATUM**, looser by `1/(ln 2)² ≈ 2.08`): the
//! checks test the tight form and report both. With only Bernoulli models every 1 costs at least
//! `ln 2` (`ξ(1|h) ≤ max_j q_j = ½`), so that KL grows linearly in n; against the demonstrator
//! `B_0` it is `+∞`.
//!
//! **The KL-budgeted agent** (C3). Acting at times `k+1 … k+n` after `0^k`, with utility
//! `U = (#ones)/n` and lifetime budget `KL(π‖ξ(·|0^k)) ≤ b`, the exact optimum over *all* (history
//! dependent, stochastic) policies is the Gibbs tilt of ξ's sequence law:
//!
//! ```text
//! π_λ(x) ∝ ξ(x | 0^k)·e^{λ·#1(x)},  λ ≥ 0 with KL(π_λ‖ξ) = b  (value 1 once b ≥ −ln ξ(1^n|0^k))
//! ```
//!
//! *Why this is exact.* In an action-only world a policy is the same thing as a distribution
//! over action sequences (its conditionals), so the problem is `max E_π[U]` over distributions π
//! on `{0,1}^n` with `KL(π‖ξ) ≤ b`. For any such π and any λ > 0 the Gibbs variational
//! inequality (Donsker–Varadhan) gives `λ·E_π[#1] ≤ KL(π‖ξ) + ln E_ξ[e^{λ#1}] ≤ b + ln Z(λ)`, and
//! the tilt attains equality: `KL(π_λ‖ξ) = λ·E_λ[#1] − ln Z(λ)`. Choosing λ with
//! `KL(π_λ‖ξ) = b` (possible for every `b < −ln ξ(1^n|0^k)` because `dKL/dλ = λ·Var_λ(#1) > 0`)
//! makes π_λ optimal. No dynamic programme over (time, budget) is needed: the Lagrangian
//! solution is already the exact optimum of the expected-KL (Definition 2) problem.
//!
//! Since `U` depends on the count only, everything is a
//! function of the count's moment generating function under ξ, which is a finite sum over
//! posterior components in closed form: `B_j` (merged with the switch times beyond the horizon)
//! gives `(1−q_j+q_j e^λ)^n`, and `S_{j,T}` with `k < T ≤ k+n` gives
//! `(1−q_j+q_j e^λ)^{T−k−1}·e^{λ(k+n−T+1)}` ([`CountTilt`], O(J·n) per λ, linear in the horizon). The **wait-then-switch** family (play 0 until T−1, then 1; deterministic, so
//! `KL = −ln ξ(0^{T−k−1} 1^{k+n−T+1} | 0^k)`) is computed for every T by a backward recursion
//! ([`switch_family`]); it is feasible for the tilt's problem, so its value never exceeds the tilt's.
//! With the Elias-gamma time code the cost grows with T, so the family switches at `k+1` if it can
//! afford it; with the rich code of Proposition 2 the cheapest switch is at a simple time (a power)
//! and costs `≈ (ℓ(T)+4)·ln 2` nats whatever k is.

pub mod checks;
#[cfg(test)]
mod tests;

pub use checks::{checks, RICH_KS, RICH_T_MAX};
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::numerics::roots::newton_bisect;
use crate::numerics::{logsumexp, Neumaier};
use crate::theory::imitation::class::clock::{
    logaddexp, ClockMixture, ClockSpec, ClockWorld, TimeCode,
};
use crate::theory::imitation::class::{BasePolicy, FixedPolicy, Layout, Role, Rule, SeqModel};

use std::f64::consts::LN_2 as LN2;

/// Largest number of (action, observation) leaves [`def2_kl`] will enumerate.
pub const DEF2_MAX_LEAVES: f64 = 1e7;

/// Definition 2: `max_{o} Σ_a π(a)·ln(π(a)/β(a))` over the next `steps` actions, with the
/// observations between them fixed in advance (exact enumeration).
///
/// `pi` may be a semi-distribution; actions it gives probability 0 are skipped; an action with
/// `π > 0 = β` makes the KL `+∞`.
///
/// # Errors
/// [`Error::NotPositive`] for `steps == 0` (horizon 0); [`Error::Config`] if the layouts or the
/// histories of `pi` and `beta` differ, or the next position is not an action;
/// [`Error::TooLarge`] if the enumeration would exceed [`DEF2_MAX_LEAVES`].
pub fn def2_kl(pi: &dyn BasePolicy, beta: &dyn BasePolicy, steps: usize) -> Result<f64> {
    if steps == 0 {
        return Err(Error::NotPositive {
            name: "horizon (action steps)",
            value: 0.0,
        });
    }
    let layout = pi.layout();
    if layout != beta.layout() {
        return Err(Error::Config("π and β have different layouts".into()));
    }
    if pi.history() != beta.history() {
        return Err(Error::Config(
            "π and β must be conditioned on the same history".into(),
        ));
    }
    if pi.history().next_role() != Role::Action {
        return Err(Error::Config(
            "Definition 2 starts at an action position".into(),
        ));
    }
    let n_obs = layout.observations.unwrap_or(1);
    let leaves = (layout.actions as f64).powi(steps as i32) * (n_obs as f64).powi(steps as i32 - 1);
    if leaves > DEF2_MAX_LEAVES {
        return Err(Error::TooLarge {
            name: "Definition 2 horizon",
            value: steps as f64,
            needed: format!("{leaves:.3e} enumerated sequences"),
            limit: format!("{DEF2_MAX_LEAVES:e}"),
        });
    }
    let obs_count = if layout.observations.is_some() {
        steps - 1
    } else {
        0
    };
    let n_seq = n_obs.pow(obs_count as u32);
    let mut worst = f64::NEG_INFINITY;
    for code in 0..n_seq {
        let mut obs = Vec::with_capacity(obs_count);
        let mut c = code;
        for _ in 0..obs_count {
            obs.push(c % n_obs);
            c /= n_obs;
        }
        let kl = def2_rec(pi, beta, &obs, 0, steps)?;
        worst = worst.max(kl);
        if worst == f64::INFINITY {
            break;
        }
    }
    Ok(worst)
}

fn def2_rec(
    pi: &dyn BasePolicy,
    beta: &dyn BasePolicy,
    obs: &[usize],
    i: usize,
    steps: usize,
) -> Result<f64> {
    let lp = pi.ln_predict();
    let lb = beta.ln_predict();
    let mut s = Neumaier::new();
    for a in 0..lp.len() {
        if lp[a] == f64::NEG_INFINITY {
            continue;
        }
        if lb[a] == f64::NEG_INFINITY {
            return Ok(f64::INFINITY);
        }
        let mut term = lp[a] - lb[a];
        if i + 1 < steps {
            let mut p2 = pi.clone_box();
            let mut b2 = beta.clone_box();
            p2.update(a)?;
            b2.update(a)?;
            if pi.layout().observations.is_some() {
                p2.update(obs[i])?;
                b2.update(obs[i])?;
            }
            let rest = def2_rec(p2.as_ref(), b2.as_ref(), obs, i + 1, steps)?;
            if rest == f64::INFINITY {
                return Ok(f64::INFINITY);
            }
            term += rest;
        }
        s.add(lp[a].exp() * term);
    }
    Ok(s.total())
}

/// A policy that always plays `symbol`, conditioned on `history` (action-only binary world).
///
/// # Errors
/// [`Error::OutsideAlphabet`].
pub fn constant_policy(symbol: usize, history: &[usize]) -> Result<FixedPolicy> {
    let m = SeqModel::actions(Layout::BINARY, Rule::Constant { symbol })?;
    let mut p = FixedPolicy::new(Arc::new(m));
    for &x in history {
        p.update(x)?;
    }
    Ok(p)
}

/// One cell of the C2 table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SwitchCell {
    /// Switch time t (history `0^{t−1}`).
    pub t: usize,
    /// Horizon n (ones played).
    pub n: usize,
    /// `KL(π*‖ξ) = −ln ξ(1^n | 0^{t−1})`, nats.
    pub kl: f64,
    /// `Δ = γ(t) + 4` bits.
    pub delta_bits: f64,
    /// Tight bound `Δ·ln 2`, nats.
    pub tight: f64,
    /// Finite-class corrected bound `Δ·ln 2 − ln W_base`, nats.
    pub corrected: f64,
    /// The paper's printed form `Δ/ln 2` (ERRATUM; looser), nats.
    pub printed: f64,
    /// Posterior mass of the Bernoulli models after `0^{t−1}`.
    pub w_base: f64,
    /// Posterior mass of the switch-at-t models.
    pub w_switch: f64,
    /// KL in the Bernoulli-only class, nats.
    pub kl_bernoulli_only: f64,
}

/// The C2 quantities for one `(t, n)` in `world` (and its Bernoulli-only sibling `bern`).
///
/// # Errors
/// As [`ClockWorld::switch_kl`]; [`Error::OutOfRange`] if `t > T_max`.
pub fn switch_cell(
    world: &ClockWorld,
    bern: &ClockWorld,
    t: usize,
    n: usize,
) -> Result<SwitchCell> {
    if t > world.max_switch_time() {
        return Err(Error::OutOfRange {
            name: "switch time t",
            value: t as f64,
            range: "[1, T_max]",
        });
    }
    let kl = world.switch_kl(t, n)?;
    let delta = world.delta_bits(t);
    let (w_base, w_switch) = world.zero_history_masses(t);
    Ok(SwitchCell {
        t,
        n,
        kl,
        delta_bits: delta,
        tight: delta * LN2,
        corrected: delta * LN2 - w_base.ln(),
        printed: delta / LN2,
        w_base,
        w_switch,
        kl_bernoulli_only: bern.switch_kl(t, n)?,
    })
}

/// Exact count-tilt (Gibbs) optimum of the KL-budgeted agent in a clock world.
#[derive(Debug, Clone)]
pub struct CountTilt {
    n: usize,
    /// Per component: normalised log weight, index j, r (steps before the deterministic ones).
    comps: Vec<(f64, usize, usize)>,
    q: Vec<f64>,
    /// `ln P_ξ(#1 = n | 0^k)`.
    ln_p_all_ones: f64,
}

/// One point of the budgeted agent's optimum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BudgetPoint {
    /// Budget b, nats.
    pub budget: f64,
    /// Tilt parameter λ (∞ when all ones is affordable).
    pub lambda: f64,
    /// Value `E[#1]/n`.
    pub value: f64,
    /// KL actually spent, nats.
    pub kl: f64,
}

impl CountTilt {
    /// The optimum's ingredients after `0^k`, acting for `n` steps.
    ///
    /// # Errors
    /// [`Error::NotPositive`] for `n == 0`.
    pub fn new(world: &ClockWorld, k: usize, n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::NotPositive {
                name: "horizon n",
                value: 0.0,
            });
        }
        let m = k + n;
        let g = world.tail(m + 1).ln_1p();
        let mut comps = Vec::new();
        for j in 0..world.bases() {
            let lb = world.ln_base_weight(j) + world.ln_bernoulli(j, 0, k);
            comps.push((lb + g, j, n));
            for t in (k + 1)..=m.min(world.max_switch_time()) {
                comps.push((lb + world.ln_c(t), j, t - k - 1));
            }
        }
        let z = logsumexp(&comps.iter().map(|c| c.0).collect::<Vec<_>>());
        for c in &mut comps {
            c.0 -= z;
        }
        let q: Vec<f64> = (0..world.bases()).map(|j| world.q(j)).collect();
        let ones: Vec<f64> = comps
            .iter()
            .map(|&(lw, j, r)| {
                if r == 0 {
                    lw
                } else if q[j] == 0.0 {
                    f64::NEG_INFINITY
                } else {
                    lw + r as f64 * q[j].ln()
                }
            })
            .collect();
        Ok(Self {
            n,
            ln_p_all_ones: logsumexp(&ones),
            comps,
            q,
        })
    }

    /// `−ln ξ(1^n | 0^k)`: the budget at which the value reaches 1.
    pub fn max_kl(&self) -> f64 {
        -self.ln_p_all_ones
    }

    /// `(ln Z, E[#1], Var[#1], KL)` at λ ≥ 0.
    pub fn at(&self, lambda: f64) -> (f64, f64, f64, f64) {
        let n = self.n as f64;
        // per j: L_j = ln(1 − q + q e^λ) (stable for large λ), p_j = q e^λ/(1 − q + q e^λ)
        let lj: Vec<(f64, f64)> = self
            .q
            .iter()
            .map(|&q| {
                if q == 0.0 {
                    (0.0, 0.0)
                } else {
                    let l = logaddexp((-q).ln_1p(), q.ln() + lambda);
                    (l, (q.ln() + lambda - l).exp())
                }
            })
            .collect();
        let logs: Vec<f64> = self
            .comps
            .iter()
            .map(|&(lw, j, r)| lw + r as f64 * lj[j].0 + lambda * (n - r as f64))
            .collect();
        let ln_z = logsumexp(&logs);
        let (mut mean, mut second) = (Neumaier::new(), Neumaier::new());
        for (&(_, j, r), &l) in self.comps.iter().zip(&logs) {
            if l - ln_z <= crate::numerics::logsumexp::NEGLIGIBLE_LOG {
                continue; // weight below 1e-307: cannot change the sums
            }
            let w = (l - ln_z).exp();
            let p = lj[j].1;
            let mu = r as f64 * p + (n - r as f64);
            let var = r as f64 * p * (1.0 - p);
            mean.add(w * mu);
            second.add(w * (var + mu * mu));
        }
        let mean = mean.total();
        let var = (second.total() - mean * mean).max(0.0);
        let kl = (lambda * mean - ln_z).max(0.0);
        (ln_z, mean, var, kl)
    }

    /// The optimum at budget `b`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a negative or NaN budget.
    pub fn solve(&self, budget: f64) -> Result<BudgetPoint> {
        if budget.is_nan() || budget < 0.0 {
            return Err(Error::OutOfRange {
                name: "KL budget",
                value: budget,
                range: "[0, ∞)",
            });
        }
        let n = self.n as f64;
        if budget >= self.max_kl() {
            return Ok(BudgetPoint {
                budget,
                lambda: f64::INFINITY,
                value: 1.0,
                kl: self.max_kl(),
            });
        }
        if budget == 0.0 {
            let (_, mean, _, _) = self.at(0.0);
            return Ok(BudgetPoint {
                budget,
                lambda: 0.0,
                value: mean / n,
                kl: 0.0,
            });
        }
        let mut hi = 1.0;
        let mut it = 0;
        while self.at(hi).3 < budget {
            hi *= 2.0;
            it += 1;
            if it > 60 {
                return Err(Error::NoConvergence {
                    method: "count tilt bracket",
                    iterations: it,
                    residual: budget - self.at(hi).3,
                });
            }
        }
        let lam = newton_bisect(
            |l| {
                let (_, _, var, kl) = self.at(l);
                (kl - budget, l * var)
            },
            0.0,
            hi,
            1e-14,
            budget * 1e-12,
            300,
        )?;
        let (_, mean, _, kl) = self.at(lam);
        Ok(BudgetPoint {
            budget,
            lambda: lam,
            value: mean / n,
            kl,
        })
    }
}

/// One member of the wait-then-switch family.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SwitchOption {
    /// Switch time T (first 1).
    pub t: usize,
    /// `−ln ξ(0^{T−k−1} 1^{k+n−T+1} | 0^k)`, nats.
    pub kl: f64,
    /// Value `(k+n−T+1)/n`.
    pub value: f64,
    /// `ℓ_time(T) + 4` bits (0 beyond `T_max`).
    pub delta_bits: f64,
    /// The waiting part `−ln ξ(0^{T−k−1} | 0^k)`, nats.
    pub waiting_kl: f64,
}

/// The wait-then-switch family after `0^k` for horizon `n`, every `T = k+1 … k+n`, in O(J·n).
///
/// # Errors
/// [`Error::NotPositive`] for `n == 0`.
pub fn switch_family(world: &ClockWorld, k: usize, n: usize) -> Result<Vec<SwitchOption>> {
    if n == 0 {
        return Err(Error::NotPositive {
            name: "horizon n",
            value: 0.0,
        });
    }
    let m = k + n;
    let hi = m.min(world.max_switch_time());
    // ln Q_j(T) = ln Σ_{T'=T}^{hi} c_{T'} q_j^{T'−T}, backward.
    let nb = world.bases();
    let mut ln_q_tab = vec![vec![f64::NEG_INFINITY; n + 2]; nb];
    for (j, row) in ln_q_tab.iter_mut().enumerate() {
        let (lq, _) = world.ln_q_pair(j);
        let mut acc = f64::NEG_INFINITY;
        for t in (k + 1..=m).rev() {
            let c = if t <= hi {
                world.ln_c(t)
            } else {
                f64::NEG_INFINITY
            };
            acc = logaddexp(
                c,
                if acc == f64::NEG_INFINITY {
                    acc
                } else {
                    lq + acc
                },
            );
            row[t - k] = acc;
        }
    }
    let g = world.tail(m + 1).ln_1p();
    let ln_h = world.ln_xi_zeros_ones(k, 0);
    let mut out = Vec::with_capacity(n);
    for t in k + 1..=m {
        let zeros = t - 1;
        let ones = m - t + 1;
        let mut terms = Vec::with_capacity(nb);
        let mut wait = Vec::with_capacity(nb);
        for (j, row) in ln_q_tab.iter().enumerate() {
            let b0 = world.ln_bernoulli(j, 0, zeros);
            let full = world.ln_bernoulli(j, ones, zeros) + g;
            terms.push(world.ln_base_weight(j) + logaddexp(full, b0 + row[t - k]));
            // ξ̃(0^{t−1}) for the waiting cost: B_j(0^{t−1})(1 + tail(t))
            wait.push(world.ln_base_weight(j) + b0 + world.tail(t).ln_1p());
        }
        let mut s = Neumaier::new();
        s.add(ln_h);
        s.add(-logsumexp(&terms));
        let mut w = Neumaier::new();
        w.add(ln_h);
        w.add(-logsumexp(&wait));
        out.push(SwitchOption {
            t,
            kl: s.total(),
            value: ones as f64 / n as f64,
            delta_bits: if t <= world.max_switch_time() {
                world.delta_bits(t)
            } else {
                0.0
            },
            waiting_kl: w.total().max(0.0),
        });
    }
    Ok(out)
}

/// The best member of the family under budget `b` (largest value with `KL ≤ b`), if any.
///
/// # Errors
/// [`Error::OutOfRange`] for a negative or NaN budget.
pub fn best_switch(family: &[SwitchOption], budget: f64) -> Result<Option<SwitchOption>> {
    if budget.is_nan() || budget < 0.0 {
        return Err(Error::OutOfRange {
            name: "KL budget",
            value: budget,
            range: "[0, ∞)",
        });
    }
    Ok(family
        .iter()
        .filter(|o| o.kl <= budget)
        .max_by(|a, b| a.value.total_cmp(&b.value))
        .copied())
}

/// The C2 grid of the spec.
pub const C2_TS: [usize; 3] = [11, 101, 1001];
/// Horizons of the C2 grid.
pub const C2_NS: [usize; 3] = [1, 10, 100];
/// Spec §5 C2 table, `KL(π*‖ξ)` (computed there with a Python script, 4 decimals), row-major in (t, n).
pub const C2_SPEC_KL: [f64; 9] = [
    4.8359, 7.6213, 7.6222, 8.1903, 11.7839, 11.7839, 14.0089, 15.9424, 15.9424,
];
/// Spec §5 C2 table, Bernoulli-only class.
pub const C2_SPEC_KL_BERN: [f64; 9] = [
    4.8985, 14.6754, 77.0727, 8.2182, 36.0320, 139.3496, 14.1651, 59.5000, 343.3886,
];

/// Largest `t` with `−ln ξ(1^n | 0^{t−1}) ≤ b` and the smallest `t` above the budget.
///
/// # Errors
/// [`Error::OutOfRange`] for a bad budget.
pub fn affordability(world: &ClockWorld, budget: f64, n: usize) -> Result<(usize, usize)> {
    if budget.is_nan() || budget < 0.0 {
        return Err(Error::OutOfRange {
            name: "KL budget",
            value: budget,
            range: "[0, ∞)",
        });
    }
    let mut last_ok = 0;
    let mut first_bad = 0;
    for t in 1..=world.max_switch_time() {
        if world.switch_kl(t, n)? <= budget {
            last_ok = t;
        } else if first_bad == 0 {
            first_bad = t;
        }
    }
    Ok((last_ok, first_bad))
}

/// The cheapest deviation after `0^k` with the rich time code: among `T ∈ [k+1, k+window]`, the
/// switch "wait until T−1, play 1 for `n_dev` steps" of least KL.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CheapestSwitch {
    /// Demonstrator steps k.
    pub k: usize,
    /// The chosen T.
    pub t: usize,
    /// `ℓ_time(T)` bits.
    pub time_bits: u32,
    /// `min_{T in window} ℓ_time(T)` bits.
    pub min_time_bits: u32,
    /// The exact KL, nats.
    pub kl: f64,
    /// `(ℓ(T)+4)·ln 2`, nats.
    pub predicted: f64,
    /// Bound `(ℓ(T)+4)·ln 2 − ln W_wait` with `W_wait = Σ_j w(B_j|0^k)(1−q_j)^{T−k−1}`, nats.
    pub bound: f64,
    /// Waiting part of the KL, nats.
    pub waiting_kl: f64,
    /// Immediate switch at k+1 with the same code, nats.
    pub immediate_kl: f64,
    /// Elias-gamma prediction for an immediate switch, `(γ(k+1)+4)·ln 2`, nats.
    pub gamma_predicted: f64,
}

/// Computes [`CheapestSwitch`] for one k (`window` candidate times, deviation of `n_dev` steps).
///
/// # Errors
/// [`Error::OutOfRange`] if the window exceeds `T_max`; [`Error::NotPositive`] for `n_dev == 0`.
pub fn cheapest_switch(
    world: &ClockWorld,
    k: usize,
    window: usize,
    n_dev: usize,
) -> Result<CheapestSwitch> {
    if n_dev == 0 {
        return Err(Error::NotPositive {
            name: "deviation length",
            value: 0.0,
        });
    }
    if k + window > world.max_switch_time() {
        return Err(Error::OutOfRange {
            name: "k + window",
            value: (k + window) as f64,
            range: "[1, T_max]",
        });
    }
    let min_bits = (k + 1..=k + window)
        .map(|t| world.time_bits(t))
        .min()
        .unwrap_or(0);
    let ln_h = world.ln_xi_zeros_ones(k, 0);
    let mut best: Option<(usize, f64)> = None;
    // Only times with ℓ within 2 bits of the minimum can win (each bit costs ln 2 ≫ waiting).
    for t in k + 1..=k + window {
        if world.time_bits(t) > min_bits + 2 {
            continue;
        }
        let kl = ln_h - world.ln_xi_zeros_ones(t - 1, n_dev);
        if best.is_none_or(|(_, b)| kl < b) {
            best = Some((t, kl));
        }
    }
    let (t, kl) = best.ok_or(Error::Empty {
        name: "switch window",
    })?;
    let w: Vec<f64> = (0..world.bases())
        .map(|j| world.ln_base_weight(j) + world.ln_bernoulli(j, 0, t - 1))
        .collect();
    let ln_w_wait = logsumexp(&w) - ln_h;
    let wait_all: Vec<f64> = (0..world.bases())
        .map(|j| world.ln_base_weight(j) + world.ln_bernoulli(j, 0, t - 1) + world.tail(t).ln_1p())
        .collect();
    Ok(CheapestSwitch {
        k,
        t,
        time_bits: world.time_bits(t),
        min_time_bits: min_bits,
        kl,
        predicted: world.delta_bits(t) * LN2,
        bound: world.delta_bits(t) * LN2 - ln_w_wait,
        waiting_kl: (ln_h - logsumexp(&wait_all)).max(0.0),
        immediate_kl: world.switch_kl(k + 1, n_dev)?,
        gamma_predicted: (crate::theory::imitation::description::elias_gamma_bits(k as u64 + 1)
            as f64
            + world.spec().switch_overhead_bits)
            * LN2,
    })
}

/// A clock world with the rich time code of Proposition 2.
///
/// # Errors
/// As [`ClockWorld::new`].
pub fn rich_world(max_switch_time: usize) -> Result<ClockWorld> {
    ClockWorld::new(ClockSpec {
        time_code: TimeCode::Rich,
        max_switch_time,
        ..ClockSpec::default()
    })
}

/// Brute-force optimum over all `2^n` sequences with [`crate::prob::Tilt`] (test oracle).
///
/// # Errors
/// [`Error::TooLarge`] for `n > 16`; the tilt's errors.
pub fn brute_force_budget_value(
    world: &ClockWorld,
    k: usize,
    n: usize,
    budget: f64,
) -> Result<f64> {
    if n > 16 {
        return Err(Error::TooLarge {
            name: "horizon n",
            value: n as f64,
            needed: format!("2^{n} sequences"),
            limit: "2^16".into(),
        });
    }
    let mut base = ClockMixture::new(Arc::new(world.clone()));
    base.ln_prob_extend(&vec![0; k])?;
    let mut p = Vec::with_capacity(1 << n);
    let mut u = Vec::with_capacity(1 << n);
    for code in 0..(1usize << n) {
        let x: Vec<usize> = (0..n).map(|i| (code >> i) & 1).collect();
        let mut b = base.clone();
        p.push(b.ln_prob_extend(&x)?.exp());
        u.push(x.iter().sum::<usize>() as f64 / n as f64);
    }
    let probs = crate::prob::Probs::new_named("ξ over sequences", p)?;
    let tilt = crate::prob::Tilt::new(&probs, &u)?;
    if budget >= tilt.max_kl() {
        return Ok(1.0);
    }
    let beta = tilt.beta_for_kl(budget)?;
    Ok(tilt.at(beta)?.mean_u)
}
