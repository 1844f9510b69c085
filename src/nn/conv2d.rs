//! Conv2D: `[N, H, W, C_in] → [N, H', W', C_out]`,
//! `y[n,i,j,o] = b[o] + Σ_{u,v,c} x[n, i·s + u·d − p, j·s + v·d − p, c] · W[u, v, c, o]`
//! with weights `[F_h, F_w, C_in, C_out]`, stride s, dilation d, padding p (zeros outside).
//! Backward: `dW += colsᵀ·dy`, `db += Σ dy`, `dx = col2im(dy·Wᵀ)` with `cols` the im2col
//! matrix of the input (see `backend::cpu::conv`).

use super::{no_forward, Layer, Mode, Param, ParamRole};
use crate::backend::geometry::{Padding, Window2d};
use crate::backend::ops;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

pub struct Conv2d {
    pub weight: Param,
    pub bias: Param,
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    pub padding: Padding,
    /// The forward's window geometry and padded input, for backward.
    cache: Option<(Window2d, Tensor)>,
}

impl Conv2d {
    pub fn new(
        weight: Tensor,
        bias: Tensor,
        stride: (usize, usize),
        dilation: (usize, usize),
        padding: Padding,
    ) -> Conv2d {
        Conv2d {
            weight: Param::new("weight", ParamRole::Weight, weight),
            bias: Param::new("bias", ParamRole::Bias, bias),
            stride,
            dilation,
            padding,
            cache: None,
        }
    }

    /// The window this layer slides over an input of shape `[N, H, W, C]`.
    pub fn window(&self, input: &[usize]) -> Result<Window2d> {
        let w = self.weight.value.shape();
        let &[n, h, wd, c] = input else {
            return Err(Error::shape(
                "conv2d",
                format!("needs [batch, height, width, channels], got {input:?}"),
            ));
        };
        Window2d::new(
            [n, h, wd, c],
            (w[0], w[1]),
            self.stride,
            self.dilation,
            self.padding,
        )
        .map_err(|e| Error::shape("conv2d", e))
    }
}

impl Layer for Conv2d {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> Result<Tensor> {
        let g = self.window(x.shape())?;
        let (y, padded) = ops::conv2d_forward(x, &self.weight.value, &self.bias.value, &g)?;
        self.cache = Some((g, padded));
        Ok(y)
    }

    fn backward(&mut self, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>> {
        let (g, padded) = self.cache.as_ref().ok_or_else(|| no_forward("conv2d"))?;
        ops::conv2d_backward_weight(padded, dy, g, &mut self.weight.grad, &mut self.bias.grad)?;
        input_grad
            .then(|| ops::conv2d_backward_input(dy, &self.weight.value, g))
            .transpose()
    }

    fn params(&self) -> Vec<&Param> {
        vec![&self.weight, &self.bias]
    }

    fn params_mut(&mut self) -> Vec<&mut Param> {
        vec![&mut self.weight, &mut self.bias]
    }
}
