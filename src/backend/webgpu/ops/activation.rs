//! Activations and softmax: `shaders/activation/`.

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use crate::backend::webgpu::kernels::{grid, wgsl_ids, Kernel};
use crate::backend::webgpu::GpuContext;
use crate::backend::Activation;
use crate::error::Result;

// The activation kinds activation.wgsl switches on, numbered here only.
wgsl_ids!(pub(crate) ACTIVATION_IDS { RELU = 0, LEAKY_RELU = 1, SIGMOID = 2, TANH = 3 });

/// `shaders/activation/activation.wgsl::Params`.
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
        Activation::Relu => (RELU, 0.0),
        Activation::LeakyRelu { alpha } => (LEAKY_RELU, alpha),
        Activation::Sigmoid => (SIGMOID, 0.0),
        Activation::Tanh => (TANH, 0.0),
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
    let p = activation_params(kind, n);
    ctx.dispatch(Kernel::ActivationForward, &p, &[y], &[x], grid(n))
}

/// `dx` from the forward's output `y` and `dy`.
pub fn activation_backward(
    ctx: &GpuContext,
    kind: Activation,
    n: usize,
    y: &Buffer,
    dx: &Buffer,
    dy: &Buffer,
) -> Result<()> {
    let p = activation_params(kind, n);
    ctx.dispatch(Kernel::ActivationBackward, &p, &[dx], &[y, dy], grid(n))
}

/// `shaders/activation/softmax.wgsl::Params` (and count_correct.wgsl's).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub(super) struct RowsParams {
    rows: u32,
    cols: u32,
    _pad: [u32; 2],
}

pub(super) fn rows_params(rows: usize, cols: usize) -> RowsParams {
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
    let p = rows_params(rows, cols);
    ctx.dispatch(Kernel::SoftmaxForward, &p, &[y], &[x], grid(rows))
}

/// `dx` from the forward's output `y` and `dy`.
pub fn softmax_backward(
    ctx: &GpuContext,
    rows: usize,
    cols: usize,
    y: &Buffer,
    dx: &Buffer,
    dy: &Buffer,
) -> Result<()> {
    let p = rows_params(rows, cols);
    ctx.dispatch(Kernel::SoftmaxBackward, &p, &[dx], &[y, dy], grid(rows))
}
