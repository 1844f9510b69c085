// Adam (AdamW with decay): s1 and s2 are the first and second moments.
// Mirrors backend/cpu/optim.rs. Needs optim_common.wgsl and common.wgsl.

@group(0) @binding(2) var<storage, read_write> s1: array<f32>;
@group(0) @binding(3) var<storage, read_write> s2: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;

@compute @workgroup_size(256)
fn adam_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        var w = p[i];
        w -= u.lr * u.decay * w;
        let gi = g[i];
        let m = u.a * s1[i] + (1.0 - u.a) * gi;
        let v = u.b * s2[i] + (1.0 - u.b) * gi * gi;
        s1[i] = m;
        s2[i] = v;
        let scale = sqrt(v * u.c2) + u.eps;
        p[i] = shrink(w - u.lr * (m * u.c1) / scale, u.lr * u.l1 / scale);
    }
}
