//! AvgPool2D: `[N, H, W, C] → [N, H', W', C]`, each output the mean of its window;
//! `H' = (H − k)/s + 1`. Backward shares each gradient equally among the window's inputs.

use super::maxpool2d::pool_window;
use super::{no_forward, Layer, Mode};
use crate::backend::geometry::Window2d;
use crate::backend::ops;
use crate::error::Result;
use crate::tensor::Tensor;

pub struct AvgPool2d {
    pub window: (usize, usize),
    pub stride: (usize, usize),
    cache: Option<Window2d>,
}

impl AvgPool2d {
    pub fn new(window: (usize, usize), stride: (usize, usize)) -> AvgPool2d {
        AvgPool2d {
            window,
            stride,
            cache: None,
        }
    }
}

impl Layer for AvgPool2d {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> Result<Tensor> {
        let g = pool_window("avg_pool2d", x.shape(), self.window, self.stride)?;
        let y = ops::avg_pool2d_forward(x, &g)?;
        self.cache = Some(g);
        Ok(y)
    }

    fn backward(&mut self, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        let g = self
            .cache
            .as_ref()
            .ok_or_else(|| no_forward("avg_pool2d"))?;
        ops::avg_pool2d_backward(dy, g).map(Some)
    }
}
