use super::{placement, Tensor};
use crate::backend::cpu::random as cpu;
use crate::backend::webgpu::ops as gpu;
use crate::error::Result;

/// Inverted dropout with the mask drawn from stream `key`.
pub fn dropout_forward(x: &Tensor, rate: f32, key: u32) -> Result<Tensor> {
    let mut y = x.scratch_like();
    match placement("dropout_forward", &[x])? {
        None => cpu::dropout_forward(x.as_slice(), rate, key, y.as_mut_slice()),
        Some(ctx) => gpu::dropout(&ctx, x.len(), rate, key, x.gpu_buffer(), y.gpu_buffer())?,
    }
    Ok(y)
}

/// The gradient through the mask of stream `key`.
pub fn dropout_backward(dy: &Tensor, rate: f32, key: u32) -> Result<Tensor> {
    let mut dx = dy.scratch_like();
    match placement("dropout_backward", &[dy])? {
        None => cpu::dropout_backward(dy.as_slice(), rate, key, dx.as_mut_slice()),
        Some(ctx) => gpu::dropout(&ctx, dy.len(), rate, key, dy.gpu_buffer(), dx.gpu_buffer())?,
    }
    Ok(dx)
}

/// `x + stddev·noise`, the noise drawn from stream `key`.
pub fn gaussian_noise(x: &Tensor, stddev: f32, key: u32) -> Result<Tensor> {
    let mut y = x.scratch_like();
    match placement("gaussian_noise", &[x])? {
        None => cpu::gaussian_noise(x.as_slice(), stddev, key, y.as_mut_slice()),
        Some(ctx) => {
            gpu::gaussian_noise(&ctx, x.len(), stddev, key, x.gpu_buffer(), y.gpu_buffer())?
        }
    }
    Ok(y)
}
