//! Losses and the correct count: `shaders/loss/`.

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use super::activation::rows_params;
use crate::backend::webgpu::kernels::Kernel;
use crate::backend::webgpu::GpuContext;
use crate::error::Result;

/// `shaders/loss/loss.wgsl::Params`.
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
    ctx.dispatch(kernel, &p, &[grad, loss], &[scores, targets], (1, 1, 1))
}

pub fn count_correct(
    ctx: &GpuContext,
    rows: usize,
    cols: usize,
    scores: &Buffer,
    targets: &Buffer,
    out: &Buffer,
) -> Result<()> {
    let p = rows_params(rows, cols);
    ctx.dispatch(
        Kernel::CountCorrect,
        &p,
        &[out],
        &[scores, targets],
        (1, 1, 1),
    )
}
