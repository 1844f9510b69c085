use super::{placement, Tensor};
use crate::backend::cpu::loss as cpu;
use crate::backend::webgpu::ops::{self as gpu, LossKernel};
use crate::error::{Error, Result};

fn check(op: &'static str, scores: &Tensor, targets: &Tensor) -> Result<usize> {
    if scores.shape().len() != 2 || scores.shape() != targets.shape() {
        return Err(Error::shape(
            op,
            format!(
                "scores {:?} and targets {:?} must both be [batch, classes]",
                scores.shape(),
                targets.shape()
            ),
        ));
    }
    Ok(scores.channels())
}

/// Runs a loss: (batch-mean loss as a one-element tensor, gradient w.r.t. the scores).
fn loss(
    op: &'static str,
    scores: &Tensor,
    targets: &Tensor,
    kind: LossKernel,
    on_cpu: impl FnOnce(&[f32], &[f32], usize, &mut [f32]) -> f32,
) -> Result<(Tensor, Tensor)> {
    let classes = check(op, scores, targets)?;
    let mut grad = scores.scratch_like();
    match placement(op, &[scores, targets])? {
        None => {
            let value = on_cpu(
                scores.as_slice(),
                targets.as_slice(),
                classes,
                grad.as_mut_slice(),
            );
            Ok((Tensor::full([1], value), grad))
        }
        Some(ctx) => {
            let value = Tensor::scratch_on([1], &scores.device());
            gpu::loss(
                &ctx,
                kind,
                scores.rows(),
                classes,
                scores.gpu_buffer(),
                targets.gpu_buffer(),
                grad.gpu_buffer(),
                value.gpu_buffer(),
            )?;
            Ok((value, grad))
        }
    }
}

/// Fused softmax cross-entropy with label smoothing: (mean loss, gradient w.r.t. logits).
pub fn softmax_cross_entropy(
    logits: &Tensor,
    targets: &Tensor,
    smoothing: f32,
) -> Result<(Tensor, Tensor)> {
    loss(
        "softmax_cross_entropy",
        logits,
        targets,
        LossKernel::SoftmaxCrossEntropy { smoothing },
        |z, t, c, g| cpu::softmax_cross_entropy(z, t, c, smoothing, g),
    )
}

/// Mean squared error: (mean loss, gradient w.r.t. outputs).
pub fn mean_squared_error(outputs: &Tensor, targets: &Tensor) -> Result<(Tensor, Tensor)> {
    loss(
        "mean_squared_error",
        outputs,
        targets,
        LossKernel::MeanSquaredError,
        |y, t, _, g| cpu::mean_squared_error(y, t, g),
    )
}

/// Multi-class hinge loss: (mean loss, gradient w.r.t. scores).
pub fn hinge(scores: &Tensor, targets: &Tensor) -> Result<(Tensor, Tensor)> {
    loss("hinge", scores, targets, LossKernel::Hinge, cpu::hinge)
}

/// Number of rows whose top score is the target class, as a one-element tensor.
pub fn count_correct(scores: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let classes = check("count_correct", scores, targets)?;
    match placement("count_correct", &[scores, targets])? {
        None => {
            let n = cpu::count_correct(scores.as_slice(), targets.as_slice(), classes);
            Ok(Tensor::full([1], n as f32))
        }
        Some(ctx) => {
            let out = Tensor::scratch_on([1], &scores.device());
            gpu::count_correct(
                &ctx,
                scores.rows(),
                classes,
                scores.gpu_buffer(),
                targets.gpu_buffer(),
                out.gpu_buffer(),
            )?;
            Ok(out)
        }
    }
}
