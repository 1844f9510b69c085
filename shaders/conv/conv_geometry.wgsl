// The window geometry shared by the convolution kernels (appended to each), NHWC.
// Mirrors backend/geometry.rs::Window2d.

struct Conv {
    batch: u32,
    in_h: u32,
    in_w: u32,
    c_in: u32,
    k_h: u32,
    k_w: u32,
    c_out: u32,
    stride_h: u32,
    stride_w: u32,
    dil_h: u32,
    dil_w: u32,
    pad_top: u32,
    pad_left: u32,
    out_h: u32,
    out_w: u32,
    _pad: u32,
}
