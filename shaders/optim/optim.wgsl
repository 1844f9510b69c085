// Optimizer update steps, one element-wise kernel each: p is the parameter, g its gradient,
// s1/s2 the optimizer's state. Mirrors backend/cpu/optim.rs: each ends with L1's proximal
// step, the weight moved l1 × its own step size toward zero and stopped at zero.

struct Params {
    count: u32,
    lr: f32,
    // momentum μ, or ρ, or β₁
    a: f32,
    // β₂
    b: f32,
    eps: f32,
    // Adam's bias corrections 1/(1 − β₁ᵗ), 1/(1 − β₂ᵗ)
    c1: f32,
    c2: f32,
    // AdamW's decoupled weight decay
    decay: f32,
    // L1's strength (0: none)
    l1: f32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> s1: array<f32>;
@group(0) @binding(4) var<storage, read_write> s2: array<f32>;

// Soft thresholding: w moved t >= 0 toward zero, and 0 within t of it; NaN stays NaN.
fn shrink(w: f32, t: f32) -> f32 {
    if (abs(w) <= t) {
        return 0.0;
    }
    return w - sign(w) * t;
}

@compute @workgroup_size(256)
fn sgd_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        p[i] = shrink(p[i] - u.lr * g[i], u.lr * u.l1);
    }
}

@compute @workgroup_size(256)
fn momentum_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        let v = u.a * s1[i] - u.lr * g[i];
        s1[i] = v;
        p[i] = shrink(p[i] + v, u.lr * u.l1 / (1.0 - u.a));
    }
}

@compute @workgroup_size(256)
fn nesterov_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        let previous = s1[i];
        let v = u.a * previous - u.lr * g[i];
        s1[i] = v;
        p[i] = shrink(p[i] + (-u.a * previous + (1.0 + u.a) * v), u.lr * u.l1 / (1.0 - u.a));
    }
}

@compute @workgroup_size(256)
fn adagrad_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        let h = s1[i] + g[i] * g[i];
        s1[i] = h;
        let scale = sqrt(h) + u.eps;
        p[i] = shrink(p[i] - u.lr * g[i] / scale, u.lr * u.l1 / scale);
    }
}

@compute @workgroup_size(256)
fn rmsprop_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        let s = u.a * s1[i] + (1.0 - u.a) * g[i] * g[i];
        s1[i] = s;
        let scale = sqrt(s) + u.eps;
        p[i] = shrink(p[i] - u.lr * g[i] / scale, u.lr * u.l1 / scale);
    }
}

@compute @workgroup_size(256)
fn adadelta_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        let gi = g[i];
        let eg = u.a * s1[i] + (1.0 - u.a) * gi * gi;
        s1[i] = eg;
        let scale = sqrt(s2[i] + u.eps) / sqrt(eg + u.eps);
        let dx = -scale * gi;
        s2[i] = u.a * s2[i] + (1.0 - u.a) * dx * dx;
        p[i] = shrink(p[i] + u.lr * dx, u.lr * u.l1 * scale);
    }
}

@compute @workgroup_size(256)
fn adam_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        var w = p[i];
        w -= u.lr * u.decay * w;
        let gi = g[i];
        let m = u.a * s1[i] + (1.0 - u.a) * gi;
        let v = u.b * s2[i] + (1.0 - u.b) * gi * gi;
        s1[i] = m;
        s2[i] = v;
        let scale = sqrt(v * u.c2) + u.eps;
        p[i] = shrink(w - u.lr * (m * u.c1) / scale, u.lr * u.l1 / scale);
    }
}
