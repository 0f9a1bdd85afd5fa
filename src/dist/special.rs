//! Special functions in log space, for tails far beyond where `1 − cdf` or statrs' `erfc` /
//! `beta_reg` underflow or lose relative accuracy.
//!
//! ```text
//! Φ̄(z)        = ½·erfc(z/√2)                             (z ≤ 26)
//!             = φ(z)·R(z),  R(z) = 1/(z+1/(z+2/(z+3/(z+…))))   (z > 26, Laplace's continued fraction)
//! I_x(a, b)   = x^a (1−x)^b / (a·B(a, b)) · CF(a, b, x)      (Lentz; symmetric swap for large x)
//! F̄_ν(k)      = ½·I_{ν/(ν+k²)}(ν/2, ½)                       (k > 0; Student-t)
//! lnΓ(a+s) − lnΓ(a) = s·ln a + (a+s−½)·ln1p(s/a) − s + S(a+s) − S(a)   (a ≥ 10; Stirling)
//! ```
//!
//! Every input that may underflow in linear space (`x = ν/(ν+k²)` at `k = 1e300`) is passed in
//! log form as well, so the result stays finite wherever the true value is representable in log
//! space. References: Abramowitz & Stegun 26.2.14 (Mills ratio), 26.5.8 (incomplete-beta
//! continued fraction), 6.1.40 (Stirling series); Numerical Recipes §6.4 (`betacf`).

use std::f64::consts::LN_2;

use statrs::function::gamma::ln_gamma;

use crate::error::{Error, Result};

/// `ln √(2π)`.
pub(crate) const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Machine epsilon used as the convergence threshold of the continued fractions.
const CF_EPS: f64 = 1e-16;
/// Lentz's "tiny" guard.
const CF_TINY: f64 = 1e-300;

/// `ln(1 − eᵘ)` for `u ≤ 0`, accurate on both sides of `−ln 2` (Mächler 2012).
pub(crate) fn ln_1m_exp(u: f64) -> f64 {
    if u > -LN_2 {
        (-u.exp_m1()).ln()
    } else {
        (-u.exp()).ln_1p()
    }
}

/// `z + m/(z + (m+1)/(z + (m+2)/(z + …)))` by the modified Lentz algorithm (Laplace's continued
/// fraction for the Mills ratio, A&S 26.2.14, from its `m`-th partial numerator).
fn laplace_cf(z: f64, m: usize) -> f64 {
    let mut f = z;
    let mut c = z;
    let mut d = 0.0;
    for n in m..10_000 {
        let a = n as f64;
        d = z + a * d;
        if d.abs() < CF_TINY {
            d = CF_TINY;
        }
        c = z + a / c;
        if c.abs() < CF_TINY {
            c = CF_TINY;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < CF_EPS {
            break;
        }
    }
    f
}

/// Mills ratio `R(z) = Φ̄(z)/φ(z)`, `z > 0`, by the continued fraction: 180 terms at z = 1.5,
/// 25 at z = 5, < 10 beyond 26.
fn mills_ratio_cf(z: f64) -> f64 {
    1.0 / laplace_cf(z, 1)
}

/// `φ(z)/Φ̄(z) − z = 1/(z + 2/(z + 3/(z + …)))` for `z > 0` (the excess of the normal hazard over
/// `z`), without the cancellation of subtracting `z` from the hazard.
pub(crate) fn hazard_excess(z: f64) -> f64 {
    1.0 / laplace_cf(z, 2)
}

/// Below this `|z|` the Taylor series of `Φ(z) − ½` is used (cancellation in `½ − (Φ − ½)` costs
/// at most a factor 7.5 at z = 1.5); above it the continued fraction (≤ 180 terms).
const NORMAL_SERIES_TO: f64 = 1.5;

/// `Φ(z) − ½ = φ(z)·Σₙ z^{2n+1}/(2n+1)!!` (A&S 26.2.11), all terms of one sign: accurate in
/// relative terms for `|z| ≤ 1.5` (used there only).
fn phi_central_series(z: f64) -> f64 {
    let z2 = z * z;
    let mut term = z;
    let mut sum = z;
    let mut n = 0.0;
    loop {
        n += 1.0;
        term *= z2 / (2.0 * n + 1.0);
        sum += term;
        if term.abs() <= 1e-17 * sum.abs() {
            break;
        }
    }
    phi_pdf(z) * sum
}

/// `φ(z)`, with `z² ` split as in Cody's codes (`z = z₀ + δ`, `z₀` a multiple of 1/16 so that
/// `z₀²` is exact) to keep full relative accuracy far in the tail.
pub(crate) fn phi_pdf(z: f64) -> f64 {
    let z = z.abs();
    if z > 40.0 {
        return (ln_phi_pdf(z)).exp();
    }
    let z0 = (z * 16.0).trunc() / 16.0;
    let del = (z - z0) * (z + z0);
    (-0.5 * z0 * z0).exp() * (-0.5 * del).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// `Φ(z) − ½` to full relative accuracy near 0 (Lévy's survival function needs it).
pub(crate) fn phi_central(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z.abs() <= NORMAL_SERIES_TO {
        phi_central_series(z)
    } else if z > 0.0 {
        0.5 - phi_bar(z)
    } else {
        phi_bar(-z) - 0.5
    }
}

/// `Φ̄(z) = P(Z > z)` for the standard normal, accurate in relative terms on both tails
/// (until it underflows below ~1e-308 at z ≈ 37.5). statrs' `erfc` is not used: it has relative
/// errors near 1e-10 for arguments above 0.5 (measured against mpmath).
pub(crate) fn phi_bar(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z == f64::INFINITY {
        return 0.0;
    }
    if z == f64::NEG_INFINITY {
        return 1.0;
    }
    if z.abs() <= NORMAL_SERIES_TO {
        0.5 - phi_central_series(z)
    } else if z > 0.0 {
        phi_pdf(z) * mills_ratio_cf(z)
    } else {
        1.0 - phi_pdf(z) * mills_ratio_cf(-z)
    }
}

/// `ln Φ̄(z)`, finite for every finite `z` whose value is representable (down to `z ≈ 1.9e154`).
pub(crate) fn ln_phi_bar(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z == f64::INFINITY {
        return f64::NEG_INFINITY;
    }
    if z == f64::NEG_INFINITY {
        return 0.0;
    }
    if z < -NORMAL_SERIES_TO {
        // Φ̄(z) = 1 − Φ̄(−z) with Φ̄(−z) < 0.067: ln1p keeps the tiny deficit.
        (-phi_bar(-z)).ln_1p()
    } else if z <= NORMAL_SERIES_TO {
        phi_bar(z).ln()
    } else {
        ln_phi_pdf(z) + mills_ratio_cf(z).ln()
    }
}

/// `Φ⁻¹(p)` for `p ∈ [0, 1]`: statrs' inverse (via `erfc_inv`) polished by two Newton steps on
/// `ln Φ` (lower half) or `ln Φ̄` (upper half), so it inherits the accuracy of [`ln_phi_bar`].
pub(crate) fn normal_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        return normal_isf(1.0 - p);
    }
    -normal_isf(p)
}

/// `Φ̄⁻¹(q)` for `q ∈ (0, 1)`: the `z` with `Φ̄(z) = q`, accurate for tiny `q`.
pub(crate) fn normal_isf(q: f64) -> f64 {
    if !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    if q == 0.0 {
        return f64::INFINITY;
    }
    if q == 1.0 {
        return f64::NEG_INFINITY;
    }
    let mut z = std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * q);
    let lq = q.ln();
    for _ in 0..3 {
        if !z.is_finite() {
            break;
        }
        // d/dz ln Φ̄(z) = −φ(z)/Φ̄(z)
        let l = ln_phi_bar(z);
        let step = (l - lq) * (l - ln_phi_pdf(z)).exp();
        if !step.is_finite() {
            break;
        }
        z += step;
    }
    z
}

/// `Φ⁻¹(p)` for `p ∈ [0, 1]` as statrs' `Normal::inverse_cdf` computes it, `−√2·erfc⁻¹(2p)`,
/// without the Newton polish of [`normal_quantile`] (relative accuracy ~1e-10 in probability
/// rather than a few ulp). Bit-identical to `Normal::new(0, 1)?.inverse_cdf(p)` (same
/// expression, `0 − …` keeping `+0` at `p = ½`), which the normal probability plots and the tail
/// estimators' confidence intervals were computed with; switching them to [`normal_quantile`]
/// would move their outputs in the last bits. NaN outside `[0, 1]` (statrs panics there).
pub(crate) fn normal_quantile_erfc(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    0.0 - std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
}

/// The `z` with `P(|Z| <= z) = level` for a standard normal `Z`: [`normal_quantile_erfc`] at
/// `(1 + level)/2`, the multiplier of a two-sided normal confidence interval.
///
/// # Errors
/// [`Error::OutOfRange`] unless `0 < level < 1`.
pub(crate) fn normal_quantile_two_sided(level: f64) -> Result<f64> {
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::OutOfRange {
            name: "confidence level",
            value: level,
            range: "(0, 1)",
        });
    }
    Ok(normal_quantile_erfc(0.5 + level / 2.0))
}

/// `ln φ(z)`.
pub(crate) fn ln_phi_pdf(z: f64) -> f64 {
    -0.5 * z * z - LN_SQRT_2PI
}

/// Stirling correction `S(z) = lnΓ(z) − [(z−½)ln z − z + ½ln 2π]` for `z ≥ 10`
/// (A&S 6.1.40, seven terms: error < 1e-17 at z = 10).
fn stirling_tail(z: f64) -> f64 {
    let r = 1.0 / z;
    let r2 = r * r;
    // B_{2k}/(2k(2k−1)): 1/12, −1/360, 1/1260, −1/1680, 1/1188, −691/360360, 1/156
    r * (1.0 / 12.0
        + r2 * (-1.0 / 360.0
            + r2 * (1.0 / 1260.0
                + r2 * (-1.0 / 1680.0
                    + r2 * (1.0 / 1188.0 + r2 * (-691.0 / 360_360.0 + r2 / 156.0))))))
}

/// `lnΓ(a + s) − lnΓ(a)` for `a > 0`, `s > 0`, without the cancellation of subtracting two
/// large log-gammas when `a` is large.
pub(crate) fn ln_gamma_ratio(a: f64, s: f64) -> f64 {
    if a < 10.0 {
        return ln_gamma(a + s) - ln_gamma(a);
    }
    s * a.ln() + (a + s - 0.5) * (s / a).ln_1p() - s + stirling_tail(a + s) - stirling_tail(a)
}

/// `ln B(a, b)` for `a, b > 0`, accurate when one argument is large and the other small.
pub(crate) fn ln_beta(a: f64, b: f64) -> f64 {
    let (s, l) = if a <= b { (a, b) } else { (b, a) };
    if l < 10.0 {
        return ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    }
    ln_gamma(s) - ln_gamma_ratio(l, s)
}

/// Continued fraction of the incomplete beta function (NR `betacf`, modified Lentz), valid
/// and fast for `x < (a+1)/(a+b+2)`.
fn beta_cf(a: f64, b: f64, x: f64, y: f64) -> f64 {
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    // 1 − (a+b)x/(a+1) written with y = 1 − x: no cancellation when x ≈ 1 and a is large
    let mut d = (1.0 - b + qab * y) / qap;
    if d.abs() < CF_TINY {
        d = CF_TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..100_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // written as products of ratios so that a up to f64::MAX does not overflow
        let aa = (m * (b - m) / (qam + m2)) * (x / (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < CF_TINY {
            d = CF_TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < CF_TINY {
            c = CF_TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -((a + m) / (a + m2)) * ((qab + m) / (qap + m2)) * x;
        d = 1.0 + aa * d;
        if d.abs() < CF_TINY {
            d = CF_TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < CF_TINY {
            c = CF_TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < CF_EPS {
            break;
        }
    }
    h
}

/// `(ln I_x(a, b), ln(1 − I_x(a, b)))`, the regularised incomplete beta function and its
/// complement in log space. `y = 1 − x`, `ln_x`, `ln_y` must be supplied (computed accurately by
/// the caller; `x` itself may underflow to 0 while `ln_x` is finite).
pub(crate) fn ln_beta_reg(a: f64, b: f64, x: f64, y: f64, ln_x: f64, ln_y: f64) -> (f64, f64) {
    if x <= 0.0 && ln_x == f64::NEG_INFINITY {
        return (f64::NEG_INFINITY, 0.0);
    }
    if y <= 0.0 && ln_y == f64::NEG_INFINITY {
        return (0.0, f64::NEG_INFINITY);
    }
    if x < (a + 1.0) / (a + b + 2.0) {
        let front = a * ln_x + b * ln_y - a.ln() - ln_beta(a, b);
        let li = front + beta_cf(a, b, x, y).ln();
        (li, ln_1m_exp(li.min(0.0)))
    } else {
        let front = b * ln_y + a * ln_x - b.ln() - ln_beta(a, b);
        let lj = front + beta_cf(b, a, y, x).ln();
        (ln_1m_exp(lj.min(0.0)), lj)
    }
}

/// `(ln q, ln(1 + q²))` for `q = |k|/√ν`, without overflowing `q` or `q²` (`k` up to f64::MAX,
/// `ν` down to tiny values).
fn ln_q_ln1p_sq(k: f64, nu: f64) -> (f64, f64) {
    let q = k.abs() / nu.sqrt();
    if q.is_finite() && q <= 1e150 {
        (q.ln(), (q * q).ln_1p())
    } else {
        let lq = k.abs().ln() - 0.5 * nu.ln();
        // ln(1 + q²) = 2 ln q + ln1p(q⁻²), q⁻² < 1e-300
        (lq, 2.0 * lq + (-2.0 * lq).exp().ln_1p())
    }
}

/// `ln F̄_ν(k)` for the standard Student-t with `ν` degrees of freedom.
pub(crate) fn t_ln_sf(k: f64, nu: f64) -> f64 {
    if k.is_nan() || nu.is_nan() {
        return f64::NAN;
    }
    if k == f64::INFINITY {
        return f64::NEG_INFINITY;
    }
    if k == f64::NEG_INFINITY {
        return 0.0;
    }
    if k == 0.0 {
        return -LN_2;
    }
    let (li, _) = t_ln_half_beta(k, nu);
    // li = ln I_h(ν/2, ½) = ln(2·min(F̄, F))
    if k > 0.0 {
        li - LN_2
    } else {
        (-0.5 * li.exp()).ln_1p()
    }
}

/// `F̄_ν(k)` (linear scale; the complement side uses `1 − ½I`, exact to rounding there).
pub(crate) fn t_sf(k: f64, nu: f64) -> f64 {
    if k.is_nan() || nu.is_nan() {
        return f64::NAN;
    }
    if k > 0.0 {
        t_ln_sf(k, nu).exp()
    } else {
        1.0 - 0.5 * t_ln_half_beta_or(k, nu).exp()
    }
}

fn t_ln_half_beta_or(k: f64, nu: f64) -> f64 {
    if k == 0.0 {
        return 0.0;
    }
    if k.is_infinite() {
        return f64::NEG_INFINITY;
    }
    t_ln_half_beta(k, nu).0
}

/// `ln I_h(ν/2, ½)` with `h = ν/(ν + k²)` (and its complement), from `q = k/√ν`.
fn t_ln_half_beta(k: f64, nu: f64) -> (f64, f64) {
    let (lq, l1p) = ln_q_ln1p_sq(k, nu); // l1p = ln(1 + q²) = −ln h
    let ln_h = -l1p;
    // ln(1 − h) = ln(q²/(1+q²)) = 2 ln q − ln(1+q²)
    let ln_y = 2.0 * lq - l1p;
    let a = 0.5 * nu;
    if a >= LARGE_A && l1p <= 1.0 {
        let li = ln_beta_reg_half_large_a(a, l1p);
        return (li, ln_1m_exp(li.min(0.0)));
    }
    let h = ln_h.exp();
    let y = ln_y.exp();
    ln_beta_reg(a, 0.5, h, y, ln_h, ln_y)
}

/// From this `a = ν/2` on, `I_x(a, ½)` with `x` near 1 comes from the expansion below: the
/// continued fraction there is ill-conditioned in `x` (relative error ≈ ε/(1 − x), measured
/// 4e-10 at ν = 1e8).
const LARGE_A: f64 = 500.0;

/// `ln I_x(a, ½)` for large `a` and `u = −ln x <= 1`, from the exact substitution `t = e^{−s}`:
///
/// ```text
/// I_x(a, b) = (1/B(a,b)) ∫_u^∞ e^{−Ts} s^{b−1} g(s) ds,   T = a + (b−1)/2,
/// g(s) = (sinh(s/2)/(s/2))^{b−1} = Σ c_n s^{2n}   ⇒   I = (1/B) Σ c_n T^{−(b+2n)} Γ(b+2n, Tu)
/// ```
///
/// (the idea of DiDonato & Morris's `bgrat`, TOMS 708). `c_n` come from the power of the sinh
/// series (J. C. P. Miller's recurrence); `Γ(½+j, z)` from `Γ(½, z) = √π·erfc(√z)` by the stable
/// upward recurrence `Γ(s+1, z) = sΓ(s, z) + z^s e^{−z}`. The neglected terms are below
/// `(u/2π)^{2N}` and `(2N/T)^{2N}` relative, i.e. far below 1e-16 for `u ≤ 1`, `T ≥ 500`.
fn ln_beta_reg_half_large_a(a: f64, u: f64) -> f64 {
    const N: usize = 24;
    let b = 0.5;
    let alpha = b - 1.0;
    // d_m = 1/(4^m (2m+1)!): sinh(s/2)/(s/2) = Σ d_m s^{2m}
    let mut d = [0.0f64; N + 1];
    d[0] = 1.0;
    for m in 1..=N {
        d[m] = d[m - 1] / (4.0 * (2 * m) as f64 * (2 * m + 1) as f64);
    }
    let mut c = [0.0f64; N + 1];
    c[0] = 1.0;
    for n in 1..=N {
        let mut acc = 0.0;
        for k in 1..=n {
            acc += ((alpha + 1.0) * k as f64 - n as f64) * d[k] * c[n - k];
        }
        c[n] = acc / n as f64;
    }
    let t = a + 0.5 * alpha;
    let z = t * u;
    // Γ(½, z) = √π·erfc(√z) = 2√π·Φ̄(w) = √2·e^{−z}·R(w), w = √(2z), R the Mills ratio: keeping
    // e^{−z} apart avoids cancelling −z against ln Γ(½, z) when z is huge (ν near f64::MAX).
    let w = (2.0 * z).sqrt();
    let ln_r = if w > NORMAL_SERIES_TO {
        mills_ratio_cf(w).ln()
    } else {
        ln_phi_bar(w) - ln_phi_pdf(w)
    };
    let ln_g_half = 0.5 * LN_2 - z + ln_r;
    let (ln_z, ln_t) = (z.ln(), t.ln());
    let mut r = 1.0; // r_j = Γ(½+j, z)/(Γ(½, z)·T^j)
    let mut sum = 1.0;
    for j in 0..2 * N {
        let s = b + j as f64;
        // z^s e^{−z}/(Γ(½, z)·T^{j+1})
        let extra = if z > 0.0 {
            (s * ln_z - 0.5 * LN_2 - ln_r - (j as f64 + 1.0) * ln_t).exp()
        } else {
            0.0
        };
        r = s / t * r + extra;
        if j % 2 == 1 {
            // r now holds r_{j+1} = r_{2n} with n = (j+1)/2
            let term = c[j / 2 + 1] * r;
            sum += term;
            if term.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
    }
    ln_g_half - ln_beta(a, b) - b * ln_t + sum.ln()
}

/// `ln f_ν(k)`, the standard Student-t log-density, finite for every finite `k`.
pub(crate) fn t_ln_pdf(k: f64, nu: f64) -> f64 {
    -ln_beta(0.5 * nu, 0.5) - 0.5 * nu.ln() - 0.5 * (nu + 1.0) * ln_q_ln1p_sq(k, nu).1
}

/// `E[K·1{K > k}]` for the standard Student-t, `ν > 1`: `f_ν(k)(ν + k²)/(ν − 1)`
/// (spec §2.1), evaluated in log space.
pub(crate) fn t_partial_mean(k: f64, nu: f64) -> f64 {
    (t_ln_pdf(k, nu) + nu.ln() + ln_q_ln1p_sq(k, nu).1 - (nu - 1.0).ln()).exp()
}

#[cfg(test)]
#[allow(clippy::excessive_precision)] // reference values as printed by mpmath
mod tests {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    /// ln Φ̄(z); reference: mpmath 1.3.0 at 50 digits, `log(erfc(z/sqrt(2))/2)`.
    #[test]
    fn ln_phi_bar_far_tail() {
        let cases = [
            (-5.0, -2.866_516_129_637_635_9e-7),
            (0.5, -1.175_911_761_593_618_6),
            (5.0, -15.064_998_393_988_726),
            (10.0, -53.231_285_150_512_471),
            (20.0, -203.917_155_371_097_26),
            (26.0, -342.178_508_929_927_83),
            (27.0, -368.716_142_468_656_35),
            (30.0, -454.321_243_956_343_2),
            (37.5, -707.668_989_317_501_07),
            (40.0, -804.608_442_013_753_79),
            (100.0, -5_005.524_208_694_205_1),
            (1e3, -500_007.826_694_812_2),
            (1e5, -5_000_000_012.431_864),
            (1e10, -5.000_000_000_000_000_002_4e19),
        ];
        for (z, want) in cases {
            assert_close(ln_phi_bar(z), want, Tolerance::rel(1e-14));
        }
        assert_close(ln_phi_bar(1e150), -5e299, Tolerance::rel(1e-15));
        assert_eq!(ln_phi_bar(f64::INFINITY), f64::NEG_INFINITY);
        assert_eq!(ln_phi_bar(f64::NEG_INFINITY), 0.0);
        // linear scale agrees where representable
        for z in [5.0, 20.0, 26.0, 27.0, 37.0] {
            assert_close(phi_bar(z), ln_phi_bar(z).exp(), Tolerance::rel(1e-13));
        }
    }

    /// ln F̄_ν(k); reference: mpmath 1.3.0 at 50 digits, `log(betainc(ν/2, 1/2, 0, ν/(ν+k²),
    /// regularized=True)/2)` (and `1 −` that for k < 0).
    #[test]
    fn t_ln_sf_against_mpmath() {
        let cases: &[(f64, f64, f64)] = &[
            (0.5, 1e2, -3.439_838_723_611_406_8),
            (0.5, 1e300, -346.525_010_079_878_38),
            (1.0, 1e8, -19.565_410_629_801_766),
            (2.5, -3.0, -0.036_962_833_767_972_674),
            (2.5, 1e4, -23.355_272_498_800_846),
            (3.0, -3.0, -0.029_258_323_485_362_993),
            (3.0, 0.1, -0.769_323_992_579_258_42),
            (3.0, 1.0, -1.632_189_224_494_122_5),
            (3.0, 3.0, -3.546_184_675_450_907_9),
            (3.0, 1e2, -13.718_147_068_015_281),
            (3.0, 1e4, -27.533_297_712_883_948),
            (3.0, 1e8, -55.164_318_792_812_497),
            (3.0, 1e20, -138.057_382_140_598_14),
            (3.0, 1e100, -690.677_804_459_169_1),
            (3.0, 1e300, -2_072.228_860_255_596_5),
            (10.0, 1e2, -36.638_547_364_010_232),
            (30.0, 3.0, -5.916_363_741_498_326_6),
            (30.0, 1e4, -227.920_123_809_937_42),
            (1000.0, 1.0, -1.840_259_558_506_558_7),
            (1000.0, 1e2, -1_203.273_147_257_507_8),
            (1e6, 3.0, -6.607_701_598_412_306_4),
            // large ν (the expansion for a = ν/2 >= 500, x near 1); mpmath betainc at 40 digits
            (1e7, 0.5, -1.175_911_743_764_278_9),
            (1e7, 3.0, -6.607_723_759_187_777),
            (1e7, 30.0, -454.300_950_198_065_8),
            (1e8, 3.0, -6.607_725_975_277_964_6),
            (1e8, 10.0, -53.231_259_652_843_971),
        ];
        for &(nu, k, want) in cases {
            let got = t_ln_sf(k, nu);
            let tol = 1e-13;
            assert!(
                Tolerance::rel(tol).close(got, want),
                "ν={nu} k={k}: got {got:.17e}, want {want:.17e}, rel err {:.2e}",
                ((got - want) / want).abs()
            );
        }
    }
}
