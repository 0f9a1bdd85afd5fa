//! Proposition 2 of Cohen et al. 2024: the simplest unprecedented time grows more slowly than any computable
//! unbounded function (check C4), made exact with an explicit description language.
//!
//! **The language.** Integers `T ≥ 1` are written in the prefix-free binary grammar
//!
//! ```text
//! ⟨int⟩ ::= 0 ⟨γ(T)⟩              Elias gamma: ⌊log₂T⌋ zeros, then T in binary   (2⌊log₂T⌋+1 bits)
//!         | 1 ⟨int b⟩ ⟨int e⟩       T = b^e with b, e ≥ 2
//! ℓ(T)   = 1 + min( γ(T), min_{T = b^e} ℓ(b) + ℓ(e) )
//! ```
//!
//! *Prefix-freeness* (induction on the length of a codeword): a decoder reads the flag bit; after
//! `0` it reads one Elias-gamma word, which is self-delimiting; after `1` it decodes two ⟨int⟩s,
//! each self-delimiting by the induction hypothesis. So the decoder always knows where a codeword
//! ends, and no codeword is a proper prefix of another. Hence Kraft: `Σ_T 2^{−ℓ(T)} ≤ Σ_{codewords}
//! 2^{−len} =: K ≤ 1`. The mass of the language solves `K = ½·1 + ½·(K − ¼)²` (gamma words have
//! total mass 1; the only word of the integer 1 is `0 1`, mass ¼), so `K = (5 − √8)/4 ≈ 0.5429`;
//! [`kraft_partial`] checks the partial sums numerically.
//!
//! **The simplest unprecedented time** after t: `m(t) = min_{T ≥ t} ℓ(T)` (the event "the history
//! has length T" first happens at T, so its complexity is `ℓ(T)` + const; spec §2.4). With
//! `M(L) = max{T : ℓ(T) ≤ L}` (the largest integer describable in L bits),
//!
//! ```text
//! m(t) = min{ L : M(L) ≥ t },   M(L) = max( 2^{⌊(L−2)/2⌋+1} − 1,  max_{L₁+L₂ = L−1, M(L₁), M(L₂) ≥ 2} M(L₁)^{M(L₂)} )
//! ```
//!
//! (powers are increasing in base and exponent, so the largest power uses the largest base and
//! exponent of each length). `M(L)` grows like a tower, so values above a cap (default `10^1100`)
//! are kept as "over the cap" — exact for every `t` below the cap. Everything is computed with
//! big integers ([`num_bigint::BigUint`]).

pub mod checks;

pub use checks::checks;
use num_bigint::BigUint;
use num_traits::{One, ToPrimitive, Zero};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::numerics::Neumaier;

/// Elias-gamma code length `γ(n) = 2⌊log₂ n⌋ + 1` bits of an integer `n ≥ 1` (0 for `n = 0`, which has no code).
pub fn elias_gamma_bits(n: u64) -> u32 {
    if n == 0 {
        return 0;
    }
    2 * (63 - n.leading_zeros()) + 1
}

/// `γ(t)` for a big integer `t ≥ 1` (0 for `t = 0`).
pub fn elias_gamma_bits_big(t: &BigUint) -> u64 {
    if t.is_zero() {
        return 0;
    }
    2 * (t.bits() - 1) + 1
}

/// `ℓ(T)` of the rich code for every `T = 0..=max` (index 0 unused, 0).
///
/// Filled in increasing `T`: every representation `b^e` has `b, e < b^e`, so their lengths are
/// final when `b^e` is reached.
pub fn rich_code_lengths(max: usize) -> Vec<u32> {
    let mut l: Vec<u32> = (0..=max)
        .map(|t| {
            if t == 0 {
                0
            } else {
                1 + elias_gamma_bits(t as u64)
            }
        })
        .collect();
    let mut powers: Vec<(usize, usize, u32)> = Vec::new();
    let mut b = 2usize;
    while b.checked_mul(b).is_some_and(|v| v <= max) {
        let mut v = b * b;
        let mut e = 2u32;
        loop {
            powers.push((v, b, e));
            match v.checked_mul(b) {
                Some(w) if w <= max => {
                    v = w;
                    e += 1;
                }
                _ => break,
            }
        }
        b += 1;
    }
    powers.sort_unstable();
    for (v, b, e) in powers {
        let cand = 1 + l[b] + l[e as usize];
        if cand < l[v] {
            l[v] = cand;
        }
    }
    l
}

/// `ℓ(T)` for one `T ≥ 1` (recursive, exact integer roots; for values beyond a table).
///
/// # Errors
/// [`Error::OutOfRange`] for `T = 0`.
pub fn rich_code_length(t: u64) -> Result<u32> {
    if t == 0 {
        return Err(Error::OutOfRange {
            name: "T",
            value: 0.0,
            range: "[1, 2^64)",
        });
    }
    Ok(rich_len_rec(t))
}

fn rich_len_rec(t: u64) -> u32 {
    let mut best = 1 + elias_gamma_bits(t);
    if t < 4 {
        return best;
    }
    for e in 2..=(63 - t.leading_zeros()) {
        let b = integer_root(t, e);
        if b >= 2 && b.checked_pow(e) == Some(t) {
            best = best.min(1 + rich_len_rec(b) + rich_len_rec(e as u64));
        }
    }
    best
}

/// `⌊t^{1/e}⌋` exactly.
fn integer_root(t: u64, e: u32) -> u64 {
    let mut r = (t as f64).powf(1.0 / e as f64).round() as u64;
    while r > 0 && r.checked_pow(e).is_none_or(|v| v > t) {
        r -= 1;
    }
    while (r + 1).checked_pow(e).is_some_and(|v| v <= t) {
        r += 1;
    }
    r
}

/// `Σ_{T=1}^{max} 2^{−ℓ(T)}` (compensated): must stay below the language mass [`language_mass`].
pub fn kraft_partial(max: usize) -> f64 {
    let l = rich_code_lengths(max);
    let mut s = Neumaier::new();
    for &b in &l[1..] {
        s.add((-(b as f64)).exp2());
    }
    s.total()
}

/// Total Kraft mass of the language's codewords, `K = (5 − √8)/4` (root of `K = ½ + ½(K − ¼)²` in `[0, 1]`).
pub fn language_mass() -> f64 {
    (5.0 - 8f64.sqrt()) / 4.0
}

/// A value that is either exact or known to exceed the cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capped {
    /// The exact value.
    Exact(BigUint),
    /// Larger than the cap.
    Over,
}

impl Capped {
    /// Whether the value is `≥ t` (always true when over the cap, which exceeds every queried t).
    pub fn ge(&self, t: &BigUint) -> bool {
        match self {
            Capped::Exact(v) => v >= t,
            Capped::Over => true,
        }
    }
}

/// How `M(L)` is attained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Witness {
    /// No integer has a code this short.
    None,
    /// The gamma branch: `2^{k+1} − 1`.
    Gamma(u64),
    /// `M(L₁)^{M(L₂)}`.
    Pow(u32, u32),
}

/// The table `M(L)` for `L = 0..=max_len`.
#[derive(Debug, Clone)]
pub struct DescriptionTable {
    cap: BigUint,
    cap_bits: u64,
    max: Vec<Capped>,
    witness: Vec<Witness>,
}

impl DescriptionTable {
    /// `M(L)` for `L ≤ max_len`, exact below `10^cap_digits`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for `max_len > 256` or `cap_digits > 100 000`.
    pub fn new(max_len: u32, cap_digits: u32) -> Result<Self> {
        if max_len > 256 {
            return Err(Error::OutOfRange {
                name: "max code length",
                value: max_len as f64,
                range: "[0, 256]",
            });
        }
        if cap_digits > 100_000 {
            return Err(Error::OutOfRange {
                name: "cap digits",
                value: cap_digits as f64,
                range: "[0, 100000]",
            });
        }
        let cap = BigUint::from(10u32).pow(cap_digits);
        let cap_bits = cap.bits();
        let mut max: Vec<Capped> = Vec::new();
        let mut witness = Vec::new();
        let two = BigUint::from(2u32);
        for l in 0..=max_len {
            // gamma branch: 1 + γ(T) ≤ L
            let mut best: Option<Capped> = None;
            let mut wit = Witness::None;
            if l >= 2 {
                let k = ((l - 2) / 2) as u64;
                let v = if k + 1 > cap_bits {
                    Capped::Over
                } else {
                    Capped::Exact((BigUint::one() << (k + 1)) - BigUint::one())
                };
                best = Some(v);
                wit = Witness::Gamma(k);
            }
            // power branch
            if l >= 1 {
                for l1 in 0..l {
                    let l2 = l - 1 - l1;
                    let (b, e) = (&max[l1 as usize], &max[l2 as usize]);
                    if !b.ge(&two) || !e.ge(&two) || matches!(b, Capped::Exact(x) if x.is_zero()) {
                        continue;
                    }
                    let v = capped_pow(b, e, &cap, cap_bits);
                    if better(&v, best.as_ref()) {
                        best = Some(v);
                        wit = Witness::Pow(l1, l2);
                    }
                }
            }
            max.push(best.unwrap_or(Capped::Exact(BigUint::zero())));
            witness.push(wit);
        }
        Ok(Self {
            cap,
            cap_bits,
            max,
            witness,
        })
    }

    /// `M(L)`.
    pub fn max_describable(&self, l: u32) -> &Capped {
        &self.max[l as usize]
    }

    /// Largest `L` in the table.
    pub fn max_len(&self) -> u32 {
        (self.max.len() - 1) as u32
    }

    /// `m(t) = min{L : M(L) ≥ t}`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for `t = 0` or `t` at or above the cap; [`Error::NoConvergence`] if
    /// the table is too short.
    pub fn m(&self, t: &BigUint) -> Result<u32> {
        if t.is_zero() {
            return Err(Error::OutOfRange {
                name: "t",
                value: 0.0,
                range: "[1, cap)",
            });
        }
        if t >= &self.cap {
            return Err(Error::OutOfRange {
                name: "t",
                value: f64::INFINITY,
                range: "[1, cap) — raise cap_digits",
            });
        }
        for (l, v) in self.max.iter().enumerate() {
            if v.ge(t) {
                return Ok(l as u32);
            }
        }
        Err(Error::NoConvergence {
            method: "m(t) table",
            iterations: self.max.len(),
            residual: f64::NAN,
        })
    }

    /// A readable expression of `M(L)` (e.g. `3^27`, `2^5 − 1`).
    pub fn expr(&self, l: u32) -> String {
        match self.witness[l as usize] {
            Witness::None => "none".into(),
            Witness::Gamma(k) => match &self.max[l as usize] {
                Capped::Exact(v) if v.bits() <= 40 => v.to_string(),
                _ => format!("2^{} − 1", k + 1),
            },
            Witness::Pow(a, b) => {
                let wrap = |s: String| {
                    if s.chars().all(|c| c.is_ascii_digit()) {
                        s
                    } else {
                        format!("({s})")
                    }
                };
                let v = &self.max[l as usize];
                match v {
                    Capped::Exact(x) if x.bits() <= 40 => x.to_string(),
                    _ => format!("{}^{}", wrap(self.expr(a)), wrap(self.expr(b))),
                }
            }
        }
    }

    /// `log₁₀ M(L)` (approximate, for display; `∞` over the cap).
    pub fn log10_max(&self, l: u32) -> f64 {
        match &self.max[l as usize] {
            Capped::Exact(v) if v.is_zero() => f64::NEG_INFINITY,
            Capped::Exact(v) => big_log2(v) * std::f64::consts::LOG10_2,
            Capped::Over => f64::INFINITY,
        }
    }

    /// The cap's bit length.
    pub fn cap_bits(&self) -> u64 {
        self.cap_bits
    }
}

fn better(v: &Capped, best: Option<&Capped>) -> bool {
    match (v, best) {
        (_, None) => true,
        (Capped::Over, Some(Capped::Over)) => false,
        (Capped::Over, Some(Capped::Exact(_))) => true,
        (Capped::Exact(_), Some(Capped::Over)) => false,
        (Capped::Exact(a), Some(Capped::Exact(b))) => a > b,
    }
}

fn capped_pow(b: &Capped, e: &Capped, cap: &BigUint, cap_bits: u64) -> Capped {
    let (b, e) = match (b, e) {
        (Capped::Exact(b), Capped::Exact(e)) => (b, e),
        _ => return Capped::Over,
    };
    // b^e ≥ 2^{(bits(b) − 1)·e}
    let e_u = match e.to_u64() {
        Some(x) if x <= cap_bits + 1 => x,
        _ => return Capped::Over,
    };
    if (b.bits() - 1).saturating_mul(e_u) > cap_bits {
        return Capped::Over;
    }
    let v = b.pow(e_u as u32);
    if &v > cap {
        Capped::Over
    } else {
        Capped::Exact(v)
    }
}

/// `log₂ v` of a positive big integer (top 64 bits, so relative error ~1e-16).
pub fn big_log2(v: &BigUint) -> f64 {
    let bits = v.bits();
    if bits <= 64 {
        return v.to_u64().map_or(f64::NAN, |x| (x as f64).log2());
    }
    let shift = bits - 64;
    let top = (v >> shift).to_u64().unwrap_or(u64::MAX);
    (top as f64).log2() + shift as f64
}

/// One row of the m(t) table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MRow {
    /// `log₁₀ t`.
    pub log10_t: f64,
    /// `m(t)` bits.
    pub m_bits: u32,
    /// `2·log₂ t`.
    pub two_log2_t: f64,
    /// `γ(t)` bits.
    pub gamma_bits: u64,
    /// The integer attaining `m(t)` (`M(m(t))`, the largest describable in that many bits).
    pub witness: String,
}

/// `m(10^d)` for each `d`.
///
/// # Errors
/// As [`DescriptionTable::m`].
pub fn m_rows(table: &DescriptionTable, decades: &[u32]) -> Result<Vec<MRow>> {
    decades
        .iter()
        .map(|&d| {
            let t = BigUint::from(10u32).pow(d);
            let m = table.m(&t)?;
            Ok(MRow {
                log10_t: d as f64,
                m_bits: m,
                two_log2_t: 2.0 * big_log2(&t),
                gamma_bits: elias_gamma_bits_big(&t),
                witness: table.expr(m),
            })
        })
        .collect()
}

/// Decades reported by the checks and the figure.
pub const DECADES: [u32; 14] = [1, 2, 3, 4, 6, 9, 12, 18, 30, 50, 100, 300, 600, 1000];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_lengths() {
        // γ(1) = 1, γ(2) = γ(3) = 3, γ(4..7) = 5, γ(4096) = 25
        assert_eq!(
            [1, 2, 3, 4, 7, 8, 4096].map(elias_gamma_bits),
            [1, 3, 3, 5, 5, 7, 25]
        );
        assert_eq!(elias_gamma_bits_big(&BigUint::from(4096u32)), 25);
    }

    #[test]
    fn rich_lengths_by_hand() {
        let l = rich_code_lengths(1 << 17);
        // ℓ(2) = 1 + 3; ℓ(27) = 1 + ℓ(3) + ℓ(3) = 9 < 1 + γ(27) = 10; ℓ(2^16) = 1 + ℓ(2) + ℓ(16) = 1 + 4 + 10
        assert_eq!(l[2], 4);
        assert_eq!(l[27], 9);
        assert_eq!(l[65536], 15);
        assert_eq!(l[2187], 11); // 3^7: 1 + 4 + 6
        for t in [
            1u64, 2, 16, 27, 64, 81, 1000, 2187, 4096, 6561, 65536, 100000,
        ] {
            assert_eq!(rich_code_length(t).unwrap(), l[t as usize], "T = {t}");
        }
        assert!(rich_code_length(0).is_err());
    }

    #[test]
    fn kraft_holds() {
        let k = kraft_partial(1 << 16);
        assert!(k <= language_mass() && language_mass() < 1.0, "{k}");
        // the language mass is the root of K = ½ + ½ (K − ¼)²
        let km = language_mass();
        assert!((km - (0.5 + 0.5 * (km - 0.25) * (km - 0.25))).abs() < 1e-15);
    }

    #[test]
    fn table_small_values() {
        let t = DescriptionTable::new(20, 50).unwrap();
        // M(2) = 1, M(4) = 3, M(6) = 7, M(9) = 27 (3^3 beats 2^4 − 1 = 15)
        let m = |l| match t.max_describable(l) {
            Capped::Exact(x) => x.to_u64().unwrap(),
            Capped::Over => u64::MAX,
        };
        assert_eq!((m(2), m(4), m(6), m(9)), (1, 3, 7, 27));
        assert_eq!(t.m(&BigUint::from(11u32)).unwrap(), 8);
        assert_eq!(t.m(&BigUint::from(101u32)).unwrap(), 11);
        assert_eq!(t.m(&BigUint::from(1001u32)).unwrap(), 11); // 3^7 = 2187
        assert!(t.m(&BigUint::zero()).is_err());
        assert!(t.m(&BigUint::from(10u32).pow(60)).is_err());
    }

    #[test]
    fn suffix_minimum_agrees() {
        let t = DescriptionTable::new(30, 30).unwrap();
        let l = rich_code_lengths(1 << 16);
        let mut best = u32::MAX;
        let mut suf = vec![0; l.len()];
        for i in (1..l.len()).rev() {
            best = best.min(l[i]);
            suf[i] = best;
        }
        for (x, &want) in suf.iter().enumerate().take(3000).skip(1) {
            assert_eq!(t.m(&BigUint::from(x)).unwrap(), want, "t = {x}");
        }
    }
}
