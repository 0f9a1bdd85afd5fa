//! Theorem 3 and Corollary 1 of Kwa et al. 2024 (DMRMDP / policy version), on an exact tree MDP.
//!
//! **Theorem 3.** In a deterministic-transition MDP with Markovian returns whose return
//! distribution `G∘Tr(π₀)` under the base policy is heavy-tailed with finite mean, for every
//! `M, ε > 0` there is a policy `π` with `E[return] > M` and policy KL `< ε`.
//! **Corollary 1.** If moreover the return is a proxy `U = X + V` whose utility part `V` is
//! light-tailed, those policies have `E[V]` approaching the base policy's as the KL goes to 0
//! (Theorem 2 applied to `V`, with the trajectory KL bounding the KL of `V`'s law).
//!
//! ```text
//! ρ_t(τ) = ((1 − c/t)/F_Q(t))·ρ_π₀(τ)  if g(τ) ≤ t,    ((c/t)/F̄_Q(t))·ρ_π₀(τ)  if g(τ) > t
//! π(a|s) = ρ_t(s·a)/ρ_t(s)                    ⇒  Tr(π) = ρ_t  (deterministic transitions)
//! Σ_s occ_π(s)·KL(π(·|s)‖π₀(·|s)) = KL(ρ_t‖ρ_π₀)
//!                                  = (1 − c/t)·ln((1 − c/t)/F_Q(t)) + (c/t)·ln((c/t)/F̄_Q(t))
//! E_ρ_t[g] − E_π₀[g] ≥ c − t·F̄_Q(t)            (Theorem 1's proof; → c as t → ∞)
//! Corollary 1:  KL(V∘ρ‖V∘ρ_π₀) ≤ KL(ρ‖ρ_π₀)   (data processing)
//!               E_ρ[V] − E_π₀[V] ≤ inf_{λ>0} (KL + Λ_V(λ))/λ,  Λ_V(λ) = ln E_π₀[e^{λ(V − E V)}]
//! ```
//!
//! Reference: Kwa, Thomas, Garriga-Alonso 2024, Theorem 3 and Corollary 1 (§3, DMRMDPs defined in §3.2); spec
//! `../shared/spec/kwa2024.md` §1.4, §1.9, §2.3, §2.4, §6.3. Assumptions: returns depend only
//! on the final state (leaf), transitions are deterministic, `t > c` and some base mass lies
//! above `t`. The paper's per-state KL (`E_{s∈T}`) is at most the trajectory KL (here `1/L` of
//! it), so every bound stated for the trajectory KL holds for it.
//!
//! Constructions ([`toy_tree`], spec §6.3): binary tree of depth 16, uniform `π₀`, leaf returns
//! the Student-t(3) quantiles `F⁻¹((i + ½)/2¹⁶)` permuted over the leaves by a seeded
//! ChaCha8 stream (only the multiset of returns matters). The discretised t3 is bounded
//! (largest return 52.46), so its KL stops decreasing once `t` passes the largest returns; the
//! checks use `t ≤ 20`. [`theorem3_continuous`] makes the return law exactly the continuous t3:
//! leaf `k` carries the t3 law restricted to a quantile cell, with `t` itself a cell boundary, so
//! the policy reproduces Theorem 1's `P_t` and its closed forms (spec §2.1, §6.1) exactly.
//! Corollary 1 ([`toy_proxy_tree`]): `U = X + V` with `X` the t3 quantiles and `V` standard
//! normal quantiles on 256 atoms (each on 256 leaves), permuted independently.
//!
//! Quantiles: [`t3_sf_inv`] solves the closed form `F̄(t) = (φ − sin φ)/(2π)`,
//! `φ = 2·atan2(√3, t)` by Newton (relative accuracy ~1e-15 in the tails, absolute ~1e-16 near
//! 0). statrs 0.19's `StudentsT::inverse_cdf` agrees to ~1e-15 in the tails but is off by
//! ~2e-12 absolute (1e-7 relative) next to the median, hence the closed form.
use rand::{Rng, RngExt};

use super::light_tail::DvBound;
use crate::dist::normal_quantile_erfc;
use crate::env::{kl_per_state, kl_traj, TreeMdp, TreePolicy, TreeShape};
use crate::error::{Error, Result};
use crate::numerics::{logsumexp_weighted, Neumaier};
use crate::prob::{kl, Probs, Tilt};
use crate::sim::seeds::stream_rng;

const SQRT3: f64 = 1.732_050_807_568_877_2;
const TWO_PI: f64 = 2.0 * std::f64::consts::PI;
/// `3√3/π`: `E[X; X > t] = (3√3/π)/(3 + t²)` for the t3 law.
const T3_PARTIAL_MEAN: f64 = 3.0 * SQRT3 / std::f64::consts::PI;

/// `φ − sin φ` for `φ ∈ [0, 2π]`, by its Taylor series below 1 (no cancellation).
fn phi_minus_sin(phi: f64) -> f64 {
    if phi >= 1.0 {
        return phi - phi.sin();
    }
    // φ³/3! − φ⁵/5! + …; ratio of terms ≤ 1/20, 14 terms exceed double precision.
    let p2 = phi * phi;
    let mut term = phi * p2 / 6.0;
    let mut sum = term;
    let mut k = 3.0;
    while term.abs() > 1e-18 * sum.abs() && k < 40.0 {
        term *= -p2 / ((k + 1.0) * (k + 2.0));
        sum += term;
        k += 2.0;
    }
    sum
}

/// Student-t(3) tail `F̄(t) = P(X > t)` in closed form, accurate in both tails:
/// `F̄(t) = (φ − sin φ)/(2π)` with `φ = 2·atan2(√3, t)` (equal to spec §2.1's
/// `½ − (1/π)[atan(t/√3) + (t/√3)/(1 + t²/3)]`, without its cancellation for large `t`).
pub fn t3_sf(t: f64) -> f64 {
    phi_minus_sin(2.0 * SQRT3.atan2(t)) / TWO_PI
}

/// Student-t(3) density `6√3/(π(3 + t²)²)`.
pub fn t3_pdf(t: f64) -> f64 {
    let s = 3.0 + t * t;
    2.0 * T3_PARTIAL_MEAN / (s * s)
}

/// `E[X; a < X ≤ b]` for `X ∼ t3` and `a < b` (either may be infinite):
/// `(3√3/π)·(1/(3 + a²) − 1/(3 + b²))`, written as `(b − a)(b + a)/((3 + a²)(3 + b²))` when both
/// are finite so that narrow cells keep their relative accuracy.
pub fn t3_partial_mean(a: f64, b: f64) -> f64 {
    let upper = |x: f64| {
        if x.is_infinite() {
            0.0
        } else {
            1.0 / (3.0 + x * x)
        }
    };
    if a.is_finite() && b.is_finite() {
        T3_PARTIAL_MEAN * (b - a) * (b + a) / ((3.0 + a * a) * (3.0 + b * b))
    } else {
        T3_PARTIAL_MEAN * (upper(a) - upper(b))
    }
}

/// The `t` with `F̄(t) = p` for the t3 law, `p ∈ (0, 1)`.
///
/// Solves `φ − sin φ = 2πp` for `φ ∈ (0, π]` (for `p ≤ ½`) by Newton's method started to the
/// right of the root (the left side is convex, so the iterates decrease monotonically), then
/// `t = √3/tan(φ/2)`; for `p > ½` uses `F̄⁻¹(p) = −F̄⁻¹(1 − p)` (`1 − p` is exact there).
///
/// # Errors
/// [`Error::OutOfRange`] unless `0 < p < 1`; [`Error::NoConvergence`] (not expected) after 200
/// iterations.
pub fn t3_sf_inv(p: f64) -> Result<f64> {
    if !(p > 0.0 && p < 1.0) {
        return Err(Error::OutOfRange {
            name: "tail probability p",
            value: p,
            range: "(0, 1)",
        });
    }
    if p > 0.5 {
        return Ok(-t3_sf_inv(1.0 - p)?);
    }
    if p == 0.5 {
        return Ok(0.0);
    }
    let y = TWO_PI * p;
    let fdf = |phi: f64| (phi_minus_sin(phi) - y, 1.0 - phi.cos());
    // φ³/6 > φ − sin φ, so (6y)^{1/3} lies left of the root; one Newton step from a point left
    // of the root of a convex increasing function lands right of it.
    let mut phi = (6.0 * y).cbrt().min(std::f64::consts::PI);
    let (f, df) = fdf(phi);
    if f < 0.0 {
        phi = (phi - f / df).min(std::f64::consts::PI);
    }
    for _ in 0..200 {
        let (f, df) = fdf(phi);
        if f <= 0.0 {
            break;
        }
        let next = phi - f / df;
        if !(next < phi) {
            break;
        }
        let step = phi - next;
        phi = next;
        if step <= 2.0 * f64::EPSILON * phi {
            break;
        }
    }
    let (f, _) = fdf(phi);
    if !(f.abs() <= 8.0 * f64::EPSILON * y) {
        return Err(Error::NoConvergence {
            method: "t3_sf_inv Newton",
            iterations: 200,
            residual: f,
        });
    }
    Ok(SQRT3 / (0.5 * phi).tan())
}

/// The t3 quantiles at the midpoints `F⁻¹((i + ½)/n)`, `i = 0..n`, ascending, exactly
/// antisymmetric (`q[n−1−i] = −q[i]`, so their mean is exactly 0).
///
/// # Errors
/// [`Error::Empty`] for `n = 0`.
pub fn t3_midpoint_quantiles(n: usize) -> Result<Vec<f64>> {
    midpoint_quantiles(n, |p| Ok(-t3_sf_inv(p)?))
}

/// Standard-normal quantiles at the midpoints `Φ⁻¹((i + ½)/n)`, ascending and exactly
/// antisymmetric (statrs' `erfc_inv`, relative accuracy ~1e-10 in probability at `n = 256`).
///
/// # Errors
/// [`Error::Empty`] for `n = 0`.
pub fn normal_midpoint_quantiles(n: usize) -> Result<Vec<f64>> {
    midpoint_quantiles(n, |p| Ok(normal_quantile_erfc(p)))
}

/// Lower-half quantiles from `lower(p)` (`p < ½`), mirrored into the upper half.
fn midpoint_quantiles(n: usize, lower: impl Fn(f64) -> Result<f64>) -> Result<Vec<f64>> {
    if n == 0 {
        return Err(Error::Empty {
            name: "quantile grid",
        });
    }
    let mut q = vec![0.0; n];
    for i in 0..n / 2 {
        let v = lower((i as f64 + 0.5) / n as f64)?;
        q[i] = v;
        q[n - 1 - i] = -v;
    }
    Ok(q)
}

/// Fisher–Yates shuffle drawing `u64` indices (portable across platforms).
pub fn shuffle<T, R: Rng + ?Sized>(xs: &mut [T], rng: &mut R) {
    for i in (1..xs.len()).rev() {
        let j = rng.random_range(0..=i as u64) as usize;
        xs.swap(i, j);
    }
}

/// The spec §6.3 toy DMRMDP: binary tree of `depth`, uniform `π₀`, leaf returns the t3
/// midpoint quantiles permuted by the stream `"kwa2024-thm3/leaf-returns"` of `seed`.
///
/// # Errors
/// As [`TreeShape::new`] for a bad depth.
pub fn toy_tree(depth: usize, seed: u64) -> Result<TreeMdp> {
    let shape = TreeShape::new(depth, 2)?;
    let mut g = t3_midpoint_quantiles(shape.n_leaves())?;
    shuffle(&mut g, &mut stream_rng(seed, "kwa2024-thm3/leaf-returns"));
    TreeMdp::new(TreePolicy::uniform(shape), g)
}

/// Theorem 1's reweighting applied to trajectories: `ρ_t` from the base trajectory law and the
/// leaf returns.
#[derive(Debug, Clone)]
pub struct Reweighted {
    /// `ρ_t` over leaves.
    pub rho: Probs,
    /// Base mass above the threshold, `F̄_Q(t) = Pr_π₀(g > t)`.
    pub base_tail: f64,
    /// Base mass at or below it, `F_Q(t)` (summed, not `1 − F̄`).
    pub base_head: f64,
}

/// `ρ_t`: mass `c/t` above `t`, `1 − c/t` at or below, each side rescaled proportionally.
///
/// # Errors
/// [`Error::NotPositive`] for `c <= 0`; [`Error::NotFinite`] for a non-finite `t`;
/// [`Error::OutOfRange`] unless `t > c` and base mass lies on both sides of `t`;
/// [`Error::LengthMismatch`] if `g` does not match `base`.
pub fn reweight_above(base: &Probs, g: &[f64], t: f64, c: f64) -> Result<Reweighted> {
    crate::error::positive_finite("c", c)?;
    crate::error::finite("t", t)?;
    if !(t > c) {
        return Err(Error::OutOfRange {
            name: "threshold t",
            value: t,
            range: "(c, ∞)",
        });
    }
    crate::prob::probs::check_len("base", base.len(), "returns", g.len())?;
    let (mut tail, mut head) = (Neumaier::new(), Neumaier::new());
    for (&p, &x) in base.as_slice().iter().zip(g) {
        if x > t {
            tail.add(p);
        } else {
            head.add(p);
        }
    }
    let (tail, head) = (tail.total(), head.total());
    if !(tail > 0.0 && head > 0.0) {
        return Err(Error::OutOfRange {
            name: "threshold t",
            value: t,
            range: "an interval with base mass on both sides of t",
        });
    }
    let m = c / t;
    let (r_hi, r_lo) = (m / tail, (1.0 - m) / head);
    let rho = base
        .as_slice()
        .iter()
        .zip(g)
        .map(|(&p, &x)| p * if x > t { r_hi } else { r_lo })
        .collect();
    Ok(Reweighted {
        rho: Probs::new_named("ρ_t", rho)?,
        base_tail: tail,
        base_head: head,
    })
}

/// `KL(P_t‖Q) = (1 − m)·ln((1 − m)/F) + m·ln(m/F̄)` with `m = c/t` (spec §2.1).
pub fn two_level_kl(m: f64, head: f64, tail: f64) -> f64 {
    (1.0 - m) * ((1.0 - m) / head).ln() + m * (m / tail).ln()
}

/// Everything Theorem 3's construction gives at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Thm3Numbers {
    /// Threshold `t`.
    pub t: f64,
    /// Constant `c` (mass `c/t` above `t`).
    pub c: f64,
    /// `Pr_π₀(g > t)`.
    pub base_tail_prob: f64,
    /// `E_π₀[g]`.
    pub base_mean: f64,
    /// `E_{Tr(π)}[g]`, the constructed policy's mean return.
    pub mean_return: f64,
    /// `Σ_s occ_π(s)·KL(π(·|s)‖π₀(·|s))` (chain rule side).
    pub kl_traj: f64,
    /// `KL(ρ_t‖Tr(π₀))` over leaves by [`fn@crate::prob::kl`].
    pub kl_leaves: f64,
    /// The two-level closed form [`two_level_kl`].
    pub kl_closed_form: f64,
    /// The paper's per-state policy KL, `kl_traj / L`.
    pub kl_per_state: f64,
    /// `max_leaf |Tr(π) − ρ_t| / ρ_t` over leaves with `ρ_t > 0`.
    pub tr_max_rel_err: f64,
    /// Theorem 1's proof bound `c − t·F̄(t)` on `E_ρ[g] − E_π₀[g]`.
    pub proof_lower_bound: f64,
}

/// Theorem 3's construction at threshold `t` on `tree`: `ρ_t`, the policy `π` built from it,
/// and the quantities of [`Thm3Numbers`].
///
/// # Errors
/// As [`reweight_above`]; tree errors if the tree is inconsistent.
pub fn theorem3_tree(tree: &TreeMdp, t: f64, c: f64) -> Result<Thm3Numbers> {
    let shape = tree.shape();
    let pi0 = tree.base();
    let rho0 = pi0.trajectory_distribution()?;
    let rw = reweight_above(&rho0, tree.returns(), t, c)?;
    let pi = TreePolicy::from_leaf_distribution(shape, &rw.rho, pi0)?;
    let tr = pi.trajectory_distribution()?;
    let mut max_rel = 0.0f64;
    for (&a, &b) in tr.as_slice().iter().zip(rw.rho.as_slice()) {
        if b > 0.0 {
            max_rel = max_rel.max((a - b).abs() / b);
        }
    }
    Ok(Thm3Numbers {
        t,
        c,
        base_tail_prob: rw.base_tail,
        base_mean: rho0.expect(tree.returns())?,
        mean_return: tr.expect(tree.returns())?,
        kl_traj: kl_traj(&pi, pi0)?,
        kl_leaves: kl(&rw.rho, &rho0)?,
        kl_closed_form: two_level_kl(c / t, rw.base_head, rw.base_tail),
        kl_per_state: kl_per_state(&pi, pi0)?,
        tr_max_rel_err: max_rel,
        proof_lower_bound: c - t * rw.base_tail,
    })
}

/// Theorem 3 with the exact continuous t3 return law (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Thm3ContinuousNumbers {
    /// Threshold `t` (a cell boundary by construction).
    pub t: f64,
    /// Constant `c`.
    pub c: f64,
    /// Tree depth `L`.
    pub depth: usize,
    /// `E[G]` under `Tr(π)`: `Σ_k Tr(π)(k)·E[X | cell k]`.
    pub mean_return: f64,
    /// Theorem 1's closed form `E_{P_t}[X] = (r_hi − r_lo)·(3√3/π)/(3 + t²)` (spec §2.1).
    pub mean_closed_form: f64,
    /// Chain-rule policy KL summed along trajectories.
    pub kl_traj: f64,
    /// Closed form `KL(P_t‖Q)` with the continuous `F(t)`, `F̄(t)`.
    pub kl_closed_form: f64,
    /// The per-state policy KL `kl_traj / L`.
    pub kl_per_state: f64,
}

/// Theorem 3 on a binary tree of `depth` whose leaf `k` returns `X ∼ t3` conditioned on the
/// cell `(q_k, q_{k+1}]`, with cuts at the quantiles `F⁻¹(i/2^L)` except that the cut nearest
/// `t` is moved to `t`. The base policy is built from the cell probabilities, so
/// `G∘Tr(π₀) = t3` exactly; the policy built from `ρ_t` then has return law `P_t` of Theorem 1.
///
/// # Errors
/// [`Error::OutOfRange`] unless `t > c > 0` is finite; tree errors for a bad depth.
pub fn theorem3_continuous(depth: usize, t: f64, c: f64) -> Result<Thm3ContinuousNumbers> {
    crate::error::positive_finite("c", c)?;
    crate::error::finite("t", t)?;
    if !(t > c) {
        return Err(Error::OutOfRange {
            name: "threshold t",
            value: t,
            range: "(c, ∞)",
        });
    }
    let shape = TreeShape::new(depth, 2)?;
    let n = shape.n_leaves();
    let nf = n as f64;
    let (sf_t, cdf_t) = (t3_sf(t), t3_sf(-t));
    // index j in 1..n of the cut moved to t: nearest level to F(t)
    let j = ((cdf_t * nf).round() as usize).clamp(1, n - 1);
    let mut cuts = vec![f64::NEG_INFINITY; n + 1];
    cuts[n] = f64::INFINITY;
    for (i, cut) in cuts.iter_mut().enumerate().take(n).skip(1) {
        *cut = if i == j {
            t
        } else {
            -t3_sf_inv(i as f64 / nf)?
        };
    }
    // cell probabilities: 1/n except the two cells next to t
    let mut q = vec![1.0 / nf; n];
    let (below, above) = if t >= 0.0 {
        (
            (n - j + 1) as f64 / nf - sf_t,
            sf_t - (n - j - 1) as f64 / nf,
        )
    } else {
        (cdf_t - (j - 1) as f64 / nf, (j + 1) as f64 / nf - cdf_t)
    };
    q[j - 1] = below;
    q[j] = above;
    let q = Probs::new_named("t3 cell probabilities", q)?;
    let cond_mean: Vec<f64> = (0..n)
        .map(|k| t3_partial_mean(cuts[k], cuts[k + 1]) / q.as_slice()[k])
        .collect();
    let pi0 = TreePolicy::from_leaf_distribution(shape, &q, &TreePolicy::uniform(shape))?;
    let m = c / t;
    let (r_hi, r_lo) = (m / sf_t, (1.0 - m) / cdf_t);
    let rho: Vec<f64> = q
        .as_slice()
        .iter()
        .enumerate()
        .map(|(k, &p)| p * if k >= j { r_hi } else { r_lo })
        .collect();
    let rho = Probs::new_named("ρ_t", rho)?;
    let pi = TreePolicy::from_leaf_distribution(shape, &rho, &pi0)?;
    let tr = pi.trajectory_distribution()?;
    Ok(Thm3ContinuousNumbers {
        t,
        c,
        depth,
        mean_return: tr.expect(&cond_mean)?,
        mean_closed_form: (r_hi - r_lo) * t3_partial_mean(t, f64::INFINITY),
        kl_traj: kl_traj(&pi, &pi0)?,
        kl_closed_form: two_level_kl(m, cdf_t, sf_t),
        kl_per_state: kl_per_state(&pi, &pi0)?,
    })
}

/// Corollary 1's tree: `U = X + V` per leaf.
#[derive(Debug, Clone)]
pub struct ProxyTree {
    /// The DMRMDP with returns `U = X + V` and uniform `π₀`.
    pub mdp: TreeMdp,
    /// Error `X` per leaf (t3 quantiles, heavy).
    pub x: Vec<f64>,
    /// Utility `V` per leaf (normal quantiles, light).
    pub v: Vec<f64>,
    /// Index into `v_values` of each leaf's `V`.
    pub v_atom: Vec<usize>,
    /// The distinct values of `V`, ascending.
    pub v_values: Vec<f64>,
}

/// Binary tree of `depth` with `X` = t3 midpoint quantiles (stream `"kwa2024-cor1/x"`) and
/// `V` = standard-normal midpoint quantiles on `2^v_log2` atoms, each on `2^{depth − v_log2}`
/// leaves (stream `"kwa2024-cor1/v"`), independently permuted.
///
/// # Errors
/// [`Error::OutOfRange`] if `v_log2 > depth`; as [`TreeShape::new`].
pub fn toy_proxy_tree(depth: usize, v_log2: usize, seed: u64) -> Result<ProxyTree> {
    let shape = TreeShape::new(depth, 2)?;
    if v_log2 > depth {
        return Err(Error::OutOfRange {
            name: "log2 of V atoms",
            value: v_log2 as f64,
            range: "[0, depth]",
        });
    }
    let n = shape.n_leaves();
    let mut x = t3_midpoint_quantiles(n)?;
    shuffle(&mut x, &mut stream_rng(seed, "kwa2024-cor1/x"));
    let v_values = normal_midpoint_quantiles(1 << v_log2)?;
    let reps = n >> v_log2;
    let mut v_atom: Vec<usize> = (0..n).map(|i| i / reps).collect();
    shuffle(&mut v_atom, &mut stream_rng(seed, "kwa2024-cor1/v"));
    let v: Vec<f64> = v_atom.iter().map(|&a| v_values[a]).collect();
    let u: Vec<f64> = x.iter().zip(&v).map(|(a, b)| a + b).collect();
    Ok(ProxyTree {
        mdp: TreeMdp::new(TreePolicy::uniform(shape), u)?,
        x,
        v,
        v_atom,
        v_values,
    })
}

/// `inf_{λ>0} (d + Λ(λ))/λ` with `Λ(λ) = ln E_Q[e^{λ(V − E_Q V)}]` computed exactly on a finite
/// law (logsumexp). The objective's derivative has the sign of `λΛ′(λ) − Λ(λ) − d`, which is
/// the KL of the tilt `Q·e^{λV}` minus `d` and increases in `λ`, so the minimiser is the `λ = 1/β`
/// at which that tilt's KL equals `d` ([`Tilt::beta_for_kl`], safeguarded Newton); the bound is
/// then evaluated from its definition. For `d` at or above the largest reachable tilt KL the
/// infimum is the limit `λ → ∞`, `max V − E_Q V`.
///
/// # Errors
/// [`Error::OutOfRange`] for a negative or NaN `d`; as [`Tilt::new`].
pub fn donsker_varadhan_bound(q: &Probs, v: &[f64], d: f64) -> Result<DvBound> {
    if !(d >= 0.0) {
        return Err(Error::OutOfRange {
            name: "KL budget d",
            value: d,
            range: "[0, ∞)",
        });
    }
    let tilt = Tilt::new(q, v)?;
    let mu = tilt.base_mean();
    if d == 0.0 {
        return Ok(DvBound {
            value: 0.0,
            lambda: 0.0,
            interior: false,
        });
    }
    match tilt.beta_for_kl(d) {
        Ok(beta) => {
            let lambda = 1.0 / beta;
            Ok(DvBound {
                value: dv_objective(q, v, mu, d, lambda),
                lambda,
                interior: true,
            })
        }
        Err(Error::UnreachableBudget { .. }) => {
            let top = q.support().map(|i| v[i]).fold(f64::NEG_INFINITY, f64::max);
            Ok(DvBound {
                value: top - mu,
                lambda: f64::INFINITY,
                interior: false,
            })
        }
        Err(e) => Err(e),
    }
}

/// `(d + Λ(λ))/λ` with `Λ(λ) = ln Σ q_i e^{λ(v_i − μ)}`.
pub fn dv_objective(q: &Probs, v: &[f64], mu: f64, d: f64, lambda: f64) -> f64 {
    let xs: Vec<f64> = v.iter().map(|&x| lambda * (x - mu)).collect();
    (d + logsumexp_weighted(&xs, q.as_slice())) / lambda
}

/// Corollary 1's quantities at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Cor1Numbers {
    /// Threshold `t` on the proxy `U`.
    pub t: f64,
    /// Constant `c`.
    pub c: f64,
    /// `E[U]` under the constructed policy.
    pub mean_u: f64,
    /// `E[X]` under it.
    pub mean_x: f64,
    /// `E[V]` under it.
    pub mean_v: f64,
    /// `E_π₀[U]`.
    pub base_mean_u: f64,
    /// `E_π₀[V]`.
    pub base_mean_v: f64,
    /// Chain-rule trajectory KL.
    pub kl_traj: f64,
    /// `KL(ρ_t‖Tr(π₀))` over leaves.
    pub kl_leaves: f64,
    /// KL between the laws of `V` under `π` and `π₀` (data processing: `<= kl_traj`).
    pub kl_v_marginal: f64,
    /// Per-state policy KL.
    pub kl_per_state: f64,
    /// Donsker–Varadhan bound on `E[V] − E_π₀[V]` at budget `kl_traj`.
    pub dv_bound_traj: f64,
    /// The same at budget `kl_v_marginal` (tighter).
    pub dv_bound_marginal: f64,
}

/// Corollary 1 at threshold `t`: Theorem 3's policy for the proxy `U`, and what it does to `V`.
///
/// # Errors
/// As [`reweight_above`] and [`donsker_varadhan_bound`].
pub fn corollary1_tree(pt: &ProxyTree, t: f64, c: f64) -> Result<Cor1Numbers> {
    let tree = &pt.mdp;
    let shape = tree.shape();
    let pi0 = tree.base();
    let rho0 = pi0.trajectory_distribution()?;
    let rw = reweight_above(&rho0, tree.returns(), t, c)?;
    let pi = TreePolicy::from_leaf_distribution(shape, &rw.rho, pi0)?;
    let tr = pi.trajectory_distribution()?;
    let marginal = |p: &Probs| -> Result<Probs> {
        let mut acc = vec![Neumaier::new(); pt.v_values.len()];
        for (&pr, &a) in p.as_slice().iter().zip(&pt.v_atom) {
            acc[a].add(pr);
        }
        Probs::new_named("law of V", acc.iter().map(Neumaier::total).collect())
    };
    let (v_pi, v_0) = (marginal(&tr)?, marginal(&rho0)?);
    let kl_traj = kl_traj(&pi, pi0)?;
    let kl_v_marginal = kl(&v_pi, &v_0)?;
    Ok(Cor1Numbers {
        t,
        c,
        mean_u: tr.expect(tree.returns())?,
        mean_x: tr.expect(&pt.x)?,
        mean_v: tr.expect(&pt.v)?,
        base_mean_u: rho0.expect(tree.returns())?,
        base_mean_v: rho0.expect(&pt.v)?,
        kl_traj,
        kl_leaves: kl(&rw.rho, &rho0)?,
        kl_v_marginal,
        kl_per_state: kl_per_state(&pi, pi0)?,
        dv_bound_traj: donsker_varadhan_bound(&v_0, &pt.v_values, kl_traj)?.value,
        dv_bound_marginal: donsker_varadhan_bound(&v_0, &pt.v_values, kl_v_marginal)?.value,
    })
}

pub mod checks;
#[cfg(test)]
mod tests;

pub use checks::checks;
