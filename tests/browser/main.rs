//! Tests that run inside headless Chromium through wasm-bindgen-test:
//! `cargo test --target wasm32-unknown-unknown --test browser` (scripts/test.sh sets the driver).
//! They prove the core behaves the same compiled to wasm as natively.
#![cfg(target_arch = "wasm32")]

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use trainer::data::idx::{self, IdxImages};
use trainer::data::{assemble_files, gzip::decode_maybe_gzip};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[wasm_bindgen_test]
fn idx_files_parse_in_the_browser() {
    let images = IdxImages {
        count: 2,
        rows: 28,
        cols: 28,
        pixels: (0..2 * 784).map(|i| (i % 251) as u8).collect(),
    };
    let files = vec![
        (
            "train-images.gz".to_string(),
            gzip(&idx::encode_images(&images)),
        ),
        (
            "train-labels.gz".to_string(),
            gzip(&idx::encode_labels(&[3, 9])),
        ),
    ];
    let d = assemble_files("wasm", files).unwrap();
    assert_eq!(d.train.len(), 2);
    assert_eq!(d.train.image(1), &images.pixels[784..]);
}

#[wasm_bindgen_test]
fn bad_files_are_rejected_in_the_browser() {
    let z = gzip(&idx::encode_labels(&[1, 2, 3, 4, 5, 6, 7, 8]));
    let msg = decode_maybe_gzip("cut.gz", &z[..z.len() - 12], 1 << 20)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("truncated gzip data"), "{msg}");
    let msg = idx::parse_labels("l", &idx::encode_labels(&[10]), 10)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("label 10 at index 0"), "{msg}");
}

// ---------------------------------------------------------------- the CPU engine in wasm

use trainer::backend::cpu::{gemm, pool};
use trainer::backend::geometry::{Padding, Window2d};
use trainer::data::batch::one_hot;
use trainer::nn::gradcheck::{check_model, GradCheckOptions};
use trainer::nn::{LayerSpec, Loss, Mode, ModelSpec, Sequential};
use trainer::random::Rng;
use trainer::tensor::Tensor;

fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed, 5);
    (0..len).map(|_| rng.range(-1.0, 1.0)).collect()
}

#[wasm_bindgen_test]
fn simd128_gemm_equals_scalar_on_odd_sizes() {
    for &m in &[1, 3, 7, 17, 65] {
        for &k in &[1, 3, 17, 65] {
            for &n in &[1, 7, 8, 17, 65] {
                for ta in [false, true] {
                    let a = random(m * k, (m + 7 * k) as u64);
                    let b = random(k * n, (k + 3 * n) as u64);
                    let am = if ta {
                        gemm::MatRef::new(&a, k, m).t()
                    } else {
                        gemm::MatRef::new(&a, m, k)
                    };
                    let bm = gemm::MatRef::new(&b, k, n);
                    let (mut simd, mut scalar) = (vec![0.5; m * n], vec![0.5; m * n]);
                    gemm::gemm_simd(am.into(), bm, &mut simd, true);
                    gemm::gemm_scalar(am.into(), bm, &mut scalar, true);
                    for (x, y) in simd.iter().zip(&scalar) {
                        assert!(
                            (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                            "{m}x{k}x{n}: {x} vs {y}"
                        );
                    }
                }
            }
        }
    }
}

#[wasm_bindgen_test]
fn simd128_pooling_equals_scalar_on_odd_channel_counts() {
    for &c in &[1, 3, 5, 7, 17, 65] {
        let g = Window2d::new([2, 7, 5, c], (3, 3), (2, 2), (1, 1), Padding::Valid).unwrap();
        let x = random(2 * 7 * 5 * c, c as u64);
        let out = 2 * g.out_positions() * c;
        let (mut a, mut b) = (vec![0.0; out], vec![0.0; out]);
        pool::max_pool2d_forward_simd(&x, &g, &mut a);
        pool::max_pool2d_forward_scalar(&x, &g, &mut b);
        assert_eq!(a, b);
        let dy = random(out, 3);
        let (mut da, mut db) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        pool::max_pool2d_backward_simd(&x, &a, &dy, &g, &mut da);
        pool::max_pool2d_backward_scalar(&x, &a, &dy, &g, &mut db);
        assert_eq!(da, db);
        pool::avg_pool2d_forward_simd(&x, &g, &mut a);
        pool::avg_pool2d_forward_scalar(&x, &g, &mut b);
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() < 1e-6);
        }
    }
}

#[wasm_bindgen_test]
fn gradient_check_passes_in_the_browser() {
    let spec = ModelSpec::new(
        vec![6, 6, 2],
        vec![
            LayerSpec::Conv2d {
                filters: 3,
                kernel: [3, 3],
                stride: [1, 1],
                padding: Padding::Same,
                dilation: [1, 1],
                init: Default::default(),
            },
            LayerSpec::Tanh,
            LayerSpec::AvgPool2d {
                window: [2, 2],
                stride: [2, 2],
            },
            LayerSpec::Flatten,
            LayerSpec::Dense {
                units: 4,
                init: Default::default(),
            },
        ],
    );
    let mut model = Sequential::build(&spec, 1).unwrap();
    let x = Tensor::from_vec([2, 6, 6, 2], random(144, 4)).unwrap();
    let targets = one_hot(&[1, 3], 4);
    let report = check_model(
        &mut model,
        &Loss::default(),
        &x,
        &targets,
        Mode::Train { seed: 1 },
        GradCheckOptions::default(),
    )
    .unwrap();
    assert!(report.max_rel_error() < 1e-3, "{report:?}");
}

#[path = "../common/repro.rs"]
mod repro;

#[wasm_bindgen_test]
async fn the_loss_curve_is_bit_identical_to_the_native_one() {
    // The fixture was recorded by the native test `training::the_same_seed_gives_…`.
    let recorded: Vec<u32> = serde_json::from_str(repro::FIXTURE).unwrap();
    assert_eq!(repro::loss_bits().await, recorded);
}

#[wasm_bindgen_test]
async fn webgpu_in_the_browser_trains_like_the_cpu() {
    // Chromium's WebGPU (SwiftShader here): conv, batch norm, pooling, dropout, noise, tanh,
    // Adam and GPU-side augmentation, against the CPU run of the same seed.
    let ctx = trainer::backend::webgpu::GpuContext::new()
        .await
        .expect("headless Chromium offers WebGPU (SwiftShader)");
    let on_gpu = repro::losses_on(trainer::tensor::Device::WebGpu(ctx)).await;
    let on_cpu = repro::losses_on(trainer::tensor::Device::Cpu).await;
    assert_eq!(on_gpu.len(), 24);
    for (step, (c, g)) in on_cpu.iter().zip(&on_gpu).enumerate() {
        assert!(
            (c - g).abs() <= 2e-3 * c.abs().max(1.0),
            "step {step}: CPU {c} vs WebGPU {g}"
        );
    }
}
