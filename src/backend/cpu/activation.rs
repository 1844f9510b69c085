//! Activation functions, forward and backward. Backward is written in terms of the
//! *output* y, which every one of them allows, so a layer keeps only its output.

use super::threads;
use crate::backend::Activation;

/// `y = f(x)`, in parts over the CPU threads.
pub fn activation_forward(kind: Activation, x: &[f32], y: &mut [f32]) {
    let chunk = threads::chunk_len(y.len());
    threads::for_each_chunk(y, chunk, |p, y| {
        forward_run(kind, &x[p * chunk..][..y.len()], y)
    });
}

fn forward_run(kind: Activation, x: &[f32], y: &mut [f32]) {
    let pairs = y.iter_mut().zip(x);
    match kind {
        Activation::Relu => pairs.for_each(|(y, &x)| *y = if x > 0.0 { x } else { 0.0 }),
        Activation::LeakyRelu { alpha } => {
            pairs.for_each(|(y, &x)| *y = if x > 0.0 { x } else { alpha * x })
        }
        Activation::Sigmoid => pairs.for_each(|(y, &x)| *y = 1.0 / (1.0 + libm::expf(-x))),
        Activation::Tanh => pairs.for_each(|(y, &x)| *y = libm::tanhf(x)),
    }
}

/// `dx = f'(x) · dy`, with f' expressed through y = f(x).
/// ReLU's derivative at 0 is taken as 0 (x = 0 gives y = 0, which counts as inactive).
pub fn activation_backward(kind: Activation, y: &[f32], dy: &[f32], dx: &mut [f32]) {
    let chunk = threads::chunk_len(dx.len());
    threads::for_each_chunk(dx, chunk, |p, dx| {
        let at = p * chunk;
        backward_run(kind, &y[at..][..dx.len()], &dy[at..][..dx.len()], dx)
    });
}

fn backward_run(kind: Activation, y: &[f32], dy: &[f32], dx: &mut [f32]) {
    let triples = dx.iter_mut().zip(y.iter().zip(dy));
    match kind {
        Activation::Relu => triples.for_each(|(dx, (&y, &g))| *dx = if y > 0.0 { g } else { 0.0 }),
        Activation::LeakyRelu { alpha } => {
            // alpha > 0 keeps the sign of x in y; alpha = 0 is plain ReLU.
            triples.for_each(|(dx, (&y, &g))| *dx = if y > 0.0 { g } else { alpha * g })
        }
        Activation::Sigmoid => triples.for_each(|(dx, (&y, &g))| *dx = g * y * (1.0 - y)),
        Activation::Tanh => triples.for_each(|(dx, (&y, &g))| *dx = g * (1.0 - y * y)),
    }
}

/// Softmax of each row of `cols` values, shifted by the row maximum so exp never overflows.
pub fn softmax_forward(x: &[f32], cols: usize, y: &mut [f32]) {
    for (row, out) in x.chunks_exact(cols).zip(y.chunks_exact_mut(cols)) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut total = 0.0f32;
        for (o, &v) in out.iter_mut().zip(row) {
            *o = libm::expf(v - max);
            total += *o;
        }
        for o in out.iter_mut() {
            *o /= total;
        }
    }
}

/// Softmax backward: `dx = y ⊙ (dy − Σ_j dy_j y_j)` per row.
pub fn softmax_backward(y: &[f32], dy: &[f32], cols: usize, dx: &mut [f32]) {
    for ((y, dy), dx) in y
        .chunks_exact(cols)
        .zip(dy.chunks_exact(cols))
        .zip(dx.chunks_exact_mut(cols))
    {
        let dot: f32 = y.iter().zip(dy).map(|(a, b)| a * b).sum();
        for ((d, &yv), &g) in dx.iter_mut().zip(y).zip(dy) {
            *d = yv * (g - dot);
        }
    }
}
