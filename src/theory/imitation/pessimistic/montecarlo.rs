//! Theorems 3 and 4 of Cohen et al. 2024 on random instances: Theorem 3 by Monte Carlo, Theorem 4
//! by exact dominance on random classes.
//!
//! **Theorem 3** (Cohen et al. 2022a, Thm 2): with data `x ∼ µ`, `µ ∈ M` and `α < δ·w(µ)`,
//! `P(∃t: µ ∉ M^α_{x<t}) <= δ`. The class here is [`BinaryMarkovClass`]: binary i.i.d. and order-1
//! Markov models with a `2^{−ℓ}` prior, stored as log tables so one step of one sequence costs O(|M|)
//! additions; membership of µ is decided without sorting: µ (rank n) is in the top set iff
//! `w_µ >= α·S_n`, i.e. `α·(1 + Σ_{ν ranked before µ} w_ν/w_µ) <= 1` (ties ranked by class index, as in
//! [`super::top_set`], which the tests use as the oracle). Sequences come from seeded streams
//! `"cohen-thm3/seq/{i}"`, run in parallel, and are reduced in index order.
//!
//! The online variant runs the imitator itself with a stochastic µ under both update rules
//! ([`super::ask_profile`]): under `DemonstratorOnly` the learned data are µ's answers and the bound
//! carries over; under `AllActions` the imitator learns from its own, more conservative actions
//! and µ can be pushed out of the top set (the spec's open point, §2.6).
//!
//! **Theorem 4**: if µ ∈ M^α at every history π can reach, then `ν_α <= µ` there, every log ratio
//! against ν_α is at least the one against µ, and `KL_m(π‖ν_α) >= KL_m(π‖µ)` ([`super::sequence_kl`],
//! exact). [`dominance`] evaluates one instance; [`random_instance`] draws instances (random
//! order-1 Markov classes with some zero probabilities, random prior, α, µ, and a random
//! semi-distribution π) from plain numbers, so the report check (seeded RNG) and the property test
//! (proptest strategies) use the same construction.

use std::sync::Arc;

use rand::Rng;
use rand::RngExt;
use rayon::prelude::*;

use super::{sequence_kl, PessimisticImitator, Source, UpdateRule};
use crate::error::{Error, Result};
use crate::numerics::{logsumexp, tol};
use crate::prob::Probs;
use crate::sim::seeds::stream_rng;
use crate::theory::imitation::class::{
    BasePolicy, FixedPolicy, History, Layout, Model, ModelClass, Role, Rule, SeqModel,
};

/// A class of binary order-≤1 Markov models (i.i.d. models are Markov with equal rows) with a
/// code-length prior; `ln_p[m][prev][x] = ln ν_m(x | previous symbol)`, the first symbol using
/// `prev = 0` (the convention of [`Rule::Markov`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryMarkovClass {
    names: Vec<String>,
    bits: Vec<f64>,
    p1: Vec<[f64; 2]>,
    ln_p: Vec<[[f64; 2]; 2]>,
    ln_prior: Vec<f64>,
}

impl BinaryMarkovClass {
    /// Models given by `(name, P(1|prev=0), P(1|prev=1), code bits)`.
    ///
    /// # Errors
    /// [`Error::Empty`]; [`Error::OutOfRange`] for a probability outside `[0, 1]`, negative or
    /// non-finite bits, or a Kraft sum above 1.
    pub fn new(models: &[(String, f64, f64, f64)]) -> Result<Self> {
        if models.is_empty() {
            return Err(Error::Empty {
                name: "model class",
            });
        }
        let mut c = Self {
            names: Vec::new(),
            bits: Vec::new(),
            p1: Vec::new(),
            ln_p: Vec::new(),
            ln_prior: Vec::new(),
        };
        for (name, a, b, bits) in models {
            for &p in &[*a, *b] {
                if !(0.0..=1.0).contains(&p) {
                    return Err(Error::OutOfRange {
                        name: "P(1 | previous symbol)",
                        value: p,
                        range: "[0, 1]",
                    });
                }
            }
            if !(*bits >= 0.0) || !bits.is_finite() {
                return Err(Error::OutOfRange {
                    name: "code length (bits)",
                    value: *bits,
                    range: "[0, ∞)",
                });
            }
            c.names.push(name.clone());
            c.bits.push(*bits);
            c.p1.push([*a, *b]);
            c.ln_p
                .push([[(-a).ln_1p(), a.ln()], [(-b).ln_1p(), b.ln()]]);
        }
        let ln_w: Vec<f64> = c.bits.iter().map(|b| -b * std::f64::consts::LN_2).collect();
        let ln_k = logsumexp(&ln_w);
        if !(ln_k.exp() <= 1.0 + tol::SIMPLEX) {
            return Err(Error::OutOfRange {
                name: "Kraft sum of the code lengths",
                value: ln_k.exp(),
                range: "(0, 1]",
            });
        }
        c.ln_prior = ln_w.iter().map(|l| l - ln_k).collect();
        Ok(c)
    }

    /// The default Theorem-3 class: `Bern(i/16)`, i = 1..15, 5 bits each (flag + 4-bit index), and
    /// `Markov(a/8, b/8)`, a, b = 1..7, 7 bits each (flag + 3 + 3). Kraft sum 0.8516.
    pub fn thm3_default() -> Self {
        let mut m = Vec::new();
        for i in 1..16 {
            let p = f64::from(i) / 16.0;
            m.push((format!("Bern({i}/16)"), p, p, 5.0));
        }
        for a in 1..8 {
            for b in 1..8 {
                m.push((
                    format!("Markov({a}/8,{b}/8)"),
                    f64::from(a) / 8.0,
                    f64::from(b) / 8.0,
                    7.0,
                ));
            }
        }
        Self::new(&m).expect("valid default class")
    }

    /// Number of models.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Always false.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Index of the model named `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Normalised prior weight of model `i`.
    pub fn prior(&self, i: usize) -> f64 {
        self.ln_prior[i].exp()
    }

    /// The same class as a generic [`ModelClass`] of [`SeqModel`]s (the oracle in tests and the
    /// input of the online imitator).
    ///
    /// # Errors
    /// As [`ModelClass::from_code_lengths`].
    pub fn to_model_class(&self) -> Result<ModelClass> {
        let l = Layout::BINARY;
        let mut models: Vec<(String, Arc<dyn Model>)> = Vec::new();
        for (name, p) in self.names.iter().zip(&self.p1) {
            let rule = Rule::Markov {
                order: 1,
                table: vec![vec![1.0 - p[0], p[0]], vec![1.0 - p[1], p[1]]],
            };
            models.push((name.clone(), Arc::new(SeqModel::actions(l, rule)?)));
        }
        ModelClass::from_code_lengths(l, models, self.bits.clone())
    }
}

/// A Monte-Carlo estimate of a probability.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct McEstimate {
    /// Mean.
    pub mean: f64,
    /// Standard error `sqrt(p(1−p)/n)`.
    pub se: f64,
    /// Number of independent units.
    pub n: usize,
}

/// Theorem 3's experiment: the fraction of `n_seq` sequences of length `len` from model `mu`
/// in which µ leaves the top set at some `t <= len` (`t = 1` is the prior), and the fraction in
/// which the likelihood ratio `ξ(x_{<t})/µ(x_{<t})` ever reaches `w(µ)/α` (the event Ville's
/// inequality bounds by `α/w(µ)`; it contains the first event).
///
/// # Errors
/// [`Error::OutOfRange`] for a bad α or `mu`; [`Error::NotPositive`] for `n_seq == 0` or
/// `len == 0`; [`Error::Interrupted`] on Ctrl-C.
pub fn theorem3_mc(
    class: &BinaryMarkovClass,
    mu: usize,
    alpha: f64,
    n_seq: usize,
    len: usize,
    seed: u64,
) -> Result<(McEstimate, McEstimate)> {
    super::check_alpha(alpha)?;
    if mu >= class.len() {
        return Err(Error::OutOfRange {
            name: "demonstrator index mu",
            value: mu as f64,
            range: "[0, class size)",
        });
    }
    if n_seq == 0 || len == 0 {
        return Err(Error::NotPositive {
            name: "sequences and length",
            value: 0.0,
        });
    }
    let outs: Vec<Option<(bool, bool)>> = (0..n_seq)
        .into_par_iter()
        .map(|i| {
            if crate::sim::interrupt::requested() {
                return None;
            }
            let mut rng = stream_rng(seed, &format!("cohen-thm3/seq/{i}"));
            Some(one_sequence(class, mu, alpha, len, &mut rng))
        })
        .collect();
    let mut out = 0usize;
    let mut ville = 0usize;
    for (done, o) in outs.iter().enumerate() {
        let Some((a, b)) = o else {
            return Err(Error::Interrupted { done, total: n_seq });
        };
        out += usize::from(*a);
        ville += usize::from(*b);
    }
    let est = |k: usize| {
        let p = k as f64 / n_seq as f64;
        McEstimate {
            mean: p,
            se: (p * (1.0 - p) / n_seq as f64).sqrt(),
            n: n_seq,
        }
    };
    Ok((est(out), est(ville)))
}

/// One sequence: (µ left the top set, the likelihood ratio reached w(µ)/α).
fn one_sequence<R: Rng + ?Sized>(
    class: &BinaryMarkovClass,
    mu: usize,
    alpha: f64,
    len: usize,
    rng: &mut R,
) -> (bool, bool) {
    let mut lw = class.ln_prior.clone();
    let mut prev = 0usize;
    let (mut left, mut ville) = (false, false);
    for _t in 1..=len {
        // One pass: s_before = 1 + Σ_{ranked before µ} w_ν/w_µ decides membership (w_µ >= α·S_n);
        // s_all = 1 + Σ_{ν ≠ µ} w_ν/w_µ = ξ(x)/(w(µ)·µ(x)) decides the Ville event (>= 1/α).
        // Terms below e^-40 relative to w_µ are skipped: 64·e^-40 < 1e-15 cannot move either
        // comparison except at an exact tie with the threshold.
        let l_mu = lw[mu];
        let (mut s_before, mut s_all) = (1.0, 1.0);
        for (m, &l) in lw.iter().enumerate() {
            let d = l - l_mu;
            if m == mu || d < -40.0 {
                continue;
            }
            let e = d.exp();
            s_all += e;
            if d > 0.0 || (d == 0.0 && m < mu) {
                s_before += e;
            }
        }
        left |= alpha * s_before > 1.0;
        ville |= alpha * s_all >= 1.0;
        if left && ville {
            break;
        }
        let u: f64 = rng.random();
        let x = usize::from(u < class.p1[mu][prev]);
        for (l, t) in lw.iter_mut().zip(&class.ln_p) {
            *l += t[prev][x];
        }
        prev = x;
    }
    (left, ville)
}

// ---------------------------------------------------------------------------------------------
// Theorem 4
// ---------------------------------------------------------------------------------------------

/// A policy (or model) with a conditional table per `(time, previous symbol)` that may sum to
/// less than one: a semi-distribution for the Theorem-4 tests. Rows beyond the table repeat the
/// last one.
#[derive(Debug, Clone, PartialEq)]
pub struct SemiTable {
    alphabet: usize,
    /// `rows[t−1][prev]` = probabilities of the next symbol at time `t` after `prev` (0 at t = 1).
    rows: Vec<Vec<Vec<f64>>>,
}

impl SemiTable {
    /// Validates a table: every entry in `[0, 1]`, every row of length `alphabet` summing to `<= 1`.
    ///
    /// # Errors
    /// [`Error::Empty`]; [`Error::LengthMismatch`]; [`Error::NotAProbability`]; [`Error::OutOfRange`]
    /// for a row summing above 1.
    pub fn new(alphabet: usize, rows: Vec<Vec<Vec<f64>>>) -> Result<Self> {
        if rows.is_empty() || alphabet == 0 {
            return Err(Error::Empty {
                name: "semi-distribution table",
            });
        }
        for by_prev in &rows {
            crate::prob::probs::check_len(
                "table rows per time",
                by_prev.len(),
                "alphabet",
                alphabet,
            )?;
            for r in by_prev {
                crate::prob::probs::check_len("table row", r.len(), "alphabet", alphabet)?;
                for (index, &value) in r.iter().enumerate() {
                    if !(0.0..=1.0).contains(&value) {
                        return Err(Error::NotAProbability {
                            name: "semi-distribution entry",
                            index,
                            value,
                        });
                    }
                }
                let s = crate::numerics::neumaier_sum(r.iter().copied());
                if s > 1.0 + tol::SIMPLEX {
                    return Err(Error::OutOfRange {
                        name: "semi-distribution row sum",
                        value: s,
                        range: "[0, 1]",
                    });
                }
            }
        }
        Ok(Self { alphabet, rows })
    }
}

impl Model for SemiTable {
    fn layout(&self) -> Layout {
        Layout {
            actions: self.alphabet,
            observations: None,
        }
    }

    fn ln_prob(&self, history: &History, symbol: usize) -> f64 {
        let t = history.next_time();
        let prev = history.of_role(Role::Action).last().unwrap_or(0);
        let row = &self.rows[(t - 1).min(self.rows.len() - 1)][prev];
        row.get(symbol).map_or(f64::NEG_INFINITY, |p| p.ln())
    }

    fn describe(&self) -> String {
        format!(
            "semi-table over {} symbols, {} times",
            self.alphabet,
            self.rows.len()
        )
    }
}

/// Plain numbers that define one Theorem-4 instance (drawn by a proptest strategy or a seeded RNG).
#[derive(Debug, Clone, PartialEq)]
pub struct Thm4Raw {
    /// Alphabet size (2 or 3).
    pub alphabet: usize,
    /// Per model, per previous symbol, raw weights of the next symbol (entries < 0.2 become 0).
    pub models: Vec<Vec<Vec<f64>>>,
    /// Raw prior weights.
    pub prior: Vec<f64>,
    /// Index of µ (taken modulo the class size).
    pub mu: usize,
    /// α.
    pub alpha: f64,
    /// π's raw table: per time, per previous symbol, weights and a total mass in `[0, 1]`.
    pub pi: Vec<Vec<(Vec<f64>, f64)>>,
}

/// One Theorem-4 instance.
pub struct Thm4Instance {
    /// The class.
    pub class: Arc<ModelClass>,
    /// µ's index.
    pub mu: usize,
    /// α.
    pub alpha: f64,
    /// π (a semi-distribution).
    pub pi: Arc<SemiTable>,
    /// Horizon.
    pub horizon: usize,
}

/// Builds an instance from raw numbers.
///
/// # Errors
/// Construction errors of the class (none for raw numbers from [`draw_raw`] or the strategies).
pub fn random_instance(raw: &Thm4Raw) -> Result<Thm4Instance> {
    let k = raw.alphabet;
    let l = Layout::actions_only(k)?;
    let mut models: Vec<(String, Arc<dyn Model>)> = Vec::new();
    for (i, m) in raw.models.iter().enumerate() {
        let table: Vec<Vec<f64>> = m
            .iter()
            .map(|w| {
                let mut w: Vec<f64> = w.iter().map(|x| if *x < 0.2 { 0.0 } else { *x }).collect();
                if w.iter().all(|x| *x == 0.0) {
                    w[i % k] = 1.0;
                }
                let s: f64 = w.iter().sum();
                w.iter().map(|x| x / s).collect()
            })
            .collect();
        models.push((
            format!("m{i}"),
            Arc::new(SeqModel::actions(l, Rule::Markov { order: 1, table })?),
        ));
    }
    let prior = Probs::from_weights("prior", &raw.prior)?;
    let class = Arc::new(ModelClass::from_prior(l, models, &prior)?);
    let rows: Vec<Vec<Vec<f64>>> = raw
        .pi
        .iter()
        .map(|by_prev| {
            by_prev
                .iter()
                .map(|(w, mass)| {
                    let w: Vec<f64> = w.iter().map(|x| if *x < 0.15 { 0.0 } else { *x }).collect();
                    let s: f64 = w.iter().sum();
                    if s == 0.0 {
                        vec![0.0; k]
                    } else {
                        w.iter().map(|x| mass * x / s).collect()
                    }
                })
                .collect()
        })
        .collect();
    let horizon = raw.pi.len();
    Ok(Thm4Instance {
        mu: raw.mu % class.len(),
        alpha: raw.alpha,
        pi: Arc::new(SemiTable::new(k, rows)?),
        class,
        horizon,
    })
}

/// Draws raw numbers for an instance: 2–5 models over 2–3 symbols, horizon 1–4, α ∈ [1e-3, 0.5].
pub fn draw_raw<R: Rng + ?Sized>(rng: &mut R) -> Thm4Raw {
    let alphabet = 2 + usize::from(rng.random::<f64>() < 0.4);
    let n = 2 + (rng.random::<f64>() * 4.0) as usize;
    let horizon = 1 + (rng.random::<f64>() * 4.0) as usize;
    let mut u = |len: usize| -> Vec<f64> { (0..len).map(|_| rng.random::<f64>()).collect() };
    let models = (0..n)
        .map(|_| (0..alphabet).map(|_| u(alphabet)).collect())
        .collect();
    let prior = u(n).iter().map(|x| x + 0.05).collect();
    let pi = (0..horizon)
        .map(|_| {
            (0..alphabet)
                .map(|_| (u(alphabet), 0.5 + 0.5 * u(1)[0]))
                .collect()
        })
        .collect();
    let mu = (u(1)[0] * n as f64) as usize;
    let alpha = 1e-3 + 0.499 * u(1)[0];
    Thm4Raw {
        alphabet,
        models,
        prior,
        mu,
        alpha,
        pi,
    }
}

/// The outcome of one Theorem-4 instance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dominance {
    /// Whether µ ∈ M^α at every history π reaches with positive probability (before the horizon).
    pub hypothesis: bool,
    /// Whether `ν_α(x|h) <= µ(x|h)` at every such history and symbol.
    pub pointwise: bool,
    /// `KL_m(π‖ν_α)`.
    pub kl_nu_alpha: f64,
    /// `KL_m(π‖µ)`.
    pub kl_mu: f64,
}

/// Evaluates Theorem 4 on one instance (posterior learns every symbol: the definition of ν_α
/// conditions on the whole history).
///
/// # Errors
/// As [`sequence_kl`] and [`PessimisticImitator::new`].
pub fn dominance(inst: &Thm4Instance) -> Result<Dominance> {
    let imi = PessimisticImitator::new(inst.class.clone(), inst.alpha, UpdateRule::AllActions)?;
    let mu = FixedPolicy::new(Arc::new(ModelRef(inst.class.clone(), inst.mu)));
    let pi = FixedPolicy::new(inst.pi.clone());
    let mut hyp = true;
    let mut pw = true;
    walk(&imi, &mu, &pi, inst.mu, inst.horizon, &mut hyp, &mut pw)?;
    Ok(Dominance {
        hypothesis: hyp,
        pointwise: pw,
        kl_nu_alpha: sequence_kl(&pi, &imi, inst.horizon)?,
        kl_mu: sequence_kl(&pi, &mu, inst.horizon)?,
    })
}

fn walk(
    imi: &PessimisticImitator,
    mu: &FixedPolicy,
    pi: &FixedPolicy,
    mu_idx: usize,
    m: usize,
    hyp: &mut bool,
    pw: &mut bool,
) -> Result<()> {
    if m == 0 {
        return Ok(());
    }
    let in_top = imi.top_set().contains(mu_idx);
    *hyp &= in_top;
    if in_top {
        let (a, b) = (imi.ln_predict(), mu.ln_predict());
        *pw &= a.iter().zip(&b).all(|(x, y)| x <= y);
    }
    let nu = imi.ln_predict();
    for (x, l) in pi.ln_predict().into_iter().enumerate() {
        // Where ν_α(x|h) = 0 the KL against ν_α is already +∞ and nothing below matters (and if
        // every model gives x probability 0 the posterior after x is undefined).
        if l > f64::NEG_INFINITY && nu[x] > f64::NEG_INFINITY {
            let (mut i2, mut m2, mut p2) = (imi.clone(), mu.clone(), pi.clone());
            i2.observe(x, Source::Imitator)?;
            m2.update(x)?;
            p2.update(x)?;
            walk(&i2, &m2, &p2, mu_idx, m - 1, hyp, pw)?;
        }
    }
    Ok(())
}

/// Model `i` of a shared class, as a standalone [`Model`] (for [`FixedPolicy`]).
#[derive(Debug, Clone)]
pub struct ModelRef(pub Arc<ModelClass>, pub usize);

impl Model for ModelRef {
    fn layout(&self) -> Layout {
        self.0.layout()
    }
    fn ln_prob(&self, history: &History, symbol: usize) -> f64 {
        self.0.model(self.1).ln_prob(history, symbol)
    }
    fn describe(&self) -> String {
        self.0.model(self.1).describe()
    }
}
