//! Reductions. Sums are accumulated in f64 in index order, so they are accurate and the
//! same on every platform.

/// `out[c] += Σ_rows x[row, c]` for a row-major matrix with `cols` columns.
pub fn column_sums_acc(x: &[f32], cols: usize, out: &mut [f32]) {
    let mut sums = vec![0.0f64; cols];
    for row in x.chunks_exact(cols) {
        for (s, &v) in sums.iter_mut().zip(row) {
            *s += v as f64;
        }
    }
    for (o, s) in out.iter_mut().zip(sums) {
        *o += s as f32;
    }
}

/// Σ x.
pub fn sum(x: &[f32]) -> f32 {
    x.iter().map(|&v| v as f64).sum::<f64>() as f32
}

/// Σ |x|.
pub fn sum_abs(x: &[f32]) -> f32 {
    x.iter().map(|&v| v.abs() as f64).sum::<f64>() as f32
}

/// Σ x².
pub fn sum_squares(x: &[f32]) -> f32 {
    x.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() as f32
}
