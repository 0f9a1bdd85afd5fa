//! Proposition 2: a prefix-free integer description language and the simplest unprecedented time m(t) (check C4).
//!
//! Cohen, Hutter, Bengio, Russell 2024; spec: `../shared/spec/cohen2024.md`.

use crate::report::Check;
use crate::theory::CheckOptions;

/// Elias-gamma code length `γ(n) = 2⌊log₂ n⌋ + 1` bits of an integer `n ≥ 1` (0 for `n = 0`, which has no code).
pub fn elias_gamma_bits(n: u64) -> u32 {
    if n == 0 {
        return 0;
    }
    2 * (63 - n.leading_zeros()) + 1
}

/// `ℓ(T)` of the rich code for every `T = 0..=max` (index 0 unused, 0):
/// `ℓ(T) = 1 + min(γ(T), min_{T = b^e, b,e ≥ 2} ℓ(b) + ℓ(e))`.
///
/// Filled in increasing `T`: every representation `b^e` has `b, e < b^e`, so their lengths are final.
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

/// The checks of this result.
pub fn checks(_opts: &CheckOptions) -> Vec<Check> {
    Vec::new()
}
