//! Dense (fully connected): `[N, F_in] → [N, F_out]`, `y = x·W + b`, with `W` `[F_in, F_out]`.
//! Backward: `dW += xᵀ·dy`, `db += Σ_rows dy`, `dx = dy·Wᵀ`.

use super::{no_forward, Layer, Mode, Param, ParamRole};
use crate::backend::ops;
use crate::error::Result;
use crate::tensor::Tensor;

pub struct Dense {
    pub weight: Param,
    pub bias: Param,
    input: Option<Tensor>,
}

impl Dense {
    pub fn new(weight: Tensor, bias: Tensor) -> Dense {
        Dense {
            weight: Param::new("weight", ParamRole::Weight, weight),
            bias: Param::new("bias", ParamRole::Bias, bias),
            input: None,
        }
    }
}

impl Layer for Dense {
    fn forward(&mut self, x: &Tensor, _mode: Mode) -> Result<Tensor> {
        let y = ops::linear(x, &self.weight.value, &self.bias.value)?;
        self.input = Some(x.clone());
        Ok(y)
    }

    fn backward(&mut self, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>> {
        let x = self.input.as_ref().ok_or_else(|| no_forward("dense"))?;
        ops::matmul_acc(x, true, dy, false, &mut self.weight.grad)?;
        ops::column_sums_acc(dy, &mut self.bias.grad)?;
        input_grad
            .then(|| ops::matmul(dy, false, &self.weight.value, true))
            .transpose()
    }

    fn params(&self) -> Vec<&Param> {
        vec![&self.weight, &self.bias]
    }

    fn params_mut(&mut self) -> Vec<&mut Param> {
        vec![&mut self.weight, &mut self.bias]
    }
}
