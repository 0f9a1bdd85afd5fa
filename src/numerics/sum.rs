//! Neumaier (improved Kahan–Babuška) compensated summation.
//!
//! Written by hand because it is a dozen lines and the crates that offer it (e.g. `accurate`)
//! pull in generic machinery we do not need. The error bound is `2ε·Σ|x_i|` independent of `n`
//! (Neumaier 1974), against `n·ε·Σ|x_i|` for naive summation.

/// A running compensated sum.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Neumaier {
    sum: f64,
    comp: f64,
}

impl Neumaier {
    /// An empty sum.
    pub const fn new() -> Self {
        Self {
            sum: 0.0,
            comp: 0.0,
        }
    }

    /// Adds one term.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// Merges another partial sum into this one (used to combine per-block sums in a fixed order).
    #[inline]
    pub fn merge(&mut self, other: &Neumaier) {
        self.add(other.sum);
        self.add(other.comp);
    }

    /// The compensated total. Non-finite inputs propagate (an `inf` term gives `inf`).
    #[inline]
    pub fn total(&self) -> f64 {
        let s = self.sum + self.comp;
        if s.is_nan() && !self.sum.is_nan() {
            // inf + (-inf) in the compensation term after an infinite term: the sum is the infinity.
            self.sum
        } else {
            s
        }
    }
}

impl Extend<f64> for Neumaier {
    fn extend<I: IntoIterator<Item = f64>>(&mut self, iter: I) {
        for x in iter {
            self.add(x);
        }
    }
}

/// Compensated sum of an iterator of `f64`.
pub fn neumaier_sum<I: IntoIterator<Item = f64>>(xs: I) -> f64 {
    let mut s = Neumaier::new();
    s.extend(xs);
    s.total()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_what_naive_sum_loses() {
        // 1 + 1e100 + 1 - 1e100 = 2 exactly; naive left-to-right gives 0.
        let xs = [1.0, 1e100, 1.0, -1e100];
        assert_eq!(xs.iter().sum::<f64>(), 0.0);
        assert_eq!(neumaier_sum(xs), 2.0);
    }

    #[test]
    fn many_small_terms() {
        // 0.1 summed 1e6 times: the reference is 1e6 * 0.1 rounded once = 100000.0
        let s = neumaier_sum(std::iter::repeat_n(0.1, 1_000_000));
        assert!((s - 100_000.0).abs() <= 1e-9, "{s}");
    }

    #[test]
    fn merge_equals_sequential() {
        let xs: Vec<f64> = (1..1000).map(|i| 1.0 / i as f64).collect();
        let mut a = Neumaier::new();
        a.extend(xs[..500].iter().copied());
        let mut b = Neumaier::new();
        b.extend(xs[500..].iter().copied());
        a.merge(&b);
        let seq = neumaier_sum(xs.iter().copied());
        assert!((a.total() - seq).abs() <= 1e-15 * seq);
    }

    #[test]
    fn infinity_propagates_without_nan() {
        assert_eq!(neumaier_sum([1.0, f64::INFINITY, 2.0]), f64::INFINITY);
    }
}
