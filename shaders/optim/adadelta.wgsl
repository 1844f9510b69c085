// Adadelta: s1 and s2 are the running means of squared gradients and squared updates.
// Mirrors backend/cpu/optim.rs. Needs optim_common.wgsl and common.wgsl.

@group(0) @binding(2) var<storage, read_write> s1: array<f32>;
@group(0) @binding(3) var<storage, read_write> s2: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;

@compute @workgroup_size(256)
fn adadelta_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        let gi = g[i];
        let eg = u.a * s1[i] + (1.0 - u.a) * gi * gi;
        s1[i] = eg;
        let scale = sqrt(s2[i] + u.eps) / sqrt(eg + u.eps);
        let dx = -scale * gi;
        s2[i] = u.a * s2[i] + (1.0 - u.a) * dx * dx;
        p[i] = shrink(p[i] + u.lr * dx, u.lr * u.l1 * scale);
    }
}
