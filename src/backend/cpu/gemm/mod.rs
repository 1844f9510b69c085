//! Matrix multiplication `C (+)= A · B`, the kernel under Dense and Conv2D.
//!
//! Transposes cost nothing: a [`MatRef`] is a strided view, so `Aᵀ` is the same data with
//! its strides swapped. The SIMD path follows the GotoBLAS structure: B is copied ("packed")
//! into panels `NR` columns wide and `KC` deep that stay in cache, A is read in place, and a
//! register-blocked micro-kernel computes an `MR × NR` tile of C in `2·MR` vector registers.
//!
//! A is read through an [`AView`]: element (i, k) at `data[row(i) + col(k)]`, where each
//! offset is a stride or a table. Strides give ordinary and transposed matrices; tables
//! give a convolution's im2col matrix without building it (row = output position,
//! column = filter tap, both offsets into the padded input image).
//!
//! Every output element is a sum over k in increasing order, in blocks of `KC`; the result
//! is the same on every platform (see `simd.rs`), though not bit-equal to the scalar twin.

mod block;

use super::simd::LANES;
use super::threads;
use block::gemm_block;

/// Rows of C per micro-tile.
pub const MR: usize = 4;
/// Columns of C per micro-tile: two 4-lane vectors.
pub const NR: usize = 2 * LANES;
/// Depth of a packed block: `KC·NR` floats of B stay in L1.
const KC: usize = 256;
/// Width of a packed block of B.
const NC: usize = 512;
/// Below this many multiply-adds the scalar loop is as fast and skips the packing.
const SMALL: usize = 2048;

/// A read-only strided matrix view: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `rows × cols` matrix.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(
            data.len() >= rows * cols,
            "matrix of {rows}×{cols} needs {} floats, has {}",
            rows * cols,
            data.len()
        );
        MatRef {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }

    /// The transpose, as a view of the same data.
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// This view or its transpose.
    pub fn maybe_t(self, transpose: bool) -> Self {
        if transpose {
            self.t()
        } else {
            self
        }
    }

    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs + j * self.cs]
    }

    /// Rows `r0..r1`.
    fn row_range(self, r0: usize, r1: usize) -> Self {
        MatRef {
            data: &self.data[r0 * self.rs..],
            rows: r1 - r0,
            ..self
        }
    }

    /// Columns `j0..j1`.
    fn col_range(self, j0: usize, j1: usize) -> Self {
        MatRef {
            data: &self.data[j0 * self.cs..],
            cols: j1 - j0,
            ..self
        }
    }
}

fn check(a: &AView, b: &MatRef, c: &[f32]) {
    assert_eq!(
        a.cols, b.rows,
        "gemm: A is {}×{} but B is {}×{}",
        a.rows, a.cols, b.rows, b.cols
    );
    assert!(
        c.len() >= a.rows * b.cols,
        "gemm: C needs {}×{}",
        a.rows,
        b.cols
    );
}

/// Offsets of the rows (or columns) of an [`AView`].
#[derive(Clone, Copy, Debug)]
pub enum Offsets<'a> {
    /// Index i is at `i · stride`.
    Stride(usize),
    /// Index i is at `table[i]`.
    Table(&'a [usize]),
}

impl Offsets<'_> {
    #[inline(always)]
    fn at(&self, i: usize) -> usize {
        match *self {
            Offsets::Stride(s) => i * s,
            Offsets::Table(t) => t[i],
        }
    }

    /// The largest offset among the first `n` indices.
    fn max(&self, n: usize) -> usize {
        match *self {
            Offsets::Stride(s) => n.saturating_sub(1) * s,
            Offsets::Table(t) => t[..n].iter().copied().max().unwrap_or(0),
        }
    }
}

/// How GEMM reads A: element `(i, k)` is `data[row_off(i) + col_off(k)]`.
#[derive(Clone, Copy, Debug)]
pub struct AView<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_off: Offsets<'a>,
    pub col_off: Offsets<'a>,
}

impl<'a> From<MatRef<'a>> for AView<'a> {
    fn from(m: MatRef<'a>) -> Self {
        AView {
            data: m.data,
            rows: m.rows,
            cols: m.cols,
            row_off: Offsets::Stride(m.rs),
            col_off: Offsets::Stride(m.cs),
        }
    }
}

impl AView<'_> {
    /// Rows `r0..r1`.
    fn row_range(self, r0: usize, r1: usize) -> Self {
        let (data, row_off) = match self.row_off {
            Offsets::Stride(s) => (&self.data[r0 * s..], Offsets::Stride(s)),
            Offsets::Table(t) => (self.data, Offsets::Table(&t[r0..r1])),
        };
        AView {
            data,
            rows: r1 - r0,
            row_off,
            ..self
        }
    }

    /// Columns `k0..k1`.
    fn col_range(self, k0: usize, k1: usize) -> Self {
        let (data, col_off) = match self.col_off {
            Offsets::Stride(s) => (&self.data[k0 * s..], Offsets::Stride(s)),
            Offsets::Table(t) => (self.data, Offsets::Table(&t[k0..k1])),
        };
        AView {
            data,
            cols: k1 - k0,
            col_off,
            ..self
        }
    }

    /// Element (i, k), bounds-checked.
    pub fn at(&self, i: usize, k: usize) -> f32 {
        self.data[self.row_off.at(i) + self.col_off.at(k)]
    }
}

/// `C = A·B`, or `C += A·B` when `accumulate`; C is row-major `A.rows × B.cols`.
pub fn gemm(a: MatRef, b: MatRef, c: &mut [f32], accumulate: bool) {
    if a.rows * a.cols * b.cols < SMALL {
        gemm_scalar(a.into(), b, c, accumulate)
    } else {
        gemm_simd(a.into(), b, c, accumulate)
    }
}

/// `C = A·B + bias`, the bias added to every row: a dense layer's or a convolution's
/// forward. The bias is added as each part stores its last block of k, while the rows are
/// in its cache; the result is the same as the product followed by [`add_row_vector`].
///
/// [`add_row_vector`]: crate::backend::cpu::elementwise::add_row_vector
pub fn gemm_bias(a: AView, b: MatRef, bias: &[f32], c: &mut [f32]) {
    assert_eq!(bias.len(), b.cols, "gemm: bias length");
    if a.rows * a.cols * b.cols < SMALL {
        gemm_scalar(a, b, c, false);
        crate::backend::cpu::elementwise::add_row_vector(&mut c[..a.rows * b.cols], bias);
    } else {
        gemm_into(a, b, c, false, Some(bias))
    }
}

/// The scalar twin: the definition, one dot product per element.
pub fn gemm_scalar(a: AView, b: MatRef, c: &mut [f32], accumulate: bool) {
    check(&a, &b, c);
    let (m, k, n) = (a.rows, a.cols, b.cols);
    for i in 0..m {
        for j in 0..n {
            let mut sum = 0.0f32;
            for p in 0..k {
                sum += a.at(i, p) * b.at(p, j);
            }
            let out = &mut c[i * n + j];
            *out = if accumulate { *out + sum } else { sum };
        }
    }
}

/// The SIMD path, for any size (tests call it directly on small and odd shapes).
///
/// Over several threads ([`threads`]): rows of C are shared out in blocks of micro-tiles,
/// which changes nothing in how an element is computed. A long product with few rows (a
/// weight gradient: taps × positions) is also cut along k into parts fixed by its shape;
/// each part's product goes to its own buffer and they are added to C in part order, with
/// one thread or many.
pub fn gemm_simd(a: AView, b: MatRef, c: &mut [f32], accumulate: bool) {
    gemm_into(a, b, c, accumulate, None)
}

/// [`gemm_simd`], then `bias` added to every row of C when given.
fn gemm_into(a: AView, b: MatRef, c: &mut [f32], accumulate: bool, bias: Option<&[f32]>) {
    check(&a, &b, c);
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            c[..m * n].fill(0.0);
        }
        if let Some(bias) = bias {
            crate::backend::cpu::elementwise::add_row_vector(&mut c[..m * n], bias);
        }
        return;
    }
    let c = &mut c[..m * n];
    let k_parts = k_parts(m, k);
    if k_parts > 1 {
        return gemm_split_k(a, b, c, bias, accumulate, k_parts);
    }
    let (tiles, panels) = (m.div_ceil(MR), n.div_ceil(NR));
    let most = 2 * m * k * n / MIN_PART_WORK;
    if tiles >= 16 || panels <= 2 {
        // Rows: one part a thread, each packing B for itself (as one thread does): parts of
        // rows that shared one packed B, or more parts a thread, were slower per part, and
        // the MLP's 2-thread step gained 5 µs without them. A narrow product (a dense
        // layer's 10 outputs: 2 panels, the second mostly padding) goes by rows even when
        // short, since by columns its parts would be 8 and 2 columns that cost the same.
        let most_parts = if tiles >= 32 { tiles / 16 } else { tiles / 8 };
        let parts = threads::balanced_parts(most.min(most_parts), 1);
        threads::for_each_even_part(c, tiles, MR * n, parts, |part_tiles, c_part| {
            let r0 = part_tiles.start * MR;
            let a_part = a.row_range(r0, r0 + c_part.len() / n);
            let out = Out::new(c_part, n, bias);
            gemm_block(a_part, b, out, accumulate)
        });
    } else {
        // Few rows: columns, so that each part packs only its own columns of B (and reads
        // all of A: a few parts a thread).
        let parts = threads::balanced_parts(most.min(panels), 2);
        let cols = panels.div_ceil(parts) * NR;
        let out = Out::new(c, n, bias);
        threads::for_each_part(n.div_ceil(cols), |p| {
            let (j0, j1) = (p * cols, ((p + 1) * cols).min(n));
            gemm_block(a, b.col_range(j0, j1), out.columns_from(j0), accumulate)
        });
    }
}

/// Where a product lands: C, row-major with row stride `n`, from column `j0`, and the bias
/// (one per column of C) added with the last block of k. Parts that write other columns of
/// the same rows share it; each writes only its own elements.
#[derive(Clone, Copy)]
struct Out<'b> {
    c: threads::SharedMut<f32>,
    n: usize,
    j0: usize,
    bias: Option<&'b [f32]>,
}

impl<'b> Out<'b> {
    fn new(c: &mut [f32], n: usize, bias: Option<&'b [f32]>) -> Out<'b> {
        Out::shared(threads::SharedMut::new(c), n, bias)
    }

    fn shared(c: threads::SharedMut<f32>, n: usize, bias: Option<&'b [f32]>) -> Out<'b> {
        Out { c, n, j0: 0, bias }
    }

    fn columns_from(self, j0: usize) -> Out<'b> {
        Out { j0, ..self }
    }

    /// The bias of columns `j0 + j .. j0 + j + width`, if any.
    fn bias(&self, j: usize, width: usize) -> Option<&'b [f32]> {
        self.bias.map(|b| &b[self.j0 + j..][..width])
    }

    /// Row `i`'s elements at columns `j0 + j .. j0 + j + width`.
    ///
    /// # Safety
    /// No other live slice may cover them (parts own disjoint rows or columns).
    #[allow(clippy::mut_from_ref)]
    unsafe fn run(&self, i: usize, j: usize, width: usize) -> &mut [f32] {
        let at = i * self.n + self.j0 + j;
        self.c.range(at, at + width)
    }
}

/// Multiply-adds below which a part is not worth a thread.
const MIN_PART_WORK: usize = 1 << 16;

/// How many parts a product is cut into along k, by its shape alone: more than one only for
/// few rows and a long k.
///
/// - Under 16 micro-tiles of rows and k of 8 blocks or more (a convolution's weight
///   gradient, taps × positions): a part per 2 blocks of k, up to 16.
/// - Under 32 micro-tiles and k of 2 blocks or more (a dense layer's forward product,
///   batch × inputs): a power of two of parts of at least half a block, up to 16. Each
///   part then reads only its rows of B, the weights, which the optimizer updated in the
///   same row order on the same thread, and only its columns of A; cut by columns, every
///   thread would read all of A and a column strip of every row of the weights.
pub fn k_parts(m: usize, k: usize) -> usize {
    let tiles = m.div_ceil(MR);
    if tiles < 16 && k >= 8 * KC {
        (k / (2 * KC)).min(16)
    } else if tiles < 32 && k >= 2 * KC {
        let most = (k / (KC / 2)).min(16);
        1 << most.ilog2()
    } else {
        1
    }
}

/// `C (+)= Σ_p A[:, k_p]·B[k_p, :]`, then the bias: each part's product in its own buffer,
/// and every element of C summed over the parts in part order (with one thread or many).
fn gemm_split_k(
    a: AView,
    b: MatRef,
    c: &mut [f32],
    bias: Option<&[f32]>,
    accumulate: bool,
    parts: usize,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let per = k.div_ceil(parts);
    // Every part gets some of k (`k_parts` leaves each at least 128).
    assert!((parts - 1) * per < k, "gemm: an empty part of k");
    // Each part of k in column strips too (which changes no sum), so that a thread held up
    // in its last part leaves less for the others to wait on: about 2 parts a thread.
    let panels = n.div_ceil(NR);
    let strips = (2 * threads::threads() / parts).clamp(1, panels);
    let cols = panels.div_ceil(strips) * NR;
    let strips = n.div_ceil(cols);
    let mut partial = crate::backend::cpu::buffers::take(parts * m * n);
    let shared = threads::SharedMut::new(&mut partial);
    threads::for_each_part(parts * strips, |p| {
        let (kp, strip) = (p / strips, p % strips);
        let (k0, k1) = ((kp * per).min(k), ((kp + 1) * per).min(k));
        let (j0, j1) = (strip * cols, ((strip + 1) * cols).min(n));
        let out = Out::shared(shared.sub(kp * m * n, (kp + 1) * m * n), n, None);
        let b = b.row_range(k0, k1).col_range(j0, j1);
        gemm_block(a.col_range(k0, k1), b, out.columns_from(j0), false);
    });
    // Rows of C in parts of at least 16 K additions, each summing its rows of every
    // partial product.
    let rows = m.div_ceil(threads::balanced_parts((m * n * parts) >> 14, 2));
    threads::for_each_chunk(c, rows * n, |r, c| {
        let start = r * rows * n;
        if !accumulate {
            c.fill(0.0);
        }
        for part in partial.chunks_exact(m * n) {
            for (c, p) in c.iter_mut().zip(&part[start..]) {
                *c += p;
            }
        }
        if let Some(bias) = bias {
            crate::backend::cpu::elementwise::add_row_vector(c, bias);
        }
    });
    crate::backend::cpu::buffers::give(partial);
}
