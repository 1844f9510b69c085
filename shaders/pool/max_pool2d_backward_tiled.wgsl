// Max-pooling backward for windows that do not overlap (stride ≥ window): one thread per
// output finds its window's first maximum and writes the whole window (gradient there, 0
// elsewhere); inputs in no window were cleared beforehand. Same rule as the gathered kernel.
// Mirrors backend/cpu/pool.rs::max_pool2d_backward.

@group(0) @binding(0) var<uniform> p: Pool;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;

@compute @workgroup_size(256)
fn max_pool2d_backward_tiled(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.count) {
        return;
    }
    let c = i % p.channels;
    let ox = (i / p.channels) % p.out_w;
    let oy = (i / (p.channels * p.out_w)) % p.out_h;
    let n = i / (p.channels * p.out_w * p.out_h);
    let best = first_max(p, n, oy, ox, c);
    for (var ky = 0u; ky < p.k_h; ky++) {
        for (var kx = 0u; kx < p.k_w; kx++) {
            let at = input_at(p, n, oy * p.stride_h + ky, ox * p.stride_w + kx, c);
            dx[at] = select(0.0, dy[i], at == best);
        }
    }
}
