//! Dropout (inverted): in training each value is zeroed with probability `rate` and the
//! survivors are scaled by `1/(1 − rate)`; at inference it is the identity (no rescaling
//! needed). Each step trains a different thinned network; the full one averages them.

use super::{Layer, Mode};
use crate::backend::ops;
use crate::error::Result;
use crate::tensor::Tensor;

pub struct Dropout {
    pub rate: f32,
    /// This layer's stream id: the mask depends on (step seed, salt) only.
    salt: u32,
    /// The mask's stream key in the last training forward (None after an eval forward).
    key: Option<u32>,
}

impl Dropout {
    pub fn new(rate: f32, salt: u32) -> Dropout {
        Dropout {
            rate,
            salt,
            key: None,
        }
    }
}

impl Layer for Dropout {
    fn forward(&mut self, x: &Tensor, mode: Mode) -> Result<Tensor> {
        self.key = mode.key(self.salt);
        match self.key {
            Some(key) if self.rate > 0.0 => ops::dropout_forward(x, self.rate, key),
            _ => Ok(x.clone()),
        }
    }

    fn backward(&mut self, dy: &Tensor, _input_grad: bool) -> Result<Option<Tensor>> {
        match self.key {
            Some(key) if self.rate > 0.0 => ops::dropout_backward(dy, self.rate, key).map(Some),
            _ => Ok(Some(dy.clone())),
        }
    }
}
