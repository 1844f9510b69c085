use super::{same_len, Tensor};
use crate::backend::cpu::activation as cpu;
use crate::backend::Activation;
use crate::error::Result;

/// `y = f(x)` element-wise.
pub fn activation_forward(kind: Activation, x: &Tensor) -> Result<Tensor> {
    let mut y = x.scratch_like();
    cpu::activation_forward(kind, x.as_slice(), y.as_mut_slice());
    Ok(y)
}

/// `dx = f'(x)·dy`, from the forward's output `y`.
pub fn activation_backward(kind: Activation, y: &Tensor, dy: &Tensor) -> Result<Tensor> {
    same_len("activation_backward", y, dy)?;
    let mut dx = y.scratch_like();
    cpu::activation_backward(kind, y.as_slice(), dy.as_slice(), dx.as_mut_slice());
    Ok(dx)
}

/// Softmax over the last axis.
pub fn softmax_forward(x: &Tensor) -> Result<Tensor> {
    let mut y = x.scratch_like();
    cpu::softmax_forward(x.as_slice(), x.channels(), y.as_mut_slice());
    Ok(y)
}

/// Softmax backward from its output `y`.
pub fn softmax_backward(y: &Tensor, dy: &Tensor) -> Result<Tensor> {
    same_len("softmax_backward", y, dy)?;
    let mut dx = y.scratch_like();
    cpu::softmax_backward(y.as_slice(), dy.as_slice(), y.channels(), dx.as_mut_slice());
    Ok(dx)
}
