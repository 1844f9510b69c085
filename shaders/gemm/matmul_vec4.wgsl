// C (+)= A·B (+ bias) with B's rows contiguous and its width divisible by 4: a thread keeps a
// 4 rows × 4 columns block of C in registers, so each step of k loads 4 values of A and one
// vec4 of B for 16 multiply-adds, with no workgroup memory. Mirrors backend/cpu/gemm.rs.

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
@group(0) @binding(1) var<storage, read_write> c4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias4: array<vec4<f32>>;

@compute @workgroup_size(256)
fn matmul_vec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let t = thread_index(id, groups);
    let quads = p.n / 4u;
    let row_blocks = (p.m + 3u) / 4u;
    if (t >= row_blocks * quads) {
        return;
    }
    let jq = t % quads;
    let i0 = (t / quads) * 4u;
    let b_row = p.b_rs / 4u;
    var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    // Rows past m read row m − 1 (always valid) and are never stored.
    let r1 = min(i0 + 1u, p.m - 1u);
    let r2 = min(i0 + 2u, p.m - 1u);
    let r3 = min(i0 + 3u, p.m - 1u);
    for (var k = 0u; k < p.k; k++) {
        let bv = b4[k * b_row + jq];
        acc[0] += a[i0 * p.a_rs + k * p.a_cs] * bv;
        acc[1] += a[r1 * p.a_rs + k * p.a_cs] * bv;
        acc[2] += a[r2 * p.a_rs + k * p.a_cs] * bv;
        acc[3] += a[r3 * p.a_rs + k * p.a_cs] * bv;
    }
    for (var r = 0u; r < 4u; r++) {
        let i = i0 + r;
        if (i < p.m) {
            var v = acc[r];
            if (p.has_bias == 1u) {
                v += bias4[jq];
            }
            let at = i * quads + jq;
            if (p.accumulate == 1u) {
                v += c4[at];
            }
            c4[at] = v;
        }
    }
}
