// Element-wise updates of y in place. Mirrors backend/cpu/elementwise.rs.
// axpy: y += a·x; add_sign: y += a·sign(x); scale_add: y = a·y + b·x;
// scale_add_keep_zeros: the same, but 0 where x is exactly 0 (weight averaging under L1);
// scale: y *= a.

struct Params {
    count: u32,
    pad: u32,
    a: f32,
    b: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

@compute @workgroup_size(256)
fn axpy(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < p.count) {
        y[i] += p.a * x[i];
    }
}

@compute @workgroup_size(256)
fn add_sign(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < p.count) {
        y[i] += p.a * sign(x[i]);
    }
}

@compute @workgroup_size(256)
fn scale_add(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < p.count) {
        y[i] = p.a * y[i] + p.b * x[i];
    }
}

@compute @workgroup_size(256)
fn scale_add_keep_zeros(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < p.count) {
        y[i] = select(p.a * y[i] + p.b * x[i], 0.0, x[i] == 0.0);
    }
}

@compute @workgroup_size(256)
fn scale(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i < p.count) {
        y[i] *= p.a;
    }
}
