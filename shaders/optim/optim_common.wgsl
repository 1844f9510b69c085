// What every optimizer update step shares (appended to each one's file): the params, the
// parameter p (binding 1) and L1's proximal step. Each step is one element-wise kernel in
// its own file, which binds the optimizer's state s1/s2 after p, then the gradient g. Mirrors
// backend/cpu/optim.rs: each ends with L1's proximal step, the weight moved l1 × its own step
// size toward zero and stopped at zero.

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

// Soft thresholding: w moved t >= 0 toward zero, and 0 within t of it; NaN stays NaN.
fn shrink(w: f32, t: f32) -> f32 {
    if (abs(w) <= t) {
        return 0.0;
    }
    return w - sign(w) * t;
}
