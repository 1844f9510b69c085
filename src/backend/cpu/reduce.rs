//! Reductions. Sums are accumulated in f64 in index order, so they are accurate and the
//! same on every platform.

use super::threads;

/// `out[c] += Σ_rows x[row, c]` for a row-major matrix with `cols` columns. The rows are cut
/// into blocks fixed by the size alone; the CPU threads sum blocks (each in row order, in
/// f64) and the block sums are added in block order, so the result is the same with any
/// number of threads.
pub fn column_sums_acc(x: &[f32], cols: usize, out: &mut [f32]) {
    if cols == 0 {
        return;
    }
    let rows = x.len() / cols;
    let blocks = (rows * cols / (1 << 15)).clamp(1, 16).min(rows.max(1));
    let per = rows.div_ceil(blocks).max(1);
    let mut sums = vec![0.0f64; blocks * cols];
    threads::for_each_chunk(&mut sums, cols, |p, sums| {
        let (first, end) = ((p * per).min(rows), ((p + 1) * per).min(rows));
        for row in x[first * cols..end * cols].chunks_exact(cols) {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += v as f64;
            }
        }
    });
    for (c, o) in out[..cols].iter_mut().enumerate() {
        let total: f64 = sums.iter().skip(c).step_by(cols).sum();
        *o += total as f32;
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
