// Element-wise activations, forward and backward (backward from the output y).
// kind: RELU, LEAKY_RELU (alpha), SIGMOID or TANH, constants numbered once in
// backend/webgpu/ops/activation.rs and appended to this file. Mirrors backend/cpu/activation.rs.

struct Params {
    count: u32,
    kind: u32,
    alpha: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;

@compute @workgroup_size(256)
fn activation_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.count) {
        return;
    }
    let x = input[i];
    var y = x;
    switch p.kind {
        case RELU: { y = max(x, 0.0); }
        case LEAKY_RELU: { y = select(p.alpha * x, x, x > 0.0); }
        case SIGMOID: { y = 1.0 / (1.0 + exp(-x)); }
        case TANH, default: { y = tanh(x); }
    }
    output[i] = y;
}

// Here `input` is the forward's output y and `output` receives dx.
@compute @workgroup_size(256)
fn activation_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.count) {
        return;
    }
    let y = input[i];
    let g = dy[i];
    var d = g;
    switch p.kind {
        case RELU: { d = select(0.0, g, y > 0.0); }
        case LEAKY_RELU: { d = select(p.alpha * g, g, y > 0.0); }
        case SIGMOID: { d = g * y * (1.0 - y); }
        case TANH, default: { d = g * (1.0 - y * y); }
    }
    output[i] = d;
}
