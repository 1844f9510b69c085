//! GaussianNoise: in training `y = x + σ·n` with n standard normal, fresh every step; at
//! inference the identity. A regulariser: the network must not depend on exact values.
//! Backward is the identity (the noise does not depend on x).

use super::{Layer, Mode};
use crate::backend::ops;
use crate::error::Result;
use crate::tensor::Tensor;

pub struct GaussianNoise {
    pub stddev: f32,
    salt: u32,
}

impl GaussianNoise {
    pub fn new(stddev: f32, salt: u32) -> GaussianNoise {
        GaussianNoise { stddev, salt }
    }
}

impl Layer for GaussianNoise {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> Result<Tensor> {
        match mode.key(self.salt) {
            Some(key) if self.stddev > 0.0 => ops::gaussian_noise(x, self.stddev, key),
            _ => Ok(x.clone()),
        }
    }

    fn backward(&mut self, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        Ok(Some(dy.clone()))
    }
}
