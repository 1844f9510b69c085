//! Pooling: `shaders/pool/`.

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use crate::backend::geometry::Window2d;
use crate::backend::webgpu::kernels::{grid, Kernel};
use crate::backend::webgpu::GpuContext;
use crate::error::Result;

/// `shaders/pool/pool_geometry.wgsl::Pool`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct PoolParams {
    batch: u32,
    in_h: u32,
    in_w: u32,
    channels: u32,
    k_h: u32,
    k_w: u32,
    stride_h: u32,
    stride_w: u32,
    out_h: u32,
    out_w: u32,
    count: u32,
    _pad: u32,
}

fn pool_params(g: &Window2d, count: usize) -> PoolParams {
    PoolParams {
        batch: g.batch as u32,
        in_h: g.in_h as u32,
        in_w: g.in_w as u32,
        channels: g.channels as u32,
        k_h: g.k_h as u32,
        k_w: g.k_w as u32,
        stride_h: g.stride_h as u32,
        stride_w: g.stride_w as u32,
        out_h: g.out_h as u32,
        out_w: g.out_w as u32,
        count: count as u32,
        _pad: 0,
    }
}

fn output_count(g: &Window2d) -> usize {
    g.batch * g.out_positions() * g.channels
}

fn input_count(g: &Window2d) -> usize {
    g.batch * g.in_h * g.in_w * g.channels
}

pub fn max_pool2d_forward(ctx: &GpuContext, g: &Window2d, x: &Buffer, y: &Buffer) -> Result<()> {
    let n = output_count(g);
    ctx.dispatch(
        Kernel::MaxPool2dForward,
        &pool_params(g, n),
        &[y],
        &[x],
        grid(n),
    )
}

/// `dx` of a max pool. The kernel depends on the windows: when they do not overlap, one
/// thread per window writes it (`max_pool2d_backward_tiled`, dx cleared first); otherwise one
/// thread per input value gathers from the windows that read it.
pub fn max_pool2d_backward(
    ctx: &GpuContext,
    g: &Window2d,
    x: &Buffer,
    dy: &Buffer,
    dx: &Buffer,
) -> Result<()> {
    if g.stride_h >= g.k_h && g.stride_w >= g.k_w {
        ctx.clear(dx, 4 * input_count(g) as u64);
        let n = output_count(g);
        let p = pool_params(g, n);
        return ctx.dispatch(Kernel::MaxPool2dBackwardTiled, &p, &[dx], &[x, dy], grid(n));
    }
    let n = input_count(g);
    let p = pool_params(g, n);
    ctx.dispatch(Kernel::MaxPool2dBackward, &p, &[dx], &[x, dy], grid(n))
}

pub fn avg_pool2d_forward(ctx: &GpuContext, g: &Window2d, x: &Buffer, y: &Buffer) -> Result<()> {
    let n = output_count(g);
    ctx.dispatch(
        Kernel::AvgPool2dForward,
        &pool_params(g, n),
        &[y],
        &[x],
        grid(n),
    )
}

pub fn avg_pool2d_backward(ctx: &GpuContext, g: &Window2d, dy: &Buffer, dx: &Buffer) -> Result<()> {
    let n = input_count(g);
    ctx.dispatch(
        Kernel::AvgPool2dBackward,
        &pool_params(g, n),
        &[dx],
        &[dy],
        grid(n),
    )
}
