//! Proposition 5 of Cohen et al. 2024 (the value of a lower semi-computable policy in a lower
//! semi-computable environment is lower semi-computable): dovetailed value estimates from
//! programs run with i steps, against the exact value.

use super::programs::{run_program, BitProgram};
use crate::error::{Error, Result};

/// Value estimates of a policy program `pi` in an environment program `env` over `horizon`
/// steps from the empty history, utility `U = (Σ_t o_t)/horizon` (binary observations), at every
/// stage `i = 0..=budget` (each conditional estimated by its program with `i` steps), and the
/// exact value from the closed-form conditionals `exact_pi`, `exact_env`.
///
/// Returns `(estimates, exact)`.
///
/// # Errors
/// As [`run_program`]; [`Error::NotPositive`] for `horizon == 0`.
pub fn dovetailed_values<P, E>(
    pi: &P,
    env: &E,
    exact_pi: impl Fn(&[usize]) -> [f64; 2],
    exact_env: impl Fn(&[usize]) -> [f64; 2],
    horizon: usize,
    budget: usize,
) -> Result<(Vec<f64>, f64)>
where
    P: BitProgram,
    E: BitProgram,
{
    if horizon == 0 {
        return Err(Error::NotPositive {
            name: "horizon",
            value: 0.0,
        });
    }
    #[allow(clippy::too_many_arguments)]
    fn rec<P: BitProgram, E: BitProgram>(
        pi: &P,
        env: &E,
        exact_pi: &dyn Fn(&[usize]) -> [f64; 2],
        exact_env: &dyn Fn(&[usize]) -> [f64; 2],
        h: &mut Vec<usize>,
        horizon: usize,
        budget: usize,
    ) -> Result<(Vec<f64>, f64)> {
        let t = h.len() / 2;
        if t == horizon {
            let u = h.iter().skip(1).step_by(2).sum::<usize>() as f64 / horizon as f64;
            return Ok((vec![u; budget + 1], u));
        }
        let pp = run_program(pi, h, budget)?.estimates();
        let pe = exact_pi(h);
        let mut est = vec![0.0; budget + 1];
        let mut exact = 0.0;
        for a in 0..2 {
            h.push(a);
            let ep = run_program(env, h, budget)?.estimates();
            let ee = exact_env(h);
            for o in 0..2 {
                h.push(o);
                let (sub, sub_exact) = rec(pi, env, exact_pi, exact_env, h, horizon, budget)?;
                h.pop();
                exact += pe[a] * ee[o] * sub_exact;
                for (i, e) in est.iter_mut().enumerate() {
                    *e += pp[i][a] * ep[i][o] * sub[i];
                }
            }
            h.pop();
        }
        Ok((est, exact))
    }
    rec(
        pi,
        env,
        &exact_pi,
        &exact_env,
        &mut Vec::new(),
        horizon,
        budget,
    )
}
