// Appended to the max-pooling kernels (they declare x).

// The first maximum of output (n, oy, ox, c)'s window, scanning rows then columns: the tap
// that receives its gradient (backend/cpu/pool.rs states the same rule).
fn first_max(g: Pool, n: u32, oy: u32, ox: u32, c: u32) -> u32 {
    var best = input_at(g, n, oy * g.stride_h, ox * g.stride_w, c);
    for (var ky = 0u; ky < g.k_h; ky++) {
        for (var kx = 0u; kx < g.k_w; kx++) {
            let at = input_at(g, n, oy * g.stride_h + ky, ox * g.stride_w + kx, c);
            if (x[at] > x[best]) {
                best = at;
            }
        }
    }
    return best;
}
