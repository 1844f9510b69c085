// Split-K weight gradient, step 2: the sum over chunks of partial[chunk][tap][co], added to
// dw for the real taps and to db for the last (bias) row.

struct Params {
    // (taps + 1) · C_out
    count: u32,
    chunks: u32,
    // taps · C_out: where the bias row starts
    weights: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;
@group(0) @binding(3) var<storage, read> partial: array<f32>;

@compute @workgroup_size(256)
fn conv2d_backward_weight_reduce(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.count) {
        return;
    }
    var s = 0.0;
    for (var c = 0u; c < p.chunks; c++) {
        s += partial[c * p.count + i];
    }
    if (i < p.weights) {
        dw[i] += s;
    } else {
        db[i - p.weights] += s;
    }
}
