//! The model class of a Bayesian imitator (Cohen et al. 2024, spec §1.2): a finite list of
//! models with a code-length or explicit prior, and the split action/observation posterior.

use std::sync::Arc;

use super::{Layout, Model, Role};
use crate::error::{Error, Result};
use crate::numerics::{logsumexp, tol};
use crate::prob::Probs;

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
