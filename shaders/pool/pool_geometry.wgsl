// The pooling window shared by the pooling kernels (appended to each), NHWC, no padding.
// Mirrors backend/geometry.rs::Window2d.

struct Pool {
    batch: u32,
    in_h: u32,
    in_w: u32,
    channels: u32,
    k_h: u32,
    k_w: u32,
    stride_h: u32,
    stride_w: u32,
    out_h: u32,
    out_w: u32,
    count: u32,
    _pad: u32,
}

// Index of input (n, iy, ix, c).
fn input_at(g: Pool, n: u32, iy: u32, ix: u32, c: u32) -> u32 {
    return ((n * g.in_h + iy) * g.in_w + ix) * g.channels + c;
}
