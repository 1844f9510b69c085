// dx = the gradient w.r.t. the input, gathered rather than scattered (no atomics):
// dx[n, iy, ix, ci] = Σ_{ky, kx, co} dy[n, oy, ox, co] · W[ky, kx, ci, co] over the output
// positions whose window read (iy, ix). An implicit GEMM: [input positions × (ky, kx, co)] ·
// [(ky, kx, co) × C_in]. Mirrors backend/cpu/conv.rs::conv2d_backward_input (col2im).

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;

fn gemm_m() -> u32 { return p.batch * p.in_h * p.in_w; }
fn gemm_n() -> u32 { return p.c_in; }
fn gemm_k() -> u32 { return p.k_h * p.k_w * p.c_out; }
fn a_k_fastest() -> bool { return true; }

// dy at the output position whose tap (ky, kx) read input (iy, ix), or 0 if none did.
fn load_a(i: u32, k: u32) -> f32 {
    let ix = i % p.in_w;
    let rest = i / p.in_w;
    let iy = rest % p.in_h;
    let n = rest / p.in_h;
    let co = k % p.c_out;
    let kxy = k / p.c_out;
    let kx = kxy % p.k_w;
    let ky = kxy / p.k_w;
    let ty = i32(iy + p.pad_top) - i32(ky * p.dil_h);
    let tx = i32(ix + p.pad_left) - i32(kx * p.dil_w);
    if (ty < 0 || tx < 0 || u32(ty) % p.stride_h != 0u || u32(tx) % p.stride_w != 0u) {
        return 0.0;
    }
    let oy = u32(ty) / p.stride_h;
    let ox = u32(tx) / p.stride_w;
    if (oy >= p.out_h || ox >= p.out_w) {
        return 0.0;
    }
    return dy[((n * p.out_h + oy) * p.out_w + ox) * p.c_out + co];
}

fn load_b(k: u32, j: u32) -> f32 {
    let co = k % p.c_out;
    let tap = k / p.c_out;
    return w[(tap * p.c_in + j) * p.c_out + co];
}

fn store_c(i: u32, j: u32, v: f32) { dx[i * p.c_in + j] = v; }

@compute @workgroup_size(16, 16)
fn conv2d_backward_input(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    gemm(group, local);
}
