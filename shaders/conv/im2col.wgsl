// The im2col matrix read in place (appended to the kernels that need it; they declare x).
// Mirrors backend/cpu/conv.rs::im2col.

// Element (position, tap) of the im2col matrix: the input value that tap of that output
// position's window reads, or 0 in the padding.
fn im2col(g: Conv, position: u32, tap: u32) -> f32 {
    let ox = position % g.out_w;
    let rest = position / g.out_w;
    let oy = rest % g.out_h;
    let n = rest / g.out_h;
    let ch = tap % g.c_in;
    let kxy = tap / g.c_in;
    let kx = kxy % g.k_w;
    let ky = kxy / g.k_w;
    let iy = i32(oy * g.stride_h + ky * g.dil_h) - i32(g.pad_top);
    let ix = i32(ox * g.stride_w + kx * g.dil_w) - i32(g.pad_left);
    if (iy < 0 || ix < 0 || iy >= i32(g.in_h) || ix >= i32(g.in_w)) {
        return 0.0;
    }
    return x[((n * g.in_h + u32(iy)) * g.in_w + u32(ix)) * g.c_in + ch];
}
