use super::{placement, Tensor};
use crate::backend::cpu::batchnorm as cpu;
use crate::backend::webgpu::ops as gpu;
use crate::error::Result;

/// Per-channel (last axis) batch mean and biased variance.
pub fn channel_moments(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let c = x.channels();
    let device = x.device();
    let (mut mean, mut var) = (
        Tensor::scratch_on([c], &device),
        Tensor::scratch_on([c], &device),
    );
    match placement("channel_moments", &[x])? {
        None => cpu::channel_moments(x.as_slice(), c, mean.as_mut_slice(), var.as_mut_slice()),
        Some(ctx) => gpu::channel_moments(
            &ctx,
            x.len() / c,
            c,
            x.gpu_buffer(),
            mean.gpu_buffer(),
            var.gpu_buffer(),
        )?,
    }
    Ok((mean, var))
}

/// `y = γ·(x − mean)/√(var + ε) + β` per channel.
pub fn batch_norm_apply(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    mean: &Tensor,
    var: &Tensor,
    eps: f32,
) -> Result<Tensor> {
    let c = [x.channels()];
    for t in [gamma, beta, mean, var] {
        t.expect_shape("batch_norm_apply", &c)?;
    }
    let mut y = x.scratch_like();
    match placement("batch_norm_apply", &[x, gamma, beta, mean, var])? {
        None => cpu::batch_norm_apply(
            x.as_slice(),
            gamma.as_slice(),
            beta.as_slice(),
            mean.as_slice(),
            var.as_slice(),
            eps,
            y.as_mut_slice(),
        ),
        Some(ctx) => gpu::batch_norm_apply(
            &ctx,
            x.len() / c[0],
            c[0],
            eps,
            x.gpu_buffer(),
            gamma.gpu_buffer(),
            beta.gpu_buffer(),
            mean.gpu_buffer(),
            var.gpu_buffer(),
            y.gpu_buffer(),
        )?,
    }
    Ok(y)
}

/// Backward through training-mode batch norm; accumulates `dγ` and `dβ`, returns `dx`.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_backward(
    x: &Tensor,
    dy: &Tensor,
    gamma: &Tensor,
    mean: &Tensor,
    var: &Tensor,
    eps: f32,
    dgamma: &mut Tensor,
    dbeta: &mut Tensor,
) -> Result<Tensor> {
    dy.expect_shape("batch_norm_backward", x.shape())?;
    let mut dx = x.scratch_like();
    match placement(
        "batch_norm_backward",
        &[x, dy, gamma, mean, var, dgamma, dbeta],
    )? {
        None => cpu::batch_norm_backward(
            x.as_slice(),
            dy.as_slice(),
            gamma.as_slice(),
            mean.as_slice(),
            var.as_slice(),
            eps,
            dx.as_mut_slice(),
            dgamma.as_mut_slice(),
            dbeta.as_mut_slice(),
        ),
        Some(ctx) => {
            let c = x.channels();
            dgamma.make_unique();
            dbeta.make_unique();
            gpu::batch_norm_backward(
                &ctx,
                x.len() / c,
                c,
                eps,
                x.gpu_buffer(),
                dy.gpu_buffer(),
                gamma.gpu_buffer(),
                mean.gpu_buffer(),
                var.gpu_buffer(),
                dgamma.gpu_buffer(),
                dbeta.gpu_buffer(),
                dx.gpu_buffer(),
            )?
        }
    }
    Ok(dx)
}
