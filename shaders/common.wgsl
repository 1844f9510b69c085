// Helpers appended to every element-wise kernel.

// One index per thread, however many threads: grids of more than 65 535 workgroups fold
// into two dimensions (see backend/webgpu/kernels.rs::grid).
fn thread_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
    return id.x + id.y * groups.x * 256u;
}
