//! Losses over a batch of score rows `[N, C]` and one-hot (or smoothed) targets `[N, C]`.
//! Each returns the batch-mean loss and writes its gradient with respect to the scores.

use super::threads;

/// The index of the largest value (the first, on ties).
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// Softmax cross-entropy, fused so it never takes the log of a rounded-to-zero probability:
/// `loss = −Σ t'ⱼ (zⱼ − logΣexp z)` with `t' = (1 − ε)·t + ε/C` (label smoothing ε), and the
/// gradient `(softmax(z) − t') / N`.
///
/// Rows in parts over the CPU threads (an exponential per score is most of the work); each
/// part keeps its rows' terms, which are then summed in row order, so the loss is the same
/// whatever the parts.
pub fn softmax_cross_entropy(
    logits: &[f32],
    targets: &[f32],
    classes: usize,
    smoothing: f32,
    grad: &mut [f32],
) -> f32 {
    let n = logits.len() / classes;
    let mut terms = vec![0.0f32; n * classes];
    let rows = n.div_ceil(threads::balanced_parts(logits.len() / ROW_PART_SCORES, 1));
    let terms_out = threads::SharedMut::new(&mut terms);
    threads::for_each_chunk(&mut grad[..n * classes], rows * classes, |part, grad| {
        let at = part * rows * classes;
        // SAFETY: each part writes the terms of its own rows.
        let terms = unsafe { terms_out.range(at, at + grad.len()) };
        let (logits, targets) = (&logits[at..], &targets[at..]);
        for (((z, t), g), terms) in logits
            .chunks_exact(classes)
            .zip(targets.chunks_exact(classes))
            .zip(grad.chunks_exact_mut(classes))
            .zip(terms.chunks_exact_mut(classes))
        {
            let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0f32;
            for (gi, &zi) in g.iter_mut().zip(z) {
                *gi = libm::expf(zi - max);
                sum += *gi;
            }
            let log_sum = max + libm::logf(sum);
            for (((gi, &zi), &ti), term) in g.iter_mut().zip(z).zip(t).zip(terms.iter_mut()) {
                let target = (1.0 - smoothing) * ti + smoothing / classes as f32;
                *term = target * (zi - log_sum);
                *gi = (*gi / sum - target) / n as f32;
            }
        }
    });
    let total = terms.iter().fold(0.0f64, |total, &t| total - t as f64);
    (total / n as f64) as f32
}

/// Scores per part of a loss's rows, at the least.
const ROW_PART_SCORES: usize = 256;

/// Mean squared error over all elements: `mean((y − t)²)`, gradient `2(y − t)/(N·C)`.
pub fn mean_squared_error(outputs: &[f32], targets: &[f32], grad: &mut [f32]) -> f32 {
    let count = outputs.len() as f32;
    let mut total = 0.0f64;
    for ((g, &y), &t) in grad.iter_mut().zip(outputs).zip(targets) {
        let d = y - t;
        total += (d * d) as f64;
        *g = 2.0 * d / count;
    }
    (total / count as f64) as f32
}

/// Multi-class hinge (Weston–Watkins): `Σ_{j≠y} max(0, sⱼ − s_y + 1)` per example, averaged;
/// the true class y is the target's argmax.
pub fn hinge(scores: &[f32], targets: &[f32], classes: usize, grad: &mut [f32]) -> f32 {
    let n = scores.len() / classes;
    let mut total = 0.0f64;
    for ((s, t), g) in scores
        .chunks_exact(classes)
        .zip(targets.chunks_exact(classes))
        .zip(grad.chunks_exact_mut(classes))
    {
        let y = argmax(t);
        g.fill(0.0);
        for j in 0..classes {
            let margin = s[j] - s[y] + 1.0;
            if j != y && margin > 0.0 {
                total += margin as f64;
                g[j] += 1.0 / n as f32;
                g[y] -= 1.0 / n as f32;
            }
        }
    }
    (total / n as f64) as f32
}

/// How many rows have their largest score at the target's class.
pub fn count_correct(scores: &[f32], targets: &[f32], classes: usize) -> usize {
    scores
        .chunks_exact(classes)
        .zip(targets.chunks_exact(classes))
        .filter(|(s, t)| argmax(s) == argmax(t))
        .count()
}
