//! The KL-regularised optimal policy on a finite support (Kwa et al. 2024 §3; spec §1.5):
//!
//! ```text
//! π_β(i) = π₀(i)·exp(U_i/β) / Z(β),   Z(β) = E_π₀[exp(U/β)]
//! KL(π_β‖π₀) = E_π_β[U]/β − ln Z(β)          (Gibbs / Donsker–Varadhan)
//! dKL/dβ = −Var_π_β(U)/β³                    (so KL is decreasing in β)
//! ```
//!
//! Accuracy: the rewards are centred at `c = E_π₀[U]`, `d_i = (U_i − c)/β`. At weak tilt
//! (`max|d| <= 0.5`) we use `ln Z = ln1p(E₀[expm1 d])` and `E_π[d] = E₀[d·(1+expm1 d)]/(1+S)`,
//! so `KL = E_π[d] − ln1p(S)` loses at most a bit to cancellation (the naive identity
//! `E_π[U]/β − ln Z` loses ~8 digits at KL ≈ 1e-8: spec baselines, `accuracy.py`). Otherwise a
//! max-shift in log space. All sums are Neumaier-compensated.

use super::probs::{check_len, Probs};
use crate::error::{Error, Result};
use crate::numerics::{roots::newton_bisect, Neumaier};

/// Everything about `π_β` that one pass over the atoms gives.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TiltPoint {
    /// The temperature β.
    pub beta: f64,
    /// `E_π_β[U]`.
    pub mean_u: f64,
    /// `Var_π_β(U)`.
    pub var_u: f64,
    /// `KL(π_β‖π₀)` in nats.
    pub kl: f64,
    /// `ln Z(β) = ln E_π₀[exp(U/β)]`.
    pub log_z: f64,
}

/// A base distribution and a reward on the same finite support, ready to be tilted.
#[derive(Debug, Clone)]
pub struct Tilt<'a> {
    base: &'a Probs,
    u: &'a [f64],
    centre: f64,
    u_max: f64,
    /// Base mass on the atoms that attain `max U` (limits the attainable KL).
    mass_at_max: f64,
}

impl<'a> Tilt<'a> {
    /// Pairs base probabilities with rewards.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`]; [`Error::NotFinite`] for a non-finite reward on the support.
    pub fn new(base: &'a Probs, u: &'a [f64]) -> Result<Self> {
        check_len("base", base.len(), "reward", u.len())?;
        let mut c = Neumaier::new();
        let mut u_max = f64::NEG_INFINITY;
        for (&p, &x) in base.as_slice().iter().zip(u) {
            if p > 0.0 {
                if !x.is_finite() {
                    return Err(Error::NotFinite {
                        name: "reward",
                        value: x,
                    });
                }
                c.add(p * x);
                u_max = u_max.max(x);
            }
        }
        let mut m = Neumaier::new();
        for (&p, &x) in base.as_slice().iter().zip(u) {
            if p > 0.0 && x == u_max {
                m.add(p);
            }
        }
        Ok(Self {
            base,
            u,
            centre: c.total(),
            u_max,
            mass_at_max: m.total(),
        })
    }

    /// The base distribution.
    pub fn base(&self) -> &Probs {
        self.base
    }

    /// The rewards.
    pub fn reward(&self) -> &[f64] {
        self.u
    }

    /// `E_π₀[U]`.
    pub fn base_mean(&self) -> f64 {
        self.centre
    }

    /// `sup_β KL(π_β‖π₀) = −ln π₀(argmax U)`, approached as β → 0.
    pub fn max_kl(&self) -> f64 {
        -self.mass_at_max.ln()
    }

    /// Unnormalised log-weights `d_i = (U_i − c)/β` and the weak-tilt flag.
    fn scaled(&self, beta: f64) -> (f64, bool) {
        let m = (self.u_max - self.centre) / beta;
        let mut lo = 0.0f64;
        for (&p, &x) in self.base.as_slice().iter().zip(self.u) {
            if p > 0.0 {
                lo = lo.min((x - self.centre) / beta);
            }
        }
        (m, m.max(-lo) <= 0.5)
    }

    /// One exact pass at `β`.
    ///
    /// # Errors
    /// [`Error::NotPositive`] if `beta <= 0` or NaN.
    pub fn at(&self, beta: f64) -> Result<TiltPoint> {
        if !(beta > 0.0) {
            return Err(Error::NotPositive {
                name: "beta",
                value: beta,
            });
        }
        if beta == f64::INFINITY {
            let var = self.base.expect(
                &self
                    .u
                    .iter()
                    .map(|x| (x - self.centre).powi(2))
                    .collect::<Vec<_>>(),
            )?;
            return Ok(TiltPoint {
                beta,
                mean_u: self.centre,
                var_u: var,
                kl: 0.0,
                log_z: 0.0,
            });
        }
        let (m, weak) = self.scaled(beta);
        if !m.is_finite() {
            // (U − c)/β overflows: numerically the β → 0 limit, the base restricted to argmax U.
            return Ok(TiltPoint {
                beta,
                mean_u: self.u_max,
                var_u: 0.0,
                kl: self.max_kl(),
                log_z: self.u_max / beta + self.mass_at_max.ln(),
            });
        }
        let p = self.base.as_slice();
        // each branch gives (KL, E_π[U], Var_π(U)/β², ln Z_c) in its own well-conditioned variables
        let (kl, mean_u, var_d, log_z_c) = if weak {
            let (mut s, mut a, mut a2, mut b) = (
                Neumaier::new(),
                Neumaier::new(),
                Neumaier::new(),
                Neumaier::new(),
            );
            for (&pi, &x) in p.iter().zip(self.u) {
                if pi > 0.0 {
                    let d = (x - self.centre) / beta;
                    let h = exp_m1_minus_x(d);
                    let em1 = d + h;
                    // S = E₀[d] + E₀[e^d − 1 − d]: the second part has no cancellation.
                    s.add(pi * h);
                    a.add(pi * d * em1);
                    b.add(pi * d);
                    a2.add(pi * d * d * (1.0 + em1));
                }
            }
            let b = b.total();
            let s = s.total() + b;
            let e_d = (a.total() + b) / (1.0 + s);
            let e_d2 = a2.total() / (1.0 + s);
            (
                e_d - s.ln_1p(),
                self.centre + beta * e_d,
                e_d2 - e_d * e_d,
                s.ln_1p(),
            )
        } else {
            // shift by the maximum: e = (U − U_max)/β <= 0 computed directly, so that
            // KL = E_π[e] − ln Σ π₀e^e involves no large cancelling terms even as β → 0
            let (mut z, mut ze, mut ze2) = (Neumaier::new(), Neumaier::new(), Neumaier::new());
            for (&pi, &x) in p.iter().zip(self.u) {
                if pi > 0.0 {
                    let e = (x - self.u_max) / beta;
                    let w = pi * e.exp();
                    if w > 0.0 {
                        z.add(w);
                        ze.add(w * e);
                        ze2.add(w * e * e);
                    }
                }
            }
            let z = z.total();
            let e_e = ze.total() / z;
            (
                e_e - z.ln(),
                self.u_max + beta * e_e,
                ze2.total() / z - e_e * e_e,
                m + z.ln(),
            )
        };
        Ok(TiltPoint {
            beta,
            mean_u,
            var_u: var_d.max(0.0) * beta * beta,
            kl: kl.max(0.0),
            log_z: log_z_c + self.centre / beta,
        })
    }

    /// `KL(π_β‖π₀)`.
    ///
    /// # Errors
    /// As [`Tilt::at`].
    pub fn kl(&self, beta: f64) -> Result<f64> {
        Ok(self.at(beta)?.kl)
    }

    /// The tilted policy `π_β` as a validated distribution.
    ///
    /// # Errors
    /// As [`Tilt::at`].
    pub fn policy(&self, beta: f64) -> Result<Probs> {
        if !(beta > 0.0) {
            return Err(Error::NotPositive {
                name: "beta",
                value: beta,
            });
        }
        let (m, _) = self.scaled(beta);
        let w: Vec<f64> = if m.is_finite() {
            // weights π₀·exp(d − max d), d = (U − c)/β: never overflow; the normalisation below is
            // the definition of π_β (Z(β)), not a renormalisation of user input.
            self.base
                .as_slice()
                .iter()
                .zip(self.u)
                .map(|(&p, &x)| {
                    if p > 0.0 {
                        p * ((x - self.u_max) / beta).exp()
                    } else {
                        0.0
                    }
                })
                .collect()
        } else {
            self.base
                .as_slice()
                .iter()
                .zip(self.u)
                .map(|(&p, &x)| if p > 0.0 && x == self.u_max { p } else { 0.0 })
                .collect()
        };
        Probs::from_weights("tilted policy", &w)
    }

    /// `E_π_β[f]` for any `f` on the support.
    ///
    /// # Errors
    /// As [`Tilt::at`]; [`Error::LengthMismatch`] if `f` has the wrong length.
    pub fn expect(&self, beta: f64, f: &[f64]) -> Result<f64> {
        check_len("reward", self.u.len(), "f", f.len())?;
        if !(beta > 0.0) {
            return Err(Error::NotPositive {
                name: "beta",
                value: beta,
            });
        }
        let (m, _) = self.scaled(beta);
        if !m.is_finite() {
            // β → 0 limit: the base restricted to argmax U.
            let (mut z, mut zf) = (Neumaier::new(), Neumaier::new());
            for ((&pi, &x), &fi) in self.base.as_slice().iter().zip(self.u).zip(f) {
                if pi > 0.0 && x == self.u_max {
                    if !fi.is_finite() {
                        return Err(Error::NotFinite {
                            name: "f",
                            value: fi,
                        });
                    }
                    z.add(pi);
                    zf.add(pi * fi);
                }
            }
            return Ok(zf.total() / z.total());
        }
        let (mut z, mut zf) = (Neumaier::new(), Neumaier::new());
        for ((&pi, &x), &fi) in self.base.as_slice().iter().zip(self.u).zip(f) {
            if pi > 0.0 {
                let w = pi * ((x - self.u_max) / beta).exp();
                if w > 0.0 {
                    if !fi.is_finite() {
                        return Err(Error::NotFinite {
                            name: "f",
                            value: fi,
                        });
                    }
                    z.add(w);
                    zf.add(w * fi);
                }
            }
        }
        Ok(zf.total() / z.total())
    }

    /// The β > 0 with `KL(π_β‖π₀) = budget`, by safeguarded Newton in `ln β` with the analytic
    /// derivative `d KL/d ln β = −Var_π_β(U)/β²`.
    ///
    /// # Errors
    /// [`Error::NotPositive`] / [`Error::NotFinite`] for a bad budget;
    /// [`Error::UnreachableBudget`] if `budget >= −ln π₀(argmax U)` (only β = 0 would reach it).
    pub fn beta_for_kl(&self, budget: f64) -> Result<f64> {
        if budget.is_nan() || budget < 0.0 {
            return Err(Error::OutOfRange {
                name: "KL budget",
                value: budget,
                range: "[0, ∞)",
            });
        }
        if budget == 0.0 {
            return Ok(f64::INFINITY);
        }
        let max = self.max_kl();
        if !(budget < max) {
            return Err(Error::UnreachableBudget { budget, max });
        }
        let f = |s: f64| -> (f64, f64) {
            let beta = s.exp();
            match self.at(beta) {
                Ok(tp) => (tp.kl - budget, -tp.var_u / (beta * beta)),
                Err(_) => (f64::NAN, f64::NAN),
            }
        };
        // Bracket in s = ln β: KL decreases in s.
        let spread = (self.u_max - self.centre).abs().max(1e-300);
        let mut lo = spread.ln();
        let mut hi = lo;
        let mut it = 0;
        while f(lo).0 < 0.0 {
            lo -= 2.0;
            it += 1;
            if it > 400 {
                return Err(Error::UnreachableBudget { budget, max });
            }
        }
        it = 0;
        while f(hi).0 > 0.0 {
            hi += 2.0;
            it += 1;
            if it > 400 {
                return Err(Error::NoConvergence {
                    method: "beta_for_kl bracket",
                    iterations: it,
                    residual: f(hi).0,
                });
            }
        }
        let s = newton_bisect(f, lo, hi, 1e-15, budget * 1e-14, 200)?;
        Ok(s.exp())
    }
}

/// `e^x − 1 − x` without cancellation: Taylor series for `|x| < 0.75`, else direct.
#[inline]
pub fn exp_m1_minus_x(x: f64) -> f64 {
    if x.abs() >= 0.75 {
        return x.exp_m1() - x;
    }
    // x²/2! + x³/3! + … ; 0.75^20/20! < 1e-20, so 20 terms exceed double precision.
    let mut term = x * x / 2.0;
    let mut sum = term;
    let mut k = 3.0;
    while term.abs() > 1e-17 * sum.abs() && k < 24.0 {
        term *= x / k;
        sum += term;
        k += 1.0;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};
    use crate::prob::kl;

    fn two_point() -> (Probs, Vec<f64>) {
        (Probs::uniform(2).unwrap(), vec![0.0, 1.0])
    }

    #[test]
    fn two_point_closed_form() {
        // π_β(1) = e^{1/β}/(1+e^{1/β}) = σ(1/β); KL = ln2 + q ln q + (1-q) ln(1-q)
        let (p, u) = two_point();
        let t = Tilt::new(&p, &u).unwrap();
        for beta in [0.01f64, 0.3, 1.0, 7.0, 1e3, 1e6] {
            let q = 1.0 / (1.0 + (-1.0 / beta).exp());
            let r = 1.0 / (1.0 + (1.0 / beta).exp()); // 1 − q without cancellation
            let tp = t.at(beta).unwrap();
            assert_close(tp.mean_u, q, Tolerance::rel(1e-13));
            let exact = kl(&Probs::new(vec![r, q]).unwrap(), &p).unwrap();
            assert_close(tp.kl, exact, Tolerance::rel(1e-9));
            assert_close(tp.var_u, q * r, Tolerance::rel(1e-9));
            let pol = t.policy(beta).unwrap();
            assert_close(pol.as_slice()[1], q, Tolerance::rel(1e-13));
        }
    }

    #[test]
    fn weak_tilt_series() {
        // For weak tilt KL ≈ Var₀(U)/(2β²): two-point U∈{0,1}: Var = 1/4 → KL ≈ 1/(8β²)
        let (p, u) = two_point();
        let t = Tilt::new(&p, &u).unwrap();
        // exact series: KL = x²/8 − x⁴/64 + x⁶/576 − …, x = 1/β (checked against 60-digit mpmath);
        // at β = 100 the x⁴ term is 1e-4 of the total, so a wrong coefficient fails the test.
        for beta in [1e2f64, 1e6] {
            let x = 1.0 / beta;
            let series = x * x / 8.0 - x.powi(4) / 64.0 + x.powi(6) / 576.0;
            assert_close(t.kl(beta).unwrap(), series, Tolerance::rel(1e-12));
        }
    }

    #[test]
    fn beta_for_budget_roundtrip() {
        let p = Probs::new(vec![0.1, 0.2, 0.3, 0.4]).unwrap();
        let u = vec![3.0, -1.0, 0.5, 2.0];
        let t = Tilt::new(&p, &u).unwrap();
        for budget in [1e-8, 1e-3, 0.1, 1.0, 2.0] {
            let b = t.beta_for_kl(budget).unwrap();
            assert_close(t.kl(b).unwrap(), budget, Tolerance::rel(1e-10));
        }
        assert!(matches!(
            t.beta_for_kl(10f64.ln()),
            Err(Error::UnreachableBudget { .. })
        ));
        assert!(matches!(
            t.beta_for_kl(f64::NAN),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            t.at(0.0),
            Err(Error::NotPositive { name: "beta", .. })
        ));
        assert!(matches!(t.at(-1.0), Err(Error::NotPositive { .. })));
    }

    #[test]
    fn expect_matches_policy() {
        let p = Probs::new(vec![0.1, 0.2, 0.3, 0.4]).unwrap();
        let u = vec![3.0, -1.0, 0.5, 2.0];
        let v = vec![1.0, 2.0, 3.0, 4.0];
        let t = Tilt::new(&p, &u).unwrap();
        let pol = t.policy(0.7).unwrap();
        assert_close(
            t.expect(0.7, &v).unwrap(),
            pol.expect(&v).unwrap(),
            Tolerance::rel(1e-14),
        );
    }
}

/// Accuracy against 50-digit mpmath references (issue: "exact kernels within 1e-12 relative of
/// the mpmath values"); vectors and their generator live in `tests/vectors/`.
#[cfg(test)]
mod mpmath_vectors {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    #[test]
    fn tilt_matches_mpmath_to_1e12() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/tilt_mpmath.json")).unwrap();
        let bits = |k: &str| -> Vec<f64> {
            v[k].as_array()
                .unwrap()
                .iter()
                .map(|b| f64::from_bits(b.as_u64().unwrap()))
                .collect()
        };
        let (u, w) = (bits("u_bits"), bits("v_bits"));
        let base = Probs::uniform(u.len()).unwrap();
        let t = Tilt::new(&base, &u).unwrap();
        for row in v["rows"].as_array().unwrap() {
            let beta = row["beta"].as_f64().unwrap();
            let tp = t.at(beta).unwrap();
            let tol = Tolerance::rel(1e-12);
            assert_close(tp.mean_u, row["mean_u"].as_f64().unwrap(), tol);
            assert_close(tp.kl, row["kl"].as_f64().unwrap(), tol);
            assert_close(
                t.expect(beta, &w).unwrap(),
                row["mean_v"].as_f64().unwrap(),
                tol,
            );
        }
    }
}
