use super::{placement, Tensor};
use crate::backend::cpu::gemm::{gemm, gemm_bias, MatRef};
use crate::backend::webgpu::ops::{self as gpu, MatmulParams};
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

/// The strides of a stored row-major matrix as used (rows stride, columns stride).
fn strides(t: &Tensor, transpose: bool) -> (u32, u32) {
    let cols = t.shape()[1] as u32;
    if transpose {
        (1, cols)
    } else {
        (cols, 1)
    }
}

fn params(
    dims: (usize, usize, usize),
    a: (u32, u32),
    b: (u32, u32),
    acc: bool,
    bias: bool,
) -> MatmulParams {
    MatmulParams {
        m: dims.0 as u32,
        k: dims.1 as u32,
        n: dims.2 as u32,
        a_rs: a.0,
        a_cs: a.1,
        b_rs: b.0,
        b_cs: b.1,
        accumulate: acc as u32,
        has_bias: bias as u32,
        _pad: [0; 3],
    }
}

/// `op(A) · op(B)`, where op transposes when asked.
pub fn matmul(a: &Tensor, ta: bool, b: &Tensor, tb: bool) -> Result<Tensor> {
    let d = check(a, ta, b, tb)?;
    let c = Tensor::scratch_on([d.0, d.2], &a.device());
    linear_into(a, ta, b, tb, None, c)
}

/// `x · W + bias`: a dense layer's forward in one kernel.
pub fn linear(x: &Tensor, w: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let d = check(x, false, w, false)?;
    bias.expect_shape("linear", &[d.2])?;
    let y = Tensor::scratch_on([d.0, d.2], &x.device());
    linear_into(x, false, w, false, Some(bias), y)
}

fn linear_into(
    a: &Tensor,
    ta: bool,
    b: &Tensor,
    tb: bool,
    bias: Option<&Tensor>,
    mut c: Tensor,
) -> Result<Tensor> {
    let d = check(a, ta, b, tb)?;
    let mut all = vec![a, b];
    all.extend(bias);
    match placement("matmul", &all)? {
        None => {
            let (a, b) = (view(a, ta), view(b, tb));
            match bias {
                Some(bias) => gemm_bias(a.into(), b, bias.as_slice(), c.as_mut_slice()),
                None => gemm(a, b, c.as_mut_slice(), false),
            }
        }
        Some(ctx) => {
            let p = params(d, strides(a, ta), strides(b, tb), false, bias.is_some());
            gpu::matmul_kernel(&ctx, &p)(
                &ctx,
                p,
                a.gpu_buffer(),
                b.gpu_buffer(),
                c.gpu_buffer(),
                bias.map(Tensor::gpu_buffer),
            )?
        }
    }
    Ok(c)
}

/// `C += op(A) · op(B)`: how weight gradients accumulate.
pub fn matmul_acc(a: &Tensor, ta: bool, b: &Tensor, tb: bool, c: &mut Tensor) -> Result<()> {
    let d = check(a, ta, b, tb)?;
    c.expect_shape("matmul_acc", &[d.0, d.2])?;
    match placement("matmul_acc", &[a, b, c])? {
        None => gemm(view(a, ta), view(b, tb), c.as_mut_slice(), true),
        Some(ctx) => {
            let p = params(d, strides(a, ta), strides(b, tb), true, false);
            c.make_unique();
            gpu::matmul_kernel(&ctx, &p)(
                &ctx,
                p,
                a.gpu_buffer(),
                b.gpu_buffer(),
                c.gpu_buffer(),
                None,
            )?
        }
    }
    Ok(())
}
