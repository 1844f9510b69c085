// The tiled matrix product every GEMM-shaped kernel shares (appended to that kernel's file
// when its pipeline is built). The kernel defines the sizes (gemm_m, gemm_n, gemm_k), how
// to read A and B (load_a, load_b; a_k_fastest says whether A is contiguous along k) and
// what to do with each result (store_c).
//
// A workgroup of 16×16 threads computes a 64×64 tile of C; each thread keeps a 4×4 block
// in registers. Depth-16 slices of A and B are staged in workgroup memory.

const TILE: u32 = 64u;
const DEPTH: u32 = 16u;

var<workgroup> tile_a: array<f32, 1024>; // [DEPTH][TILE]
var<workgroup> tile_b: array<f32, 1024>; // [DEPTH][TILE]

fn gemm(group: vec3<u32>, local: vec3<u32>) {
    let m = gemm_m();
    let n = gemm_n();
    let k = gemm_k();
    let row0 = group.y * TILE;
    let col0 = group.x * TILE;
    let t = local.y * 16u + local.x;
    let k_fast = a_k_fastest();
    var acc: array<vec4<f32>, 4>;
    for (var k0 = 0u; k0 < k; k0 += DEPTH) {
        for (var e = 0u; e < 4u; e++) {
            let idx = t + e * 256u;
            // Neighbouring threads read neighbouring addresses of A where possible.
            var ii = idx % TILE;
            var kk = idx / TILE;
            if (k_fast) {
                ii = idx / DEPTH;
                kk = idx % DEPTH;
            }
            var va = 0.0;
            if (row0 + ii < m && k0 + kk < k) {
                va = load_a(row0 + ii, k0 + kk);
            }
            tile_a[kk * TILE + ii] = va;
            let kb = idx / TILE;
            let jj = idx % TILE;
            var vb = 0.0;
            if (k0 + kb < k && col0 + jj < n) {
                vb = load_b(k0 + kb, col0 + jj);
            }
            tile_b[kb * TILE + jj] = vb;
        }
        workgroupBarrier();
        let ar = local.y * 4u;
        let bc = local.x * 4u;
        for (var kk = 0u; kk < DEPTH; kk++) {
            let base = kk * TILE;
            let a = vec4<f32>(tile_a[base + ar], tile_a[base + ar + 1u], tile_a[base + ar + 2u], tile_a[base + ar + 3u]);
            let b = vec4<f32>(tile_b[base + bc], tile_b[base + bc + 1u], tile_b[base + bc + 2u], tile_b[base + bc + 3u]);
            acc[0] += a.x * b;
            acc[1] += a.y * b;
            acc[2] += a.z * b;
            acc[3] += a.w * b;
        }
        workgroupBarrier();
    }
    for (var r = 0u; r < 4u; r++) {
        let i = row0 + local.y * 4u + r;
        if (i < m) {
            for (var c = 0u; c < 4u; c++) {
                let j = col0 + local.x * 4u + c;
                if (j < n) {
                    store_c(i, j, acc[r][c]);
                }
            }
        }
    }
}
