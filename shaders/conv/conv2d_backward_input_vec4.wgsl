// dx for channel counts divisible by 4: thread (n, iy, 4 ix, 4 input channels) gathers dy·Wᵀ
// over the output positions whose window read each input, output channels four at a time.
// Mirrors backend/cpu/conv.rs::conv2d_backward_input. Needs conv_geometry.wgsl, common.wgsl.

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read_write> dx4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> w4: array<vec4<f32>>;

const BLOCK: u32 = 4u;

// Thread (n, iy, block of 4 ix, 4 input channels): the weights of a tap are loaded once for
// the 4 positions.
@compute @workgroup_size(256)
fn conv2d_backward_input_vec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    let in_q = p.c_in / 4u;
    let out_q = p.c_out / 4u;
    let blocks = (p.in_w + BLOCK - 1u) / BLOCK;
    if (i >= p.batch * p.in_h * blocks * in_q) {
        return;
    }
    let iq = i % in_q;
    let bx = (i / in_q) % blocks;
    let iy = (i / (in_q * blocks)) % p.in_h;
    let n = i / (in_q * blocks * p.in_h);
    let ix0 = bx * BLOCK;
    var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var ky = 0u; ky < p.k_h; ky++) {
        let ty = i32(iy + p.pad_top) - i32(ky * p.dil_h);
        if (ty < 0 || u32(ty) % p.stride_h != 0u || u32(ty) / p.stride_h >= p.out_h) {
            continue;
        }
        let row = (n * p.out_h + u32(ty) / p.stride_h) * p.out_w;
        for (var kx = 0u; kx < p.k_w; kx++) {
            // W rows of this thread's 4 input channels, for tap (ky, kx).
            let wr = ((ky * p.k_w + kx) * p.c_in + iq * 4u) * out_q;
            for (var cq = 0u; cq < out_q; cq++) {
                let w0 = w4[wr + cq];
                let w1 = w4[wr + out_q + cq];
                let w2 = w4[wr + 2u * out_q + cq];
                let w3 = w4[wr + 3u * out_q + cq];
                for (var j = 0u; j < BLOCK; j++) {
                    let tx = i32(ix0 + j + p.pad_left) - i32(kx * p.dil_w);
                    if (tx >= 0 && u32(tx) % p.stride_w == 0u && u32(tx) / p.stride_w < p.out_w) {
                        let g = dy4[(row + u32(tx) / p.stride_w) * out_q + cq];
                        acc[j] += vec4<f32>(dot(g, w0), dot(g, w1), dot(g, w2), dot(g, w3));
                    }
                }
            }
        }
    }
    for (var j = 0u; j < BLOCK; j++) {
        if (ix0 + j < p.in_w) {
            dx4[((n * p.in_h + iy) * p.in_w + ix0 + j) * in_q + iq] = acc[j];
        }
    }
}
