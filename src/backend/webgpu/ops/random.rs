//! Dropout and noise from a counter-based hash: `shaders/random/`.

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use crate::backend::webgpu::kernels::{grid, Kernel};
use crate::backend::webgpu::GpuContext;
use crate::error::Result;

/// `shaders/random/random.wgsl::Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct RandomParams {
    count: u32,
    key: u32,
    rate: f32,
    value: f32,
}

/// Inverted dropout (forward, and backward applied to dy with the same key).
pub fn dropout(
    ctx: &GpuContext,
    n: usize,
    rate: f32,
    key: u32,
    x: &Buffer,
    y: &Buffer,
) -> Result<()> {
    let p = RandomParams {
        count: n as u32,
        key,
        rate,
        value: 1.0 / (1.0 - rate),
    };
    ctx.dispatch(Kernel::Dropout, &p, &[y], &[x], grid(n))
}

pub fn gaussian_noise(
    ctx: &GpuContext,
    n: usize,
    stddev: f32,
    key: u32,
    x: &Buffer,
    y: &Buffer,
) -> Result<()> {
    let p = RandomParams {
        count: n as u32,
        key,
        rate: 0.0,
        value: stddev,
    };
    ctx.dispatch(Kernel::GaussianNoise, &p, &[y], &[x], grid(n))
}
