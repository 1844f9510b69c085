//! Element-wise activations: ReLU `max(0, x)`, Leaky ReLU `x > 0 ? x : αx`, Sigmoid
//! `1/(1 + e^−x)`, Tanh. Shapes are unchanged. Backward uses the cached output:
//! ReLU `dy·[y > 0]`, Leaky `dy·(y > 0 ? 1 : α)`, Sigmoid `dy·y(1 − y)`, Tanh `dy·(1 − y²)`.

use super::{no_forward, Layer, Mode};
use crate::backend::{ops, Activation};
use crate::error::Result;
use crate::tensor::Tensor;

pub struct ActivationLayer {
    pub kind: Activation,
    output: Option<Tensor>,
}

impl ActivationLayer {
    pub fn new(kind: Activation) -> ActivationLayer {
        ActivationLayer { kind, output: None }
    }
}

impl Layer for ActivationLayer {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> Result<Tensor> {
        let y = ops::activation_forward(self.kind, x)?;
        self.output = Some(y.clone());
        Ok(y)
    }

    fn backward(&mut self, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        let y = self
            .output
            .as_ref()
            .ok_or_else(|| no_forward("activation"))?;
        ops::activation_backward(self.kind, y, dy).map(Some)
    }
}
