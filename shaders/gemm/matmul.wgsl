// C (+)= op(A)·op(B) (+ bias per column). A and B are strided views, so every transpose
// is the same kernel. Mirrors backend/cpu/gemm.rs.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    a_rs: u32,
    a_cs: u32,
    b_rs: u32,
    b_cs: u32,
    accumulate: u32,
    has_bias: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn gemm_m() -> u32 { return p.m; }
fn gemm_n() -> u32 { return p.n; }
fn gemm_k() -> u32 { return p.k; }
fn a_k_fastest() -> bool { return p.a_cs == 1u; }
fn load_a(i: u32, k: u32) -> f32 { return a[i * p.a_rs + k * p.a_cs]; }
fn load_b(k: u32, j: u32) -> f32 { return b[k * p.b_rs + j * p.b_cs]; }

fn store_c(i: u32, j: u32, v: f32) {
    var out = v;
    if (p.has_bias == 1u) {
        out += bias[j];
    }
    let at = i * p.n + j;
    if (p.accumulate == 1u) {
        out += c[at];
    }
    c[at] = out;
}

@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    gemm(group, local);
}

// The same product with one thread per element of C and no workgroup memory: better than
// the tiles on GPUs emulated by the CPU and for skinny products (needs common.wgsl).
@compute @workgroup_size(256)
fn matmul_direct(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let t = thread_index(id, groups);
    if (t >= p.m * p.n) {
        return;
    }
    let i = t / p.n;
    let j = t % p.n;
    var s = 0.0;
    for (var k = 0u; k < p.k; k++) {
        s += load_a(i, k) * load_b(k, j);
    }
    store_c(i, j, s);
}
