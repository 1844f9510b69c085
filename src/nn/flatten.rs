//! Flatten: `[N, H, W, C] → [N, H·W·C]` (channels-last order); the data does not move.

use super::{no_forward, Layer, Mode};
use crate::error::Result;
use crate::tensor::Tensor;

#[derive(Default)]
pub struct Flatten {
    input_shape: Option<Vec<usize>>,
}

impl Layer for Flatten {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> Result<Tensor> {
        self.input_shape = Some(x.shape().to_vec());
        let n = x.rows();
        x.reshape([n, x.len() / n.max(1)])
    }

    fn backward(&mut self, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        let shape = self
            .input_shape
            .clone()
            .ok_or_else(|| no_forward("flatten"))?;
        dy.reshape(shape).map(Some)
    }
}
