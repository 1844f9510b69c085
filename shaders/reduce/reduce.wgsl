// Reductions. `sum` runs in one workgroup (kind SUM_VALUES: Σx, SUM_ABS: Σ|x|,
// SUM_SQUARES: Σx², constants numbered once in backend/webgpu/ops/reduce.rs and appended);
// column_sums_acc runs one workgroup per column and adds into `out`. Mirrors
// backend/cpu/reduce.rs.

struct Params {
    count: u32,
    cols: u32,
    kind: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

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
fn sum(@builtin(local_invocation_id) l: vec3<u32>) {
    let t = l.x;
    var s = 0.0;
    for (var i = t; i < p.count; i += 256u) {
        let v = x[i];
        switch p.kind {
            case SUM_VALUES: { s += v; }
            case SUM_ABS: { s += abs(v); }
            case SUM_SQUARES, default: { s += v * v; }
        }
    }
    partial[t] = s;
    let total = reduce(t);
    if (t == 0u) {
        out[0] = total;
    }
}

// out[c] += Σ_rows x[row, c], rows = count / cols.
@compute @workgroup_size(256)
fn column_sums_acc(@builtin(workgroup_id) g: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let c = g.x + g.y * 65535u;
    let t = l.x;
    if (c >= p.cols) {
        return;
    }
    var s = 0.0;
    for (var r = t; r < p.count / p.cols; r += 256u) {
        s += x[r * p.cols + c];
    }
    partial[t] = s;
    let total = reduce(t);
    if (t == 0u) {
        out[c] += total;
    }
}
