// dW += colsᵀ · dy: [taps × positions] · [positions × C_out], the transposed im2col matrix
// read straight from x. Mirrors backend/cpu/conv.rs::conv2d_backward_weight.

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

fn gemm_m() -> u32 { return p.k_h * p.k_w * p.c_in; }
fn gemm_n() -> u32 { return p.c_out; }
fn gemm_k() -> u32 { return p.batch * p.out_h * p.out_w; }
fn a_k_fastest() -> bool { return false; }
fn load_a(i: u32, k: u32) -> f32 { return im2col(p, k, i); }
fn load_b(k: u32, j: u32) -> f32 { return dy[k * p.c_out + j]; }
fn store_c(i: u32, j: u32, v: f32) { dw[i * p.c_out + j] += v; }

@compute @workgroup_size(16, 16)
fn conv2d_backward_weight(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    gemm(group, local);
}
