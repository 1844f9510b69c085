//! Sums: `shaders/reduce/`.

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use crate::backend::webgpu::kernels::{fold, wgsl_ids, Kernel};
use crate::backend::webgpu::GpuContext;
use crate::error::Result;

// What `sum` in reduce.wgsl adds up, numbered here only.
wgsl_ids!(pub(crate) SUM_KINDS { SUM_VALUES = 0, SUM_ABS = 1, SUM_SQUARES = 2 });

/// `shaders/reduce/reduce.wgsl::Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ReduceParams {
    count: u32,
    cols: u32,
    kind: u32,
    _pad: u32,
}

/// What [`sum`] adds up.
#[derive(Debug, Clone, Copy)]
pub enum SumOf {
    Values,
    Abs,
    Squares,
}

pub fn sum(ctx: &GpuContext, what: SumOf, n: usize, x: &Buffer, out: &Buffer) -> Result<()> {
    let p = ReduceParams {
        count: n as u32,
        cols: 1,
        kind: match what {
            SumOf::Values => SUM_VALUES,
            SumOf::Abs => SUM_ABS,
            SumOf::Squares => SUM_SQUARES,
        },
        _pad: 0,
    };
    ctx.dispatch(Kernel::Sum, &p, &[out], &[x], (1, 1, 1))
}

/// `out[c] += Σ_rows x[r, c]`, one workgroup per column.
pub fn column_sums_acc(
    ctx: &GpuContext,
    n: usize,
    cols: usize,
    x: &Buffer,
    out: &Buffer,
) -> Result<()> {
    let p = ReduceParams {
        count: n as u32,
        cols: cols as u32,
        kind: 0,
        _pad: 0,
    };
    ctx.dispatch(Kernel::ColumnSumsAcc, &p, &[out], &[x], fold(cols))
}
