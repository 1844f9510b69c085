//! Golden values for the CPU's products and windows, GEMM, convolution and pooling (small
//! cases worked by hand; where a number comes from elsewhere the comment says where), and
//! every SIMD kernel against its scalar twin on small and odd sizes. The other kernels are
//! in `pointwise.rs`.

use trainer::backend::cpu::{conv, gemm, pool};
use trainer::backend::geometry::{Padding, Window2d};
use trainer::random::Rng;

pub fn close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len(), "lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "element {i}: {x} vs {y}\n got {a:?}\nwant {b:?}"
        );
    }
}

pub fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed, 5);
    (0..len).map(|_| rng.range(-1.0, 1.0)).collect()
}

// ---------------------------------------------------------------- gemm

#[test]
fn gemm_golden_2x3_times_3x2() {
    // [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [58 64; 139 154] (worked by hand).
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
    let want = [58.0, 64.0, 139.0, 154.0];
    for simd in [false, true] {
        let mut c = [0.0; 4];
        let (am, bm) = (gemm::MatRef::new(&a, 2, 3), gemm::MatRef::new(&b, 3, 2));
        if simd {
            gemm::gemm_simd(am.into(), bm, &mut c, false);
        } else {
            gemm::gemm_scalar(am.into(), bm, &mut c, false);
        }
        assert_eq!(c, want);
        // Accumulating adds the product again.
        gemm::gemm_simd(am.into(), bm, &mut c, true);
        assert_eq!(c, [116.0, 128.0, 278.0, 308.0]);
    }
}

#[test]
fn gemm_transposed_views_read_the_same_data() {
    // Aᵀ·B with A stored 3×2: A = [1 4; 2 5; 3 6] so Aᵀ = [1 2 3; 4 5 6], as above.
    let a_t = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
    let b = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
    let mut c = [0.0; 4];
    gemm::gemm_simd(
        gemm::MatRef::new(&a_t, 3, 2).t().into(),
        gemm::MatRef::new(&b, 3, 2),
        &mut c,
        false,
    );
    assert_eq!(c, [58.0, 64.0, 139.0, 154.0]);
}

#[test]
fn gemm_simd_equals_scalar_on_odd_sizes_and_all_transposes() {
    let sizes = [1, 3, 7, 17, 65];
    for &m in &sizes {
        for &k in &sizes {
            for &n in &[1, 3, 8, 17, 65] {
                for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                    let a = random(m * k, (m * 31 + k) as u64);
                    let b = random(k * n, (k * 17 + n) as u64);
                    let am = if ta {
                        gemm::MatRef::new(&a, k, m).t()
                    } else {
                        gemm::MatRef::new(&a, m, k)
                    };
                    let bm = if tb {
                        gemm::MatRef::new(&b, n, k).t()
                    } else {
                        gemm::MatRef::new(&b, k, n)
                    };
                    let init = random(m * n, 9);
                    let (mut simd, mut scalar) = (init.clone(), init.clone());
                    gemm::gemm_simd(am.into(), bm, &mut simd, true);
                    gemm::gemm_scalar(am.into(), bm, &mut scalar, true);
                    close(&simd, &scalar, 1e-5);
                }
            }
        }
    }
}

#[test]
fn gemm_deeper_than_one_packed_block() {
    // k = 600 crosses the 256-deep blocks; n = 530 crosses the 512-wide ones.
    let (m, k, n) = (9, 600, 530);
    let a = random(m * k, 1);
    let b = random(k * n, 2);
    let (mut simd, mut scalar) = (vec![0.0; m * n], vec![0.0; m * n]);
    gemm::gemm_simd(
        gemm::MatRef::new(&a, m, k).into(),
        gemm::MatRef::new(&b, k, n),
        &mut simd,
        false,
    );
    gemm::gemm_scalar(
        gemm::MatRef::new(&a, m, k).into(),
        gemm::MatRef::new(&b, k, n),
        &mut scalar,
        false,
    );
    close(&simd, &scalar, 1e-4);
}

// ---------------------------------------------------------------- convolution

fn window(input: [usize; 4], k: usize, stride: usize, pad: Padding, dil: usize) -> Window2d {
    Window2d::new(input, (k, k), (stride, stride), (dil, dil), pad).unwrap()
}

#[test]
fn window_sizes_follow_the_formula() {
    // (W − F + 2P)/S + 1: 9×9 with a 3×3 filter gives 7×7 without padding (TEACHING.md).
    let g = window([1, 9, 9, 1], 3, 1, Padding::Valid, 1);
    assert_eq!((g.out_h, g.out_w), (7, 7));
    // "same" keeps the size at stride 1 and gives ceil(W/S) at stride 2.
    let g = window([1, 9, 9, 1], 3, 1, Padding::Same, 1);
    assert_eq!((g.out_h, g.pad_top, g.pad_h), (9, 1, 2));
    let g = window([1, 28, 28, 1], 5, 2, Padding::Same, 1);
    assert_eq!(g.out_h, 14);
    // Dilation 2 spreads a 3×3 filter over 5×5: (9 − 5)/1 + 1 = 5.
    let g = window([1, 9, 9, 1], 3, 1, Padding::Valid, 2);
    assert_eq!(g.out_h, 5);
    // Explicit padding 1, stride 2: (28 − 3 + 2)/2 + 1 = 14.
    let g = window([1, 28, 28, 1], 3, 2, Padding::Explicit(1, 1), 1);
    assert_eq!(g.out_h, 14);
    let err = Window2d::new([1, 2, 2, 8], (5, 5), (1, 1), (1, 1), Padding::Valid).unwrap_err();
    assert_eq!(
        err,
        "output height (2 − 5 + 0) / 1 + 1 ≤ 0: the input is smaller than the window"
    );
}

#[test]
fn im2col_golden() {
    // 3×3 image 1..9, 2×2 window: rows are the four 2×2 patches, row-major.
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let g = window([1, 3, 3, 1], 2, 1, Padding::Valid, 1);
    let mut cols = vec![0.0; 16];
    conv::im2col(&x, &g, &mut cols);
    assert_eq!(
        cols,
        [1., 2., 4., 5., 2., 3., 5., 6., 4., 5., 7., 8., 5., 6., 8., 9.]
    );
}

#[test]
fn conv2d_forward_golden_edge_kernel() {
    // Kernel [1 0; 0 −1] on 1..9 gives x[i][j] − x[i+1][j+1] = −4 everywhere; bias 0.5.
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let w = [1.0, 0.0, 0.0, -1.0];
    let g = window([1, 3, 3, 1], 2, 1, Padding::Valid, 1);
    let mut y = vec![0.0; 4];
    conv::conv2d_forward(&x, &w, &[0.5], &g, 1, &mut y);
    assert_eq!(y, [-3.5; 4]);
}

#[test]
fn conv2d_same_padding_golden() {
    // A 3×3 box filter with "same" padding on a 3×3 image of ones counts the in-image
    // neighbours: 4 in corners, 6 on edges, 9 in the centre.
    let x = [1.0; 9];
    let w = [1.0; 9];
    let g = window([1, 3, 3, 1], 3, 1, Padding::Same, 1);
    let mut y = vec![0.0; 9];
    conv::conv2d_forward(&conv::pad_input(&x, &g), &w, &[0.0], &g, 1, &mut y);
    assert_eq!(y, [4., 6., 4., 6., 9., 6., 4., 6., 4.]);
}

#[test]
fn conv2d_two_channels_in_and_out() {
    // 1×1 convolution mixes channels: out0 = 1·c0 + 2·c1, out1 = 3·c0 + 4·c1.
    // Weights [F_h, F_w, C_in, C_out] = [[1, 3], [2, 4]] (c_in major, c_out minor).
    let x = [1.0, 10.0, 2.0, 20.0]; // two pixels, channels (1, 10) and (2, 20)
    let w = [1.0, 3.0, 2.0, 4.0];
    let g = window([1, 1, 2, 2], 1, 1, Padding::Valid, 1);
    let mut y = vec![0.0; 4];
    conv::conv2d_forward(&x, &w, &[0.0, 0.0], &g, 2, &mut y);
    assert_eq!(y, [21.0, 43.0, 42.0, 86.0]);
}

#[test]
fn implicit_gemm_equals_im2col_then_gemm() {
    // Forward and weight gradient read the im2col matrix through offset tables; they must
    // equal building it with im2col and multiplying, for every kind of geometry.
    let cases = [
        ([2, 9, 8, 3], 3, 1, Padding::Valid, 1),
        ([2, 9, 8, 3], 3, 2, Padding::Same, 1),
        ([1, 10, 9, 2], 3, 1, Padding::Explicit(2, 1), 2),
        ([3, 7, 7, 1], 5, 1, Padding::Same, 1),
        ([1, 12, 11, 5], 2, 3, Padding::Valid, 1),
    ];
    for (input, k, s, pad, dil) in cases {
        let g = window(input, k, s, pad, dil);
        let out_c = 6;
        let x = random(input.iter().product(), 1);
        let w = random(g.patch_len() * out_c, 2);
        let rows = g.batch * g.out_positions();
        let mut cols = vec![0.0; rows * g.patch_len()];
        conv::im2col(&x, &g, &mut cols);
        let cols_m = gemm::MatRef::new(&cols, rows, g.patch_len());
        let mut want = vec![0.0; rows * out_c];
        gemm::gemm_scalar(
            cols_m.into(),
            gemm::MatRef::new(&w, g.patch_len(), out_c),
            &mut want,
            false,
        );
        let padded = conv::pad_input(&x, &g);
        let mut got = vec![0.0; rows * out_c];
        conv::conv2d_forward(&padded, &w, &vec![0.0; out_c], &g, out_c, &mut got);
        close(&got, &want, 1e-5);

        let dy = random(rows * out_c, 3);
        let mut want_dw = vec![0.0; w.len()];
        gemm::gemm_scalar(
            cols_m.t().into(),
            gemm::MatRef::new(&dy, rows, out_c),
            &mut want_dw,
            false,
        );
        let (mut dw, mut db) = (vec![0.0; w.len()], vec![0.0; out_c]);
        conv::conv2d_backward_weight(&padded, &dy, &g, out_c, &mut dw, &mut db);
        close(&dw, &want_dw, 1e-4);
    }
}

#[test]
fn col2im_adds_overlapping_contributions() {
    // All-ones cols for a 2×2 window over 3×3: each input counts the windows covering it.
    let g = window([1, 3, 3, 1], 2, 1, Padding::Valid, 1);
    let mut dx = vec![0.0; 9];
    conv::col2im(&[1.0; 16], &g, &mut dx);
    assert_eq!(dx, [1., 2., 1., 2., 4., 2., 1., 2., 1.]);
}

#[test]
fn conv2d_backward_weight_golden() {
    // dW = colsᵀ·dy; with dy = 1 everywhere, dW[tap] = Σ of the inputs that tap saw:
    // tap (0,0) sees 1+2+4+5 = 12, (0,1) 2+3+5+6 = 16, (1,0) 24, (1,1) 28; db = 4.
    let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    let g = window([1, 3, 3, 1], 2, 1, Padding::Valid, 1);
    let (mut dw, mut db) = (vec![0.0; 4], vec![0.0; 1]);
    conv::conv2d_backward_weight(&x, &[1.0; 4], &g, 1, &mut dw, &mut db);
    assert_eq!((dw, db), (vec![12.0, 16.0, 24.0, 28.0], vec![4.0]));
}

// ---------------------------------------------------------------- pooling

#[test]
fn max_and_avg_pool_golden() {
    // 4×4 image 1..16, 2×2 windows, stride 2.
    let x: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let g = window([1, 4, 4, 1], 2, 2, Padding::Valid, 1);
    let mut y = vec![0.0; 4];
    pool::max_pool2d_forward(&x, &g, &mut y);
    assert_eq!(y, [6.0, 8.0, 14.0, 16.0]);
    pool::avg_pool2d_forward(&x, &g, &mut y);
    assert_eq!(y, [3.5, 5.5, 11.5, 13.5]);
    let mut dx = vec![0.0; 16];
    pool::avg_pool2d_backward(&[4.0; 4], &g, &mut dx);
    assert_eq!(dx, [1.0; 16]);
}

#[test]
fn max_pool_ties_go_to_the_first_maximum_in_row_major_order() {
    // Window [5 5; 5 1]: three tied maxima; the top-left one gets the whole gradient.
    let x = [5.0, 5.0, 5.0, 1.0];
    let g = window([1, 2, 2, 1], 2, 2, Padding::Valid, 1);
    let mut dx = vec![0.0; 4];
    pool::max_pool2d_backward(&x, &[5.0], &[1.0], &g, &mut dx);
    assert_eq!(dx, [1.0, 0.0, 0.0, 0.0]);
    // Window [1 7; 7 7]: the first maximum scanning row by row is top-right.
    let x = [1.0, 7.0, 7.0, 7.0];
    pool::max_pool2d_backward(&x, &[7.0], &[2.0], &g, &mut dx);
    assert_eq!(dx, [0.0, 2.0, 0.0, 0.0]);
    // The same with 4 channels on the SIMD path: each channel's first maximum.
    let g = window([1, 2, 2, 4], 2, 2, Padding::Valid, 1);
    let x = [
        5.0, 1.0, 2.0, 0.0, // tap (0,0), channels 0..4
        5.0, 3.0, 2.0, 0.0, // tap (0,1)
        1.0, 3.0, 9.0, 0.0, // tap (1,0)
        5.0, 3.0, 2.0, 0.0, // tap (1,1)
    ];
    let mut dx = vec![0.0; 16];
    pool::max_pool2d_backward_simd(&x, &[5.0, 3.0, 9.0, 0.0], &[1.0; 4], &g, &mut dx);
    let mut want = [0.0; 16];
    want[0] = 1.0; // channel 0: tap (0,0)
    want[4 + 1] = 1.0; // channel 1: tap (0,1)
    want[8 + 2] = 1.0; // channel 2: tap (1,0)
    want[3] = 1.0; // channel 3: all zero, first tap
    assert_eq!(dx, want);
}

#[test]
fn overlapping_max_pool_gradients_add_up() {
    // 1×3 input [1 9 2], window 1×2 stride 1: both windows pick the 9.
    let x = [1.0, 9.0, 2.0];
    let g = Window2d::new([1, 1, 3, 1], (1, 2), (1, 1), (1, 1), Padding::Valid).unwrap();
    let mut y = vec![0.0; 2];
    pool::max_pool2d_forward(&x, &g, &mut y);
    assert_eq!(y, [9.0, 9.0]);
    let mut dx = vec![0.0; 3];
    pool::max_pool2d_backward(&x, &y, &[1.0, 3.0], &g, &mut dx);
    assert_eq!(dx, [0.0, 4.0, 0.0]);
}

#[test]
fn pool_simd_equals_scalar_on_odd_channel_counts() {
    for &c in &[1, 3, 4, 5, 7, 17, 65] {
        for (k, s) in [(2, 2), (3, 2), (3, 1)] {
            let g = window([2, 7, 6, c], k, s, Padding::Valid, 1);
            let x = random(2 * 7 * 6 * c, c as u64);
            let out = 2 * g.out_positions() * c;
            let (mut a, mut b) = (vec![0.0; out], vec![0.0; out]);
            pool::max_pool2d_forward_simd(&x, &g, &mut a);
            pool::max_pool2d_forward_scalar(&x, &g, &mut b);
            assert_eq!(a, b, "max pool, {c} channels, window {k} stride {s}");
            let dy = random(out, 77);
            let (mut da, mut db) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            pool::max_pool2d_backward_simd(&x, &a, &dy, &g, &mut da);
            pool::max_pool2d_backward_scalar(&x, &a, &dy, &g, &mut db);
            assert_eq!(
                da, db,
                "max pool backward, {c} channels, window {k} stride {s}"
            );
            pool::avg_pool2d_forward_simd(&x, &g, &mut a);
            pool::avg_pool2d_forward_scalar(&x, &g, &mut b);
            close(&a, &b, 1e-6);
        }
    }
}

#[test]
fn max_pool_simd_keeps_the_first_of_tied_values() {
    // Ties are exact in SIMD too: pooling equal values returns that value.
    let g = window([1, 2, 2, 4], 2, 2, Padding::Valid, 1);
    let x = [3.0; 16];
    let mut y = vec![0.0; 4];
    pool::max_pool2d_forward_simd(&x, &g, &mut y);
    assert_eq!(y, [3.0; 4]);
}
