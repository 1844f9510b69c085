// Backward through training-mode batch norm, one workgroup per channel:
// dβ += Σdy, dγ += Σdy·x̂, dx = γ/(m·√(σ²+ε)) · (m·dy − Σdy − x̂·Σdy·x̂).
// Mirrors backend/cpu/batchnorm.rs::batch_norm_backward.

struct Params {
    rows: u32,
    channels: u32,
    eps: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(2) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read> gamma: array<f32>;
@group(0) @binding(7) var<storage, read> mean: array<f32>;
@group(0) @binding(8) var<storage, read> variance: array<f32>;

var<workgroup> partial: array<f32, 256>;
var<workgroup> partial2: array<f32, 256>;

@compute @workgroup_size(256)
fn batch_norm_backward(@builtin(workgroup_id) g: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let c = g.x;
    let t = l.x;
    let k = p.channels;
    let g_c = gamma[c];
    let m_c = mean[c];
    let inv_std = 1.0 / sqrt(variance[c] + p.eps);
    var s_dy = 0.0;
    var s_dyx = 0.0;
    for (var r = t; r < p.rows; r += 256u) {
        let at = r * k + c;
        let xhat = (x[at] - m_c) * inv_std;
        s_dy += dy[at];
        s_dyx += dy[at] * xhat;
    }
    partial[t] = s_dy;
    partial2[t] = s_dyx;
    for (var s = 128u; s > 0u; s >>= 1u) {
        workgroupBarrier();
        if (t < s) {
            partial[t] += partial[t + s];
            partial2[t] += partial2[t + s];
        }
    }
    workgroupBarrier();
    let sum_dy = partial[0];
    let sum_dyx = partial2[0];
    if (t == 0u) {
        dgamma[c] += sum_dyx;
        dbeta[c] += sum_dy;
    }
    let m = f32(p.rows);
    let scale = g_c * inv_std / m;
    for (var r = t; r < p.rows; r += 256u) {
        let at = r * k + c;
        let xhat = (x[at] - m_c) * inv_std;
        dx[at] = scale * (m * dy[at] - sum_dy - xhat * sum_dyx);
    }
}
