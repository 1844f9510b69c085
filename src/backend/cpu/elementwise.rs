//! Element-wise kernels. They are memory-bound, and LLVM vectorises these plain loops to
//! simd128 / SSE on its own, so they need no hand-written SIMD. Each runs in parts over the
//! CPU threads (`threads::for_each_run`); an element's value never depends on the parts.

use super::threads::for_each_run;

/// Adds `b` to every row of `x` (rows of `b.len()` values): the bias of Dense and Conv2D.
pub fn add_row_vector(x: &mut [f32], b: &[f32]) {
    if b.is_empty() {
        return;
    }
    for_each_run(x, b.len(), |_, x| {
        for row in x.chunks_exact_mut(b.len()) {
            for (v, bias) in row.iter_mut().zip(b) {
                *v += bias;
            }
        }
    });
}

/// `y += a · x`.
pub fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for_each_run(y, 1, |at, y| {
        for (y, x) in y.iter_mut().zip(&x[at..]) {
            *y += a * x;
        }
    });
}

/// `y = a·y + b·x` (each product rounded, then the sum: the bits of a `scale` and then an
/// `axpy`, in one pass).
pub fn scale_add(y: &mut [f32], a: f32, b: f32, x: &[f32]) {
    for_each_run(y, 1, |at, y| {
        for (y, &x) in y.iter_mut().zip(&x[at..]) {
            *y = a * *y + b * x;
        }
    });
}

/// `y = a·y + b·x`, except that `y = 0` where `x` is exactly 0: a moving average of weights
/// that keeps the zeros L1 put in them.
pub fn scale_add_keep_zeros(y: &mut [f32], a: f32, b: f32, x: &[f32]) {
    for_each_run(y, 1, |at, y| {
        for (y, &x) in y.iter_mut().zip(&x[at..]) {
            *y = if x == 0.0 { 0.0 } else { a * *y + b * x };
        }
    });
}

/// `y += a · sign(x)`, with sign(0) = 0: the gradient of `a·Σ|x|`.
pub fn add_sign(y: &mut [f32], a: f32, x: &[f32]) {
    for_each_run(y, 1, |at, y| {
        for (y, &x) in y.iter_mut().zip(&x[at..]) {
            if x > 0.0 {
                *y += a;
            } else if x < 0.0 {
                *y -= a;
            }
        }
    });
}

/// `x *= a`.
pub fn scale(x: &mut [f32], a: f32) {
    for_each_run(x, 1, |_, x| {
        for v in x {
            *v *= a;
        }
    });
}

/// `y = a ⊙ b`.
pub fn mul(a: &[f32], b: &[f32], y: &mut [f32]) {
    for_each_run(y, 1, |at, y| {
        for ((y, a), b) in y.iter_mut().zip(&a[at..]).zip(&b[at..]) {
            *y = a * b;
        }
    });
}

/// `y = x`.
pub fn copy(x: &[f32], y: &mut [f32]) {
    for_each_run(y, 1, |at, y| y.copy_from_slice(&x[at..][..y.len()]));
}

/// `x = value` everywhere.
pub fn fill(x: &mut [f32], value: f32) {
    for_each_run(x, 1, |_, x| x.fill(value));
}
