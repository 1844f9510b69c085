//! The GPU side of every op: a typed params struct per shader (same field order as its WGSL
//! `struct Params`) and a function that records the dispatch. Named after the CPU kernels;
//! `backend::ops` checks shapes and calls these for tensors on a GPU.

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use super::kernels::{fold, gemm_grid, grid, Kernel};
use super::GpuContext;
use crate::backend::geometry::Window2d;
use crate::backend::Activation;
use crate::error::{Error, Result};

// ---------------------------------------------------------------- gemm

/// `shaders/gemm/matmul.wgsl::Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct MatmulParams {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub a_rs: u32,
    pub a_cs: u32,
    pub b_rs: u32,
    pub b_cs: u32,
    pub accumulate: u32,
    pub has_bias: u32,
    pub _pad: [u32; 3],
}

/// The signature every matmul kernel shares (tests run each one).
pub type MatmulKernel =
    fn(&GpuContext, MatmulParams, &Buffer, &Buffer, &Buffer, Option<&Buffer>) -> Result<()>;

/// `C (+)= A·B (+ bias)` with strided A and B (transposes are strides).
pub fn matmul(
    ctx: &GpuContext,
    p: MatmulParams,
    a: &Buffer,
    b: &Buffer,
    c: &Buffer,
    bias: Option<&Buffer>,
) -> Result<()> {
    // An unused bias binding still needs a buffer: A, read-only like it.
    let bias = bias.unwrap_or(a);
    ctx.dispatch(
        Kernel::Matmul,
        &p,
        &[a, b, c, bias],
        gemm_grid(p.m as usize, p.n as usize),
    )
}

// ---------------------------------------------------------------- convolution

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

/// The signature every forward convolution kernel shares (tests run each one).
pub type ConvKernel =
    fn(&GpuContext, &Window2d, usize, &Buffer, &Buffer, &Buffer, &Buffer) -> Result<()>;

/// The signature every input-gradient convolution kernel shares.
pub type ConvGradKernel =
    fn(&GpuContext, &Window2d, usize, &Buffer, &Buffer, &Buffer) -> Result<()>;

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

/// `y = conv(x, w) + bias` (implicit GEMM).
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
    ctx.dispatch(
        Kernel::Conv2dForward,
        &ConvParams::new(g, c_out),
        &[x, w, bias, y],
        gemm_grid(rows, c_out),
    )
}

/// `dw += colsᵀ·dy` (the bias gradient is a separate column sum).
pub fn conv2d_backward_weight(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    x: &Buffer,
    dy: &Buffer,
    dw: &Buffer,
) -> Result<()> {
    ctx.dispatch(
        Kernel::Conv2dBackwardWeight,
        &ConvParams::new(g, c_out),
        &[x, dy, dw],
        gemm_grid(g.patch_len(), c_out),
    )
}

/// `dx`, gathered from the windows that read each input.
pub fn conv2d_backward_input(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    dy: &Buffer,
    w: &Buffer,
    dx: &Buffer,
) -> Result<()> {
    ctx.dispatch(
        Kernel::Conv2dBackwardInput,
        &ConvParams::new(g, c_out),
        &[dy, w, dx],
        gemm_grid(g.batch * g.in_h * g.in_w, g.channels),
    )
}

/// Output positions each thread of the split-K weight gradient sums (`CHUNK` in
/// conv2d_direct.wgsl).
const WEIGHT_CHUNK: usize = 256;

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
    ctx.dispatch(
        Kernel::Conv2dForwardDirect,
        &ConvParams::new(g, c_out),
        &[x, w, y, bias],
        grid(n),
    )
}

/// `y = conv(x, w) + bias`, 4 positions × 4 channels per thread (C_out % 4 == 0).
pub fn conv2d_forward_vec4(
    ctx: &GpuContext,
    g: &Window2d,
    c_out: usize,
    x: &Buffer,
    w: &Buffer,
    bias: &Buffer,
    y: &Buffer,
) -> Result<()> {
    // Single-channel input: 8 positions per thread from a row held in registers; channels
    // in fours: x as vec4 too; otherwise x one value at a time.
    let (kernel, n) = if single_channel(g, c_out) {
        let n = g.batch * g.out_h * g.out_w.div_ceil(8) * (c_out / 4);
        (Kernel::Conv2dForwardC1, n)
    } else if g.channels.is_multiple_of(4) {
        let n = g.batch * g.out_h * g.out_w.div_ceil(4) * (c_out / 4);
        (Kernel::Conv2dForwardVec4x4, n)
    } else {
        let n = g.batch * g.out_h * g.out_w.div_ceil(4) * (c_out / 4);
        (Kernel::Conv2dForwardVec4, n)
    };
    ctx.dispatch(
        kernel,
        &ConvParams::new(g, c_out),
        &[x, w, y, bias],
        grid(n),
    )
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
    ctx.dispatch(
        Kernel::Conv2dBackwardInputVec4,
        &ConvParams::new(g, c_out),
        &[dy, w, dx],
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
    ctx.dispatch(
        Kernel::Conv2dBackwardInputDirect,
        &ConvParams::new(g, c_out),
        &[dy, w, dx],
        grid(n),
    )
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ReduceChunksParams {
    count: u32,
    chunks: u32,
    weights: u32,
    _pad: u32,
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

/// `dw += colsᵀ·dy` and `db += Σ dy`, split over chunks of output positions, then summed: two
/// dispatches. The bias is the last row of the partial sums (a tap whose input is 1).
#[allow(clippy::too_many_arguments)]
pub fn conv2d_backward_weight_split(
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
    let p = ConvParams::new(g, c_out);
    let quads = c_out / 4;
    // The widest kernel the shapes allow; each has its threads for the bias row too.
    let (kernel, threads) = if c_out.is_multiple_of(4) && g.channels.is_multiple_of(4) {
        let cells = g.k_h * g.k_w * (g.channels / 4) * quads;
        (
            Kernel::Conv2dBackwardWeightPartialVec4x4,
            (cells + quads) * chunks,
        )
    } else if c_out.is_multiple_of(4) {
        (
            Kernel::Conv2dBackwardWeightPartialVec4,
            (taps + 1) * quads * chunks,
        )
    } else {
        (
            Kernel::Conv2dBackwardWeightPartial,
            (taps + 1) * c_out * chunks,
        )
    };
    ctx.dispatch(kernel, &p, &[x, dy, &partial], grid(threads))?;
    let r = ReduceChunksParams {
        count: ((taps + 1) * c_out) as u32,
        chunks: chunks as u32,
        weights: (taps * c_out) as u32,
        _pad: 0,
    };
    let result = ctx.dispatch(
        Kernel::Conv2dBackwardWeightReduce,
        &r,
        &[&partial, dw, db],
        grid((taps + 1) * c_out),
    );
    ctx.give_buffer(partial);
    result
}

/// `C (+)= A·B (+ bias)`, a 4×4 block of C per thread with B read four columns at a time
/// (B's rows contiguous, n and B's row stride divisible by 4).
pub fn matmul_vec4(
    ctx: &GpuContext,
    p: MatmulParams,
    a: &Buffer,
    b: &Buffer,
    c: &Buffer,
    bias: Option<&Buffer>,
) -> Result<()> {
    debug_assert!(p.b_cs == 1 && p.n.is_multiple_of(4) && p.b_rs.is_multiple_of(4));
    let bias = bias.unwrap_or(b);
    let threads = (p.m as usize).div_ceil(4) * (p.n as usize / 4);
    ctx.dispatch(Kernel::MatmulVec4, &p, &[a, b, c, bias], grid(threads))
}

/// `C (+)= A·B (+ bias)`, one thread per element of C.
pub fn matmul_direct(
    ctx: &GpuContext,
    p: MatmulParams,
    a: &Buffer,
    b: &Buffer,
    c: &Buffer,
    bias: Option<&Buffer>,
) -> Result<()> {
    let bias = bias.unwrap_or(a);
    ctx.dispatch(
        Kernel::MatmulDirect,
        &p,
        &[a, b, c, bias],
        grid((p.m * p.n) as usize),
    )
}

// ---------------------------------------------------------------- pooling

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
        &[x, y],
        grid(n),
    )
}

pub fn max_pool2d_backward(
    ctx: &GpuContext,
    g: &Window2d,
    x: &Buffer,
    dy: &Buffer,
    dx: &Buffer,
) -> Result<()> {
    if g.stride_h >= g.k_h && g.stride_w >= g.k_w {
        // Windows do not overlap: one thread per window writes it; the rest stays 0.
        ctx.clear(dx, 4 * input_count(g) as u64);
        let n = output_count(g);
        let p = pool_params(g, n);
        return ctx.dispatch(Kernel::MaxPool2dBackwardTiled, &p, &[x, dy, dx], grid(n));
    }
    let n = input_count(g);
    ctx.dispatch(
        Kernel::MaxPool2dBackward,
        &pool_params(g, n),
        &[x, dy, dx],
        grid(n),
    )
}

pub fn avg_pool2d_forward(ctx: &GpuContext, g: &Window2d, x: &Buffer, y: &Buffer) -> Result<()> {
    let n = output_count(g);
    ctx.dispatch(
        Kernel::AvgPool2dForward,
        &pool_params(g, n),
        &[x, y],
        grid(n),
    )
}

pub fn avg_pool2d_backward(ctx: &GpuContext, g: &Window2d, dy: &Buffer, dx: &Buffer) -> Result<()> {
    let n = input_count(g);
    ctx.dispatch(
        Kernel::AvgPool2dBackward,
        &pool_params(g, n),
        &[dy, dx],
        grid(n),
    )
}

// ---------------------------------------------------------------- activations

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ActivationParams {
    count: u32,
    kind: u32,
    alpha: f32,
    _pad: u32,
}

fn activation_params(kind: Activation, count: usize) -> ActivationParams {
    let (kind, alpha) = match kind {
        Activation::Relu => (0, 0.0),
        Activation::LeakyRelu { alpha } => (1, alpha),
        Activation::Sigmoid => (2, 0.0),
        Activation::Tanh => (3, 0.0),
    };
    ActivationParams {
        count: count as u32,
        kind,
        alpha,
        _pad: 0,
    }
}

pub fn activation_forward(
    ctx: &GpuContext,
    kind: Activation,
    n: usize,
    x: &Buffer,
    y: &Buffer,
) -> Result<()> {
    ctx.dispatch(
        Kernel::ActivationForward,
        &activation_params(kind, n),
        &[x, y],
        grid(n),
    )
}

pub fn activation_backward(
    ctx: &GpuContext,
    kind: Activation,
    n: usize,
    y: &Buffer,
    dx: &Buffer,
    dy: &Buffer,
) -> Result<()> {
    ctx.dispatch(
        Kernel::ActivationBackward,
        &activation_params(kind, n),
        &[y, dx, dy],
        grid(n),
    )
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct RowsParams {
    rows: u32,
    cols: u32,
    _pad: [u32; 2],
}

fn rows_params(rows: usize, cols: usize) -> RowsParams {
    RowsParams {
        rows: rows as u32,
        cols: cols as u32,
        _pad: [0; 2],
    }
}

pub fn softmax_forward(
    ctx: &GpuContext,
    rows: usize,
    cols: usize,
    x: &Buffer,
    y: &Buffer,
) -> Result<()> {
    ctx.dispatch(
        Kernel::SoftmaxForward,
        &rows_params(rows, cols),
        &[x, y],
        grid(rows),
    )
}

pub fn softmax_backward(
    ctx: &GpuContext,
    rows: usize,
    cols: usize,
    y: &Buffer,
    dx: &Buffer,
    dy: &Buffer,
) -> Result<()> {
    ctx.dispatch(
        Kernel::SoftmaxBackward,
        &rows_params(rows, cols),
        &[y, dx, dy],
        grid(rows),
    )
}

// ---------------------------------------------------------------- batch norm

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
    ctx.dispatch(
        Kernel::ChannelMoments,
        &bn_params(rows, channels, 0.0),
        &[x, mean, var],
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
        &[x, gamma, beta, mean, var, y],
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
        &[x, dy, gamma, mean, var, dgamma, dbeta, dx],
        fold(channels),
    )
}

// ---------------------------------------------------------------- random

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
    ctx.dispatch(Kernel::Dropout, &p, &[x, y], grid(n))
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
    ctx.dispatch(Kernel::GaussianNoise, &p, &[x, y], grid(n))
}

// ---------------------------------------------------------------- losses

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct LossParams {
    rows: u32,
    cols: u32,
    smoothing: f32,
    _pad: u32,
}

/// Which loss kernel.
#[derive(Debug, Clone, Copy)]
pub enum LossKernel {
    SoftmaxCrossEntropy { smoothing: f32 },
    MeanSquaredError,
    Hinge,
}

/// Writes the gradient and the batch-mean loss (`loss[0]`) in one workgroup.
#[allow(clippy::too_many_arguments)]
pub fn loss(
    ctx: &GpuContext,
    kind: LossKernel,
    rows: usize,
    cols: usize,
    scores: &Buffer,
    targets: &Buffer,
    grad: &Buffer,
    loss: &Buffer,
) -> Result<()> {
    let (kernel, smoothing) = match kind {
        LossKernel::SoftmaxCrossEntropy { smoothing } => (Kernel::SoftmaxCrossEntropy, smoothing),
        LossKernel::MeanSquaredError => (Kernel::MeanSquaredError, 0.0),
        LossKernel::Hinge => (Kernel::Hinge, 0.0),
    };
    let p = LossParams {
        rows: rows as u32,
        cols: cols as u32,
        smoothing,
        _pad: 0,
    };
    ctx.dispatch(kernel, &p, &[scores, targets, grad, loss], (1, 1, 1))
}

pub fn count_correct(
    ctx: &GpuContext,
    rows: usize,
    cols: usize,
    scores: &Buffer,
    targets: &Buffer,
    out: &Buffer,
) -> Result<()> {
    ctx.dispatch(
        Kernel::CountCorrect,
        &rows_params(rows, cols),
        &[scores, targets, out],
        (1, 1, 1),
    )
}

// ---------------------------------------------------------------- reductions

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ReduceParams {
    count: u32,
    cols: u32,
    kind: u32,
    _pad: u32,
}

/// What [`sum`] adds up.
#[derive(Debug, Clone, Copy)]
pub enum SumOf {
    Values = 0,
    Abs = 1,
    Squares = 2,
}

pub fn sum(ctx: &GpuContext, what: SumOf, n: usize, x: &Buffer, out: &Buffer) -> Result<()> {
    let p = ReduceParams {
        count: n as u32,
        cols: 1,
        kind: what as u32,
        _pad: 0,
    };
    ctx.dispatch(Kernel::Sum, &p, &[x, out], (1, 1, 1))
}

pub fn column_sums_acc(
    ctx: &GpuContext,
    n: usize,
    cols: usize,
    x: &Buffer,
    out: &Buffer,
) -> Result<()> {
    let p = ReduceParams {
        count: n as u32,
        cols: cols as u32,
        kind: 0,
        _pad: 0,
    };
    ctx.dispatch(Kernel::ColumnSumsAcc, &p, &[x, out], fold(cols))
}

// ---------------------------------------------------------------- element-wise

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ElemParams {
    count: u32,
    cols: u32,
    a: f32,
    b: f32,
}

fn elem(n: usize, cols: usize, a: f32, b: f32) -> ElemParams {
    ElemParams {
        count: n as u32,
        cols: cols as u32,
        a,
        b,
    }
}

/// `y += a·x`.
pub fn axpy(ctx: &GpuContext, n: usize, a: f32, y: &Buffer, x: &Buffer) -> Result<()> {
    ctx.dispatch(Kernel::Axpy, &elem(n, 1, a, 0.0), &[y, x], grid(n))
}

/// `y += a·sign(x)`.
pub fn add_sign(ctx: &GpuContext, n: usize, a: f32, y: &Buffer, x: &Buffer) -> Result<()> {
    ctx.dispatch(Kernel::AddSign, &elem(n, 1, a, 0.0), &[y, x], grid(n))
}

/// `y = a·y + b·x`.
pub fn scale_add(ctx: &GpuContext, n: usize, a: f32, b: f32, y: &Buffer, x: &Buffer) -> Result<()> {
    ctx.dispatch(Kernel::ScaleAdd, &elem(n, 1, a, b), &[y, x], grid(n))
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
    ctx.dispatch(
        Kernel::ScaleAddKeepZeros,
        &elem(n, 1, a, b),
        &[y, x],
        grid(n),
    )
}

/// `y[i] += v[i mod cols]`.
pub fn add_row_vector(
    ctx: &GpuContext,
    n: usize,
    cols: usize,
    y: &Buffer,
    v: &Buffer,
) -> Result<()> {
    ctx.dispatch(
        Kernel::AddRowVector,
        &elem(n, cols, 0.0, 0.0),
        &[y, v],
        grid(n),
    )
}

/// `y *= a`.
pub fn scale(ctx: &GpuContext, n: usize, a: f32, y: &Buffer) -> Result<()> {
    ctx.dispatch(Kernel::Scale, &elem(n, 1, a, 0.0), &[y], grid(n))
}

/// `y = value`.
pub fn fill(ctx: &GpuContext, n: usize, value: f32, y: &Buffer) -> Result<()> {
    ctx.dispatch(Kernel::Fill, &elem(n, 1, value, 0.0), &[y], grid(n))
}

/// `out = a ⊙ b`.
pub fn mul(ctx: &GpuContext, n: usize, out: &Buffer, a: &Buffer, b: &Buffer) -> Result<()> {
    ctx.dispatch(Kernel::Mul, &elem(n, 1, 0.0, 0.0), &[out, a, b], grid(n))
}

// ---------------------------------------------------------------- optimizers

/// `shaders/optim/optim.wgsl::Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default)]
pub struct OptimParams {
    pub count: u32,
    pub lr: f32,
    pub a: f32,
    pub b: f32,
    pub eps: f32,
    pub c1: f32,
    pub c2: f32,
    pub decay: f32,
    /// L1's strength: each kernel ends with the proximal step (soft thresholding).
    pub l1: f32,
    pub _pad: [u32; 3],
}

/// One optimizer update: `kernel` is one of the `*Step` kernels; `state` holds its 0–2
/// state buffers.
pub fn optimizer_step(
    ctx: &GpuContext,
    kernel: Kernel,
    p: OptimParams,
    param: &Buffer,
    grad: &Buffer,
    state: &[&Buffer],
) -> Result<()> {
    let mut buffers = vec![param, grad];
    buffers.extend_from_slice(state);
    ctx.dispatch(kernel, &p, &buffers, grid(p.count as usize))
}

// ---------------------------------------------------------------- data

/// `shaders/data/gather_batch.wgsl::Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct GatherParams {
    pub batch: u32,
    pub rows: u32,
    pub cols: u32,
    pub stride: u32,
    pub classes: u32,
    pub normalization: u32,
    pub mean: f32,
    pub inv_std: f32,
    pub augment: u32,
    pub _pad: [u32; 3],
}

/// `shaders/data/gather_batch.wgsl::Aug`: one image's augmentation.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default)]
pub struct AugParams {
    c: f32,
    s: f32,
    dx: f32,
    dy: f32,
    flags: u32,
    erase_top: u32,
    erase_left: u32,
    erase_h: u32,
    erase_w: u32,
    noise_key: u32,
    noise_std: f32,
    _pad: u32,
}

impl From<&crate::data::augment::ImageAugment> for AugParams {
    fn from(a: &crate::data::augment::ImageAugment) -> AugParams {
        let (c, s, dx, dy) = a.warp.unwrap_or((1.0, 0.0, 0.0, 0.0));
        let (top, left, h, w) = a.erase.unwrap_or((0, 0, 0, 0));
        let flags = a.warp.is_some() as u32
            | (a.hflip as u32) << 1
            | (a.vflip as u32) << 2
            | (a.blur as u32) << 3
            | (a.erase.is_some() as u32) << 4
            | (a.invert as u32) << 5;
        AugParams {
            c,
            s,
            dx,
            dy,
            flags,
            erase_top: top as u32,
            erase_left: left as u32,
            erase_h: h as u32,
            erase_w: w as u32,
            noise_key: a.noise_key,
            noise_std: a.noise_std,
            _pad: 0,
        }
    }
}

/// Gathers, augments and normalises a batch: buffers are images, labels, indices,
/// augmentations, mean image, inputs, targets.
pub fn gather_batch(ctx: &GpuContext, p: GatherParams, buffers: [&Buffer; 7]) -> Result<()> {
    let n = (p.batch * p.rows * p.cols) as usize;
    ctx.dispatch(Kernel::GatherBatch, &p, &buffers, grid(n))
}
