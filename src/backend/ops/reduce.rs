use super::Tensor;
use crate::backend::cpu::reduce as cpu;

fn scalar(v: f32) -> Tensor {
    Tensor::full([1], v)
}

/// Σ x, as a one-element tensor.
pub fn sum(x: &Tensor) -> Tensor {
    scalar(cpu::sum(x.as_slice()))
}

/// Σ |x|, as a one-element tensor.
pub fn sum_abs(x: &Tensor) -> Tensor {
    scalar(cpu::sum_abs(x.as_slice()))
}

/// Σ x², as a one-element tensor.
pub fn sum_squares(x: &Tensor) -> Tensor {
    scalar(cpu::sum_squares(x.as_slice()))
}

/// `out[c] += Σ_rows x[row, c]` over the last axis: the bias gradient.
pub fn column_sums_acc(x: &Tensor, out: &mut Tensor) -> crate::error::Result<()> {
    if out.len() != x.channels() {
        return Err(crate::error::Error::shape(
            "column_sums_acc",
            format!("{} sums for {:?}", out.len(), x.shape()),
        ));
    }
    cpu::column_sums_acc(x.as_slice(), x.channels(), out.as_mut_slice());
    Ok(())
}
