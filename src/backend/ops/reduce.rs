use super::{placement, Tensor};
use crate::backend::cpu::reduce as cpu;
use crate::backend::webgpu::ops::{self as gpu, SumOf};
use crate::error::{Error, Result};

fn reduce(x: &Tensor, what: SumOf, on_cpu: fn(&[f32]) -> f32) -> Result<Tensor> {
    match placement("sum", &[x])? {
        None => Ok(Tensor::full([1], on_cpu(x.as_slice()))),
        Some(ctx) => {
            let out = Tensor::scratch_on([1], &x.device());
            gpu::sum(&ctx, what, x.len(), x.gpu_buffer(), out.gpu_buffer())?;
            Ok(out)
        }
    }
}

/// Σ x, as a one-element tensor on x's device.
pub fn sum(x: &Tensor) -> Result<Tensor> {
    reduce(x, SumOf::Values, cpu::sum)
}

/// Σ |x|, as a one-element tensor on x's device.
pub fn sum_abs(x: &Tensor) -> Result<Tensor> {
    reduce(x, SumOf::Abs, cpu::sum_abs)
}

/// Σ x², as a one-element tensor on x's device.
pub fn sum_squares(x: &Tensor) -> Result<Tensor> {
    reduce(x, SumOf::Squares, cpu::sum_squares)
}

/// `out[c] += Σ_rows x[row, c]` over the last axis: the bias gradient.
pub fn column_sums_acc(x: &Tensor, out: &mut Tensor) -> Result<()> {
    if out.len() != x.channels() {
        return Err(Error::shape(
            "column_sums_acc",
            format!("{} sums for {:?}", out.len(), x.shape()),
        ));
    }
    match placement("column_sums_acc", &[x, out])? {
        None => cpu::column_sums_acc(x.as_slice(), x.channels(), out.as_mut_slice()),
        Some(ctx) => {
            out.make_unique();
            gpu::column_sums_acc(
                &ctx,
                x.len(),
                x.channels(),
                x.gpu_buffer(),
                out.gpu_buffer(),
            )?
        }
    }
    Ok(())
}
