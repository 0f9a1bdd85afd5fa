//! Golden-section search for the extremum of a unimodal function of one variable (Kiefer 1953;
//! Press et al., Numerical Recipes 3rd ed. §10.2), with the uphill bracket expansion of §10.1.
//!
//! One bracket state ([`Golden`]) and one shrink step serve every caller in the crate. What the
//! callers legitimately differ in is passed in rather than copied: which side a tie (or a NaN)
//! keeps ([`Goal`]), when to stop (a predicate on the bracket), an iteration cap, and an
//! observer called after each step (e.g. to keep the best point seen). So each caller keeps its
//! exact sequence of evaluations, and its outputs are bit-for-bit those of its former local copy.
//!
//! Written by hand (30 lines) rather than taken from `argmin`, whose golden-section solver has
//! its own stopping rule and would change every fitted number in the last bits.

/// `(√5 − 1)/2 ≈ 0.618`, the fraction of the bracket each interior point sits from the far end.
#[inline]
pub fn inv_golden_ratio() -> f64 {
    0.5 * (5f64.sqrt() - 1.0)
}

/// Which interior point wins a comparison, i.e. which sub-bracket a step keeps.
///
/// With `c < d` the interior points and `f(c)`, `f(d)` their values, a step keeps `[a, d]`
/// ("left") or `[c, b]` ("right").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Minimise: left when `f(c) < f(d)`; ties and NaNs go right.
    Min,
    /// Maximise: left when `f(c) >= f(d)`; ties go left, NaNs right.
    MaxTiesLeft,
    /// Maximise: left when `f(c) > f(d)` or `f(d)` is NaN; ties go right.
    MaxAvoidNan,
}

impl Goal {
    /// Whether a step with interior values `fc`, `fd` keeps the left sub-bracket `[a, d]`.
    #[inline]
    pub fn keeps_left(self, fc: f64, fd: f64) -> bool {
        match self {
            Goal::Min => fc < fd,
            Goal::MaxTiesLeft => fc >= fd,
            Goal::MaxAvoidNan => fc > fd || fd.is_nan(),
        }
    }
}

/// A golden-section bracket `[a, b]` with interior points `c = b − g(b − a)` and
/// `d = a + g(b − a)` (`g` = [`inv_golden_ratio`]) and their function values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Golden {
    /// Left end.
    pub a: f64,
    /// Right end.
    pub b: f64,
    /// Left interior point.
    pub c: f64,
    /// Right interior point.
    pub d: f64,
    /// `f(c)`.
    pub fc: f64,
    /// `f(d)`.
    pub fd: f64,
}

impl Golden {
    /// The bracket `[a, b]` with both interior points evaluated (`c` first, then `d`).
    ///
    /// # Errors
    /// The first error `f` returns.
    pub fn new<E>(f: &mut impl FnMut(f64) -> Result<f64, E>, a: f64, b: f64) -> Result<Self, E> {
        let g = inv_golden_ratio();
        let c = b - g * (b - a);
        let d = a + g * (b - a);
        let fc = f(c)?;
        let fd = f(d)?;
        Ok(Self { a, b, c, d, fc, fd })
    }

    /// One step: keeps `[a, d]` (`left`) or `[c, b]`, reusing the surviving interior point and
    /// evaluating `f` once at the new one.
    ///
    /// # Errors
    /// The error `f` returns.
    pub fn step<E>(
        &mut self,
        f: &mut impl FnMut(f64) -> Result<f64, E>,
        left: bool,
    ) -> Result<(), E> {
        let g = inv_golden_ratio();
        if left {
            self.b = self.d;
            self.d = self.c;
            self.fd = self.fc;
            self.c = self.b - g * (self.b - self.a);
            self.fc = f(self.c)?;
        } else {
            self.a = self.c;
            self.c = self.d;
            self.fc = self.fd;
            self.d = self.a + g * (self.b - self.a);
            self.fd = f(self.d)?;
        }
        Ok(())
    }

    /// `(a + b)/2`.
    #[inline]
    pub fn midpoint(&self) -> f64 {
        0.5 * (self.a + self.b)
    }
}

/// Golden-section search on `[a, b]`: before each step `done(bracket)` is asked and ends the
/// search when true; at most `max_iter` steps (`usize::MAX`: until `done`); `on_step` sees the
/// bracket after each step. Returns the final bracket and whether `done` ended the search.
///
/// # Errors
/// The first error `f` returns.
pub fn golden_section<E>(
    mut f: impl FnMut(f64) -> Result<f64, E>,
    a: f64,
    b: f64,
    goal: Goal,
    max_iter: usize,
    done: impl Fn(&Golden) -> bool,
    mut on_step: impl FnMut(&Golden),
) -> Result<(Golden, bool), E> {
    let mut g = Golden::new(&mut f, a, b)?;
    for _ in 0..max_iter {
        if done(&g) {
            return Ok((g, true));
        }
        let left = goal.keeps_left(g.fc, g.fd);
        g.step(&mut f, left)?;
        on_step(&g);
    }
    Ok((g, false))
}

/// Expands `[x0 − h, x0 + h]` uphill until its midpoint is at least as high as both ends
/// (a bracket of a maximum of a unimodal `f`), moving the lower end outwards by steps growing
/// by 1.6 each time, at most 60 times. Returns the bracket and whether it was found.
pub fn bracket_max(f: impl Fn(f64) -> f64, x0: f64, h: f64) -> (f64, f64, bool) {
    let (mut a, mut b) = (x0 - h, x0 + h);
    let (mut fa, mut fb) = (f(a), f(b));
    let mut step = h;
    for _ in 0..60 {
        let mid = 0.5 * (a + b);
        let fm = f(mid);
        if fm >= fa && fm >= fb {
            return (a, b, true);
        }
        step *= 1.6;
        if fa > fb {
            a -= step;
            fa = f(a);
        } else {
            b += step;
            fb = f(b);
        }
    }
    (a, b, false)
}

/// Maximises a unimodal `f` over the real line: [`bracket_max`] from `[x0 − h, x0 + h]`, then
/// golden section ([`Goal::MaxAvoidNan`]) until the bracket is narrower than `1e-9·(1 + |c|)`.
/// Returns the bracket's midpoint and whether the bracket was found and the search converged
/// within `max_iter` steps.
pub fn golden_max_unbounded(
    f: impl Fn(f64) -> f64,
    x0: f64,
    h: f64,
    max_iter: usize,
) -> (f64, bool) {
    let (a, b, found) = bracket_max(&f, x0, h);
    let Ok((g, converged)) = golden_section(
        |x| Ok::<f64, std::convert::Infallible>(f(x)),
        a,
        b,
        Goal::MaxAvoidNan,
        max_iter,
        |g| (g.b - g.a).abs() < 1e-9 * (1.0 + g.c.abs()),
        |_| {},
    );
    (g.midpoint(), found && converged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    #[test]
    fn finds_the_minimum_of_a_parabola() {
        // (x − 0.3)² on [−2, 5]: the minimiser is 0.3 (closed form)
        let Ok((g, done)) = golden_section(
            |x| Ok::<_, Infallible>((x - 0.3) * (x - 0.3)),
            -2.0,
            5.0,
            Goal::Min,
            usize::MAX,
            |g| !(g.b - g.a > 1e-10),
            |_| {},
        );
        assert!(done);
        assert!((g.midpoint() - 0.3).abs() < 1e-9, "{}", g.midpoint());
    }

    #[test]
    fn each_step_shrinks_by_the_golden_ratio_and_keeps_the_invariant() {
        let mut widths = vec![];
        let Ok((g, done)) = golden_section(
            |x| Ok::<_, Infallible>(-(x - 1.0).abs()),
            0.0,
            10.0,
            Goal::MaxTiesLeft,
            30,
            |_| false,
            |g| {
                assert!(g.a < g.c && g.c < g.d && g.d < g.b);
                widths.push(g.b - g.a);
            },
        );
        assert!(!done);
        assert_eq!(widths.len(), 30);
        for w in widths.windows(2) {
            assert!((w[1] / w[0] - inv_golden_ratio()).abs() < 1e-9);
        }
        assert!((g.midpoint() - 1.0).abs() < 1e-4);
    }

    #[test]
    fn ties_and_nans_go_where_the_goal_says() {
        assert!(!Goal::Min.keeps_left(1.0, 1.0));
        assert!(Goal::MaxTiesLeft.keeps_left(1.0, 1.0));
        assert!(!Goal::MaxAvoidNan.keeps_left(1.0, 1.0));
        assert!(Goal::MaxAvoidNan.keeps_left(1.0, f64::NAN));
        assert!(!Goal::MaxTiesLeft.keeps_left(1.0, f64::NAN));
        assert!(!Goal::Min.keeps_left(f64::NAN, 1.0));
    }

    #[test]
    fn errors_stop_the_search() {
        let mut calls = 0;
        let r = golden_section(
            |x| {
                calls += 1;
                if calls > 5 {
                    Err("boom")
                } else {
                    Ok(x * x)
                }
            },
            -1.0,
            1.0,
            Goal::Min,
            usize::MAX,
            |_| false,
            |_| {},
        );
        assert_eq!(r, Err("boom"));
    }

    #[test]
    fn unbounded_maximum_outside_the_start_bracket() {
        // −(x − 7)², started at [−1, 1]: the bracket walks right to contain 7
        let (x, ok) = golden_max_unbounded(|x| -(x - 7.0) * (x - 7.0), 0.0, 1.0, 200);
        assert!(ok);
        assert!((x - 7.0).abs() < 1e-7, "{x}");
        // a monotone function has no bracket
        let (_, ok) = golden_max_unbounded(|x| x, 0.0, 1.0, 200);
        assert!(!ok);
    }
}
