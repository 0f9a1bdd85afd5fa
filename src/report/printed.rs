//! A reference value as printed in a paper or the spec, and the tolerance its digits carry.
//!
//! Check wiring compares a computed value with a number printed to a fixed number of digits
//! ("0.0288391", "1.37329e-4"). The print itself is exact only to half a unit in its last
//! printed place, so that half unit is the natural allowance: [`Printed::tolerance`] adds
//! 1e-12 relative for our own rounding (values the spec computed with mpmath, correctly
//! rounded); [`Printed::tolerance_or_rel`] takes the looser of the half unit and a relative
//! tolerance (values the spec computed by quadrature to ~1e-4 relative).

use crate::numerics::Tolerance;

/// Relative allowance for our own rounding on top of the printed digits.
pub const OWN_ROUNDING_REL: f64 = 1e-12;

/// A number as printed: its value and half a unit in its last printed place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Printed {
    /// The printed number (`NaN` if the text is not a number, so the check fails visibly).
    pub value: f64,
    /// Half a unit in the last printed place: `0.5·10^(e − decimals)` for `m.ddd…e<e>`.
    pub half_unit: f64,
}

/// Parses a printed decimal (`"0.75636"`, `"311.84"`, `"1.37329e-4"`).
pub fn printed(s: &str) -> Printed {
    let value: f64 = s.parse().unwrap_or(f64::NAN);
    let (mantissa, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let decimals = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i32);
    Printed {
        value,
        half_unit: 0.5 * 10f64.powi(exp - decimals),
    }
}

impl Printed {
    /// Half a unit in the last printed place plus [`OWN_ROUNDING_REL`] relative.
    pub fn tolerance(&self) -> Tolerance {
        Tolerance::new(OWN_ROUNDING_REL, self.half_unit)
    }

    /// The looser of half a unit in the last printed place (absolute) and `rel` relative.
    pub fn tolerance_or_rel(&self, rel: f64) -> Tolerance {
        if self.half_unit > rel * self.value.abs() {
            Tolerance::abs(self.half_unit)
        } else {
            Tolerance::rel(rel)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_unit_follows_the_digits() {
        let p = printed("0.0288391");
        assert_eq!(p.value, 0.0288391);
        assert!((p.half_unit - 5e-8).abs() < 1e-22);
        let p = printed("1.37329e-4");
        assert_eq!(p.value, 1.37329e-4);
        assert!((p.half_unit - 5e-10).abs() < 1e-24);
        assert!((printed("311.84").half_unit - 5e-3).abs() < 1e-18);
        assert!((printed("2E3").half_unit - 500.0).abs() < 1e-12);
        let p = printed("1.7323e-3");
        assert_eq!(p.value, 1.7323e-3);
        assert!((p.half_unit - 5e-8).abs() < 1e-22);
        assert_eq!(printed("7").half_unit, 0.5);
        assert!(printed("not a number").value.is_nan());
    }

    #[test]
    fn tolerance_adds_own_rounding() {
        let t = printed("1.500000").tolerance();
        assert_eq!(t.rel, OWN_ROUNDING_REL);
        assert!((t.abs - 5e-7).abs() < 1e-20);
    }

    #[test]
    fn tolerance_or_rel_takes_the_looser() {
        // 0.00030 printed to 5 decimals: half unit 5e-6 > 1e-4 · 3e-4, so absolute.
        let t = printed("0.00030").tolerance_or_rel(1e-4);
        assert_eq!(t.rel, 0.0);
        assert!((t.abs - 5e-6).abs() < 1e-20);
        // 311.84: half unit 5e-3 < 1e-4 · 311.84 = 0.031, so relative.
        let t = printed("311.84").tolerance_or_rel(1e-4);
        assert_eq!(t, Tolerance::rel(1e-4));
    }
}
