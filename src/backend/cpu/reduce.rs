//! Reductions. Sums are accumulated in f64 in index order, so they are accurate and the
//! same on every platform.

use super::threads;

/// `out[c] += Σ_rows x[row, c]` for a row-major matrix with `cols` columns; groups of
/// columns go to the CPU threads, each column summed in row order as by one thread.
pub fn column_sums_acc(x: &[f32], cols: usize, out: &mut [f32]) {
    if cols == 0 {
        return;
    }
    let rows = x.len() / cols;
    let parts = (x.len() / (1 << 15))
        .clamp(1, threads::threads() * 2)
        .min(cols.div_ceil(4));
    let group = cols.div_ceil(parts);
    threads::for_each_chunk(&mut out[..cols], group, |p, out| {
        let first = p * group;
        let mut sums = vec![0.0f64; out.len()];
        for row in x.chunks_exact(cols).take(rows) {
            for (s, &v) in sums.iter_mut().zip(&row[first..first + out.len()]) {
                *s += v as f64;
            }
        }
        for (o, s) in out.iter_mut().zip(sums) {
            *o += s as f32;
        }
    });
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
