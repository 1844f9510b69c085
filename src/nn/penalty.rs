//! Regularisation penalties, all in this one place so the UI can show the loss as
//! data loss + L1 + L2 + activity.
//!
//! Per layer: `l1·Σ|W| + l2·ΣW²` on its weights (never biases, batch-norm γ/β), and
//! `(a1·Σ|y| + a2·Σy²)/N` on its outputs y for a batch of N (Keras' activity regularisers,
//! averaged over the batch).

use serde::{Deserialize, Serialize};

use super::{ParamRole, Sequential};
use crate::backend::ops;
use crate::error::Result;
use crate::tensor::Tensor;

/// The penalty strengths of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Penalties {
    #[serde(default)]
    pub l1: f32,
    #[serde(default)]
    pub l2: f32,
    #[serde(default)]
    pub activity_l1: f32,
    #[serde(default)]
    pub activity_l2: f32,
}

impl Penalties {
    pub fn is_zero(&self) -> bool {
        *self == Penalties::default()
    }

    /// Every strength must be a finite number ≥ 0 (a NaN would poison every weight).
    pub fn validate(&self, layer: &str) -> crate::Result<()> {
        for (name, v) in [
            ("L1", self.l1),
            ("L2", self.l2),
            ("activity L1", self.activity_l1),
            ("activity L2", self.activity_l2),
        ] {
            crate::size::in_range(&format!("{layer}: {name}"), v, 0.0, 1e3)?;
        }
        Ok(())
    }

    fn has_activity(&self) -> bool {
        self.activity_l1 != 0.0 || self.activity_l2 != 0.0
    }
}

/// The penalty part of the loss for one step, each a one-element tensor.
#[derive(Debug, Clone)]
pub struct PenaltyTerms {
    pub l1: Tensor,
    pub l2: Tensor,
    pub activity: Tensor,
}

/// The weight penalties' values for the model's current weights.
pub fn weight_terms(model: &Sequential) -> Result<(Tensor, Tensor)> {
    let device = model.device();
    let (mut l1, mut l2) = (
        Tensor::zeros_on([1], &device),
        Tensor::zeros_on([1], &device),
    );
    for (layer, p) in model.params() {
        let pen = model.spec.layers[layer].penalties;
        if p.role != ParamRole::Weight {
            continue;
        }
        if pen.l1 != 0.0 {
            ops::axpy(&mut l1, pen.l1, &ops::sum_abs(&p.value)?)?;
        }
        if pen.l2 != 0.0 {
            ops::axpy(&mut l2, pen.l2, &ops::sum_squares(&p.value)?)?;
        }
    }
    Ok((l1, l2))
}

/// Adds L2's gradient `2·l2·W` to the weights' gradients. L1 has no term here: the optimizer
/// applies it as a proximal step (soft thresholding), which is what sets weights exactly to
/// zero; `l1·sign(W)` would only make them jitter around it.
pub fn add_weight_gradients(model: &mut Sequential) -> Result<()> {
    let penalties: Vec<Penalties> = model.spec.layers.iter().map(|l| l.penalties).collect();
    for (layer, p) in model.params_mut() {
        let pen = penalties[layer];
        if p.role != ParamRole::Weight {
            continue;
        }
        if pen.l2 != 0.0 {
            ops::axpy(&mut p.grad, 2.0 * pen.l2, &p.value)?;
        }
    }
    Ok(())
}

/// The activity penalty of one layer's output `y` (a batch), or None if it has none.
pub fn activity_term(pen: &Penalties, y: &Tensor) -> Result<Option<Tensor>> {
    if !pen.has_activity() {
        return Ok(None);
    }
    let n = y.rows().max(1) as f32;
    let mut term = Tensor::zeros_on([1], &y.device());
    ops::axpy(&mut term, pen.activity_l1 / n, &ops::sum_abs(y)?)?;
    ops::axpy(&mut term, pen.activity_l2 / n, &ops::sum_squares(y)?)?;
    Ok(Some(term))
}

/// Adds the activity penalty's gradient `(a1·sign(y) + 2·a2·y)/N` to `dy`.
pub fn add_activity_gradient(pen: &Penalties, y: &Tensor, dy: &mut Tensor) -> Result<()> {
    let n = y.rows().max(1) as f32;
    if pen.activity_l1 != 0.0 {
        ops::add_sign(dy, pen.activity_l1 / n, y)?;
    }
    if pen.activity_l2 != 0.0 {
        ops::axpy(dy, 2.0 * pen.activity_l2 / n, y)?;
    }
    Ok(())
}

/// All penalty terms of the last forward pass.
pub fn terms(model: &Sequential) -> Result<PenaltyTerms> {
    let (l1, l2) = weight_terms(model)?;
    let mut activity = Tensor::zeros_on([1], &model.device());
    for (config, y) in model.spec.layers.iter().zip(model.outputs()) {
        if let Some(term) = activity_term(&config.penalties, y)? {
            ops::axpy(&mut activity, 1.0, &term)?;
        }
    }
    Ok(PenaltyTerms { l1, l2, activity })
}
