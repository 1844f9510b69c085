//! One part of a product: B packed into panels as it goes, and the register-blocked
//! micro-kernel over rows of A against them.

use std::cell::RefCell;

use super::{AView, MatRef, Offsets, Out, KC, MR, NC, NR};
use crate::backend::cpu::simd::{F32x4, LANES};

thread_local! {
    // The packing buffer, kept between calls: allocating it per call costs more than a small GEMM.
    static PACK: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// One part's product: every row of A against B, block by block; B's blocks are packed
/// here as they come, into this thread's buffer.
pub(super) fn gemm_block(a: AView, b: MatRef, out: Out<'_>, accumulate: bool) {
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
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                // The first block of k overwrites C unless we accumulate into it.
                let add = accumulate || pc > 0;
                let last = pc + kc == k;
                let len = nc.div_ceil(NR) * NR * kc;
                // Every element is written, so the buffer is only ever grown.
                if own.len() < len {
                    own.resize(len, 0.0);
                }
                let b_pack = &mut own[..len];
                pack_b(b, pc, kc, jc, nc, b_pack);
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

/// Copies `B[pc..pc+kc, jc..jc+nc]` into `out`, panels of `NR` columns, each `kc × NR`;
/// columns past the edge of B are zero.
fn pack_b(b: MatRef, pc: usize, kc: usize, jc: usize, nc: usize, out: &mut [f32]) {
    for (p, panel) in out.chunks_exact_mut(kc * NR).enumerate() {
        let j0 = jc + p * NR;
        let width = NR.min(jc + nc - j0);
        for (kk, row) in panel.chunks_exact_mut(NR).enumerate() {
            let src = (pc + kk) * b.rs + j0 * b.cs;
            // Whole rows of a panel, so that copies have a fixed length and compile to vector
            // loads and stores (a copy of unknown length calls `memory.copy` in wasm, which
            // costs more than the 32 bytes it moves).
            let from: [f32; NR] = if b.cs == 1 && width == NR {
                b.data[src..src + NR].try_into().expect("NR floats")
            } else {
                // The narrow last panel (zero past B's edge), or B transposed.
                let mut from = [0.0; NR];
                for (j, v) in from.iter_mut().enumerate().take(width) {
                    *v = b.data[src + j * b.cs];
                }
                from
            };
            *<&mut [f32; NR]>::try_from(row).expect("NR floats") = from;
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
