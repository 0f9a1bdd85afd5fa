//! Exact best-of-n on a finite distribution, its exact KL from the base, the
//! `ln n − (n−1)/n` bound and the two-point closed form.
//!
//! Best-of-n draws `n` i.i.d. outcomes from the base `π₀` and returns the one with the highest
//! reward. **Tie-break:** among the drawn outcomes that share the highest reward, one is chosen
//! uniformly at random. Given the winning reward level `ℓ`, the winner is then distributed as
//! `π₀` restricted to that level, so the law is exact:
//!
//! ```text
//! π_n(level ℓ) = F(≤ ℓ)^n − F(< ℓ)^n
//! π_n(i)       = π_n(level of i) · π₀(i) / π₀(level of i)
//! KL(π_n ‖ π₀) = KL over levels (the within-level conditional equals π₀'s; chain rule)
//! ```
//!
//! With all rewards distinct each atom is its own level and `π_n(i) = F(≤ i)^n − F(< i)^n`.
//! Numerics: `F(≤ ℓ)^n = exp(n·ln F(≤ ℓ))` with `ln F(≤ ℓ)` taken as `ln1p(−P(> ℓ))` in the
//! upper half (tail sums accumulated from the top, Neumaier), and
//! `F(≤ ℓ)^n − F(< ℓ)^n = F(≤ ℓ)^n · (−expm1(−n·ln1p(π₀(ℓ)/F(< ℓ))))`, so nothing cancels
//! even for `n ~ 10⁹`.
//!
//! The bound (Gao, Schulman, Hilton 2022, eq. for best-of-n KL; proved by Beirami et al. 2024,
//! Theorem 1): `KL(π_n ‖ π₀) ≤ ln n − (n−1)/n`, with equality in the no-atom (continuous) limit.
//! Beirami et al. 2024 show it is only a bound: with an atom it can be far from tight. For two
//! outcomes with `P(top) = p`, `π_n(top) = q = 1 − (1−p)^n` and
//!
//! ```text
//! KL = q·ln(q/p) + (n−1)·(1−p)^n·ln(1−p)  ≤  ln(1/p)
//! ```
//!
//! (every likelihood ratio is at most `1/p`), so for `p = 1/2` the KL tends to `ln 2` while the
//! bound grows like `ln n`.

use crate::error::{Error, Result};
use crate::numerics::Neumaier;
use crate::prob::{kl, Probs};

fn check_n(n: u64) -> Result<f64> {
    if n == 0 {
        return Err(Error::OutOfRange {
            name: "n",
            value: 0.0,
            range: "n >= 1",
        });
    }
    Ok(n as f64)
}

/// The best-of-n KL bound `ln n − (n−1)/n` (Gao et al. 2022; Beirami et al. 2024).
///
/// # Errors
/// [`Error::OutOfRange`] for `n = 0`.
pub fn kl_bound(n: u64) -> Result<f64> {
    let nf = check_n(n)?;
    Ok(nf.ln() - (nf - 1.0) / nf)
}

/// The exact best-of-`n` law over the atoms of `base`, ranked by `reward`, ties broken
/// uniformly among the tied draws (see the module docs).
///
/// # Errors
/// [`Error::OutOfRange`] for `n = 0`; [`Error::LengthMismatch`] if `reward` and `base`
/// differ in length; [`Error::NotFinite`] for a non-finite reward.
pub fn best_of_n_law(base: &Probs, reward: &[f64], n: u64) -> Result<Probs> {
    let nf = check_n(n)?;
    crate::prob::probs::check_len("base", base.len(), "reward", reward.len())?;
    if let Some(&r) = reward.iter().find(|r| !r.is_finite()) {
        return Err(Error::NotFinite {
            name: "reward",
            value: r,
        });
    }
    let p = base.as_slice();
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&i, &j| reward[i].total_cmp(&reward[j]).then(i.cmp(&j)));
    // Group into levels of equal reward: (start, end) ranges of `order`, with masses.
    let mut levels: Vec<(usize, usize, f64)> = Vec::new();
    let mut k = 0;
    while k < order.len() {
        let mut e = k;
        let mut m = Neumaier::new();
        while e < order.len() && reward[order[e]] == reward[order[k]] {
            m.add(p[order[e]]);
            e += 1;
        }
        levels.push((k, e, m.total()));
        k = e;
    }
    // P(> ℓ) accumulated from the top.
    let mut above = vec![0.0; levels.len()];
    let mut s = Neumaier::new();
    for (l, lev) in levels.iter().enumerate().rev() {
        above[l] = s.total();
        s.add(lev.2);
    }
    let mut out = vec![0.0; p.len()];
    let mut below = Neumaier::new(); // F(< ℓ)
    for (l, &(start, end, m)) in levels.iter().enumerate() {
        let a = below.total();
        below.add(m);
        let b = below.total();
        if m <= 0.0 {
            continue;
        }
        let ln_b = if b <= 0.5 {
            b.ln()
        } else {
            (-above[l]).ln_1p()
        };
        let d = if a > 0.0 {
            (m / a).ln_1p()
        } else {
            f64::INFINITY
        };
        let level_mass = (nf * ln_b).exp() * -(-nf * d).exp_m1();
        for &i in &order[start..end] {
            out[i] = level_mass * (p[i] / m);
        }
    }
    Probs::new_named("best-of-n law", out)
}

/// `KL(π_n ‖ π₀)` in nats for the exact best-of-`n` law of [`best_of_n_law`].
///
/// # Errors
/// As [`best_of_n_law`].
pub fn best_of_n_kl(base: &Probs, reward: &[f64], n: u64) -> Result<f64> {
    let pi = best_of_n_law(base, reward, n)?;
    kl(&pi, base)
}

/// Closed form of the best-of-`n` KL for two outcomes with `P(top) = p_top`:
/// `q·ln(q/p) + (n−1)·(1−p)^n·ln(1−p)` with `q = 1 − (1−p)^n`.
///
/// # Errors
/// [`Error::OutOfRange`] unless `0 < p_top < 1`, or for `n = 0`.
pub fn two_point_kl(p_top: f64, n: u64) -> Result<f64> {
    let nf = check_n(n)?;
    if !(p_top > 0.0 && p_top < 1.0) {
        return Err(Error::OutOfRange {
            name: "p_top",
            value: p_top,
            range: "(0, 1)",
        });
    }
    let ln_low = (-p_top).ln_1p(); // ln(1 − p)
    let rest = (nf * ln_low).exp(); // (1 − p)^n
    let q = -(nf * ln_low).exp_m1(); // 1 − (1 − p)^n
    let mut s = Neumaier::new();
    s.add(q * (q / p_top).ln());
    s.add((nf - 1.0) * rest * ln_low);
    Ok(s.total())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tol, tolerance::assert_close, Tolerance};
    use proptest::prelude::*;

    fn uniform_distinct(m: usize) -> (Probs, Vec<f64>) {
        (
            Probs::uniform(m).unwrap(),
            (0..m).map(|i| i as f64).collect(),
        )
    }

    #[test]
    fn many_distinct_atoms_attain_the_bound() {
        // Continuous limit: equality (Beirami et al. 2024, Thm 1); the gap for 1e5 atoms is
        // O((n/M)²), cross-checked by a direct Python sum (1.7e-8 at n = 64).
        let (base, r) = uniform_distinct(100_000);
        for n in [2u64, 4, 16, 64] {
            let k = best_of_n_kl(&base, &r, n).unwrap();
            let b = kl_bound(n).unwrap();
            assert!(k <= b);
            assert_close(k, b, Tolerance::abs(1e-7));
        }
    }

    #[test]
    fn two_point_matches_closed_form_and_limit() {
        let base = Probs::new(vec![0.99, 0.01]).unwrap();
        for n in [1u64, 2, 16, 1000, 1_000_000] {
            let k = best_of_n_kl(&base, &[0.0, 1.0], n).unwrap();
            assert_close(
                k,
                two_point_kl(0.01, n).unwrap(),
                Tolerance::new(tol::EXACT_REL, 1e-15),
            );
            assert!(k <= (100f64).ln() + 1e-12);
        }
        // p = 1/2, huge n: (1/2)^n underflows, KL = ln 2 exactly.
        let half = Probs::new(vec![0.5, 0.5]).unwrap();
        let k = best_of_n_kl(&half, &[0.0, 1.0], 1 << 40).unwrap();
        assert_close(k, 2f64.ln(), Tolerance::rel(1e-15));
        // hand value: n = 2, p = 1/2: q = 3/4, KL = 3/4 ln(3/2) + 1/4 ln(1/2)
        let k2 = two_point_kl(0.5, 2).unwrap();
        assert_close(
            k2,
            0.75 * 1.5f64.ln() + 0.25 * 0.5f64.ln(),
            Tolerance::rel(1e-15),
        );
    }

    #[test]
    fn ties_are_split_in_proportion_to_base() {
        // rewards {0, 1, 1}: the top level has mass 0.5 and wins with prob 1 − 0.5² = 0.75,
        // split 0.2 : 0.3 as in the base.
        let base = Probs::new(vec![0.5, 0.2, 0.3]).unwrap();
        let pi = best_of_n_law(&base, &[0.0, 1.0, 1.0], 2).unwrap();
        assert_close(pi.as_slice()[0], 0.25, Tolerance::rel(1e-15));
        assert_close(pi.as_slice()[1], 0.75 * 0.4, Tolerance::rel(1e-15));
        assert_close(pi.as_slice()[2], 0.75 * 0.6, Tolerance::rel(1e-15));
        // the KL equals the two-level KL
        let k = best_of_n_kl(&base, &[0.0, 1.0, 1.0], 2).unwrap();
        assert_close(k, two_point_kl(0.5, 2).unwrap(), Tolerance::rel(1e-14));
    }

    #[test]
    fn bad_input_is_named() {
        let base = Probs::new(vec![0.5, 0.5]).unwrap();
        assert!(matches!(
            kl_bound(0),
            Err(Error::OutOfRange { name: "n", .. })
        ));
        assert!(matches!(
            best_of_n_law(&base, &[0.0], 2),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            best_of_n_law(&base, &[0.0, f64::NAN], 2),
            Err(Error::NotFinite { name: "reward", .. })
        ));
        assert!(matches!(
            two_point_kl(1.0, 2),
            Err(Error::OutOfRange { name: "p_top", .. })
        ));
        assert!(matches!(
            two_point_kl(f64::NAN, 2),
            Err(Error::OutOfRange { name: "p_top", .. })
        ));
    }

    /// Random finite distributions with rewards drawn from few values (so ties occur).
    fn weights_and_rewards() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        (1usize..40).prop_flat_map(|m| {
            (
                prop::collection::vec(prop_oneof![Just(0.0), 1e-6..1.0f64], m),
                prop::collection::vec((0i32..12).prop_map(f64::from), m),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn exact_kl_never_exceeds_the_bound((w, r) in weights_and_rewards(), n in 1u64..200) {
            prop_assume!(w.iter().any(|&x| x > 0.0));
            let base = Probs::from_weights("w", &w).unwrap();
            let pi = best_of_n_law(&base, &r, n).unwrap();
            prop_assert!(pi.as_slice().iter().all(|&x| (0.0..=1.0).contains(&x)));
            let k = kl(&pi, &base).unwrap();
            prop_assert!(k >= 0.0);
            prop_assert!(k <= kl_bound(n).unwrap() + 1e-12, "KL {} > bound {}", k, kl_bound(n).unwrap());
            if n == 1 {
                prop_assert!(k <= 1e-14);
            }
        }
    }
}
