//! Optimizer update steps, one element-wise kernel each. `p` is the parameter, `g` its
//! gradient; the other slices are the optimizer's state for that parameter.

/// Plain gradient descent: `p −= lr·g`.
pub fn sgd_step(p: &mut [f32], g: &[f32], lr: f32) {
    for (p, g) in p.iter_mut().zip(g) {
        *p -= lr * g;
    }
}

/// Momentum: `v = μ·v − lr·g; p += v`.
pub fn momentum_step(p: &mut [f32], g: &[f32], v: &mut [f32], lr: f32, mu: f32) {
    for ((p, g), v) in p.iter_mut().zip(g).zip(v) {
        *v = mu * *v - lr * g;
        *p += *v;
    }
}

/// Nesterov momentum in the form that updates p in place (Sutskever et al. 2013, as in
/// CS231n): `v' = μ·v − lr·g; p += −μ·v + (1 + μ)·v'`.
pub fn nesterov_step(p: &mut [f32], g: &[f32], v: &mut [f32], lr: f32, mu: f32) {
    for ((p, g), v) in p.iter_mut().zip(g).zip(v) {
        let previous = *v;
        *v = mu * previous - lr * g;
        *p += -mu * previous + (1.0 + mu) * *v;
    }
}

/// AdaGrad: `h += g²; p −= lr·g/(√h + ε)`.
pub fn adagrad_step(p: &mut [f32], g: &[f32], h: &mut [f32], lr: f32, eps: f32) {
    for ((p, g), h) in p.iter_mut().zip(g).zip(h) {
        *h += g * g;
        *p -= lr * g / ((*h).sqrt() + eps);
    }
}

/// RMSProp: `s = ρ·s + (1 − ρ)·g²; p −= lr·g/(√s + ε)`.
pub fn rmsprop_step(p: &mut [f32], g: &[f32], s: &mut [f32], lr: f32, rho: f32, eps: f32) {
    for ((p, g), s) in p.iter_mut().zip(g).zip(s) {
        *s = rho * *s + (1.0 - rho) * g * g;
        *p -= lr * g / ((*s).sqrt() + eps);
    }
}

/// AdaDelta (Zeiler 2012): `E[g²] = ρE[g²] + (1−ρ)g²; Δ = −√(E[Δ²]+ε)/√(E[g²]+ε)·g;
/// E[Δ²] = ρE[Δ²] + (1−ρ)Δ²; p += lr·Δ` (lr = 1 is the paper's method).
#[allow(clippy::too_many_arguments)]
pub fn adadelta_step(
    p: &mut [f32],
    g: &[f32],
    eg: &mut [f32],
    edx: &mut [f32],
    lr: f32,
    rho: f32,
    eps: f32,
) {
    for (((p, g), eg), edx) in p.iter_mut().zip(g).zip(eg).zip(edx) {
        *eg = rho * *eg + (1.0 - rho) * g * g;
        let dx = -(*edx + eps).sqrt() / (*eg + eps).sqrt() * g;
        *edx = rho * *edx + (1.0 - rho) * dx * dx;
        *p += lr * dx;
    }
}

/// Adam with bias correction, and AdamW's decoupled weight decay when `decay > 0`
/// (Loshchilov & Hutter 2019: `p −= lr·decay·p`, applied before the Adam step).
/// `c1 = 1/(1 − β₁ᵗ)` and `c2 = 1/(1 − β₂ᵗ)` are computed once per step by the caller.
#[allow(clippy::too_many_arguments)]
pub fn adam_step(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    c1: f32,
    c2: f32,
    decay: f32,
) {
    for (((p, g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
        *p -= lr * decay * *p;
        *m = beta1 * *m + (1.0 - beta1) * g;
        *v = beta2 * *v + (1.0 - beta2) * g * g;
        *p -= lr * (*m * c1) / ((*v * c2).sqrt() + eps);
    }
}
