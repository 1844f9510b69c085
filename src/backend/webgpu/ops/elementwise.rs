//! Element-wise updates: `shaders/elementwise/`. Most write `y` in place; the caller makes
//! it unique first (copy-on-write).

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use crate::backend::webgpu::kernels::{grid, Kernel};
use crate::backend::webgpu::GpuContext;
use crate::error::Result;

/// `shaders/elementwise/elementwise.wgsl::Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ElemParams {
    count: u32,
    pad: u32,
    a: f32,
    b: f32,
}

fn elem(n: usize, a: f32, b: f32) -> ElemParams {
    ElemParams {
        count: n as u32,
        pad: 0,
        a,
        b,
    }
}

/// `y += a·x`.
pub fn axpy(ctx: &GpuContext, n: usize, a: f32, y: &Buffer, x: &Buffer) -> Result<()> {
    ctx.dispatch(Kernel::Axpy, &elem(n, a, 0.0), &[y], &[x], grid(n))
}

/// `y += a·sign(x)`.
pub fn add_sign(ctx: &GpuContext, n: usize, a: f32, y: &Buffer, x: &Buffer) -> Result<()> {
    ctx.dispatch(Kernel::AddSign, &elem(n, a, 0.0), &[y], &[x], grid(n))
}

/// `y = a·y + b·x`.
pub fn scale_add(ctx: &GpuContext, n: usize, a: f32, b: f32, y: &Buffer, x: &Buffer) -> Result<()> {
    ctx.dispatch(Kernel::ScaleAdd, &elem(n, a, b), &[y], &[x], grid(n))
}

/// `y = a·y + b·x`, but 0 where `x` is exactly 0.
pub fn scale_add_keep_zeros(
    ctx: &GpuContext,
    n: usize,
    a: f32,
    b: f32,
    y: &Buffer,
    x: &Buffer,
) -> Result<()> {
    let p = elem(n, a, b);
    ctx.dispatch(Kernel::ScaleAddKeepZeros, &p, &[y], &[x], grid(n))
}

/// `y *= a`.
pub fn scale(ctx: &GpuContext, n: usize, a: f32, y: &Buffer) -> Result<()> {
    ctx.dispatch(Kernel::Scale, &elem(n, a, 0.0), &[y], &[], grid(n))
}

/// `shaders/elementwise/mul.wgsl::Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct MulParams {
    count: u32,
    _pad: [u32; 3],
}

/// `out = a ⊙ b`.
pub fn mul(ctx: &GpuContext, n: usize, out: &Buffer, a: &Buffer, b: &Buffer) -> Result<()> {
    let p = MulParams {
        count: n as u32,
        _pad: [0; 3],
    };
    ctx.dispatch(Kernel::Mul, &p, &[out], &[a, b], grid(n))
}
