use super::{same_len, Tensor};
use crate::backend::cpu::optim as cpu;
use crate::error::Result;

/// Adam's numbers for one step; `c1 = 1/(1 − β₁ᵗ)`, `c2 = 1/(1 − β₂ᵗ)` are its bias corrections
/// and `decay` is AdamW's decoupled weight decay (0 for plain Adam).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub c1: f32,
    pub c2: f32,
    pub decay: f32,
}

pub fn sgd_step(p: &mut Tensor, g: &Tensor, lr: f32) -> Result<()> {
    same_len("sgd_step", p, g)?;
    cpu::sgd_step(p.as_mut_slice(), g.as_slice(), lr);
    Ok(())
}

pub fn momentum_step(p: &mut Tensor, g: &Tensor, v: &mut Tensor, lr: f32, mu: f32) -> Result<()> {
    same_len("momentum_step", p, g)?;
    same_len("momentum_step", p, v)?;
    cpu::momentum_step(p.as_mut_slice(), g.as_slice(), v.as_mut_slice(), lr, mu);
    Ok(())
}

pub fn nesterov_step(p: &mut Tensor, g: &Tensor, v: &mut Tensor, lr: f32, mu: f32) -> Result<()> {
    same_len("nesterov_step", p, g)?;
    same_len("nesterov_step", p, v)?;
    cpu::nesterov_step(p.as_mut_slice(), g.as_slice(), v.as_mut_slice(), lr, mu);
    Ok(())
}

pub fn adagrad_step(p: &mut Tensor, g: &Tensor, h: &mut Tensor, lr: f32, eps: f32) -> Result<()> {
    same_len("adagrad_step", p, g)?;
    same_len("adagrad_step", p, h)?;
    cpu::adagrad_step(p.as_mut_slice(), g.as_slice(), h.as_mut_slice(), lr, eps);
    Ok(())
}

pub fn rmsprop_step(
    p: &mut Tensor,
    g: &Tensor,
    s: &mut Tensor,
    lr: f32,
    rho: f32,
    eps: f32,
) -> Result<()> {
    same_len("rmsprop_step", p, g)?;
    same_len("rmsprop_step", p, s)?;
    cpu::rmsprop_step(
        p.as_mut_slice(),
        g.as_slice(),
        s.as_mut_slice(),
        lr,
        rho,
        eps,
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn adadelta_step(
    p: &mut Tensor,
    g: &Tensor,
    eg: &mut Tensor,
    edx: &mut Tensor,
    lr: f32,
    rho: f32,
    eps: f32,
) -> Result<()> {
    same_len("adadelta_step", p, g)?;
    same_len("adadelta_step", p, eg)?;
    same_len("adadelta_step", p, edx)?;
    cpu::adadelta_step(
        p.as_mut_slice(),
        g.as_slice(),
        eg.as_mut_slice(),
        edx.as_mut_slice(),
        lr,
        rho,
        eps,
    );
    Ok(())
}

pub fn adam_step(
    p: &mut Tensor,
    g: &Tensor,
    m: &mut Tensor,
    v: &mut Tensor,
    h: AdamStep,
) -> Result<()> {
    same_len("adam_step", p, g)?;
    same_len("adam_step", p, m)?;
    same_len("adam_step", p, v)?;
    cpu::adam_step(
        p.as_mut_slice(),
        g.as_slice(),
        m.as_mut_slice(),
        v.as_mut_slice(),
        h.lr,
        h.beta1,
        h.beta2,
        h.eps,
        h.c1,
        h.c2,
        h.decay,
    );
    Ok(())
}
