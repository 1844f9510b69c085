// Per-channel batch mean and biased variance over the last axis, one workgroup per channel
// (two passes over the rows, as the CPU does). Mirrors backend/cpu/batchnorm.rs.

struct Params {
    rows: u32,
    channels: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;
@group(0) @binding(2) var<storage, read_write> variance: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;

var<workgroup> partial: array<f32, 256>;

fn reduce(t: u32) -> f32 {
    for (var s = 128u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        if (t < s) {
            partial[t] += partial[t + s];
        }
    }
    workgroupBarrier();
    return partial[0];
}

@compute @workgroup_size(256)
fn channel_moments(@builtin(workgroup_id) g: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let c = g.x;
    let t = l.x;
    var s = 0.0;
    for (var r = t; r < p.rows; r += 256u) {
        s += x[r * p.channels + c];
    }
    partial[t] = s;
    let m = reduce(t) / f32(p.rows);
    workgroupBarrier();
    var q = 0.0;
    for (var r = t; r < p.rows; r += 256u) {
        let d = x[r * p.channels + c] - m;
        q += d * d;
    }
    partial[t] = q;
    let v = reduce(t) / f32(p.rows);
    if (t == 0u) {
        mean[c] = m;
        variance[c] = v;
    }
}
