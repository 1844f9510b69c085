// The forward pass of a first layer on greyscale images: one input channel, stride 1, no
// dilation, C_out divisible by 4, k_w ≤ 8. The input row a window reads is kept in
// registers, so each input value is loaded once per window row instead of once per tap;
// output channels travel as vec4. Mirrors backend/cpu/conv.rs::conv2d_forward.
// Needs conv_geometry.wgsl and common.wgsl.

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias4: array<vec4<f32>>;

const BLOCK: u32 = 8u;

// Input value (n, iy, ix), 0 in the padding.
fn pixel(n: u32, iy: i32, ix: i32) -> f32 {
    if (iy < 0 || ix < 0 || iy >= i32(p.in_h) || ix >= i32(p.in_w)) {
        return 0.0;
    }
    return xs[(n * p.in_h + u32(iy)) * p.in_w + u32(ix)];
}

// y = conv(x, w) + bias with b4 = w: thread (n, oy, block of 8 ox, 4 output channels).
@compute @workgroup_size(256)
fn conv2d_forward_c1(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    let quads = p.c_out / 4u;
    let blocks = (p.out_w + BLOCK - 1u) / BLOCK;
    if (i >= p.batch * p.out_h * blocks * quads) {
        return;
    }
    let cq = i % quads;
    let bx = (i / quads) % blocks;
    let oy = (i / (quads * blocks)) % p.out_h;
    let n = i / (quads * blocks * p.out_h);
    let ox0 = bx * BLOCK;
    let b = bias4[cq];
    var acc = array<vec4<f32>, 8>(b, b, b, b, b, b, b, b);
    // Constant loop bounds (guarded by k_w) let the compiler unroll the loops and keep
    // `row` and `acc` in registers instead of memory.
    var row: array<f32, 15>;
    for (var ky = 0u; ky < p.k_h; ky++) {
        let iy = i32(oy + ky) - i32(p.pad_top);
        let ix0 = i32(ox0) - i32(p.pad_left);
        for (var t = 0u; t < 15u; t++) {
            if (t < BLOCK + p.k_w - 1u) {
                row[t] = pixel(n, iy, ix0 + i32(t));
            }
        }
        for (var kx = 0u; kx < 8u; kx++) {
            if (kx < p.k_w) {
                let w = b4[(ky * p.k_w + kx) * quads + cq];
                for (var j = 0u; j < BLOCK; j++) {
                    acc[j] += row[j + kx] * w;
                }
            }
        }
    }
    for (var j = 0u; j < BLOCK; j++) {
        if (ox0 + j < p.out_w) {
            out4[((n * p.out_h + oy) * p.out_w + ox0 + j) * quads + cq] = acc[j];
        }
    }
}
