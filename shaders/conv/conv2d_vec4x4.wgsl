// Convolution kernels for input and output channel counts both divisible by 4: x and w (and
// dy) all travel as vec4, so each pair of loads feeds a 4×4 block of multiply-adds.
// Mirrors backend/cpu/conv.rs. Needs conv_geometry.wgsl and common.wgsl.

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read_write> out4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias4: array<vec4<f32>>;

const BLOCK: u32 = 4u;

// y = conv(x, w) + bias with b4 = w: thread (n, oy, block of 4 ox, 4 output channels).
@compute @workgroup_size(256)
fn conv2d_forward_vec4x4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    let quads = p.c_out / 4u;
    let in_q = p.c_in / 4u;
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
            for (var iq = 0u; iq < in_q; iq++) {
                // The 4×4 block of weights from input channels 4·iq.. to output channels 4·cq..
                let w0 = b4[(tap + iq * 4u) * quads + cq];
                let w1 = b4[(tap + iq * 4u + 1u) * quads + cq];
                let w2 = b4[(tap + iq * 4u + 2u) * quads + cq];
                let w3 = b4[(tap + iq * 4u + 3u) * quads + cq];
                for (var j = 0u; j < BLOCK; j++) {
                    let ix = i32((ox0 + j) * p.stride_w + kx * p.dil_w) - i32(p.pad_left);
                    if (ix >= 0 && ix < i32(p.in_w)) {
                        let xv = x4[(row + u32(ix)) * in_q + iq];
                        acc[j] += xv.x * w0 + xv.y * w1 + xv.z * w2 + xv.w * w3;
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

// Split-K weight gradient, step 1, with b4 = dy: thread (ky, kx, 4 input channels, 4 output
// channels, chunk) accumulates the 4×4 outer products x·dyᵀ over a chunk of positions into
// out4[chunk][tap][quad] for its 4 taps; further threads sum dy into the bias row.
const CHUNK: u32 = 256u;

@compute @workgroup_size(256)
fn conv2d_backward_weight_partial_vec4x4(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    let quads = p.c_out / 4u;
    let in_q = p.c_in / 4u;
    let cells = p.k_h * p.k_w * in_q * quads;
    let positions = p.batch * p.out_h * p.out_w;
    let chunks = (positions + CHUNK - 1u) / CHUNK;
    let taps = p.k_h * p.k_w * p.c_in;
    if (i >= (cells + quads) * chunks) {
        return;
    }
    if (i >= cells * chunks) {
        // The bias row: Σ dy over the chunk.
        let k = i - cells * chunks;
        let chunk = k / quads;
        var s = vec4<f32>(0.0);
        for (var q = chunk * CHUNK; q < min(chunk * CHUNK + CHUNK, positions); q++) {
            s += b4[q * quads + k % quads];
        }
        out4[(chunk * (taps + 1u) + taps) * quads + k % quads] = s;
        return;
    }
    let cq = i % quads;
    let iq = (i / quads) % in_q;
    let kx = (i / (quads * in_q)) % p.k_w;
    let ky = (i / (quads * in_q * p.k_w)) % p.k_h;
    let chunk = i / cells;
    let first = chunk * CHUNK;
    let last = min(first + CHUNK, positions);
    var ox = first % p.out_w;
    var oy = (first / p.out_w) % p.out_h;
    var n = first / (p.out_w * p.out_h);
    var acc = array<vec4<f32>, 4>(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
    for (var q = first; q < last; q++) {
        let iy = i32(oy * p.stride_h + ky * p.dil_h) - i32(p.pad_top);
        let ix = i32(ox * p.stride_w + kx * p.dil_w) - i32(p.pad_left);
        if (iy >= 0 && ix >= 0 && iy < i32(p.in_h) && ix < i32(p.in_w)) {
            let xv = x4[((n * p.in_h + u32(iy)) * p.in_w + u32(ix)) * in_q + iq];
            let g = b4[q * quads + cq];
            acc[0] += xv.x * g;
            acc[1] += xv.y * g;
            acc[2] += xv.z * g;
            acc[3] += xv.w * g;
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
    // Taps (ky, kx, 4·iq + r) in the [chunk][tap][quad] layout of the reduce step.
    let tap0 = (ky * p.k_w + kx) * p.c_in + iq * 4u;
    for (var r = 0u; r < 4u; r++) {
        out4[(chunk * (taps + 1u) + tap0 + r) * quads + cq] = acc[r];
    }
}
