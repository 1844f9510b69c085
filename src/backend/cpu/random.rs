//! Kernels that draw random numbers: inverted dropout and Gaussian noise. Both use the
//! stateless [`hash_uniform`]/[`hash_normal`] streams, so backward regenerates the same mask
//! instead of storing it, and the WebGPU kernels draw the same numbers.

use crate::random::{hash_normal, hash_uniform};

/// Zeroes each element with probability `rate` and scales the survivors by `1/(1 − rate)`,
/// so the expected value is unchanged and inference needs no rescaling.
pub fn dropout_forward(x: &[f32], rate: f32, key: u32, y: &mut [f32]) {
    let scale = 1.0 / (1.0 - rate);
    for (i, (y, &x)) in y.iter_mut().zip(x).enumerate() {
        *y = if hash_uniform(key, i as u32) >= rate {
            x * scale
        } else {
            0.0
        };
    }
}

/// The gradient through the same mask: the same `key` regenerates it.
pub fn dropout_backward(dy: &[f32], rate: f32, key: u32, dx: &mut [f32]) {
    dropout_forward(dy, rate, key, dx);
}

/// `y = x + stddev · n` with n standard normal.
pub fn gaussian_noise(x: &[f32], stddev: f32, key: u32, y: &mut [f32]) {
    for (i, (y, &x)) in y.iter_mut().zip(x).enumerate() {
        *y = x + stddev * hash_normal(key, i as u32);
    }
}
