// How many rows have their top score at the target's class (the first index on ties).
// Mirrors backend/cpu/loss.rs::count_correct.

struct Params {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> correct: array<f32>;
@group(0) @binding(2) var<storage, read> scores: array<f32>;
@group(0) @binding(3) var<storage, read> targets: array<f32>;

var<workgroup> partial: array<f32, 256>;

fn argmax(values: u32, base: u32) -> u32 {
    var best = 0u;
    for (var j = 1u; j < p.cols; j++) {
        var better = false;
        if (values == 0u) {
            better = scores[base + j] > scores[base + best];
        } else {
            better = targets[base + j] > targets[base + best];
        }
        if (better) {
            best = j;
        }
    }
    return best;
}

@compute @workgroup_size(256)
fn count_correct(@builtin(local_invocation_id) l: vec3<u32>) {
    let t = l.x;
    var hits = 0.0;
    for (var r = t; r < p.rows; r += 256u) {
        if (argmax(0u, r * p.cols) == argmax(1u, r * p.cols)) {
            hits += 1.0;
        }
    }
    partial[t] = hits;
    for (var s = 128u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        if (t < s) {
            partial[t] += partial[t + s];
        }
    }
    if (t == 0u) {
        correct[0] = partial[0];
    }
}
