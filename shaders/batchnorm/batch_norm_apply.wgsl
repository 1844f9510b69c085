// y = γ·(x − mean)/√(var + ε) + β per channel, element-wise.
// Mirrors backend/cpu/batchnorm.rs::batch_norm_apply.

struct Params {
    rows: u32,
    channels: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read> mean: array<f32>;
@group(0) @binding(6) var<storage, read> variance: array<f32>;

@compute @workgroup_size(256)
fn batch_norm_apply(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.rows * p.channels) {
        return;
    }
    let c = i % p.channels;
    let scale = gamma[c] / sqrt(variance[c] + p.eps);
    let shift = beta[c] - mean[c] * scale;
    y[i] = x[i] * scale + shift;
}
