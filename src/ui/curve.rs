//! Curves of a run for the charts: a per-step figure against epochs, smoothed and averaged
//! down to what a chart can show, in one pass over the record (no copy of the whole run per
//! redraw, which on a long run made every redraw allocate and free hundreds of KB).

/// Exponentially weighted moving average, bias-corrected so it starts at the first value.
pub fn ewma(points: &[(f32, f32)], smoothing: f32) -> Vec<(f32, f32)> {
    let mut avg = Ewma::new(smoothing);
    points.iter().map(|&(x, y)| (x, avg.add(y))).collect()
}

struct Ewma {
    smoothing: f32,
    avg: f32,
    weight: f32,
}

impl Ewma {
    fn new(smoothing: f32) -> Self {
        Ewma {
            smoothing,
            avg: 0.0,
            weight: 0.0,
        }
    }

    fn add(&mut self, y: f32) -> f32 {
        self.avg = self.smoothing * self.avg + (1.0 - self.smoothing) * y;
        self.weight = self.smoothing * self.weight + (1.0 - self.smoothing);
        self.avg / self.weight
    }
}

/// `points` (smoothed first with `smoothing`, if given) averaged over runs of equal length
/// down to at most `max` points: `decimate(&ewma(points, s), max)` without the copies.
pub fn curve(
    points: impl ExactSizeIterator<Item = (f32, f32)>,
    smoothing: Option<f32>,
    max: usize,
) -> Vec<(f32, f32)> {
    let per = points.len().div_ceil(max.max(1)).max(1);
    let mut avg = smoothing.map(Ewma::new);
    let mut out = Vec::with_capacity(points.len().div_ceil(per));
    let (mut sx, mut sy, mut n) = (0.0f32, 0.0f32, 0usize);
    for (x, y) in points {
        let y = avg.as_mut().map_or(y, |a| a.add(y));
        sx += x;
        sy += y;
        n += 1;
        if n == per {
            out.push((sx / n as f32, sy / n as f32));
            (sx, sy, n) = (0.0, 0.0, 0);
        }
    }
    if n > 0 {
        out.push((sx / n as f32, sy / n as f32));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::lab::decimate;

    #[test]
    fn one_pass_equals_smoothing_then_averaging() {
        let points: Vec<(f32, f32)> = (0..1234)
            .map(|i| (i as f32 / 100.0, ((i * 7919) % 101) as f32))
            .collect();
        for max in [1, 10, 600, 5000] {
            assert_eq!(
                curve(points.iter().copied(), None, max),
                decimate(&points, max)
            );
            assert_eq!(
                curve(points.iter().copied(), Some(0.95), max),
                decimate(&ewma(&points, 0.95), max)
            );
        }
        assert!(curve(std::iter::empty(), Some(0.9), 600).is_empty());
    }

    #[test]
    fn the_average_starts_at_the_first_value() {
        for (_, y) in ewma(&[(0.0, 3.0), (1.0, 3.0), (2.0, 3.0)], 0.9) {
            assert!((y - 3.0).abs() < 1e-5, "{y}");
        }
    }
}
