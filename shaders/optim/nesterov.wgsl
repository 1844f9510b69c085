// Nesterov momentum: s1 is the velocity.
// Mirrors backend/cpu/optim.rs. Needs optim_common.wgsl and common.wgsl.

@group(0) @binding(2) var<storage, read_write> s1: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;

@compute @workgroup_size(256)
fn nesterov_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        let previous = s1[i];
        let v = u.a * previous - u.lr * g[i];
        s1[i] = v;
        p[i] = shrink(p[i] + (-u.a * previous + (1.0 + u.a) * v), u.lr * u.l1 / (1.0 - u.a));
    }
}
