// Direct convolution kernels, one thread per output value, no workgroup memory: on GPUs
// emulated by the CPU (SwiftShader, lavapipe) and for the few channels of small CNNs they beat
// the tiled GEMM, whose 64×64 tiles would be mostly empty. Mirrors backend/cpu/conv.rs.
// Needs conv_geometry.wgsl and common.wgsl.

@group(0) @binding(0) var<uniform> p: Conv;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// y[n, oy, ox, co] = bias[co] + Σ_{ky, kx, ci} x[n, iy, ix, ci] · w[ky, kx, ci, co], with
// a = x and b = w.
@compute @workgroup_size(256)
fn conv2d_forward_direct(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.batch * p.out_h * p.out_w * p.c_out) {
        return;
    }
    let co = i % p.c_out;
    let ox = (i / p.c_out) % p.out_w;
    let oy = (i / (p.c_out * p.out_w)) % p.out_h;
    let n = i / (p.c_out * p.out_w * p.out_h);
    var acc = bias[co];
    for (var ky = 0u; ky < p.k_h; ky++) {
        let iy = i32(oy * p.stride_h + ky * p.dil_h) - i32(p.pad_top);
        if (iy < 0 || iy >= i32(p.in_h)) {
            continue;
        }
        for (var kx = 0u; kx < p.k_w; kx++) {
            let ix = i32(ox * p.stride_w + kx * p.dil_w) - i32(p.pad_left);
            if (ix < 0 || ix >= i32(p.in_w)) {
                continue;
            }
            let xa = ((n * p.in_h + u32(iy)) * p.in_w + u32(ix)) * p.c_in;
            let wa = (ky * p.k_w + kx) * p.c_in * p.c_out + co;
            for (var ci = 0u; ci < p.c_in; ci++) {
                acc += a[xa + ci] * b[wa + ci * p.c_out];
            }
        }
    }
    out[i] = acc;
}

// dx[n, iy, ix, ci] = Σ over the output positions whose window read (iy, ix), with a = dy and
// b = w: gathered, so no atomics.
@compute @workgroup_size(256)
fn conv2d_backward_input_direct(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.batch * p.in_h * p.in_w * p.c_in) {
        return;
    }
    let ci = i % p.c_in;
    let ix = (i / p.c_in) % p.in_w;
    let iy = (i / (p.c_in * p.in_w)) % p.in_h;
    let n = i / (p.c_in * p.in_w * p.in_h);
    var acc = 0.0;
    for (var ky = 0u; ky < p.k_h; ky++) {
        let ty = i32(iy + p.pad_top) - i32(ky * p.dil_h);
        if (ty < 0 || u32(ty) % p.stride_h != 0u || u32(ty) / p.stride_h >= p.out_h) {
            continue;
        }
        let oy = u32(ty) / p.stride_h;
        for (var kx = 0u; kx < p.k_w; kx++) {
            let tx = i32(ix + p.pad_left) - i32(kx * p.dil_w);
            if (tx < 0 || u32(tx) % p.stride_w != 0u || u32(tx) / p.stride_w >= p.out_w) {
                continue;
            }
            let ox = u32(tx) / p.stride_w;
            let da = ((n * p.out_h + oy) * p.out_w + ox) * p.c_out;
            let wa = ((ky * p.k_w + kx) * p.c_in + ci) * p.c_out;
            for (var co = 0u; co < p.c_out; co++) {
                acc += a[da + co] * b[wa + co];
            }
        }
    }
    out[i] = acc;
}

// Split-K weight gradient, step 1: thread (tap, co, chunk) sums x·dy over one chunk of
// output positions (CHUNK of them) into out[chunk][tap][co], a = x and b = dy. The bias is a
// last "tap" whose input is always 1: further threads sum dy into out[chunk][taps][co].
const CHUNK: u32 = 256u;

@compute @workgroup_size(256)
fn conv2d_backward_weight_partial(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    let taps = p.k_h * p.k_w * p.c_in;
    let outputs = taps * p.c_out;
    let positions = p.batch * p.out_h * p.out_w;
    let chunks = (positions + CHUNK - 1u) / CHUNK;
    if (i >= (outputs + p.c_out) * chunks) {
        return;
    }
    if (i >= outputs * chunks) {
        let co = (i - outputs * chunks) % p.c_out;
        let chunk = (i - outputs * chunks) / p.c_out;
        var s = 0.0;
        for (var q = chunk * CHUNK; q < min(chunk * CHUNK + CHUNK, positions); q++) {
            s += b[q * p.c_out + co];
        }
        out[(chunk * (taps + 1u) + taps) * p.c_out + co] = s;
        return;
    }
    let co = i % p.c_out;
    let tap = (i / p.c_out) % taps;
    let chunk = i / outputs;
    let ci = tap % p.c_in;
    let kx = (tap / p.c_in) % p.k_w;
    let ky = tap / (p.c_in * p.k_w);
    let first = chunk * CHUNK;
    let last = min(first + CHUNK, positions);
    // The position (n, oy, ox) advances by one each step: no division in the loop.
    var ox = first % p.out_w;
    var oy = (first / p.out_w) % p.out_h;
    var n = first / (p.out_w * p.out_h);
    var acc = 0.0;
    for (var q = first; q < last; q++) {
        let iy = i32(oy * p.stride_h + ky * p.dil_h) - i32(p.pad_top);
        let ix = i32(ox * p.stride_w + kx * p.dil_w) - i32(p.pad_left);
        if (iy >= 0 && ix >= 0 && iy < i32(p.in_h) && ix < i32(p.in_w)) {
            acc += a[((n * p.in_h + u32(iy)) * p.in_w + u32(ix)) * p.c_in + ci] * b[q * p.c_out + co];
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
    out[(chunk * (taps + 1u) + tap) * p.c_out + co] = acc;
}
