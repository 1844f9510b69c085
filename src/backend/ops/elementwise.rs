use super::{placement, same_len, Tensor};
use crate::backend::cpu::elementwise as cpu;
use crate::backend::webgpu::ops as gpu;
use crate::error::Result;

/// `y += a·x`.
pub fn axpy(y: &mut Tensor, a: f32, x: &Tensor) -> Result<()> {
    same_len("axpy", y, x)?;
    match placement("axpy", &[y, x])? {
        None => cpu::axpy(y.as_mut_slice(), a, x.as_slice()),
        Some(ctx) => {
            y.make_unique();
            gpu::axpy(&ctx, x.len(), a, y.gpu_buffer(), x.gpu_buffer())?
        }
    }
    Ok(())
}

/// `y = a·y + b·x`: a moving average in one pass.
pub fn scale_add(y: &mut Tensor, a: f32, b: f32, x: &Tensor) -> Result<()> {
    same_len("scale_add", y, x)?;
    match placement("scale_add", &[y, x])? {
        None => cpu::scale_add(y.as_mut_slice(), a, b, x.as_slice()),
        Some(ctx) => {
            y.make_unique();
            gpu::scale_add(&ctx, x.len(), a, b, y.gpu_buffer(), x.gpu_buffer())?
        }
    }
    Ok(())
}

/// `y = a·y + b·x`, but 0 where `x` is exactly 0 (weight averaging under L1).
pub fn scale_add_keep_zeros(y: &mut Tensor, a: f32, b: f32, x: &Tensor) -> Result<()> {
    same_len("scale_add_keep_zeros", y, x)?;
    match placement("scale_add_keep_zeros", &[y, x])? {
        None => cpu::scale_add_keep_zeros(y.as_mut_slice(), a, b, x.as_slice()),
        Some(ctx) => {
            y.make_unique();
            gpu::scale_add_keep_zeros(&ctx, x.len(), a, b, y.gpu_buffer(), x.gpu_buffer())?
        }
    }
    Ok(())
}

/// `y += a·sign(x)`.
pub fn add_sign(y: &mut Tensor, a: f32, x: &Tensor) -> Result<()> {
    same_len("add_sign", y, x)?;
    match placement("add_sign", &[y, x])? {
        None => cpu::add_sign(y.as_mut_slice(), a, x.as_slice()),
        Some(ctx) => {
            y.make_unique();
            gpu::add_sign(&ctx, x.len(), a, y.gpu_buffer(), x.gpu_buffer())?
        }
    }
    Ok(())
}

/// `x *= a`.
pub fn scale(x: &mut Tensor, a: f32) -> Result<()> {
    match placement("scale", &[x])? {
        None => cpu::scale(x.as_mut_slice(), a),
        Some(ctx) => {
            let n = x.len();
            x.make_unique();
            gpu::scale(&ctx, n, a, x.gpu_buffer())?
        }
    }
    Ok(())
}

/// Sets every element to zero, keeping the shape and device.
pub fn fill_zero(x: &mut Tensor) -> Result<()> {
    match placement("fill_zero", &[x])? {
        None => cpu::fill(x.as_mut_slice(), 0.0),
        Some(ctx) => {
            // A cleared buffer is zeros: no dispatch needed. A shared one is replaced.
            let shape = x.shape().to_vec();
            *x = Tensor::zeros_on(shape, &crate::tensor::Device::WebGpu(ctx));
        }
    }
    Ok(())
}

/// Element-wise product.
pub fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_len("mul", a, b)?;
    let mut y = a.scratch_like();
    match placement("mul", &[a, b])? {
        None => cpu::mul(a.as_slice(), b.as_slice(), y.as_mut_slice()),
        Some(ctx) => gpu::mul(
            &ctx,
            a.len(),
            y.gpu_buffer(),
            a.gpu_buffer(),
            b.gpu_buffer(),
        )?,
    }
    Ok(y)
}
