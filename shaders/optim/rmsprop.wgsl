// RMSprop: s1 is the running mean of squared gradients.
// Mirrors backend/cpu/optim.rs. Needs optim_common.wgsl and common.wgsl.

@group(0) @binding(2) var<storage, read_write> s1: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;

@compute @workgroup_size(256)
fn rmsprop_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        let s = u.a * s1[i] + (1.0 - u.a) * g[i] * g[i];
        s1[i] = s;
        let scale = sqrt(s) + u.eps;
        p[i] = shrink(p[i] - u.lr * g[i] / scale, u.lr * u.l1 / scale);
    }
}
