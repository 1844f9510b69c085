// Softmax over the last axis, one thread per row; backward dx = y ⊙ (dy − Σ dy⊙y).
// Mirrors backend/cpu/activation.rs::softmax_forward / softmax_backward.

struct Params {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;

@compute @workgroup_size(256)
fn softmax_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let r = thread_index(id, groups);
    if (r >= p.rows) {
        return;
    }
    let base = r * p.cols;
    var m = input[base];
    for (var j = 1u; j < p.cols; j++) {
        m = max(m, input[base + j]);
    }
    var total = 0.0;
    for (var j = 0u; j < p.cols; j++) {
        let e = exp(input[base + j] - m);
        output[base + j] = e;
        total += e;
    }
    for (var j = 0u; j < p.cols; j++) {
        output[base + j] /= total;
    }
}

// Here `input` is the forward's output y and `output` receives dx.
@compute @workgroup_size(256)
fn softmax_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let r = thread_index(id, groups);
    if (r >= p.rows) {
        return;
    }
    let base = r * p.cols;
    var dot = 0.0;
    for (var j = 0u; j < p.cols; j++) {
        dot += input[base + j] * dy[base + j];
    }
    for (var j = 0u; j < p.cols; j++) {
        output[base + j] = input[base + j] * (dy[base + j] - dot);
    }
}
