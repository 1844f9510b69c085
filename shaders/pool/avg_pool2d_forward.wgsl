// Average pooling, one thread per output. Mirrors backend/cpu/pool.rs::avg_pool2d_forward.

@group(0) @binding(0) var<uniform> p: Pool;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

@compute @workgroup_size(256)
fn avg_pool2d_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.count) {
        return;
    }
    let c = i % p.channels;
    let ox = (i / p.channels) % p.out_w;
    let oy = (i / (p.channels * p.out_w)) % p.out_h;
    let n = i / (p.channels * p.out_w * p.out_h);
    var sum = 0.0;
    for (var ky = 0u; ky < p.k_h; ky++) {
        for (var kx = 0u; kx < p.k_w; kx++) {
            sum += x[input_at(p, n, oy * p.stride_h + ky, ox * p.stride_w + kx, c)];
        }
    }
    y[i] = sum * (1.0 / f32(p.k_h * p.k_w));
}
