//! BatchNorm over the last axis, for dense `[N, F]` and conv `[N, H, W, C]` outputs alike:
//! `y = γ·(x − μ)/√(σ² + ε) + β` per channel. Training uses the batch's μ, σ² (over N, or
//! N·H·W) and updates running averages `r ← m·r + (1 − m)·batch` (the variance unbiased);
//! inference uses the running averages. γ starts at 1 and β at 0.

use super::{no_forward, Layer, Mode, Param, ParamRole};
use crate::backend::ops;
use crate::error::Result;
use crate::tensor::Tensor;

pub struct BatchNorm {
    pub gamma: Param,
    pub beta: Param,
    pub running_mean: Tensor,
    pub running_var: Tensor,
    pub momentum: f32,
    pub epsilon: f32,
    /// The last forward's input and the statistics it was normalised with, and whether
    /// those were batch statistics (training) or the running ones.
    cache: Option<(Tensor, Tensor, Tensor, bool)>,
}

impl BatchNorm {
    pub fn new(channels: usize, momentum: f32, epsilon: f32) -> BatchNorm {
        BatchNorm {
            gamma: Param::new("gamma", ParamRole::Scale, Tensor::full([channels], 1.0)),
            beta: Param::new("beta", ParamRole::Shift, Tensor::zeros([channels])),
            running_mean: Tensor::zeros([channels]),
            running_var: Tensor::full([channels], 1.0),
            momentum,
            epsilon,
            cache: None,
        }
    }
}

impl Layer for BatchNorm {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> Result<Tensor> {
        let training = matches!(mode, Mode::Train { .. });
        let (mean, var) = if training {
            let (mean, var) = ops::channel_moments(x)?;
            let m = (x.len() / x.channels()) as f32;
            let unbiased = if m > 1.0 { m / (m - 1.0) } else { 1.0 };
            ops::scale_add(
                &mut self.running_mean,
                self.momentum,
                1.0 - self.momentum,
                &mean,
            )?;
            let weight = (1.0 - self.momentum) * unbiased;
            ops::scale_add(&mut self.running_var, self.momentum, weight, &var)?;
            (mean, var)
        } else {
            (self.running_mean.clone(), self.running_var.clone())
        };
        let y = ops::batch_norm_apply(
            x,
            &self.gamma.value,
            &self.beta.value,
            &mean,
            &var,
            self.epsilon,
        )?;
        self.cache = Some((x.clone(), mean, var, training));
        Ok(y)
    }

    fn backward(&mut self, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        let (x, mean, var, training) = self
            .cache
            .as_ref()
            .ok_or_else(|| no_forward("batch_norm"))?;
        if *training {
            return ops::batch_norm_backward(
                x,
                dy,
                &self.gamma.value,
                mean,
                var,
                self.epsilon,
                &mut self.gamma.grad,
                &mut self.beta.grad,
            )
            .map(Some);
        }
        // With fixed statistics the layer is affine per channel: y = a·x + c.
        let xhat = ops::batch_norm_apply(
            x,
            &Tensor::full([x.channels()], 1.0),
            &Tensor::zeros([x.channels()]),
            mean,
            var,
            self.epsilon,
        )?;
        let dgamma_terms = ops::mul(dy, &xhat)?;
        ops::column_sums_acc(&dgamma_terms, &mut self.gamma.grad)?;
        ops::column_sums_acc(dy, &mut self.beta.grad)?;
        let zeros = Tensor::zeros([x.channels()]);
        let scale_only =
            ops::batch_norm_apply(dy, &self.gamma.value, &zeros, &zeros, var, self.epsilon)?;
        Ok(Some(scale_only))
    }

    fn params(&self) -> Vec<&Param> {
        vec![&self.gamma, &self.beta]
    }

    fn params_mut(&mut self) -> Vec<&mut Param> {
        vec![&mut self.gamma, &mut self.beta]
    }

    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut Tensor)> {
        vec![
            ("running_mean", &mut self.running_mean),
            ("running_var", &mut self.running_var),
        ]
    }
}
