// Plain SGD: p -= lr·g.
// Mirrors backend/cpu/optim.rs. Needs optim_common.wgsl and common.wgsl.

@group(0) @binding(2) var<storage, read> g: array<f32>;

@compute @workgroup_size(256)
fn sgd_step(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < u.count) {
        p[i] = shrink(p[i] - u.lr * g[i], u.lr * u.l1);
    }
}
