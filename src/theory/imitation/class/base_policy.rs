//! Base policies β of Cohen et al. 2024 (spec §1.4): the interface of every predictor with
//! exact sequence probabilities, the Bayesian mixture ξ over a [`ModelClass`] with split
//! posteriors, and a single fixed model.

use std::sync::Arc;

use super::{History, Layout, Model, ModelClass, Posterior, Role};
use crate::error::Result;
use crate::numerics::{logsumexp, Neumaier};

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
    /// [`Error::OutsideAlphabet`](crate::error::Error::OutsideAlphabet).
    fn update(&mut self, symbol: usize) -> Result<()>;
    /// A boxed clone (for look-ahead).
    fn clone_box(&self) -> Box<dyn BasePolicy>;

    /// `ln ρ(symbol | history)`.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`](crate::error::Error::OutsideAlphabet).
    fn ln_prob_next(&self, symbol: usize) -> Result<f64> {
        let h = self.history();
        self.layout().check_symbol("symbol", h.len(), symbol)?;
        Ok(self.ln_predict()[symbol])
    }

    /// `ln ρ(symbols | history)` by the chain rule (compensated), absorbing the symbols.
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`](crate::error::Error::OutsideAlphabet) naming `data` and the position.
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
    /// [`Error::OutsideAlphabet`](crate::error::Error::OutsideAlphabet).
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
            history: History::new(class.layout()),
            class,
            posterior,
        }
    }

    /// The mixture conditioned on `data` (validated; `name` appears in errors).
    ///
    /// # Errors
    /// [`Error::OutsideAlphabet`](crate::error::Error::OutsideAlphabet).
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
    /// [`Error::OutsideAlphabet`](crate::error::Error::OutsideAlphabet).
    pub fn update_named(&mut self, name: &'static str, symbol: usize) -> Result<()> {
        self.class
            .layout()
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
    /// [`Error::OutsideAlphabet`](crate::error::Error::OutsideAlphabet).
    pub fn append_without_learning(&mut self, symbol: usize) -> Result<()> {
        self.history.push(symbol)
    }
}

impl BasePolicy for Mixture {
    fn layout(&self) -> Layout {
        self.class.layout()
    }

    fn history(&self) -> &History {
        &self.history
    }

    fn ln_predict(&self) -> Vec<f64> {
        let role = self.history.next_role();
        let lw = self.posterior.ln_weights(role);
        let n = self.class.layout().alphabet(role);
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
