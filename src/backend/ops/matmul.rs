use super::Tensor;
use crate::backend::cpu::gemm::{gemm, MatRef};
use crate::error::{Error, Result};

/// Rows and columns of a 2-D tensor as used (transposed or not).
fn dims(op: &'static str, t: &Tensor, transpose: bool) -> Result<(usize, usize)> {
    match *t.shape() {
        [r, c] => Ok(if transpose { (c, r) } else { (r, c) }),
        _ => Err(Error::shape(
            op,
            format!("needs a matrix, got {:?}", t.shape()),
        )),
    }
}

fn check(a: &Tensor, ta: bool, b: &Tensor, tb: bool) -> Result<(usize, usize, usize)> {
    let (m, k) = dims("matmul", a, ta)?;
    let (k2, n) = dims("matmul", b, tb)?;
    if k != k2 {
        return Err(Error::shape(
            "matmul",
            format!(
                "{m}×{k} · {k2}×{n}: inner sizes differ (A {:?}{}, B {:?}{})",
                a.shape(),
                if ta { "ᵀ" } else { "" },
                b.shape(),
                if tb { "ᵀ" } else { "" }
            ),
        ));
    }
    Ok((m, k, n))
}

fn view<'a>(t: &'a Tensor, transpose: bool) -> MatRef<'a> {
    MatRef::new(t.as_slice(), t.shape()[0], t.shape()[1]).maybe_t(transpose)
}

/// `op(A) · op(B)`, where op transposes when asked.
pub fn matmul(a: &Tensor, ta: bool, b: &Tensor, tb: bool) -> Result<Tensor> {
    let (m, _, n) = check(a, ta, b, tb)?;
    let mut c = Tensor::scratch([m, n]);
    gemm(view(a, ta), view(b, tb), c.as_mut_slice(), false);
    Ok(c)
}

/// `C += op(A) · op(B)`: how weight gradients accumulate.
pub fn matmul_acc(a: &Tensor, ta: bool, b: &Tensor, tb: bool, c: &mut Tensor) -> Result<()> {
    let (m, _, n) = check(a, ta, b, tb)?;
    c.expect_shape("matmul_acc", &[m, n])?;
    gemm(view(a, ta), view(b, tb), c.as_mut_slice(), true);
    Ok(())
}
