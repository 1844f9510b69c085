// Max-pooling backward, gathered: one thread per input element adds the gradients of the
// windows whose first maximum it is (windows may overlap). No atomics needed.
// Mirrors backend/cpu/pool.rs::max_pool2d_backward.

@group(0) @binding(0) var<uniform> p: Pool;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;

@compute @workgroup_size(256)
fn max_pool2d_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.count) {
        return;
    }
    let c = i % p.channels;
    let ix = (i / p.channels) % p.in_w;
    let iy = (i / (p.channels * p.in_w)) % p.in_h;
    let n = i / (p.channels * p.in_w * p.in_h);
    // Windows covering iy: oy·s ≤ iy < oy·s + k.
    var oy0 = 0u;
    if (iy + 1u > p.k_h) {
        oy0 = (iy + 1u - p.k_h + p.stride_h - 1u) / p.stride_h;
    }
    var ox0 = 0u;
    if (ix + 1u > p.k_w) {
        ox0 = (ix + 1u - p.k_w + p.stride_w - 1u) / p.stride_w;
    }
    let oy1 = min(iy / p.stride_h, p.out_h - 1u);
    let ox1 = min(ix / p.stride_w, p.out_w - 1u);
    var grad = 0.0;
    for (var oy = oy0; oy <= oy1; oy++) {
        for (var ox = ox0; ox <= ox1; ox++) {
            if (first_max(p, n, oy, ox, c) == i) {
                grad += dy[((n * p.out_h + oy) * p.out_w + ox) * p.channels + c];
            }
        }
    }
    dx[i] = grad;
}
