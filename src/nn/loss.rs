//! Losses: a batch of model outputs `[N, C]` against one-hot targets `[N, C]`.

use serde::{Deserialize, Serialize};

use crate::backend::ops;
use crate::error::Result;
use crate::tensor::Tensor;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Loss {
    /// `−Σ t log softmax(z)`, fused with the softmax for stability; label smoothing ε
    /// replaces the one-hot target t by `(1 − ε)·t + ε/C`.
    SoftmaxCrossEntropy {
        #[serde(default)]
        label_smoothing: f32,
    },
    /// `mean((y − t)²)` over all outputs.
    MeanSquaredError,
    /// Multi-class hinge: `Σ_{j≠y} max(0, sⱼ − s_y + 1)` (the SVM loss).
    Hinge,
}

impl Default for Loss {
    fn default() -> Self {
        Loss::SoftmaxCrossEntropy {
            label_smoothing: 0.0,
        }
    }
}

impl Loss {
    /// Cross-entropy wants the scores before softmax (it applies its own, fused).
    pub fn takes_logits(&self) -> bool {
        matches!(self, Loss::SoftmaxCrossEntropy { .. })
    }

    /// The batch-mean loss (one-element tensor) and its gradient w.r.t. `outputs`.
    pub fn compute(&self, outputs: &Tensor, targets: &Tensor) -> Result<(Tensor, Tensor)> {
        match *self {
            Loss::SoftmaxCrossEntropy { label_smoothing } => {
                ops::softmax_cross_entropy(outputs, targets, label_smoothing)
            }
            Loss::MeanSquaredError => ops::mean_squared_error(outputs, targets),
            Loss::Hinge => ops::hinge(outputs, targets),
        }
    }
}
