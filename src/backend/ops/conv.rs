use super::Tensor;
use crate::backend::cpu::conv as cpu;
use crate::backend::geometry::Window2d;
use crate::error::Result;

fn input_shape(g: &Window2d) -> [usize; 4] {
    [g.batch, g.in_h, g.in_w, g.channels]
}

fn output_shape(g: &Window2d, out_c: usize) -> [usize; 4] {
    [g.batch, g.out_h, g.out_w, out_c]
}

/// Convolution `[N,H,W,C_in] → [N,H',W',C_out]` with weights `[F_h,F_w,C_in,C_out]` and a bias
/// per output channel. Also returns the padded input, which the weight gradient reads (the
/// input itself when the convolution has no padding).
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
    let padded = if g.has_padding() {
        let (hp, wp) = g.padded_size();
        Tensor::from_vec(
            [g.batch, hp, wp, g.channels],
            cpu::pad_input(x.as_slice(), g),
        )?
    } else {
        x.clone()
    };
    let mut y = Tensor::scratch(output_shape(g, out_c));
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

/// Accumulates the weight and bias gradients from the forward's padded input and `dy`.
pub fn conv2d_backward_weight(
    padded: &Tensor,
    dy: &Tensor,
    g: &Window2d,
    dw: &mut Tensor,
    db: &mut Tensor,
) -> Result<()> {
    let out_c = dw.channels();
    dy.expect_shape("conv2d_backward_weight", &output_shape(g, out_c))?;
    let (hp, wp) = g.padded_size();
    padded.expect_shape("conv2d_backward_weight", &[g.batch, hp, wp, g.channels])?;
    db.expect_shape("conv2d_backward_weight", &[out_c])?;
    cpu::conv2d_backward_weight(
        padded.as_slice(),
        dy.as_slice(),
        g,
        out_c,
        dw.as_mut_slice(),
        db.as_mut_slice(),
    );
    Ok(())
}

/// The gradient with respect to the convolution's input.
pub fn conv2d_backward_input(dy: &Tensor, w: &Tensor, g: &Window2d) -> Result<Tensor> {
    let out_c = w.channels();
    dy.expect_shape("conv2d_backward_input", &output_shape(g, out_c))?;
    let mut dx = Tensor::scratch(input_shape(g));
    cpu::conv2d_backward_input(dy.as_slice(), w.as_slice(), g, out_c, dx.as_mut_slice());
    Ok(dx)
}
