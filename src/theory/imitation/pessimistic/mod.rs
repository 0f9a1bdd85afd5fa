//! Theorems 3 and 4 of Cohen et al. 2024, with Definitions 3 and 4: the pessimistic imitator that asks for help
//! (check C6).
//!
//! Cohen, Hutter, Bengio, Russell 2024, Sec. 6, Defs 3–4, Thms 3–4 (Thm 3 = Cohen, Hutter, Nanda
//! 2022a, Thm 2); spec: `../shared/spec/cohen2024.md` §1.9, §2.6, §5 C6.
//!
//! ```text
//! ranking:     ν¹, ν², … by decreasing posterior w(·|x_{<t})            (ties: lower class index first)
//! top set:     M^α_{x<t} = { νⁿ : w(νⁿ|x_{<t}) >= α · Σ_{m<=n} w(νᵐ|x_{<t}) },   α ∈ (0, 1]   (Def. 3)
//! imitator:    ν_α(x | x_{<t}) = min_{ν ∈ M^α} ν(x | x_{<t})                                   (Def. 4)
//! ask:         θ_t = 1 − Σ_x ν_α(x | x_{<t})     (the imitator queries the demonstrator w.p. θ_t)
//! Theorem 3:   α < δ·w(µ)  ⇒  P_µ(∀t: µ ∈ M^α_{x<t}) >= 1 − δ
//! Theorem 4:   µ ∈ M^α at every step  ⇒  ν_α <= µ pointwise  ⇒  KL(π‖ν_α) >= KL(π‖µ) for every π
//! ```
//!
//! Because `w_n` decreases and `S_n = Σ_{m<=n} w_m` increases, `w_n/S_n` is non-increasing, so
//! the top set is a **prefix** of the ranking, always holds the MAP model, and has at most
//! `min(1 + ln(1/w₁)/ln(1/(1−α)), 1/(α·w₁))` members (`w₁` = the normalised MAP weight). [`top_set`]
//! uses the first bound to select only that many candidates (O(|M|) instead of a full sort).
//!
//! **Posterior-update rule (UNCONFIRMED in the spec, §2.6; both implemented, [`UpdateRule`]).**
//! `AllActions`: the posterior learns from every action, the imitator's own included (the rule
//! behind the spec's C6 numbers). `DemonstratorOnly`: it learns only from actions the demonstrator
//! took (trusted data and answered queries); the imitator's own actions extend the history (which
//! the models condition on) but carry no evidence. Theorem 3's martingale argument covers only
//! µ-generated data, so under `AllActions` with a stochastic demonstrator µ can leave the top set
//! (measured in the checks); under `DemonstratorOnly` the learned data are µ's answers and the
//! theorem's guarantee carries over.
//!
//! Everything is exact: posteriors in log space (the class's [`Posterior`]), partial sums
//! `ln S_n` by running log-add-exp, ν_α by a min over exact model predictions, θ by a compensated sum.

pub mod checks;
pub mod montecarlo;
#[cfg(test)]
mod tests;

pub use checks::checks;

use std::sync::Arc;

use rand::Rng;
use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::class::clock::{logaddexp, ClockWorld};
use super::class::{BasePolicy, History, Layout, ModelClass, Posterior, Role};
use crate::error::{Error, Result};
use crate::numerics::{logsumexp, Neumaier};
use crate::sim::seeds::stream_rng;

/// Validates α ∈ (0, 1] (Def. 3; NaN rejected).
///
/// # Errors
/// [`Error::OutOfRange`] naming `alpha`.
pub fn check_alpha(alpha: f64) -> Result<f64> {
    if !(alpha > 0.0 && alpha <= 1.0) {
        return Err(Error::OutOfRange {
            name: "alpha",
            value: alpha,
            range: "(0, 1]",
        });
    }
    Ok(alpha)
}

/// The top set `M^α` of one posterior (Def. 3).
#[derive(Debug, Clone, PartialEq)]
pub struct TopSet {
    /// Members, in ranking order (class indices); `members[0]` is the MAP model.
    pub members: Vec<usize>,
    /// Normalised `ln w(νⁿ|h)` of the members.
    pub ln_weights: Vec<f64>,
    /// Normalised `ln S_n`, the partial sums of the ranking up to each member.
    pub ln_partial: Vec<f64>,
    /// α.
    pub alpha: f64,
    /// Number of models with positive posterior weight.
    pub alive: usize,
}

impl TopSet {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Always false (the MAP model is always a member).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether model `i` is a member.
    pub fn contains(&self, i: usize) -> bool {
        self.members.contains(&i)
    }

    /// The normalised MAP weight `w₁`.
    pub fn w_map(&self) -> f64 {
        self.ln_weights[0].exp()
    }

    /// The two size bounds of §1.9: `(1 + ln(1/w₁)/ln(1/(1−α)), 1/(α·w₁))`.
    pub fn size_bounds(&self) -> (f64, f64) {
        size_bounds(self.w_map(), self.alpha)
    }
}

/// `(1 + ln(1/w₁)/ln(1/(1−α)), 1/(α·w₁))`: upper bounds on `|M^α|` given the normalised MAP
/// weight `w₁` (spec §1.9; the first is `1` at α = 1).
pub fn size_bounds(w1: f64, alpha: f64) -> (f64, f64) {
    let log_bound = if alpha >= 1.0 {
        1.0
    } else {
        1.0 + (-w1.ln()) / (-(-alpha).ln_1p())
    };
    (log_bound, 1.0 / (alpha * w1))
}

fn rank_cmp(lj: &[f64]) -> impl Fn(&usize, &usize) -> std::cmp::Ordering + '_ {
    move |&a, &b| lj[b].total_cmp(&lj[a]).then(a.cmp(&b))
}

/// The top set of the posterior given by unnormalised log joints `ln w(ν) + ln ν(data)` (any
/// common offset cancels). Ties in weight are ranked by class index, as
/// [`Posterior::ranking`] does.
///
/// # Errors
/// [`Error::OutOfRange`] for a bad α; [`Error::Empty`] if every model has weight 0 (the data are
/// impossible under the whole class); [`Error::NotFinite`] for a NaN or `+∞` log joint.
pub fn top_set(ln_joint: &[f64], alpha: f64) -> Result<TopSet> {
    check_alpha(alpha)?;
    let mut alive: Vec<usize> = Vec::with_capacity(ln_joint.len());
    for (i, &l) in ln_joint.iter().enumerate() {
        if l.is_nan() || l == f64::INFINITY {
            return Err(Error::NotFinite {
                name: "log posterior joint",
                value: l,
            });
        }
        if l > f64::NEG_INFINITY {
            alive.push(i);
        }
    }
    if alive.is_empty() {
        return Err(Error::Empty {
            name: "posterior support (every model gives the data probability 0)",
        });
    }
    let n_alive = alive.len();
    let ln_total = logsumexp(&alive.iter().map(|&i| ln_joint[i]).collect::<Vec<_>>());
    let cmp = rank_cmp(ln_joint);
    let lmax = alive
        .iter()
        .map(|&i| ln_joint[i])
        .fold(f64::NEG_INFINITY, f64::max);
    let (b1, b2) = size_bounds((lmax - ln_total).exp(), alpha);
    // +2: room for rounding at the boundary; exactness does not depend on the bound's tightness
    // as long as it is an upper bound, since membership is decided below by the definition.
    let k = (b1.min(b2).floor() as usize).saturating_add(2).min(n_alive);
    if k < n_alive {
        alive.select_nth_unstable_by(k - 1, &cmp);
        alive.truncate(k);
    }
    alive.sort_by(&cmp);
    let mut members = Vec::new();
    let mut ln_weights = Vec::new();
    let mut ln_partial = Vec::new();
    let ln_alpha = alpha.ln();
    let mut ln_s = f64::NEG_INFINITY;
    for &i in &alive {
        let l = ln_joint[i];
        ln_s = if ln_s == f64::NEG_INFINITY {
            l
        } else {
            logaddexp(ln_s, l)
        };
        if l - ln_s >= ln_alpha {
            members.push(i);
            ln_weights.push(l - ln_total);
            ln_partial.push(ln_s - ln_total);
        } else {
            break;
        }
    }
    Ok(TopSet {
        members,
        ln_weights,
        ln_partial,
        alpha,
        alive: n_alive,
    })
}

/// The top set straight from Definition 3: full ranking, every `n` tested (the slow oracle for
/// tests and checks: O(|M| log |M|), no prefix shortcut, no candidate bound).
///
/// # Errors
/// As [`top_set`].
pub fn top_set_by_definition(ln_joint: &[f64], alpha: f64) -> Result<Vec<usize>> {
    check_alpha(alpha)?;
    let mut idx: Vec<usize> = (0..ln_joint.len())
        .filter(|&i| ln_joint[i] > f64::NEG_INFINITY)
        .collect();
    if idx.is_empty() {
        return Err(Error::Empty {
            name: "posterior support (every model gives the data probability 0)",
        });
    }
    idx.sort_by(rank_cmp(ln_joint));
    let l1 = ln_joint[idx[0]];
    let w: Vec<f64> = idx.iter().map(|&i| (ln_joint[i] - l1).exp()).collect();
    let mut s = Neumaier::new();
    let mut out = Vec::new();
    for (n, &i) in idx.iter().enumerate() {
        s.add(w[n]);
        if w[n] >= alpha * s.total() * (1.0 - 4.0 * f64::EPSILON) {
            out.push(i);
        }
    }
    Ok(out)
}

/// A semi-distribution over the next symbol and its deficit.
#[derive(Debug, Clone, PartialEq)]
pub struct SemiPrediction {
    /// `ν_α(x | h)` per symbol.
    pub probs: Vec<f64>,
    /// `θ = 1 − Σ_x ν_α(x | h)`: the ask-for-help probability (clamped at 0 against rounding).
    pub ask: f64,
}

/// The min rule `ν_α(x) = min_ν ν(x)` over member predictions given as log-probabilities.
///
/// # Errors
/// [`Error::Empty`] for no members; [`Error::LengthMismatch`] for predictions of different lengths.
pub fn min_rule(ln_predictions: &[Vec<f64>]) -> Result<SemiPrediction> {
    let first = ln_predictions
        .first()
        .ok_or(Error::Empty { name: "top set" })?;
    let mut ln_min = first.clone();
    for p in &ln_predictions[1..] {
        crate::prob::probs::check_len("prediction", first.len(), "prediction", p.len())?;
        for (m, &v) in ln_min.iter_mut().zip(p) {
            if v < *m {
                *m = v;
            }
        }
    }
    let probs: Vec<f64> = ln_min.iter().map(|l| l.exp()).collect();
    let mut s = Neumaier::new();
    s.add(1.0);
    for &p in &probs {
        s.add(-p);
    }
    Ok(SemiPrediction {
        probs,
        ask: s.total().max(0.0),
    })
}

/// Which actions the posterior learns from (spec §2.6: UNCONFIRMED, both implemented).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateRule {
    /// Every action, the imitator's own included (the rule of the spec's C6 numbers).
    AllActions,
    /// Only actions the demonstrator took (trusted data and answered queries).
    DemonstratorOnly,
}

impl UpdateRule {
    /// `"all_actions"` / `"demonstrator_only"`.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateRule::AllActions => "all_actions",
            UpdateRule::DemonstratorOnly => "demonstrator_only",
        }
    }
}

/// Who produced an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The demonstrator (trusted data or an answered query).
    Demonstrator,
    /// The imitator itself (or any agent being regularised).
    Imitator,
}

/// The pessimistic imitator ν_α over a finite [`ModelClass`], with its update rule.
///
/// At action positions it predicts the semi-distribution ν_α (the ask probability is the
/// deficit); at observation positions of an interleaved layout it predicts with the Bayesian
/// mixture under the observation posterior (observations are never the imitator's choice).
#[derive(Debug, Clone)]
pub struct PessimisticImitator {
    class: Arc<ModelClass>,
    alpha: f64,
    rule: UpdateRule,
    history: History,
    posterior: Posterior,
    top: TopSet,
    learned_actions: usize,
}

impl PessimisticImitator {
    /// The imitator before any data.
    ///
    /// # Errors
    /// As [`check_alpha`].
    pub fn new(class: Arc<ModelClass>, alpha: f64, rule: UpdateRule) -> Result<Self> {
        check_alpha(alpha)?;
        let posterior = Posterior::prior(&class);
        let top = top_set(posterior.ln_joint(Role::Action), alpha)?;
        Ok(Self {
            history: History::new(class.layout()),
            class,
            alpha,
            rule,
            posterior,
            top,
            learned_actions: 0,
        })
    }

    /// The imitator after trusted demonstrator data (learned under either rule).
    ///
    /// # Errors
    /// As [`PessimisticImitator::new`]; [`Error::OutsideAlphabet`] naming `demonstrator data`;
    /// [`Error::Empty`] if the data rule out every model.
    pub fn demonstrated(
        class: Arc<ModelClass>,
        alpha: f64,
        rule: UpdateRule,
        data: &[usize],
    ) -> Result<Self> {
        let mut m = Self::new(class, alpha, rule)?;
        for &x in data {
            m.observe_named("demonstrator data", x, Source::Demonstrator)?;
        }
        Ok(m)
    }

    /// α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The update rule.
    pub fn rule(&self) -> UpdateRule {
        self.rule
    }

    /// The class.
    pub fn class(&self) -> &ModelClass {
        &self.class
    }

    /// The posterior (action and observation joints).
    pub fn posterior(&self) -> &Posterior {
        &self.posterior
    }

    /// Number of action symbols the posterior has learned from.
    pub fn learned_actions(&self) -> usize {
        self.learned_actions
    }

    /// The current action top set `M^α`.
    pub fn top_set(&self) -> &TopSet {
        &self.top
    }

    /// `ν_α(· | h)` and θ at the next action position.
    ///
    /// # Errors
    /// [`Error::Config`] if the next position is an observation.
    pub fn prediction(&self) -> Result<SemiPrediction> {
        if self.history.next_role() != Role::Action {
            return Err(Error::Config(
                "the pessimistic imitator predicts actions; the next position is an observation"
                    .into(),
            ));
        }
        let preds: Vec<Vec<f64>> = self
            .top
            .members
            .iter()
            .map(|&i| self.class.model(i).ln_predict(&self.history))
            .collect();
        min_rule(&preds)
    }

    /// The ask-for-help probability θ at the next action position.
    ///
    /// # Errors
    /// As [`PessimisticImitator::prediction`].
    pub fn ask_probability(&self) -> Result<f64> {
        Ok(self.prediction()?.ask)
    }

    /// Appends `symbol` produced by `source`; the posterior learns from it unless it is the
    /// imitator's own action under [`UpdateRule::DemonstratorOnly`]. Observations always teach the
    /// observation posterior.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`]; [`Error::Empty`] if learning rules out every model.
    pub fn observe(&mut self, symbol: usize, source: Source) -> Result<()> {
        self.observe_named("symbol", symbol, source)
    }

    fn observe_named(&mut self, name: &'static str, symbol: usize, source: Source) -> Result<()> {
        self.class
            .layout()
            .check_symbol(name, self.history.len(), symbol)?;
        let role = self.history.next_role();
        let learn = role == Role::Observation
            || source == Source::Demonstrator
            || self.rule == UpdateRule::AllActions;
        if learn {
            let lik: Vec<f64> = (0..self.class.len())
                .map(|i| self.class.model(i).ln_prob(&self.history, symbol))
                .collect();
            if role == Role::Action
                && self
                    .posterior
                    .ln_joint(role)
                    .iter()
                    .zip(&lik)
                    .all(|(j, l)| *j + *l == f64::NEG_INFINITY)
            {
                // Refuse before mutating: the imitator stays usable.
                return Err(Error::Empty {
                    name: "posterior support (every model gives this action probability 0)",
                });
            }
            self.posterior.absorb(role, &lik);
            if role == Role::Action {
                self.learned_actions += 1;
                self.top = top_set(self.posterior.ln_joint(Role::Action), self.alpha)?;
            }
        }
        self.history.push_named(name, symbol)
    }
}

impl BasePolicy for PessimisticImitator {
    fn layout(&self) -> Layout {
        self.class.layout()
    }

    fn history(&self) -> &History {
        &self.history
    }

    /// `ln ν_α(·|h)` at action positions (a semi-distribution: the deficit is θ); `ln ξ_o(·|h)` at
    /// observation positions.
    fn ln_predict(&self) -> Vec<f64> {
        match self.history.next_role() {
            Role::Action => {
                let preds: Vec<Vec<f64>> = self
                    .top
                    .members
                    .iter()
                    .map(|&i| self.class.model(i).ln_predict(&self.history))
                    .collect();
                let mut ln_min = preds[0].clone();
                for p in &preds[1..] {
                    for (m, &v) in ln_min.iter_mut().zip(p) {
                        *m = m.min(v);
                    }
                }
                ln_min
            }
            Role::Observation => {
                let lw = self.posterior.ln_weights(Role::Observation);
                let n = self.class.layout().alphabet(Role::Observation);
                let mut terms: Vec<Vec<f64>> = vec![Vec::new(); n];
                for (i, &w) in lw.iter().enumerate() {
                    if w > f64::NEG_INFINITY {
                        for (s, lp) in self
                            .class
                            .model(i)
                            .ln_predict(&self.history)
                            .into_iter()
                            .enumerate()
                        {
                            terms[s].push(w + lp);
                        }
                    }
                }
                terms.iter().map(|t| logsumexp(t)).collect()
            }
        }
    }

    /// The symbol is treated as the regularised agent's own action ([`Source::Imitator`]): it
    /// is learned only under [`UpdateRule::AllActions`]. Use [`PessimisticImitator::observe`] with
    /// [`Source::Demonstrator`] for demonstrator data.
    fn update(&mut self, symbol: usize) -> Result<()> {
        self.observe(symbol, Source::Imitator)
    }

    fn clone_box(&self) -> Box<dyn BasePolicy> {
        Box::new(self.clone())
    }
}

/// Sequence-level `KL_m(π‖ρ) = Σ_{x_{1:m}} π(x) ln(π(x)/ρ(x))` over all `m`-symbol continuations of
/// the current histories (action-only layouts), exact by depth-first enumeration with the chain
/// rule `Σ_x π(x|h)[ln π(x|h) − ln ρ(x|h) + KL_{m−1}(hx)]`. π and ρ may be semi-distributions
/// (sums over complete continuations only). `+∞` when π gives positive mass to a continuation ρ
/// gives 0.
///
/// # Errors
/// [`Error::Config`] for an interleaved layout or layouts that differ; [`Error::TooLarge`] past
/// 2^22 continuations; errors of the policies' `update`.
pub fn sequence_kl(pi: &dyn BasePolicy, rho: &dyn BasePolicy, m: usize) -> Result<f64> {
    let l = pi.layout();
    if l.observations.is_some() || rho.layout() != l {
        return Err(Error::Config(
            "sequence_kl needs two action-only policies with the same layout".into(),
        ));
    }
    let leaves = (l.actions as f64).powi(m as i32);
    if leaves > (1u64 << 22) as f64 {
        return Err(Error::TooLarge {
            name: "horizon",
            value: m as f64,
            needed: format!("{leaves:.3e} continuations"),
            limit: "2^22 continuations".into(),
        });
    }
    kl_rec(pi, rho, m)
}

fn kl_rec(pi: &dyn BasePolicy, rho: &dyn BasePolicy, m: usize) -> Result<f64> {
    if m == 0 {
        return Ok(0.0);
    }
    let (lp, lr) = (pi.ln_predict(), rho.ln_predict());
    let mut s = Neumaier::new();
    for x in 0..lp.len() {
        if lp[x] == f64::NEG_INFINITY {
            continue;
        }
        if lr[x] == f64::NEG_INFINITY {
            return Ok(f64::INFINITY);
        }
        let (mut p2, mut r2) = (pi.clone_box(), rho.clone_box());
        p2.update(x)?;
        r2.update(x)?;
        let rest = kl_rec(p2.as_ref(), r2.as_ref(), m - 1)?;
        if rest == f64::INFINITY {
            return Ok(f64::INFINITY);
        }
        s.add(lp[x].exp() * (lp[x] - lr[x] + rest));
    }
    Ok(s.total())
}

/// `KL(π*‖ν_α)` of the switching policy of check C2 (play 1 at times `t..t+n−1` after `0^{t−1}`,
/// deterministic, so `KL = −ln ν_α(1^n | 0^{t−1})`) against the pessimistic imitator of `class`
/// whose first `t − 1` zeros came from the demonstrator. `+∞` whenever some top-set member gives
/// 1 probability 0 at one of those steps (e.g. `B_0` in the clock world). For the "KL needed vs
/// horizon" figure.
///
/// # Errors
/// [`Error::OutOfRange`] for `t == 0`; [`Error::NotPositive`] for `n == 0`; as
/// [`PessimisticImitator::demonstrated`].
pub fn pessimistic_switch_kl(
    class: Arc<ModelClass>,
    alpha: f64,
    rule: UpdateRule,
    t: usize,
    n: usize,
) -> Result<f64> {
    if t == 0 {
        return Err(Error::OutOfRange {
            name: "switch time t",
            value: 0.0,
            range: "[1, ∞)",
        });
    }
    if n == 0 {
        return Err(Error::NotPositive {
            name: "horizon n",
            value: 0.0,
        });
    }
    let mut imi = PessimisticImitator::demonstrated(class, alpha, rule, &vec![0; t - 1])?;
    let mut s = Neumaier::new();
    for _ in 0..n {
        let l = imi.ln_predict()[1];
        if l == f64::NEG_INFINITY {
            return Ok(f64::INFINITY);
        }
        s.add(-l);
        imi.update(1)?;
    }
    Ok(s.total())
}

// ---------------------------------------------------------------------------------------------
// The online process: act from ν_α, ask with probability θ, learn by the update rule.
// ---------------------------------------------------------------------------------------------

/// Settings of one online run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnlineSettings {
    /// α of the top set.
    pub alpha: f64,
    /// Posterior-update rule.
    pub rule: UpdateRule,
    /// Number of initial trusted demonstrator steps `k` (times `1..=k`).
    pub demo_steps: usize,
    /// Last time step `t_max` (the run covers `t = 1..=t_max`).
    pub horizon: usize,
}

/// One imitator step (times `t > k`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepRecord {
    /// Time `t` (1-based).
    pub t: usize,
    /// θ_t.
    pub ask: f64,
    /// `|M^α|` at `t`.
    pub top_size: usize,
    /// Whether µ was in the top set at `t`.
    pub mu_in_top: bool,
    /// Whether the demonstrator was queried.
    pub queried: bool,
    /// The action taken.
    pub action: usize,
}

/// Runs the online imitator with demonstrator `mu` (a class index) on an action-only class.
///
/// At `t <= k` the demonstrator acts (learned under both rules). At `t > k` the imitator draws
/// from `[ν_α(0), ν_α(1), …, θ]`: an action, or a query answered by `x ∼ µ(·|h)` (a demonstrator
/// action). The posterior learns according to the rule.
///
/// # Errors
/// [`Error::Config`] for an interleaved layout; [`Error::OutOfRange`] for a bad α or `mu`;
/// [`Error::NotPositive`] for horizon 0.
pub fn run_online<R: Rng + ?Sized>(
    class: &Arc<ModelClass>,
    mu: usize,
    s: &OnlineSettings,
    rng: &mut R,
) -> Result<Vec<StepRecord>> {
    if class.layout().observations.is_some() {
        return Err(Error::Config(
            "the online imitator runs on action-only classes".into(),
        ));
    }
    if mu >= class.len() {
        return Err(Error::OutOfRange {
            name: "demonstrator index mu",
            value: mu as f64,
            range: "[0, class size)",
        });
    }
    if s.horizon == 0 {
        return Err(Error::NotPositive {
            name: "horizon",
            value: 0.0,
        });
    }
    let mut imi = PessimisticImitator::new(class.clone(), s.alpha, s.rule)?;
    let demo = |imi: &PessimisticImitator, rng: &mut R| -> usize {
        let p = class.model(mu).ln_predict(imi.history());
        sample_ln(&p, rng)
    };
    let mut out = Vec::with_capacity(s.horizon.saturating_sub(s.demo_steps));
    for t in 1..=s.horizon {
        if t <= s.demo_steps {
            let x = demo(&imi, rng);
            imi.observe(x, Source::Demonstrator)?;
            continue;
        }
        let pred = imi.prediction()?;
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut choice = None;
        for (x, &p) in pred.probs.iter().enumerate() {
            acc += p;
            if u < acc {
                choice = Some(x);
                break;
            }
        }
        let rec_base = StepRecord {
            t,
            ask: pred.ask,
            top_size: imi.top.len(),
            mu_in_top: imi.top.contains(mu),
            queried: false,
            action: 0,
        };
        match choice {
            Some(x) => {
                imi.observe(x, Source::Imitator)?;
                out.push(StepRecord {
                    action: x,
                    ..rec_base
                });
            }
            None => {
                let x = demo(&imi, rng);
                imi.observe(x, Source::Demonstrator)?;
                out.push(StepRecord {
                    action: x,
                    queried: true,
                    ..rec_base
                });
            }
        }
    }
    Ok(out)
}

fn sample_ln<R: Rng + ?Sized>(ln_p: &[f64], rng: &mut R) -> usize {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (x, &l) in ln_p.iter().enumerate() {
        acc += l.exp();
        if u < acc {
            return x;
        }
    }
    // rounding: the last symbol with positive probability
    ln_p.iter()
        .rposition(|l| *l > f64::NEG_INFINITY)
        .unwrap_or(0)
}

/// Mean ± standard error of a per-time quantity over independent runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AskProfile {
    /// Times `t = k+1..=t_max`.
    pub t: Vec<usize>,
    /// Mean θ_t over runs (Rao–Blackwellised: the probability, not the query indicator).
    pub ask_mean: Vec<f64>,
    /// Its standard error (0 for one run).
    pub ask_se: Vec<f64>,
    /// Mean partial sum `Σ_{s<=t} θ_s³`.
    pub cubes_mean: Vec<f64>,
    /// Its standard error.
    pub cubes_se: Vec<f64>,
    /// Mean top-set size.
    pub top_mean: Vec<f64>,
    /// Fraction of runs in which µ left the top set at some step, and its standard error.
    pub p_mu_out: (f64, f64),
    /// Number of runs.
    pub runs: usize,
}

/// Runs [`run_online`] `runs` times on seeded streams `"{path}/run/{i}"` (rayon, one RNG per run,
/// fixed-order reduction) and averages.
///
/// # Errors
/// As [`run_online`]; [`Error::NotPositive`] for 0 runs; [`Error::Interrupted`] on Ctrl-C.
pub fn ask_profile(
    class: &Arc<ModelClass>,
    mu: usize,
    s: &OnlineSettings,
    runs: usize,
    seed: u64,
    path: &str,
) -> Result<AskProfile> {
    if runs == 0 {
        return Err(Error::NotPositive {
            name: "runs",
            value: 0.0,
        });
    }
    let results: Vec<Result<Vec<StepRecord>>> = (0..runs)
        .into_par_iter()
        .map(|i| {
            if crate::sim::interrupt::requested() {
                return Err(Error::Interrupted {
                    done: 0,
                    total: runs,
                });
            }
            let mut rng = stream_rng(seed, &format!("{path}/run/{i}"));
            run_online(class, mu, s, &mut rng)
        })
        .collect();
    let mut recs = Vec::with_capacity(runs);
    for r in results {
        recs.push(r?);
    }
    let steps = recs[0].len();
    let nf = runs as f64;
    let mut prof = AskProfile {
        t: recs[0].iter().map(|r| r.t).collect(),
        ask_mean: Vec::new(),
        ask_se: Vec::new(),
        cubes_mean: Vec::new(),
        cubes_se: Vec::new(),
        top_mean: Vec::new(),
        p_mu_out: (0.0, 0.0),
        runs,
    };
    let mut cubes = vec![Neumaier::new(); runs];
    for k in 0..steps {
        let asks: Vec<f64> = recs.iter().map(|r| r[k].ask).collect();
        for (c, a) in cubes.iter_mut().zip(&asks) {
            c.add(a.powi(3));
        }
        let cs: Vec<f64> = cubes.iter().map(|c| c.total()).collect();
        let (m, se) = mean_se(&asks);
        let (cm, cse) = mean_se(&cs);
        prof.ask_mean.push(m);
        prof.ask_se.push(se);
        prof.cubes_mean.push(cm);
        prof.cubes_se.push(cse);
        prof.top_mean
            .push(crate::numerics::neumaier_sum(recs.iter().map(|r| r[k].top_size as f64)) / nf);
    }
    let outs: Vec<f64> = recs
        .iter()
        .map(|r| f64::from(u8::from(r.iter().any(|x| !x.mu_in_top))))
        .collect();
    prof.p_mu_out = mean_se(&outs);
    Ok(prof)
}

/// `(mean, standard error)` with the `n − 1` variance (SE 0 for one value).
pub fn mean_se(x: &[f64]) -> (f64, f64) {
    let (m, v) = crate::numerics::moments::mean_var(x);
    if x.len() < 2 {
        return (m, 0.0);
    }
    (m, (v / x.len() as f64).sqrt())
}

// ---------------------------------------------------------------------------------------------
// Check C6 on the clock world
// ---------------------------------------------------------------------------------------------

/// The C2 clock world as an explicit class (36 873 models, shared).
///
/// # Errors
/// As [`ClockWorld::to_model_class`].
pub fn clock_class() -> Result<Arc<ModelClass>> {
    Ok(Arc::new(ClockWorld::c2().to_model_class()?))
}

/// C6's α = 0.999·δ·w(µ) with µ = `B0` (δ = 0.1 in the spec), from the class's normalised prior.
///
/// # Errors
/// [`Error::Config`] if the class has no model named `B0`.
pub fn c6_alpha(class: &ModelClass, delta: f64) -> Result<f64> {
    let mu = class
        .index_of("B0")
        .ok_or_else(|| Error::Config("the class has no model named B0".into()))?;
    Ok(0.999 * delta * class.ln_prior()[mu].exp())
}

/// One row of the C6 table: the imitator after `0^{t−1}` (learned under `AllActions`).
#[derive(Debug, Clone, PartialEq)]
pub struct ZeroHistoryRow {
    /// Time t.
    pub t: usize,
    /// Top-set member names in ranking order.
    pub top: Vec<String>,
    /// ν_α(0), ν_α(1).
    pub nu: Vec<f64>,
    /// θ_t.
    pub ask: f64,
}

/// The imitator's top set and prediction after `0^{t−1}` for `t = 1..=t_max` (every zero learned,
/// as under `AllActions` with µ = B0: the imitator never plays 1 because B0 gives it 0).
///
/// # Errors
/// As [`PessimisticImitator::new`].
pub fn zero_history_rows(
    class: &Arc<ModelClass>,
    alpha: f64,
    t_max: usize,
) -> Result<Vec<ZeroHistoryRow>> {
    let mut imi = PessimisticImitator::new(class.clone(), alpha, UpdateRule::AllActions)?;
    let mut rows = Vec::with_capacity(t_max);
    for t in 1..=t_max {
        let p = imi.prediction()?;
        rows.push(ZeroHistoryRow {
            t,
            top: imi
                .top
                .members
                .iter()
                .map(|&i| class.name(i).to_string())
                .collect(),
            nu: p.probs,
            ask: p.ask,
        });
        imi.observe(0, Source::Demonstrator)?;
    }
    Ok(rows)
}
