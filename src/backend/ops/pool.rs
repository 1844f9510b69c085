use super::{placement, Tensor};
use crate::backend::cpu::pool as cpu;
use crate::backend::geometry::Window2d;
use crate::backend::webgpu::ops as gpu;
use crate::error::Result;

fn shapes(g: &Window2d) -> ([usize; 4], [usize; 4]) {
    (
        [g.batch, g.in_h, g.in_w, g.channels],
        [g.batch, g.out_h, g.out_w, g.channels],
    )
}

/// Max pooling `[N,H,W,C] → [N,H',W',C]`; ties go to the first maximum (see `cpu::pool`).
pub fn max_pool2d_forward(x: &Tensor, g: &Window2d) -> Result<Tensor> {
    let (input, output) = shapes(g);
    x.expect_shape("max_pool2d_forward", &input)?;
    let mut y = Tensor::scratch_on(output, &x.device());
    match placement("max_pool2d_forward", &[x])? {
        None => cpu::max_pool2d_forward(x.as_slice(), g, y.as_mut_slice()),
        Some(ctx) => gpu::max_pool2d_forward(&ctx, g, x.gpu_buffer(), y.gpu_buffer())?,
    }
    Ok(y)
}

/// Routes each output gradient to the input that was its window's maximum, given the
/// forward's input `x` and output `y`.
pub fn max_pool2d_backward(x: &Tensor, y: &Tensor, dy: &Tensor, g: &Window2d) -> Result<Tensor> {
    let (input, output) = shapes(g);
    x.expect_shape("max_pool2d_backward", &input)?;
    y.expect_shape("max_pool2d_backward", &output)?;
    dy.expect_shape("max_pool2d_backward", &output)?;
    let mut dx = Tensor::scratch_on(input, &x.device());
    match placement("max_pool2d_backward", &[x, y, dy])? {
        None => cpu::max_pool2d_backward(
            x.as_slice(),
            y.as_slice(),
            dy.as_slice(),
            g,
            dx.as_mut_slice(),
        ),
        // The GPU finds each window's first maximum again from x alone.
        Some(ctx) => {
            gpu::max_pool2d_backward(&ctx, g, x.gpu_buffer(), dy.gpu_buffer(), dx.gpu_buffer())?
        }
    }
    Ok(dx)
}

/// Average pooling `[N,H,W,C] → [N,H',W',C]`.
pub fn avg_pool2d_forward(x: &Tensor, g: &Window2d) -> Result<Tensor> {
    let (input, output) = shapes(g);
    x.expect_shape("avg_pool2d_forward", &input)?;
    let mut y = Tensor::scratch_on(output, &x.device());
    match placement("avg_pool2d_forward", &[x])? {
        None => cpu::avg_pool2d_forward(x.as_slice(), g, y.as_mut_slice()),
        Some(ctx) => gpu::avg_pool2d_forward(&ctx, g, x.gpu_buffer(), y.gpu_buffer())?,
    }
    Ok(y)
}

/// Shares each output gradient equally among its window's inputs.
pub fn avg_pool2d_backward(dy: &Tensor, g: &Window2d) -> Result<Tensor> {
    let (input, output) = shapes(g);
    dy.expect_shape("avg_pool2d_backward", &output)?;
    let mut dx = Tensor::scratch_on(input, &dy.device());
    match placement("avg_pool2d_backward", &[dy])? {
        None => cpu::avg_pool2d_backward(dy.as_slice(), g, dx.as_mut_slice()),
        Some(ctx) => gpu::avg_pool2d_backward(&ctx, g, dy.gpu_buffer(), dx.gpu_buffer())?,
    }
    Ok(dx)
}
