//! Proposition 3 of Cohen et al. 2024 (programs with random bits are the lower semi-computable
//! semi-distributions): programs as state machines reading fair random bits, their exact
//! halting profiles, two example programs and the interval sampler built from monotone estimates.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

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
