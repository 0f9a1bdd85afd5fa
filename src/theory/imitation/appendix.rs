//! The appendix results of Cohen et al. 2024 (Propositions 3–8, spec §1.3, §1.10, §2.7) as
//! finite, computable instances.
//!
//! The propositions are **computability statements** about infinite objects — all programs of a
//! universal language, the Solomonoff mixture, optimisers defined as limits of compute. No finite
//! computation proves them. What can be checked, and is checked here on every run, is that the
//! constructions used in their proofs behave as the proofs say on small explicit instances:
//!
//! | result | statement (spec §2.7) | finite instance checked here |
//! |---|---|---|
//! | Prop 3 | programs with random bits = lower semi-computable semi-distributions | two small programs with random bits ([`GeometricParity`], [`Rejection`]); their output probabilities estimated by running them on all random-bit strings with ≤ i steps are non-decreasing in i and reach the closed-form probabilities; conversely the interval sampler built from those monotone estimates ([`sampler_estimates`]) outputs the same semi-distribution |
//! | Prop 4 | ξ is any-time computable: ξ̂_i → ξ, each a semi-distribution | the C2 clock-world mixture truncated to models of code length ≤ i ([`truncated_mixture`]): monotone in i, each a semimeasure of mass ≤ 1, within the tail mass `Σ_{ℓ>i} 2^{−ℓ}` of ξ, equal to the grouped [`ClockMixture`] once i reaches the longest code |
//! | Prop 5 | the value of lower semi-computable π in ν is lower semi-computable | a policy and an environment that are programs with random bits; dovetailed value estimates (every conditional estimated with i steps) rise monotonically to the exact value ([`dovetailed_values`]) |
//! | Prop 6 | optimisers exist | in a finite Bayesian "clock bandit" ([`ClockBandit`]) the expectimax dynamic programme over ξ equals the best of all 2^15 deterministic policies of horizon 4 found by brute force |
//! | Prop 7 | a ξ-optimiser exists via the un-normalised ξ_small | ξ_small (prior `2^{−ℓ}`, no normalisation) gives the same greedy action at every history, its value is `ξ_small(h)·V*`, and its optimal value is non-decreasing as models are added (lower semi-computable), unlike ξ's |
//! | Prop 8 | KL-regularised optimisers exist | the exact KL-budgeted agent of Theorem 1 ([`CountTilt`]) spends at most its budget, equals the per-step soft-Bellman policy computed by a different algorithm, and no policy on a 101³ grid of stochastic policies within the budget beats it |
//!
//! **Programs with random bits** ([`BitProgram`]). A program is a state machine: each step it
//! reads one fair random bit, computes without reading, or halts with an output symbol. The
//! probability that it halts within `i` steps with output `x`,
//!
//! ```text
//! ν̂_i(x | context) = Σ_{random-bit strings s that make p halt with x within i steps} 2^{−|s|}
//! ```
//!
//! is computed by [`run_program`] exactly (up to rounding) by propagating the mass of every
//! configuration step by step; strings that reach the same state are merged, since the future of
//! a run depends only on its state. A string that halts within i steps also halts within i + 1,
//! so `ν̂_i` is non-decreasing in i, and its limit is the program's semi-distribution (the missing
//! mass is the probability of never halting) — the "simulate p on all strings with ≤ i steps"
//! half of Prop 3's proof.
//!
//! **Truncated mixture** (Prop 4): `ξ̂_i(x) = Σ_{ν: ℓ(ν) ≤ i} 2^{−ℓ(ν)} ν(x)` (un-normalised) is
//! computable, non-decreasing in i, `Σ_{x ∈ X^n} ξ̂_i(x) = Σ_{ℓ(ν) ≤ i} 2^{−ℓ(ν)} ≤ 1`, and
//! `0 ≤ ξ(x) − ξ̂_i(x) ≤ Σ_{ℓ(ν) > i} 2^{−ℓ(ν)}`. Its conditionals `ξ̂_i(x|h) = ξ̂_i(hx)/ξ̂_i(h)`
//! converge but need not be monotone (ξ is any-time computable, not lower semi-computable).
//!
//! **ξ_small** (Prop 7): with `S(h) = Σ_ν 2^{−ℓ(ν)} ν(o_{<t} | a_{<t})` the un-normalised
//! observation evidence, `V_small(h) = max_a Σ_o V_small(hao)`, `V_small(leaf) = S(leaf)·U(leaf)`
//! satisfies `V_small(h) = S(h)·V*_ξ(h)` (actions do not change S), so it has ξ's argmax; being a
//! max of sums of non-negative terms it only grows when models are added.
//!
//! Reference: Cohen, Hutter, Bengio, Russell 2024, arXiv:2410.06213v1, Appendices A–C; spec
//! `../shared/spec/cohen2024.md` §1.3, §1.10, §2.7.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::numerics::{Neumaier, Tolerance};
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};
use crate::theory::imitation::class::clock::{logaddexp, ClockMixture, ClockSpec, ClockWorld};
use crate::theory::imitation::class::{
    BasePolicy, History, Layout, Mixture, Model, ModelClass, Role,
};
use crate::theory::imitation::switching::CountTilt;

const LN2: f64 = std::f64::consts::LN_2;

// ---------------------------------------------------------------------------------------------
// Proposition 3: programs with random bits
// ---------------------------------------------------------------------------------------------

/// One step of a program with random bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<S> {
    /// Read one fair random bit: the next state after a 0 and after a 1.
    Read(S, S),
    /// One step of computation without reading a bit.
    Compute(S),
    /// Halt with this output symbol.
    Halt(usize),
}

/// A program that reads a context and a stream of fair random bits and may halt with a symbol
/// (spec §1.3). The state must capture everything the rest of the run depends on.
pub trait BitProgram {
    /// The machine state (ordered so that configurations are merged deterministically).
    type State: Clone + Ord;
    /// Number of output symbols.
    fn alphabet(&self) -> usize;
    /// The state at the start of a run on `context`.
    fn start(&self, context: &[usize]) -> Self::State;
    /// One step from `state`.
    fn step(&self, state: &Self::State) -> Step<Self::State>;
}

/// Largest number of distinct configurations [`run_program`] keeps per step.
pub const MAX_CONFIGURATIONS: usize = 1 << 20;

/// The mass of random-bit strings on which a program halts, by the step at which it halts.
#[derive(Debug, Clone, PartialEq)]
pub struct HaltingProfile {
    alphabet: usize,
    /// `halted[s][x]`: mass halting with `x` at step `s` (index 0 unused).
    halted: Vec<Vec<f64>>,
    /// Mass still running after the last step.
    running: f64,
}

impl HaltingProfile {
    /// The step budget the profile was computed with.
    pub fn budget(&self) -> usize {
        self.halted.len() - 1
    }

    /// `ν̂_i(x)` for every `x`: the mass halting with `x` within `i` steps (`i` capped at the
    /// budget). Plain sums in step order, so the estimates are non-decreasing in `i` in floating
    /// point too.
    pub fn estimate(&self, i: usize) -> Vec<f64> {
        let mut e = vec![0.0; self.alphabet];
        for row in self.halted.iter().take(i.min(self.budget()) + 1) {
            for (a, b) in e.iter_mut().zip(row) {
                *a += b;
            }
        }
        e
    }

    /// `ν̂_i` for every `i = 0..=budget` (one pass; row `i` equals [`Self::estimate`]`(i)`).
    pub fn estimates(&self) -> Vec<Vec<f64>> {
        let mut out = Vec::with_capacity(self.halted.len());
        let mut e = vec![0.0; self.alphabet];
        for row in &self.halted {
            for (a, b) in e.iter_mut().zip(row) {
                *a += b;
            }
            out.push(e.clone());
        }
        out
    }

    /// The increments `ν̂_s − ν̂_{s−1}` (mass halting exactly at step `s`), `s = 1..=budget`.
    pub fn increments(&self) -> &[Vec<f64>] {
        &self.halted[1..]
    }

    /// Mass of the strings on which the program is still running after the last step (an upper
    /// bound on what later steps can add).
    pub fn running(&self) -> f64 {
        self.running
    }
}

/// Runs `program` on `context` for `budget` steps on all random-bit strings at once.
///
/// # Errors
/// [`Error::OutsideAlphabet`] if the program halts with a symbol outside its alphabet;
/// [`Error::TooLarge`] if more than [`MAX_CONFIGURATIONS`] distinct states are alive at once.
pub fn run_program<P: BitProgram>(
    program: &P,
    context: &[usize],
    budget: usize,
) -> Result<HaltingProfile> {
    let a = program.alphabet();
    let mut halted = vec![vec![0.0; a]; budget + 1];
    let mut layer: BTreeMap<P::State, f64> = BTreeMap::new();
    layer.insert(program.start(context), 1.0);
    for (s, row) in halted.iter_mut().enumerate().skip(1) {
        let mut next: BTreeMap<P::State, f64> = BTreeMap::new();
        for (state, w) in layer {
            match program.step(&state) {
                Step::Read(s0, s1) => {
                    *next.entry(s0).or_insert(0.0) += 0.5 * w;
                    *next.entry(s1).or_insert(0.0) += 0.5 * w;
                }
                Step::Compute(s2) => *next.entry(s2).or_insert(0.0) += w,
                Step::Halt(x) => {
                    if x >= a {
                        return Err(Error::OutsideAlphabet {
                            name: "program output",
                            position: s,
                            symbol: x,
                            role: "output",
                            max: a - 1,
                        });
                    }
                    row[x] += w;
                }
            }
        }
        if next.len() > MAX_CONFIGURATIONS {
            return Err(Error::TooLarge {
                name: "program configurations",
                value: next.len() as f64,
                needed: format!("{} live states at step {s}", next.len()),
                limit: format!("{MAX_CONFIGURATIONS}"),
            });
        }
        layer = next;
    }
    let running = layer.values().sum();
    Ok(HaltingProfile {
        alphabet: a,
        halted,
        running,
    })
}

/// "Count the zeros before the first 1": with `z` zeros (probability `2^{−(z+1)}`) the program
/// loops forever if `z ≡ 2 (mod 3)` and otherwise outputs `(z + c) mod 2`, where `c` is the
/// parity of the sum of the context. A context-dependent semi-distribution over `{0, 1}` with
/// deficit 1/7:
///
/// ```text
/// ν(c mod 2 | ctx) = 34/63,  ν(1 − c mod 2 | ctx) = 20/63,  ν(never halts) = 9/63 = 1/7
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct GeometricParity;

/// State of [`GeometricParity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GeometricState {
    /// Reading bits; `zeros` zeros so far.
    Count {
        /// Zeros read.
        zeros: u32,
        /// Context parity.
        parity: u8,
    },
    /// The first 1 was read after `zeros` zeros.
    Decide {
        /// Zeros read.
        zeros: u32,
        /// Context parity.
        parity: u8,
    },
    /// Looping forever.
    Loop,
}

impl GeometricParity {
    /// The exact output probabilities on `context` by summing the geometric series over one
    /// period (6) of `z`: `ν(x) = Σ_{r<6, r mod 3 ≠ 2, (r+c) mod 2 = x} 2^{−(r+1)} / (1 − 2^{−6})`.
    pub fn exact(context: &[usize]) -> [f64; 2] {
        let c = context.iter().sum::<usize>() % 2;
        let mut p = [0.0; 2];
        for r in 0..6usize {
            if r % 3 != 2 {
                p[(r + c) % 2] += (-(r as f64 + 1.0)).exp2();
            }
        }
        let period = 1.0 - (-6.0f64).exp2();
        [p[0] / period, p[1] / period]
    }
}

impl BitProgram for GeometricParity {
    type State = GeometricState;

    fn alphabet(&self) -> usize {
        2
    }

    fn start(&self, context: &[usize]) -> GeometricState {
        GeometricState::Count {
            zeros: 0,
            parity: (context.iter().sum::<usize>() % 2) as u8,
        }
    }

    fn step(&self, state: &GeometricState) -> Step<GeometricState> {
        match *state {
            GeometricState::Count { zeros, parity } => Step::Read(
                GeometricState::Count {
                    zeros: zeros + 1,
                    parity,
                },
                GeometricState::Decide { zeros, parity },
            ),
            GeometricState::Decide { zeros, parity } => {
                if zeros % 3 == 2 {
                    Step::Compute(GeometricState::Loop)
                } else {
                    Step::Halt(((zeros + parity as u32) % 2) as usize)
                }
            }
            GeometricState::Loop => Step::Compute(GeometricState::Loop),
        }
    }
}

/// What a [`Rejection`] sampler does with one block of bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Output `symbol XOR (last context symbol)`.
    Emit(usize),
    /// Read a fresh block.
    Retry,
    /// Loop forever.
    Diverge,
}

/// A rejection sampler over `{0, 1}`: read `bits` random bits as an integer `v`, then act as
/// `table[v]`; the output is XOR-ed with the last context symbol (0 for an empty context).
/// Exactly `ν(x) = #{v : Emit(x ⊕ last)} / (2^bits − #{v : Retry})`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    bits: u32,
    table: Vec<Outcome>,
}

/// State of [`Rejection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RejectionState {
    /// `read` bits of the current block read, forming `value`; `offset` = last context symbol.
    Reading {
        /// Bits read as an integer.
        value: u32,
        /// Number read.
        read: u32,
        /// XOR offset.
        offset: u8,
    },
    /// Looping forever.
    Loop,
}

impl Rejection {
    /// Validates the table (`2^bits` entries, outputs in `{0, 1}`, at least one non-retry entry).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for `bits` outside `1..=16`; [`Error::LengthMismatch`];
    /// [`Error::OutsideAlphabet`] for an output other than 0, 1; [`Error::Config`] for a table
    /// of retries only (the sampler would never stop reading).
    pub fn new(bits: u32, table: Vec<Outcome>) -> Result<Self> {
        if !(1..=16).contains(&bits) {
            return Err(Error::OutOfRange {
                name: "rejection sampler bits",
                value: bits as f64,
                range: "[1, 16]",
            });
        }
        if table.len() != 1usize << bits {
            return Err(Error::LengthMismatch {
                left: "rejection table",
                left_len: table.len(),
                right: "2^bits",
                right_len: 1 << bits,
            });
        }
        for (position, o) in table.iter().enumerate() {
            if let Outcome::Emit(s) = *o {
                if s > 1 {
                    return Err(Error::OutsideAlphabet {
                        name: "rejection table",
                        position,
                        symbol: s,
                        role: "output",
                        max: 1,
                    });
                }
            }
        }
        if table.iter().all(|o| *o == Outcome::Retry) {
            return Err(Error::Config(
                "a rejection table of retries only never halts or diverges".into(),
            ));
        }
        Ok(Self { bits, table })
    }

    /// The environment of the Proposition 5 check: 3 bits; `v = 0` flips the action, `v ∈ {1, 2}`
    /// copies it, `v = 3` diverges, `v ≥ 4` retries: `P(copy) = ½, P(flip) = ¼, P(∅) = ¼`.
    pub fn noisy_copy() -> Self {
        let mut t = vec![Outcome::Emit(1), Outcome::Emit(0), Outcome::Emit(0)];
        t.push(Outcome::Diverge);
        t.extend([Outcome::Retry; 4]);
        Self::new(3, t).expect("valid table")
    }

    /// The exact output probabilities on `context` (counting the table).
    pub fn exact(&self, context: &[usize]) -> [f64; 2] {
        let off = context.last().copied().unwrap_or(0) % 2;
        let retry = self.table.iter().filter(|o| **o == Outcome::Retry).count();
        let denom = ((1usize << self.bits) - retry) as f64;
        let mut p = [0.0; 2];
        for o in &self.table {
            if let Outcome::Emit(s) = *o {
                p[s ^ off] += 1.0;
            }
        }
        [p[0] / denom, p[1] / denom]
    }
}

impl BitProgram for Rejection {
    type State = RejectionState;

    fn alphabet(&self) -> usize {
        2
    }

    fn start(&self, context: &[usize]) -> RejectionState {
        RejectionState::Reading {
            value: 0,
            read: 0,
            offset: (context.last().copied().unwrap_or(0) % 2) as u8,
        }
    }

    fn step(&self, state: &RejectionState) -> Step<RejectionState> {
        match *state {
            RejectionState::Reading {
                value,
                read,
                offset,
            } => {
                if read < self.bits {
                    let next = |b: u32| RejectionState::Reading {
                        value: 2 * value + b,
                        read: read + 1,
                        offset,
                    };
                    Step::Read(next(0), next(1))
                } else {
                    match self.table[value as usize] {
                        Outcome::Emit(s) => Step::Halt(s ^ offset as usize),
                        Outcome::Retry => Step::Compute(RejectionState::Reading {
                            value: 0,
                            read: 0,
                            offset,
                        }),
                        Outcome::Diverge => Step::Compute(RejectionState::Loop),
                    }
                }
            }
            RejectionState::Loop => Step::Compute(RejectionState::Loop),
        }
    }
}

/// The converse half of Proposition 3: a program with random bits whose output law is a given
/// lower semi-computable semi-distribution, from a monotone witness.
///
/// The witness's increments `δ_s(x) = ν_s(x) − ν_{s−1}(x) ≥ 0` are laid out as consecutive
/// intervals of `[0, 1)` (stage by stage, symbol by symbol). The sampler reads random bits as the
/// binary expansion of `U ~ Uniform[0, 1)`, computing one more stage per bit, and halts with `x`
/// as soon as the dyadic interval of the bits read lies inside an interval of `x`; it never halts
/// on `U ≥ Σ_x ν(x)`. It halts within `d` bits on exactly the strings whose dyadic interval of
/// length `2^{−d}` lies inside one of the intervals of stages `≤ d`, so
///
/// ```text
/// P_d(x) = 2^{−d} · Σ_{s ≤ d} #{j : [j 2^{−d}, (j+1) 2^{−d}) ⊂ I_{s,x}}
///        = 2^{−d} · Σ_{s ≤ d} max(0, ⌊r_{s,x} 2^d⌋ − ⌈l_{s,x} 2^d⌉)
/// ```
///
/// (the strings are counted per interval instead of one by one). Returns `P_d` for
/// `d = 0..=max_bits`.
///
/// # Errors
/// [`Error::OutOfRange`] for `max_bits > 52` (counts must stay exact in f64);
/// [`Error::NotAProbability`] for a negative increment; [`Error::OutOfRange`] for a total above 1.
pub fn sampler_estimates(increments: &[Vec<f64>], max_bits: usize) -> Result<Vec<Vec<f64>>> {
    if max_bits > 52 {
        return Err(Error::OutOfRange {
            name: "sampler bits",
            value: max_bits as f64,
            range: "[0, 52]",
        });
    }
    let a = increments.first().map_or(0, |r| r.len());
    // intervals (stage, symbol, l, r)
    let mut iv = Vec::new();
    let mut c = 0.0f64;
    for (s, row) in increments.iter().enumerate() {
        for (x, &d) in row.iter().enumerate() {
            if !(d >= 0.0) {
                return Err(Error::NotAProbability {
                    name: "witness increment (stage-major)",
                    index: s * a + x,
                    value: d,
                });
            }
            if d > 0.0 {
                iv.push((s + 1, x, c, c + d));
            }
            c += d;
        }
    }
    if !(c <= 1.0 + 1e-12) {
        return Err(Error::OutOfRange {
            name: "witness total mass",
            value: c,
            range: "[0, 1]",
        });
    }
    let mut out = Vec::with_capacity(max_bits + 1);
    for d in 0..=max_bits {
        let scale = (d as f64).exp2();
        let mut p = vec![0.0; a];
        for &(s, x, l, r) in &iv {
            if s > d {
                continue;
            }
            let n = ((r * scale).floor() - (l * scale).ceil()).max(0.0);
            p[x] += n / scale;
        }
        out.push(p);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Proposition 4: the truncated mixture
// ---------------------------------------------------------------------------------------------

/// `ξ̂_i(x)` of the clock world for one string: `buckets[L] = Σ_{ν: ℓ(ν) = L} 2^{−L} ν(x)`
/// over the enumerated models `B_j` and `S_{j,T}` (code lengths in whole bits).
///
/// # Errors
/// [`Error::OutsideAlphabet`] for a symbol other than 0, 1; [`Error::Config`] for a
/// non-integer code length.
pub fn truncated_mixture(world: &ClockWorld, x: &[usize]) -> Result<Vec<f64>> {
    History::from_symbols(Layout::BINARY, "string", x)?;
    let n = x.len();
    // prefix counts
    let mut ones = vec![0usize; n + 1];
    for (i, &s) in x.iter().enumerate() {
        ones[i + 1] = ones[i] + s;
    }
    // first position (1-based) of the trailing run of ones
    let mut t0 = n + 1;
    while t0 > 1 && x[t0 - 2] == 1 {
        t0 -= 1;
    }
    let mut buckets: Vec<Neumaier> = Vec::new();
    let w_time: Vec<f64> = (0..=world.max_switch_time())
        .map(|t| {
            if t == 0 {
                0.0
            } else {
                (-world.delta_bits(t)).exp2()
            }
        })
        .collect();
    let mut add = |bits: f64, w: f64, v: f64| -> Result<()> {
        if bits.fract() != 0.0 || bits < 0.0 {
            return Err(Error::Config(format!(
                "truncation by code length needs whole-bit code lengths, got {bits}"
            )));
        }
        let l = bits as usize;
        if buckets.len() <= l {
            buckets.resize(l + 1, Neumaier::new());
        }
        buckets[l].add(w * v);
        Ok(())
    };
    for j in 0..world.bases() {
        let bj = |len: usize| world.ln_bernoulli(j, ones[len], len - ones[len]).exp();
        let full = bj(n);
        let wj = (-world.base_bits(j)).exp2();
        add(world.base_bits(j), wj, full)?;
        for t in 1..=world.max_switch_time() {
            let bits = world.base_bits(j) + world.delta_bits(t);
            let v = if t > n {
                full
            } else if t >= t0 {
                bj(t - 1)
            } else {
                0.0
            };
            add(bits, wj * w_time[t], v)?;
        }
    }
    Ok(buckets.iter().map(|b| b.total()).collect())
}

/// Cumulative sums `ξ̂_i = Σ_{L ≤ i} buckets[L]`, `i = 0..=l_max` (plain sums: non-decreasing).
pub fn cumulative(buckets: &[f64], l_max: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(l_max + 1);
    let mut acc = 0.0;
    for i in 0..=l_max {
        acc += buckets.get(i).copied().unwrap_or(0.0);
        out.push(acc);
    }
    out
}

/// Code lengths (bits) of every model of the clock world, `B_j` first.
pub fn clock_code_lengths(world: &ClockWorld) -> Vec<f64> {
    let mut v: Vec<f64> = (0..world.bases()).map(|j| world.base_bits(j)).collect();
    for j in 0..world.bases() {
        for t in 1..=world.max_switch_time() {
            v.push(world.base_bits(j) + world.delta_bits(t));
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Proposition 5: dovetailed value estimates
// ---------------------------------------------------------------------------------------------

/// Value estimates of a policy program `pi` in an environment program `env` over `horizon`
/// steps from the empty history, utility `U = (Σ_t o_t)/horizon` (binary observations), at every
/// stage `i = 0..=budget` (each conditional estimated by its program with `i` steps), and the
/// exact value from the closed-form conditionals `exact_pi`, `exact_env`.
///
/// Returns `(estimates, exact)`.
///
/// # Errors
/// As [`run_program`]; [`Error::NotPositive`] for `horizon == 0`.
pub fn dovetailed_values<P, E>(
    pi: &P,
    env: &E,
    exact_pi: impl Fn(&[usize]) -> [f64; 2],
    exact_env: impl Fn(&[usize]) -> [f64; 2],
    horizon: usize,
    budget: usize,
) -> Result<(Vec<f64>, f64)>
where
    P: BitProgram,
    E: BitProgram,
{
    if horizon == 0 {
        return Err(Error::NotPositive {
            name: "horizon",
            value: 0.0,
        });
    }
    #[allow(clippy::too_many_arguments)]
    fn rec<P: BitProgram, E: BitProgram>(
        pi: &P,
        env: &E,
        exact_pi: &dyn Fn(&[usize]) -> [f64; 2],
        exact_env: &dyn Fn(&[usize]) -> [f64; 2],
        h: &mut Vec<usize>,
        horizon: usize,
        budget: usize,
    ) -> Result<(Vec<f64>, f64)> {
        let t = h.len() / 2;
        if t == horizon {
            let u = h.iter().skip(1).step_by(2).sum::<usize>() as f64 / horizon as f64;
            return Ok((vec![u; budget + 1], u));
        }
        let pp = run_program(pi, h, budget)?.estimates();
        let pe = exact_pi(h);
        let mut est = vec![0.0; budget + 1];
        let mut exact = 0.0;
        for a in 0..2 {
            h.push(a);
            let ep = run_program(env, h, budget)?.estimates();
            let ee = exact_env(h);
            for o in 0..2 {
                h.push(o);
                let (sub, sub_exact) = rec(pi, env, exact_pi, exact_env, h, horizon, budget)?;
                h.pop();
                exact += pe[a] * ee[o] * sub_exact;
                for (i, e) in est.iter_mut().enumerate() {
                    *e += pp[i][a] * ep[i][o] * sub[i];
                }
            }
            h.pop();
        }
        Ok((est, exact))
    }
    rec(
        pi,
        env,
        &exact_pi,
        &exact_env,
        &mut Vec::new(),
        horizon,
        budget,
    )
}

// ---------------------------------------------------------------------------------------------
// Propositions 6, 7: the clock bandit
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Proposition 8: the KL-regularised optimiser as a per-step policy
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

/// Step budget of the Proposition 3 and 5 programs (the rejection environment needs ~4 steps
/// per halving of its remaining mass, so 256 steps leave ~2^-64).
pub const PROGRAM_BUDGET: usize = 256;

/// Horizon of the Proposition 6/7 clock bandit.
pub const BANDIT_HORIZON: usize = 4;

/// Largest switch time of the clock bandit's class.
pub const BANDIT_T_MAX: usize = 8;

/// Pay-off probability of the bandit's safe arm.
pub const BANDIT_SAFE: f64 = 0.25;

/// All checks of Propositions 3–8.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    let mut v = Vec::new();
    push_all(&mut v, "cohen2024-prop3", "Proposition 3", prop3_checks);
    push_all(&mut v, "cohen2024-prop4", "Proposition 4", prop4_checks);
    push_all(&mut v, "cohen2024-prop5", "Proposition 5", prop5_checks);
    push_all(&mut v, "cohen2024-prop6", "Proposition 6", prop67_checks);
    push_all(&mut v, "cohen2024-prop8", "Proposition 8", prop8_checks);
    v
}

fn push_all(v: &mut Vec<Check>, id: &str, result: &str, f: fn() -> Result<Vec<Check>>) {
    match f() {
        Ok(c) => v.extend(c),
        Err(e) => v.push(Check::failed_to_compute(id, Paper::Cohen2024, result, &e)),
    }
}

const FINITE: &str = "Finite, computable instance of a computability statement: ";

fn prop3_checks() -> Result<Vec<Check>> {
    let r = "Proposition 3";
    let geo = GeometricParity;
    let rej = Rejection::noisy_copy();
    let mut runs: Vec<(String, HaltingProfile, [f64; 2])> = Vec::new();
    for ctx in [vec![0usize], vec![1]] {
        runs.push((
            format!("geometric parity, context {ctx:?}"),
            run_program(&geo, &ctx, PROGRAM_BUDGET)?,
            GeometricParity::exact(&ctx),
        ));
        runs.push((
            format!("rejection sampler, context {ctx:?}"),
            run_program(&rej, &ctx, PROGRAM_BUDGET)?,
            rej.exact(&ctx),
        ));
    }
    let mut min_step = f64::INFINITY;
    let mut max_err: f64 = 0.0;
    let mut det = Vec::new();
    for (name, prof, exact) in &runs {
        let mut prev = prof.estimate(0);
        for i in 1..=PROGRAM_BUDGET {
            let e = prof.estimate(i);
            for x in 0..2 {
                min_step = min_step.min(e[x] - prev[x]);
            }
            prev = e;
        }
        let fin = prof.estimate(PROGRAM_BUDGET);
        for x in 0..2 {
            max_err = max_err.max((fin[x] - exact[x]).abs());
        }
        let show = |i: usize| {
            let e = prof.estimate(i);
            format!("i={i}: ({:.6}, {:.6})", e[0], e[1])
        };
        det.push(format!(
            "{name}: {}, {}, {}; exact ({:.12}, {:.12}), never halts {:.6}",
            show(4),
            show(16),
            show(64),
            exact[0],
            exact[1],
            1.0 - exact[0] - exact[1]
        ));
    }
    let mut v = vec![Check::from(Claim {
        id: "cohen2024-prop3-estimates-monotone".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}the output probabilities of a program with random bits, estimated by running it on all random-bit strings with at most i steps, are non-decreasing in i (the estimates that make its semi-distribution lower semi-computable)."),
        quantity: format!("min over i < {PROGRAM_BUDGET}, x and 4 (program, context) pairs of ν̂_(i+1)(x) − ν̂_i(x)"),
        value: min_step,
        relation: Relation::Ge,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!("a string that halts within i steps halts within i + 1; configurations with equal states merged (exact); {}", det.join("; ")),
    })];
    v.push(Check::from(Claim {
        id: "cohen2024-prop3-estimates-converge".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}the step-bounded estimates converge to the program's output probabilities, a semi-distribution whose missing mass is the probability of never halting."),
        quantity: format!("max over x and the 4 (program, context) pairs of |ν̂_{PROGRAM_BUDGET}(x) − ν(x)|"),
        value: max_err,
        relation: Relation::Le,
        bound: 1e-12,
        tol: Tolerance::abs(0.0),
        detail: "exact ν by closed forms: geometric parity 34/63, 20/63 (never halts 1/7) from the period-6 geometric series; rejection sampler counts of its table (copy ½, flip ¼, never halts ¼)".into(),
    }));
    // the converse: the interval sampler built from the monotone witness
    let (_, prof, exact) = &runs[0];
    let witness: Vec<Vec<f64>> = prof.increments()[..64].to_vec();
    let est = sampler_estimates(&witness, 52)?;
    let mut min_d = f64::INFINITY;
    for d in 1..est.len() {
        for x in 0..2 {
            min_d = min_d.min(est[d][x] - est[d - 1][x]);
        }
    }
    let last = &est[52];
    let err = (0..2)
        .map(|x| (last[x] - exact[x]).abs())
        .fold(0.0, f64::max);
    v.push(Check::from(Claim {
        id: "cohen2024-prop3-converse-sampler".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}conversely, a lower semi-computable semi-distribution is the output law of a program with random bits: the sampler that lays the witness's increments out as intervals of [0, 1) and halts when its random bits pin U inside one outputs the same semi-distribution."),
        quantity: "max over x of |P_52(x) − ν(x)| for the sampler built from the first 64 stages of the geometric-parity witness (context [0])".into(),
        value: err,
        relation: Relation::Le,
        bound: 1e-12,
        tol: Tolerance::abs(0.0),
        detail: format!(
            "P_d = mass of d-bit strings on which the sampler has halted (counted per interval); P_8 = ({:.6}, {:.6}), P_24 = ({:.9}, {:.9}), P_52 = ({:.15}, {:.15}); never halts on the remaining {:.6}",
            est[8][0], est[8][1], est[24][0], est[24][1], last[0], last[1], 1.0 - last[0] - last[1]
        ),
    }));
    v.push(Check::from(Claim {
        id: "cohen2024-prop3-converse-sampler-monotone".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}the sampler's probability of having halted with x within d random bits is non-decreasing in d (it is itself a lower semi-computable witness)."),
        quantity: "min over d < 52 and x of P_(d+1)(x) − P_d(x)".into(),
        value: min_d,
        relation: Relation::Ge,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: "a dyadic interval inside an output interval stays inside after one more bit, and one more stage of the witness is laid out per bit".into(),
    }));
    Ok(v)
}

/// Length of the strings whose every prefix is checked in Proposition 4.
pub const PROP4_LENGTH: usize = 6;

fn prop4_checks() -> Result<Vec<Check>> {
    let r = "Proposition 4";
    let world = ClockWorld::c2();
    let lengths = clock_code_lengths(&world);
    let l_max = lengths.iter().fold(0.0f64, |a, &b| a.max(b)) as usize;
    // root mass Σ_{ℓ ≤ i} 2^-ℓ and tail Σ_{ℓ > i} 2^-ℓ
    let mut per_len = vec![Neumaier::new(); l_max + 1];
    for &b in &lengths {
        per_len[b as usize].add((-b).exp2());
    }
    let per_len: Vec<f64> = per_len.iter().map(|a| a.total()).collect();
    let root = cumulative(&per_len, l_max);
    let total = root[l_max];
    let tail: Vec<f64> = (0..=l_max)
        .map(|i| per_len[i + 1..].iter().sum::<f64>())
        .collect();
    // all strings of length ≤ PROP4_LENGTH
    let mut xi: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
    for len in 0..=PROP4_LENGTH {
        for code in 0..(1usize << len) {
            let x: Vec<usize> = (0..len).map(|i| (code >> i) & 1).collect();
            xi.insert(
                (len, code),
                cumulative(&truncated_mixture(&world, &x)?, l_max),
            );
        }
    }
    let mut min_inc = f64::INFINITY;
    let mut max_excess = f64::NEG_INFINITY;
    let mut max_cert = f64::NEG_INFINITY;
    let mut max_limit: f64 = 0.0;
    let mut len_total = vec![0.0; l_max + 1];
    for (&(len, code), e) in &xi {
        for i in 0..l_max {
            min_inc = min_inc.min(e[i + 1] - e[i]);
        }
        for i in 0..=l_max {
            max_cert = max_cert.max(e[l_max] - e[i] - tail[i]);
        }
        if len == PROP4_LENGTH {
            for i in 0..=l_max {
                len_total[i] += e[i];
            }
        } else {
            for i in 0..=l_max {
                if e[i] > 0.0 {
                    let c0 = xi[&(len + 1, code)][i];
                    let c1 = xi[&(len + 1, code | (1 << len))][i];
                    max_excess = max_excess.max((c0 + c1) / e[i] - 1.0);
                }
            }
        }
        let x: Vec<usize> = (0..len).map(|i| (code >> i) & 1).collect();
        let grouped = world.ln_xi("string", &x)?;
        max_limit = max_limit.max((e[l_max].ln() - grouped).abs());
    }
    for t in &len_total {
        max_excess = max_excess.max(t - 1.0);
    }
    let mut v = vec![Check::from(Claim {
        id: "cohen2024-prop4-truncations-monotone".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}the mixture truncated to the models of code length ≤ i, ξ̂_i(x) = Σ_(ℓ(ν) ≤ i) 2^−ℓ(ν) ν(x) (un-normalised), is non-decreasing in i for every string."),
        quantity: format!("min over i < {l_max} and all strings x of length ≤ {PROP4_LENGTH} of ξ̂_(i+1)(x) − ξ̂_i(x) (C2 clock world, {} models)", lengths.len()),
        value: min_inc,
        relation: Relation::Ge,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!("each ξ̂_i is computable (a finite sum); code lengths 2 … {l_max} bits"),
    })];
    v.push(Check::from(Claim {
        id: "cohen2024-prop4-truncations-semi-distributions".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}each truncation ξ̂_i is a semi-distribution: its mass on the strings of any length is at most 1, and no string's extensions carry more mass than the string."),
        quantity: format!("max over i of [Σ_(x ∈ {{0,1}}^{PROP4_LENGTH}) ξ̂_i(x) − 1] and over i, |h| < {PROP4_LENGTH} of [(ξ̂_i(h0) + ξ̂_i(h1))/ξ̂_i(h) − 1]"),
        value: max_excess,
        relation: Relation::Le,
        bound: 0.0,
        tol: Tolerance::abs(1e-12),
        detail: format!("ξ̂_i(ε) = Σ_(ℓ ≤ i) 2^−ℓ rises to the Kraft sum {total:.9} ≤ 1 (ξ̂_10(ε) = {:.6}, ξ̂_20(ε) = {:.6}); Σ over length-{PROP4_LENGTH} strings at i = {l_max}: {:.12}", root[10.min(l_max)], root[20.min(l_max)], len_total[l_max]),
    }));
    v.push(Check::from(Claim {
        id: "cohen2024-prop4-error-certificate".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}the any-time estimate comes with a computable error bound: ξ(x) − ξ̂_i(x) ≤ Σ_(ℓ(ν) > i) 2^−ℓ(ν), the prior mass of the models not yet included."),
        quantity: format!("max over i ≤ {l_max} and strings of length ≤ {PROP4_LENGTH} of ξ(x) − ξ̂_i(x) − Σ_(ℓ > i) 2^−ℓ"),
        value: max_cert,
        relation: Relation::Le,
        bound: 0.0,
        tol: Tolerance::abs(1e-15),
        detail: format!("tail mass at i = 10, 20, 30: {:.3e}, {:.3e}, {:.3e}", tail[10.min(l_max)], tail[20.min(l_max)], tail[30.min(l_max)]),
    }));
    // conditionals of Theorem 1's switch converge, not monotonically
    let h = vec![0usize; 10];
    let mut hx = h.clone();
    hx.extend([1usize; 10]);
    let eh = cumulative(&truncated_mixture(&world, &h)?, l_max);
    let ehx = cumulative(&truncated_mixture(&world, &hx)?, l_max);
    let kl: Vec<f64> = (0..=l_max)
        .map(|i| {
            if eh[i] > 0.0 && ehx[i] > 0.0 {
                (eh[i] / ehx[i]).ln()
            } else {
                f64::INFINITY
            }
        })
        .collect();
    let finite: Vec<f64> = kl.iter().copied().filter(|x| x.is_finite()).collect();
    let decreases = finite.windows(2).filter(|w| w[1] < w[0]).count();
    let increases = finite.windows(2).filter(|w| w[1] > w[0]).count();
    let exact_kl = world.switch_kl(11, 10)?;
    v.push(Check::from(Claim {
        id: "cohen2024-prop4-limit-is-xi".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}in a finite class the truncations reach ξ once i is the longest code length; the limit equals the clock-world mixture computed by the grouped recursion."),
        quantity: format!("max over strings of length ≤ {PROP4_LENGTH} of |ln ξ̂_{l_max}(x) − ln ξ(x)| (ξ from ClockMixture, un-normalised 2^−ℓ weights)"),
        value: max_limit,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(1e-12),
        detail: format!(
            "the conditionals ξ̂_i(·|h) converge but not monotonically (ξ is any-time computable, not lower semi-computable): −ln ξ̂_i(1^10 | 0^10) at i = 12, 16, 20, 24, 32, {l_max}: {:.4}, {:.4}, {:.4}, {:.4}, {:.4}, {:.6} (closed form {exact_kl:.6}); among the finite values it rises {increases} times and falls {decreases} times as i grows",
            kl[12], kl[16], kl[20], kl[24], kl[32], kl[l_max]
        ),
    }));
    Ok(v)
}

fn prop5_checks() -> Result<Vec<Check>> {
    let r = "Proposition 5";
    let pi = GeometricParity;
    let env = Rejection::noisy_copy();
    let horizon = 3;
    let (est, exact) = dovetailed_values(
        &pi,
        &env,
        GeometricParity::exact,
        |c: &[usize]| env.exact(c),
        horizon,
        PROGRAM_BUDGET,
    )?;
    let min_inc = est
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    let max_over = est
        .iter()
        .map(|e| e - exact)
        .fold(f64::NEG_INFINITY, f64::max);
    let err = (est[PROGRAM_BUDGET] - exact).abs();
    let shown = [4usize, 8, 16, 32, 64, 128]
        .iter()
        .map(|&i| format!("V̂_{i} = {:.9}", est[i]))
        .collect::<Vec<_>>()
        .join(", ");
    let setup = "π = geometric-parity program on the history, ν = noisy-copy rejection sampler on the last action (both semi-distributions), horizon 3, U = Σ o_t / 3";
    Ok(vec![
        Check::from(Claim {
            id: "cohen2024-prop5-estimates-monotone".into(),
            paper: Paper::Cohen2024,
            result: r.into(),
            statement: format!("{FINITE}when π and ν are lower semi-computable and U ≥ 0, the dovetailed value estimates (every conditional estimated with i steps) are non-decreasing in i."),
            quantity: format!("min over i < {PROGRAM_BUDGET} of V̂_(i+1) − V̂_i"),
            value: min_inc,
            relation: Relation::Ge,
            bound: 0.0,
            tol: Tolerance::abs(0.0),
            detail: format!("{setup}; {shown}"),
        }),
        Check::from(Claim {
            id: "cohen2024-prop5-estimates-lower-bounds".into(),
            paper: Paper::Cohen2024,
            result: r.into(),
            statement: format!("{FINITE}every dovetailed estimate is a lower bound on the value."),
            quantity: format!("max over i ≤ {PROGRAM_BUDGET} of V̂_i − V"),
            value: max_over,
            relation: Relation::Le,
            bound: 0.0,
            tol: Tolerance::abs(1e-15),
            detail: format!("exact V = {exact:.15} by the same expectation with closed-form conditionals"),
        }),
        Check::from(Claim {
            id: "cohen2024-prop5-estimates-converge".into(),
            paper: Paper::Cohen2024,
            result: r.into(),
            statement: format!("{FINITE}the dovetailed estimates converge to the exact value."),
            quantity: format!("|V̂_{PROGRAM_BUDGET} − V|"),
            value: err,
            relation: Relation::Le,
            bound: 1e-12,
            tol: Tolerance::abs(0.0),
            detail: format!("V = {exact:.15}, V̂_{PROGRAM_BUDGET} = {:.15}", est[PROGRAM_BUDGET]),
        }),
    ])
}

fn prop67_checks() -> Result<Vec<Check>> {
    let world = ClockWorld::new(ClockSpec {
        max_switch_time: BANDIT_T_MAX,
        ..ClockSpec::default()
    })?;
    let class = Arc::new(ClockBandit::class(&world, BANDIT_SAFE)?);
    let tree = BanditTree::new(class.clone(), BANDIT_HORIZON)?;
    let (v_star, q_star) = tree.expectimax();
    let (bf, n_pol) = tree.brute_force()?;
    let setup = format!(
        "clock bandit: arm 0 pays Bern({BANDIT_SAFE}); arm 1 follows the clock-world models B_j (Bern(2^−j), j = 0..8) and S_(j,T) (then 1 from T, T ≤ {BANDIT_T_MAX}) with their C2 code lengths ({} models); horizon {BANDIT_HORIZON}, U = Σ o_t / {BANDIT_HORIZON}; ξ from the split-posterior Mixture",
        class.len()
    );
    let first = if q_star[0][1] > q_star[0][0] { 1 } else { 0 };
    let mut v = vec![Check::from(Claim {
        id: "cohen2024-prop6-dp-equals-brute-force".into(),
        paper: Paper::Cohen2024,
        result: "Proposition 6".into(),
        statement: format!("{FINITE}an optimiser exists: on a finite horizon the expectimax dynamic programme over ξ attains the best value of all deterministic policies."),
        quantity: format!("V*_ξ(ε) by expectimax − max over all {n_pol} deterministic horizon-{BANDIT_HORIZON} policies found by enumeration"),
        value: v_star[0] - bf,
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(1e-12),
        detail: format!("{setup}; V* = {:.12}, brute force {bf:.12}; Q*(ε, arm 0) = {:.6}, Q*(ε, arm 1) = {:.6} (first action: arm {first})", v_star[0], q_star[0][0], q_star[0][1]),
    })];
    // ξ_small
    let l_max = (0..class.len())
        .filter_map(|i| class.code_bits(i))
        .fold(0.0f64, f64::max);
    let s_full = tree.evidence(l_max);
    let (v_small, q_small) = tree.expectimax_small(&s_full);
    let mut regret: f64 = 0.0;
    let mut strict = 0;
    let mut internal = 0;
    for node in 0..q_star.len() {
        let qs = q_small[node];
        if qs[0].is_nan() {
            continue;
        }
        internal += 1;
        let a_small = if qs[1] > qs[0] { 1 } else { 0 };
        let a_star = if q_star[node][1] > q_star[node][0] {
            1
        } else {
            0
        };
        if a_small != a_star {
            strict += 1;
        }
        regret = regret.max(q_star[node][0].max(q_star[node][1]) - q_star[node][a_small]);
    }
    v.push(Check::from(Claim {
        id: "cohen2024-prop7-xi-small-same-argmax".into(),
        paper: Paper::Cohen2024,
        result: "Proposition 7".into(),
        statement: format!("{FINITE}the un-normalised ξ_small (prior weights 2^−ℓ, observation evidence not divided out) has the same argmax as ξ at every history."),
        quantity: format!("max over the {internal} decision nodes of max_a Q*_ξ(h, a) − Q*_ξ(h, argmax_a Q_small(h, a))"),
        value: regret,
        relation: Relation::Le,
        bound: 0.0,
        tol: Tolerance::abs(1e-12),
        detail: format!("{setup}; greedy actions differ at {strict} nodes (ties count as differences only if strict)"),
    }));
    let scale = v_small[0] / s_full[0];
    v.push(Check::from(Claim {
        id: "cohen2024-prop7-xi-small-value-scaled".into(),
        paper: Paper::Cohen2024,
        result: "Proposition 7".into(),
        statement: format!("{FINITE}the ξ_small value is the ξ value in un-normalised units: V_small(ε) = ξ_small(ε)·V*_ξ(ε), u = v·ξ(x_<2t)."),
        quantity: "V_small(ε) / S(ε) − V*_ξ(ε), S(ε) = Σ_ν 2^−ℓ(ν)".into(),
        value: scale - v_star[0],
        relation: Relation::Eq,
        bound: 0.0,
        tol: Tolerance::abs(1e-12),
        detail: format!("S(ε) = {:.9}, V_small(ε) = {:.9}, V* = {:.12}", s_full[0], v_small[0], v_star[0]),
    }));
    // lower semi-computability of the ξ_small optimum: non-decreasing as models are added
    let mut lens: Vec<f64> = (0..class.len())
        .filter_map(|i| class.code_bits(i))
        .collect();
    lens.sort_by(f64::total_cmp);
    lens.dedup();
    let mut vs = Vec::new();
    let mut vn = Vec::new();
    for &b in &lens {
        let s = tree.evidence(b);
        let (vsm, _) = tree.expectimax_small(&s);
        vs.push(vsm[0]);
        vn.push(vsm[0] / s[0]);
    }
    let min_inc = vs
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    let n_dec = vn.windows(2).filter(|w| w[1] < w[0]).count();
    v.push(Check::from(Claim {
        id: "cohen2024-prop7-xi-small-lower-semicomputable".into(),
        paper: Paper::Cohen2024,
        result: "Proposition 7".into(),
        statement: format!("{FINITE}the optimal ξ_small value, computed from the models of code length ≤ i, is non-decreasing in i (lower semi-computable), which is why the optimiser is built on ξ_small rather than ξ."),
        quantity: format!("min over consecutive code-length cut-offs ({} of them, {:.0} … {:.0} bits) of V_small,i(ε) − V_small,i−1(ε)", lens.len(), lens[0], l_max),
        value: min_inc,
        relation: Relation::Ge,
        bound: 0.0,
        tol: Tolerance::abs(0.0),
        detail: format!("the normalised optimum V_small,i/S_i (= V* under the truncated ξ̂_i) is not monotone: it falls {n_dec} times of {}; V_small,i(ε) at the first, middle and last cut-off: {:.6}, {:.6}, {:.6}", vn.len() - 1, vs[0], vs[vs.len() / 2], vs[vs.len() - 1]),
    }));
    Ok(v)
}

/// Demonstrator steps `k` and horizons of the Proposition 8 checks.
pub const PROP8_K: usize = 10;

fn prop8_checks() -> Result<Vec<Check>> {
    let r = "Proposition 8";
    let world = ClockWorld::c2();
    let k = PROP8_K;
    let n = 8;
    let tilt = CountTilt::new(&world, k, n)?;
    let tree = clock_action_tree(&world, k, n)?;
    let budgets = [0.25, 0.5, 1.0, 2.0, 4.0, 7.0];
    let mut over: f64 = f64::NEG_INFINITY;
    let mut diff: f64 = 0.0;
    let mut det = Vec::new();
    for &b in &budgets {
        let p = tilt.solve(b)?;
        over = over.max(p.kl - b);
        let (lam, val, kl) = soft_bellman_for_budget(&tree, b)?;
        diff = diff.max((val - p.value).abs());
        det.push(format!(
            "b={b}: tilt value {:.10} (KL {:.10}, λ {:.6}), soft-Bellman {val:.10} (KL {kl:.10}, λ {lam:.6})",
            p.value, p.kl, p.lambda * n as f64
        ));
    }
    let mut v = vec![Check::from(Claim {
        id: "cohen2024-prop8-kl-within-budget".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}the exact KL-budgeted agent of Theorem 1 (the count tilt) is feasible: its KL to ξ never exceeds the budget."),
        quantity: format!("max over budgets {budgets:?} nats of KL(π_b‖ξ) − b (k = {k}, n = {n}, C2 clock world)"),
        value: over,
        relation: Relation::Le,
        bound: 0.0,
        tol: Tolerance::abs(1e-9),
        detail: format!("the tilt spends the whole budget (KL = b) below −ln ξ(1^n | 0^k) = {:.6}; Definition 6's strict KL < δ is met by any budget b < δ", tilt.max_kl()),
    })];
    v.push(Check::from(Claim {
        id: "cohen2024-prop8-sequential-policy-equals-tilt".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}the KL-regularised optimiser exists as a per-step policy: the soft-Bellman backward recursion over the 2^n action tree, tuned to KL = b, has the count tilt's value."),
        quantity: format!("max over budgets of |value_soft-Bellman − value_tilt| (k = {k}, n = {n})"),
        value: diff,
        relation: Relation::Le,
        bound: 1e-9,
        tol: Tolerance::abs(0.0),
        detail: format!("soft-Bellman: π(a|h) = ξ(a|h) e^(Q(ha) − Q(h)), value and KL by forward sums over the tree (ξ from ClockMixture), λ by bisection; tilt: closed-form count MGF (λ printed ×n to match U = #1/n); {}", det.join("; ")),
    }));
    // grid of stochastic policies, n = 2
    let tilt2 = CountTilt::new(&world, k, 2)?;
    let t2 = clock_action_tree(&world, k, 2)?;
    let xi = |code: usize| -> f64 {
        let a1 = code & 1;
        let a2 = (code >> 1) & 1;
        t2[0][a1] + t2[1 + a1][a2]
    };
    let ln_xi: [f64; 4] = [xi(0), xi(1), xi(2), xi(3)];
    let g = 100usize;
    let budgets2 = [0.05, 0.2, 0.5, 1.0, 2.0];
    let mut best = vec![f64::NEG_INFINITY; budgets2.len()];
    // ln of the grid values and of their complements (−∞ at the ends)
    let lg: Vec<[f64; 2]> = (0..=g)
        .map(|i| {
            let x = i as f64 / g as f64;
            [(-x).ln_1p(), x.ln()]
        })
        .collect();
    for i in 0..=g {
        let p1 = i as f64 / g as f64;
        for j0 in 0..=g {
            let r0 = j0 as f64 / g as f64;
            for j1 in 0..=g {
                let r1 = j1 as f64 / g as f64;
                // sequences (a1, a2) coded a1 + 2 a2
                let p = [
                    (1.0 - p1) * (1.0 - r0),
                    p1 * (1.0 - r1),
                    (1.0 - p1) * r0,
                    p1 * r1,
                ];
                let lp = [
                    lg[i][0] + lg[j0][0],
                    lg[i][1] + lg[j1][0],
                    lg[i][0] + lg[j0][1],
                    lg[i][1] + lg[j1][1],
                ];
                let mut kl = 0.0;
                for c in 0..4 {
                    if p[c] > 0.0 {
                        kl += p[c] * (lp[c] - ln_xi[c]);
                    }
                }
                let val = (p[1] + p[2] + 2.0 * p[3]) / 2.0;
                for (bi, &b) in budgets2.iter().enumerate() {
                    if kl <= b && val > best[bi] {
                        best[bi] = val;
                    }
                }
            }
        }
    }
    let mut worst = f64::NEG_INFINITY;
    let mut det2 = Vec::new();
    for (bi, &b) in budgets2.iter().enumerate() {
        let t = tilt2.solve(b)?.value;
        worst = worst.max(best[bi] - t);
        det2.push(format!(
            "b={b}: grid best {:.6}, tilt {t:.6} (gap {:.2e})",
            best[bi],
            t - best[bi]
        ));
    }
    v.push(Check::from(Claim {
        id: "cohen2024-prop8-no-grid-policy-beats-tilt".into(),
        paper: Paper::Cohen2024,
        result: r.into(),
        statement: format!("{FINITE}the feasible set (KL ≤ b) can be enumerated and searched: no stochastic policy on a grid of {}³ per-step policies within the budget beats the exact optimiser, and the best ones approach it.", g + 1),
        quantity: format!("max over budgets {budgets2:?} of best grid value − tilt value (k = {k}, n = 2; π(a_1 = 1), π(a_2 = 1 | a_1 = 0), π(a_2 = 1 | a_1 = 1) on a 1/{g} grid)"),
        value: worst,
        relation: Relation::Le,
        bound: 0.0,
        tol: Tolerance::abs(1e-12),
        detail: det2.join("; "),
    }));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::tolerance::assert_close;

    #[test]
    fn programs_match_closed_forms_and_are_monotone() {
        for ctx in [vec![], vec![1usize], vec![1, 1, 0]] {
            let p = run_program(&GeometricParity, &ctx, 80).unwrap();
            let e = GeometricParity::exact(&ctx);
            // mass halting by step i: zeros z halt at step z + 2 with mass 2^-(z+1)
            let est = p.estimate(80);
            assert_close(est[0] + est[1], 6.0 / 7.0, Tolerance::abs(1e-15));
            assert_close(est[0], e[0], Tolerance::abs(1e-15));
            assert_close(
                p.estimate(2)[ctx.iter().sum::<usize>() % 2],
                0.5,
                Tolerance::abs(0.0),
            );
            // the strings still running after 80 steps are the looping ones (mass 1/7) plus
            // the all-zero prefix
            assert_close(p.running() + est[0] + est[1], 1.0, Tolerance::abs(1e-15));
            assert_close(p.running(), 1.0 / 7.0, Tolerance::abs(1e-15));
        }
        let rej = Rejection::noisy_copy();
        // last action 1: copy (½) gives 1, flip (¼) gives 0
        assert_eq!(rej.exact(&[1]), [0.25, 0.5]);
        assert_eq!(rej.exact(&[]), [0.5, 0.25]);
        let p = run_program(&rej, &[1], 256).unwrap();
        let est = p.estimate(256);
        assert_close(est[0], 0.25, Tolerance::abs(1e-15));
        assert_close(est[1], 0.5, Tolerance::abs(1e-15));
        assert_close(p.running(), 0.25, Tolerance::abs(1e-15));
        // the first block is decided at step 4 (3 reads + 1): (1/8, 2/8)
        assert_eq!(p.estimate(3), vec![0.0, 0.0]);
        assert_eq!(p.estimate(4), vec![0.125, 0.25]);
        assert_eq!(p.estimates()[4], p.estimate(4));
    }

    #[test]
    fn bad_programs_are_refused() {
        assert!(Rejection::new(2, vec![Outcome::Retry; 3]).is_err());
        assert!(Rejection::new(1, vec![Outcome::Retry; 2]).is_err());
        assert!(Rejection::new(1, vec![Outcome::Emit(2), Outcome::Retry]).is_err());
        assert!(Rejection::new(0, vec![Outcome::Emit(0)]).is_err());
        assert!(sampler_estimates(&[vec![0.5, -0.1]], 10).is_err());
        assert!(sampler_estimates(&[vec![0.5, 0.1]], 53).is_err());
    }

    #[test]
    fn sampler_reproduces_a_dyadic_law() {
        // witness with increments (¼, ½) at stage 1: the sampler decides after two bits
        let est = sampler_estimates(&[vec![0.25, 0.5]], 4).unwrap();
        assert_eq!(est[0], vec![0.0, 0.0]);
        // one bit pins U to [0, ½) or [½, 1): neither lies inside [0, ¼) or [¼, ¾)
        assert_eq!(est[1], vec![0.0, 0.0]);
        assert_eq!(est[2], vec![0.25, 0.5]);
    }

    #[test]
    fn truncated_mixture_matches_grouped_and_kraft() {
        let world = ClockWorld::new(ClockSpec {
            max_switch_time: 16,
            ..ClockSpec::default()
        })
        .unwrap();
        let lens = clock_code_lengths(&world);
        let kraft: f64 = lens.iter().map(|b| (-b).exp2()).sum();
        assert_close(kraft, world.kraft_sum(), Tolerance::rel(1e-14));
        for x in [vec![], vec![0, 0, 1], vec![1, 1, 1, 1], vec![0, 1, 0, 1, 1]] {
            let b = truncated_mixture(&world, &x).unwrap();
            let full: f64 = b.iter().sum();
            assert_close(
                full.ln(),
                world.ln_xi("x", &x).unwrap(),
                Tolerance::abs(1e-13),
            );
        }
        let c = cumulative(&[0.0, 0.5, 0.25], 4);
        assert_eq!(c, vec![0.0, 0.5, 0.75, 0.75, 0.75]);
    }

    #[test]
    fn dovetailed_value_of_deterministic_programs() {
        // A policy that always outputs 1 after one read, an environment that copies the action
        // after one compute step: V = 1 from stage 2 on.
        #[derive(Debug)]
        struct One;
        impl BitProgram for One {
            type State = u8;
            fn alphabet(&self) -> usize {
                2
            }
            fn start(&self, _: &[usize]) -> u8 {
                0
            }
            fn step(&self, s: &u8) -> Step<u8> {
                if *s == 0 {
                    Step::Compute(1)
                } else {
                    Step::Halt(1)
                }
            }
        }
        let (est, exact) =
            dovetailed_values(&One, &One, |_| [0.0, 1.0], |_| [0.0, 1.0], 2, 4).unwrap();
        assert_eq!(exact, 1.0);
        assert_eq!(est, vec![0.0, 0.0, 1.0, 1.0, 1.0]);
        assert!(dovetailed_values(&One, &One, |_| [0.0, 1.0], |_| [0.0, 1.0], 0, 4).is_err());
    }

    #[test]
    fn bandit_dp_matches_brute_force_small() {
        let world = ClockWorld::new(ClockSpec {
            max_switch_time: 3,
            max_j: 3,
            ..ClockSpec::default()
        })
        .unwrap();
        let class = Arc::new(ClockBandit::class(&world, 0.4).unwrap());
        let tree = BanditTree::new(class, 3).unwrap();
        let (v, _) = tree.expectimax();
        let (bf, n) = tree.brute_force().unwrap();
        assert_eq!(n, 128);
        assert_close(v[0], bf, Tolerance::abs(1e-14));
        // always-safe policy is one of the enumerated ones: V* ≥ 0.4
        assert!(v[0] >= 0.4 - 1e-15);
        let s = tree.evidence(f64::INFINITY);
        let (vs, _) = tree.expectimax_small(&s);
        assert_close(vs[0] / s[0], v[0], Tolerance::rel(1e-13));
        assert!(BanditTree::new(Arc::new(ClockBandit::class(&world, 0.4).unwrap()), 0).is_err());
        assert!(ClockBandit::new(1.5, None, 0.5).is_err());
    }

    #[test]
    fn soft_bellman_matches_count_tilt() {
        let world = ClockWorld::c2();
        let tree = clock_action_tree(&world, 5, 4).unwrap();
        let tilt = CountTilt::new(&world, 5, 4).unwrap();
        // λ = 0 is ξ itself: KL 0
        let (v0, kl0) = soft_bellman(&tree, 0.0);
        assert_close(kl0, 0.0, Tolerance::abs(1e-15));
        assert_close(v0, tilt.solve(0.0).unwrap().value, Tolerance::abs(1e-12));
        for b in [0.3, 1.5, 3.0] {
            let (_, v, kl) = soft_bellman_for_budget(&tree, b).unwrap();
            assert_close(kl, b, Tolerance::abs(1e-10));
            assert_close(v, tilt.solve(b).unwrap().value, Tolerance::abs(1e-9));
        }
        assert!(soft_bellman_for_budget(&tree, -1.0).is_err());
        assert!(clock_action_tree(&world, 5, 0).is_err());
    }

    #[test]
    fn all_checks_hold() {
        let v = checks(&CheckOptions::default());
        assert!(v.len() >= 15, "{}", v.len());
        for c in &v {
            assert!(
                c.holds,
                "{} failed: value {} bound {} ({})",
                c.id, c.value, c.bound, c.detail
            );
            assert!(c.id.starts_with("cohen2024-prop"));
        }
        for p in 3..=8 {
            let name = format!("Proposition {p}");
            assert!(v.iter().any(|c| c.result == name), "{name} missing");
        }
    }
}
