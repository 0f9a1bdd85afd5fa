//! Theorems 5 and 6 of Kwa et al. 2024 (and Lemmas 1–2, Table A.1, the §5.2 counterexample): the
//! conditional mean of the utility `V` given that the proxy `U = X + V` clears a threshold `t`.
//!
//! Kwa, Thomas, Garriga-Alonso 2024, §5 and appendix A.5 (Theorem 5, Lemmas 1–2, Table A.1),
//! Theorem 6 and the §5.2 footnote; spec: `../shared/spec/kwa2024.md` §1.7, §1.8, §2.6–2.8, §6.5.
//!
//! * **Theorem 5** (catastrophic Goodhart under conditioning). `X ⟂ V`, `E|V| < ∞`, `X`
//!   subexponential and `t^p F̄_V(t)/F̄_X(t) → 0` for some `p > 1` ⇒ `E[V | X+V ≥ t] → E[V]`.
//!   For `X ~ t₃`, `V ~ N(0,1)` the approach is `E[V | U ≥ t] ≈ α·Var(V)/t = 3/t`.
//! * **Theorem 6**. `X ⟂ V`, `F̄_X(t+1)/F̄_X(t) → 0`, `V` unbounded with finite mean ⇒
//!   `E[V | X+V ≥ t] → ∞` (Gaussians: `≈ t·σ_V²/σ_U²`). Borderline `X ~ Exp(λ)`: the limit is
//!   the finite `E[V] + λ·Var(V)` for Gaussian `V`.
//! * **Counterexample §5.2** (dependence). `V ~ N(0,1)`; `X | V ~ N(0, 2²)` if `|V| ≤ 1`, else
//!   `X = 0`. The limit is **1**, not the paper's 0 (ERRATUM, spec §2.8): for large `t` the
//!   conditional law of `V` on `[−1, 1]` is ∝ `φ(v)·Φ̄((t−v)/2) ≈ e^{tv/4}`, which piles up at 1.
//!
//! ```text
//! E[V | X+V ≥ t] = ∫ v f_V(v) S(t, v) dv / ∫ f_V(v) S(t, v) dv,   S(t, v) = Pr(X ≥ t − v | V = v)
//!                = c + ∫ (v − c) f_V(v) [S(t, v) − S(t, c)] dv / ∫ f_V(v) S(t, v) dv,   c = E[V]
//! ```
//!
//! The second form (exact, because `∫ (v − c) f_V = 0`) has a non-negative integrand whenever
//! `S(t, ·)` is increasing (independent `X`), so `E[V | U ≥ t] − E[V]` is computed without
//! cancellation even when it is `3·10⁻⁸`. Both integrals are evaluated in log space
//! (`ln f_V + ln S`, with the maximum factored out) by adaptive Gauss–Kronrod on a partition
//! of the line at the bodies of `V` (near `v ≈ 0`) and of `X` transported to `v ≈ t`, at `t/2`,
//! `t`, support edges and gate edges, so the adaptive rule sees every bump (peaks narrower than
//! the scan get extra breakpoints halving towards them). The numerator's tolerance has a floor
//! set by the rounding of `ln S` (a few ulps of `|ln S|·S`), so at `t = 10⁸` the relative
//! accuracy of `E[V | U ≥ t] − E[V]` is ≈ 1e-5 rather than 1e-9; `quad_error` reports it.
//!
//! Assumptions: `V` has a density and a finite mean (otherwise [`Error::Infinite`]); the
//! conditional survival `S` is known in closed form ([`Pair`]).

use rand::Rng;

use crate::dist::Law;
use crate::error::{finite, Error, Result};
use crate::numerics::quad::{integrate, QuadOptions};
use crate::numerics::{neumaier_sum, Neumaier};

/// Target relative accuracy of the conditional integrals (spec task: 1e-9).
pub const QUAD_REL: f64 = 1e-9;

/// A joint law of the error `X` and the utility `V` with a closed-form conditional survival
/// `S(t, v) = Pr(X ≥ t − v | V = v)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Pair {
    /// `X ⟂ V`: `S(t, v) = F̄_X(t − v)`.
    Independent {
        /// Error law.
        x: Law,
        /// Utility law.
        v: Law,
    },
    /// `V ~ v`; `X | V ~ x_inside` when `lo ≤ V ≤ hi`, else `X = 0` (the §5.2 counterexample
    /// has `V ~ N(0,1)`, `x_inside = N(0, 2²)`, gate `[−1, 1]`).
    Gated {
        /// Utility law.
        v: Law,
        /// Error law inside the gate.
        x_inside: Law,
        /// Gate lower edge.
        lo: f64,
        /// Gate upper edge.
        hi: f64,
    },
}

impl Pair {
    /// `X ⟂ V`.
    pub fn independent(x: Law, v: Law) -> Self {
        Pair::Independent { x, v }
    }

    /// The gated (dependent) pair.
    ///
    /// # Errors
    /// [`Error::NotFinite`] for a non-finite edge, [`Error::OutOfRange`] unless `lo < hi`.
    pub fn gated(v: Law, x_inside: Law, lo: f64, hi: f64) -> Result<Self> {
        finite("gate lo", lo)?;
        finite("gate hi", hi)?;
        if !(lo < hi) {
            return Err(Error::OutOfRange {
                name: "gate lo",
                value: lo,
                range: "lo < hi",
            });
        }
        Ok(Pair::Gated {
            v,
            x_inside,
            lo,
            hi,
        })
    }

    /// The paper's §5.2 counterexample: `V ~ N(0,1)`, `X | V ~ N(0, 2²)` if `|V| ≤ 1`, else `X = 0`.
    pub fn counterexample() -> Self {
        Pair::Gated {
            v: Law::normal(0.0, 1.0).expect("N(0,1) is valid"),
            x_inside: Law::normal(0.0, 2.0).expect("N(0,4) is valid"),
            lo: -1.0,
            hi: 1.0,
        }
    }

    /// The utility law `V`.
    pub fn v(&self) -> &Law {
        match self {
            Pair::Independent { v, .. } | Pair::Gated { v, .. } => v,
        }
    }

    /// `ln S(t, v) = ln Pr(X ≥ t − v | V = v)`.
    pub fn ln_cond_sf(&self, t: f64, v: f64) -> f64 {
        match self {
            Pair::Independent { x, .. } => x.ln_sf(t - v),
            Pair::Gated {
                x_inside, lo, hi, ..
            } => {
                if v >= *lo && v <= *hi {
                    x_inside.ln_sf(t - v)
                } else if v >= t {
                    0.0
                } else {
                    f64::NEG_INFINITY
                }
            }
        }
    }

    /// One draw of `(X, V)`.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> (f64, f64) {
        match self {
            Pair::Independent { x, v } => {
                let vv = v.sample(rng);
                (x.sample(rng), vv)
            }
            Pair::Gated {
                v,
                x_inside,
                lo,
                hi,
            } => {
                let vv = v.sample(rng);
                let xx = x_inside.sample(rng);
                (if vv >= *lo && vv <= *hi { xx } else { 0.0 }, vv)
            }
        }
    }

    /// A short name for reports.
    pub fn name(&self) -> String {
        match self {
            Pair::Independent { x, v } => {
                format!("X ~ {}, V ~ {} (independent)", x.name(), v.name())
            }
            Pair::Gated {
                v,
                x_inside,
                lo,
                hi,
            } => {
                format!(
                    "V ~ {}, X | V ~ {} if V in [{lo}, {hi}] else X = 0",
                    v.name(),
                    x_inside.name()
                )
            }
        }
    }

    /// Where the integrand may bend or peak: bodies of `V` and of `X` (moved to `v ≈ t`),
    /// `t/2`, `t`, support and gate edges.
    fn breakpoints(&self, t: f64) -> Vec<f64> {
        let (vlaw, xlaw) = match self {
            Pair::Independent { x, v } => (v, x),
            Pair::Gated { v, x_inside, .. } => (v, x_inside),
        };
        let (cv, sv) = body(vlaw);
        let (cx, sx) = body(xlaw);
        let mut b = vec![t / 2.0, t];
        for k in [-8.0, -2.0, 0.0, 2.0, 8.0] {
            b.push(cv + k * sv);
            b.push(t - (cx + k * sx));
        }
        let lv = lower_edge(vlaw);
        if lv.is_finite() {
            b.push(lv);
        }
        let lx = lower_edge(xlaw);
        if lx.is_finite() {
            b.push(t - lx);
        }
        if let Pair::Gated { lo, hi, .. } = self {
            b.push(*lo);
            b.push(*hi);
        }
        b.retain(|p| p.is_finite());
        b.sort_by(f64::total_cmp);
        b.dedup_by(|a, c| (*a - *c).abs() <= 1e-12 * (1.0 + a.abs()));
        b
    }
}

/// Median and interquartile range (a positive scale) of a law.
fn body(l: &Law) -> (f64, f64) {
    let m = l.quantile(0.5);
    let s = l.quantile(0.75) - l.quantile(0.25);
    (m, if s > 0.0 && s.is_finite() { s } else { 1.0 })
}

/// Lower edge of the support (−∞ for laws on the whole line).
fn lower_edge(l: &Law) -> f64 {
    match l {
        Law::Pareto(d) => d.scale(),
        Law::Lognormal(_) | Law::Exponential(_) | Law::Weibull(_) => 0.0,
        Law::Levy(d) => d.mu(),
        Law::Affine {
            inner,
            shift,
            scale,
        } => shift + scale * lower_edge(inner),
        _ => f64::NEG_INFINITY,
    }
}

/// The result of [`conditional_mean`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CondNumbers {
    /// `E[V | X + V ≥ t]`.
    pub mean_v: f64,
    /// `Pr(X + V ≥ t)` (may underflow to 0: see `ln_mass`).
    pub mass: f64,
    /// `ln Pr(X + V ≥ t)`.
    pub ln_mass: f64,
    /// Estimated absolute quadrature error of `mean_v`.
    pub quad_error: f64,
    /// Whether every sub-integral met its tolerance (a status, not an error).
    pub converged: bool,
    /// Integrand evaluations.
    pub evals: usize,
}

/// Sums over the pieces of the partition, all scaled by `e^{−ln_scale}`.
#[derive(Debug, Clone, Copy)]
struct Integrals {
    ln_scale: f64,
    /// `∫ f_V S`.
    d: f64,
    d_err: f64,
    /// `∫ (v − c) f_V [S(t,v) − S(t,c)]`.
    n: f64,
    n_err: f64,
    converged: bool,
    evals: usize,
}

/// `ln(e^a − e^b)` magnitude and sign, without cancellation.
fn ln_diff(a: f64, b: f64) -> (f64, f64) {
    if a == b {
        return (f64::NEG_INFINITY, 0.0);
    }
    let (hi, lo, sign) = if a > b { (a, b, 1.0) } else { (b, a, -1.0) };
    (hi + (-(lo - hi).exp_m1()).ln(), sign)
}

/// Integrals of `f_V S` and of the centred numerator over `[a, b]`, relative to centre `c`.
fn integrals(pair: &Pair, t: f64, c: f64, a: f64, b: f64) -> Result<Integrals> {
    let vlaw = pair.v();
    let ln_sc = pair.ln_cond_sf(t, c);
    let g = |v: f64| vlaw.ln_pdf(v) + pair.ln_cond_sf(t, v);
    let gc = |v: f64| vlaw.ln_pdf(v) + ln_sc;
    // partition
    let mut edges = vec![a];
    let mut inner = pair.breakpoints(t);
    inner.push(c);
    inner.sort_by(f64::total_cmp);
    edges.extend(inner.into_iter().filter(|p| *p > a && *p < b));
    edges.push(b);
    edges.dedup();
    // scale: the largest log-integrand over a scan of every piece
    let spread = body(vlaw).1.max(1.0);
    let y = |v: f64| {
        let (a, b) = (g(v), gc(v));
        let y = if a.is_nan() {
            b
        } else if b.is_nan() {
            a
        } else {
            a.max(b)
        };
        if y.is_nan() {
            f64::NEG_INFINITY
        } else {
            y
        }
    };
    let mut scan: Vec<f64> = edges.iter().copied().filter(|p| p.is_finite()).collect();
    for w in edges.windows(2) {
        let (p, q) = (w[0], w[1]);
        match (p.is_finite(), q.is_finite()) {
            (true, true) => scan.extend((1..32).map(|i| p + (q - p) * f64::from(i) / 32.0)),
            (true, false) => scan.extend((-4..60).map(|k| p + spread * 2f64.powi(k))),
            (false, true) => scan.extend((-4..60).map(|k| q - spread * 2f64.powi(k))),
            (false, false) => {
                scan.extend((-4..60).flat_map(|k| [spread * 2f64.powi(k), -spread * 2f64.powi(k)]))
            }
        }
    }
    scan.sort_by(f64::total_cmp);
    scan.dedup();
    let ys: Vec<f64> = scan.iter().map(|&v| y(v)).collect();
    let m = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return Err(Error::NotFinite {
            name: "ln Pr(X + V >= t) (every integrand value is 0)",
            value: m,
        });
    }
    // Peaks narrower than the scan spacing (a spike at a piece edge, e.g. the gate edge of the
    // counterexample at large t): add breakpoints halving the distance to each neighbour until
    // the integrand is within a factor e of the peak, so every scale is seen by some piece.
    let mut extra = Vec::new();
    for i in 0..scan.len() {
        let yi = ys[i];
        let left = if i > 0 { ys[i - 1] } else { f64::NEG_INFINITY };
        let right = if i + 1 < ys.len() {
            ys[i + 1]
        } else {
            f64::NEG_INFINITY
        };
        if !(yi > m - 60.0 && yi >= left && yi >= right && (yi > left || yi > right)) {
            continue;
        }
        for nb in [i.checked_sub(1), Some(i + 1)]
            .into_iter()
            .flatten()
            .filter(|&j| j < scan.len())
        {
            let d = scan[nb] - scan[i];
            for k in 1..=80 {
                let p = scan[i] + d * 0.5f64.powi(k);
                if (p - scan[i]).abs() <= 1e-13 * (1.0 + scan[i].abs()) {
                    break;
                }
                extra.push(p);
                if y(p) > yi - 1.0 {
                    break;
                }
            }
        }
    }
    edges.extend(extra.into_iter().filter(|p| *p > a && *p < b));
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    // The scale `m` lives in a cell: if pass A meets a larger log-integrand than the scan found
    // (a peak between scan points), pass A is rerun on the new scale; until then the exponent
    // is clamped so that nothing overflows.
    let m = std::cell::Cell::new(m);
    let seen = std::cell::Cell::new(f64::NEG_INFINITY);
    let clamp = std::cell::Cell::new(true);
    let ex = |z: f64| {
        let z = z - m.get();
        if clamp.get() {
            if z > 0.0 && z > seen.get() {
                seen.set(z);
            }
            z.min(600.0).exp()
        } else {
            z.exp()
        }
    };
    let fd = |v: f64| ex(g(v));
    let fn_ = |v: f64| {
        let (l, s) = ln_diff(pair.ln_cond_sf(t, v), ln_sc);
        if s == 0.0 {
            return 0.0;
        }
        (v - c) * s * ex(vlaw.ln_pdf(v) + l)
    };
    let pieces: Vec<(f64, f64)> = edges.windows(2).map(|w| (w[0], w[1])).collect();
    let np = pieces.len() as f64;
    let mut evals = 0;
    // pass A: the scale of each integral, cheaply
    let coarse = QuadOptions {
        abs: 0.0,
        rel: 1e-4,
        max_intervals: 200,
    };
    // Rounding floor of the numerator: ln S carries a relative error of a few ulps, so
    // S(t,v) − S(t,c) is only known to ≈ ε·(|ln S(t,v)|·S(t,v) + |ln S(t,c)|·S(t,c)).
    let term = |lf: f64, ls: f64| {
        if ls.is_finite() && lf.is_finite() {
            ls.abs() * ex(lf + ls)
        } else {
            0.0
        }
    };
    let noise = |v: f64| {
        let lf = vlaw.ln_pdf(v);
        (v - c).abs() * (term(lf, pair.ln_cond_sf(t, v)) + term(lf, ln_sc))
    };
    let (mut d_a, mut l_a, mut e_a) = (0.0, 0.0, 0.0);
    for _ in 0..4 {
        seen.set(f64::NEG_INFINITY);
        let mut acc = [Neumaier::new(), Neumaier::new(), Neumaier::new()];
        for &(p, q) in &pieces {
            let fs: [&dyn Fn(f64) -> f64; 3] = [&fd, &|v| fn_(v).abs(), &noise];
            for (f, a) in fs.into_iter().zip(acc.iter_mut()) {
                let r = integrate(f, p, q, coarse)?;
                evals += r.evals;
                a.add(r.value);
            }
        }
        (d_a, l_a, e_a) = (acc[0].total(), acc[1].total(), acc[2].total());
        if seen.get() <= 1.0 {
            break;
        }
        m.set(m.get() + seen.get());
    }
    clamp.set(false);
    let floor = 64.0 * f64::EPSILON * e_a;
    if !(d_a > 0.0) {
        return Err(Error::NotPositive {
            name: "Pr(X + V >= t) (the integral underflows)",
            value: d_a,
        });
    }
    // pass B: absolute tolerances from the scales, spread over the pieces
    let fine_d = QuadOptions {
        abs: QUAD_REL * d_a / np,
        rel: 0.0,
        max_intervals: 4000,
    };
    let fine_n = QuadOptions {
        abs: (QUAD_REL * l_a).max(floor).max(f64::MIN_POSITIVE) / np,
        rel: 0.0,
        max_intervals: 4000,
    };
    let (mut d, mut de, mut n, mut ne) = (
        Neumaier::new(),
        Neumaier::new(),
        Neumaier::new(),
        Neumaier::new(),
    );
    let mut converged = true;
    for &(p, q) in &pieces {
        let r = integrate(fd, p, q, fine_d)?;
        evals += r.evals;
        converged &= r.converged;
        d.add(r.value);
        de.add(r.error);
        if l_a > 0.0 {
            let r = integrate(fn_, p, q, fine_n)?;
            evals += r.evals;
            converged &= r.converged;
            n.add(r.value);
            ne.add(r.error);
        }
    }
    Ok(Integrals {
        ln_scale: m.get(),
        d: d.total(),
        d_err: de.total(),
        n: n.total(),
        n_err: ne.total(),
        converged,
        evals,
    })
}

fn centre(pair: &Pair) -> Result<f64> {
    pair.v().mean().ok_or_else(|| Error::Infinite {
        what: "E[V | X + V >= t]",
        why: format!("V ~ {} has no finite mean", pair.v().name()),
    })
}

/// `E[V | X + V ≥ t]` for a [`Pair`], by adaptive quadrature to relative accuracy
/// [`QUAD_REL`] (see the module docs for the formula).
///
/// # Errors
/// [`Error::NotFinite`] for a non-finite `t` (or if every integrand value underflows), [`Error::NotPositive`]
/// if `Pr(X+V ≥ t)` underflows even in log space;
/// [`Error::Infinite`] if `V` has no finite mean; quadrature errors.
pub fn conditional_mean(pair: &Pair, t: f64) -> Result<CondNumbers> {
    finite("t", t)?;
    let c = centre(pair)?;
    let r = integrals(pair, t, c, f64::NEG_INFINITY, f64::INFINITY)?;
    let shift = r.n / r.d;
    Ok(CondNumbers {
        mean_v: c + shift,
        mass: (r.ln_scale + r.d.ln()).exp(),
        ln_mass: r.ln_scale + r.d.ln(),
        quad_error: (r.n_err + shift.abs() * r.d_err) / r.d,
        converged: r.converged,
        evals: r.evals,
    })
}

/// `E[V | X + V ≥ t]` for independent `X ~ x`, `V ~ v` (see [`conditional_mean`]).
///
/// # Errors
/// As [`conditional_mean`].
pub fn conditional_mean_v(x: &Law, v: &Law, t: f64) -> Result<CondNumbers> {
    conditional_mean(&Pair::independent(x.clone(), v.clone()), t)
}

/// `ln Pr(X + V ≥ t, a < V ≤ b)` by the same log-space quadrature (−∞ when the cell has no mass).
///
/// # Errors
/// [`Error::OutOfRange`] unless `a <= b` (NaN rejected); as [`conditional_mean`].
pub fn ln_joint_mass(pair: &Pair, t: f64, a: f64, b: f64) -> Result<f64> {
    finite("t", t)?;
    if !(a <= b) {
        return Err(Error::OutOfRange {
            name: "cell lower edge",
            value: a,
            range: "a <= b, not NaN",
        });
    }
    if a == b {
        return Ok(f64::NEG_INFINITY);
    }
    let c = centre(pair)?;
    match integrals(pair, t, c, a, b) {
        Ok(r) if r.d > 0.0 => Ok(r.ln_scale + r.d.ln()),
        Ok(_) => Ok(f64::NEG_INFINITY),
        // every integrand value in the cell is 0 (e.g. a cell beyond the support)
        Err(Error::NotFinite { .. } | Error::NotPositive { .. }) => Ok(f64::NEG_INFINITY),
        Err(e) => Err(e),
    }
}

/// Conditional probabilities `Pr(V ∈ (e_i, e_{i+1}] | X + V ≥ t)` of the cells cut by
/// `edges` (sorted, may include ±∞).
///
/// # Errors
/// [`Error::TooShort`] for fewer than 2 edges, [`Error::OutOfRange`] for unsorted or NaN
/// edges; as [`conditional_mean`].
pub fn conditional_cell_masses(pair: &Pair, t: f64, edges: &[f64]) -> Result<Vec<f64>> {
    if edges.len() < 2 {
        return Err(Error::TooShort {
            name: "edges",
            len: edges.len(),
            min: 2,
        });
    }
    let total = conditional_mean(pair, t)?.ln_mass;
    edges
        .windows(2)
        .map(|w| ln_joint_mass(pair, t, w[0], w[1]).map(|l| (l - total).exp()))
        .collect()
}

/// A Monte-Carlo estimate of a conditional mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McCond {
    /// Mean of `V` over accepted draws.
    pub mean: f64,
    /// Standard error (sample sd / √n_accepted).
    pub se: f64,
    /// Draws of `(X, V)`.
    pub n: usize,
    /// Draws with `X + V ≥ t`.
    pub n_accepted: usize,
}

/// `E[V | X + V ≥ t]` by plain rejection: draw `n` pairs, keep those with `X + V ≥ t`.
///
/// # Errors
/// [`Error::NotFinite`] for a non-finite `t`; [`Error::TooShort`] if fewer than 2 draws are accepted.
pub fn conditional_mean_mc<R: Rng + ?Sized>(
    pair: &Pair,
    t: f64,
    n: usize,
    rng: &mut R,
) -> Result<McCond> {
    finite("t", t)?;
    let mut acc = Vec::new();
    for _ in 0..n {
        let (x, v) = pair.sample(rng);
        if x + v >= t {
            acc.push(v);
        }
    }
    if acc.len() < 2 {
        return Err(Error::TooShort {
            name: "accepted Monte-Carlo draws",
            len: acc.len(),
            min: 2,
        });
    }
    let k = acc.len() as f64;
    let mean = neumaier_sum(acc.iter().copied()) / k;
    let var = neumaier_sum(acc.iter().map(|v| (v - mean) * (v - mean))) / (k - 1.0);
    Ok(McCond {
        mean,
        se: (var / k).sqrt(),
        n,
        n_accepted: acc.len(),
    })
}

/// [`conditional_mean_mc`] for independent `X ~ x`, `V ~ v`.
///
/// # Errors
/// As [`conditional_mean_mc`].
pub fn conditional_mean_v_mc<R: Rng + ?Sized>(
    x: &Law,
    v: &Law,
    t: f64,
    n: usize,
    rng: &mut R,
) -> Result<McCond> {
    conditional_mean_mc(&Pair::independent(x.clone(), v.clone()), t, n, rng)
}

/// Theorem 6 closed form for Gaussians: `E[V | U ≥ t] = σ_V²/σ_U · φ(z)/Φ̄(z)`, `z = t/σ_U`,
/// for `X ~ N(0, σ_X²)`, `V ~ N(0, σ_V²)`, `σ_U² = σ_X² + σ_V²`.
///
/// # Errors
/// [`Error::NotPositive`] for a bad standard deviation, [`Error::NotFinite`] for `t`.
pub fn gaussian_conditional_mean(sd_x: f64, sd_v: f64, t: f64) -> Result<f64> {
    crate::error::positive_finite("sd_x", sd_x)?;
    crate::error::positive_finite("sd_v", sd_v)?;
    finite("t", t)?;
    let su = sd_x.hypot(sd_v);
    let z = Law::normal(0.0, 1.0)?;
    Ok(sd_v * sd_v / su * (z.ln_pdf(t / su) - z.ln_sf(t / su)).exp())
}

/// One member of the Theorem 1/3 family on the proxy `U = X + V`: reweight the base law so that
/// `Pr(U > t) = tail_mass`, proportionally inside `{U ≤ t}` and `{U > t}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailReweight {
    /// Threshold.
    pub t: f64,
    /// Mass put above `t`.
    pub tail_mass: f64,
    /// `Pr_base(U > t)`.
    pub base_tail: f64,
    /// `KL(P_t ‖ base)` in nats.
    pub kl: f64,
    /// `E_{P_t}[U]`.
    pub mean_u: f64,
    /// `E_{P_t}[V]`.
    pub mean_v: f64,
}

/// The Theorem 1/3 reweighting of `U = X + V` (independent) at threshold `t`:
///
/// ```text
/// KL = (1−m) ln((1−m)/F_U(t)) + m ln(m/F̄_U(t))
/// E_P[V] = (1−m)·E[V | U < t] + m·E[V | U ≥ t],  E[V | U < t] = (E[V] − F̄_U(t)·E[V | U ≥ t])/F_U(t)
/// ```
/// and the same for `U` with `E[U | U ≥ t] = E[X | U ≥ t] + E[V | U ≥ t]` (the first by
/// [`conditional_mean_v`] with the roles of `X` and `V` swapped).
///
/// # Errors
/// [`Error::OutOfRange`] unless `0 < tail_mass < 1`; [`Error::Infinite`] if `X` or `V` has no
/// finite mean; as [`conditional_mean`].
pub fn tail_reweighting(x: &Law, v: &Law, t: f64, tail_mass: f64) -> Result<TailReweight> {
    if !(tail_mass > 0.0 && tail_mass < 1.0) {
        return Err(Error::OutOfRange {
            name: "tail_mass",
            value: tail_mass,
            range: "(0, 1)",
        });
    }
    let no_mean = |l: &Law| Error::Infinite {
        what: "E_P[U]",
        why: format!("{} has no finite mean", l.name()),
    };
    let mx = x.mean().ok_or_else(|| no_mean(x))?;
    let mv = v.mean().ok_or_else(|| no_mean(v))?;
    let cv = conditional_mean_v(x, v, t)?;
    let cx = conditional_mean_v(v, x, t)?;
    let p = cv.mass;
    let ln_below = (-p).ln_1p();
    let m = tail_mass;
    let kl = (1.0 - m) * ((1.0 - m).ln() - ln_below) + m * (m.ln() - cv.ln_mass);
    let below = |mean: f64, cond_above: f64| (mean - p * cond_above) / (1.0 - p);
    let ev_hi = cv.mean_v;
    let eu_hi = cx.mean_v + cv.mean_v;
    let mean_v = (1.0 - m) * below(mv, ev_hi) + m * ev_hi;
    let mean_u = (1.0 - m) * below(mx + mv, eu_hi) + m * eu_hi;
    Ok(TailReweight {
        t,
        tail_mass: m,
        base_tail: p,
        kl,
        mean_u,
        mean_v,
    })
}

/// `ln( t·Pr[X+V > t, V > h, X > h] / F̄_X(t) )` for independent `X`, `V`.
///
/// `{X > h, X > t − v}` is `X > max(h, t − v)`, so the probability is
/// `∫_h^{t−h} f_V(v) F̄_X(t−v) dv + F̄_X(h)·F̄_V(t−h)`.
fn lemma2_ln_ratio(x: &Law, v: &Law, t: f64, h: f64) -> Result<f64> {
    let ln_int = ln_joint_mass(&Pair::independent(x.clone(), v.clone()), t, h, t - h)?;
    let ln_corner = x.ln_sf(h) + v.ln_sf(t - h);
    let ln_p = crate::numerics::logsumexp(&[ln_int, ln_corner]);
    Ok(t.ln() + ln_p - x.ln_sf(t))
}

/// `∫_r |v| f_V(v) |Q_t(v) − 1| dv` over the four regions of Table A.1.
fn table_a1_regions(x: &Law, v: &Law, t: f64, h: f64) -> Result<[f64; 4]> {
    let lst = x.ln_sf(t);
    let f = |w: f64| w.abs() * v.pdf(w) * (x.ln_sf(t - w) - lst).exp_m1().abs();
    let opts = QuadOptions {
        abs: 1e-300,
        rel: QUAD_REL,
        max_intervals: 4000,
    };
    let edges = [f64::NEG_INFINITY, -h, 0.0, h, t - h, f64::INFINITY];
    let parts: Vec<f64> = edges
        .windows(2)
        .map(|w| integrate(f, w[0], w[1], opts).map(|q| q.value))
        .collect::<Result<_>>()?;
    Ok([parts[0], parts[1] + parts[2], parts[3], parts[4]])
}

pub mod checks;
#[cfg(test)]
mod tests;

pub use checks::checks;
