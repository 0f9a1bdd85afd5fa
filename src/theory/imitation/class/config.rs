//! User-defined finite model classes from TOML, for the Bayesian imitators of Cohen et al. 2024.
//!
//! ```toml
//! actions = 2              # action alphabet {0, 1}
//! # observations = 3       # optional: interleaved a_1 o_1 a_2 o_2 …
//!
//! [[models]]
//! name = "always 0"
//! bits = 2                 # code length ℓ (prior ∝ 2^-ℓ) — or `prior = 0.5` for every model
//! action = { kind = "constant", symbol = 0 }
//!
//! [[models]]
//! name = "coin"
//! bits = 3
//! action = { kind = "bernoulli", p = 0.5 }
//!
//! [[models]]
//! name = "switch at 10"
//! bits = 9
//! action = { kind = "switch", at = 10, before = { kind = "constant", symbol = 0 }, after = { kind = "constant", symbol = 1 } }
//! # observation = { kind = "bernoulli", p = 0.3 }   # optional, default uniform
//! ```
//!
//! Rule kinds: `bernoulli {p}`, `categorical {probs}`, `constant {symbol}`,
//! `sequence {symbols}` (cyclic), `markov {order, table}`, `switch {before, at, after}`
//! ([`super::Rule`]). Either every model gives `bits` (prior `2^{−ℓ}/Σ2^{−ℓ}`, Kraft sum ≤ 1
//! required) or every model gives `prior` (must sum to 1; never renormalised).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Layout, Model, ModelClass, Rule, SeqModel};
use crate::error::{Error, Result};
use crate::prob::Probs;

/// One model of a user class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// Name (unique within the class).
    pub name: String,
    /// Code length in bits (exclusive with `prior`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<f64>,
    /// Prior probability (exclusive with `bits`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<f64>,
    /// Rule for actions.
    pub action: Rule,
    /// Rule for observations (default: uniform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation: Option<Rule>,
}

/// A user-defined finite class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassConfig {
    /// Action alphabet size.
    pub actions: usize,
    /// Observation alphabet size (absent: action-only histories).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observations: Option<usize>,
    /// The models.
    pub models: Vec<ModelEntry>,
}

impl ClassConfig {
    /// Parses TOML text (`origin` prefixes errors).
    ///
    /// # Errors
    /// [`Error::Config`] for syntax errors, unknown keys, wrong types.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        crate::config::from_table(crate::config::parse_toml(text, origin)?, origin)
    }

    /// Builds the validated class.
    ///
    /// # Errors
    /// [`Error::Empty`] for no models; [`Error::Config`] for duplicate names or a mix of `bits`
    /// and `prior`; the errors of [`Rule::compile`]; [`Error::NotNormalised`] for priors that do
    /// not sum to one; [`Error::OutOfRange`] for code lengths violating Kraft's inequality.
    pub fn build(&self) -> Result<ModelClass> {
        let layout = Layout {
            actions: self.actions,
            observations: self.observations,
        }
        .validated()?;
        if self.models.is_empty() {
            return Err(Error::Empty { name: "models" });
        }
        let mut models: Vec<(String, Arc<dyn Model>)> = Vec::new();
        for m in &self.models {
            if models.iter().any(|(n, _)| n == &m.name) {
                return Err(Error::Config(format!(
                    "model name `{}` appears twice",
                    m.name
                )));
            }
            let sm = SeqModel::new(layout, m.action.clone(), m.observation.clone())
                .map_err(|e| Error::Config(format!("model `{}`: {e}", m.name)))?;
            models.push((m.name.clone(), Arc::new(sm)));
        }
        let all_bits = self
            .models
            .iter()
            .all(|m| m.bits.is_some() && m.prior.is_none());
        let all_prior = self
            .models
            .iter()
            .all(|m| m.prior.is_some() && m.bits.is_none());
        if all_bits {
            let bits = self
                .models
                .iter()
                .map(|m| m.bits.unwrap_or(f64::NAN))
                .collect();
            ModelClass::from_code_lengths(layout, models, bits)
        } else if all_prior {
            let p = Probs::new_named(
                "prior",
                self.models
                    .iter()
                    .map(|m| m.prior.unwrap_or(f64::NAN))
                    .collect(),
            )?;
            ModelClass::from_prior(layout, models, &p)
        } else {
            Err(Error::Config("every model must give exactly one of `bits` (code length) or `prior`, and all models the same one".into()))
        }
    }
}

impl ModelClass {
    /// A user class from TOML text (see [`ClassConfig`]).
    ///
    /// # Errors
    /// As [`ClassConfig::from_toml`] and [`ClassConfig::build`].
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        ClassConfig::from_toml(text, origin)?.build()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{BasePolicy, Mixture, Role};
    use super::*;
    use crate::numerics::{tolerance::assert_close, Tolerance};

    const EXAMPLE: &str = r#"
actions = 2
[[models]]
name = "always 0"
bits = 1
action = { kind = "constant", symbol = 0 }
[[models]]
name = "coin"
bits = 2
action = { kind = "bernoulli", p = 0.5 }
[[models]]
name = "switch at 3"
bits = 3
action = { kind = "switch", at = 3, before = { kind = "constant", symbol = 0 }, after = { kind = "constant", symbol = 1 } }
"#;

    #[test]
    fn parses_and_mixes() {
        let class = Arc::new(ModelClass::from_toml(EXAMPLE, "example.toml").unwrap());
        assert_eq!(class.len(), 3);
        // Kraft 1/2 + 1/4 + 1/8 = 7/8; prior 4/7, 2/7, 1/7.
        assert_close(class.ln_prior()[2].exp(), 1.0 / 7.0, Tolerance::rel(1e-15));
        // ξ(0,0,1) = (2/7)·(1/8) + (1/7)·1
        let lp = Mixture::new(class.clone())
            .ln_prob_extend(&[0, 0, 1])
            .unwrap();
        assert_close(lp.exp(), 2.0 / 56.0 + 1.0 / 7.0, Tolerance::rel(1e-14));
        let mut m = Mixture::conditioned(class, "data", &[0, 0]).unwrap();
        assert_eq!(m.posterior().map(Role::Action), 0);
        m.update(1).unwrap();
        assert_eq!(m.posterior().map(Role::Action), 2);
    }

    #[test]
    fn bad_classes_are_refused_by_name() {
        let e = ClassConfig::from_toml(
            "actions = 2\n[[models]]\nname='a'\nbits=1\naction={kind='bernoulli', p=0.5, q=1}\n",
            "x.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("x.toml"), "{e}");
        let unnormalised = "actions = 2\n[[models]]\nname='a'\nprior=0.5\naction={kind='constant', symbol=0}\n[[models]]\nname='b'\nprior=0.6\naction={kind='constant', symbol=1}\n";
        assert!(matches!(
            ModelClass::from_toml(unnormalised, "p.toml"),
            Err(Error::NotNormalised { name: "prior", .. })
        ));
        let mixed = "actions = 2\n[[models]]\nname='a'\nprior=1.0\naction={kind='constant', symbol=0}\n[[models]]\nname='b'\nbits=1\naction={kind='constant', symbol=1}\n";
        assert!(matches!(
            ModelClass::from_toml(mixed, "m.toml"),
            Err(Error::Config(_))
        ));
        let outside =
            "actions = 2\n[[models]]\nname='a'\nbits=1\naction={kind='constant', symbol=5}\n";
        let e = ModelClass::from_toml(outside, "o.toml").unwrap_err();
        assert!(e.to_string().contains("model `a`"), "{e}");
        let kraft = "actions = 2\n[[models]]\nname='a'\nbits=0\naction={kind='constant', symbol=0}\n[[models]]\nname='b'\nbits=0\naction={kind='constant', symbol=1}\n";
        assert!(matches!(
            ModelClass::from_toml(kraft, "k.toml"),
            Err(Error::OutOfRange { .. })
        ));
    }
}
