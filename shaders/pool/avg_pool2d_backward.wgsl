// Average-pooling backward, gathered: each input adds an equal share of the gradient of
// every window that covers it. Mirrors backend/cpu/pool.rs::avg_pool2d_backward.

@group(0) @binding(0) var<uniform> p: Pool;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;

@compute @workgroup_size(256)
fn avg_pool2d_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.count) {
        return;
    }
    let c = i % p.channels;
    let ix = (i / p.channels) % p.in_w;
    let iy = (i / (p.channels * p.in_w)) % p.in_h;
    let n = i / (p.channels * p.in_w * p.in_h);
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
            grad += dy[((n * p.out_h + oy) * p.out_w + ox) * p.channels + c];
        }
    }
    dx[i] = grad * (1.0 / f32(p.k_h * p.k_w));
}
