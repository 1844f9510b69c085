//! Matrix products: `shaders/gemm/`.

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use crate::backend::webgpu::kernels::{gemm_grid, grid, Kernel};
use crate::backend::webgpu::GpuContext;
use crate::error::Result;

/// `shaders/gemm/matmul.wgsl::Params` (and matmul_vec4.wgsl's).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct MatmulParams {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub a_rs: u32,
    pub a_cs: u32,
    pub b_rs: u32,
    pub b_cs: u32,
    pub accumulate: u32,
    pub has_bias: u32,
    pub _pad: [u32; 3],
}

/// The signature every matmul kernel shares (tests run each one).
pub type MatmulKernel =
    fn(&GpuContext, MatmulParams, &Buffer, &Buffer, &Buffer, Option<&Buffer>) -> Result<()>;

/// Which kernel computes a product: 64×64 tiles in workgroup memory on a real GPU when the
/// product fills them; otherwise (and on CPU-emulated GPUs, where barriers are costly) 4×4
/// register blocks when B's rows are contiguous in fours, else one thread per element.
pub fn matmul_kernel(ctx: &GpuContext, p: &MatmulParams) -> MatmulKernel {
    let fills_tiles = p.m >= 16 && p.n >= 16 && p.k >= 16;
    if fills_tiles && !ctx.emulated {
        matmul
    } else if p.b_cs == 1 && p.n.is_multiple_of(4) && p.b_rs.is_multiple_of(4) {
        matmul_vec4
    } else {
        matmul_direct
    }
}

/// `C (+)= A·B (+ bias)` with strided A and B (transposes are strides), in 64×64 tiles.
pub fn matmul(
    ctx: &GpuContext,
    p: MatmulParams,
    a: &Buffer,
    b: &Buffer,
    c: &Buffer,
    bias: Option<&Buffer>,
) -> Result<()> {
    // An unused bias binding still needs a buffer: A, read-only like it.
    let bias = bias.unwrap_or(a);
    ctx.dispatch(
        Kernel::Matmul,
        &p,
        &[c],
        &[a, b, bias],
        gemm_grid(p.m as usize, p.n as usize),
    )
}

/// `C (+)= A·B (+ bias)`, a 4×4 block of C per thread with B read four columns at a time
/// (B's rows contiguous, n and B's row stride divisible by 4).
pub fn matmul_vec4(
    ctx: &GpuContext,
    p: MatmulParams,
    a: &Buffer,
    b: &Buffer,
    c: &Buffer,
    bias: Option<&Buffer>,
) -> Result<()> {
    debug_assert!(p.b_cs == 1 && p.n.is_multiple_of(4) && p.b_rs.is_multiple_of(4));
    let bias = bias.unwrap_or(b);
    let threads = (p.m as usize).div_ceil(4) * (p.n as usize / 4);
    ctx.dispatch(Kernel::MatmulVec4, &p, &[c], &[a, b, bias], grid(threads))
}

/// `C (+)= A·B (+ bias)`, one thread per element of C.
pub fn matmul_direct(
    ctx: &GpuContext,
    p: MatmulParams,
    a: &Buffer,
    b: &Buffer,
    c: &Buffer,
    bias: Option<&Buffer>,
) -> Result<()> {
    let bias = bias.unwrap_or(a);
    ctx.dispatch(
        Kernel::MatmulDirect,
        &p,
        &[c],
        &[a, b, bias],
        grid((p.m * p.n) as usize),
    )
}
