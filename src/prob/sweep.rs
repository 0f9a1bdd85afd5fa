//! A fused, parallel sweep of the tilted policy over many temperatures at once: for each β,
//! `E_π_β[U]`, `Var_π_β(U)`, `E_π_β[V]`, `KL(π_β‖π₀)` and `ln Z(β)` on supports of up to ~10⁸
//! atoms — the same quantities as [`Tilt::at`](super::Tilt::at), with the same formulas.
//!
//! ```text
//! π_β(i) ∝ π₀(i)·exp(U_i/β),  c = E_π₀[U],  d_i = (U_i − c)/β,  m = max_i d_i
//! centred (m <= 500):  S = E₀[e^d − 1] = E₀[h(d)] + E₀[d],  h(d) = e^d − 1 − d  (no cancellation)
//!                      E_π[U − c] = E₀[(U − c)·e^d]/(1 + S),  KL = E_π[d] − ln1p(S)
//! shifted (m > 500):   a_i = d_i − m <= 0,  Z = E₀[e^a],  KL = E_π[a] − ln Z,  E_π[U] = max U + β·E_π[a]
//! ```
//!
//! The centred form is [`Tilt::at`](super::Tilt::at)'s weak-tilt form; here it is used up to
//! `m = 500` (where `e^m` is still far from overflow) because it keeps KL accurate whenever KL is
//! small compared with `m` — weak tilt (β = 10⁶: KL ≈ 1e-13) included. The shifted form takes
//! over only where `e^m` could overflow, i.e. at strong tilt, where nothing cancels.
//!
//! Speed: U (and V) are read from memory once. Each rayon task owns a fixed chunk of 2¹⁶ atoms,
//! walks it in L1-sized blocks of 1024 and does every β on a block while it is in cache. Per
//! (block, β) an element-wise pass computes `h(d)` (or `e^a`) with the branch-free
//! [`crate::numerics::fastexp`], then the four sums are taken in 16 interleaved lanes.
//! Both loops are plain safe Rust that LLVM vectorises; `pulp` runs them inside functions compiled
//! for AVX-512 or AVX2 when the CPU has them (runtime detection, no FMA contraction), so every
//! x86-64 gets bit-identical results — tested against the plain SSE2 build. In the shifted form
//! a block whose largest `a` is below −709 contributes exactly `+0` to every sum and is skipped.
//! Block sums enter per-chunk Neumaier accumulators, and chunk results are merged by Neumaier
//! in chunk order, so the result is bit-identical for any thread count.
//!
//! Accuracy: at most 64 plain additions per lane before compensation (relative error below
//! ~1e-14 for the positive sums, typically ~1e-16); `fastexp` is within 1 ulp of libm. Tests:
//! within 1e-12 (relative) of [`Tilt::at`](super::Tilt::at) for β from 1e-4 to 1e6 (KL from 16
//! nats down to 1e-13), and of the closed form `x²/8 − x⁴/64 + x⁶/576` at weak tilt. On
//! `bench.py`'s own 10⁷ atoms and 50 β, KL agrees with a NumPy centred-`expm1` evaluation to
//! 3.5e-15 (the tuned NumPy identity is off by up to 1e-12 at β = 100).

use rayon::prelude::*;

use super::probs::{check_len, Probs};
use crate::error::{Error, Result};
use crate::numerics::{fastexp, Neumaier};

/// Interleaved accumulators per sum: 2 AVX-512, 4 AVX2 or 8 SSE2 registers, enough independent
/// add chains to hide the add latency; fixed, so the summation order never depends on the CPU.
const LANES: usize = 16;
/// Atoms per cache block: U−c, p·(U−c), V, p·V stay in L1 while all β pass over them.
const BLOCK: usize = 1024;
/// Atoms per parallel work unit: fixed, so the merge order does not depend on the thread count.
const CHUNK: usize = 64 * BLOCK;
/// The centred form is used while `m = (max U − c)/β <= M_CENTRED` (e^500 ≈ 1.4e217: sums of
/// `d²·e^d·V`-sized terms stay finite).
pub const M_CENTRED: f64 = 500.0;

/// The tilted policy at one β, as computed by [`TiltSweep::run`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SweepPoint {
    /// The temperature β.
    pub beta: f64,
    /// `E_π_β[U]`.
    pub mean_u: f64,
    /// `Var_π_β(U)`, a difference of two moments: its absolute error is ~1e-16·`E_π_β[(U − c)²]`
    /// (so it loses relative accuracy where the tilted variance is tiny next to that).
    pub var_u: f64,
    /// `E_π_β[V]`, if a `V` was given.
    pub mean_v: Option<f64>,
    /// `KL(π_β‖π₀)` in nats.
    pub kl: f64,
    /// `ln Z(β) = ln E_π₀[exp(U/β)]`.
    pub log_z: f64,
}

/// Rewards `U`, an optional second function `V` and an optional base distribution (uniform if
/// absent), validated once; [`TiltSweep::run`] evaluates any number of β in one pass.
#[derive(Debug, Clone)]
pub struct TiltSweep<'a> {
    u: &'a [f64],
    v: Option<&'a [f64]>,
    p: Option<&'a [f64]>,
    centre: f64,
    u_max: f64,
}

/// How one β is evaluated.
#[derive(Debug, Clone, Copy)]
struct Plan {
    inv_beta: f64,
    /// `(max U − c)/β`.
    m: f64,
    centred: bool,
}

/// One chunk's partial sums: per β four Neumaier sums (their meaning depends on the β's form),
/// and the β-independent `Σ p(U−c)`, `Σ p(U−c)²`, `Σ p·V`.
struct ChunkSums {
    per_beta: Vec<[Neumaier; 4]>,
    b0: Neumaier,
    q0: Neumaier,
    v0: Neumaier,
}

impl ChunkSums {
    fn new(n_beta: usize) -> Self {
        Self {
            per_beta: vec![[Neumaier::new(); 4]; n_beta],
            b0: Neumaier::new(),
            q0: Neumaier::new(),
            v0: Neumaier::new(),
        }
    }

    fn merge(&mut self, other: &ChunkSums) {
        for (a, b) in self.per_beta.iter_mut().zip(&other.per_beta) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        self.b0.merge(&other.b0);
        self.q0.merge(&other.q0);
        self.v0.merge(&other.v0);
    }
}

impl<'a> TiltSweep<'a> {
    /// Validates the inputs and computes `c = E_π₀[U]` and `max U` on the support (one parallel
    /// pass).
    ///
    /// # Errors
    /// [`Error::Empty`] for an empty `u`; [`Error::LengthMismatch`] if `v` or `base` has another
    /// length; [`Error::NotFinite`] for a non-finite `U` or `V` on the support (atoms with base
    /// probability 0 are ignored, as in [`Tilt`](super::Tilt)).
    pub fn new(u: &'a [f64], v: Option<&'a [f64]>, base: Option<&'a Probs>) -> Result<Self> {
        if u.is_empty() {
            return Err(Error::Empty { name: "reward" });
        }
        if let Some(v) = v {
            check_len("reward", u.len(), "V", v.len())?;
        }
        if let Some(b) = base {
            check_len("reward", u.len(), "base", b.len())?;
        }
        let p = base.map(Probs::as_slice);
        let parts: Vec<Result<(Neumaier, f64)>> = (0..u.len().div_ceil(CHUNK))
            .into_par_iter()
            .map(|ci| {
                let (lo, hi) = (ci * CHUNK, ((ci + 1) * CHUNK).min(u.len()));
                let mut s = Neumaier::new();
                let mut mx = f64::NEG_INFINITY;
                for i in lo..hi {
                    let pi = p.map_or(1.0, |p| p[i]);
                    if pi > 0.0 {
                        let x = u[i];
                        if !x.is_finite() {
                            return Err(Error::NotFinite {
                                name: "reward",
                                value: x,
                            });
                        }
                        if let Some(v) = v {
                            if !v[i].is_finite() {
                                return Err(Error::NotFinite {
                                    name: "V",
                                    value: v[i],
                                });
                            }
                        }
                        s.add(if p.is_some() { pi * x } else { x });
                        mx = mx.max(x);
                    }
                }
                Ok((s, mx))
            })
            .collect();
        let mut sum = Neumaier::new();
        let mut u_max = f64::NEG_INFINITY;
        for part in parts {
            let (s, mx) = part?;
            sum.merge(&s);
            u_max = u_max.max(mx);
        }
        let centre = if p.is_some() {
            sum.total()
        } else {
            sum.total() / u.len() as f64
        };
        Ok(Self {
            u,
            v,
            p,
            centre,
            u_max,
        })
    }

    /// `E_π₀[U]`.
    pub fn base_mean(&self) -> f64 {
        self.centre
    }

    /// `max U` over the support.
    pub fn u_max(&self) -> f64 {
        self.u_max
    }

    /// Evaluates every β (any order; `+∞` allowed and gives π₀ itself) in one parallel pass.
    ///
    /// # Errors
    /// [`Error::NotPositive`] for a β that is `<= 0` or NaN; [`Error::NotFinite`] if a result
    /// overflows (rewards near `f64::MAX`).
    pub fn run(&self, betas: &[f64]) -> Result<Vec<SweepPoint>> {
        self.run_on(betas, pulp::Arch::new())
    }

    /// [`TiltSweep::run`] on a given instruction set (`pulp::Arch::Scalar` is plain SSE2).
    fn run_on(&self, betas: &[f64], arch: pulp::Arch) -> Result<Vec<SweepPoint>> {
        for &b in betas {
            if !(b > 0.0) {
                return Err(Error::NotPositive {
                    name: "beta",
                    value: b,
                });
            }
        }
        let uc_max = self.u_max - self.centre;
        let plans: Vec<Plan> = betas
            .iter()
            .map(|&b| {
                let inv_beta = 1.0 / b;
                let m = uc_max * inv_beta;
                Plan {
                    inv_beta,
                    m,
                    centred: m <= M_CENTRED,
                }
            })
            .collect();
        let n_chunks = self.u.len().div_ceil(CHUNK);
        let parts: Vec<ChunkSums> = (0..n_chunks)
            .into_par_iter()
            .map(|ci| match (self.p.is_some(), self.v.is_some()) {
                (false, false) => arch.dispatch(ChunkOp::<false, false> {
                    sweep: self,
                    ci,
                    plans: &plans,
                }),
                (false, true) => arch.dispatch(ChunkOp::<false, true> {
                    sweep: self,
                    ci,
                    plans: &plans,
                }),
                (true, false) => arch.dispatch(ChunkOp::<true, false> {
                    sweep: self,
                    ci,
                    plans: &plans,
                }),
                (true, true) => arch.dispatch(ChunkOp::<true, true> {
                    sweep: self,
                    ci,
                    plans: &plans,
                }),
            })
            .collect();
        let mut total = ChunkSums::new(plans.len());
        for part in &parts {
            total.merge(part);
        }
        // Uniform base: the sums are unweighted; divide by N once (exact N, one rounding).
        let n = self.u.len() as f64;
        let norm = |x: &Neumaier| {
            if self.p.is_some() {
                x.total()
            } else {
                x.total() / n
            }
        };
        let (b0, q0, v0) = (norm(&total.b0), norm(&total.q0), norm(&total.v0));
        let c = self.centre;
        let mut out = Vec::with_capacity(betas.len());
        for ((&beta, plan), sums) in betas.iter().zip(&plans).zip(&total.per_beta) {
            let mean_v_of = |x: f64| self.v.map(|_| x);
            let point = if beta == f64::INFINITY {
                SweepPoint {
                    beta,
                    mean_u: c + b0,
                    var_u: (q0 - b0 * b0).max(0.0),
                    mean_v: mean_v_of(v0),
                    kl: 0.0,
                    log_z: 0.0,
                }
            } else if plan.centred {
                // sums = [Σ p·h(d), Σ p(U−c)(e^d−1), Σ p(U−c)²(e^d−1), Σ p·V(e^d−1)]
                let [sh, a, a2, av] = sums.each_ref().map(norm);
                let ib = plan.inv_beta;
                let s = sh + b0 * ib;
                let one_s = 1.0 + s;
                let e_uc = (b0 + a) / one_s;
                let e_uc2 = (q0 + a2) / one_s;
                let e_d = e_uc * ib;
                SweepPoint {
                    beta,
                    mean_u: c + e_uc,
                    var_u: (e_uc2 - e_uc * e_uc).max(0.0),
                    mean_v: mean_v_of((v0 + av) / one_s),
                    kl: (e_d - s.ln_1p()).max(0.0),
                    log_z: s.ln_1p() + c * ib,
                }
            } else {
                // sums = [Σ p·e^a, Σ p·e^a·a, Σ p·e^a·a², Σ p·e^a·V], a = d − m <= 0
                let [z, za, za2, zv] = sums.each_ref().map(Neumaier::total);
                let (e_a, e_a2) = (za / z, za2 / z);
                let ln_z = norm(&sums[0]).ln();
                SweepPoint {
                    beta,
                    mean_u: self.u_max + beta * e_a,
                    var_u: beta * beta * (e_a2 - e_a * e_a).max(0.0),
                    mean_v: mean_v_of(zv / z),
                    kl: (e_a - ln_z).max(0.0),
                    log_z: ln_z + plan.m + c * plan.inv_beta,
                }
            };
            for (name, x) in [
                ("E_pi[U]", point.mean_u),
                ("KL", point.kl),
                ("ln Z", point.log_z),
            ] {
                if !x.is_finite() {
                    return Err(Error::NotFinite { name, value: x });
                }
            }
            out.push(point);
        }
        Ok(out)
    }

    /// All β on chunk `ci`, block by block. `W`: weighted base; `HV`: a V is present.
    /// Inlined into [`ChunkOp::with_simd`], i.e. compiled once per instruction set.
    #[inline(always)]
    fn chunk<const W: bool, const HV: bool>(&self, ci: usize, plans: &[Plan]) -> ChunkSums {
        let (lo, hi) = (ci * CHUNK, ((ci + 1) * CHUNK).min(self.u.len()));
        let mut sums = ChunkSums::new(plans.len());
        let mut uc = [0.0f64; BLOCK]; // U − c (0 off the support)
        let mut puc = [0.0f64; BLOCK]; // p·(U − c)
        let mut vv = [0.0f64; BLOCK]; // V (0 off the support)
        let mut pv = [0.0f64; BLOCK]; // p·V
        let mut pp = [0.0f64; BLOCK]; // p
        let mut scratch = Scratch {
            f: [0.0; BLOCK],
            g: [0.0; BLOCK],
        };
        let c = self.centre;
        let mut start = lo;
        while start < hi {
            let n = BLOCK.min(hi - start);
            let u = &self.u[start..start + n];
            if W {
                let p = &self.p.unwrap_or(&[])[start..start + n];
                for i in 0..n {
                    let on = p[i] > 0.0;
                    uc[i] = if on { u[i] - c } else { 0.0 };
                    puc[i] = p[i] * uc[i];
                    pp[i] = p[i];
                }
                if HV {
                    let v = &self.v.unwrap_or(&[])[start..start + n];
                    for i in 0..n {
                        vv[i] = if p[i] > 0.0 { v[i] } else { 0.0 };
                        pv[i] = p[i] * vv[i];
                    }
                }
            } else {
                for i in 0..n {
                    uc[i] = u[i] - c;
                }
                if HV {
                    vv[..n].copy_from_slice(&self.v.unwrap_or(&[])[start..start + n]);
                }
            }
            let (uc, puc, vv, pv, pp) = (&uc[..n], &puc[..n], &vv[..n], &pv[..n], &pp[..n]);
            // In the unweighted case p ≡ 1 (N applied at the end): p·x is x itself.
            let (puc, pv) = if W { (puc, pv) } else { (uc, vv) };
            sums.b0.add(puc.iter().sum::<f64>());
            sums.q0
                .add(puc.iter().zip(uc).map(|(a, b)| a * b).sum::<f64>());
            if HV {
                sums.v0.add(pv.iter().sum::<f64>());
            }
            // Shifted form: a block whose largest a is below −709 has every weight exactly 0 and
            // would add exactly +0 to every sum, so skipping it changes no bit.
            let blk_max = uc.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            for (plan, acc) in plans.iter().zip(sums.per_beta.iter_mut()) {
                if !plan.centred && blk_max * plan.inv_beta - plan.m < -709.0 {
                    continue;
                }
                let s = if plan.centred {
                    centred_block::<W, HV>(uc, puc, pv, pp, plan.inv_beta, &mut scratch)
                } else {
                    shifted_block::<W, HV>(uc, vv, pp, plan.inv_beta, plan.m, &mut scratch)
                };
                for (a, x) in acc.iter_mut().zip(s) {
                    a.add(x);
                }
            }
            start += n;
        }
        sums
    }
}

/// One chunk as a `pulp` operation: `Arch::dispatch` runs it inside a function compiled for
/// the best instruction set the CPU has (AVX2 on x86-64-v3), so LLVM vectorises the
/// branch-free kernels 4 wide instead of SSE2's 2. No FMA is ever formed (Rust does not contract
/// `a*b + c`), so every instruction set gives bit-identical results.
struct ChunkOp<'s, 'a, const W: bool, const HV: bool> {
    sweep: &'s TiltSweep<'a>,
    ci: usize,
    plans: &'s [Plan],
}

impl<const W: bool, const HV: bool> pulp::WithSimd for ChunkOp<'_, '_, W, HV> {
    type Output = ChunkSums;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> ChunkSums {
        self.sweep.chunk::<W, HV>(self.ci, self.plans)
    }
}

/// Uniform base convenience: `TiltSweep::new(u, v, None)?.run(betas)`.
///
/// # Errors
/// As [`TiltSweep::new`] and [`TiltSweep::run`].
pub fn tilt_sweep(u: &[f64], v: Option<&[f64]>, betas: &[f64]) -> Result<Vec<SweepPoint>> {
    TiltSweep::new(u, v, None)?.run(betas)
}

/// Sums the lanes in a fixed order (a balanced tree).
#[inline(always)]
fn fold(l: [f64; LANES]) -> f64 {
    let mut w = l;
    let mut n = LANES;
    while n > 1 {
        n /= 2;
        for j in 0..n {
            w[j] = w[2 * j] + w[2 * j + 1];
        }
    }
    w[0]
}

/// Lane sums: `Σ_i term(i)` in `LANES` interleaved lanes (term `i` goes to lane `i mod LANES`),
/// the lanes then summed in a fixed order. One sum per loop over fixed-size chunks, so LLVM's
/// SLP vectoriser packs the lanes (one AVX2 or two SSE2 registers) with the same arithmetic
/// either way.
macro_rules! lane_sum {
    ($n:expr, [$($x:ident in $s:ident),+] => $term:expr) => {{
        let n = $n;
        let mut acc = [0.0f64; LANES];
        let full = n - n % LANES;
        let mut i = 0;
        $(let $x = &$s[..n];)+
        while i < full {
            $(let $x: &[f64; LANES] = $x[i..i + LANES].try_into().unwrap_or(&[0.0; LANES]);)+
            for j in 0..LANES {
                $(let $x = $x[j];)+
                acc[j] += $term;
            }
            i += LANES;
        }
        for (j, i) in (full..n).enumerate() {
            $(let $x = $x[i];)+
            acc[j] += $term;
        }
        fold(acc)
    }};
}

/// `[Σ x0, Σ x1·y1, Σ (x1·y1)·z1, Σ x3·y3]` over a block (all slices of one length).
#[inline(always)]
fn lane_sums<const HV: bool>(
    x0: &[f64],
    x1: &[f64],
    y1: &[f64],
    z1: &[f64],
    x3: &[f64],
    y3: &[f64],
) -> [f64; 4] {
    let n = x0.len();
    [
        lane_sum!(n, [a in x0] => a),
        lane_sum!(n, [a in x1, b in y1] => a * b),
        lane_sum!(n, [a in x1, b in y1, c in z1] => (a * b) * c),
        if HV {
            lane_sum!(n, [a in x3, b in y3] => a * b)
        } else {
            0.0
        },
    ]
}

/// Scratch space of one block.
struct Scratch {
    f: [f64; BLOCK],
    g: [f64; BLOCK],
}

/// Centred form on one block: `[Σ p·h(d), Σ p(U−c)(e^d−1), Σ p(U−c)²(e^d−1), Σ p·V(e^d−1)]`.
/// Two passes: an element-wise map (h, e^d − 1; vectorised by the loop vectoriser), then the
/// lane sums.
#[inline(always)]
fn centred_block<const W: bool, const HV: bool>(
    uc: &[f64],
    puc: &[f64],
    pv: &[f64],
    p: &[f64],
    ib: f64,
    s: &mut Scratch,
) -> [f64; 4] {
    let n = uc.len();
    let (h, em1) = (&mut s.f[..n], &mut s.g[..n]);
    for ((h, em1), &u) in h.iter_mut().zip(em1.iter_mut()).zip(uc) {
        let d = u * ib;
        let x = fastexp::expm1_minus_x(d);
        *h = x;
        *em1 = x + d;
    }
    if W {
        // Σ p·h: fold p into h first (one more map).
        for (h, &pi) in h.iter_mut().zip(&p[..n]) {
            *h *= pi;
        }
    }
    lane_sums::<HV>(h, puc, em1, uc, pv, em1)
}

/// Shifted form on one block: `[Σ p·e^a, Σ p·e^a·a, Σ p·e^a·a², Σ p·e^a·V]`, `a = (U−c)/β − m`.
#[inline(always)]
fn shifted_block<const W: bool, const HV: bool>(
    uc: &[f64],
    v: &[f64],
    p: &[f64],
    ib: f64,
    m: f64,
    s: &mut Scratch,
) -> [f64; 4] {
    let n = uc.len();
    let (w, a) = (&mut s.f[..n], &mut s.g[..n]);
    for ((w, a), &u) in w.iter_mut().zip(a.iter_mut()).zip(uc) {
        // Clamped so that an overflowed −∞ (|U − c|/β > f64::MAX) gives weight 0, not 0·∞ = NaN.
        let x = u * ib - m;
        let x = if x < -1e4 { -1e4 } else { x };
        *a = x;
        *w = fastexp::exp_finite(x);
    }
    if W {
        for (w, &pi) in w.iter_mut().zip(&p[..n]) {
            *w *= pi;
        }
    }
    lane_sums::<HV>(w, w, a, a, w, v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};
    use crate::prob::{kl, Tilt};
    use crate::sim::seeds::stream_rng;
    use rand_distr::{Distribution, StandardNormal, StudentT};

    /// `n` atoms: U = 1 + X + V with X ~ t(5) (tails reach a few tens), V = 2 + N(0, 1).
    fn atoms(n: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = stream_rng(seed, "sweep-test");
        let t5 = StudentT::new(5.0).unwrap();
        let mut u = Vec::with_capacity(n);
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let x: f64 = t5.sample(&mut rng);
            let z: f64 = StandardNormal.sample(&mut rng);
            v.push(2.0 + z);
            u.push(1.0 + x + z);
        }
        (u, v)
    }

    /// β from strong tilt (shifted form, m > 500) through intermediate to weak (1e4..1e6).
    fn betas() -> Vec<f64> {
        let mut b: Vec<f64> = (0..=40)
            .map(|i| 10f64.powf(-4.0 + 10.0 * i as f64 / 40.0))
            .collect();
        b.push(f64::INFINITY);
        b
    }

    fn compare(u: &[f64], v: &[f64], base: &Probs, weighted: bool) {
        let sweep = TiltSweep::new(u, Some(v), if weighted { Some(base) } else { None }).unwrap();
        let tilt = Tilt::new(base, u).unwrap();
        let bs = betas();
        let got = sweep.run(&bs).unwrap();
        let (mut shifted, mut weak) = (0, 0);
        let var0 = tilt.at(f64::INFINITY).unwrap().var_u;
        for (g, &beta) in got.iter().zip(&bs) {
            let want = tilt.at(beta).unwrap();
            assert_eq!(g.beta, beta);
            let m = (sweep.u_max() - sweep.base_mean()) / beta;
            shifted += usize::from(m > M_CENTRED);
            weak += usize::from(beta >= 1e4);
            let rel = Tolerance::rel(1e-12);
            assert_close(g.kl, want.kl, rel);
            assert_close(g.mean_u, want.mean_u, rel);
            assert_close(g.log_z, want.log_z, rel);
            // Variance: a difference of two moments (documented ~1e-10 relative); at strong tilt
            // Tilt::at's own cancellation clamps it to 0 where ours is ~1e-275, hence the abs part.
            assert_close(g.var_u, want.var_u, Tolerance::new(1e-9, 1e-12 * var0));
            let ev = if beta.is_finite() {
                tilt.expect(beta, v).unwrap()
            } else {
                base.expect(v).unwrap()
            };
            assert_close(g.mean_v.unwrap(), ev, rel);
        }
        assert!(
            shifted >= 3 && weak >= 9,
            "both forms exercised: {shifted} shifted, {weak} weak"
        );
    }

    #[test]
    fn matches_tilt_at_uniform_base_across_chunks() {
        // 70_003 atoms: two chunks, a partial last block and a remainder that is not a multiple of 4.
        let (u, v) = atoms(70_003, 1);
        compare(&u, &v, &Probs::uniform(u.len()).unwrap(), false);
    }

    #[test]
    fn matches_tilt_at_weighted_base_with_zero_mass_atoms() {
        let (mut u, v) = atoms(3_001, 2);
        let mut w: Vec<f64> = (0..u.len()).map(|i| 1.0 + (i % 7) as f64).collect();
        // Off-support atoms may hold anything finite or not; they must not matter.
        for i in [0, 17, 1000, 3000] {
            w[i] = 0.0;
            u[i] = if i == 17 { f64::NAN } else { 1e300 };
        }
        let base = Probs::from_weights("w", &w).unwrap();
        compare(&u, &v, &base, true);
    }

    #[test]
    fn weak_tilt_kl_is_relatively_exact() {
        // U ∈ {0, 1} uniform: KL = x²/8 − x⁴/64 + x⁶/576 + O(x⁸), x = 1/β (series of
        // ln2 + q ln q + (1−q) ln(1−q), q = σ(x); checked against 60-digit `decimal` arithmetic:
        // β = 1e4 → 1.2499999984375000017e-9).
        let u = vec![0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        let pts = tilt_sweep(&u, None, &[1e4, 1e5, 1e6]).unwrap();
        for p in &pts {
            let x = 1.0 / p.beta;
            assert_close(
                p.kl,
                x * x / 8.0 - x.powi(4) / 64.0 + x.powi(6) / 576.0,
                Tolerance::rel(1e-13),
            );
            assert_eq!(p.mean_v, None);
        }
        // Strong and intermediate tilt: π_β(1) = σ(1/β), KL = ln 2 + q ln q + (1−q) ln(1−q).
        let half = Probs::uniform(2).unwrap();
        for p in tilt_sweep(&u, None, &[1e-3, 0.01, 0.3, 1.0, 7.0]).unwrap() {
            let q = 1.0 / (1.0 + (-1.0 / p.beta).exp());
            let exact = kl(&Probs::new(vec![1.0 - q, q]).unwrap(), &half).unwrap();
            assert_close(p.kl, exact, Tolerance::rel(1e-12));
            assert_close(p.mean_u, q, Tolerance::rel(1e-14));
        }
    }

    #[test]
    fn bit_identical_for_one_and_two_threads() {
        let (u, v) = atoms(200_000, 3);
        let bs = betas();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| tilt_sweep(&u, Some(&v), &bs).unwrap())
        };
        let (one, two) = (run(1), run(2));
        for (a, b) in one.iter().zip(&two) {
            assert_eq!(a.kl.to_bits(), b.kl.to_bits());
            assert_eq!(a.mean_u.to_bits(), b.mean_u.to_bits());
            assert_eq!(a.mean_v.unwrap().to_bits(), b.mean_v.unwrap().to_bits());
            assert_eq!(a.var_u.to_bits(), b.var_u.to_bits());
        }
    }

    #[test]
    fn bit_identical_on_every_instruction_set() {
        // The dispatched path (AVX2 where the CPU has it) against plain SSE2, bit for bit.
        let (u, v) = atoms(20_011, 4);
        let w: Vec<f64> = (0..u.len()).map(|i| 1.0 + (i % 5) as f64).collect();
        let base = Probs::from_weights("w", &w).unwrap();
        for b in [None, Some(&base)] {
            let s = TiltSweep::new(&u, Some(&v), b).unwrap();
            let fast = s.run_on(&betas(), pulp::Arch::new()).unwrap();
            let plain = s.run_on(&betas(), pulp::Arch::Scalar).unwrap();
            for (a, b) in fast.iter().zip(&plain) {
                assert_eq!(a.kl.to_bits(), b.kl.to_bits());
                assert_eq!(a.mean_u.to_bits(), b.mean_u.to_bits());
                assert_eq!(a.var_u.to_bits(), b.var_u.to_bits());
                assert_eq!(a.mean_v.unwrap().to_bits(), b.mean_v.unwrap().to_bits());
                assert_eq!(a.log_z.to_bits(), b.log_z.to_bits());
            }
        }
    }

    #[test]
    fn rejects_bad_input() {
        let u = [1.0, 2.0];
        assert!(matches!(
            tilt_sweep(&[], None, &[1.0]),
            Err(Error::Empty { .. })
        ));
        assert!(matches!(
            tilt_sweep(&u, Some(&[1.0]), &[1.0]),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            tilt_sweep(&[1.0, f64::NAN], None, &[1.0]),
            Err(Error::NotFinite { name: "reward", .. })
        ));
        assert!(matches!(
            tilt_sweep(&u, Some(&[1.0, f64::INFINITY]), &[1.0]),
            Err(Error::NotFinite { name: "V", .. })
        ));
        for b in [0.0, -1.0, f64::NAN] {
            assert!(matches!(
                tilt_sweep(&u, None, &[1.0, b]),
                Err(Error::NotPositive { name: "beta", .. })
            ));
        }
        let base = Probs::uniform(3).unwrap();
        assert!(matches!(
            TiltSweep::new(&u, None, Some(&base)),
            Err(Error::LengthMismatch { .. })
        ));
        // Rewards near f64::MAX: fine while (U − c)/β is finite, an error (not NaN) beyond.
        let huge = [-1.7e308, 1.7e308];
        let p = tilt_sweep(&huge, None, &[1.0]).unwrap()[0];
        assert_close(p.kl, std::f64::consts::LN_2, Tolerance::rel(1e-15));
        assert_eq!(p.mean_u, 1.7e308);
        assert!(matches!(
            tilt_sweep(&huge, None, &[1e-300]),
            Err(Error::NotFinite { .. })
        ));
    }
}
