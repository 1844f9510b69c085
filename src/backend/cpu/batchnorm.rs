//! Batch normalisation over the last axis (channels): the same code for dense outputs
//! `[N, F]` and conv outputs `[N, H, W, C]`, whose statistics run over N·H·W.
//!
//! Forward: `x̂ = (x − μ) / √(σ² + ε)`, `y = γ·x̂ + β`, with μ, σ² the batch mean and
//! (biased) variance in training and the running averages at inference.

/// Per-channel mean and biased variance of `x` viewed as rows of `c` channels.
pub fn channel_moments(x: &[f32], c: usize, mean: &mut [f32], var: &mut [f32]) {
    let rows = (x.len() / c) as f64;
    let mut sum = vec![0.0f64; c];
    for row in x.chunks_exact(c) {
        for (s, &v) in sum.iter_mut().zip(row) {
            *s += v as f64;
        }
    }
    let mu: Vec<f64> = sum.iter().map(|s| s / rows).collect();
    let mut sq = vec![0.0f64; c];
    for row in x.chunks_exact(c) {
        for ((s, &v), m) in sq.iter_mut().zip(row).zip(&mu) {
            let d = v as f64 - m;
            *s += d * d;
        }
    }
    for ch in 0..c {
        mean[ch] = mu[ch] as f32;
        var[ch] = (sq[ch] / rows) as f32;
    }
}

/// `y = γ·(x − μ)/√(σ² + ε) + β` per channel, for given statistics.
pub fn batch_norm_apply(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    mean: &[f32],
    var: &[f32],
    eps: f32,
    y: &mut [f32],
) {
    let c = gamma.len();
    let scale: Vec<f32> = (0..c)
        .map(|ch| gamma[ch] / (var[ch] + eps).sqrt())
        .collect();
    let shift: Vec<f32> = (0..c).map(|ch| beta[ch] - mean[ch] * scale[ch]).collect();
    for (row, out) in x.chunks_exact(c).zip(y.chunks_exact_mut(c)) {
        for ch in 0..c {
            out[ch] = row[ch] * scale[ch] + shift[ch];
        }
    }
}

/// Backward through training-mode batch norm:
/// `dβ += Σ dy`, `dγ += Σ dy·x̂`, `dx = γ/(m·√(σ²+ε)) · (m·dy − Σdy − x̂·Σ dy·x̂)`.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_backward(
    x: &[f32],
    dy: &[f32],
    gamma: &[f32],
    mean: &[f32],
    var: &[f32],
    eps: f32,
    dx: &mut [f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) {
    let c = gamma.len();
    let m = (x.len() / c) as f32;
    let inv_std: Vec<f32> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
    let mut sum_dy = vec![0.0f64; c];
    let mut sum_dy_xhat = vec![0.0f64; c];
    for (row, g) in x.chunks_exact(c).zip(dy.chunks_exact(c)) {
        for ch in 0..c {
            let xhat = (row[ch] - mean[ch]) * inv_std[ch];
            sum_dy[ch] += g[ch] as f64;
            sum_dy_xhat[ch] += (g[ch] * xhat) as f64;
        }
    }
    for ch in 0..c {
        dbeta[ch] += sum_dy[ch] as f32;
        dgamma[ch] += sum_dy_xhat[ch] as f32;
    }
    for ((row, g), out) in x
        .chunks_exact(c)
        .zip(dy.chunks_exact(c))
        .zip(dx.chunks_exact_mut(c))
    {
        for ch in 0..c {
            let xhat = (row[ch] - mean[ch]) * inv_std[ch];
            let k = gamma[ch] * inv_std[ch] / m;
            out[ch] = k * (m * g[ch] - sum_dy[ch] as f32 - xhat * sum_dy_xhat[ch] as f32);
        }
    }
}
