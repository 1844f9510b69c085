// Builds a training batch on the GPU from the resident dataset: gathers the images by index,
// scales to [0, 1], augments (warp, flips, blur, erasing, inversion, noise, with parameters
// drawn per image on the CPU), jitters colour, normalises (per channel for colour images),
// and writes one-hot targets. One thread per output value (pixel × channel, HWC). Mirrors
// data/batch.rs + data/augment.rs (the same arithmetic in the same order).

struct Params {
    batch: u32,
    rows: u32,
    cols: u32,
    // Bytes per stored image (rows·cols·channels rounded up to a multiple of 4).
    stride: u32,
    classes: u32,
    // 0 scale to [0,1], 1 subtract mean pixel, 2 subtract mean image, 3 standardise.
    normalization: u32,
    mean: f32,
    inv_std: f32,
    augment: u32,
    channels: u32,
    _pad0: u32,
    _pad1: u32,
}

// One image's augmentation (data/augment.rs::ImageAugment).
struct Aug {
    // Inverse warp: source = (c·u + s·v + cx, −s·u + c·v + cy) with (u, v) = (x − cx − dx, y − cy − dy).
    c: f32,
    s: f32,
    dx: f32,
    dy: f32,
    // Bits: 1 warp, 2 hflip, 4 vflip, 8 blur, 16 erase, 32 invert, 64 colour jitter.
    flags: u32,
    erase_top: u32,
    erase_left: u32,
    erase_h: u32,
    erase_w: u32,
    noise_key: u32,
    noise_std: f32,
    brightness: f32,
    contrast: f32,
    saturation: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> inputs: array<f32>;
@group(0) @binding(2) var<storage, read_write> targets: array<f32>;
@group(0) @binding(3) var<storage, read> images: array<u32>;
@group(0) @binding(4) var<storage, read> labels: array<u32>;
@group(0) @binding(5) var<storage, read> indices: array<u32>;
@group(0) @binding(6) var<storage, read> augs: array<Aug>;
// The mean image, or for colour with a pixel-wise normalisation the channels' means then
// their 1 / std.
@group(0) @binding(7) var<storage, read> mean_image: array<f32>;

// Stored channel `ch` of pixel (y, x) of dataset image `image`, in [0, 1]; 0 outside.
fn pixel(image: u32, y: i32, x: i32, ch: u32) -> f32 {
    if (y < 0 || x < 0 || y >= i32(p.rows) || x >= i32(p.cols)) {
        return 0.0;
    }
    let at = image * p.stride + (u32(y) * p.cols + u32(x)) * p.channels + ch;
    let word = images[at / 4u];
    return f32((word >> ((at % 4u) * 8u)) & 0xffu) * (1.0 / 255.0);
}

// The warped image at (y, x): bilinear sampling of the source (augment.rs::warp).
fn warped(image: u32, a: Aug, y: u32, x: u32, ch: u32) -> f32 {
    if ((a.flags & 1u) == 0u) {
        return pixel(image, i32(y), i32(x), ch);
    }
    let cy = (f32(p.rows) - 1.0) / 2.0;
    let cx = (f32(p.cols) - 1.0) / 2.0;
    let u = f32(x) - cx - a.dx;
    let v = f32(y) - cy - a.dy;
    let sx = (a.c * u + a.s * v) + cx;
    let sy = (-a.s * u + a.c * v) + cy;
    let x0 = floor(sx);
    let y0 = floor(sy);
    let fx = sx - x0;
    let fy = sy - y0;
    let ix = i32(x0);
    let iy = i32(y0);
    let top = pixel(image, iy, ix, ch) * (1.0 - fx) + pixel(image, iy, ix + 1, ch) * fx;
    let bottom = pixel(image, iy + 1, ix, ch) * (1.0 - fx) + pixel(image, iy + 1, ix + 1, ch) * fx;
    return top * (1.0 - fy) + bottom * fy;
}

// After the flips: the warped image seen through them.
fn flipped(image: u32, a: Aug, y: u32, x: u32, ch: u32) -> f32 {
    var fy = y;
    var fx = x;
    if ((a.flags & 2u) != 0u) {
        fx = p.cols - 1u - x;
    }
    if ((a.flags & 4u) != 0u) {
        fy = p.rows - 1u - y;
    }
    return warped(image, a, fy, fx, ch);
}

// src/random.rs::hash32 and hash_uniform.
fn hash32(v: u32) -> u32 {
    var x = v;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

fn hash_uniform(key: u32, index: u32) -> f32 {
    let h = hash32((index * 0x9e3779b9u + key) ^ hash32(key));
    return f32(h >> 8u) * (1.0 / 16777216.0);
}

// Channel `ch` of pixel (y, x) after the changes before colour jitter: blur of the warped,
// flipped image, erasing, inversion.
fn changed(image: u32, a: Aug, y: u32, x: u32, ch: u32) -> f32 {
    var v = 0.0;
    if ((a.flags & 8u) != 0u) {
        // 3×3 Gaussian blur (1-2-1 ⊗ 1-2-1 / 16), edges clamped, as augment.rs::blur3.
        var w = array<f32, 3>(0.25, 0.5, 0.25);
        var sum = 0.0;
        for (var dy = 0u; dy < 3u; dy++) {
            for (var dx = 0u; dx < 3u; dx++) {
                let sy = min(u32(max(i32(y + dy) - 1, 0)), p.rows - 1u);
                let sx = min(u32(max(i32(x + dx) - 1, 0)), p.cols - 1u);
                sum += w[dy] * w[dx] * flipped(image, a, sy, sx, ch);
            }
        }
        v = sum;
    } else {
        v = flipped(image, a, y, x, ch);
    }
    if ((a.flags & 16u) != 0u && y >= a.erase_top && y < a.erase_top + a.erase_h
        && x >= a.erase_left && x < a.erase_left + a.erase_w) {
        v = 0.0;
    }
    if ((a.flags & 32u) != 0u) {
        v = 1.0 - v;
    }
    return v;
}

// Brightness and contrast of one channel's value (augment.rs::jitter).
fn bright_contrast(a: Aug, v: f32) -> f32 {
    return (v * a.brightness - 0.5) * a.contrast + 0.5;
}

// Colour jitter of channel `ch` at (y, x): brightness, contrast, then saturation about the
// pixel's grey (the mean of its channels), clamped (augment.rs::jitter).
fn jittered(image: u32, a: Aug, y: u32, x: u32, ch: u32, v: f32) -> f32 {
    var out = bright_contrast(a, v);
    if (p.channels > 1u) {
        var sum = 0.0;
        for (var k = 0u; k < p.channels; k++) {
            sum += bright_contrast(a, changed(image, a, y, x, k));
        }
        let grey = sum / f32(p.channels);
        out = grey + (out - grey) * a.saturation;
    }
    return clamp(out, 0.0, 1.0);
}

@compute @workgroup_size(256)
fn gather_batch(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    let size = p.rows * p.cols * p.channels;
    if (i >= p.batch * size) {
        return;
    }
    let b = i / size;
    // Index within the image (HWC), its pixel and channel.
    let r = i % size;
    let ch = r % p.channels;
    let y = (r / p.channels) / p.cols;
    let x = (r / p.channels) % p.cols;
    let image = indices[b];
    var v = pixel(image, i32(y), i32(x), ch);
    if (p.augment == 1u) {
        let a = augs[b];
        v = changed(image, a, y, x, ch);
        if ((a.flags & 64u) != 0u) {
            v = jittered(image, a, y, x, ch, v);
        }
        if (a.noise_std > 0.0) {
            let u1 = 1.0 - hash_uniform(a.noise_key, r * 2u);
            let u2 = hash_uniform(a.noise_key, r * 2u + 1u);
            let n = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
            v = clamp(v + a.noise_std * n, 0.0, 1.0);
        }
    }
    switch p.normalization {
        case 1u: {
            if (p.channels > 1u) {
                v -= mean_image[ch];
            } else {
                v -= p.mean;
            }
        }
        case 2u: { v -= mean_image[r]; }
        case 3u: {
            if (p.channels > 1u) {
                v = (v - mean_image[ch]) * mean_image[p.channels + ch];
            } else {
                v = (v - p.mean) * p.inv_std;
            }
        }
        default: {}
    }
    inputs[i] = v;
    if (r == 0u) {
        for (var c = 0u; c < p.classes; c++) {
            targets[b * p.classes + c] = select(0.0, 1.0, labels[image] == c);
        }
    }
}
