//! Axis ticks a person would choose: multiples of 1, 2 or 5 × 10^k, labelled with the digits
//! their spacing needs (0.0005 apart: four decimals), in `e` notation where plain decimals
//! would be too long (3e-5, 2e6), and on log axes at powers of ten (or 1-2-5 within one
//! decade).

/// Ticks for one axis and how to write them.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// The axis range, widened to whole steps (linear) so the ends carry ticks.
    pub lo: f64,
    pub hi: f64,
    /// Tick positions, in the axis's own units (log10 of the value on a log axis).
    pub at: Vec<f64>,
    /// The values they stand for, in the order of `at`.
    labels: Vec<String>,
}

impl Ticks {
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The label of the tick at `position` (the nearest one), for plotting libraries that ask
    /// by position.
    pub fn label(&self, position: f64) -> String {
        self.at
            .iter()
            .zip(&self.labels)
            .min_by(|a, b| (a.0 - position).abs().total_cmp(&(b.0 - position).abs()))
            .map_or_else(String::new, |(_, l)| l.clone())
    }
}

/// The 1-2-5 step for about `count` intervals over `span`, as (mantissa, exponent).
fn step(span: f64, count: usize) -> (f64, i32) {
    let raw = span / count.max(1) as f64;
    let k = raw.log10().floor() as i32;
    let m = raw / 10f64.powi(k);
    match [1.0, 2.0, 5.0].into_iter().find(|&n| m <= n * (1.0 + 1e-9)) {
        Some(n) => (n, k),
        None => (1.0, k + 1),
    }
}

/// Linear ticks from `lo` to `hi`, at most `max_ticks` of them (at least 2 are shown).
pub fn linear(lo: f64, hi: f64, max_ticks: usize) -> Ticks {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let pad = (lo.abs() * 0.1).max(1e-6);
        (lo, hi) = (lo - pad, hi + pad);
    }
    let mut intervals = max_ticks.saturating_sub(1).max(1);
    loop {
        let (m, k) = step(hi - lo, intervals);
        let s = m * 10f64.powi(k);
        // A hair of tolerance, so 0.0025 / 0.0005 = 5.000000000000001 is 5 steps, and an
        // end that f32 rounding put a hair past a tick (1.0000001) does not add a step.
        let first = (lo / s + 1e-5).floor();
        let last = (hi / s - 1e-5).ceil();
        let n = (last - first) as usize + 1;
        if n <= max_ticks.max(2) || intervals == 1 {
            let at: Vec<f64> = (0..n).map(|i| clean((first + i as f64) * s, s)).collect();
            let labels = at.iter().map(|&v| write(v, k, &at)).collect();
            return Ticks {
                lo: first * s,
                hi: last * s,
                at,
                labels,
            };
        }
        intervals -= 1;
    }
}

/// Ticks for a curve's x axis (steps or epochs) from its first point `x0` to its last `x1`:
/// at least one whole unit wide, from the unit `x0` lies in, so a run's first epoch (points
/// from 1/N to 1) spans 0 to 1, not 0 to 1.2.
pub fn x_axis(x0: f64, x1: f64) -> Ticks {
    linear(x0, x1.max(x0.floor() + 1.0), 7)
}

/// Ticks for an axis that plots log10 of values from `lo` to `hi` (both > 0): powers of ten,
/// thinned to at most `max_ticks`; within one decade, 1, 2 and 5 times powers of ten.
pub fn log10(lo: f64, hi: f64, max_ticks: usize) -> Ticks {
    let lo = if lo > 0.0 && lo.is_finite() { lo } else { 1e-6 };
    let hi = if hi > lo && hi.is_finite() {
        hi
    } else {
        lo * 10.0
    };
    let (a, b) = (lo.log10(), hi.log10());
    let mut values: Vec<f64> = Vec::new();
    for k in a.floor() as i32..=b.ceil() as i32 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(k);
            if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                values.push(v);
            }
        }
    }
    let decades: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| (v.log10() - v.log10().round()).abs() < 1e-9)
        .collect();
    if decades.len() >= 2 {
        let every = decades.len().div_ceil(max_ticks.max(2));
        values = decades.into_iter().step_by(every).collect();
    }
    values.truncate(max_ticks.max(2));
    let labels = values.iter().map(|&v| short(v)).collect();
    Ticks {
        lo: a,
        hi: b,
        at: values
            .iter()
            .map(|v| {
                let l = v.log10();
                if (l - l.round()).abs() < 1e-9 {
                    l.round()
                } else {
                    l
                }
            })
            .collect(),
        labels,
    }
}

/// Rounds away the float noise of `i × step` (0.30000000000000004).
fn clean(v: f64, step: f64) -> f64 {
    if v.abs() < step * 1e-9 {
        0.0
    } else {
        let digits = 10f64.powi(12 - v.abs().log10().ceil() as i32);
        (v * digits).round() / digits
    }
}

/// `v`, one of `all` ticks `10^k × (1, 2 or 5)` apart: as many decimals as the step needs, or
/// `e` notation when that would need more than four decimals or more than six digits.
fn write(v: f64, k: i32, all: &[f64]) -> String {
    let largest = all.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    if v == 0.0 {
        return "0".into();
    }
    if k >= -4 && largest < 1e6 {
        return format!("{v:.*}", (-k).max(0) as usize);
    }
    let e = largest.log10().floor() as i32;
    let mantissa = v / 10f64.powi(e);
    let decimals = (e - k).max(0) as usize;
    format!("{mantissa:.decimals$}e{e}")
}

/// A value with no more digits than it has (0.01, 2, 5e-5).
fn short(v: f64) -> String {
    if (1e-4..1e6).contains(&v) {
        let k = v.log10().floor() as i32;
        format!("{v:.*}", (-k).max(0) as usize)
    } else {
        let e = v.log10().floor() as i32;
        format!("{}e{e}", (v / 10f64.powi(e)).round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &Ticks) -> Vec<&str> {
        t.labels().iter().map(String::as_str).collect()
    }

    #[test]
    fn learning_rate_ticks_are_distinct() {
        // The axis that read "0.002 0.002 0.001 0.001 0.000".
        let t = linear(0.0, 0.0025, 6);
        assert_eq!(
            labels(&t),
            ["0", "0.0005", "0.0010", "0.0015", "0.0020", "0.0025"]
        );
    }

    #[test]
    fn loss_ticks_carry_the_digits_their_step_needs() {
        let t = linear(0.13, 2.31, 6);
        assert_eq!(labels(&t), ["0", "0.5", "1.0", "1.5", "2.0", "2.5"]);
        assert_eq!((t.lo, t.hi), (0.0, 2.5));
        // 0.02 apart would need six ticks: 0.05 apart, two decimals.
        let t = linear(0.91, 0.987, 5);
        assert_eq!(labels(&t), ["0.90", "0.95", "1.00"]);
    }

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        for (lo, hi) in [
            (0.0, 1.0),
            (-3.2, 7.9),
            (1e-7, 9e-7),
            (100.0, 12345.0),
            (0.5, 0.5001),
        ] {
            let t = linear(lo, hi, 6);
            assert!(t.at.len() >= 2 && t.at.len() <= 6, "{lo}..{hi}: {:?}", t.at);
            assert!(
                t.lo <= lo && t.hi >= hi,
                "{lo}..{hi} inside {}..{}",
                t.lo,
                t.hi
            );
            let s = t.at[1] - t.at[0];
            let m = s / 10f64.powf(s.log10().floor());
            assert!(
                [1.0, 2.0, 5.0].iter().any(|n| (m - n).abs() < 1e-6),
                "step {s}"
            );
            let mut seen = t.labels().to_vec();
            seen.dedup();
            assert_eq!(seen.len(), t.at.len(), "distinct labels: {:?}", t.labels());
        }
    }

    #[test]
    fn tiny_and_huge_values_use_e_notation() {
        assert_eq!(
            labels(&linear(1e-5, 4e-5, 4)),
            ["1e-5", "2e-5", "3e-5", "4e-5"]
        );
        assert_eq!(labels(&linear(0.0, 3e6, 4)), ["0", "1e6", "2e6", "3e6"]);
        assert_eq!(
            labels(&linear(1.0e-5, 1.5e-5, 6)),
            ["1.0e-5", "1.1e-5", "1.2e-5", "1.3e-5", "1.4e-5", "1.5e-5"]
        );
    }

    #[test]
    fn a_flat_or_broken_range_still_gets_ticks() {
        assert!(linear(0.7, 0.7, 5).at.len() >= 2);
        assert!(linear(f64::NAN, 1.0, 5).at.len() >= 2);
    }

    #[test]
    fn log_axes_tick_at_powers_of_ten() {
        let t = log10(0.004, 2.3, 6);
        assert_eq!(labels(&t), ["0.01", "0.1", "1"]);
        assert_eq!(t.at, [-2.0, -1.0, 0.0]);
        let t = log10(0.2, 0.9, 6);
        assert_eq!(labels(&t), ["0.2", "0.5"]);
        let t = log10(1e-9, 10.0, 4);
        assert!(t.at.len() <= 4);
        assert_eq!(t.labels()[0], "1e-9");
    }

    #[test]
    fn f32_rounding_adds_no_step() {
        let t = linear(0.0, 1.000_000_1, 7);
        assert_eq!(t.hi, 1.0);
    }

    #[test]
    fn one_epoch_of_points_spans_zero_to_one() {
        let t = x_axis(1.0 / 844.0, 1.0);
        assert_eq!((t.lo, t.hi), (0.0, 1.0));
        // A single point still gets a unit-wide axis; steps keep their own range.
        let t = x_axis(3.0, 3.0);
        assert_eq!((t.lo, t.hi), (3.0, 4.0));
        let t = x_axis(1.0, 2500.0);
        assert_eq!((t.lo, t.hi), (0.0, 2500.0));
    }

    #[test]
    fn a_label_is_found_by_position() {
        let t = linear(0.0, 1.0, 3);
        assert_eq!(t.label(0.5000001), "0.5");
    }
}
