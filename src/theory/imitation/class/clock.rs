//! The clock world of Cohen et al. 2024 (check C2, the class behind Theorem 1): a finite Bayesian class in which a switch to "always 1" at
//! any time `T` has a prior proportional to `2^{−ℓ(T)}`, and its exact mixture computed in O(J)
//! per symbol by grouping the switch models analytically.
//!
//! Models (binary actions, no observations; spec §5 C2):
//!
//! ```text
//! B_0                 always 0 (the demonstrator µ)                     ℓ = b₀            (b₀ = 2)
//! B_j, j = 1..J       i.i.d. Bernoulli(q_j), q_j = 2^{−j}                ℓ = b₀ + γ(j)
//! S_{j,T}, T = 1..T_max   B_j at times < T, 1 at times ≥ T               ℓ = ℓ(B_j) + ℓ_time(T) + o   (o = 2 + 2)
//! ```
//!
//! `γ(n) = 2⌊log₂ n⌋ + 1` (Elias gamma); `ℓ_time` is γ or the richer code of
//! [`crate::theory::imitation::description`]. With `w_j = 2^{−ℓ(B_j)}`, `c_T = 2^{−ℓ_time(T) − o}`,
//! the unnormalised mixture of a binary string `x` of length `N` whose trailing run of ones
//! starts at `T₀` (`T₀ = N + 1` if `x_N = 0`) is
//!
//! ```text
//! ξ̃(x) = Σ_j w_j [ B_j(x)·(1 + Σ_{T = N+1}^{T_max} c_T)  +  Σ_{T = T₀}^{min(N, T_max)} c_T · B_j(x_{<T}) ]
//! ```
//!
//! because `S_{j,T}` with `T > N` has not switched yet, and with `T ≤ N` it is consistent with `x`
//! only if `x_T … x_N` are all ones. [`ClockMixture`] keeps `ln B_j(x)` and
//! `ln R_j = ln Σ_{T=T₀}^{N} c_T B_j(x_{<T})` per `j` and updates both in O(1) per symbol
//! (`R_j ← R_j + c_{N+1} B_j(x)` on a 1, `R_j ← 0` on a 0), so `−ln ξ(1^n | 0^{t−1})` for
//! `t, n ≤ 10⁴` costs O(J(t + n)). The conditionals do not depend on the normalisation
//! (Kraft sum, see [`ClockWorld::kraft_sum`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{BasePolicy, History, Layout, Model, ModelClass, Rule, SeqModel};
use crate::error::{Error, Result};
use crate::numerics::{logsumexp, Neumaier};
use crate::theory::imitation::description::{elias_gamma_bits, rich_code_lengths};

/// Which prefix-free code names the switch time `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeCode {
    /// Elias gamma, `γ(T) = 2⌊log₂ T⌋ + 1` bits (check C2).
    EliasGamma,
    /// The richer code of check C4 (`1 + min(γ(T), ℓ(b) + ℓ(e))` for `T = b^e`); see
    /// [`crate::theory::imitation::description`].
    Rich,
}

/// Parameters of the clock-world class (defaults: spec §5 C2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClockSpec {
    /// Largest `j` of the Bernoulli models `B_j`, `q_j = 2^{−j}` (8).
    pub max_j: usize,
    /// Largest switch time `T_max` (4096).
    pub max_switch_time: usize,
    /// Code for the switch time.
    pub time_code: TimeCode,
    /// Whether the switch models exist (false: the Bernoulli-only class).
    pub switches: bool,
    /// Code length of `B_0` and prefix of the `B_j` codes, bits (2).
    pub base_bits: f64,
    /// Extra bits of a switch model beyond `ℓ(B_j) + ℓ_time(T)`: 2 for the target "always 1" and
    /// 2 for the wrapper constant `d` (4).
    pub switch_overhead_bits: f64,
}

impl Default for ClockSpec {
    fn default() -> Self {
        Self {
            max_j: 8,
            max_switch_time: 4096,
            time_code: TimeCode::EliasGamma,
            switches: true,
            base_bits: 2.0,
            switch_overhead_bits: 4.0,
        }
    }
}

impl ClockSpec {
    /// The same class without switch models.
    pub fn bernoulli_only(&self) -> Self {
        Self {
            switches: false,
            ..self.clone()
        }
    }
}

/// Largest `T_max` accepted (the per-T tables take 24 bytes per time).
pub const MAX_SWITCH_TIME: usize = 1 << 26;

/// The clock-world class with its per-time tables.
#[derive(Debug, Clone)]
pub struct ClockWorld {
    spec: ClockSpec,
    q: Vec<f64>,
    ln_q: Vec<f64>,
    ln_1mq: Vec<f64>,
    base_bits: Vec<f64>,
    ln_w: Vec<f64>,
    time_bits: Vec<u32>,
    /// `ln c_T`, index `T` (index 0 unused, `-∞`).
    ln_c: Vec<f64>,
    /// `Σ_{T' ≥ T} c_{T'}`, index `T = 1..=T_max + 1`.
    tail: Vec<f64>,
}

impl ClockWorld {
    /// Builds the class.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for `max_j` outside `[0, 60]`, `max_switch_time == 0` with switches,
    /// or negative/non-finite bit counts; [`Error::TooLarge`] for `max_switch_time` above
    /// [`MAX_SWITCH_TIME`] (refused before allocating).
    pub fn new(spec: ClockSpec) -> Result<Self> {
        if spec.max_j > 60 {
            return Err(Error::OutOfRange {
                name: "max_j",
                value: spec.max_j as f64,
                range: "[0, 60]",
            });
        }
        for (name, b) in [
            ("base_bits", spec.base_bits),
            ("switch_overhead_bits", spec.switch_overhead_bits),
        ] {
            if !(b >= 0.0) || !b.is_finite() {
                return Err(Error::OutOfRange {
                    name,
                    value: b,
                    range: "[0, ∞)",
                });
            }
        }
        let tmax = if spec.switches {
            spec.max_switch_time
        } else {
            0
        };
        if spec.switches && tmax == 0 {
            return Err(Error::OutOfRange {
                name: "max_switch_time",
                value: 0.0,
                range: "[1, 2^26]",
            });
        }
        if tmax > MAX_SWITCH_TIME {
            return Err(Error::TooLarge {
                name: "max_switch_time",
                value: tmax as f64,
                needed: format!(
                    "{:.0} MiB of per-time tables",
                    tmax as f64 * 24.0 / 1048576.0
                ),
                limit: format!("T_max = {MAX_SWITCH_TIME}"),
            });
        }
        let ln2 = std::f64::consts::LN_2;
        let q: Vec<f64> = (0..=spec.max_j)
            .map(|j| if j == 0 { 0.0 } else { (-(j as f64)).exp2() })
            .collect();
        let ln_q = q.iter().map(|x| x.ln()).collect();
        let ln_1mq = q.iter().map(|x| (-x).ln_1p()).collect();
        let base_bits: Vec<f64> = (0..=spec.max_j)
            .map(|j| {
                spec.base_bits
                    + if j == 0 {
                        0.0
                    } else {
                        elias_gamma_bits(j as u64) as f64
                    }
            })
            .collect();
        let ln_w = base_bits.iter().map(|b| -b * ln2).collect();
        let time_bits: Vec<u32> = match spec.time_code {
            TimeCode::EliasGamma => (0..=tmax)
                .map(|t| {
                    if t == 0 {
                        0
                    } else {
                        elias_gamma_bits(t as u64)
                    }
                })
                .collect(),
            TimeCode::Rich => rich_code_lengths(tmax),
        };
        let mut ln_c = vec![f64::NEG_INFINITY; tmax + 1];
        for t in 1..=tmax {
            ln_c[t] = -(time_bits[t] as f64 + spec.switch_overhead_bits) * ln2;
        }
        let mut tail = vec![0.0; tmax + 2];
        let mut acc = Neumaier::new();
        for t in (1..=tmax).rev() {
            acc.add(ln_c[t].exp());
            tail[t] = acc.total();
        }
        Ok(Self {
            spec,
            q,
            ln_q,
            ln_1mq,
            base_bits,
            ln_w,
            time_bits,
            ln_c,
            tail,
        })
    }

    /// The spec's C2 class (J = 8, T_max = 4096, Elias gamma).
    pub fn c2() -> Self {
        Self::new(ClockSpec::default()).expect("the default clock world is valid")
    }

    /// The parameters.
    pub fn spec(&self) -> &ClockSpec {
        &self.spec
    }

    /// Number of Bernoulli models `J + 1` (including `B_0`).
    pub fn bases(&self) -> usize {
        self.q.len()
    }

    /// `q_j` (0 for `j = 0`).
    pub fn q(&self, j: usize) -> f64 {
        self.q[j]
    }

    /// `ℓ(B_j)` in bits.
    pub fn base_bits(&self, j: usize) -> f64 {
        self.base_bits[j]
    }

    /// `T_max` (0 for the Bernoulli-only class).
    pub fn max_switch_time(&self) -> usize {
        self.ln_c.len() - 1
    }

    /// `ℓ_time(T)` in bits (`T` in `1..=T_max`).
    pub fn time_bits(&self, t: usize) -> u32 {
        self.time_bits[t]
    }

    /// `Δ(T) = ℓ_time(T) + o` bits: the extra code length of switching at `T`.
    pub fn delta_bits(&self, t: usize) -> f64 {
        self.time_bits[t] as f64 + self.spec.switch_overhead_bits
    }

    /// `ln c_T = −Δ(T)·ln 2` (`-∞` outside `1..=T_max`).
    pub fn ln_c(&self, t: usize) -> f64 {
        self.ln_c.get(t).copied().unwrap_or(f64::NEG_INFINITY)
    }

    /// `Σ_{T' ≥ T} c_{T'}` (0 beyond `T_max`).
    pub fn tail(&self, t: usize) -> f64 {
        self.tail.get(t.max(1)).copied().unwrap_or(0.0)
    }

    /// `ln w_j = −ℓ(B_j)·ln 2` (unnormalised).
    pub fn ln_base_weight(&self, j: usize) -> f64 {
        self.ln_w[j]
    }

    /// `ln B_j(x)` for `ones` ones and `zeros` zeros.
    pub fn ln_bernoulli(&self, j: usize, ones: usize, zeros: usize) -> f64 {
        let a = if ones == 0 {
            0.0
        } else {
            ones as f64 * self.ln_q[j]
        };
        let b = if zeros == 0 {
            0.0
        } else {
            zeros as f64 * self.ln_1mq[j]
        };
        a + b
    }

    /// `ln q_j` and `ln(1 − q_j)`.
    pub fn ln_q_pair(&self, j: usize) -> (f64, f64) {
        (self.ln_q[j], self.ln_1mq[j])
    }

    /// Kraft sum `Σ_ν 2^{−ℓ(ν)} = Σ_j w_j (1 + Σ_T c_T)` (must be ≤ 1 for a prefix-free code).
    pub fn kraft_sum(&self) -> f64 {
        let g = 1.0 + self.tail(1);
        self.ln_w.iter().map(|l| l.exp() * g).sum::<f64>()
    }

    /// Number of models `(J + 1)(1 + T_max)`.
    pub fn model_count(&self) -> usize {
        self.bases() * (1 + self.max_switch_time())
    }

    /// `ln ξ̃(x)` (unnormalised by the Kraft sum; conditionals are unaffected).
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`] for a symbol other than 0, 1 (named `name`).
    pub fn ln_xi(&self, name: &'static str, x: &[usize]) -> Result<f64> {
        let mut m = ClockMixture::new(Arc::new(self.clone()));
        for &s in x {
            m.update_named(name, s)?;
        }
        Ok(m.ln_xi())
    }

    /// `ln ξ̃(0^{z} 1^{n})` in closed form, O(J·min(n, T_max)).
    pub fn ln_xi_zeros_ones(&self, z: usize, n: usize) -> f64 {
        let big_n = z + n;
        let g = (self.tail(big_n + 1)).ln_1p();
        let mut terms = Vec::with_capacity(self.bases());
        for j in 0..self.bases() {
            let ln_b = self.ln_bernoulli(j, n, z);
            // R_j = Σ_{T = z+1}^{min(N, T_max)} c_T · B_j(0^z 1^{T−z−1})
            let mut r = Vec::new();
            let hi = big_n.min(self.max_switch_time());
            let base0 = self.ln_bernoulli(j, 0, z);
            for t in (z + 1)..=hi {
                let k = t - z - 1;
                let lb = if k == 0 {
                    base0
                } else {
                    base0 + k as f64 * self.ln_q[j]
                };
                if lb == f64::NEG_INFINITY {
                    break;
                }
                r.push(self.ln_c[t] + lb);
            }
            let ln_r = logsumexp(&r);
            terms.push(self.ln_w[j] + logaddexp(ln_b + g, ln_r));
        }
        logsumexp(&terms)
    }

    /// `−ln ξ(1^n | 0^{t−1})`: the KL of the policy "play 1 at times t..t+n−1" against ξ
    /// (check C2; deterministic policy ⇒ KL = −ln ξ of its sequence).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for `t == 0`; [`Error::NotPositive`] for `n == 0` (horizon 0).
    pub fn switch_kl(&self, t: usize, n: usize) -> Result<f64> {
        if t == 0 {
            return Err(Error::OutOfRange {
                name: "switch time t",
                value: 0.0,
                range: "[1, ∞) (times are 1-based)",
            });
        }
        if n == 0 {
            return Err(Error::NotPositive {
                name: "horizon n",
                value: 0.0,
            });
        }
        let mut s = Neumaier::new();
        s.add(self.ln_xi_zeros_ones(t - 1, 0));
        s.add(-self.ln_xi_zeros_ones(t - 1, n));
        Ok(s.total())
    }

    /// Posterior masses after `0^{t−1}`: `(W_base, W_switch(t))` where `W_base = Σ_j w(B_j | h)` and
    /// `W_switch(t) = Σ_j w(S_{j,t} | h)`.
    pub fn zero_history_masses(&self, t: usize) -> (f64, f64) {
        let z = t.saturating_sub(1);
        let ln_xi = self.ln_xi_zeros_ones(z, 0);
        let base: Vec<f64> = (0..self.bases())
            .map(|j| self.ln_w[j] + self.ln_bernoulli(j, 0, z))
            .collect();
        let lb = logsumexp(&base);
        ((lb - ln_xi).exp(), (lb + self.ln_c(t) - ln_xi).exp())
    }

    /// The explicit class: `B_0..B_J` then `S_{j,T}` for each `j`, `T = 1..T_max`, as
    /// [`SeqModel`]s with their code lengths (for the generic [`Mixture`](super::Mixture), posterior rankings
    /// and the pessimistic imitator). Model names: `B{j}`, `S{j},{T}`.
    ///
    /// # Errors
    /// As [`ModelClass::from_code_lengths`].
    pub fn to_model_class(&self) -> Result<ModelClass> {
        let l = Layout::BINARY;
        let mut models: Vec<(String, Arc<dyn Model>)> = Vec::with_capacity(self.model_count());
        let mut bits = Vec::with_capacity(self.model_count());
        for j in 0..self.bases() {
            models.push((
                format!("B{j}"),
                Arc::new(SeqModel::actions(l, Rule::bernoulli(self.q[j]))?),
            ));
            bits.push(self.base_bits[j]);
        }
        for j in 0..self.bases() {
            for t in 1..=self.max_switch_time() {
                let rule = Rule::Switch {
                    before: Box::new(Rule::bernoulli(self.q[j])),
                    at: t as u64,
                    after: Box::new(Rule::Constant { symbol: 1 }),
                };
                models.push((format!("S{j},{t}"), Arc::new(SeqModel::actions(l, rule)?)));
                bits.push(self.base_bits[j] + self.delta_bits(t));
            }
        }
        ModelClass::from_code_lengths(l, models, bits)
    }
}

/// `ln(e^a + e^b)`, kept at its old path for the imitation modules that import it from here.
pub use crate::numerics::logaddexp;

/// The clock-world mixture as a [`BasePolicy`], updated in O(J) per symbol.
#[derive(Debug, Clone)]
pub struct ClockMixture {
    world: Arc<ClockWorld>,
    history: History,
    ln_b: Vec<f64>,
    ln_r: Vec<f64>,
}

impl ClockMixture {
    /// The prior mixture.
    pub fn new(world: Arc<ClockWorld>) -> Self {
        let n = world.bases();
        Self {
            world,
            history: History::new(Layout::BINARY),
            ln_b: vec![0.0; n],
            ln_r: vec![f64::NEG_INFINITY; n],
        }
    }

    /// The class.
    pub fn world(&self) -> &ClockWorld {
        &self.world
    }

    /// `ln ξ̃(history)` (unnormalised).
    pub fn ln_xi(&self) -> f64 {
        let n = self.history.len();
        let g = self.world.tail(n + 1).ln_1p();
        let terms: Vec<f64> = (0..self.world.bases())
            .map(|j| self.world.ln_w[j] + logaddexp(self.ln_b[j] + g, self.ln_r[j]))
            .collect();
        logsumexp(&terms)
    }

    fn next_state(&self, symbol: usize) -> (Vec<f64>, Vec<f64>) {
        let n = self.history.len();
        let w = &self.world;
        let mut b = self.ln_b.clone();
        let mut r = self.ln_r.clone();
        for j in 0..w.bases() {
            if symbol == 1 {
                r[j] = logaddexp(r[j], w.ln_c(n + 1) + self.ln_b[j]);
                b[j] += w.ln_q[j];
            } else {
                r[j] = f64::NEG_INFINITY;
                b[j] += w.ln_1mq[j];
            }
        }
        (b, r)
    }

    fn ln_xi_of(&self, b: &[f64], r: &[f64], len: usize) -> f64 {
        let g = self.world.tail(len + 1).ln_1p();
        let terms: Vec<f64> = (0..self.world.bases())
            .map(|j| self.world.ln_w[j] + logaddexp(b[j] + g, r[j]))
            .collect();
        logsumexp(&terms)
    }

    /// Appends a symbol; `name` is used in errors.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`].
    pub fn update_named(&mut self, name: &'static str, symbol: usize) -> Result<()> {
        Layout::BINARY.check_symbol(name, self.history.len(), symbol)?;
        let (b, r) = self.next_state(symbol);
        self.ln_b = b;
        self.ln_r = r;
        self.history.push_named(name, symbol)
    }

    /// Posterior mass of the switch models that have already switched (`S_{j,T}`, `T ≤ |h|`):
    /// they play 1 forever, so `ξ(1^n | h) ≥` this mass for every n.
    pub fn switched_mass(&self) -> f64 {
        let t: Vec<f64> = (0..self.world.bases())
            .map(|j| self.world.ln_w[j] + self.ln_r[j])
            .collect();
        (logsumexp(&t) - self.ln_xi()).exp()
    }

    /// Posterior mass of the Bernoulli models `Σ_j w(B_j | h)` (the models with switched copies).
    pub fn base_mass(&self) -> f64 {
        let t: Vec<f64> = (0..self.world.bases())
            .map(|j| self.world.ln_w[j] + self.ln_b[j])
            .collect();
        (logsumexp(&t) - self.ln_xi()).exp()
    }
}

impl BasePolicy for ClockMixture {
    fn layout(&self) -> Layout {
        Layout::BINARY
    }

    fn history(&self) -> &History {
        &self.history
    }

    /// Both conditionals from the two extended sums; the smaller is computed as a ratio and the
    /// larger as `ln(1 − smaller)` (the models are proper distributions, so they sum to one).
    fn ln_predict(&self) -> Vec<f64> {
        let l = self.ln_xi();
        let len = self.history.len() + 1;
        let (b0, r0) = self.next_state(0);
        let (b1, r1) = self.next_state(1);
        let l0 = self.ln_xi_of(&b0, &r0, len) - l;
        let l1 = self.ln_xi_of(&b1, &r1, len) - l;
        super::complete_binary(l0, l1)
    }

    fn update(&mut self, symbol: usize) -> Result<()> {
        self.update_named("symbol", symbol)
    }

    fn clone_box(&self) -> Box<dyn BasePolicy> {
        Box::new(self.clone())
    }

    fn ln_prob_extend(&mut self, symbols: &[usize]) -> Result<f64> {
        let before = self.ln_xi();
        for &x in symbols {
            self.update_named("data", x)?;
        }
        Ok(self.ln_xi() - before)
    }

    fn ln_prob_actions_extend(&mut self, symbols: &[usize]) -> Result<f64> {
        self.ln_prob_extend(symbols)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Mixture;
    use super::*;
    use crate::numerics::tolerance::assert_close;
    use crate::numerics::Tolerance;

    /// Brute force over the explicit class with a small T_max.
    fn small() -> ClockWorld {
        ClockWorld::new(ClockSpec {
            max_switch_time: 40,
            ..ClockSpec::default()
        })
        .unwrap()
    }

    #[test]
    fn grouped_equals_enumerated() {
        let w = small();
        let class = Arc::new(w.to_model_class().unwrap());
        assert_eq!(class.len(), 9 * 41);
        for x in [
            vec![0usize; 12],
            vec![0, 0, 1, 1, 1],
            vec![1, 0, 1, 1],
            vec![1; 45],
            [vec![0; 30], vec![1; 20]].concat(),
        ] {
            let a = Mixture::new(class.clone()).ln_prob_extend(&x).unwrap();
            let mut cm = ClockMixture::new(Arc::new(w.clone()));
            let b = cm.ln_prob_extend(&x).unwrap();
            assert_close(b, a, Tolerance::new(1e-12, 1e-12));
            // normalised prior: ln ξ(x) = ln ξ̃(x) − ln K
            assert_close(
                w.ln_xi("x", &x).unwrap() - w.kraft_sum().ln(),
                a,
                Tolerance::new(1e-12, 1e-12),
            );
            // chain rule through the predictive
            let mut cm = ClockMixture::new(Arc::new(w.clone()));
            let mut s = 0.0;
            for &xi in &x {
                let p = cm.ln_predict();
                assert_close(p[0].exp() + p[1].exp(), 1.0, Tolerance::abs(1e-14));
                s += p[xi];
                cm.update(xi).unwrap();
            }
            assert_close(s, a, Tolerance::new(1e-11, 1e-11));
        }
    }

    #[test]
    fn closed_form_zeros_ones() {
        let w = ClockWorld::c2();
        for (z, n) in [(0, 0), (0, 5), (10, 0), (10, 7), (100, 100), (4090, 20)] {
            let x = [vec![0; z], vec![1; n]].concat();
            assert_close(
                w.ln_xi_zeros_ones(z, n),
                w.ln_xi("x", &x).unwrap(),
                Tolerance::new(1e-12, 1e-12),
            );
        }
    }

    #[test]
    fn spec_c2_table_values() {
        // spec §5 C2 (computed there by a throw-away Python script, 4 decimals), reproduced
        // independently here by /tmp brute force over the 36 873 models.
        let w = ClockWorld::c2();
        let b = ClockWorld::new(ClockSpec::default().bernoulli_only()).unwrap();
        for (t, n, kl, klb) in [
            (11, 1, 4.8359, 4.8985),
            (11, 10, 7.6213, 14.6754),
            (101, 100, 11.7839, 139.3496),
            (1001, 100, 15.9424, 343.3886),
        ] {
            assert_close(w.switch_kl(t, n).unwrap(), kl, Tolerance::abs(1e-4));
            assert_close(b.switch_kl(t, n).unwrap(), klb, Tolerance::abs(1e-4));
        }
        let (wb, ws) = w.zero_history_masses(11);
        assert_close(wb, 0.993707, Tolerance::abs(1e-6));
        assert_close(ws, 4.852e-4, Tolerance::abs(1e-7));
        assert!(w.kraft_sum() < 1.0);
    }

    #[test]
    fn bad_input() {
        let w = small();
        assert!(matches!(w.switch_kl(0, 3), Err(Error::OutOfRange { .. })));
        assert!(matches!(w.switch_kl(3, 0), Err(Error::NotPositive { .. })));
        assert!(matches!(
            w.ln_xi("demonstrator data", &[0, 2]),
            Err(Error::OutsideAlphabet {
                position: 1,
                symbol: 2,
                ..
            })
        ));
        assert!(matches!(
            ClockWorld::new(ClockSpec {
                max_switch_time: usize::MAX / 2,
                ..ClockSpec::default()
            }),
            Err(Error::TooLarge { .. })
        ));
        assert!(ClockWorld::new(ClockSpec {
            base_bits: f64::NAN,
            ..ClockSpec::default()
        })
        .is_err());
    }
}
