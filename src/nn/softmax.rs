//! Softmax over the last axis: `yᵢ = e^{xᵢ} / Σⱼ e^{xⱼ}`, scores to probabilities.
//! Backward: `dx = y ⊙ (dy − Σ dy⊙y)`. With the cross-entropy loss the model skips this
//! layer in training and the loss applies a fused, numerically stable softmax instead.

use super::{no_forward, Layer, Mode};
use crate::backend::ops;
use crate::error::Result;
use crate::tensor::Tensor;

#[derive(Default)]
pub struct Softmax {
    output: Option<Tensor>,
}

impl Layer for Softmax {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> Result<Tensor> {
        let y = ops::softmax_forward(x)?;
        self.output = Some(y.clone());
        Ok(y)
    }

    fn backward(&mut self, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        let y = self.output.as_ref().ok_or_else(|| no_forward("softmax"))?;
        ops::softmax_backward(y, dy).map(Some)
    }
}
