// Losses over score rows [N, C] and one-hot targets, in one workgroup: each thread takes
// rows, writes their gradient and adds their loss; the workgroup sums the losses.
// Mirrors backend/cpu/loss.rs.

struct Params {
    rows: u32,
    cols: u32,
    smoothing: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
@group(0) @binding(3) var<storage, read> scores: array<f32>;
@group(0) @binding(4) var<storage, read> targets: array<f32>;

var<workgroup> partial: array<f32, 256>;

// Writes the workgroup's total of `value` divided by `count` into loss[0].
fn finish(t: u32, value: f32, count: f32) {
    partial[t] = value;
    for (var s = 128u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        if (t < s) {
            partial[t] += partial[t + s];
        }
    }
    if (t == 0u) {
        loss[0] = partial[0] / count;
    }
}

// −Σ t'·log softmax(z), t' = (1 − ε)·t + ε/C; gradient (softmax(z) − t')/N.
@compute @workgroup_size(256)
fn softmax_cross_entropy(@builtin(local_invocation_id) l: vec3<u32>) {
    let t = l.x;
    let n = f32(p.rows);
    var total = 0.0;
    for (var r = t; r < p.rows; r += 256u) {
        let base = r * p.cols;
        var m = scores[base];
        for (var j = 1u; j < p.cols; j++) {
            m = max(m, scores[base + j]);
        }
        var sum = 0.0;
        for (var j = 0u; j < p.cols; j++) {
            sum += exp(scores[base + j] - m);
        }
        let log_sum = m + log(sum);
        for (var j = 0u; j < p.cols; j++) {
            let smoothed = (1.0 - p.smoothing) * targets[base + j] + p.smoothing / f32(p.cols);
            let z = scores[base + j];
            total -= smoothed * (z - log_sum);
            grad[base + j] = (exp(z - m) / sum - smoothed) / n;
        }
    }
    finish(t, total, n);
}

// mean((y − t)²) over all elements; gradient 2(y − t)/(N·C).
@compute @workgroup_size(256)
fn mean_squared_error(@builtin(local_invocation_id) l: vec3<u32>) {
    let t = l.x;
    let count = p.rows * p.cols;
    var total = 0.0;
    for (var i = t; i < count; i += 256u) {
        let d = scores[i] - targets[i];
        total += d * d;
        grad[i] = 2.0 * d / f32(count);
    }
    finish(t, total, f32(count));
}

// Σ_{j≠y} max(0, s_j − s_y + 1) per row, y the target's argmax; averaged over rows.
@compute @workgroup_size(256)
fn hinge(@builtin(local_invocation_id) l: vec3<u32>) {
    let t = l.x;
    let n = f32(p.rows);
    var total = 0.0;
    for (var r = t; r < p.rows; r += 256u) {
        let base = r * p.cols;
        var y = 0u;
        for (var j = 1u; j < p.cols; j++) {
            if (targets[base + j] > targets[base + y]) {
                y = j;
            }
        }
        var g_y = 0.0;
        for (var j = 0u; j < p.cols; j++) {
            let margin = scores[base + j] - scores[base + y] + 1.0;
            var g = 0.0;
            if (j != y && margin > 0.0) {
                total += margin;
                g = 1.0 / n;
                g_y -= 1.0 / n;
            }
            grad[base + j] = g;
        }
        grad[base + y] = g_y;
    }
    finish(t, total, n);
}
