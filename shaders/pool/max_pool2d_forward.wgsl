// Max pooling, one thread per output. Mirrors backend/cpu/pool.rs::max_pool2d_forward.

@group(0) @binding(0) var<uniform> p: Pool;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

@compute @workgroup_size(256)
fn max_pool2d_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.count) {
        return;
    }
    let c = i % p.channels;
    let ox = (i / p.channels) % p.out_w;
    let oy = (i / (p.channels * p.out_w)) % p.out_h;
    let n = i / (p.channels * p.out_w * p.out_h);
    y[i] = x[first_max(p, n, oy, ox, c)];
}
