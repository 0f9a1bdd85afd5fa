//! Theorem 2 of Cohen et al. 2024, one step: the TVD- and KL-constrained optima of a bandit
//! (base policy β, action values Q), in closed form and by linear programming (check C5).

use super::lp::{Lp, LpStatus, Sense};
use super::{check_budget_c, tvd, GAIN_EPS};
use crate::error::{Error, Result};
use crate::numerics::neumaier_sum;
use crate::prob::{Probs, Tilt};

/// A one-step decision problem: base policy β and action values Q.
#[derive(Debug, Clone, PartialEq)]
pub struct Bandit {
    base: Probs,
    q: Vec<f64>,
}

/// The TVD-constrained optimum of a [`Bandit`].
#[derive(Debug, Clone, PartialEq)]
pub struct TvdOptimum {
    /// The optimal policy.
    pub policy: Probs,
    /// Its value `E_π[Q]`.
    pub value: f64,
    /// Its TVD to β (= the mass moved).
    pub tvd: f64,
}

/// The KL-constrained optimum of a [`Bandit`].
#[derive(Debug, Clone, PartialEq)]
pub struct KlOptimum {
    /// The optimal policy `π ∝ β·exp(Q/λ)`.
    pub policy: Probs,
    /// The temperature λ that meets the budget (`∞` at budget 0).
    pub lambda: f64,
    /// `E_π[Q]`.
    pub value: f64,
    /// `KL(π‖β)` in nats.
    pub kl: f64,
}

impl Bandit {
    /// Pairs β with Q.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`]; [`Error::NotFinite`] for a non-finite Q (on every action: under
    /// TVD every action can receive mass).
    pub fn new(base: Probs, q: Vec<f64>) -> Result<Self> {
        crate::prob::probs::check_len("base", base.len(), "Q", q.len())?;
        for &v in &q {
            crate::error::finite("Q", v)?;
        }
        Ok(Self { base, q })
    }

    /// The base policy.
    pub fn base(&self) -> &Probs {
        &self.base
    }

    /// The action values.
    pub fn q(&self) -> &[f64] {
        &self.q
    }

    /// `max_a Q(a)` over all actions.
    pub fn q_max(&self) -> f64 {
        self.q.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }

    /// Whether action `a` is optimal (`Q(a) = max Q`, exactly).
    pub fn is_optimal(&self, a: usize) -> bool {
        self.q[a] == self.q_max()
    }

    /// `E_π[Q]`, compensated.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`].
    pub fn value(&self, pi: &Probs) -> Result<f64> {
        pi.expect(&self.q)
    }

    /// The exact TVD-constrained optimum (module docs: move `min(c, 1 − β(A*))` from the lowest-Q
    /// actions to the first action attaining `max Q`).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] unless `0 <= c <= 1` (NaN rejected).
    pub fn tvd_optimum(&self, c: f64) -> Result<TvdOptimum> {
        check_budget_c(c)?;
        let q_max = self.q_max();
        let b = self.base.as_slice();
        let target = self.q.iter().position(|&v| v == q_max).unwrap_or(0);
        let mass_off_argmax = neumaier_sum(
            b.iter()
                .zip(&self.q)
                .filter(|(_, &v)| v < q_max)
                .map(|(p, _)| *p),
        );
        let mut left = c.min(mass_off_argmax);
        let moved = left;
        let mut order: Vec<usize> = (0..b.len()).filter(|&a| self.q[a] < q_max).collect();
        order.sort_by(|&i, &j| self.q[i].total_cmp(&self.q[j]).then(i.cmp(&j)));
        let mut pi = b.to_vec();
        for a in order {
            if left <= 0.0 {
                break;
            }
            let take = left.min(b[a]);
            pi[a] -= take;
            left -= take;
        }
        pi[target] += moved;
        // Exact rounding: the entries still sum to 1 within a few ulps.
        let policy = Probs::new_named("TVD optimum", pi)?;
        let value = self.value(&policy)?;
        let tvd = tvd(&policy, &self.base)?;
        Ok(TvdOptimum { policy, value, tvd })
    }

    /// The TVD-constrained optimum by linear programming (an independent oracle).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a bad `c`; [`Error::Other`] if the LP does not report an optimum.
    pub fn tvd_optimum_lp(&self, c: f64) -> Result<TvdOptimum> {
        check_budget_c(c)?;
        let n = self.q.len();
        // variables: π_0..π_{n-1}, s_0..s_{n-1} with s_a >= π_a − β_a, Σ s <= c.
        let mut obj = self.q.clone();
        obj.extend(std::iter::repeat_n(0.0, n));
        let mut lp = Lp::new(obj)?;
        lp.add_row(
            &(0..n).map(|a| (a, 1.0)).collect::<Vec<_>>(),
            Sense::Eq,
            1.0,
        )?;
        for a in 0..n {
            lp.add_row(
                &[(a, 1.0), (n + a, -1.0)],
                Sense::Le,
                self.base.as_slice()[a],
            )?;
        }
        lp.add_row(
            &(0..n).map(|a| (n + a, 1.0)).collect::<Vec<_>>(),
            Sense::Le,
            c,
        )?;
        let s = lp.maximize()?;
        if s.status != LpStatus::Optimal {
            return Err(Error::Other(format!("bandit TVD LP ended {:?}", s.status)));
        }
        let pi: Vec<f64> = s.x[..n].to_vec();
        let total = neumaier_sum(pi.iter().copied());
        let policy = Probs::new_named("LP optimum", pi.iter().map(|p| p / total).collect())?;
        let value = self.value(&policy)?;
        let tvd = tvd(&policy, &self.base)?;
        Ok(TvdOptimum { policy, value, tvd })
    }

    /// The KL-constrained optimum `π ∝ β·exp(Q/λ)` with `KL(π‖β) = budget` nats.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a negative or NaN budget; [`Error::UnreachableBudget`] at or past
    /// `−ln β(argmax Q on supp β)`.
    pub fn kl_optimum(&self, budget: f64) -> Result<KlOptimum> {
        if budget.is_nan() || budget < 0.0 {
            return Err(Error::OutOfRange {
                name: "KL budget",
                value: budget,
                range: "[0, ∞)",
            });
        }
        let tilt = Tilt::new(&self.base, &self.q)?;
        if budget == 0.0 {
            return Ok(KlOptimum {
                policy: self.base.clone(),
                lambda: f64::INFINITY,
                value: self.value(&self.base)?,
                kl: 0.0,
            });
        }
        let lambda = tilt.beta_for_kl(budget)?;
        let policy = tilt.policy(lambda)?;
        let kl = crate::prob::kl(&policy, &self.base)?;
        Ok(KlOptimum {
            value: self.value(&policy)?,
            policy,
            lambda,
            kl,
        })
    }

    /// Largest KL a tilt can reach: `−ln β(argmax Q restricted to supp β)`.
    ///
    /// # Errors
    /// As [`Tilt::new`].
    pub fn max_kl(&self) -> Result<f64> {
        Ok(Tilt::new(&self.base, &self.q)?.max_kl())
    }
}

/// Actions with `π(a) > β(a) + GAIN_EPS` that are not optimal (Theorem 2 says: none under TVD).
pub fn non_optimal_gainers(b: &Bandit, pi: &Probs) -> Vec<usize> {
    (0..b.q.len())
        .filter(|&a| {
            pi.as_slice()[a] > b.base.as_slice()[a] + GAIN_EPS && b.q[a] < b.q_max() - GAIN_EPS
        })
        .collect()
}

/// The C5 bandit: β = (0.5, 0.3, 0.2), Q = (0, 0.5, 1).
pub fn c5_bandit() -> Bandit {
    Bandit::new(
        Probs::new(vec![0.5, 0.3, 0.2]).expect("valid"),
        vec![0.0, 0.5, 1.0],
    )
    .expect("valid")
}

/// The C5 bandit with a fourth action that β never plays and that is the best:
/// β = (0.5, 0.3, 0.2, 0), Q = (0, 0.5, 0.8, 1).
pub fn impossible_best_bandit() -> Bandit {
    Bandit::new(
        Probs::new(vec![0.5, 0.3, 0.2, 0.0]).expect("valid"),
        vec![0.0, 0.5, 0.8, 1.0],
    )
    .expect("valid")
}
