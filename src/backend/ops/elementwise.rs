use super::{same_len, Tensor};
use crate::backend::cpu::elementwise as cpu;
use crate::error::{Error, Result};

/// Adds `b` (one value per channel) to every row of `x`.
pub fn add_row_vector(x: &mut Tensor, b: &Tensor) -> Result<()> {
    if b.len() != x.channels() {
        return Err(Error::shape(
            "add_row_vector",
            format!("{} values for {:?}", b.len(), x.shape()),
        ));
    }
    cpu::add_row_vector(x.as_mut_slice(), b.as_slice());
    Ok(())
}

/// `y += a·x`.
pub fn axpy(y: &mut Tensor, a: f32, x: &Tensor) -> Result<()> {
    same_len("axpy", y, x)?;
    cpu::axpy(y.as_mut_slice(), a, x.as_slice());
    Ok(())
}

/// `y += a·sign(x)`.
pub fn add_sign(y: &mut Tensor, a: f32, x: &Tensor) -> Result<()> {
    same_len("add_sign", y, x)?;
    cpu::add_sign(y.as_mut_slice(), a, x.as_slice());
    Ok(())
}

/// `x *= a`.
pub fn scale(x: &mut Tensor, a: f32) {
    cpu::scale(x.as_mut_slice(), a);
}

/// Sets every element to zero, keeping the shape and device.
pub fn fill_zero(x: &mut Tensor) {
    x.as_mut_slice().fill(0.0);
}

/// Element-wise product.
pub fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_len("mul", a, b)?;
    let mut y = a.scratch_like();
    cpu::mul(a.as_slice(), b.as_slice(), y.as_mut_slice());
    Ok(y)
}
