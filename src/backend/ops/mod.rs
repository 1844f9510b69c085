//! The tensor-level operations every layer, loss and optimizer is written with.
//!
//! Each function checks shapes once (errors name the op and the shapes), allocates its
//! output on the inputs' device and runs the kernel of that device. Scalars (losses, sums)
//! come back as one-element tensors so that on a GPU they stay there until read.

mod activation;
mod batchnorm;
mod conv;
mod elementwise;
mod loss;
mod matmul;
mod optim;
mod pool;
mod random;
mod reduce;

pub use activation::*;
pub use batchnorm::*;
pub use conv::*;
pub use elementwise::*;
pub use loss::*;
pub use matmul::*;
pub use optim::*;
pub use pool::*;
pub use random::*;
pub use reduce::*;

use std::sync::Arc;

use crate::backend::webgpu::GpuContext;
use crate::error::{Error, Result};
use crate::tensor::{Device, Tensor};

/// Where an op runs: `None` for the CPU, the GPU context when every tensor is on it.
/// Tensors on different devices are an error, never a silent copy.
fn placement(op: &'static str, tensors: &[&Tensor]) -> Result<Option<Arc<GpuContext>>> {
    let device = tensors.first().map(|t| t.device()).unwrap_or_default();
    if let Some(other) = tensors.iter().find(|t| t.device() != device) {
        return Err(Error::shape(
            op,
            format!(
                "tensors on different devices ({} and {})",
                device.describe(),
                other.device().describe()
            ),
        ));
    }
    Ok(match device {
        Device::Cpu => None,
        Device::WebGpu(ctx) => Some(ctx),
    })
}

/// Errors unless `a` and `b` have the same number of elements.
fn same_len(op: &'static str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.len() != b.len() {
        return Err(Error::shape(
            op,
            format!("{:?} and {:?} differ in size", a.shape(), b.shape()),
        ));
    }
    Ok(())
}

/// The values of one-element tensors (losses, counts, sums), read in one round trip: on a
/// GPU one read-back for all of them, awaited, never waited for.
pub async fn read_scalars(scalars: &[&Tensor]) -> Result<Vec<f32>> {
    let Some(first) = scalars.first() else {
        return Ok(Vec::new());
    };
    match placement("read_scalars", scalars)? {
        None => Ok(scalars.iter().map(|t| t.as_slice()[0]).collect()),
        Some(ctx) => {
            let _ = first;
            let parts: Vec<(&wgpu::Buffer, u64)> =
                scalars.iter().map(|t| (t.gpu_buffer(), 4)).collect();
            let bytes = ctx.read_many(&parts).await?;
            Ok(bytemuck::cast_slice(&bytes).to_vec())
        }
    }
}
