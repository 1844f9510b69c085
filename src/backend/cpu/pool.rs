//! Max and average pooling over NHWC images; windows may overlap (stride < window).
//!
//! Channels are contiguous, so the SIMD versions process 4 channels of one window at once.
//!
//! **Ties in max pooling**: the first maximum in the window, scanning rows top to bottom and
//! each row left to right, wins, and backward sends the gradient to it alone. Backward
//! finds it again (the first input equal to the output) instead of storing indices.

use std::cell::RefCell;
use std::rc::Rc;

use super::simd::{F32x4, LANES};
use super::threads;
use crate::backend::geometry::Window2d;

fn check(x: &[f32], g: &Window2d, y: &[f32]) {
    assert_eq!(
        x.len(),
        g.batch * g.in_h * g.in_w * g.channels,
        "pool: input size"
    );
    assert_eq!(
        y.len(),
        g.batch * g.out_positions() * g.channels,
        "pool: output size"
    );
}

/// Offsets (in floats, from the image start) of the taps of window (oy, ox) inside the image.
fn taps(g: &Window2d, oy: usize, ox: usize, out: &mut Vec<usize>) {
    out.clear();
    for ky in 0..g.k_h {
        for kx in 0..g.k_w {
            if let Some((iy, ix)) = g.source(oy, ox, ky, kx) {
                out.push((iy * g.in_w + ix) * g.channels);
            }
        }
    }
}

/// The taps of every output position of an image, which are the same in every image:
/// found once per call rather than once per window.
struct TapTable {
    /// Position p's taps are `offsets[starts[p]..starts[p + 1]]`.
    starts: Vec<usize>,
    offsets: Vec<usize>,
}

thread_local! {
    /// The tap tables of the geometries this thread pooled over last (a model has one or two
    /// per pooling layer), so that a step builds none: a kernel runs in parts on every
    /// thread, and building a table per part allocated and scanned it 16 times a call.
    static TABLES: RefCell<Vec<(Window2d, Rc<TapTable>)>> = const { RefCell::new(Vec::new()) };
}

/// Tables kept per thread.
const KEPT_TABLES: usize = 8;

impl TapTable {
    /// The table of `g`'s geometry (any batch), built on this thread's first call for it.
    fn of(g: &Window2d) -> Rc<TapTable> {
        let key = Window2d { batch: 0, ..*g };
        TABLES.with(|tables| {
            let mut tables = tables.borrow_mut();
            if let Some((_, table)) = tables.iter().find(|(k, _)| *k == key) {
                return table.clone();
            }
            let table = Rc::new(TapTable::new(g));
            if tables.len() == KEPT_TABLES {
                tables.remove(0);
            }
            tables.push((key, table.clone()));
            table
        })
    }

    /// At most one image's output positions × the window's taps.
    fn new(g: &Window2d) -> TapTable {
        let positions = g.out_positions();
        let mut starts = Vec::with_capacity(positions + 1);
        let mut offsets = Vec::with_capacity(positions * g.k_h * g.k_w);
        let mut window = Vec::with_capacity(g.k_h * g.k_w);
        starts.push(0);
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                taps(g, oy, ox, &mut window);
                offsets.extend_from_slice(&window);
                starts.push(offsets.len());
            }
        }
        TapTable { starts, offsets }
    }

    /// The taps of output position `p` of an image.
    fn at(&self, p: usize) -> &[usize] {
        &self.offsets[self.starts[p]..self.starts[p + 1]]
    }
}

/// Calls `f(image, taps, out)` for every output position; `image` is that sample's input.
fn for_each_window(
    x: &[f32],
    g: &Window2d,
    y: &mut [f32],
    mut f: impl FnMut(&[f32], &[usize], &mut [f32]),
) {
    let (image_len, positions) = (g.in_h * g.in_w * g.channels, g.out_positions());
    let table = TapTable::of(g);
    for (p, out) in y.chunks_exact_mut(g.channels).enumerate() {
        let n = p / positions;
        f(
            &x[n * image_len..][..image_len],
            table.at(p % positions),
            out,
        );
    }
}

/// Max pooling, dispatching to SIMD when there are at least 4 channels.
pub fn max_pool2d_forward(x: &[f32], g: &Window2d, y: &mut [f32]) {
    forward_by_images(x, g, y, |x, g, y| {
        if g.channels >= LANES {
            max_pool2d_forward_simd(x, g, y)
        } else {
            max_pool2d_forward_scalar(x, g, y)
        }
    })
}

/// Runs a forward kernel on groups of images over the CPU threads.
fn forward_by_images(
    x: &[f32],
    g: &Window2d,
    y: &mut [f32],
    kernel: impl Fn(&[f32], &Window2d, &mut [f32]) + Sync,
) {
    check(x, g, y);
    let (image, out) = (g.in_h * g.in_w * g.channels, g.out_positions() * g.channels);
    threads::for_each_image_group(g.batch, y, out, out * g.k_h * g.k_w, |images, y| {
        let part = Window2d {
            batch: images.len(),
            ..*g
        };
        kernel(&x[images.start * image..images.end * image], &part, y)
    });
}

/// Runs a backward kernel `(x, y, dy, g, dx)` on groups of images over the CPU threads.
fn backward_by_images(
    (x, y, dy): (&[f32], &[f32], &[f32]),
    g: &Window2d,
    dx: &mut [f32],
    kernel: impl Fn((&[f32], &[f32], &[f32]), &Window2d, &mut [f32]) + Sync,
) {
    let (image, out) = (g.in_h * g.in_w * g.channels, g.out_positions() * g.channels);
    assert_eq!(dy.len(), g.batch * out, "pool: output size");
    threads::for_each_image_group(g.batch, dx, image, out * g.k_h * g.k_w, |images, dx| {
        let part = Window2d {
            batch: images.len(),
            ..*g
        };
        let (a, b) = (images.start, images.end);
        // Average pooling passes no x and y.
        let x = if x.is_empty() {
            x
        } else {
            &x[a * image..b * image]
        };
        let y = if y.is_empty() {
            y
        } else {
            &y[a * out..b * out]
        };
        kernel((x, y, &dy[a * out..b * out]), &part, dx)
    });
}

/// The scalar twin: the definition.
pub fn max_pool2d_forward_scalar(x: &[f32], g: &Window2d, y: &mut [f32]) {
    check(x, g, y);
    for_each_window(x, g, y, |image, taps, out| {
        for (c, o) in out.iter_mut().enumerate() {
            *o = max_scalar(image, taps, c);
        }
    });
}

fn max_scalar(image: &[f32], taps: &[usize], c: usize) -> f32 {
    let mut best = f32::NEG_INFINITY;
    for &t in taps {
        let v = image[t + c];
        // Strictly greater: on ties the first tap stays.
        if v > best {
            best = v;
        }
    }
    best
}

/// Max pooling, 4 channels at a time (any channel count; the rest go scalar).
pub fn max_pool2d_forward_simd(x: &[f32], g: &Window2d, y: &mut [f32]) {
    check(x, g, y);
    let vectors = g.channels / LANES * LANES;
    for_each_window(x, g, y, |image, taps, out| {
        for c in (0..vectors).step_by(LANES) {
            let mut best = F32x4::splat(f32::NEG_INFINITY);
            for &t in taps {
                best = best.max(F32x4::load(&image[t + c..]));
            }
            best.store(&mut out[c..]);
        }
        for (c, o) in out.iter_mut().enumerate().skip(vectors) {
            *o = max_scalar(image, taps, c);
        }
    });
}

/// Max-pooling backward: each output's gradient goes to the first tap of its window whose
/// input equals the window's maximum `y` (the tie rule above). Dispatches to SIMD for ≥ 4
/// channels.
pub fn max_pool2d_backward(x: &[f32], y: &[f32], dy: &[f32], g: &Window2d, dx: &mut [f32]) {
    check(x, g, dy);
    backward_by_images((x, y, dy), g, dx, |(x, y, dy), g, dx| {
        if g.channels >= LANES {
            max_pool2d_backward_simd(x, y, dy, g, dx)
        } else {
            max_pool2d_backward_scalar(x, y, dy, g, dx)
        }
    })
}

/// Calls `f(input image, its gradient, taps, y row, dy row)` for every output position.
fn for_each_window_backward(
    x: &[f32],
    y: &[f32],
    dy: &[f32],
    g: &Window2d,
    dx: &mut [f32],
    mut f: impl FnMut(&[f32], &mut [f32], &[usize], &[f32], &[f32]),
) {
    check(x, g, dy);
    assert_eq!(y.len(), dy.len(), "pool: output size");
    dx.fill(0.0);
    let (image_len, positions) = (g.in_h * g.in_w * g.channels, g.out_positions());
    let table = TapTable::of(g);
    let rows = y.chunks_exact(g.channels).zip(dy.chunks_exact(g.channels));
    for (p, (y_row, dy_row)) in rows.enumerate() {
        let n = p / positions;
        let image = &x[n * image_len..][..image_len];
        let grads = &mut dx[n * image_len..][..image_len];
        f(image, grads, table.at(p % positions), y_row, dy_row);
    }
}

fn route_scalar(image: &[f32], grads: &mut [f32], taps: &[usize], c: usize, y: f32, dy: f32) {
    if let Some(&t) = taps.iter().find(|&&t| image[t + c] == y) {
        grads[t + c] += dy;
    }
}

/// The scalar twin.
pub fn max_pool2d_backward_scalar(x: &[f32], y: &[f32], dy: &[f32], g: &Window2d, dx: &mut [f32]) {
    for_each_window_backward(x, y, dy, g, dx, |image, grads, taps, y_row, dy_row| {
        for (c, (&yv, &gv)) in y_row.iter().zip(dy_row).enumerate() {
            route_scalar(image, grads, taps, c, yv, gv);
        }
    });
}

/// Max-pooling backward, 4 channels at a time: a lane mask remembers which channels have
/// already found their maximum.
pub fn max_pool2d_backward_simd(x: &[f32], y: &[f32], dy: &[f32], g: &Window2d, dx: &mut [f32]) {
    let vectors = g.channels / LANES * LANES;
    let zero = F32x4::splat(0.0);
    for_each_window_backward(x, y, dy, g, dx, |image, grads, taps, y_row, dy_row| {
        for c in (0..vectors).step_by(LANES) {
            let (yv, gv) = (F32x4::load(&y_row[c..]), F32x4::load(&dy_row[c..]));
            let mut found = zero;
            for &t in taps {
                let hit = F32x4::load(&image[t + c..]).eq_mask(yv).and_not(found);
                let slot = &mut grads[t + c..];
                (F32x4::load(slot) + zero.select(gv, hit)).store(slot);
                found = found.or(hit);
            }
        }
        for c in vectors..g.channels {
            route_scalar(image, grads, taps, c, y_row[c], dy_row[c]);
        }
    });
}

/// Average pooling (over the taps inside the image), dispatching to SIMD for ≥ 4 channels.
pub fn avg_pool2d_forward(x: &[f32], g: &Window2d, y: &mut [f32]) {
    forward_by_images(x, g, y, |x, g, y| {
        if g.channels >= LANES {
            avg_pool2d_forward_simd(x, g, y)
        } else {
            avg_pool2d_forward_scalar(x, g, y)
        }
    })
}

/// The scalar twin: the definition.
pub fn avg_pool2d_forward_scalar(x: &[f32], g: &Window2d, y: &mut [f32]) {
    check(x, g, y);
    for_each_window(x, g, y, |image, taps, out| {
        let inv = 1.0 / taps.len() as f32;
        for (c, o) in out.iter_mut().enumerate() {
            *o = taps.iter().map(|&t| image[t + c]).sum::<f32>() * inv;
        }
    });
}

/// Average pooling, 4 channels at a time.
pub fn avg_pool2d_forward_simd(x: &[f32], g: &Window2d, y: &mut [f32]) {
    check(x, g, y);
    let vectors = g.channels / LANES * LANES;
    for_each_window(x, g, y, |image, taps, out| {
        let inv = 1.0 / taps.len() as f32;
        for c in (0..vectors).step_by(LANES) {
            let mut sum = F32x4::splat(0.0);
            for &t in taps {
                sum = sum + F32x4::load(&image[t + c..]);
            }
            (sum * F32x4::splat(inv)).store(&mut out[c..]);
        }
        for (c, o) in out.iter_mut().enumerate().skip(vectors) {
            *o = taps.iter().map(|&t| image[t + c]).sum::<f32>() * inv;
        }
    });
}

/// Average-pooling backward: each output's gradient is shared equally by its taps.
pub fn avg_pool2d_backward(dy: &[f32], g: &Window2d, dx: &mut [f32]) {
    backward_by_images((&[], &[], dy), g, dx, |(_, _, dy), g, dx| {
        avg_pool2d_backward_serial(dy, g, dx)
    })
}

fn avg_pool2d_backward_serial(dy: &[f32], g: &Window2d, dx: &mut [f32]) {
    assert_eq!(
        dx.len(),
        g.batch * g.in_h * g.in_w * g.channels,
        "pool: input size"
    );
    dx.fill(0.0);
    let (image_len, positions) = (g.in_h * g.in_w * g.channels, g.out_positions());
    let table = TapTable::of(g);
    for (p, grads) in dy.chunks_exact(g.channels).enumerate() {
        let n = p / positions;
        let offsets = table.at(p % positions);
        let share = 1.0 / offsets.len() as f32;
        let image = &mut dx[n * image_len..][..image_len];
        for &t in offsets {
            for (d, &grad) in image[t..t + g.channels].iter_mut().zip(grads) {
                *d += grad * share;
            }
        }
    }
}
