//! Models of the Bayesian imitators of Cohen et al. 2024 (spec §1.1–§1.2): one model is a
//! (semi-)distribution of the next symbol given the history, built from config [`Rule`]s.

use std::fmt::Debug;

use serde::{Deserialize, Serialize};

use super::{History, Layout, Role};
use crate::error::{Error, Result};
use crate::prob::Probs;

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
