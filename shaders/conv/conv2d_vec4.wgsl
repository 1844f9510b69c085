// Convolution kernels for channel counts divisible by 4: four channels travel as one vec4
// (one load instead of four), and the forward pass keeps a 4 positions × 4 channels block
// in registers. Loads dominate on GPUs emulated by the CPU, so this is their fast path;
// on real GPUs it suits the narrow layers of small CNNs. Mirrors backend/cpu/conv.rs.
// Needs conv_geometry.wgsl and common.wgsl.

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> xs: array<f32>;
@group(0) @binding(3) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias4: array<vec4<f32>>;

const BLOCK: u32 = 4u;

// y = conv(x, w) + bias: thread (n, oy, block of 4 ox, 4 output channels). C_out % 4 == 0.
@compute @workgroup_size(256)
fn conv2d_forward_vec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
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
    var acc = array<vec4<f32>, 4>(b, b, b, b);
    for (var ky = 0u; ky < p.k_h; ky++) {
        let iy = i32(oy * p.stride_h + ky * p.dil_h) - i32(p.pad_top);
        if (iy < 0 || iy >= i32(p.in_h)) {
            continue;
        }
        let row = (n * p.in_h + u32(iy)) * p.in_w;
        for (var kx = 0u; kx < p.k_w; kx++) {
            let tap = (ky * p.k_w + kx) * p.c_in;
            for (var ci = 0u; ci < p.c_in; ci++) {
                let w = w4[(tap + ci) * quads + cq];
                for (var j = 0u; j < BLOCK; j++) {
                    let ix = i32((ox0 + j) * p.stride_w + kx * p.dil_w) - i32(p.pad_left);
                    if (ix >= 0 && ix < i32(p.in_w)) {
                        acc[j] += xs[(row + u32(ix)) * p.c_in + ci] * w;
                    }
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

// Split-K weight gradient, step 1: thread (tap, 4 output channels, chunk) sums x·dy over a
// chunk of positions into out4[chunk][tap][quad]; here w4 holds dy. C_out % 4 == 0. Further
// threads sum dy into the bias row out4[chunk][taps][quad].
const CHUNK: u32 = 256u;

@compute @workgroup_size(256)
fn conv2d_backward_weight_partial_vec4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    let quads = p.c_out / 4u;
    let taps = p.k_h * p.k_w * p.c_in;
    let outputs = taps * quads;
    let positions = p.batch * p.out_h * p.out_w;
    let chunks = (positions + CHUNK - 1u) / CHUNK;
    if (i >= (outputs + quads) * chunks) {
        return;
    }
    if (i >= outputs * chunks) {
        bias_partial(i - outputs * chunks, taps, quads, positions);
        return;
    }
    let cq = i % quads;
    let tap = (i / quads) % taps;
    let chunk = i / outputs;
    let ci = tap % p.c_in;
    let kx = (tap / p.c_in) % p.k_w;
    let ky = tap / (p.c_in * p.k_w);
    let first = chunk * CHUNK;
    let last = min(first + CHUNK, positions);
    var ox = first % p.out_w;
    var oy = (first / p.out_w) % p.out_h;
    var n = first / (p.out_w * p.out_h);
    var acc = vec4<f32>(0.0);
    for (var q = first; q < last; q++) {
        let iy = i32(oy * p.stride_h + ky * p.dil_h) - i32(p.pad_top);
        let ix = i32(ox * p.stride_w + kx * p.dil_w) - i32(p.pad_left);
        if (iy >= 0 && ix >= 0 && iy < i32(p.in_h) && ix < i32(p.in_w)) {
            acc += xs[((n * p.in_h + u32(iy)) * p.in_w + u32(ix)) * p.c_in + ci] * w4[q * quads + cq];
        }
        ox += 1u;
        if (ox == p.out_w) {
            ox = 0u;
            oy += 1u;
            if (oy == p.out_h) {
                oy = 0u;
                n += 1u;
            }
        }
    }
    out4[(chunk * (taps + 1u) + tap) * quads + cq] = acc;
}

// Thread k of the bias part: Σ dy over chunk k / quads for output channels 4·(k mod quads)..
fn bias_partial(k: u32, taps: u32, quads: u32, positions: u32) {
    let cq = k % quads;
    let chunk = k / quads;
    var s = vec4<f32>(0.0);
    for (var q = chunk * CHUNK; q < min(chunk * CHUNK + CHUNK, positions); q++) {
        s += w4[q * quads + cq];
    }
    out4[(chunk * (taps + 1u) + taps) * quads + cq] = s;
}
