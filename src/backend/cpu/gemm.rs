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

use std::cell::RefCell;

use super::simd::{F32x4, LANES};
use super::threads;

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
/// [`add_row_vector`]: super::elementwise::add_row_vector
pub fn gemm_bias(a: AView, b: MatRef, bias: &[f32], c: &mut [f32]) {
    assert_eq!(bias.len(), b.cols, "gemm: bias length");
    if a.rows * a.cols * b.cols < SMALL {
        gemm_scalar(a, b, c, false);
        super::elementwise::add_row_vector(&mut c[..a.rows * b.cols], bias);
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

thread_local! {
    // The packing buffer, kept between calls: allocating it per call costs more than a small GEMM.
    static PACK: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
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
            super::elementwise::add_row_vector(&mut c[..m * n], bias);
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
    if tiles >= 32 || panels < 2 {
        // Rows: B packed whole once, and every part reads it; many parts, so that threads
        // finish the product together.
        let parts = threads::balanced_parts(most.min(tiles / 16), 16);
        let packed = (parts > 1).then(|| pack_whole(b));
        threads::for_each_even_part(c, tiles, MR * n, parts, |part_tiles, c_part| {
            let r0 = part_tiles.start * MR;
            let a_part = a.row_range(r0, r0 + c_part.len() / n);
            let out = Out::new(c_part, n, bias);
            gemm_block(a_part, b, packed.as_deref(), out, accumulate)
        });
        if let Some(packed) = packed {
            super::buffers::give(packed);
        }
    } else {
        // Few rows: columns, so that each part packs only its own columns of B (and reads
        // all of A: a few parts a thread).
        let parts = threads::balanced_parts(most.min(panels), 2);
        let cols = panels.div_ceil(parts) * NR;
        let out = Out::new(c, n, bias);
        threads::for_each_part(n.div_ceil(cols), |p| {
            let (j0, j1) = (p * cols, ((p + 1) * cols).min(n));
            gemm_block(
                a,
                b.col_range(j0, j1),
                None,
                out.columns_from(j0),
                accumulate,
            )
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
    // in its last part leaves less for the others to wait on: about 4 parts a thread.
    let panels = n.div_ceil(NR);
    let strips = (4 * threads::threads() / parts).clamp(1, panels);
    let cols = panels.div_ceil(strips) * NR;
    let strips = n.div_ceil(cols);
    let mut partial = super::buffers::take(parts * m * n);
    let shared = threads::SharedMut::new(&mut partial);
    threads::for_each_part(parts * strips, |p| {
        let (kp, strip) = (p / strips, p % strips);
        let (k0, k1) = ((kp * per).min(k), ((kp + 1) * per).min(k));
        let (j0, j1) = (strip * cols, ((strip + 1) * cols).min(n));
        let out = Out::shared(shared.sub(kp * m * n, (kp + 1) * m * n), n, None);
        let b = b.row_range(k0, k1).col_range(j0, j1);
        gemm_block(a.col_range(k0, k1), b, None, out.columns_from(j0), false);
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
            super::elementwise::add_row_vector(c, bias);
        }
    });
    super::buffers::give(partial);
}

/// One part's product: every row of A against B, block by block; B's blocks are packed
/// here as they come, or taken from `packed` ([`pack_whole`]) when parts share them.
fn gemm_block(a: AView, b: MatRef, packed: Option<&[f32]>, out: Out<'_>, accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    // One bounds check for every unchecked read of A below (each part checks its own view,
    // so a long offset table is scanned in parallel).
    assert!(
        a.row_off.max(m) + a.col_off.max(k) < a.data.len(),
        "gemm: A's offsets reach past its data"
    );
    PACK.with(|own| {
        let own = &mut *own.borrow_mut();
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            let len = |kc: usize| nc.div_ceil(NR) * NR * kc;
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                // The first block of k overwrites C unless we accumulate into it.
                let add = accumulate || pc > 0;
                let last = pc + kc == k;
                let b_pack: &[f32] = match packed {
                    Some(whole) => &whole[jc * k + len(pc)..][..len(kc)],
                    None => {
                        // Every element is written, so the buffer is only ever grown.
                        if own.len() < len(kc) {
                            own.resize(len(kc), 0.0);
                        }
                        pack_b(b, pc, kc, jc, nc, &mut own[..len(kc)]);
                        &own[..len(kc)]
                    }
                };
                for ic in (0..m).step_by(MR) {
                    let tile = Tile {
                        out: &out,
                        ic,
                        jc,
                        add,
                        last,
                    };
                    row_tile(MR.min(m - ic), nc, kc, pc, &a, b_pack, tile);
                }
            }
        }
    });
}

/// All of B packed as [`gemm_block`] reads it: column blocks of `NC` in order, each its
/// blocks of k in order, so block (jc, pc) starts at `jc·k + pc·⌈nc⌉` (nc rounded up to
/// whole panels). Parts of rows that share it pack nothing.
fn pack_whole(b: MatRef) -> Vec<f32> {
    let (k, n) = (b.rows, b.cols);
    let mut whole = super::buffers::take(n.div_ceil(NR) * NR * k);
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        let width = nc.div_ceil(NR) * NR;
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            pack_b(
                b,
                pc,
                kc,
                jc,
                nc,
                &mut whole[jc * k + pc * width..][..kc * width],
            );
        }
    }
    whole
}

/// Copies `B[pc..pc+kc, jc..jc+nc]` into `out`, panels of `NR` columns, each `kc × NR`;
/// columns past the edge of B are zero.
fn pack_b(b: MatRef, pc: usize, kc: usize, jc: usize, nc: usize, out: &mut [f32]) {
    for (p, panel) in out.chunks_exact_mut(kc * NR).enumerate() {
        let j0 = jc + p * NR;
        let width = NR.min(jc + nc - j0);
        for (kk, row) in panel.chunks_exact_mut(NR).enumerate() {
            let src = (pc + kk) * b.rs + j0 * b.cs;
            if b.cs == 1 {
                row[..width].copy_from_slice(&b.data[src..src + width]);
            } else {
                for (j, v) in row[..width].iter_mut().enumerate() {
                    *v = b.data[src + j * b.cs];
                }
            }
            row[width..].fill(0.0);
        }
    }
}

/// Where a row of micro-tiles lands in C.
struct Tile<'c, 'b> {
    out: &'c Out<'b>,
    ic: usize,
    jc: usize,
    /// Add to C (else overwrite it).
    add: bool,
    /// The last block of k: the bias, if any, is added after it.
    last: bool,
}

/// The column offsets of one block of A, as the micro-kernel reads them.
trait ColOffsets: Copy {
    /// Offset of column `pc + k`.
    ///
    /// # Safety
    /// `k` must be below the block's depth.
    unsafe fn at(self, k: usize) -> usize;
}

#[derive(Clone, Copy)]
struct Strided {
    start: usize,
    stride: usize,
}
impl ColOffsets for Strided {
    #[inline(always)]
    unsafe fn at(self, k: usize) -> usize {
        self.start + k * self.stride
    }
}

#[derive(Clone, Copy)]
struct Tabled(*const usize);
impl ColOffsets for Tabled {
    #[inline(always)]
    unsafe fn at(self, k: usize) -> usize {
        *self.0.add(k)
    }
}

/// All micro-tiles of rows `ic..ic+mr` of C against the packed block of B (depths
/// `pc..pc+kc`). `gemm_simd` has checked that every offset of A is in bounds.
fn row_tile(mr: usize, nc: usize, kc: usize, pc: usize, a: &AView, b_pack: &[f32], tile: Tile) {
    match mr {
        4 => rows_of::<4>(nc, kc, pc, a, b_pack, tile),
        3 => rows_of::<3>(nc, kc, pc, a, b_pack, tile),
        2 => rows_of::<2>(nc, kc, pc, a, b_pack, tile),
        _ => rows_of::<1>(nc, kc, pc, a, b_pack, tile),
    }
}

/// [`row_tile`] for `R` rows. With the number of rows fixed, the loop that stores a
/// micro-tile's rows is unrolled and its sums go from registers to C; the narrower last
/// columns take [`store_part`], kept apart so that this loop stays small enough to unroll
/// (with both in one loop, the sums went through the stack and products with a short k,
/// such as a convolution's input gradient, ran 10–15 % slower).
#[inline(always)]
fn rows_of<const R: usize>(nc: usize, kc: usize, pc: usize, a: &AView, b_pack: &[f32], tile: Tile) {
    let rows: [usize; R] = std::array::from_fn(|r| a.row_off.at(tile.ic + r));
    // SAFETY: this part alone writes these rows and columns of C.
    let mut out: [&mut [f32]; R] =
        std::array::from_fn(|r| unsafe { tile.out.run(tile.ic + r, tile.jc, nc) });
    // The bias of these columns, added after the last block of k.
    let bias = tile.out.bias(tile.jc, nc).filter(|_| tile.last);
    let len = nc.div_ceil(NR) * kc * NR;
    for (p, panel) in b_pack[..len].chunks_exact(kc * NR).enumerate() {
        // SAFETY: rows and columns are below A's sizes (checked by the caller), so every
        // offset sum is below `a.data.len()`; `panel` holds exactly kc·NR floats.
        let acc: [[F32x4; 2]; R] = unsafe {
            let data = a.data.as_ptr();
            match a.col_off {
                Offsets::Stride(s) => {
                    let cols = Strided {
                        start: pc * s,
                        stride: s,
                    };
                    micro::<R>(kc, data, rows, cols, panel)
                }
                Offsets::Table(t) => {
                    micro::<R>(kc, data, rows, Tabled(t[pc..pc + kc].as_ptr()), panel)
                }
            }
        };
        let j = p * NR;
        let width = NR.min(nc - j);
        let bias = bias.map(|b| &b[j..j + width]);
        if width == NR {
            for (row, out) in acc.iter().zip(&mut out) {
                store(row, &mut out[j..j + NR], tile.add, bias);
            }
        } else {
            for (row, out) in acc.iter().zip(&mut out) {
                store_part(row, &mut out[j..j + width], tile.add, bias);
            }
        }
    }
}

/// One row of a micro-tile into `NR` columns of C: `out` (+)= `row`, plus the bias if any.
#[inline(always)]
fn store(row: &[F32x4; 2], out: &mut [f32], add: bool, bias: Option<&[f32]>) {
    let (lo, hi) = out.split_at_mut(LANES);
    let (mut v0, mut v1) = (row[0], row[1]);
    if add {
        v0 = F32x4::load(lo) + v0;
        v1 = F32x4::load(hi) + v1;
    }
    if let Some(bias) = bias {
        v0 = v0 + F32x4::load(&bias[..LANES]);
        v1 = v1 + F32x4::load(&bias[LANES..]);
    }
    v0.store(lo);
    v1.store(hi);
}

/// [`store`] into the last, narrower columns of C.
fn store_part(row: &[F32x4; 2], out: &mut [f32], add: bool, bias: Option<&[f32]>) {
    let mut vals = [0.0f32; NR];
    row[0].store(&mut vals[..LANES]);
    row[1].store(&mut vals[LANES..]);
    for (j, (o, v)) in out.iter_mut().zip(vals).enumerate() {
        let v = if add { *o + v } else { v };
        *o = bias.map_or(v, |b| v + b[j]);
    }
}

/// The register-blocked inner loop: an `R × NR` tile of `A·B` over `kc` steps of k, where
/// A's element (r, k) is `a[rows[r] + cols.at(k)]`.
///
/// # Safety
/// Every `rows[r] + cols.at(k)` (r < R, k < kc) must be inside A's data, and `panel` must
/// hold `kc·NR` floats.
#[inline(always)]
unsafe fn micro<const R: usize>(
    kc: usize,
    a: *const f32,
    rows: [usize; R],
    cols: impl ColOffsets,
    panel: &[f32],
) -> [[F32x4; 2]; R] {
    let mut acc = [[F32x4::splat(0.0); 2]; R];
    let b = panel.as_ptr();
    for k in 0..kc {
        let b0 = F32x4::load_ptr(b.add(k * NR));
        let b1 = F32x4::load_ptr(b.add(k * NR + LANES));
        let col = cols.at(k);
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let av = F32x4::splat(*a.add(rows[r] + col));
            acc_r[0] = acc_r[0] + av * b0;
            acc_r[1] = acc_r[1] + av * b1;
        }
    }
    acc
}
