//! Model classes and Bayesian imitators as base policies: the clock world of check C2,
//! context-tree weighting, and user-defined finite classes.
//!
//! A **model** ν is a (semi-)distribution over the next symbol of an interleaved history
//! `a_1 o_1 a_2 o_2 …` (or an action-only history). A **model class** is a finite list of models
//! with a prior; the **Bayesian imitator** is the mixture ξ with split action/observation
//! posteriors (spec §1.2, §1.4; Catt et al. 2023):
//!
//! ```text
//! w(ν)              = 2^{−ℓ(ν)} / Σ_ν' 2^{−ℓ(ν')}        (ℓ = code length in bits; or a given normalised prior)
//! w_a(ν | x_{<t})   ∝ w(ν) · Π_{action positions j < t}      ν(x_j | x_{<j})
//! w_o(ν | x_{<t})   ∝ w(ν) · Π_{observation positions j < t} ν(x_j | x_{<j})
//! ξ(x | x_{<t})     = Σ_ν w_r(ν | x_{<t}) · ν(x | x_{<t}),   r = role (action/observation) of position t
//! ```
//!
//! so the product of ξ's action conditionals over a block is `Σ_ν w_a(ν|h)·ν(actions | h, observations)`
//! and the action posterior does not move when observations arrive.
//!
//! Everything is exact in log space: posteriors are kept as unnormalised log joints
//! `ln w(ν) + Σ ln ν(·)` and normalised with [`logsumexp()`] (compensated). A code-length prior is the
//! explicit, documented normalisation `2^{−ℓ}/K` with the Kraft sum `K = Σ 2^{−ℓ} ≤ 1` (checked: a
//! class whose code lengths violate Kraft's inequality cannot come from a prefix-free code and is
//! refused). A prior given as probabilities must already sum to one ([`Probs`]); nothing is
//! renormalised silently.
//!
//! Interfaces:
//! * [`Model`]: one semi-distribution, a pure function of the history ([`SeqModel`] built from
//!   [`Rule`]s: Bernoulli, categorical, constant, deterministic sequence, Markov, switch).
//! * [`ModelClass`] + [`Posterior`]: the enumerated class, posterior weights, ranking, MAP model —
//!   what the pessimistic imitator needs.
//! * [`BasePolicy`]: a predictor updated on data with exact sequence probabilities; implemented by
//!   [`Mixture`] (any [`ModelClass`]), [`FixedPolicy`] (one model, e.g. the demonstrator),
//!   [`clock::ClockMixture`] (the 37k-model clock world, grouped analytically, O(J) per step) and
//!   [`ctw::Ctw`] (context-tree weighting).
//!
//! Reference: Cohen, Hutter, Bengio, Russell 2024, spec `../shared/spec/cohen2024.md` §1–§2.2, §5 C2.

pub mod clock;
pub mod config;
pub mod ctw;

use std::fmt::Debug;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::numerics::{logsumexp, tol, Neumaier, Tolerance};
use crate::prob::Probs;
use crate::report::CheckOptions;
use crate::report::{Check, Claim, Paper, Relation};

/// Whether a position of the history holds an action or an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An action `a_t` (odd positions `x_{2t−1}` in the paper's 1-based indexing).
    Action,
    /// An observation `o_t` (even positions `x_{2t}`).
    Observation,
}

impl Role {
    /// `"action"` or `"observation"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Action => "action",
            Role::Observation => "observation",
        }
    }

    fn index(self) -> usize {
        match self {
            Role::Action => 0,
            Role::Observation => 1,
        }
    }
}

/// Alphabet sizes and the interleaving of a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// Size of the action alphabet `{0, …, actions − 1}`.
    pub actions: usize,
    /// Size of the observation alphabet; `None` for action-only histories (no observations).
    pub observations: Option<usize>,
}

impl Layout {
    /// Action-only histories `a_1 a_2 …`.
    ///
    /// # Errors
    /// [`Error::Empty`] if `actions == 0`.
    pub fn actions_only(actions: usize) -> Result<Self> {
        Self::validated(Self {
            actions,
            observations: None,
        })
    }

    /// Interleaved histories `a_1 o_1 a_2 o_2 …`.
    ///
    /// # Errors
    /// [`Error::Empty`] if either alphabet is empty.
    pub fn interleaved(actions: usize, observations: usize) -> Result<Self> {
        Self::validated(Self {
            actions,
            observations: Some(observations),
        })
    }

    /// Checks both alphabets are non-empty (for layouts read from configs).
    ///
    /// # Errors
    /// [`Error::Empty`] naming the empty alphabet.
    pub fn validated(self) -> Result<Self> {
        if self.actions == 0 {
            return Err(Error::Empty {
                name: "action alphabet",
            });
        }
        if self.observations == Some(0) {
            return Err(Error::Empty {
                name: "observation alphabet",
            });
        }
        Ok(self)
    }

    /// The binary action-only layout of the clock world and CTW.
    pub const BINARY: Layout = Layout {
        actions: 2,
        observations: None,
    };

    /// Role of the 0-based position `pos`.
    pub fn role_at(&self, pos: usize) -> Role {
        match self.observations {
            None => Role::Action,
            Some(_) if pos % 2 == 0 => Role::Action,
            Some(_) => Role::Observation,
        }
    }

    /// Alphabet size of a role (1 for observations of an action-only layout).
    pub fn alphabet(&self, role: Role) -> usize {
        match role {
            Role::Action => self.actions,
            Role::Observation => self.observations.unwrap_or(1),
        }
    }

    /// Errors with [`Error::OutsideAlphabet`] unless `symbol` is valid at position `pos`.
    ///
    /// # Errors
    /// As described.
    pub fn check_symbol(&self, name: &'static str, pos: usize, symbol: usize) -> Result<()> {
        let role = self.role_at(pos);
        let size = self.alphabet(role);
        if symbol >= size {
            return Err(Error::OutsideAlphabet {
                name,
                position: pos,
                symbol,
                role: role.as_str(),
                max: size - 1,
            });
        }
        Ok(())
    }
}

/// A validated history: every symbol lies in the alphabet of its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    layout: Layout,
    symbols: Vec<usize>,
}

impl History {
    /// The empty history.
    pub fn new(layout: Layout) -> Self {
        Self {
            layout,
            symbols: Vec::new(),
        }
    }

    /// A history from raw symbols, validated; `name` appears in the error (e.g. `"demonstrator data"`).
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`] for the first symbol outside its alphabet.
    pub fn from_symbols(layout: Layout, name: &'static str, symbols: &[usize]) -> Result<Self> {
        for (pos, &s) in symbols.iter().enumerate() {
            layout.check_symbol(name, pos, s)?;
        }
        Ok(Self {
            layout,
            symbols: symbols.to_vec(),
        })
    }

    /// Appends one symbol after validating it.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`].
    pub fn push(&mut self, symbol: usize) -> Result<()> {
        self.push_named("symbol", symbol)
    }

    /// Appends one symbol; `name` is used in the error.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`].
    pub fn push_named(&mut self, name: &'static str, symbol: usize) -> Result<()> {
        self.layout.check_symbol(name, self.symbols.len(), symbol)?;
        self.symbols.push(symbol);
        Ok(())
    }

    /// Removes and returns the last symbol.
    pub fn pop(&mut self) -> Option<usize> {
        self.symbols.pop()
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// All symbols, interleaved.
    pub fn symbols(&self) -> &[usize] {
        &self.symbols
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    /// Whether the history is empty.
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }

    /// Role of the next position.
    pub fn next_role(&self) -> Role {
        self.layout.role_at(self.symbols.len())
    }

    /// Number of symbols of `role` so far.
    pub fn count(&self, role: Role) -> usize {
        match (self.layout.observations, role) {
            (None, Role::Action) => self.symbols.len(),
            (None, Role::Observation) => 0,
            (Some(_), Role::Action) => self.symbols.len().div_ceil(2),
            (Some(_), Role::Observation) => self.symbols.len() / 2,
        }
    }

    /// The 1-based time index `t` of the next symbol within its role: the next action is `a_t`
    /// with `t = #actions + 1`, the next observation is `o_t` with `t = #observations + 1`.
    pub fn next_time(&self) -> usize {
        self.count(self.next_role()) + 1
    }

    /// The symbols of one role, oldest first.
    pub fn of_role(&self, role: Role) -> impl DoubleEndedIterator<Item = usize> + '_ {
        let (start, step) = match (self.layout.observations, role) {
            (None, Role::Action) => (0, 1),
            (None, Role::Observation) => (self.symbols.len(), 1),
            (Some(_), Role::Action) => (0, 2),
            (Some(_), Role::Observation) => (1, 2),
        };
        self.symbols.iter().skip(start).step_by(step).copied()
    }
}

/// One model ν of a class: a (semi-)distribution of the next symbol given the history.
///
/// Implementations must be pure functions of the history. The predictive may sum to less than
/// one (a semi-distribution, spec §1.1); it must never exceed one.
pub trait Model: Debug + Send + Sync {
    /// The layout the model predicts.
    fn layout(&self) -> Layout;
    /// `ln ν(symbol | history)` for a symbol valid at the next position (`-∞` for impossible).
    fn ln_prob(&self, history: &History, symbol: usize) -> f64;
    /// `ln ν(· | history)` over the next position's alphabet.
    fn ln_predict(&self, history: &History) -> Vec<f64> {
        let n = self.layout().alphabet(history.next_role());
        (0..n).map(|s| self.ln_prob(history, s)).collect()
    }
    /// Short human-readable description.
    fn describe(&self) -> String;
}

/// A rule for the symbols of one role, as written in configs (`kind = "bernoulli"`, …).
///
/// Times are 1-based within the role: the rule for actions sees `t` = index of the action and
/// the past actions only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// i.i.d. on a binary alphabet with `P(1) = p`.
    Bernoulli {
        /// Probability of symbol 1, in `[0, 1]`.
        p: f64,
    },
    /// i.i.d. categorical (must sum to one).
    Categorical {
        /// Probabilities of the symbols.
        probs: Vec<f64>,
    },
    /// Always the same symbol.
    Constant {
        /// The symbol.
        symbol: usize,
    },
    /// A deterministic sequence, repeated cyclically (`symbols[(t−1) mod len]`).
    Sequence {
        /// The symbols.
        symbols: Vec<usize>,
    },
    /// Markov chain of order `order` on the role's own past: row `c` of `table` is the
    /// distribution after context `c = Σ_i s_{t−i}·A^{i−1}` (most recent symbol least significant);
    /// before `order` symbols exist, missing ones count as symbol 0.
    Markov {
        /// Order (number of past symbols used).
        order: usize,
        /// `A^order` rows, each a distribution over the `A` symbols.
        table: Vec<Vec<f64>>,
    },
    /// Behave as `before` at times `t < at`, as `after` at times `t >= at` (the switched copy of
    /// spec §2.2 step 3 with the event "time = at").
    Switch {
        /// Rule before the switch.
        before: Box<Rule>,
        /// First time (1-based) of the `after` rule.
        at: u64,
        /// Rule from time `at` on.
        after: Box<Rule>,
    },
}

/// A [`Rule`] validated against an alphabet, with log-probabilities precomputed.
#[derive(Debug, Clone, PartialEq)]
pub enum CompiledRule {
    /// i.i.d. with these log-probabilities.
    Iid(Vec<f64>),
    /// Deterministic sequence (cyclic).
    Sequence(Vec<usize>),
    /// Markov chain: order, alphabet, log table (row-major, `A^order × A`).
    Markov {
        /// Order.
        order: usize,
        /// Alphabet size.
        alphabet: usize,
        /// `ln P(s | context)` at `context·A + s`.
        ln_table: Vec<f64>,
    },
    /// Switch at time `at`.
    Switch(Box<CompiledRule>, u64, Box<CompiledRule>),
}

impl Rule {
    /// The rule "i.i.d. Bernoulli(p)".
    pub fn bernoulli(p: f64) -> Rule {
        Rule::Bernoulli { p }
    }

    /// Validates the rule for an alphabet of `size` symbols; `name` names it in errors.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] (p outside `[0, 1]`, switch time 0), [`Error::NotAProbability`] /
    /// [`Error::NotNormalised`] / [`Error::LengthMismatch`] (categorical, Markov rows),
    /// [`Error::OutsideAlphabet`] (constant/sequence symbols), [`Error::Empty`] (empty sequence),
    /// [`Error::TooLarge`] (Markov table over 2^24 rows).
    pub fn compile(&self, name: &'static str, size: usize) -> Result<CompiledRule> {
        let role = "rule";
        match self {
            Rule::Bernoulli { p } => {
                if size != 2 {
                    return Err(Error::Config(format!("{name}: a bernoulli rule needs a binary alphabet, this one has {size} symbols")));
                }
                if !(*p >= 0.0 && *p <= 1.0) {
                    return Err(Error::OutOfRange {
                        name: "bernoulli p",
                        value: *p,
                        range: "[0, 1]",
                    });
                }
                Ok(CompiledRule::Iid(vec![(-p).ln_1p(), p.ln()]))
            }
            Rule::Categorical { probs } => {
                if probs.len() != size {
                    return Err(Error::LengthMismatch {
                        left: "categorical probs",
                        left_len: probs.len(),
                        right: "alphabet",
                        right_len: size,
                    });
                }
                let p = Probs::new_named("categorical probs", probs.clone())?;
                Ok(CompiledRule::Iid(
                    p.as_slice().iter().map(|x| x.ln()).collect(),
                ))
            }
            Rule::Constant { symbol } => {
                if *symbol >= size {
                    return Err(Error::OutsideAlphabet {
                        name,
                        position: 0,
                        symbol: *symbol,
                        role,
                        max: size - 1,
                    });
                }
                Ok(CompiledRule::Sequence(vec![*symbol]))
            }
            Rule::Sequence { symbols } => {
                if symbols.is_empty() {
                    return Err(Error::Empty {
                        name: "sequence symbols",
                    });
                }
                for (position, &symbol) in symbols.iter().enumerate() {
                    if symbol >= size {
                        return Err(Error::OutsideAlphabet {
                            name,
                            position,
                            symbol,
                            role,
                            max: size - 1,
                        });
                    }
                }
                Ok(CompiledRule::Sequence(symbols.clone()))
            }
            Rule::Markov { order, table } => {
                let rows = (size as f64).powi(*order as i32);
                if rows > (1u64 << 24) as f64 {
                    return Err(Error::TooLarge {
                        name: "markov order",
                        value: *order as f64,
                        needed: format!("{rows:.3e} table rows"),
                        limit: format!("{} rows", 1u64 << 24),
                    });
                }
                let rows = rows as usize;
                if table.len() != rows {
                    return Err(Error::LengthMismatch {
                        left: "markov table rows",
                        left_len: table.len(),
                        right: "alphabet^order",
                        right_len: rows,
                    });
                }
                let mut ln_table = Vec::with_capacity(rows * size);
                for row in table {
                    if row.len() != size {
                        return Err(Error::LengthMismatch {
                            left: "markov table row",
                            left_len: row.len(),
                            right: "alphabet",
                            right_len: size,
                        });
                    }
                    let p = Probs::new_named("markov table row", row.clone())?;
                    ln_table.extend(p.as_slice().iter().map(|x| x.ln()));
                }
                Ok(CompiledRule::Markov {
                    order: *order,
                    alphabet: size,
                    ln_table,
                })
            }
            Rule::Switch { before, at, after } => {
                if *at == 0 {
                    return Err(Error::OutOfRange {
                        name: "switch time `at`",
                        value: 0.0,
                        range: "[1, ∞) (times are 1-based)",
                    });
                }
                Ok(CompiledRule::Switch(
                    Box::new(before.compile(name, size)?),
                    *at,
                    Box::new(after.compile(name, size)?),
                ))
            }
        }
    }

    /// Short description, e.g. `Bern(0.25)`, `switch@10(Bern(0.5) → const 1)`.
    pub fn describe(&self) -> String {
        match self {
            Rule::Bernoulli { p } => format!("Bern({p})"),
            Rule::Categorical { probs } => format!("Cat({probs:?})"),
            Rule::Constant { symbol } => format!("const {symbol}"),
            Rule::Sequence { symbols } => format!("seq {symbols:?}"),
            Rule::Markov { order, .. } => format!("Markov({order})"),
            Rule::Switch { before, at, after } => {
                format!("switch@{at}({} → {})", before.describe(), after.describe())
            }
        }
    }
}

impl CompiledRule {
    /// `ln P(symbol)` at 1-based time `t` given the role's past symbols (oldest first).
    pub fn ln_prob<I>(&self, t: u64, past: I, symbol: usize) -> f64
    where
        I: DoubleEndedIterator<Item = usize>,
    {
        match self {
            CompiledRule::Iid(lp) => lp.get(symbol).copied().unwrap_or(f64::NEG_INFINITY),
            CompiledRule::Sequence(s) => {
                if s[((t - 1) % s.len() as u64) as usize] == symbol {
                    0.0
                } else {
                    f64::NEG_INFINITY
                }
            }
            CompiledRule::Markov {
                order,
                alphabet,
                ln_table,
            } => {
                let mut ctx = 0usize;
                let mut mult = 1usize;
                for s in past.rev().take(*order) {
                    ctx += s * mult;
                    mult *= alphabet;
                }
                ln_table[ctx * alphabet + symbol]
            }
            CompiledRule::Switch(before, at, after) => {
                if t < *at {
                    before.ln_prob(t, past, symbol)
                } else {
                    after.ln_prob(t, past, symbol)
                }
            }
        }
    }
}

/// A model built from one [`Rule`] for actions and (optionally) one for observations.
///
/// Observations without a rule are uniform over the observation alphabet (so they carry no
/// evidence about the model).
#[derive(Debug, Clone)]
pub struct SeqModel {
    layout: Layout,
    action_rule: Rule,
    action: CompiledRule,
    observation: Option<(Rule, CompiledRule)>,
}

impl SeqModel {
    /// Validates the rules against the layout.
    ///
    /// # Errors
    /// As [`Rule::compile`]; [`Error::Config`] for an observation rule in an action-only layout.
    pub fn new(layout: Layout, action: Rule, observation: Option<Rule>) -> Result<Self> {
        let layout = layout.validated()?;
        let compiled = action.compile("action rule", layout.actions)?;
        let observation = match (observation, layout.observations) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(Error::Config(
                    "an observation rule was given for an action-only layout".into(),
                ))
            }
            (Some(r), Some(n)) => {
                let c = r.compile("observation rule", n)?;
                Some((r, c))
            }
        };
        Ok(Self {
            layout,
            action_rule: action,
            action: compiled,
            observation,
        })
    }

    /// An action-only model with one rule.
    ///
    /// # Errors
    /// As [`SeqModel::new`].
    pub fn actions(layout: Layout, action: Rule) -> Result<Self> {
        Self::new(layout, action, None)
    }

    /// The action rule.
    pub fn action_rule(&self) -> &Rule {
        &self.action_rule
    }
}

impl Model for SeqModel {
    fn layout(&self) -> Layout {
        self.layout
    }

    fn ln_prob(&self, history: &History, symbol: usize) -> f64 {
        let role = history.next_role();
        let t = history.next_time() as u64;
        match role {
            Role::Action => self
                .action
                .ln_prob(t, history.of_role(Role::Action), symbol),
            Role::Observation => match &self.observation {
                Some((_, c)) => c.ln_prob(t, history.of_role(Role::Observation), symbol),
                None => {
                    let n = self.layout.alphabet(Role::Observation);
                    if symbol < n {
                        -(n as f64).ln()
                    } else {
                        f64::NEG_INFINITY
                    }
                }
            },
        }
    }

    fn describe(&self) -> String {
        match &self.observation {
            None => self.action_rule.describe(),
            Some((r, _)) => format!("a: {}, o: {}", self.action_rule.describe(), r.describe()),
        }
    }
}

/// A finite model class with a validated prior.
#[derive(Debug, Clone)]
pub struct ModelClass {
    layout: Layout,
    models: Vec<Arc<dyn Model>>,
    names: Vec<String>,
    code_bits: Option<Vec<f64>>,
    ln_prior: Vec<f64>,
    kraft: f64,
}

impl ModelClass {
    /// A class with prior `w(ν) = 2^{−ℓ(ν)} / K`, `K = Σ 2^{−ℓ}` (the Kraft sum).
    ///
    /// # Errors
    /// [`Error::Empty`] for no models; [`Error::LengthMismatch`]; [`Error::NotFinite`] /
    /// [`Error::OutOfRange`] for a code length that is not finite and `>= 0`;
    /// [`Error::OutOfRange`] if the Kraft sum exceeds 1 (no prefix-free code has these lengths);
    /// [`Error::Config`] for a model whose layout differs from the class's.
    pub fn from_code_lengths(
        layout: Layout,
        models: Vec<(String, Arc<dyn Model>)>,
        bits: Vec<f64>,
    ) -> Result<Self> {
        if models.is_empty() {
            return Err(Error::Empty {
                name: "model class",
            });
        }
        if bits.len() != models.len() {
            return Err(Error::LengthMismatch {
                left: "models",
                left_len: models.len(),
                right: "code lengths",
                right_len: bits.len(),
            });
        }
        for &b in &bits {
            if !b.is_finite() {
                return Err(Error::NotFinite {
                    name: "code length (bits)",
                    value: b,
                });
            }
            if !(b >= 0.0) {
                return Err(Error::OutOfRange {
                    name: "code length (bits)",
                    value: b,
                    range: "[0, ∞)",
                });
            }
        }
        let ln2 = std::f64::consts::LN_2;
        let ln_w: Vec<f64> = bits.iter().map(|b| -b * ln2).collect();
        let ln_k = logsumexp(&ln_w);
        let kraft = ln_k.exp();
        // Kraft's inequality with a rounding allowance.
        if !(kraft <= 1.0 + tol::SIMPLEX) {
            return Err(Error::OutOfRange {
                name: "Kraft sum Σ 2^-ℓ of the code lengths",
                value: kraft,
                range: "(0, 1] (a prefix-free code)",
            });
        }
        let ln_prior = ln_w.iter().map(|l| l - ln_k).collect();
        Self::assemble(layout, models, Some(bits), ln_prior, kraft)
    }

    /// A class with an explicit normalised prior.
    ///
    /// # Errors
    /// [`Error::Empty`]; [`Error::LengthMismatch`]; [`Error::Config`] for a layout mismatch. (The
    /// prior is a [`Probs`], so it is already validated as normalised.)
    pub fn from_prior(
        layout: Layout,
        models: Vec<(String, Arc<dyn Model>)>,
        prior: &Probs,
    ) -> Result<Self> {
        if models.is_empty() {
            return Err(Error::Empty {
                name: "model class",
            });
        }
        if prior.len() != models.len() {
            return Err(Error::LengthMismatch {
                left: "models",
                left_len: models.len(),
                right: "prior",
                right_len: prior.len(),
            });
        }
        let ln_prior = prior.as_slice().iter().map(|p| p.ln()).collect();
        Self::assemble(layout, models, None, ln_prior, 1.0)
    }

    fn assemble(
        layout: Layout,
        models: Vec<(String, Arc<dyn Model>)>,
        code_bits: Option<Vec<f64>>,
        ln_prior: Vec<f64>,
        kraft: f64,
    ) -> Result<Self> {
        let layout = layout.validated()?;
        let mut names = Vec::with_capacity(models.len());
        let mut ms = Vec::with_capacity(models.len());
        for (name, m) in models {
            if m.layout() != layout {
                return Err(Error::Config(format!(
                    "model `{name}` has layout {:?}, the class has {:?}",
                    m.layout(),
                    layout
                )));
            }
            names.push(name);
            ms.push(m);
        }
        Ok(Self {
            layout,
            models: ms,
            names,
            code_bits,
            ln_prior,
            kraft,
        })
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Number of models.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Always false (a class has at least one model).
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// Model `i`.
    pub fn model(&self, i: usize) -> &dyn Model {
        self.models[i].as_ref()
    }

    /// Name of model `i`.
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// Index of the model named `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// Code length of model `i` in bits (`None` for a class built from a prior).
    pub fn code_bits(&self, i: usize) -> Option<f64> {
        self.code_bits.as_ref().map(|b| b[i])
    }

    /// The normalised log prior `ln w(ν)`.
    pub fn ln_prior(&self) -> &[f64] {
        &self.ln_prior
    }

    /// Kraft sum `Σ 2^{−ℓ}` (1 for a class built from a prior).
    pub fn kraft_sum(&self) -> f64 {
        self.kraft
    }
}

/// Split action/observation posterior over an enumerated class, kept as unnormalised log joints.
#[derive(Debug, Clone, PartialEq)]
pub struct Posterior {
    ln_joint: [Vec<f64>; 2],
}

impl Posterior {
    /// The prior (both roles).
    pub fn prior(class: &ModelClass) -> Self {
        Self {
            ln_joint: [class.ln_prior.clone(), class.ln_prior.clone()],
        }
    }

    /// `ln w(ν) + Σ ln ν(x_j | x_{<j})` over the positions of `role` seen so far.
    pub fn ln_joint(&self, role: Role) -> &[f64] {
        &self.ln_joint[role.index()]
    }

    /// `ln Σ_ν w(ν) Π ν(…)`: the log of the product of ξ's conditionals over the `role` positions.
    pub fn ln_evidence(&self, role: Role) -> f64 {
        logsumexp(&self.ln_joint[role.index()])
    }

    /// Normalised log posterior weights `ln w_role(ν | h)` (`-∞` for ruled-out models).
    pub fn ln_weights(&self, role: Role) -> Vec<f64> {
        let z = self.ln_evidence(role);
        self.ln_joint[role.index()].iter().map(|l| l - z).collect()
    }

    /// Normalised posterior weights `w_role(ν | h)`.
    pub fn weights(&self, role: Role) -> Vec<f64> {
        self.ln_weights(role).into_iter().map(f64::exp).collect()
    }

    /// Model indices by decreasing posterior weight (ties by index, so deterministic).
    pub fn ranking(&self, role: Role) -> Vec<usize> {
        let lj = &self.ln_joint[role.index()];
        let mut idx: Vec<usize> = (0..lj.len()).collect();
        idx.sort_by(|&a, &b| lj[b].total_cmp(&lj[a]).then(a.cmp(&b)));
        idx
    }

    /// The maximum-a-posteriori model (lowest index among ties).
    pub fn map(&self, role: Role) -> usize {
        let lj = &self.ln_joint[role.index()];
        let mut best = 0;
        for (i, &l) in lj.iter().enumerate() {
            if l > lj[best] {
                best = i;
            }
        }
        best
    }

    /// Adds `ln ν_i(x)` for each model to the joint of `role`.
    pub fn absorb(&mut self, role: Role, ln_likelihoods: &[f64]) {
        for (j, l) in self.ln_joint[role.index()].iter_mut().zip(ln_likelihoods) {
            *j += l;
        }
    }
}

/// A binary predictive `(ln p(0), ln p(1))` from two computed log-probabilities that should sum to
/// one: keeps the smaller as computed and sets the larger to `ln(1 − smaller)`, so the pair is an
/// exact distribution and the small probability keeps its relative accuracy.
pub fn complete_binary(l0: f64, l1: f64) -> Vec<f64> {
    if l0 <= l1 {
        vec![l0, (-l0.exp()).ln_1p()]
    } else {
        vec![(-l1.exp()).ln_1p(), l1]
    }
}

/// A predictor with exact sequence probabilities, updated on data: the interface of every base
/// policy β (Bayesian mixtures, CTW, a single fixed model).
///
/// Predictions are natural-log (semi-)distributions over the alphabet of the next position.
pub trait BasePolicy: Send {
    /// The layout.
    fn layout(&self) -> Layout;
    /// The history absorbed so far.
    fn history(&self) -> &History;
    /// `ln ρ(· | history)` over the next position's alphabet (may sum to < 1).
    fn ln_predict(&self) -> Vec<f64>;
    /// Appends `symbol` to the history and updates the predictor.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`].
    fn update(&mut self, symbol: usize) -> Result<()>;
    /// A boxed clone (for look-ahead).
    fn clone_box(&self) -> Box<dyn BasePolicy>;

    /// `ln ρ(symbol | history)`.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`].
    fn ln_prob_next(&self, symbol: usize) -> Result<f64> {
        let h = self.history();
        self.layout().check_symbol("symbol", h.len(), symbol)?;
        Ok(self.ln_predict()[symbol])
    }

    /// `ln ρ(symbols | history)` by the chain rule (compensated), absorbing the symbols.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`] naming `data` and the position.
    fn ln_prob_extend(&mut self, symbols: &[usize]) -> Result<f64> {
        let mut s = Neumaier::new();
        for &x in symbols {
            let pos = self.history().len();
            self.layout().check_symbol("data", pos, x)?;
            s.add(self.ln_predict()[x]);
            self.update(x)?;
        }
        Ok(s.total())
    }

    /// `ln ρ(actions | history, observations)`: the sum over the **action** positions only of
    /// the log conditionals along `symbols` (the quantity Definition 2 compares).
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`].
    fn ln_prob_actions_extend(&mut self, symbols: &[usize]) -> Result<f64> {
        let mut s = Neumaier::new();
        for &x in symbols {
            let pos = self.history().len();
            let layout = self.layout();
            layout.check_symbol("data", pos, x)?;
            if layout.role_at(pos) == Role::Action {
                s.add(self.ln_predict()[x]);
            }
            self.update(x)?;
        }
        Ok(s.total())
    }
}

impl Clone for Box<dyn BasePolicy> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// The Bayesian mixture ξ over an enumerated [`ModelClass`] with split posteriors.
#[derive(Debug, Clone)]
pub struct Mixture {
    class: Arc<ModelClass>,
    history: History,
    posterior: Posterior,
}

impl Mixture {
    /// The prior mixture (empty history).
    pub fn new(class: Arc<ModelClass>) -> Self {
        let posterior = Posterior::prior(&class);
        Self {
            history: History::new(class.layout),
            class,
            posterior,
        }
    }

    /// The mixture conditioned on `data` (validated; `name` appears in errors).
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`].
    pub fn conditioned(class: Arc<ModelClass>, name: &'static str, data: &[usize]) -> Result<Self> {
        let mut m = Self::new(class);
        for &x in data {
            m.update_named(name, x)?;
        }
        Ok(m)
    }

    /// The class.
    pub fn class(&self) -> &ModelClass {
        &self.class
    }

    /// The posterior.
    pub fn posterior(&self) -> &Posterior {
        &self.posterior
    }

    /// `ln ν_i(· | history)`: model `i`'s predictive distribution.
    pub fn model_predictive(&self, i: usize) -> Vec<f64> {
        self.class.model(i).ln_predict(&self.history)
    }

    /// Posterior weights for the role of the next position.
    pub fn weights_next(&self) -> Vec<f64> {
        self.posterior.weights(self.history.next_role())
    }

    /// Appends a symbol and updates the posterior; `name` names the data in errors.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`].
    pub fn update_named(&mut self, name: &'static str, symbol: usize) -> Result<()> {
        self.class
            .layout
            .check_symbol(name, self.history.len(), symbol)?;
        let role = self.history.next_role();
        let lik: Vec<f64> = (0..self.class.len())
            .map(|i| self.class.model(i).ln_prob(&self.history, symbol))
            .collect();
        self.posterior.absorb(role, &lik);
        self.history.push_named(name, symbol)
    }

    /// Appends a symbol to the history **without** updating the posterior (for imitators that
    /// learn only from demonstrator data; spec §2.6 leaves the rule open).
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`].
    pub fn append_without_learning(&mut self, symbol: usize) -> Result<()> {
        self.history.push(symbol)
    }
}

impl BasePolicy for Mixture {
    fn layout(&self) -> Layout {
        self.class.layout
    }

    fn history(&self) -> &History {
        &self.history
    }

    fn ln_predict(&self) -> Vec<f64> {
        let role = self.history.next_role();
        let lw = self.posterior.ln_weights(role);
        let n = self.class.layout.alphabet(role);
        let mut terms: Vec<Vec<f64>> = vec![Vec::with_capacity(lw.len()); n];
        for (i, &w) in lw.iter().enumerate() {
            if w == f64::NEG_INFINITY {
                continue;
            }
            let p = self.class.model(i).ln_predict(&self.history);
            for (s, lp) in p.into_iter().enumerate() {
                terms[s].push(w + lp);
            }
        }
        terms.iter().map(|t| logsumexp(t)).collect()
    }

    fn update(&mut self, symbol: usize) -> Result<()> {
        self.update_named("symbol", symbol)
    }

    fn clone_box(&self) -> Box<dyn BasePolicy> {
        Box::new(self.clone())
    }

    /// Exact: the difference of the log evidences before and after (all roles), O(|M|) per symbol.
    fn ln_prob_extend(&mut self, symbols: &[usize]) -> Result<f64> {
        let before = [
            self.posterior.ln_evidence(Role::Action),
            self.posterior.ln_evidence(Role::Observation),
        ];
        for &x in symbols {
            self.update_named("data", x)?;
        }
        let mut s = Neumaier::new();
        s.add(self.posterior.ln_evidence(Role::Action));
        s.add(-before[0]);
        s.add(self.posterior.ln_evidence(Role::Observation));
        s.add(-before[1]);
        Ok(s.total())
    }

    fn ln_prob_actions_extend(&mut self, symbols: &[usize]) -> Result<f64> {
        let before = self.posterior.ln_evidence(Role::Action);
        for &x in symbols {
            self.update_named("data", x)?;
        }
        Ok(self.posterior.ln_evidence(Role::Action) - before)
    }
}

/// One fixed model used as a policy (e.g. the demonstrator B_0 of the clock world).
#[derive(Debug, Clone)]
pub struct FixedPolicy {
    model: Arc<dyn Model>,
    history: History,
}

impl FixedPolicy {
    /// Wraps a model.
    pub fn new(model: Arc<dyn Model>) -> Self {
        Self {
            history: History::new(model.layout()),
            model,
        }
    }
}

impl BasePolicy for FixedPolicy {
    fn layout(&self) -> Layout {
        self.model.layout()
    }

    fn history(&self) -> &History {
        &self.history
    }

    fn ln_predict(&self) -> Vec<f64> {
        self.model.ln_predict(&self.history)
    }

    fn update(&mut self, symbol: usize) -> Result<()> {
        self.history.push(symbol)
    }

    fn clone_box(&self) -> Box<dyn BasePolicy> {
        Box::new(self.clone())
    }
}

/// The checks of this module: exact mixtures against brute force and closed forms.
pub fn checks(opts: &CheckOptions) -> Vec<Check> {
    let mut v = Vec::new();
    v.extend(clock::checks(opts));
    v.extend(ctw::checks(opts));
    v
}

/// Shared helper: an `Eq` check of an exact quantity against an independent computation.
#[allow(clippy::too_many_arguments)]
pub(crate) fn exact_check(
    id: &str,
    result: &str,
    statement: &str,
    quantity: &str,
    value: f64,
    reference: f64,
    tol: Tolerance,
    detail: String,
) -> Check {
    Check::from(Claim {
        id: id.into(),
        paper: Paper::Cohen2024,
        result: result.into(),
        statement: statement.into(),
        quantity: quantity.into(),
        value,
        relation: Relation::Eq,
        bound: reference,
        tol,
        detail: detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numerics::tolerance::assert_close;

    fn bern(p: f64) -> Arc<dyn Model> {
        Arc::new(SeqModel::actions(Layout::BINARY, Rule::bernoulli(p)).unwrap())
    }

    #[test]
    fn history_roles_and_times() {
        let l = Layout::interleaved(2, 3).unwrap();
        let h = History::from_symbols(l, "h", &[1, 2, 0, 1, 1]).unwrap();
        assert_eq!(h.next_role(), Role::Observation);
        assert_eq!(h.next_time(), 3);
        assert_eq!(h.of_role(Role::Action).collect::<Vec<_>>(), vec![1, 0, 1]);
        assert_eq!(h.of_role(Role::Observation).collect::<Vec<_>>(), vec![2, 1]);
        let e = History::from_symbols(l, "demonstrator data", &[1, 2, 2]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::OutsideAlphabet {
                    position: 2,
                    symbol: 2,
                    role: "action",
                    max: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().starts_with("demonstrator data"));
    }

    #[test]
    fn mixture_matches_hand_computation() {
        // Two Bernoulli models, prior 1/2 each: ξ(1,1,0) = ½·(0.25²·0.75) + ½·(0.75²·0.25).
        let class = ModelClass::from_code_lengths(
            Layout::BINARY,
            vec![("a".into(), bern(0.25)), ("b".into(), bern(0.75))],
            vec![1.0, 1.0],
        )
        .unwrap();
        let mut m = Mixture::new(Arc::new(class));
        let lp = m.clone().ln_prob_extend(&[1, 1, 0]).unwrap();
        let want = (0.5 * 0.25f64.powi(2) * 0.75 + 0.5 * 0.75f64.powi(2) * 0.25).ln();
        assert_close(lp, want, Tolerance::rel(1e-14));
        // chain rule through the default method gives the same number
        let mut s = 0.0;
        for x in [1, 1, 0] {
            s += m.ln_prob_next(x).unwrap();
            m.update(x).unwrap();
        }
        assert_close(s, want, Tolerance::rel(1e-14));
        // posterior and ranking
        let w = m.posterior().weights(Role::Action);
        assert_close(w[1], 0.75 / (0.25 + 0.75), Tolerance::rel(1e-14));
        assert_eq!(m.posterior().ranking(Role::Action), vec![1, 0]);
        assert_eq!(m.posterior().map(Role::Action), 1);
    }

    #[test]
    fn split_posterior_ignores_observations_for_actions() {
        // Models differ only in how they predict observations; the action posterior must not move.
        let l = Layout::interleaved(2, 2).unwrap();
        let m1: Arc<dyn Model> =
            Arc::new(SeqModel::new(l, Rule::bernoulli(0.5), Some(Rule::bernoulli(0.9))).unwrap());
        let m2: Arc<dyn Model> =
            Arc::new(SeqModel::new(l, Rule::bernoulli(0.2), Some(Rule::bernoulli(0.1))).unwrap());
        let class = Arc::new(
            ModelClass::from_code_lengths(
                l,
                vec![("1".into(), m1), ("2".into(), m2)],
                vec![1.0, 1.0],
            )
            .unwrap(),
        );
        let mut mix = Mixture::new(class);
        mix.update(0).unwrap(); // action 0: m1 0.5, m2 0.8
        let wa = mix.posterior().weights(Role::Action);
        mix.update(1).unwrap(); // observation 1: m1 0.9, m2 0.1
        assert_eq!(mix.posterior().weights(Role::Action), wa);
        assert_close(wa[0], 0.5 / 1.3, Tolerance::rel(1e-14));
        let wo = mix.posterior().weights(Role::Observation);
        assert_close(wo[0], 0.9, Tolerance::rel(1e-14));
        // next action prediction uses w_a: P(1) = (0.5·0.5 + 0.8·0.2)/1.3
        let p = mix.ln_predict();
        assert_close(p[1].exp(), (0.25 + 0.16) / 1.3, Tolerance::rel(1e-14));
    }

    #[test]
    fn priors_are_validated_never_renormalised() {
        let ms = || vec![("a".to_string(), bern(0.5)), ("b".to_string(), bern(0.1))];
        // Kraft violated: 2^-0 + 2^-0 = 2 > 1
        let e = ModelClass::from_code_lengths(Layout::BINARY, ms(), vec![0.0, 0.0]).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { .. }), "{e}");
        assert!(ModelClass::from_code_lengths(Layout::BINARY, ms(), vec![f64::NAN, 1.0]).is_err());
        assert!(ModelClass::from_code_lengths(Layout::BINARY, ms(), vec![-1.0, 1.0]).is_err());
        // a non-normalised prior cannot even become a Probs
        assert!(matches!(
            Probs::new(vec![0.5, 0.6]),
            Err(Error::NotNormalised { .. })
        ));
        let c = ModelClass::from_prior(Layout::BINARY, ms(), &Probs::new(vec![0.3, 0.7]).unwrap())
            .unwrap();
        assert_close(c.ln_prior()[0].exp(), 0.3, Tolerance::rel(1e-15));
        // code lengths 1, 2 (Kraft 3/4): prior 2/3, 1/3
        let c = ModelClass::from_code_lengths(Layout::BINARY, ms(), vec![1.0, 2.0]).unwrap();
        assert_close(c.ln_prior()[0].exp(), 2.0 / 3.0, Tolerance::rel(1e-15));
        assert_close(c.kraft_sum(), 0.75, Tolerance::rel(1e-15));
    }

    #[test]
    fn rules_validate_and_predict() {
        let l = Layout::actions_only(3).unwrap();
        assert!(Rule::bernoulli(0.5).compile("r", 3).is_err());
        assert!(Rule::bernoulli(1.5).compile("r", 2).is_err());
        assert!(Rule::Constant { symbol: 3 }.compile("r", 3).is_err());
        assert!(Rule::Switch {
            before: Box::new(Rule::Constant { symbol: 0 }),
            at: 0,
            after: Box::new(Rule::Constant { symbol: 1 })
        }
        .compile("r", 3)
        .is_err());
        // Markov order 1 on 3 symbols: after 2 → always 0
        let table = vec![vec![0.2, 0.3, 0.5], vec![1.0 / 3.0; 3], vec![1.0, 0.0, 0.0]];
        let m = SeqModel::actions(l, Rule::Markov { order: 1, table }).unwrap();
        let h = History::from_symbols(l, "h", &[1, 2]).unwrap();
        assert_eq!(m.ln_prob(&h, 0), 0.0);
        let h0 = History::new(l);
        assert_close(m.ln_prob(&h0, 2).exp(), 0.5, Tolerance::rel(1e-15)); // padded context 0
                                                                           // switch at 3 from const 0 to seq [1, 2]
        let sw = SeqModel::actions(
            l,
            Rule::Switch {
                before: Box::new(Rule::Constant { symbol: 0 }),
                at: 3,
                after: Box::new(Rule::Sequence {
                    symbols: vec![1, 2],
                }),
            },
        )
        .unwrap();
        let mut fp = FixedPolicy::new(Arc::new(sw));
        // t = 1, 2: 0; t = 3: seq[(3−1) mod 2] = 1; t = 4: 2
        assert_eq!(fp.ln_prob_extend(&[0, 0, 1, 2]).unwrap(), 0.0);
        // t = 5: seq[(5−1) mod 2] = seq[0] = 1
        assert_eq!(fp.ln_prob_next(1).unwrap(), 0.0);
        assert_eq!(fp.ln_prob_next(0).unwrap(), f64::NEG_INFINITY);
        assert!(matches!(
            fp.ln_prob_next(3),
            Err(Error::OutsideAlphabet { .. })
        ));
    }
}
