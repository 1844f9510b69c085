//! Convolutions: `shaders/conv/`. Forward and input-gradient kernels come in several
//! shapes (tiled GEMM, one thread per value, vec4 register blocks); `conv2d_forward_kernel`
//! and `conv2d_backward_input_kernel` pick one, and the weight gradient always runs split-K.

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use crate::backend::geometry::Window2d;
use crate::backend::webgpu::kernels::{gemm_grid, grid, Kernel};
use crate::backend::webgpu::GpuContext;
use crate::error::{Error, Result};

/// `shaders/conv/conv_geometry.wgsl::Conv`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct ConvParams {
    pub batch: u32,
    pub in_h: u32,
    pub in_w: u32,
    pub c_in: u32,
    pub k_h: u32,
    pub k_w: u32,
    pub c_out: u32,
    pub stride_h: u32,
    pub stride_w: u32,
    pub dil_h: u32,
    pub dil_w: u32,
    pub pad_top: u32,
    pub pad_left: u32,
    pub out_h: u32,
    pub out_w: u32,
    pub _pad: u32,
}

impl ConvParams {
    pub fn new(g: &Window2d, c_out: usize) -> ConvParams {
        ConvParams {
            batch: g.batch as u32,
            in_h: g.in_h as u32,
            in_w: g.in_w as u32,
            c_in: g.channels as u32,
            k_h: g.k_h as u32,
            k_w: g.k_w as u32,
            c_out: c_out as u32,
            stride_h: g.stride_h as u32,
            stride_w: g.stride_w as u32,
            dil_h: g.dil_h as u32,
            dil_w: g.dil_w as u32,
            pad_top: g.pad_top as u32,
            pad_left: g.pad_left as u32,
            out_h: g.out_h as u32,
            out_w: g.out_w as u32,
            _pad: 0,
        }
    }
}

/// The signature every forward convolution kernel shares: `(ctx, geometry, c_out, x, w,
/// bias, y)` (tests run each one).
pub type ConvKernel =
    fn(&GpuContext, &Window2d, usize, &Buffer, &Buffer, &Buffer, &Buffer) -> Result<()>;

/// The signature every input-gradient convolution kernel shares: `(ctx, geometry, c_out,
/// dy, w, dx)`.
pub type ConvGradKernel =
    fn(&GpuContext, &Window2d, usize, &Buffer, &Buffer, &Buffer) -> Result<()>;

/// Channels from which a convolution is tiled as a GEMM on the GPU; below, the 64-wide
/// tiles would be mostly empty and one thread per output value is faster.
const TILED_FROM_CHANNELS: usize = 64;

/// Which kernel computes a convolution: tiled as a GEMM for 64 output channels or more;
/// else, with output channels in fours, 4 positions × 4 channels per thread (the greyscale
/// first layer from a row held in registers, inputs in fours as vec4 too); else one thread
/// per output value.
pub fn conv2d_forward_kernel(g: &Window2d, c_out: usize) -> ConvKernel {
    if c_out >= TILED_FROM_CHANNELS {
        conv2d_forward
    } else if !c_out.is_multiple_of(4) {
        conv2d_forward_direct
    } else if single_channel(g, c_out) {
        conv2d_forward_c1
    } else if g.channels.is_multiple_of(4) {
        conv2d_forward_vec4x4
    } else {
        conv2d_forward_vec4
    }
}

/// Which kernel computes a convolution's input gradient: tiled for 64 input channels or
/// more, four input channels per thread when both channel counts are in fours, else one
/// thread per input value.
pub fn conv2d_backward_input_kernel(g: &Window2d, c_out: usize) -> ConvGradKernel {
    if g.channels >= TILED_FROM_CHANNELS {
        conv2d_backward_input
    } else if g.channels.is_multiple_of(4) && c_out.is_multiple_of(4) {
        conv2d_backward_input_vec4
    } else {
        conv2d_backward_input_direct
    }
}

/// True for a first layer on greyscale images that the register-window forward kernel
/// handles: one input channel, stride 1, no dilation, output channels in fours, windows ≤ 8
/// wide.
pub fn single_channel(g: &Window2d, c_out: usize) -> bool {
    g.channels == 1
        && (g.stride_h, g.stride_w, g.dil_h, g.dil_w) == (1, 1, 1, 1)
        && c_out.is_multiple_of(4)
        && g.k_w <= 8
}

/// `y = conv(x, w) + bias` as an implicit GEMM in 64×64 tiles.
pub fn conv2d_forward(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    x: &Buffer,
    w: &Buffer,
    bias: &Buffer,
    y: &Buffer,
) -> Result<()> {
    let rows = g.batch * g.out_positions();
    let p = ConvParams::new(g, c_out);
    ctx.dispatch(
        Kernel::Conv2dForward,
        &p,
        &[y],
        &[x, w, bias],
        gemm_grid(rows, c_out),
    )
}

/// `y = conv(x, w) + bias`, one thread per output value.
pub fn conv2d_forward_direct(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    x: &Buffer,
    w: &Buffer,
    bias: &Buffer,
    y: &Buffer,
) -> Result<()> {
    let n = g.batch * g.out_positions() * c_out;
    let p = ConvParams::new(g, c_out);
    ctx.dispatch(
        Kernel::Conv2dForwardDirect,
        &p,
        &[y],
        &[x, w, bias],
        grid(n),
    )
}

/// Threads of the 4 positions × 4 channels kernels.
fn vec4_threads(g: &Window2d, c_out: usize) -> usize {
    g.batch * g.out_h * g.out_w.div_ceil(4) * (c_out / 4)
}

/// `y = conv(x, w) + bias`, 4 positions × 4 output channels per thread, x read one value at
/// a time (C_out % 4 == 0).
pub fn conv2d_forward_vec4(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    x: &Buffer,
    w: &Buffer,
    bias: &Buffer,
    y: &Buffer,
) -> Result<()> {
    debug_assert!(c_out.is_multiple_of(4));
    let (p, n) = (ConvParams::new(g, c_out), vec4_threads(g, c_out));
    ctx.dispatch(Kernel::Conv2dForwardVec4, &p, &[y], &[x, w, bias], grid(n))
}

/// `y = conv(x, w) + bias`, 4 positions × 4 output channels per thread, x read as vec4 too
/// (C_in and C_out % 4 == 0).
pub fn conv2d_forward_vec4x4(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    x: &Buffer,
    w: &Buffer,
    bias: &Buffer,
    y: &Buffer,
) -> Result<()> {
    debug_assert!(c_out.is_multiple_of(4) && g.channels.is_multiple_of(4));
    let (p, n) = (ConvParams::new(g, c_out), vec4_threads(g, c_out));
    ctx.dispatch(
        Kernel::Conv2dForwardVec4x4,
        &p,
        &[y],
        &[x, w, bias],
        grid(n),
    )
}

/// `y = conv(x, w) + bias` for one input channel ([`single_channel`]): 8 positions × 4
/// output channels per thread from a row of x held in registers.
pub fn conv2d_forward_c1(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    x: &Buffer,
    w: &Buffer,
    bias: &Buffer,
    y: &Buffer,
) -> Result<()> {
    debug_assert!(single_channel(g, c_out));
    let n = g.batch * g.out_h * g.out_w.div_ceil(8) * (c_out / 4);
    let p = ConvParams::new(g, c_out);
    ctx.dispatch(Kernel::Conv2dForwardC1, &p, &[y], &[x, w, bias], grid(n))
}

/// `dx`, gathered from the windows that read each input, in 64×64 tiles.
pub fn conv2d_backward_input(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    dy: &Buffer,
    w: &Buffer,
    dx: &Buffer,
) -> Result<()> {
    let groups = gemm_grid(g.batch * g.in_h * g.in_w, g.channels);
    let p = ConvParams::new(g, c_out);
    ctx.dispatch(Kernel::Conv2dBackwardInput, &p, &[dx], &[dy, w], groups)
}

/// `dx`, four input channels per thread (C_in and C_out % 4 == 0).
pub fn conv2d_backward_input_vec4(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    dy: &Buffer,
    w: &Buffer,
    dx: &Buffer,
) -> Result<()> {
    let n = g.batch * g.in_h * g.in_w.div_ceil(4) * (g.channels / 4);
    let p = ConvParams::new(g, c_out);
    ctx.dispatch(
        Kernel::Conv2dBackwardInputVec4,
        &p,
        &[dx],
        &[dy, w],
        grid(n),
    )
}

/// `dx`, one thread per input value gathering from the windows that read it.
pub fn conv2d_backward_input_direct(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    dy: &Buffer,
    w: &Buffer,
    dx: &Buffer,
) -> Result<()> {
    let n = g.batch * g.in_h * g.in_w * g.channels;
    let p = ConvParams::new(g, c_out);
    ctx.dispatch(
        Kernel::Conv2dBackwardInputDirect,
        &p,
        &[dx],
        &[dy, w],
        grid(n),
    )
}

/// Output positions each thread of the split-K weight gradient sums (`CHUNK` in
/// conv2d_direct.wgsl and the vec4 files).
const WEIGHT_CHUNK: usize = 256;

/// `shaders/conv/conv2d_reduce.wgsl::Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ReduceChunksParams {
    count: u32,
    chunks: u32,
    weights: u32,
    _pad: u32,
}

/// Which kernel sums the weight gradient's partial sums, and its threads for `chunks`
/// chunks: the widest the channel counts allow (each has threads for the bias row too).
pub fn conv2d_backward_weight_kernel(g: &Window2d, c_out: usize, chunks: usize) -> (Kernel, usize) {
    let quads = c_out / 4;
    if c_out.is_multiple_of(4) && g.channels.is_multiple_of(4) {
        let cells = g.k_h * g.k_w * (g.channels / 4) * quads;
        (
            Kernel::Conv2dBackwardWeightPartialVec4x4,
            (cells + quads) * chunks,
        )
    } else if c_out.is_multiple_of(4) {
        let threads = (g.patch_len() + 1) * quads * chunks;
        (Kernel::Conv2dBackwardWeightPartialVec4, threads)
    } else {
        let threads = (g.patch_len() + 1) * c_out * chunks;
        (Kernel::Conv2dBackwardWeightPartial, threads)
    }
}

/// `dw += colsᵀ·dy` and `db += Σ dy`, split over chunks of output positions, then summed: two
/// dispatches. The bias is the last row of the partial sums (a tap whose input is 1). A
/// tiled GEMM would run this long, thin product (taps × positions · positions × channels) in
/// a handful of workgroups.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_backward_weight(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    x: &Buffer,
    dy: &Buffer,
    dw: &Buffer,
    db: &Buffer,
) -> Result<()> {
    let taps = g.patch_len();
    let chunks = (g.batch * g.out_positions()).div_ceil(WEIGHT_CHUNK);
    // Partial sums of every chunk: a size from the layer's shape, counted without wrapping.
    let partial_bytes = crate::size::product(&[taps + 1, c_out, chunks])
        .and_then(|n| crate::size::mul(n, crate::size::F32_BYTES))
        .ok_or_else(|| {
            Error::Gpu(format!(
                "conv weight gradient: {taps}·{c_out}·{chunks} partial sums overflow"
            ))
        })?;
    let partial = ctx.take_buffer(partial_bytes);
    let (kernel, threads) = conv2d_backward_weight_kernel(g, c_out, chunks);
    let p = ConvParams::new(g, c_out);
    ctx.dispatch(kernel, &p, &[&partial], &[x, dy], grid(threads))?;
    let r = ReduceChunksParams {
        count: ((taps + 1) * c_out) as u32,
        chunks: chunks as u32,
        weights: (taps * c_out) as u32,
        _pad: 0,
    };
    let result = ctx.dispatch(
        Kernel::Conv2dBackwardWeightReduce,
        &r,
        &[dw, db],
        &[&partial],
        grid((taps + 1) * c_out),
    );
    ctx.give_buffer(partial);
    result
}
