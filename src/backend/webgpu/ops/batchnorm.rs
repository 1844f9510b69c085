//! Batch normalisation: `shaders/batchnorm/`.

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use crate::backend::webgpu::kernels::{fold, grid, Kernel};
use crate::backend::webgpu::GpuContext;
use crate::error::Result;

/// `Params` of the three batch-norm shaders.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct BnParams {
    rows: u32,
    channels: u32,
    eps: f32,
    _pad: u32,
}

fn bn_params(rows: usize, channels: usize, eps: f32) -> BnParams {
    BnParams {
        rows: rows as u32,
        channels: channels as u32,
        eps,
        _pad: 0,
    }
}

pub fn channel_moments(
    ctx: &GpuContext,
    rows: usize,
    channels: usize,
    x: &Buffer,
    mean: &Buffer,
    var: &Buffer,
) -> Result<()> {
    let p = bn_params(rows, channels, 0.0);
    ctx.dispatch(
        Kernel::ChannelMoments,
        &p,
        &[mean, var],
        &[x],
        fold(channels),
    )
}

#[allow(clippy::too_many_arguments)]
pub fn batch_norm_apply(
    ctx: &GpuContext,
    rows: usize,
    channels: usize,
    eps: f32,
    x: &Buffer,
    gamma: &Buffer,
    beta: &Buffer,
    mean: &Buffer,
    var: &Buffer,
    y: &Buffer,
) -> Result<()> {
    ctx.dispatch(
        Kernel::BatchNormApply,
        &bn_params(rows, channels, eps),
        &[y],
        &[x, gamma, beta, mean, var],
        grid(rows * channels),
    )
}

#[allow(clippy::too_many_arguments)]
pub fn batch_norm_backward(
    ctx: &GpuContext,
    rows: usize,
    channels: usize,
    eps: f32,
    x: &Buffer,
    dy: &Buffer,
    gamma: &Buffer,
    mean: &Buffer,
    var: &Buffer,
    dgamma: &Buffer,
    dbeta: &Buffer,
    dx: &Buffer,
) -> Result<()> {
    ctx.dispatch(
        Kernel::BatchNormBackward,
        &bn_params(rows, channels, eps),
        &[dgamma, dbeta, dx],
        &[x, dy, gamma, mean, var],
        fold(channels),
    )
}
