// y = conv(x, w) + bias as an implicit GEMM: [positions × taps] · [taps × C_out], the im2col
// matrix read straight from x. Mirrors backend/cpu/conv.rs::conv2d_forward.

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn gemm_m() -> u32 { return p.batch * p.out_h * p.out_w; }
fn gemm_n() -> u32 { return p.c_out; }
fn gemm_k() -> u32 { return p.k_h * p.k_w * p.c_in; }
fn a_k_fastest() -> bool { return true; }
fn load_a(i: u32, k: u32) -> f32 { return im2col(p, i, k); }
fn load_b(k: u32, j: u32) -> f32 { return w[k * p.c_out + j]; }
fn store_c(i: u32, j: u32, v: f32) { y[i * p.c_out + j] = v + bias[j]; }

@compute @workgroup_size(16, 16)
fn conv2d_forward(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    gemm(group, local);
}
