use super::{placement, same_len, Tensor};
use crate::backend::cpu::activation as cpu;
use crate::backend::webgpu::ops as gpu;
use crate::backend::Activation;
use crate::error::Result;

/// `y = f(x)` element-wise.
pub fn activation_forward(kind: Activation, x: &Tensor) -> Result<Tensor> {
    let mut y = x.scratch_like();
    match placement("activation_forward", &[x])? {
        None => cpu::activation_forward(kind, x.as_slice(), y.as_mut_slice()),
        Some(ctx) => gpu::activation_forward(&ctx, kind, x.len(), x.gpu_buffer(), y.gpu_buffer())?,
    }
    Ok(y)
}

/// `dx = f'(x)·dy`, from the forward's output `y`.
pub fn activation_backward(kind: Activation, y: &Tensor, dy: &Tensor) -> Result<Tensor> {
    same_len("activation_backward", y, dy)?;
    let mut dx = y.scratch_like();
    match placement("activation_backward", &[y, dy])? {
        None => cpu::activation_backward(kind, y.as_slice(), dy.as_slice(), dx.as_mut_slice()),
        Some(ctx) => gpu::activation_backward(
            &ctx,
            kind,
            y.len(),
            y.gpu_buffer(),
            dx.gpu_buffer(),
            dy.gpu_buffer(),
        )?,
    }
    Ok(dx)
}

/// Softmax over the last axis.
pub fn softmax_forward(x: &Tensor) -> Result<Tensor> {
    let mut y = x.scratch_like();
    let cols = x.channels();
    match placement("softmax_forward", &[x])? {
        None => cpu::softmax_forward(x.as_slice(), cols, y.as_mut_slice()),
        Some(ctx) => {
            gpu::softmax_forward(&ctx, x.len() / cols, cols, x.gpu_buffer(), y.gpu_buffer())?
        }
    }
    Ok(y)
}

/// Softmax backward from its output `y`.
pub fn softmax_backward(y: &Tensor, dy: &Tensor) -> Result<Tensor> {
    same_len("softmax_backward", y, dy)?;
    let mut dx = y.scratch_like();
    let cols = y.channels();
    match placement("softmax_backward", &[y, dy])? {
        None => cpu::softmax_backward(y.as_slice(), dy.as_slice(), cols, dx.as_mut_slice()),
        Some(ctx) => gpu::softmax_backward(
            &ctx,
            y.len() / cols,
            cols,
            y.gpu_buffer(),
            dx.gpu_buffer(),
            dy.gpu_buffer(),
        )?,
    }
    Ok(dx)
}
