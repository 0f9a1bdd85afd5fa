//! A small dense linear-programming solver (two-phase primal simplex, Bland's rule), used as an
//! independent oracle for the TVD-constrained optima of Theorem 2 of Cohen et al. 2024 ([`super`]).
//!
//! ```text
//! maximise  c·x   subject to   a_i·x  (<= | = | >=)  b_i  (i = 1..m),   x >= 0
//! ```
//!
//! Phase 1 maximises `−Σ artificials` from the slack/artificial basis; phase 2 maximises `c·x`
//! with the artificial columns barred from entering. Bland's rule (lowest-index entering column,
//! lowest-index basic variable among ratio ties) guarantees termination without cycling
//! (Bland 1977). The tableau is dense: meant for the few hundred variables of a small tree MDP,
//! not for large problems. Pivot tolerance [`PIVOT_EPS`]; feasibility tolerance
//! [`FEASIBILITY_EPS`].

use crate::error::{Error, Result};

/// Entries smaller than this in absolute value are treated as zero when choosing pivots.
pub const PIVOT_EPS: f64 = 1e-11;
/// Phase-1 optimum below `−FEASIBILITY_EPS` means the constraints are infeasible.
pub const FEASIBILITY_EPS: f64 = 1e-9;

/// The sense of one constraint row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    /// `a·x <= b`.
    Le,
    /// `a·x = b`.
    Eq,
    /// `a·x >= b`.
    Ge,
}

/// How the solve ended (a status, not an error: infeasible and unbounded are answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpStatus {
    /// An optimal vertex was found.
    Optimal,
    /// No `x >= 0` satisfies the constraints.
    Infeasible,
    /// The objective is unbounded above on the feasible set.
    Unbounded,
}

/// Result of [`Lp::maximize`].
#[derive(Debug, Clone, PartialEq)]
pub struct LpSolution {
    /// Status.
    pub status: LpStatus,
    /// The optimal vertex (the user's variables only; empty unless optimal).
    pub x: Vec<f64>,
    /// `c·x` at the optimum (NaN unless optimal).
    pub value: f64,
    /// Simplex pivots performed (both phases).
    pub pivots: usize,
}

/// One constraint row: sparse coefficients, sense, right-hand side.
type Row = (Vec<(usize, f64)>, Sense, f64);

/// A linear program in the user's variables `x_0..x_{n-1} >= 0`.
#[derive(Debug, Clone)]
pub struct Lp {
    c: Vec<f64>,
    rows: Vec<Row>,
}

impl Lp {
    /// A program maximising `c·x`.
    ///
    /// # Errors
    /// [`Error::Empty`] for no variables; [`Error::NotFinite`] for a non-finite coefficient.
    pub fn new(c: Vec<f64>) -> Result<Self> {
        if c.is_empty() {
            return Err(Error::Empty {
                name: "LP objective",
            });
        }
        for &v in &c {
            crate::error::finite("LP objective coefficient", v)?;
        }
        Ok(Self {
            c,
            rows: Vec::new(),
        })
    }

    /// Number of variables.
    pub fn n_vars(&self) -> usize {
        self.c.len()
    }

    /// Adds the row `Σ coef·x_j (sense) b` from sparse `(j, coef)` pairs (repeated `j` add up).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a variable index `>= n`; [`Error::NotFinite`] for a non-finite
    /// coefficient or right-hand side.
    pub fn add_row(&mut self, terms: &[(usize, f64)], sense: Sense, b: f64) -> Result<()> {
        for &(j, v) in terms {
            if j >= self.c.len() {
                return Err(Error::OutOfRange {
                    name: "LP variable index",
                    value: j as f64,
                    range: "[0, n_vars)",
                });
            }
            crate::error::finite("LP coefficient", v)?;
        }
        crate::error::finite("LP right-hand side", b)?;
        self.rows.push((terms.to_vec(), sense, b));
        Ok(())
    }

    /// Solves the program.
    ///
    /// # Errors
    /// [`Error::NoConvergence`] if the pivot count exceeds a generous cap (cannot happen with
    /// Bland's rule in exact arithmetic; guards against round-off loops).
    pub fn maximize(&self) -> Result<LpSolution> {
        let n = self.c.len();
        let m = self.rows.len();
        // Column layout: user vars | slack/surplus (one per non-Eq row) | artificials.
        let mut n_slack = 0;
        let mut n_art = 0;
        let mut rows: Vec<(Vec<f64>, Sense, f64)> = Vec::with_capacity(m);
        for (terms, sense, b) in &self.rows {
            let mut a = vec![0.0; n];
            for &(j, v) in terms {
                a[j] += v;
            }
            let (mut sense, mut b) = (*sense, *b);
            if b < 0.0 {
                a.iter_mut().for_each(|v| *v = -*v);
                b = -b;
                sense = match sense {
                    Sense::Le => Sense::Ge,
                    Sense::Ge => Sense::Le,
                    Sense::Eq => Sense::Eq,
                };
            }
            match sense {
                Sense::Le => n_slack += 1,
                Sense::Ge => {
                    n_slack += 1;
                    n_art += 1
                }
                Sense::Eq => n_art += 1,
            }
            rows.push((a, sense, b));
        }
        let width = n + n_slack + n_art;
        let rhs = width;
        let art0 = n + n_slack;
        let mut t = vec![vec![0.0; width + 1]; m];
        let mut basis = vec![0usize; m];
        let (mut s, mut r) = (n, art0);
        for (i, (a, sense, b)) in rows.iter().enumerate() {
            t[i][..n].copy_from_slice(a);
            t[i][rhs] = *b;
            match sense {
                Sense::Le => {
                    t[i][s] = 1.0;
                    basis[i] = s;
                    s += 1;
                }
                Sense::Ge => {
                    t[i][s] = -1.0;
                    s += 1;
                    t[i][r] = 1.0;
                    basis[i] = r;
                    r += 1;
                }
                Sense::Eq => {
                    t[i][r] = 1.0;
                    basis[i] = r;
                    r += 1;
                }
            }
        }
        let cap = 50 * (width + m + 10) * (m + 1);
        let mut pivots = 0usize;
        // Phase 1.
        if n_art > 0 {
            let mut c1 = vec![0.0; width];
            c1[art0..].iter_mut().for_each(|v| *v = -1.0);
            let status = run_simplex(&mut t, &mut basis, &c1, width, &mut pivots, cap)?;
            debug_assert_eq!(status, LpStatus::Optimal); // bounded by 0
            let infeas: f64 = basis
                .iter()
                .zip(&t)
                .filter(|(&b, _)| b >= art0)
                .map(|(_, row)| row[rhs])
                .sum();
            if infeas > FEASIBILITY_EPS * (1.0 + max_abs_rhs(&self.rows)) {
                return Ok(LpSolution {
                    status: LpStatus::Infeasible,
                    x: Vec::new(),
                    value: f64::NAN,
                    pivots,
                });
            }
            // Drive artificials out of the basis where possible.
            for i in 0..m {
                if basis[i] >= art0 {
                    if let Some(j) = (0..art0).find(|&j| t[i][j].abs() > PIVOT_EPS) {
                        pivot(&mut t, &mut basis, i, j);
                        pivots += 1;
                    }
                }
            }
        }
        // Phase 2: artificial columns may not enter (mask them out of the cost).
        let mut c2 = vec![0.0; width];
        c2[..n].copy_from_slice(&self.c);
        let status = run_simplex(&mut t, &mut basis, &c2, art0, &mut pivots, cap)?;
        if status == LpStatus::Unbounded {
            return Ok(LpSolution {
                status,
                x: Vec::new(),
                value: f64::NAN,
                pivots,
            });
        }
        let mut x = vec![0.0; n];
        for (i, &b) in basis.iter().enumerate() {
            if b < n {
                x[b] = t[i][rhs].max(0.0);
            }
        }
        let value = crate::numerics::neumaier_sum(x.iter().zip(&self.c).map(|(a, b)| a * b));
        Ok(LpSolution {
            status: LpStatus::Optimal,
            x,
            value,
            pivots,
        })
    }
}

fn max_abs_rhs(rows: &[Row]) -> f64 {
    rows.iter().map(|r| r.2.abs()).fold(0.0, f64::max)
}

fn pivot(t: &mut [Vec<f64>], basis: &mut [usize], row: usize, col: usize) {
    let p = t[row][col];
    t[row].iter_mut().for_each(|v| *v /= p);
    let prow = t[row].clone();
    for (i, r) in t.iter_mut().enumerate() {
        if i != row {
            let f = r[col];
            if f != 0.0 {
                r.iter_mut().zip(&prow).for_each(|(v, &pv)| *v -= f * pv);
                r[col] = 0.0;
            }
        }
    }
    basis[row] = col;
}

/// Primal simplex on the tableau for `max cost·x`, entering columns restricted to `< enter_limit`.
fn run_simplex(
    t: &mut [Vec<f64>],
    basis: &mut [usize],
    cost: &[f64],
    enter_limit: usize,
    pivots: &mut usize,
    cap: usize,
) -> Result<LpStatus> {
    let rhs = cost.len();
    loop {
        // Reduced costs r_j = c_j − c_B·B⁻¹A_j, computed fresh each iteration (no drift).
        let entering = (0..enter_limit).find(|&j| {
            if basis.contains(&j) {
                return false;
            }
            let mut rc = cost[j];
            for (i, &b) in basis.iter().enumerate() {
                rc -= cost.get(b).copied().unwrap_or(0.0) * t[i][j];
            }
            rc > 1e-12
        });
        let Some(col) = entering else {
            return Ok(LpStatus::Optimal);
        };
        let mut best: Option<(usize, f64)> = None;
        for (i, row) in t.iter().enumerate() {
            let a = row[col];
            if a > PIVOT_EPS {
                let ratio = row[rhs] / a;
                best = match best {
                    None => Some((i, ratio)),
                    Some((bi, br)) => {
                        if ratio < br - 1e-15
                            || ((ratio - br).abs() <= 1e-15 && basis[i] < basis[bi])
                        {
                            Some((i, ratio))
                        } else {
                            Some((bi, br))
                        }
                    }
                };
            }
        }
        let Some((row, _)) = best else {
            return Ok(LpStatus::Unbounded);
        };
        pivot(t, basis, row, col);
        *pivots += 1;
        if *pivots > cap {
            return Err(Error::NoConvergence {
                method: "simplex (Bland)",
                iterations: *pivots,
                residual: f64::NAN,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    #[test]
    fn textbook_problem() {
        // max 3x + 5y s.t. x <= 4, 2y <= 12, 3x + 2y <= 18 → (2, 6), value 36 (Hillier & Lieberman's
        // Wyndor Glass example).
        let mut lp = Lp::new(vec![3.0, 5.0]).unwrap();
        lp.add_row(&[(0, 1.0)], Sense::Le, 4.0).unwrap();
        lp.add_row(&[(1, 2.0)], Sense::Le, 12.0).unwrap();
        lp.add_row(&[(0, 3.0), (1, 2.0)], Sense::Le, 18.0).unwrap();
        let s = lp.maximize().unwrap();
        assert_eq!(s.status, LpStatus::Optimal);
        assert_close(s.value, 36.0, Tolerance::abs(1e-12));
        assert_close(s.x[0], 2.0, Tolerance::abs(1e-12));
        assert_close(s.x[1], 6.0, Tolerance::abs(1e-12));
    }

    #[test]
    fn equalities_ge_rows_and_statuses() {
        // max x + y s.t. x + y = 1, x >= 0.25, −y <= −0.1 (a negative rhs, flipped internally).
        let mut lp = Lp::new(vec![1.0, 2.0]).unwrap();
        lp.add_row(&[(0, 1.0), (1, 1.0)], Sense::Eq, 1.0).unwrap();
        lp.add_row(&[(0, 1.0)], Sense::Ge, 0.25).unwrap();
        lp.add_row(&[(1, -1.0)], Sense::Le, -0.1).unwrap();
        let s = lp.maximize().unwrap();
        assert_close(s.value, 0.25 + 2.0 * 0.75, Tolerance::abs(1e-12));
        let mut inf = Lp::new(vec![1.0]).unwrap();
        inf.add_row(&[(0, 1.0)], Sense::Le, 1.0).unwrap();
        inf.add_row(&[(0, 1.0)], Sense::Ge, 2.0).unwrap();
        assert_eq!(inf.maximize().unwrap().status, LpStatus::Infeasible);
        let mut unb = Lp::new(vec![1.0, 0.0]).unwrap();
        unb.add_row(&[(0, 1.0), (1, -1.0)], Sense::Le, 1.0).unwrap();
        assert_eq!(unb.maximize().unwrap().status, LpStatus::Unbounded);
    }

    #[test]
    fn bad_input_is_typed() {
        assert!(matches!(Lp::new(vec![]), Err(Error::Empty { .. })));
        assert!(matches!(
            Lp::new(vec![f64::NAN]),
            Err(Error::NotFinite { .. })
        ));
        let mut lp = Lp::new(vec![1.0]).unwrap();
        assert!(matches!(
            lp.add_row(&[(3, 1.0)], Sense::Le, 1.0),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            lp.add_row(&[(0, 1.0)], Sense::Le, f64::INFINITY),
            Err(Error::NotFinite { .. })
        ));
    }
}
