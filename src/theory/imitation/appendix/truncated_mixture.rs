//! Proposition 4 of Cohen et al. 2024 (ξ is any-time computable): the clock-world mixture
//! truncated to models of code length ≤ i, computed exactly by code-length bucket.

use crate::error::{Error, Result};
use crate::numerics::Neumaier;
use crate::theory::imitation::class::clock::ClockWorld;
use crate::theory::imitation::class::{History, Layout};

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
