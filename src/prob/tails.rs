//! Tail classes of a distribution on ℝ (Kwa et al. 2024 §2.2; spec §1.6–1.8).
//!
//! ```text
//! heavy-tailed  ⇔  lim_{x→∞} e^{λx}·F̄(x) = ∞ for every λ > 0
//! light-tailed  ⇔  not heavy-tailed (E[e^{λX}] < ∞ for some λ > 0)
//! subexponential ⇒ heavy-tailed   (P(X1+X2 > x)/P(X > x) → 2)
//! ```

use serde::Serialize;

/// How fast the right tail `F̄(x) = P(X > x)` decays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TailClass {
    /// Bounded above: `F̄(x) = 0` beyond some point.
    Bounded,
    /// Light, and `F̄(t+1)/F̄(t) → 0` (Theorem 6's condition: Gaussian, Weibull shape > 1).
    SuperExponential,
    /// Light with exponential-type decay (`F̄(t+1)/F̄(t) → e^{-rate}`: exponential, Laplace,
    /// Weibull shape = 1).
    Exponential,
    /// Heavy-tailed and subexponential (Student-t, Pareto, lognormal, Weibull shape < 1, Lévy).
    Subexponential,
}

impl TailClass {
    /// Heavy-tailed in the paper's sense.
    pub fn is_heavy(self) -> bool {
        matches!(self, TailClass::Subexponential)
    }
    /// Light-tailed in the paper's sense.
    pub fn is_light(self) -> bool {
        !self.is_heavy()
    }
    /// Satisfies Theorem 6's hypothesis `F̄(t+1)/F̄(t) → 0`.
    pub fn satisfies_theorem6(self) -> bool {
        matches!(self, TailClass::Bounded | TailClass::SuperExponential)
    }
    /// Short word for reports.
    pub fn word(self) -> &'static str {
        match self {
            TailClass::Bounded => "bounded",
            TailClass::SuperExponential => "light (super-exponential)",
            TailClass::Exponential => "light (exponential-type)",
            TailClass::Subexponential => "heavy (subexponential)",
        }
    }
}
