use super::{same_len, Tensor};
use crate::backend::cpu::random as cpu;
use crate::error::Result;

/// Inverted dropout with the mask drawn from stream `key`.
pub fn dropout_forward(x: &Tensor, rate: f32, key: u32) -> Result<Tensor> {
    let mut y = x.scratch_like();
    cpu::dropout_forward(x.as_slice(), rate, key, y.as_mut_slice());
    Ok(y)
}

/// The gradient through the mask of stream `key`.
pub fn dropout_backward(dy: &Tensor, rate: f32, key: u32) -> Result<Tensor> {
    let mut dx = dy.scratch_like();
    cpu::dropout_backward(dy.as_slice(), rate, key, dx.as_mut_slice());
    Ok(dx)
}

/// `x + stddev·noise`, the noise drawn from stream `key`.
pub fn gaussian_noise(x: &Tensor, stddev: f32, key: u32) -> Result<Tensor> {
    let mut y = x.scratch_like();
    cpu::gaussian_noise(x.as_slice(), stddev, key, y.as_mut_slice());
    same_len("gaussian_noise", x, &y)?;
    Ok(y)
}
