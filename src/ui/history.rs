//! A run's record in memory fixed when it starts: the curves, activation histograms and
//! filters the page keeps for a whole run, however long.
//!
//! A [`Record`] holds at most `cap` items of `width` values each, in one buffer reserved at
//! the first push. When it is full, every other item is dropped and from then on only one
//! push in two is kept (then one in four, …), so the record stays evenly spaced over the
//! whole run (item `i` is push `i × stride`) and never allocates again. The latest push is
//! kept apart, so "now" figures are never stale.

use crate::train::metrics::{ActivationStats, Filters, BINS};

/// Steps the curves keep (≈ 330 KB, reserved when a run starts); a longer run keeps every
/// second step, then every fourth, … over its whole length.
pub const STEP_RECORD: usize = 4096;
/// Snapshots (one a second) the histogram and filter histories keep, thinned alike.
pub const SNAPSHOT_RECORD: usize = 240;

#[derive(Debug, Clone, PartialEq)]
pub struct Record<T> {
    data: Vec<T>,
    latest: Vec<T>,
    width: usize,
    cap: usize,
    stride: usize,
    pushed: usize,
}

impl<T: Clone> Record<T> {
    /// A record of at most `cap` items (rounded up to an even number, at least 2).
    pub fn new(cap: usize) -> Self {
        Record {
            data: Vec::new(),
            latest: Vec::new(),
            width: 0,
            cap: cap.max(2).next_multiple_of(2),
            stride: 1,
            pushed: 0,
        }
    }

    /// Appends one item. The first push fixes the width and reserves the whole buffer; an
    /// item of another width starts the record over (a new model).
    pub fn push(&mut self, item: &[T]) {
        if item.len() != self.width {
            self.width = item.len();
            self.clear();
            self.data = Vec::with_capacity(self.cap * self.width.max(1));
            self.latest = Vec::with_capacity(self.width);
        }
        if self.pushed.is_multiple_of(self.stride) {
            if self.len() == self.cap {
                self.halve();
            }
            if self.pushed.is_multiple_of(self.stride) {
                self.data.extend_from_slice(item);
            }
        }
        self.latest.clear();
        self.latest.extend_from_slice(item);
        self.pushed += 1;
    }

    /// Keeps items 0, 2, 4, … and doubles the stride, in place.
    fn halve(&mut self) {
        let w = self.width;
        let kept = self.len().div_ceil(2);
        for k in 1..kept {
            for j in 0..w {
                self.data.swap(k * w + j, 2 * k * w + j);
            }
        }
        self.data.truncate(kept * w);
        self.stride *= 2;
    }

    /// Forgets everything, keeping the buffer.
    pub fn clear(&mut self) {
        self.data.clear();
        self.latest.clear();
        self.stride = 1;
        self.pushed = 0;
    }

    /// Forgets every push from the `n`th on (a part of the run that is redone).
    pub fn truncate_pushes(&mut self, n: usize) {
        if n >= self.pushed {
            return;
        }
        let keep = n.div_ceil(self.stride);
        self.data.truncate(keep * self.width);
        self.pushed = n;
        self.latest.clear();
        if keep > 0 && n == (keep - 1) * self.stride + 1 {
            self.latest
                .extend_from_slice(&self.data[(keep - 1) * self.width..]);
        }
    }

    /// Items kept.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.width).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Item `i`, which is push `i × stride`.
    pub fn get(&self, i: usize) -> Option<&[T]> {
        (i < self.len()).then(|| &self.data[i * self.width..(i + 1) * self.width])
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[T]> + '_ {
        self.data.chunks_exact(self.width.max(1))
    }

    /// The items one after the other (for width 1, the items themselves).
    pub fn as_flat(&self) -> &[T] {
        &self.data
    }

    /// The last push, kept or not.
    pub fn latest(&self) -> Option<&[T]> {
        (!self.latest.is_empty()).then_some(&self.latest[..])
    }

    /// Pushes per kept item.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Pushes so far.
    pub fn pushed(&self) -> usize {
        self.pushed
    }

    /// The most items it holds.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Bytes reserved; constant once the first item is in.
    pub fn reserved_bytes(&self) -> usize {
        (self.data.capacity() + self.latest.capacity()) * std::mem::size_of::<T>()
    }
}

/// One layer's activation histogram at one moment, without heap parts, so a [`Record`] of
/// them is one buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramFrame {
    pub min: f32,
    pub max: f32,
    pub counts: [u32; BINS],
    /// The share of dead ReLUs, or of saturated sigmoid/tanh outputs.
    pub fraction: Option<f32>,
}

impl HistogramFrame {
    pub fn of(stats: &ActivationStats) -> Self {
        let mut counts = [0; BINS];
        for (c, v) in counts.iter_mut().zip(&stats.histogram.counts) {
            *c = *v;
        }
        HistogramFrame {
            min: stats.histogram.min,
            max: stats.histogram.max,
            counts,
            fraction: stats.dead_fraction.or(stats.saturated_fraction),
        }
    }
}

/// The first layer's filters at each snapshot: their values (count × height × width per
/// item), the batch each was taken at, and their shape.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterHistory {
    pub values: Record<f32>,
    pub steps: Record<usize>,
    pub shape: Option<Filters>,
}

impl Default for FilterHistory {
    fn default() -> Self {
        FilterHistory {
            values: Record::new(SNAPSHOT_RECORD),
            steps: Record::new(SNAPSHOT_RECORD),
            shape: None,
        }
    }
}

impl FilterHistory {
    pub fn push(&mut self, step: usize, filters: &Filters) {
        self.values.push(&filters.values);
        self.steps.push(&[step]);
        if self.shape.as_ref().is_none_or(|s| {
            (s.layer, s.height, s.width, s.count)
                != (filters.layer, filters.height, filters.width, filters.count)
        }) {
            self.shape = Some(Filters {
                values: Vec::new(),
                ..filters.clone()
            });
        }
    }

    pub fn clear(&mut self) {
        self.values.clear();
        self.steps.clear();
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Snapshot `i`: the batch it was taken at, and the filters then.
    pub fn get(&self, i: usize) -> Option<(usize, Filters)> {
        let shape = self.shape.as_ref()?;
        Some((
            self.steps.get(i)?[0],
            Filters {
                values: self.values.get(i)?.to_vec(),
                ..shape.clone()
            },
        ))
    }

    pub fn last(&self) -> Option<(usize, Filters)> {
        self.get(self.len().checked_sub(1)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pushes(r: &mut Record<usize>, range: std::ops::Range<usize>) {
        for i in range {
            r.push(&[i]);
        }
    }

    #[test]
    fn keeps_everything_until_full() {
        let mut r = Record::new(8);
        pushes(&mut r, 0..8);
        assert_eq!(r.as_flat(), &[0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(r.stride(), 1);
        assert_eq!(r.latest(), Some(&[7][..]));
    }

    #[test]
    fn stays_evenly_spaced_and_bounded_over_a_long_run() {
        let mut r = Record::new(8);
        let reserved = {
            r.push(&[0]);
            r.reserved_bytes()
        };
        pushes(&mut r, 1..1000);
        assert!(r.len() <= 8 && r.len() >= 4, "{}", r.len());
        let s = r.stride();
        for (i, item) in r.iter().enumerate() {
            assert_eq!(item, &[i * s], "item {i} is push {}", i * s);
        }
        assert_eq!(r.latest(), Some(&[999][..]));
        assert_eq!(r.pushed(), 1000);
        assert_eq!(
            r.reserved_bytes(),
            reserved,
            "no allocation after the first push"
        );
    }

    #[test]
    fn wide_items_halve_in_place() {
        let mut r = Record::new(4);
        for i in 0..9u32 {
            r.push(&[i, 10 * i, 100 * i]);
        }
        // Full at 4, halved to pushes 0, 2, then 4, 6; halved again to 0, 4, then 8.
        let items: Vec<_> = r.iter().map(|x| x.to_vec()).collect();
        assert_eq!(
            items,
            vec![vec![0, 0, 0], vec![4, 40, 400], vec![8, 80, 800]]
        );
        assert_eq!(r.stride(), 4);
    }

    #[test]
    fn a_new_width_starts_over() {
        let mut r = Record::new(4);
        pushes(&mut r, 0..10);
        r.push(&[1, 2]);
        assert_eq!(r.len(), 1);
        assert_eq!(r.stride(), 1);
        assert_eq!(r.pushed(), 1);
    }

    #[test]
    fn truncating_pushes_forgets_the_redone_part() {
        let mut r = Record::new(8);
        pushes(&mut r, 0..12); // stride 2: items are pushes 0, 2, …, 10
        r.truncate_pushes(5);
        assert_eq!(r.as_flat(), &[0, 2, 4]);
        assert_eq!(r.pushed(), 5);
        assert_eq!(r.latest(), Some(&[4][..]));
        pushes(&mut r, 5..8);
        assert_eq!(r.as_flat(), &[0, 2, 4, 6]);
        r.truncate_pushes(4);
        assert_eq!(r.latest(), None, "push 3 was not kept");
        r.truncate_pushes(0);
        assert!(r.is_empty());
        r.truncate_pushes(10);
        assert_eq!(r.pushed(), 0);
    }

    #[test]
    fn filter_history_gives_back_each_snapshot() {
        let mut h = FilterHistory::default();
        let f = |v: f32| Filters {
            layer: 0,
            height: 1,
            width: 2,
            count: 2,
            values: vec![v; 4],
        };
        h.push(10, &f(1.0));
        h.push(20, &f(2.0));
        assert_eq!(h.len(), 2);
        assert_eq!(h.get(0), Some((10, f(1.0))));
        assert_eq!(h.last(), Some((20, f(2.0))));
        h.clear();
        assert_eq!(h.last(), None);
    }

    #[test]
    fn frames_copy_the_histogram_and_the_fraction() {
        let stats = ActivationStats {
            layer: 1,
            name: "ReLU".into(),
            histogram: crate::train::metrics::Histogram::of(&[0.0, 0.0, 1.0, 2.0]),
            dead_fraction: Some(0.25),
            saturated_fraction: None,
        };
        let f = HistogramFrame::of(&stats);
        assert_eq!((f.min, f.max, f.fraction), (0.0, 2.0, Some(0.25)));
        assert_eq!(f.counts.iter().sum::<u32>(), 4);
    }
}
