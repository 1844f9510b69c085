//! 2-D convolution as matrix products, NHWC.
//!
//! The im2col matrix has one row per output position holding its receptive field
//! (`[k_h, k_w, c_in]`, zeros for padding), so the convolution is `cols · W` with the weights
//! `[F_h, F_w, C_in, C_out]` read as a `(F_h·F_w·C_in) × C_out` matrix, and backward is
//! `dW += colsᵀ · dY` and `dcols = dY · Wᵀ`, whose rows `col2im` adds back onto the input.
//!
//! Forward and the weight gradient never build `cols`: element (position, tap) of it is the
//! padded input at `position offset + tap offset`, so GEMM reads it in place through two
//! offset tables ("implicit GEMM"). `im2col` itself is kept as the reference the tests
//! compare with.

use super::gemm::{gemm, gemm_bias, gemm_simd, AView, MatRef, Offsets};
use super::simd::{F32x4, LANES};
use super::threads;
use crate::backend::geometry::Window2d;

/// Copies a short run of floats with vector moves (a `copy_from_slice` of a few floats
/// becomes a `memcpy` call, which costs more than the copy).
#[inline(always)]
fn copy_run(dst: &mut [f32], src: &[f32]) {
    let mut d = dst.chunks_exact_mut(LANES);
    let mut s = src.chunks_exact(LANES);
    for (d, s) in (&mut d).zip(&mut s) {
        F32x4::load(s).store(d);
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d = *s;
    }
}

/// Adds a short run of floats into another with vector adds.
#[inline(always)]
fn add_run(dst: &mut [f32], src: &[f32]) {
    let mut d = dst.chunks_exact_mut(LANES);
    let mut s = src.chunks_exact(LANES);
    for (d, s) in (&mut d).zip(&mut s) {
        (F32x4::load(d) + F32x4::load(s)).store(d);
    }
    for (d, s) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *d += *s;
    }
}

/// The input row a window row reads, or None in the padding.
#[inline(always)]
fn source_row(g: &Window2d, oy: usize, ky: usize) -> Option<usize> {
    (oy * g.stride_h + ky * g.dil_h)
        .checked_sub(g.pad_top)
        .filter(|&iy| iy < g.in_h)
}

/// The input column a tap reads, or None in the padding.
#[inline(always)]
fn source_col(g: &Window2d, ox: usize, kx: usize) -> Option<usize> {
    (ox * g.stride_w + kx * g.dil_w)
        .checked_sub(g.pad_left)
        .filter(|&ix| ix < g.in_w)
}

/// Zeroes a run; a no-op for an empty run (where `fill` would still call `memset`).
#[inline(always)]
fn zero_run(run: &mut [f32]) {
    if !run.is_empty() {
        run.fill(0.0);
    }
}

/// The output columns whose window lies wholly inside the image (no padding taps), for an
/// undilated window.
fn interior_columns(g: &Window2d) -> std::ops::Range<usize> {
    let first = g.pad_left.div_ceil(g.stride_w);
    let last = (g.in_w + g.pad_left)
        .checked_sub(g.k_w)
        .map_or(0, |span| span / g.stride_w + 1)
        .min(g.out_w);
    first.min(last)..last
}

/// Calls `f(first row, n, oy, ky, input row)` for every output row and window row, where
/// `first row` is the index of the output row's first position in the im2col matrix.
#[inline(always)]
fn for_each_window_row(g: &Window2d, mut f: impl FnMut(usize, usize, usize, Option<usize>)) {
    for n in 0..g.batch {
        for oy in 0..g.out_h {
            let first = (n * g.out_h + oy) * g.out_w;
            for ky in 0..g.k_h {
                f(first, n, ky, source_row(g, oy, ky));
            }
        }
    }
}

/// Fills `cols` (`batch·out_h·out_w × patch_len`) with the receptive fields of `x`.
///
/// Loops run by output row and window row, so the input row is found once and each
/// position copies one run of `k_w·C` floats (the whole window row when it is inside).
pub fn im2col(x: &[f32], g: &Window2d, cols: &mut [f32]) {
    let c = g.channels;
    let (row_len, seg_len, line_len) = (g.patch_len(), g.k_w * c, g.in_w * c);
    let image_len = g.in_h * line_len;
    assert_eq!(x.len(), g.batch * image_len, "im2col: input size");
    assert_eq!(
        cols.len(),
        g.batch * g.out_positions() * row_len,
        "im2col: cols size"
    );
    let inside = interior_columns(g);
    for_each_window_row(g, |first, n, ky, iy| {
        let rows = &mut cols[first * row_len..][..g.out_w * row_len];
        let segs = rows
            .chunks_exact_mut(row_len)
            .map(|r| &mut r[ky * seg_len..][..seg_len]);
        let Some(iy) = iy else {
            segs.for_each(zero_run);
            return;
        };
        let line = &x[n * image_len + iy * line_len..][..line_len];
        for (ox, seg) in segs.enumerate() {
            if g.dil_w == 1 && inside.contains(&ox) {
                let start = (ox * g.stride_w - g.pad_left) * c;
                copy_run(seg, &line[start..start + seg_len]);
            } else {
                for (kx, tap) in seg.chunks_exact_mut(c).enumerate() {
                    match source_col(g, ox, kx) {
                        Some(ix) => copy_run(tap, &line[ix * c..][..c]),
                        None => zero_run(tap),
                    }
                }
            }
        }
    });
}

/// Sets `dx` (NHWC input shape) to the sum of each `cols` row scattered back to its sources,
/// in groups of images over the CPU threads.
pub fn col2im(cols: &[f32], g: &Window2d, dx: &mut [f32]) {
    let image = g.in_h * g.in_w * g.channels;
    let rows = g.out_positions() * g.patch_len();
    assert_eq!(cols.len(), g.batch * rows, "col2im: cols size");
    threads::for_each_image_group(g.batch, dx, image, rows, |images, dx| {
        let part = Window2d {
            batch: images.len(),
            ..*g
        };
        col2im_serial(&cols[images.start * rows..images.end * rows], &part, dx)
    });
}

fn col2im_serial(cols: &[f32], g: &Window2d, dx: &mut [f32]) {
    let c = g.channels;
    let (row_len, seg_len, line_len) = (g.patch_len(), g.k_w * c, g.in_w * c);
    let image_len = g.in_h * line_len;
    assert_eq!(dx.len(), g.batch * image_len, "col2im: input size");
    assert_eq!(
        cols.len(),
        g.batch * g.out_positions() * row_len,
        "col2im: cols size"
    );
    dx.fill(0.0);
    let inside = interior_columns(g);
    for_each_window_row(g, |first, n, ky, iy| {
        let Some(iy) = iy else {
            return;
        };
        let rows = &cols[first * row_len..][..g.out_w * row_len];
        let line = &mut dx[n * image_len + iy * line_len..][..line_len];
        for (ox, row) in rows.chunks_exact(row_len).enumerate() {
            let seg = &row[ky * seg_len..][..seg_len];
            if g.dil_w == 1 && inside.contains(&ox) {
                let start = (ox * g.stride_w - g.pad_left) * c;
                add_run(&mut line[start..start + seg_len], seg);
            } else {
                for (kx, tap) in seg.chunks_exact(c).enumerate() {
                    if let Some(ix) = source_col(g, ox, kx) {
                        add_run(&mut line[ix * c..][..c], tap);
                    }
                }
            }
        }
    });
}

/// Offsets into the padded input: one per output position (its window's top-left tap) and
/// one per tap `(ky, kx, c)` (relative to it). Their sums address the im2col matrix.
pub struct ConvOffsets {
    pub positions: Vec<usize>,
    pub taps: Vec<usize>,
}

impl ConvOffsets {
    pub fn new(g: &Window2d) -> ConvOffsets {
        let (hp, wp) = g.padded_size();
        let c = g.channels;
        let per_image = g.out_positions();
        let mut positions = vec![0; g.batch * per_image];
        threads::for_each_image_group(
            g.batch,
            &mut positions,
            per_image,
            per_image,
            |images, out| {
                let rows = images.flat_map(|n| (0..g.out_h).map(move |oy| (n, oy)));
                for ((n, oy), line) in rows.zip(out.chunks_exact_mut(g.out_w)) {
                    for (ox, p) in line.iter_mut().enumerate() {
                        *p = ((n * hp + oy * g.stride_h) * wp + ox * g.stride_w) * c;
                    }
                }
            },
        );
        let mut taps = Vec::with_capacity(g.patch_len());
        for ky in 0..g.k_h {
            for kx in 0..g.k_w {
                for ch in 0..c {
                    taps.push((ky * g.dil_h * wp + kx * g.dil_w) * c + ch);
                }
            }
        }
        ConvOffsets { positions, taps }
    }

    /// The im2col matrix `[positions × taps]` as a view of the padded input.
    pub fn cols<'a>(&'a self, padded: &'a [f32]) -> AView<'a> {
        AView {
            data: padded,
            rows: self.positions.len(),
            cols: self.taps.len(),
            row_off: Offsets::Table(&self.positions),
            col_off: Offsets::Table(&self.taps),
        }
    }

    /// Its transpose `[taps × positions]`.
    pub fn cols_t<'a>(&'a self, padded: &'a [f32]) -> AView<'a> {
        AView {
            data: padded,
            rows: self.taps.len(),
            cols: self.positions.len(),
            row_off: Offsets::Table(&self.taps),
            col_off: Offsets::Table(&self.positions),
        }
    }
}

/// The input with `g`'s padding added as zeros on every side, `[N, H+P_h, W+P_w, C]`.
pub fn pad_input(x: &[f32], g: &Window2d) -> Vec<f32> {
    let (hp, wp) = g.padded_size();
    let c = g.channels;
    let padded = hp * wp * c;
    let mut out = super::buffers::take(g.batch * padded);
    let line = g.in_w * c;
    threads::for_each_image_group(g.batch, &mut out, padded, padded, |images, out| {
        out.fill(0.0);
        for (i, n) in images.enumerate() {
            for iy in 0..g.in_h {
                let src = &x[(n * g.in_h + iy) * line..][..line];
                let dst = ((i * hp + iy + g.pad_top) * wp + g.pad_left) * c;
                out[dst..dst + line].copy_from_slice(src);
            }
        }
    });
    out
}

/// `y = conv(x, w) + bias`, reading the padded input `padded` (see [`pad_input`]; the input
/// itself when there is no padding).
pub fn conv2d_forward(
    padded: &[f32],
    w: &[f32],
    bias: &[f32],
    g: &Window2d,
    out_c: usize,
    y: &mut [f32],
) {
    let offsets = ConvOffsets::new(g);
    gemm_bias(
        offsets.cols(padded),
        MatRef::new(w, g.patch_len(), out_c),
        bias,
        y,
    );
}

/// `dw += colsᵀ · dy` and `db += column sums of dy`, reading the padded input in place.
pub fn conv2d_backward_weight(
    padded: &[f32],
    dy: &[f32],
    g: &Window2d,
    out_c: usize,
    dw: &mut [f32],
    db: &mut [f32],
) {
    let offsets = ConvOffsets::new(g);
    let rows = g.batch * g.out_positions();
    gemm_simd(
        offsets.cols_t(padded),
        MatRef::new(dy, rows, out_c),
        dw,
        true,
    );
    super::reduce::column_sums_acc(dy, out_c, db);
}

/// `dx = col2im(dy · wᵀ)`.
pub fn conv2d_backward_input(dy: &[f32], w: &[f32], g: &Window2d, out_c: usize, dx: &mut [f32]) {
    let rows = g.batch * g.out_positions();
    let mut dcols = super::buffers::take(rows * g.patch_len());
    gemm(
        MatRef::new(dy, rows, out_c),
        MatRef::new(w, g.patch_len(), out_c).t(),
        &mut dcols,
        false,
    );
    col2im(&dcols, g, dx);
    super::buffers::give(dcols);
}
