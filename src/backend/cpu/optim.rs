//! Optimizer update steps, one element-wise kernel each. `p` is the parameter, `g` its
//! gradient; the other slices are the optimizer's state for that parameter.
//!
//! Every step ends with L1's proximal step, `shrink`: the weight moves `l1 × (this weight's
//! step size)` toward zero and stops at zero rather than crossing it. That is what gives L1
//! its exact zeros (a subgradient `l1·sign(w)` only makes a weight jitter around zero). The
//! step size is the optimizer's own per-weight scale, so L1 is as strong under Adam as the
//! subgradient was: `lr` for SGD, `lr/(1 − μ)` with momentum (where a steady push builds up
//! to), `lr/(√h + ε)` for AdaGrad, and so on.
//! With `l1 = 0` every kernel is the textbook update.

/// Soft thresholding: `w` moved `t ≥ 0` toward zero, and 0 if it is within `t` of it.
/// A NaN stays NaN, so divergence is still seen.
#[inline(always)]
pub fn shrink(w: f32, t: f32) -> f32 {
    if w.abs() <= t {
        0.0
    } else {
        w - t.copysign(w)
    }
}

/// Plain gradient descent: `p −= lr·g`.
pub fn sgd_step(p: &mut [f32], g: &[f32], lr: f32, l1: f32) {
    for (p, g) in p.iter_mut().zip(g) {
        *p = shrink(*p - lr * g, lr * l1);
    }
}

/// Momentum: `v = μ·v − lr·g; p += v`.
pub fn momentum_step(p: &mut [f32], g: &[f32], v: &mut [f32], lr: f32, mu: f32, l1: f32) {
    for ((p, g), v) in p.iter_mut().zip(g).zip(v) {
        *v = mu * *v - lr * g;
        *p = shrink(*p + *v, lr * l1 / (1.0 - mu));
    }
}

/// Nesterov momentum in the form that updates p in place (Sutskever et al. 2013, as in
/// CS231n): `v' = μ·v − lr·g; p += −μ·v + (1 + μ)·v'`.
pub fn nesterov_step(p: &mut [f32], g: &[f32], v: &mut [f32], lr: f32, mu: f32, l1: f32) {
    for ((p, g), v) in p.iter_mut().zip(g).zip(v) {
        let previous = *v;
        *v = mu * previous - lr * g;
        *p = shrink(
            *p + (-mu * previous + (1.0 + mu) * *v),
            lr * l1 / (1.0 - mu),
        );
    }
}

/// AdaGrad: `h += g²; p −= lr·g/(√h + ε)`.
pub fn adagrad_step(p: &mut [f32], g: &[f32], h: &mut [f32], lr: f32, eps: f32, l1: f32) {
    for ((p, g), h) in p.iter_mut().zip(g).zip(h) {
        *h += g * g;
        let scale = (*h).sqrt() + eps;
        *p = shrink(*p - lr * g / scale, lr * l1 / scale);
    }
}

/// RMSProp: `s = ρ·s + (1 − ρ)·g²; p −= lr·g/(√s + ε)`.
#[allow(clippy::too_many_arguments)]
pub fn rmsprop_step(p: &mut [f32], g: &[f32], s: &mut [f32], lr: f32, rho: f32, eps: f32, l1: f32) {
    for ((p, g), s) in p.iter_mut().zip(g).zip(s) {
        *s = rho * *s + (1.0 - rho) * g * g;
        let scale = (*s).sqrt() + eps;
        *p = shrink(*p - lr * g / scale, lr * l1 / scale);
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
    l1: f32,
) {
    for (((p, g), eg), edx) in p.iter_mut().zip(g).zip(eg).zip(edx) {
        *eg = rho * *eg + (1.0 - rho) * g * g;
        let scale = (*edx + eps).sqrt() / (*eg + eps).sqrt();
        let dx = -scale * g;
        *edx = rho * *edx + (1.0 - rho) * dx * dx;
        *p = shrink(*p + lr * dx, lr * l1 * scale);
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
    l1: f32,
) {
    for (((p, g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
        *p -= lr * decay * *p;
        *m = beta1 * *m + (1.0 - beta1) * g;
        *v = beta2 * *v + (1.0 - beta2) * g * g;
        let scale = (*v * c2).sqrt() + eps;
        *p = shrink(*p - lr * (*m * c1) / scale, lr * l1 / scale);
    }
}
