// Inverted dropout and Gaussian noise from the same stateless, counter-based streams as the
// CPU (src/random.rs): the same key gives the same dropout mask on both.

struct Params {
    count: u32,
    key: u32,
    rate: f32,
    // Dropout: the survivors' scale 1/(1 − rate). Noise: σ.
    value: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<storage, read> input: array<f32>;

// lowbias32 (C. Wellons), as src/random.rs::hash32.
fn hash32(v: u32) -> u32 {
    var x = v;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

// src/random.rs::hash_uniform: 24 random bits in [0, 1).
fn hash_uniform(key: u32, index: u32) -> f32 {
    let h = hash32((index * 0x9e3779b9u + key) ^ hash32(key));
    return f32(h >> 8u) * (1.0 / 16777216.0);
}

// Keeps each value with probability 1 − rate, scaled by 1/(1 − rate); the backward pass
// is the same kernel applied to dy with the same key.
@compute @workgroup_size(256)
fn dropout(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.count) {
        return;
    }
    let keep = hash_uniform(p.key, i) >= p.rate;
    output[i] = select(0.0, input[i] * p.value, keep);
}

// x + σ·n with n = √(−2 ln u1)·cos(2π u2) (src/random.rs::hash_normal).
@compute @workgroup_size(256)
fn gaussian_noise(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = thread_index(id, groups);
    if (i >= p.count) {
        return;
    }
    let u1 = 1.0 - hash_uniform(p.key, i * 2u);
    let u2 = hash_uniform(p.key, i * 2u + 1u);
    let n = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    output[i] = input[i] + p.value * n;
}
