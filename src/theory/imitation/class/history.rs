//! Histories of the Bayesian imitators of Cohen et al. 2024 (spec §1.1): which positions hold
//! actions or observations ([`Role`], [`Layout`]) and a validated interleaved history.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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

    pub(super) fn index(self) -> usize {
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
