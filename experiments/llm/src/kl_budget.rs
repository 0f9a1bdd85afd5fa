//! The KL-fixed mixture of Cohen et al. 2024 §3.5 (`KLFixedMixture`): given the agent's proposal `a`
//! and the base policy `b` (categoricals over the vocabulary, as log-probabilities) and a KL target
//! `k` (nats), the step policy is
//!
//! ```text
//! x = α·a + (1 − α)·b,   α ∈ [0, 1] such that KL(x‖b) = k;   α = 1 (x = a) when KL(a‖b) <= k.
//! ```
//!
//! # Why the solve is safe (convexity)
//! `f(α) = KL(α a + (1−α) b ‖ b)` is convex on `[0, 1]` (KL is jointly convex, and `x` is affine in `α`
//! with `b` fixed), `f(0) = 0`, `f >= 0`, so `f` is non-decreasing and `{α : f(α) <= k}` is an interval
//! `[0, α*]`: the root of `f = k` is unique whenever `0 < k < f(1)`. Its derivative is
//! `f'(α) = Σ_i (a_i − b_i)(log x_i − log b_i)` (every term is `>= 0`: `x_i > b_i` iff `a_i > b_i`).
//! Convexity also gives the two one-sided iterations used by [`solve_alpha`]: a Newton step taken from a
//! point above the root (`f > k`) lands at or above the root (the tangent lies below `f`), and the
//! secant (chord) root of a bracket `[lo, hi]` lands at or below it (the chord lies above `f`). The
//! solver keeps a bracket `f(lo) <= k < f(hi)` classified by the *computed* `f`, alternates the two steps
//! (bisection whenever a step leaves the bracket) and returns `lo`. So the returned `α` always has a
//! computed `KL <= k` — a budget is never exceeded by rounding — and the iteration stops at machine
//! precision: `k − KL <= 4ε·k` or a bracket of adjacent floats. Since `f' <= ~1.5e3` for f64 log-probs,
//! this gives `|KL − k| <= 1e-12·max(1, k)` for every reachable target.
//!
//! The f64 KL is evaluated in the form `Σ_i b_i·ψ(r_i)`, `r_i = log(x_i/b_i)`, `ψ(r) = r e^r − e^r + 1`,
//! i.e. `Σ x log(x/b) − x + b` (equal to KL on normalised rows; every term `>= 0`, no cancellation;
//! a series for `|r| < 0.1`; exactly 0 at `α = 0`). On rows normalised to within
//! [`NORMALISATION_TOL`] it differs from the literal `Σ x log(x/b)` by `α·(Σa − Σb)`, at most `2e-6·α`
//! (1e-16 on f64-normalised rows).
//!
//! # Gradient (implicit differentiation; the authors' backward)
//! At the solution `f(α*, a) = k`, so `dα/dk = 1/f'(α*)` and `∂α/∂a_j = −(∂f/∂a_j)/f'(α*)` with
//! `∂f/∂a_j = α (log x_j − log b_j)`; then `∂log x_i/∂log a_j = δ_ij·α a_i/x_i + ((a_i − b_i)/x_i)·a_j·∂α/∂a_j`
//! and `∂log x_i/∂k = ((a_i − b_i)/x_i)/f'(α*)` — the authors' formula of spec §3.5 (theirs has
//! `α(1 + log x_j − log b_j)` for `∂KL/∂a_j`: the extra `α·a_j` in the log-a gradient is along the
//! normalisation direction and vanishes through any log-softmax). [`kl_fixed_mixture`] evaluates these
//! coefficients in f64 at the solution and attaches them to candle's graph as a zero-valued linear
//! term (`v + (L − L.detach())`, where `L` is linear in `log a` and `k` with exactly this Jacobian), so the
//! forward values are the f64 ones rounded to f32 and the backward is exact, finite, and NaN-free even
//! with base probabilities ~1e-30 or exact zeros in the proposal. Rows with `α = 1` (target
//! unreachable): no gradient to `k`, the gradient to `log a` passes through unchanged. Rows with
//! `α < ALPHA_GRAD_MIN` (target ≈ 0, where `dα/dk = 1/f' → ∞`): `α` is treated as a constant (no gradient
//! to `k`; `log a` still gets the fixed-α gradient). The achieved-KL output is differentiable too: it
//! is identically `k` on reachable rows (gradient 1 to `k`, 0 to `a`) and `KL(a‖b)` on `α = 1` rows.
//! (The authors' backward ignores the gradient w.r.t. the achieved KL altogether; detach [`FixedMixture::kl`]
//! to reproduce that.) No gradient ever flows to `b`.
//!
//! [`solve_alpha_authors`] reproduces the authors' `findalphafork` (start at α = 1, bracket
//! `[bot, top]`, Newton step clamped to `[bot + (top − bot)/16, (bot + top)/2]`, 20 steps in their code)
//! and [`solve_alpha_bisection`] is a plain bisection reference.
//!
//! Inputs must be normalised to `|logsumexp| <= 1e-6` ([`NORMALISATION_TOL`]); rows are never
//! renormalised. candle's f32 `log_softmax` does not meet that over a 32 000-token vocabulary (naive f32
//! sum: ~1e-4); build the inputs with [`exact_log_softmax`] (f64 values, same gradient).

use candle_core::{DType, Tensor};

use crate::{LlmError, Result};

/// The authors' offset of the KL-control neuron: `kl_target = sigmoid(z_0 − ln 16)·budget_left + 1e-6`
/// (spec §3.5), so `ln 16`. At init (`z_0 ≈ 0`) the fraction of the remaining budget is
/// `sigmoid(−ln 16) = 1/17 ≈ 0.0588` — the paper says "1/16": spec DISCREPANCY (minor).
pub const INIT_FRACTION_OFFSET: f64 = 4.0 * std::f64::consts::LN_2;

/// `sigmoid(−INIT_FRACTION_OFFSET)` = 1/17, the initial fraction of the remaining budget spent per step.
pub const INIT_FRACTION: f64 = 1.0 / 17.0;

/// Largest `|logsumexp|` a row of log-probabilities may have; rows further from 1 are rejected (never
/// renormalised here).
pub const NORMALISATION_TOL: f64 = 1e-6;

/// Below this `α` (targets ≈ 0, where `dα/dk = 1/f'(α) → ∞`) [`kl_fixed_mixture`] treats `α` as a constant.
pub const ALPHA_GRAD_MIN: f64 = 1e-9;

/// The plain logistic function (used for the init-fraction identity).
pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// One row's solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlphaSolve {
    /// The mixture weight of the proposal.
    pub alpha: f64,
    /// KL(x‖b) at `alpha` (f64).
    pub kl: f64,
    /// KL(a‖b): the most this row can spend.
    pub kl_max: f64,
    /// false when KL(a‖b) <= target (alpha = 1)
    pub reached: bool,
    /// KL evaluations (for the authors' solver and bisection: steps taken).
    pub iterations: usize,
}

// ---------------------------------------------------------------------------------------------------
// f64 numerics

/// `log(e^p + e^q)` with the max trick; exact when one side is −∞.
fn log_add_exp(p: f64, q: f64) -> f64 {
    if p == f64::NEG_INFINITY {
        return q;
    }
    if q == f64::NEG_INFINITY {
        return p;
    }
    let (hi, lo) = if p >= q { (p, q) } else { (q, p) };
    hi + (lo - hi).exp().ln_1p()
}

/// Neumaier-compensated sum of non-negative terms (an infinite sum stays infinite).
#[derive(Default)]
struct Sum {
    s: f64,
    c: f64,
}

impl Sum {
    fn add(&mut self, x: f64) {
        let t = self.s + x;
        if self.s.abs() >= x.abs() {
            self.c += (self.s - t) + x;
        } else {
            self.c += (x - t) + self.s;
        }
        self.s = t;
    }
    fn value(&self) -> f64 {
        if self.s.is_finite() {
            self.s + self.c
        } else {
            self.s
        }
    }
}

/// `b·ψ(r)` with `ψ(r) = r e^r − e^r + 1 >= 0`: one term of `Σ x log(x/b) − x + b`, `x = b e^r`.
fn kl_term(b: f64, log_b: f64, r: f64) -> f64 {
    if r == f64::NEG_INFINITY {
        // x = 0: the term is b.
        return b;
    }
    if r.abs() < 0.1 {
        // ψ(r) = Σ_{n>=2} (n−1)/n! rⁿ; truncation after n = 12 is < 1e-17 relative.
        const C: [f64; 11] = [
            1.0 / 2.0,
            1.0 / 3.0,
            1.0 / 8.0,
            1.0 / 30.0,
            1.0 / 144.0,
            1.0 / 840.0,
            1.0 / 5760.0,
            1.0 / 45360.0,
            1.0 / 403200.0,
            1.0 / 3991680.0,
            1.0 / 43545600.0,
        ];
        let mut p = 0.0;
        for c in C.iter().rev() {
            p = c + r * p;
        }
        return b * r * r * p;
    }
    if r > 0.0 {
        // x (r − 1) + b, with x from logs (no overflow of e^r when b is tiny).
        let x = (log_b + r).exp();
        x * (r - 1.0) + b
    } else {
        b * (r * r.exp() - r.exp_m1())
    }
}

/// A validated-or-not row prepared for repeated KL evaluations: only the entries with `b_i > 0`
/// (finite `log b_i`) contribute; `infinite` when `a` has mass where `b` has none.
struct Row {
    /// `log a_i − log b_i` (may be −∞).
    d: Vec<f64>,
    b: Vec<f64>,
    log_b: Vec<f64>,
    /// `a_i − b_i`, accurately.
    amb: Vec<f64>,
    infinite: bool,
}

impl Row {
    fn new(log_a: &[f64], log_b: &[f64]) -> Row {
        let n = log_a.len().min(log_b.len());
        let mut row = Row {
            d: Vec::with_capacity(n),
            b: Vec::with_capacity(n),
            log_b: Vec::with_capacity(n),
            amb: Vec::with_capacity(n),
            infinite: false,
        };
        for (&la, &lb) in log_a.iter().zip(log_b) {
            if lb == f64::NEG_INFINITY {
                if la > f64::NEG_INFINITY {
                    row.infinite = true;
                }
                continue;
            }
            let d = la - lb;
            let b = lb.exp();
            let amb = if d.abs() < 1.0 {
                b * d.exp_m1()
            } else {
                la.exp() - b
            };
            row.d.push(d);
            row.b.push(b);
            row.log_b.push(lb);
            row.amb.push(amb);
        }
        row
    }

    /// `(f(α), f'(α))`.
    fn eval(&self, alpha: f64) -> (f64, f64) {
        if self.infinite {
            return if alpha == 0.0 {
                (0.0, f64::INFINITY)
            } else {
                (f64::INFINITY, f64::INFINITY)
            };
        }
        let la = alpha.ln();
        let l1a = (-alpha).ln_1p();
        let mut f = Sum::default();
        let mut df = Sum::default();
        for i in 0..self.d.len() {
            let r = log_add_exp(la + self.d[i], l1a);
            f.add(kl_term(self.b[i], self.log_b[i], r));
            // (a − b) and r = log(x/b) have the same sign; 0·r := 0.
            if self.amb[i] != 0.0 {
                df.add(self.amb[i] * r);
            }
        }
        (f.value(), df.value())
    }
}

/// KL(α a + (1−α) b ‖ b) and d/dα, in f64 from log-probs (log-sum-exp style where needed; exact 0 at α = 0).
///
/// Evaluated as `Σ x log(x/b) − x + b` (termwise non-negative; equals KL on normalised rows), the
/// derivative as `Σ (a_i − b_i)(log x_i − log b_i)`. `alpha` must lie in `[0, 1]` (NaN otherwise). The
/// inputs are not validated (see [`solve_alpha`]); entries beyond the shorter slice are ignored. If `a`
/// has mass where `b` has none the value is `+∞` for every `α > 0` (and `(0, +∞)` at `α = 0`).
pub fn mixture_kl(log_a: &[f64], log_b: &[f64], alpha: f64) -> (f64, f64) {
    Row::new(log_a, log_b).eval(alpha)
}

/// `log x_i = log(α a_i + (1−α) b_i)` by log-add-exp (−∞ only where `x_i = 0`; `log a` exactly at α = 1,
/// `log b` exactly at α = 0).
pub fn mixture_log_probs(log_a: &[f64], log_b: &[f64], alpha: f64) -> Vec<f64> {
    let la = alpha.ln();
    let l1a = (-alpha).ln_1p();
    log_a
        .iter()
        .zip(log_b)
        .map(|(&a, &b)| log_add_exp(la + a, l1a + b))
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// validation

fn row_prefix(row: Option<usize>) -> String {
    match row {
        Some(r) => format!("row {r}: "),
        None => String::new(),
    }
}

fn validate_target(target: f64, row: Option<usize>) -> Result<()> {
    if !(target.is_finite() && target >= 0.0) {
        return Err(LlmError::invalid(
            "target",
            format!("{}{target}", row_prefix(row)),
            "a finite KL target >= 0 (nats)",
        ));
    }
    Ok(())
}

fn validate_log_probs(name: &'static str, v: &[f64], row: Option<usize>) -> Result<()> {
    if v.is_empty() {
        return Err(LlmError::invalid(
            name,
            format!("{}empty", row_prefix(row)),
            "at least one log-probability",
        ));
    }
    let mut max = f64::NEG_INFINITY;
    for (i, &x) in v.iter().enumerate() {
        if x.is_nan() || x == f64::INFINITY {
            return Err(LlmError::invalid(
                name,
                format!("{}entry {i} = {x}", row_prefix(row)),
                "log-probabilities (finite or -inf; never NaN or +inf)",
            ));
        }
        max = max.max(x);
    }
    let lse = if max == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else {
        let mut s = Sum::default();
        for &x in v {
            s.add((x - max).exp());
        }
        max + s.value().ln()
    };
    // (NaN-safe: a NaN lse is rejected too.)
    if lse.is_nan() || lse.abs() > NORMALISATION_TOL {
        return Err(LlmError::invalid(
            name,
            format!("{}logsumexp = {lse:e}", row_prefix(row)),
            "not normalised: |logsumexp| must be <= 1e-6 (rows are never renormalised here)",
        ));
    }
    Ok(())
}

fn validate(log_a: &[f64], log_b: &[f64], target: f64, row: Option<usize>) -> Result<()> {
    validate_target(target, row)?;
    validate_log_probs("log_a", log_a, row)?;
    if log_b.len() != log_a.len() {
        return Err(LlmError::invalid(
            "log_b",
            format!(
                "{}length {} (log_a has {})",
                row_prefix(row),
                log_b.len(),
                log_a.len()
            ),
            "the same length as log_a",
        ));
    }
    validate_log_probs("log_b", log_b, row)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// solvers

/// The answer for the cases that need no iteration, if any.
fn trivial(row: &Row, target: f64) -> std::result::Result<AlphaSolve, f64> {
    if row.infinite {
        // KL(α) = ∞ for every α > 0: α = 0 is the only feasible point.
        return Ok(AlphaSolve {
            alpha: 0.0,
            kl: 0.0,
            kl_max: f64::INFINITY,
            reached: true,
            iterations: 0,
        });
    }
    let (kl_max, _) = row.eval(1.0);
    if kl_max <= target {
        return Ok(AlphaSolve {
            alpha: 1.0,
            kl: kl_max,
            kl_max,
            reached: false,
            iterations: 1,
        });
    }
    if target == 0.0 {
        return Ok(AlphaSolve {
            alpha: 0.0,
            kl: 0.0,
            kl_max,
            reached: true,
            iterations: 1,
        });
    }
    Err(kl_max)
}

fn solve_row(row: &Row, target: f64) -> AlphaSolve {
    let kl_max = match trivial(row, target) {
        Ok(s) => return s,
        Err(kl_max) => kl_max,
    };
    let k = target;
    let (mut lo, mut flo) = (0.0f64, 0.0f64);
    let (mut hi, mut fhi) = (1.0f64, kl_max);
    let mut dhi = row.eval(1.0).1;
    let mut evals = 1usize;
    const MAX_EVALS: usize = 400;
    let done = |lo: f64, flo: f64, hi: f64| {
        let mid = 0.5 * (lo + hi);
        k - flo <= 4.0 * f64::EPSILON * k || mid <= lo || mid >= hi
    };
    while !done(lo, flo, hi) && evals < MAX_EVALS {
        // Newton from above: lands at or above the root (convexity).
        let mut c = hi - (fhi - k) / dhi;
        if !(c > lo && c < hi) {
            c = 0.5 * (lo + hi);
        }
        let (fc, dc) = row.eval(c);
        evals += 1;
        if fc <= k {
            lo = c;
            flo = fc;
        } else {
            hi = c;
            fhi = fc;
            dhi = dc;
        }
        if done(lo, flo, hi) {
            break;
        }
        // Secant (chord) from below: lands at or below the root (convexity).
        let mut c = lo + (k - flo) * (hi - lo) / (fhi - flo);
        if !(c > lo && c < hi) {
            c = 0.5 * (lo + hi);
        }
        let (fc, dc) = row.eval(c);
        evals += 1;
        if fc <= k {
            lo = c;
            flo = fc;
        } else {
            hi = c;
            fhi = fc;
            dhi = dc;
        }
    }
    AlphaSolve {
        alpha: lo,
        kl: flo,
        kl_max,
        reached: true,
        iterations: evals,
    }
}

/// The exact solve: safeguarded Newton/bisection to machine precision. The returned alpha satisfies kl <= target
/// (never above, so a budget cannot be exceeded by rounding) and |kl − target| <= 1e-12·max(1,target) when reachable.
/// Errors (typed, naming the input): target NaN/negative/infinite, lengths differ or empty, any NaN/+inf log-prob,
/// rows not normalised (|logsumexp| > 1e-6 — say so; never renormalise silently).
///
/// Newton steps from above alternate with secant steps from below (see the module doc); `iterations`
/// counts KL evaluations (9–14 on the C7 rows; mean 16, at most 54 over the
/// random rows of the tests — targets far below `KL(a‖b)` take more Newton steps from `α = 1`). `target = 0` gives `α = 0`; `KL(a‖b) <= target` gives `α = 1`,
/// `reached = false`; if `a` has mass where `b` has none, `KL(a‖b) = ∞` and `α = 0` is the only
/// feasible point (`kl_max = ∞`, `kl = 0`).
pub fn solve_alpha(log_a: &[f64], log_b: &[f64], target: f64) -> Result<AlphaSolve> {
    validate(log_a, log_b, target, None)?;
    Ok(solve_row(&Row::new(log_a, log_b), target))
}

/// The authors' literal KL and derivative (`logx_and_kl`, `dkl_dalpha`): `Σ x (log x − log b)` and
/// `Σ (a − b)(log x − log b + 1)`, with `log(1 − α)` as they write it; `0·(−∞ − −∞)` terms are taken as 0.
fn authors_kl(log_a: &[f64], log_b: &[f64], alpha: f64) -> (f64, f64) {
    let la = alpha.ln();
    let l1a = (1.0 - alpha).ln();
    let (mut kl, mut dkl) = (0.0, 0.0);
    for (&a, &b) in log_a.iter().zip(log_b) {
        let logx = log_add_exp(a + la, b + l1a);
        if logx == f64::NEG_INFINITY {
            if b > f64::NEG_INFINITY {
                dkl += -b.exp() * f64::INFINITY;
            }
            continue;
        }
        let rr = logx - b;
        kl += logx.exp() * rr;
        dkl += (a.exp() - b.exp()) * (rr + 1.0);
    }
    (kl, dkl)
}

/// The authors' `findalphafork` reproduced exactly (spec §3.5: start α = 1, bracket [bot, top], Newton step
/// clamped to [bot + (top−bot)/16, (bot+top)/2], `iterations` = 20 in their code), for comparison.
///
/// Per step: evaluate `kl` at α; `bot ← α` if `k >= kl`, `top ← α` if `k <= kl`;
/// `α ← clamp(α + (k − kl)/(dkl + 1e-12), bot·15/16 + top/16, bot/2 + top/2)`. The returned `alpha` is
/// the last clamped step (not evaluated inside the loop, as in their code) and `kl` is their KL at it,
/// which may be above the target. Same validation as [`solve_alpha`]; f64 instead of their f32.
pub fn solve_alpha_authors(
    log_a: &[f64],
    log_b: &[f64],
    target: f64,
    iterations: usize,
) -> Result<AlphaSolve> {
    validate(log_a, log_b, target, None)?;
    let k = target;
    let (kl_max, _) = authors_kl(log_a, log_b, 1.0);
    let (mut bot, mut top, mut alpha) = (0.0f64, 1.0f64, 1.0f64);
    for _ in 0..iterations {
        let (kl, dkl) = authors_kl(log_a, log_b, alpha);
        if k >= kl {
            bot = alpha;
        }
        if k <= kl {
            top = alpha;
        }
        let delta = (k - kl) / (dkl + 1e-12);
        let (min, max) = (bot * 15.0 / 16.0 + top / 16.0, bot / 2.0 + top / 2.0);
        // torch.clamp(x, min, max) = min(max(x, min), max)
        alpha = (alpha + delta).max(min).min(max);
    }
    let (kl, _) = authors_kl(log_a, log_b, alpha);
    Ok(AlphaSolve {
        alpha,
        kl,
        kl_max,
        reached: kl_max > k,
        iterations,
    })
}

/// Plain bisection reference (for tests and the report).
///
/// After the same `α = 1` / `α = 0` shortcuts as [`solve_alpha`], halves `[lo, hi]` (with
/// `KL(lo) <= target < KL(hi)`) up to `iterations` times (stopping early at adjacent floats) and returns `lo`.
pub fn solve_alpha_bisection(
    log_a: &[f64],
    log_b: &[f64],
    target: f64,
    iterations: usize,
) -> Result<AlphaSolve> {
    validate(log_a, log_b, target, None)?;
    let row = Row::new(log_a, log_b);
    let kl_max = match trivial(&row, target) {
        Ok(s) => return Ok(s),
        Err(kl_max) => kl_max,
    };
    let (mut lo, mut flo, mut hi) = (0.0f64, 0.0f64, 1.0f64);
    let mut steps = 0;
    while steps < iterations {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        let (f, _) = row.eval(mid);
        steps += 1;
        if f <= target {
            lo = mid;
            flo = f;
        } else {
            hi = mid;
        }
    }
    Ok(AlphaSolve {
        alpha: lo,
        kl: flo,
        kl_max,
        reached: true,
        iterations: steps,
    })
}

// ---------------------------------------------------------------------------------------------------
// the batched differentiable op

/// The differentiable batched op on candle tensors.
#[derive(Debug, Clone)]
pub struct FixedMixture {
    /// log x, (n, V), f32, differentiable w.r.t. log_a and target by implicit differentiation (spec §3.5 backward).
    /// Never NaN; −∞ exactly where `x_i = 0` (`a_i = b_i = 0`, or `α = 1` and `a_i = 0`).
    pub log_x: candle_core::Tensor,
    /// achieved KL per row as a differentiable (n,) f32 tensor (for the (kl_achieved − kl_target)² loss term).
    /// Its value is `solves[i].kl`; identically the target on reachable rows, `KL(a‖b)` on `α = 1` rows.
    pub kl: candle_core::Tensor,
    /// the f64 solves per row (exact KL accounting uses these).
    pub solves: Vec<AlphaSolve>,
}

/// Per-row f32 outputs of the f64 pass: values and the Jacobian coefficients at the solution.
struct RowOut {
    solve: AlphaSolve,
    /// `m/f'(α*)`: `dα/dk` on rows where α is differentiable, else 0.
    dalpha_dk: f32,
    /// 1 where α is differentiable (so the achieved KL is identically k), else 0.
    active: f32,
}

/// Fills one row's `log x`, `∂log x/∂log a` at fixed α (`α a/x`), `∂log x/∂α` (`(a−b)/x`) and
/// `∂KL/∂log a` at fixed α (`α a (log x − log b)`), all finite.
fn row_pass(
    log_a: &[f64],
    log_b: &[f64],
    target: f64,
    row: usize,
    out: [&mut [f32]; 4],
) -> Result<RowOut> {
    validate(log_a, log_b, target, Some(row))?;
    let prepared = Row::new(log_a, log_b);
    let solve = solve_row(&prepared, target);
    let alpha = solve.alpha;
    let [logx_out, ra_out, q_out, s_out] = out;
    let la = alpha.ln();
    let l1a = (-alpha).ln_1p();
    for i in 0..log_a.len() {
        let (a, b) = (log_a[i], log_b[i]);
        let lax = la + a; // log(α a)
        let logx = log_add_exp(lax, l1a + b);
        logx_out[i] = logx as f32;
        if logx == f64::NEG_INFINITY {
            ra_out[i] = 0.0;
            q_out[i] = 0.0;
            s_out[i] = 0.0;
            continue;
        }
        ra_out[i] = (lax - logx).exp() as f32;
        q_out[i] = ((a - logx).exp() - (b - logx).exp()) as f32;
        s_out[i] = if lax == f64::NEG_INFINITY || b == f64::NEG_INFINITY {
            0.0
        } else {
            (lax.exp() * (logx - b)) as f32
        };
    }
    let mut dalpha_dk = 0.0f32;
    let mut active = 0.0f32;
    if solve.reached && (ALPHA_GRAD_MIN..1.0).contains(&alpha) {
        let (_, dkl) = prepared.eval(alpha);
        let g = (1.0 / dkl) as f32;
        if dkl > 0.0 && g.is_finite() {
            dalpha_dk = g;
            active = 1.0;
        }
    }
    Ok(RowOut {
        solve,
        dalpha_dk,
        active,
    })
}

fn shape_error(name: &'static str, found: &[usize], expected: &'static str) -> LlmError {
    LlmError::invalid(name, format!("shape {found:?}"), expected)
}

/// log_a: (n, V) log-probs of the proposal (carries gradient); log_b: (n, V) base log-probs (no gradient; detach it);
/// target: (n,) KL targets in nats (carries gradient). Errors as solve_alpha, plus shape mismatches.
///
/// Any float dtype and device; the outputs are f32 on `log_a`'s device. Rows are solved in f64 on the
/// CPU (in parallel over rows); error messages name the row. `n >= 1` and `V >= 1` are required.
pub fn kl_fixed_mixture(log_a: &Tensor, log_b: &Tensor, target: &Tensor) -> Result<FixedMixture> {
    let (n, v) = match log_a.dims() {
        &[n, v] if n >= 1 && v >= 1 => (n, v),
        d => return Err(shape_error("log_a", d, "(n, V) with n >= 1 and V >= 1")),
    };
    if log_b.dims() != [n, v] {
        return Err(shape_error(
            "log_b",
            log_b.dims(),
            "the shape (n, V) of log_a",
        ));
    }
    if target.dims() != [n] {
        return Err(shape_error(
            "target",
            target.dims(),
            "(n,): one KL target per row of log_a",
        ));
    }
    for (name, t) in [("log_a", log_a), ("log_b", log_b), ("target", target)] {
        if !t.dtype().is_float() {
            return Err(LlmError::invalid(
                name,
                format!("dtype {:?}", t.dtype()),
                "a float tensor",
            ));
        }
    }
    let device = log_a.device().clone();
    let la64 = log_a
        .detach()
        .to_dtype(DType::F64)?
        .flatten_all()?
        .to_vec1::<f64>()?;
    let lb64 = log_b
        .detach()
        .to_dtype(DType::F64)?
        .flatten_all()?
        .to_vec1::<f64>()?;
    let k64 = target.detach().to_dtype(DType::F64)?.to_vec1::<f64>()?;

    // f64 pass, parallel over rows.
    let mut logx = vec![0f32; n * v];
    let mut ra = vec![0f32; n * v];
    let mut q = vec![0f32; n * v];
    let mut s = vec![0f32; n * v];
    let threads = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1)
        .clamp(1, n);
    let rows_per = n.div_ceil(threads);
    let chunk = rows_per * v;
    let results: Vec<Result<Vec<RowOut>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = logx
            .chunks_mut(chunk)
            .zip(ra.chunks_mut(chunk))
            .zip(q.chunks_mut(chunk))
            .zip(s.chunks_mut(chunk))
            .enumerate()
            .map(|(t, (((lx, r), qq), ss))| {
                let (la64, lb64, k64) = (&la64, &lb64, &k64);
                scope.spawn(move || -> Result<Vec<RowOut>> {
                    let first = t * rows_per;
                    let rows = lx.len() / v;
                    let mut outs = Vec::with_capacity(rows);
                    for j in 0..rows {
                        let i = first + j;
                        let sl = j * v..(j + 1) * v;
                        outs.push(row_pass(
                            &la64[i * v..(i + 1) * v],
                            &lb64[i * v..(i + 1) * v],
                            k64[i],
                            i,
                            [
                                &mut lx[sl.clone()],
                                &mut r[sl.clone()],
                                &mut qq[sl.clone()],
                                &mut ss[sl],
                            ],
                        )?);
                    }
                    Ok(outs)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .expect("kl_fixed_mixture: a row solver thread panicked")
            })
            .collect()
    });
    let mut outs = Vec::with_capacity(n);
    for r in results {
        outs.extend(r?);
    }

    let solves: Vec<AlphaSolve> = outs.iter().map(|o| o.solve).collect();
    let dalpha_dk: Vec<f32> = outs.iter().map(|o| o.dalpha_dk).collect();
    let active: Vec<f32> = outs.iter().map(|o| o.active).collect();
    let kl_vals: Vec<f32> = solves.iter().map(|s| s.kl as f32).collect();

    let logx_c = Tensor::from_vec(logx, (n, v), &device)?;
    let ra_c = Tensor::from_vec(ra, (n, v), &device)?;
    let q_c = Tensor::from_vec(q, (n, v), &device)?;
    let s_c = Tensor::from_vec(s, (n, v), &device)?;
    let dadk_c = Tensor::from_vec(dalpha_dk, (n, 1), &device)?;
    let inactive: Vec<f32> = active.iter().map(|m| 1.0 - m).collect();
    let active_c = Tensor::from_vec(active, (n, 1), &device)?;
    let inactive_c = Tensor::from_vec(inactive, (n, 1), &device)?;
    let kl_c = Tensor::from_vec(kl_vals, n, &device)?;

    // The gradient carriers: linear in log a and k with the implicit-function Jacobian at α*.
    let la_g = log_a.to_dtype(DType::F32)?;
    let la_g = if la64.iter().all(|&x| (x as f32) > f32::NEG_INFINITY) {
        la_g
    } else {
        // −∞ entries (a_i = 0) get zero coefficients; keep them out of the products (0·∞ = NaN).
        let finite = la_g.detach().ge(f32::MIN as f64)?;
        finite.where_cond(&la_g, &la_g.zeros_like()?)?
    };
    let k_g = target.to_dtype(DType::F32)?.reshape((n, 1))?;
    let s_dot = s_c.mul(&la_g)?.sum_keepdim(1)?; // Σ_j ∂KL/∂log a_j · log a_j
    let alpha_lin = dadk_c.mul(&k_g.sub(&s_dot)?)?; // (n, 1)
    let logx_lin = ra_c.mul(&la_g)?.add(&q_c.broadcast_mul(&alpha_lin)?)?;
    let kl_lin = active_c
        .mul(&k_g)?
        .add(&inactive_c.mul(&s_dot)?)?
        .squeeze(1)?;
    let log_x = logx_c.add(&logx_lin.sub(&logx_lin.detach())?)?;
    let kl = kl_c.add(&kl_lin.sub(&kl_lin.detach())?)?;
    Ok(FixedMixture { log_x, kl, solves })
}

/// Log-softmax over the last dimension, computed in f64 (Neumaier-compensated sum) and rounded to f32,
/// differentiable (gradient `δ_ij − p_j`, attached as in [`kl_fixed_mixture`]).
///
/// Use it to build the inputs of [`kl_fixed_mixture`]: candle's f32 `log_softmax` sums the exponentials
/// naively, and over a 32 000-token vocabulary with a few dominant logits its rows are normalised only
/// to ~1e-4 on the CPU (9.1e-5 measured in the tests), which the `|logsumexp| <= 1e-6` check rejects.
/// Rows of correctly rounded f32 log-probs are within about `H(p)·2^-24 <= 6.2e-7` of normalised for
/// `V <= 32 000`. Logits may be −∞ (masked tokens); NaN, +∞ or an all −∞ row is an error naming `logits`.
pub fn exact_log_softmax(logits: &Tensor) -> Result<Tensor> {
    let dims = logits.dims().to_vec();
    let v = match dims.last() {
        Some(&v) if v >= 1 => v,
        _ => {
            return Err(shape_error(
                "logits",
                &dims,
                "at least one dimension, the last (vocabulary) non-empty",
            ))
        }
    };
    if !logits.dtype().is_float() {
        return Err(LlmError::invalid(
            "logits",
            format!("dtype {:?}", logits.dtype()),
            "a float tensor",
        ));
    }
    let z64 = logits
        .detach()
        .to_dtype(DType::F64)?
        .flatten_all()?
        .to_vec1::<f64>()?;
    let rows = z64.len() / v;
    let mut out = vec![0f32; z64.len()];
    let mut p = vec![0f32; z64.len()];
    let mut any_neg_inf = false;
    for r in 0..rows {
        let z = &z64[r * v..(r + 1) * v];
        let mut m = f64::NEG_INFINITY;
        for (i, &x) in z.iter().enumerate() {
            if x.is_nan() || x == f64::INFINITY {
                return Err(LlmError::invalid(
                    "logits",
                    format!("row {r}: entry {i} = {x}"),
                    "finite or -inf logits",
                ));
            }
            any_neg_inf |= (x as f32) == f32::NEG_INFINITY;
            m = m.max(x);
        }
        if m == f64::NEG_INFINITY {
            return Err(LlmError::invalid(
                "logits",
                format!("row {r}: all -inf"),
                "at least one finite logit per row",
            ));
        }
        let mut s = Sum::default();
        for &x in z {
            s.add((x - m).exp());
        }
        let lse = m + s.value().ln();
        for i in 0..v {
            let l = z[i] - lse;
            out[r * v + i] = l as f32;
            p[r * v + i] = l.exp() as f32;
        }
    }
    let device = logits.device();
    let out_c = Tensor::from_vec(out, dims.as_slice(), device)?;
    let p_c = Tensor::from_vec(p, dims.as_slice(), device)?;
    let z_g = logits.to_dtype(DType::F32)?;
    let z_g = if any_neg_inf {
        let finite = z_g.detach().ge(f32::MIN as f64)?;
        finite.where_cond(&z_g, &z_g.zeros_like()?)?
    } else {
        z_g
    };
    let last = dims.len() - 1;
    let lin = z_g.broadcast_sub(&p_c.mul(&z_g)?.sum_keepdim(last)?)?;
    Ok(out_c.add(&lin.sub(&lin.detach())?)?)
}

#[cfg(test)]
mod tests;
