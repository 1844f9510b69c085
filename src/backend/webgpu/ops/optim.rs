//! Optimizer steps: `shaders/optim/`. The parameter and the state are updated in place; the
//! caller makes them unique first (copy-on-write).

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use crate::backend::webgpu::kernels::{grid, Kernel};
use crate::backend::webgpu::GpuContext;
use crate::error::Result;

/// `shaders/optim/optim_common.wgsl::Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default)]
pub struct OptimParams {
    pub count: u32,
    pub lr: f32,
    pub a: f32,
    pub b: f32,
    pub eps: f32,
    pub c1: f32,
    pub c2: f32,
    pub decay: f32,
    /// L1's strength: each kernel ends with the proximal step (soft thresholding).
    pub l1: f32,
    pub _pad: [u32; 3],
}

/// One optimizer update: `kernel` is one of the `*Step` kernels (one file each under
/// `shaders/optim/`); `state` holds its 0–2 state buffers, written like the parameter.
pub fn optimizer_step(
    ctx: &GpuContext,
    kernel: Kernel,
    p: OptimParams,
    param: &Buffer,
    grad: &Buffer,
    state: &[&Buffer],
) -> Result<()> {
    let mut writes = vec![param];
    writes.extend_from_slice(state);
    ctx.dispatch(kernel, &p, &writes, &[grad], grid(p.count as usize))
}
