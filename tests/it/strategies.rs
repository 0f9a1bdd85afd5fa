//! proptest strategies, valid and invalid (free functions; bodies never call `rand`).

use proptest::prelude::*;

/// Any f64, NaN and infinities included.
pub fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e6f64..1e6,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => proptest::num::f64::ANY,
    ]
}

/// A valid probability vector of length 1..=n, possibly with zero atoms (normalised exactly
/// enough for `Probs`' 1e-9 check).
pub fn simplex(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![3 => 0.0f64..1.0, 1 => Just(0.0)], 1..=n).prop_map(|mut w| {
        if w.iter().all(|x| *x == 0.0) {
            w[0] = 1.0; // no rejection: an all-zero draw becomes a point mass
        }
        let s: f64 = w.iter().sum();
        w.iter().map(|x| x / s).collect()
    })
}

/// Rewards of the given length in a moderate range.
pub fn rewards(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-20.0f64..20.0, n)
}

/// A temperature spanning strong to weak tilt.
pub fn beta() -> impl Strategy<Value = f64> {
    (-3.0f64..6.0).prop_map(|e| 10f64.powf(e))
}

/// Vectors of arbitrary f64 (for "never panics" properties).
pub fn any_vec(max: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(any_f64(), 0..=max)
}

/// Case count: `PROPTEST_CASES` if set (e.g. 20000 locally), else `default` (kept small for CI).
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
