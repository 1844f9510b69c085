use super::Tensor;
use crate::backend::cpu::loss as cpu;
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

/// Fused softmax cross-entropy with label smoothing: (mean loss, gradient w.r.t. logits).
pub fn softmax_cross_entropy(
    logits: &Tensor,
    targets: &Tensor,
    smoothing: f32,
) -> Result<(Tensor, Tensor)> {
    let classes = check("softmax_cross_entropy", logits, targets)?;
    let mut grad = logits.scratch_like();
    let loss = cpu::softmax_cross_entropy(
        logits.as_slice(),
        targets.as_slice(),
        classes,
        smoothing,
        grad.as_mut_slice(),
    );
    Ok((Tensor::full([1], loss), grad))
}

/// Mean squared error: (mean loss, gradient w.r.t. outputs).
pub fn mean_squared_error(outputs: &Tensor, targets: &Tensor) -> Result<(Tensor, Tensor)> {
    check("mean_squared_error", outputs, targets)?;
    let mut grad = outputs.scratch_like();
    let loss = cpu::mean_squared_error(outputs.as_slice(), targets.as_slice(), grad.as_mut_slice());
    Ok((Tensor::full([1], loss), grad))
}

/// Multi-class hinge loss: (mean loss, gradient w.r.t. scores).
pub fn hinge(scores: &Tensor, targets: &Tensor) -> Result<(Tensor, Tensor)> {
    let classes = check("hinge", scores, targets)?;
    let mut grad = scores.scratch_like();
    let loss = cpu::hinge(
        scores.as_slice(),
        targets.as_slice(),
        classes,
        grad.as_mut_slice(),
    );
    Ok((Tensor::full([1], loss), grad))
}

/// Number of rows whose top score is the target class, as a one-element tensor.
pub fn count_correct(scores: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let classes = check("count_correct", scores, targets)?;
    let n = cpu::count_correct(scores.as_slice(), targets.as_slice(), classes);
    Ok(Tensor::full([1], n as f32))
}
