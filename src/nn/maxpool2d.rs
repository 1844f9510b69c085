//! MaxPool2D: `[N, H, W, C] → [N, H', W', C]`, each output the largest input in its window;
//! `H' = (H − k)/s + 1`. Windows may overlap (s < k). Backward sends each gradient to its
//! window's maximum (the first one, on ties; see `backend::cpu::pool`).

use super::{no_forward, Layer, Mode};
use crate::backend::geometry::{Padding, Window2d};
use crate::backend::ops;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The pooling window over `[N, H, W, C]` (no padding, no dilation).
pub fn pool_window(
    op: &'static str,
    input: &[usize],
    window: (usize, usize),
    stride: (usize, usize),
) -> Result<Window2d> {
    let &[n, h, w, c] = input else {
        return Err(Error::shape(
            op,
            format!("needs [batch, height, width, channels], got {input:?}"),
        ));
    };
    Window2d::new([n, h, w, c], window, stride, (1, 1), Padding::Valid)
        .map_err(|e| Error::shape(op, e))
}

pub struct MaxPool2d {
    pub window: (usize, usize),
    pub stride: (usize, usize),
    /// The forward's window, input and output.
    cache: Option<(Window2d, Tensor, Tensor)>,
}

impl MaxPool2d {
    pub fn new(window: (usize, usize), stride: (usize, usize)) -> MaxPool2d {
        MaxPool2d {
            window,
            stride,
            cache: None,
        }
    }
}

impl Layer for MaxPool2d {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> Result<Tensor> {
        let g = pool_window("max_pool2d", x.shape(), self.window, self.stride)?;
        let y = ops::max_pool2d_forward(x, &g)?;
        self.cache = Some((g, x.clone(), y.clone()));
        Ok(y)
    }

    fn backward(&mut self, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        let (g, x, y) = self
            .cache
            .as_ref()
            .ok_or_else(|| no_forward("max_pool2d"))?;
        ops::max_pool2d_backward(x, y, dy, g).map(Some)
    }
}
