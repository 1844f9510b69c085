//! The convolution explorer teaches what a Conv2D layer computes: these tests hold it to
//! the facts the lesson states.

use trainer::backend::geometry::{Padding, Window2d};
use trainer::lessons::convolution::{
    explore, formula, parameter_counts, step, window, KernelPreset, Setup,
};
use trainer::random::Rng;

fn image(h: usize, w: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed, 0);
    (0..h * w).map(|_| rng.uniform()).collect()
}

fn setup(
    kernel: KernelPreset,
    size: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
) -> Setup {
    Setup {
        image: image(28, 28, 1),
        height: 28,
        width: 28,
        kernel: kernel.weights(size),
        size,
        stride,
        padding,
        dilation,
    }
}

#[test]
fn the_identity_kernel_returns_the_image() {
    for size in [3, 5] {
        let s = setup(KernelPreset::Identity, size, 1, size / 2, 1);
        let out = explore(&s).unwrap();
        assert_eq!((out.feature.height, out.feature.width), (28, 28));
        assert_eq!(out.feature.values, s.image, "{size}×{size}");
    }
}

#[test]
fn the_formula_gives_the_size_the_engine_produces() {
    for size in [3, 5] {
        for stride in 1..=3 {
            for padding in 0..=2 {
                for dilation in 1..=3 {
                    let s = setup(KernelPreset::Blur, size, stride, padding, dilation);
                    let text = formula(28, size, stride, padding, dilation);
                    let out = explore(&s).unwrap();
                    assert!(
                        text.ends_with(&format!("= {}", out.feature.height)),
                        "{text} vs {}",
                        out.feature.height
                    );
                    assert_eq!(out.feature.width, out.feature.height);
                }
            }
        }
    }
    assert_eq!(
        formula(28, 3, 1, 1, 1),
        "⌊(28 + 2·1 − 1·(3 − 1) − 1) / 1⌋ + 1 = 28"
    );
    assert!(formula(4, 5, 1, 0, 2).contains("no output"));
}

#[test]
fn each_output_is_the_sum_of_its_window_products() {
    let s = setup(KernelPreset::Emboss, 3, 2, 1, 2);
    let g = window(&s).unwrap();
    let out = explore(&s).unwrap();
    for oy in 0..g.out_h {
        for ox in 0..g.out_w {
            let (taps, sum) = step(&s, &g, oy, ox);
            assert_eq!(taps.len(), 9);
            let at = out.feature.values[oy * g.out_w + ox];
            assert!((sum - at).abs() < 1e-5, "({oy},{ox}): {sum} vs {at}");
        }
    }
    // The corner window hangs over the padding: those taps read zeros.
    let (taps, _) = step(&s, &g, 0, 0);
    assert!(taps[0].source.is_none() && taps[0].product == 0.0);
}

#[test]
fn relu_then_max_pool_equals_max_pool_then_relu_exactly() {
    for seed in 0..20 {
        let mut s = setup(KernelPreset::VerticalEdge, 3, 1, 0, 1);
        s.image = image(28, 28, seed);
        let mut rng = Rng::new(seed, 1);
        s.kernel = (0..9).map(|_| rng.uniform() - 0.5).collect();
        let out = explore(&s).unwrap();
        assert_eq!(out.relu_pool_gap, Some(0.0));
        let max = out.max_pool.unwrap();
        let avg = out.avg_pool.unwrap();
        assert_eq!((max.height, max.width), (13, 13));
        // Max pooling keeps the largest of each 2×2 block; the average is never above it.
        assert!(max.values.iter().zip(&avg.values).all(|(m, a)| m >= a));
    }
}

#[test]
fn an_edge_kernel_finds_an_edge_and_ignores_flat_regions() {
    // Left half paper, right half ink: one vertical edge.
    let mut s = setup(KernelPreset::VerticalEdge, 3, 1, 0, 1);
    s.image = (0..28 * 28)
        .map(|i| if i % 28 >= 14 { 1.0 } else { 0.0 })
        .collect();
    let out = explore(&s).unwrap();
    let w = out.feature.width;
    let row: Vec<f32> = out.feature.values[5 * w..6 * w].to_vec();
    assert_eq!(row[0], 0.0, "flat paper");
    assert_eq!(row[w - 1], 0.0, "flat ink");
    assert_eq!(row[12], 4.0, "the edge: 1 + 2 + 1");
    let horizontal = explore(&Setup {
        kernel: KernelPreset::HorizontalEdge.weights(3),
        ..s
    })
    .unwrap();
    assert!(
        horizontal.feature.values.iter().all(|&v| v == 0.0),
        "no horizontal edge"
    );
}

#[test]
fn presets_are_centred_in_bigger_kernels() {
    for preset in KernelPreset::ALL {
        let w = preset.weights(5);
        assert_eq!(w.len(), 25);
        if preset != KernelPreset::Blur {
            let three = preset.weights(3);
            assert_eq!(w[6..9], three[0..3], "{}", preset.name());
            assert_eq!(w[0], 0.0);
        }
    }
    let blur: f32 = KernelPreset::Blur.weights(5).iter().sum();
    assert!((blur - 1.0).abs() < 1e-6);
}

#[test]
fn a_conv_layer_has_far_fewer_parameters_than_a_dense_one() {
    // 8 filters of 5×5 on 28×28×1 → 24×24×8.
    let (conv, dense) = parameter_counts(28, 28, 1, 5, 8, 24, 24);
    assert_eq!(conv, 5 * 5 * 8 + 8);
    assert_eq!(dense, 784 * 4608 + 4608);
}

#[test]
fn bad_setups_are_refused_with_the_reason() {
    let mut s = setup(KernelPreset::Blur, 5, 1, 0, 3);
    s.image = image(8, 8, 1);
    s.height = 8;
    s.width = 8;
    assert!(explore(&s)
        .unwrap_err()
        .contains("smaller than the dilated window"));
    s.kernel.pop();
    assert!(explore(&s).unwrap_err().contains("size × size"));
    // The explorer's window is the engine's own geometry.
    let g = window(&setup(KernelPreset::Blur, 3, 2, 1, 1)).unwrap();
    let engine = Window2d::new(
        [1, 28, 28, 1],
        (3, 3),
        (2, 2),
        (1, 1),
        Padding::Explicit(1, 1),
    )
    .unwrap();
    assert_eq!(g, engine);
}
