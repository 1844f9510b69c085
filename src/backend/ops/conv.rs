use super::{placement, Tensor};
use crate::backend::cpu::conv as cpu;
use crate::backend::geometry::Window2d;
use crate::backend::webgpu::ops as gpu;
use crate::error::Result;

fn input_shape(g: &Window2d) -> [usize; 4] {
    [g.batch, g.in_h, g.in_w, g.channels]
}

fn output_shape(g: &Window2d, out_c: usize) -> [usize; 4] {
    [g.batch, g.out_h, g.out_w, out_c]
}

/// Convolution `[N,H,W,C_in] → [N,H',W',C_out]` with weights `[F_h,F_w,C_in,C_out]` and a bias
/// per output channel. Also returns what the weight gradient reads: on the CPU the input
/// padded with zeros (the input itself without padding), on a GPU the input (its kernels
/// test the bounds instead).
pub fn conv2d_forward(
    x: &Tensor,
    w: &Tensor,
    bias: &Tensor,
    g: &Window2d,
) -> Result<(Tensor, Tensor)> {
    x.expect_shape("conv2d_forward", &input_shape(g))?;
    let out_c = w.channels();
    w.expect_shape("conv2d_forward", &[g.k_h, g.k_w, g.channels, out_c])?;
    bias.expect_shape("conv2d_forward", &[out_c])?;
    let y = Tensor::scratch_on(output_shape(g, out_c), &x.device());
    match placement("conv2d_forward", &[x, w, bias])? {
        None => {
            let padded = if g.has_padding() {
                let (hp, wp) = g.padded_size();
                Tensor::from_vec(
                    [g.batch, hp, wp, g.channels],
                    cpu::pad_input(x.as_slice(), g),
                )?
            } else {
                x.clone()
            };
            let mut y = y;
            cpu::conv2d_forward(
                padded.as_slice(),
                w.as_slice(),
                bias.as_slice(),
                g,
                out_c,
                y.as_mut_slice(),
            );
            Ok((y, padded))
        }
        Some(ctx) => {
            gpu::conv2d_forward_kernel(g, out_c)(
                &ctx,
                g,
                out_c,
                x.gpu_buffer(),
                w.gpu_buffer(),
                bias.gpu_buffer(),
                y.gpu_buffer(),
            )?;
            Ok((y, x.clone()))
        }
    }
}

/// Accumulates the weight and bias gradients from what the forward saved and `dy`.
pub fn conv2d_backward_weight(
    saved: &Tensor,
    dy: &Tensor,
    g: &Window2d,
    dw: &mut Tensor,
    db: &mut Tensor,
) -> Result<()> {
    let out_c = dw.channels();
    dy.expect_shape("conv2d_backward_weight", &output_shape(g, out_c))?;
    db.expect_shape("conv2d_backward_weight", &[out_c])?;
    match placement("conv2d_backward_weight", &[saved, dy, dw, db])? {
        None => {
            let (hp, wp) = g.padded_size();
            saved.expect_shape("conv2d_backward_weight", &[g.batch, hp, wp, g.channels])?;
            cpu::conv2d_backward_weight(
                saved.as_slice(),
                dy.as_slice(),
                g,
                out_c,
                dw.as_mut_slice(),
                db.as_mut_slice(),
            );
        }
        Some(ctx) => {
            saved.expect_shape("conv2d_backward_weight", &input_shape(g))?;
            dw.make_unique();
            db.make_unique();
            gpu::conv2d_backward_weight(
                &ctx,
                g,
                out_c,
                saved.gpu_buffer(),
                dy.gpu_buffer(),
                dw.gpu_buffer(),
                db.gpu_buffer(),
            )?;
        }
    }
    Ok(())
}

/// The gradient with respect to the convolution's input.
pub fn conv2d_backward_input(dy: &Tensor, w: &Tensor, g: &Window2d) -> Result<Tensor> {
    let out_c = w.channels();
    dy.expect_shape("conv2d_backward_input", &output_shape(g, out_c))?;
    let mut dx = Tensor::scratch_on(input_shape(g), &dy.device());
    match placement("conv2d_backward_input", &[dy, w])? {
        None => {
            cpu::conv2d_backward_input(dy.as_slice(), w.as_slice(), g, out_c, dx.as_mut_slice())
        }
        Some(ctx) => gpu::conv2d_backward_input_kernel(g, out_c)(
            &ctx,
            g,
            out_c,
            dy.gpu_buffer(),
            w.gpu_buffer(),
            dx.gpu_buffer(),
        )?,
    }
    Ok(dx)
}
