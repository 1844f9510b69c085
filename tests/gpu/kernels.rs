//! Every GPU kernel equals its CPU twin on random inputs of awkward sizes, twice: natively
//! through wgpu (lavapipe, Mesa's Vulkan on the CPU, in `make test`) and in headless Chromium's
//! WebGPU (SwiftShader) through wasm-bindgen-test
//! (`cargo test --target wasm32-unknown-unknown --test gpu`). Natively, without any
//! adapter, these tests say "skipped: no adapter" — unless REQUIRE_GPU is set, as
//! scripts/test.sh sets it. In the browser a missing adapter is always a failure.
//!
//! Tolerance: 1e-4 relative (plus 1e-5 absolute) unless stated; sums differ in order.

use std::sync::Arc;

use trainer::backend::geometry::{Padding, Window2d};
use trainer::backend::ops::{self, UpdateRule};
use trainer::backend::webgpu::GpuContext;
use trainer::backend::Activation;
use trainer::data::batch::one_hot;
use trainer::random::Rng;
use trainer::tensor::{Device, Tensor};

/// Each test is an `async fn`; this makes it a `#[test]` natively (blocking on it) and a
/// `#[wasm_bindgen_test]` in the browser, under the same name.
macro_rules! gpu_tests {
    ($($name:ident),* $(,)?) => {
        #[cfg(not(target_arch = "wasm32"))]
        mod native {
            $(#[test]
            fn $name() {
                pollster::block_on(super::$name())
            })*
        }
        #[cfg(target_arch = "wasm32")]
        mod browser {
            wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
            $(#[wasm_bindgen_test::wasm_bindgen_test]
            async fn $name() {
                super::$name().await
            })*
        }
    };
}

gpu_tests!(
    matmul_all_transposes_and_odd_sizes,
    linear_adds_the_bias,
    conv2d_forward_and_both_backwards,
    pooling_forward_and_backward_with_overlapping_windows,
    max_pool_ties_follow_the_same_rule,
    activations_and_softmax,
    batch_norm_statistics_apply_and_backward,
    dropout_draws_the_same_mask_and_noise_the_same_numbers,
    losses_and_accuracy,
    reductions,
    element_wise_updates,
    every_optimizer_update,
    writes_never_change_a_shared_tensor,
    every_matmul_kernel_whatever_the_heuristics_choose,
    every_convolution_kernel_whatever_the_heuristics_choose,
);

/// The shared GPU, or None (and a message) when there is no adapter.
#[cfg(not(target_arch = "wasm32"))]
async fn gpu() -> Option<Device> {
    static GPU: std::sync::OnceLock<Option<Arc<GpuContext>>> = std::sync::OnceLock::new();
    GPU.get_or_init(|| {
        let ctx = crate::common::gpu();
        if let Some(ctx) = &ctx {
            eprintln!("GPU tests on {}", ctx.adapter);
        }
        ctx
    })
    .clone()
    .map(Device::WebGpu)
}

/// The browser's GPU, created once per page; headless Chromium always has SwiftShader.
#[cfg(target_arch = "wasm32")]
async fn gpu() -> Option<Device> {
    thread_local! {
        static GPU: std::cell::RefCell<Option<Arc<GpuContext>>> = const { std::cell::RefCell::new(None) };
    }
    if let Some(ctx) = GPU.with(|g| g.borrow().clone()) {
        return Some(Device::WebGpu(ctx));
    }
    let ctx = GpuContext::new().await.expect("WebGPU adapter in Chromium");
    GPU.with(|g| *g.borrow_mut() = Some(ctx.clone()));
    Some(Device::WebGpu(ctx))
}

fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = Rng::new(seed, 11);
    let n = shape.iter().product();
    Tensor::from_vec(
        shape.to_vec(),
        (0..n).map(|_| rng.range(-1.0, 1.0)).collect(),
    )
    .unwrap()
}

async fn assert_close(what: &str, gpu: &Tensor, cpu: &Tensor, tol: f32) {
    assert_eq!(gpu.shape(), cpu.shape(), "{what}: shapes");
    let (g, c) = (gpu.read().await.unwrap(), cpu.read().await.unwrap());
    for (i, (a, b)) in g.iter().zip(&c).enumerate() {
        assert!(
            (a - b).abs() <= tol * b.abs() + 1e-5,
            "{what}: element {i}: GPU {a} vs CPU {b}"
        );
    }
}

/// Runs `op` on the CPU and on the GPU with the same inputs and compares every output.
async fn same(what: &str, inputs: &[Tensor], tol: f32, op: impl Fn(&[Tensor]) -> Vec<Tensor>) {
    let Some(device) = gpu().await else { return };
    let cpu_out = op(inputs);
    let on_gpu: Vec<Tensor> = inputs
        .iter()
        .map(|t| t.to_device(&device).unwrap())
        .collect();
    let gpu_out = op(&on_gpu);
    for (k, (g, c)) in gpu_out.iter().zip(&cpu_out).enumerate() {
        assert!(!g.is_cpu(), "{what}: output {k} stayed on the GPU");
        assert_close(&format!("{what}, output {k}"), g, c, tol).await;
    }
}

async fn matmul_all_transposes_and_odd_sizes() {
    for &(m, k, n) in &[
        (1, 1, 1),
        (3, 7, 5),
        (17, 65, 9),
        (65, 130, 70),
        (128, 33, 129),
    ] {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = random(&if ta { [k, m] } else { [m, k] }, (m * k) as u64);
            let b = random(&if tb { [n, k] } else { [k, n] }, (k * n) as u64 + 1);
            let c0 = random(&[m, n], 3);
            same(
                &format!("matmul {m}x{k}x{n} {ta} {tb}"),
                &[a, b, c0],
                1e-4,
                |t| {
                    let mut acc = t[2].clone();
                    ops::matmul_acc(&t[0], ta, &t[1], tb, &mut acc).unwrap();
                    vec![ops::matmul(&t[0], ta, &t[1], tb).unwrap(), acc]
                },
            )
            .await;
        }
    }
}

async fn linear_adds_the_bias() {
    let (x, w, b) = (random(&[37, 50], 1), random(&[50, 11], 2), random(&[11], 3));
    same("linear", &[x, w, b], 1e-4, |t| {
        vec![ops::linear(&t[0], &t[1], &t[2]).unwrap()]
    })
    .await;
}

fn geometries() -> Vec<(Window2d, usize)> {
    let w = |input, k, s, pad, d| Window2d::new(input, (k, k), (s, s), (d, d), pad).unwrap();
    vec![
        (w([2, 9, 8, 3], 3, 1, Padding::Valid, 1), 5),
        (w([3, 7, 7, 1], 5, 1, Padding::Same, 1), 8),
        (w([2, 9, 8, 3], 3, 2, Padding::Same, 1), 4),
        (w([1, 10, 9, 2], 3, 1, Padding::Explicit(2, 1), 2), 6),
        (w([2, 12, 11, 5], 2, 3, Padding::Valid, 1), 3),
        (w([4, 28, 28, 1], 5, 1, Padding::Valid, 1), 8),
        // Four-channel kernels (C_in and C_out divisible by 4), strided and dilated too.
        (w([2, 12, 12, 8], 5, 1, Padding::Valid, 1), 16),
        (w([2, 11, 10, 4], 3, 2, Padding::Same, 2), 8),
        // Tiled kernels (64 channels and more).
        (w([1, 6, 7, 64], 3, 1, Padding::Same, 1), 64),
    ]
}

async fn conv2d_forward_and_both_backwards() {
    for (g, out_c) in geometries() {
        let x = random(&[g.batch, g.in_h, g.in_w, g.channels], 1);
        let w = random(&[g.k_h, g.k_w, g.channels, out_c], 2);
        let b = random(&[out_c], 3);
        let dy = random(&[g.batch, g.out_h, g.out_w, out_c], 4);
        let (dw0, db0) = (random(w.shape(), 5), random(&[out_c], 6));
        same(
            &format!("conv2d {g:?}"),
            &[x, w, b, dy, dw0, db0],
            1e-4,
            |t| {
                let (y, saved) = ops::conv2d_forward(&t[0], &t[1], &t[2], &g).unwrap();
                let (mut dw, mut db) = (t[4].clone(), t[5].clone());
                ops::conv2d_backward_weight(&saved, &t[3], &g, &mut dw, &mut db).unwrap();
                let dx = ops::conv2d_backward_input(&t[3], &t[1], &g).unwrap();
                vec![y, dw, db, dx]
            },
        )
        .await;
    }
}

async fn pooling_forward_and_backward_with_overlapping_windows() {
    for (k, s, c) in [(2, 2, 3), (3, 2, 5), (3, 1, 1), (2, 1, 8)] {
        let g = Window2d::new([2, 9, 7, c], (k, k), (s, s), (1, 1), Padding::Valid).unwrap();
        let x = random(&[2, 9, 7, c], k as u64);
        let dy = random(&[2, g.out_h, g.out_w, c], 9);
        same(&format!("pool k{k} s{s} c{c}"), &[x, dy], 1e-5, |t| {
            let y = ops::max_pool2d_forward(&t[0], &g).unwrap();
            let dx = ops::max_pool2d_backward(&t[0], &y, &t[1], &g).unwrap();
            let ya = ops::avg_pool2d_forward(&t[0], &g).unwrap();
            let dxa = ops::avg_pool2d_backward(&t[1], &g).unwrap();
            vec![y, dx, ya, dxa]
        })
        .await;
    }
}

async fn max_pool_ties_follow_the_same_rule() {
    // Every window all equal: the first tap gets the gradient on both devices.
    let x = Tensor::full([1, 4, 4, 2], 3.0);
    let dy = random(&[1, 2, 2, 2], 1);
    let g = Window2d::new([1, 4, 4, 2], (2, 2), (2, 2), (1, 1), Padding::Valid).unwrap();
    same("pool ties", &[x, dy], 0.0, |t| {
        let y = ops::max_pool2d_forward(&t[0], &g).unwrap();
        vec![ops::max_pool2d_backward(&t[0], &y, &t[1], &g).unwrap()]
    })
    .await;
}

async fn activations_and_softmax() {
    let x = random(&[7, 13], 1);
    let dy = random(&[7, 13], 2);
    for kind in [
        Activation::Relu,
        Activation::LeakyRelu { alpha: 0.1 },
        Activation::Sigmoid,
        Activation::Tanh,
    ] {
        same(&format!("{kind:?}"), &[x.clone(), dy.clone()], 1e-5, |t| {
            let y = ops::activation_forward(kind, &t[0]).unwrap();
            let dx = ops::activation_backward(kind, &y, &t[1]).unwrap();
            vec![y, dx]
        })
        .await;
    }
    same("softmax", &[x, dy], 1e-5, |t| {
        let y = ops::softmax_forward(&t[0]).unwrap();
        let dx = ops::softmax_backward(&y, &t[1]).unwrap();
        vec![y, dx]
    })
    .await;
}

async fn batch_norm_statistics_apply_and_backward() {
    for shape in [vec![37, 6], vec![3, 5, 4, 7]] {
        let c = *shape.last().unwrap();
        let x = random(&shape, 1);
        let dy = random(&shape, 2);
        let gamma = random(&[c], 3);
        let beta = random(&[c], 4);
        let (dg, db) = (random(&[c], 5), random(&[c], 6));
        same(
            &format!("batch norm {shape:?}"),
            &[x, dy, gamma, beta, dg, db],
            1e-4,
            |t| {
                let (mean, var) = ops::channel_moments(&t[0]).unwrap();
                let y = ops::batch_norm_apply(&t[0], &t[2], &t[3], &mean, &var, 1e-3).unwrap();
                let (mut dg, mut db) = (t[4].clone(), t[5].clone());
                let dx = ops::batch_norm_backward(
                    &t[0], &t[1], &t[2], &mean, &var, 1e-3, &mut dg, &mut db,
                )
                .unwrap();
                vec![mean, var, y, dx, dg, db]
            },
        )
        .await;
    }
}

async fn dropout_draws_the_same_mask_and_noise_the_same_numbers() {
    let x = random(&[1001], 1);
    same("dropout", std::slice::from_ref(&x), 1e-6, |t| {
        let y = ops::dropout_forward(&t[0], 0.3, 77).unwrap();
        let dx = ops::dropout_backward(&t[0], 0.3, 77).unwrap();
        vec![y, dx]
    })
    .await;
    // The GPU's log and cos are not libm's. WGSL lets cos be off by 2^-11 absolutely, so a
    // Box–Muller draw stddev·sqrt(-2 ln u)·cos(2πv) may be off by stddev·6.7·2^-11 < 2e-3
    // (u ≥ 2^-32); a different draw would be off by about stddev.
    let Some(device) = gpu().await else { return };
    let on_cpu = ops::gaussian_noise(&x, 0.5, 9).unwrap();
    let on_gpu = ops::gaussian_noise(&x.to_device(&device).unwrap(), 0.5, 9).unwrap();
    let (c, g) = (on_cpu.read().await.unwrap(), on_gpu.read().await.unwrap());
    for (i, (a, b)) in g.iter().zip(&c).enumerate() {
        assert!(
            (a - b).abs() < 2e-3,
            "gaussian noise {i}: GPU {a} vs CPU {b}"
        );
    }
}

async fn losses_and_accuracy() {
    // Any number of classes a dataset may have: 2 to 100.
    for classes in [2usize, 3, 10, 37, 100] {
        let scores = random(&[37, classes], 1);
        let labels: Vec<u8> = (0..37).map(|i| (i * 7 % classes) as u8).collect();
        let targets = one_hot(&labels, classes);
        same(
            &format!("losses, {classes} classes"),
            &[scores, targets],
            1e-4,
            |t| {
                let (l1, g1) = ops::softmax_cross_entropy(&t[0], &t[1], 0.1).unwrap();
                let (l2, g2) = ops::mean_squared_error(&t[0], &t[1]).unwrap();
                let (l3, g3) = ops::hinge(&t[0], &t[1]).unwrap();
                let correct = ops::count_correct(&t[0], &t[1]).unwrap();
                let y = ops::softmax_forward(&t[0]).unwrap();
                let dx = ops::softmax_backward(&y, &t[1]).unwrap();
                vec![l1, g1, l2, g2, l3, g3, correct, y, dx]
            },
        )
        .await;
    }
}

async fn reductions() {
    let x = random(&[1000, 3], 1);
    let out = random(&[3], 2);
    same("reductions", &[x, out], 1e-4, |t| {
        let mut acc = t[1].clone();
        ops::column_sums_acc(&t[0], &mut acc).unwrap();
        vec![
            ops::sum(&t[0]).unwrap(),
            ops::sum_abs(&t[0]).unwrap(),
            ops::sum_squares(&t[0]).unwrap(),
            acc,
        ]
    })
    .await;
}

async fn element_wise_updates() {
    let (y, x) = (random(&[513], 1), random(&[513], 2));
    let (m, r) = (random(&[19, 27], 4), random(&[19, 27], 5));
    same("element-wise", &[y, x, m, r], 1e-6, |t| {
        let (mut a, mut b, mut c, mut e) = (t[0].clone(), t[0].clone(), t[0].clone(), t[0].clone());
        ops::axpy(&mut a, 0.5, &t[1]).unwrap();
        ops::add_sign(&mut b, 0.25, &t[1]).unwrap();
        ops::scale_add(&mut c, 0.9, 0.1, &t[1]).unwrap();
        ops::scale(&mut e, -3.0).unwrap();
        let mut z = t[0].clone();
        ops::fill_zero(&mut z).unwrap();
        vec![
            a,
            b,
            c,
            e,
            z,
            ops::mul(&t[2], &t[3]).unwrap(),
            t[0].clone(),
            {
                // Averaging towards weights of which about half are exactly zero.
                let mut f = t[0].clone();
                let sparse = ops::activation_forward(Activation::Relu, &t[1]).unwrap();
                ops::scale_add_keep_zeros(&mut f, 0.9, 0.1, &sparse).unwrap();
                f
            },
        ]
    })
    .await;
}

async fn every_optimizer_update() {
    let rules = [
        UpdateRule::Sgd,
        UpdateRule::Momentum { mu: 0.9 },
        UpdateRule::Nesterov { mu: 0.9 },
        UpdateRule::Adagrad { eps: 1e-7 },
        UpdateRule::Rmsprop {
            rho: 0.9,
            eps: 1e-7,
        },
        UpdateRule::Adadelta {
            rho: 0.95,
            eps: 1e-6,
        },
        UpdateRule::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            c1: 10.0,
            c2: 1000.0,
            decay: 0.01,
        },
    ];
    // Each with and without L1's proximal step (5.0 zeroes a few percent of these weights).
    for (rule, l1) in rules.into_iter().flat_map(|r| [(r, 0.0), (r, 5.0)]) {
        let inputs = [
            random(&[301], 1),
            random(&[301], 2),
            random(&[301], 3).abs_for_test(),
            random(&[301], 4).abs_for_test(),
        ];
        same(&format!("{rule:?}, l1 {l1}"), &inputs, 1e-5, |t| {
            let mut p = t[0].clone();
            let mut state: Vec<Tensor> = t[2..2 + rule.state_len()].to_vec();
            // Two steps, so the state written by the first is read by the second.
            ops::optimizer_step(rule, &mut p, &t[1], &mut state, 0.01, l1).unwrap();
            ops::optimizer_step(rule, &mut p, &t[1], &mut state, 0.01, l1).unwrap();
            let mut out = vec![p];
            out.extend(state);
            out
        })
        .await;
    }
}

async fn writes_never_change_a_shared_tensor() {
    // Copy-on-write on the GPU as on the CPU: a snapshot taken before an update keeps its
    // values (the trainer's "last good weights" rely on it).
    let Some(device) = gpu().await else { return };
    let p = random(&[100], 1).to_device(&device).unwrap();
    let g = random(&[100], 2).to_device(&device).unwrap();
    let snapshot = p.clone();
    let mut live = p;
    ops::optimizer_step(UpdateRule::Sgd, &mut live, &g, &mut [], 0.1, 0.0).unwrap();
    assert_close("snapshot", &snapshot, &random(&[100], 1), 0.0).await;
    assert_ne!(live.read().await.unwrap(), snapshot.read().await.unwrap());
}

trait AbsForTest {
    fn abs_for_test(self) -> Tensor;
}

impl AbsForTest for Tensor {
    /// Optimizer second moments are non-negative.
    fn abs_for_test(self) -> Tensor {
        let v: Vec<f32> = self.to_vec().iter().map(|x| x.abs()).collect();
        Tensor::from_vec(self.shape().to_vec(), v).unwrap()
    }
}

/// Runs one kernel variant directly on the GPU and returns its output.
fn run_variant(
    device: &Device,
    out_shape: &[usize],
    f: impl FnOnce(&GpuContext, &wgpu::Buffer),
) -> Tensor {
    let Device::WebGpu(ctx) = device else {
        unreachable!()
    };
    let out = Tensor::zeros_on(out_shape.to_vec(), device);
    f(ctx, out.gpu_buffer());
    out
}

async fn every_matmul_kernel_whatever_the_heuristics_choose() {
    use trainer::backend::webgpu::ops::{
        matmul, matmul_direct, matmul_vec4, MatmulKernel, MatmulParams,
    };
    let Some(device) = gpu().await else { return };
    for &(m, k, n) in &[(7, 13, 4), (65, 70, 68), (128, 33, 12)] {
        let (a, b, bias) = (random(&[m, k], 1), random(&[k, n], 2), random(&[n], 3));
        let want = ops::linear(&a, &b, &bias).unwrap();
        let (ga, gb, gbias) = (
            a.to_device(&device).unwrap(),
            b.to_device(&device).unwrap(),
            bias.to_device(&device).unwrap(),
        );
        let p = MatmulParams {
            m: m as u32,
            n: n as u32,
            k: k as u32,
            a_rs: k as u32,
            a_cs: 1,
            b_rs: n as u32,
            b_cs: 1,
            accumulate: 0,
            has_bias: 1,
            _pad: [0; 3],
        };
        let kernels: [(&str, MatmulKernel); 3] = [
            ("tiled", matmul),
            ("direct", matmul_direct),
            ("vec4", matmul_vec4),
        ];
        for (name, kernel) in kernels {
            let got = run_variant(&device, &[m, n], |ctx, c| {
                kernel(
                    ctx,
                    p,
                    ga.gpu_buffer(),
                    gb.gpu_buffer(),
                    c,
                    Some(gbias.gpu_buffer()),
                )
                .unwrap()
            });
            assert_close(&format!("matmul {name} {m}x{k}x{n}"), &got, &want, 1e-4).await;
        }
    }
}

async fn every_convolution_kernel_whatever_the_heuristics_choose() {
    use trainer::backend::webgpu::ops as g;
    let Some(device) = gpu().await else { return };
    for (geo, out_c) in geometries() {
        let x = random(&[geo.batch, geo.in_h, geo.in_w, geo.channels], 1);
        let w = random(&[geo.k_h, geo.k_w, geo.channels, out_c], 2);
        let b = random(&[out_c], 3);
        let dy = random(&[geo.batch, geo.out_h, geo.out_w, out_c], 4);
        let (y_want, _) = ops::conv2d_forward(&x, &w, &b, &geo).unwrap();
        let dx_want = ops::conv2d_backward_input(&dy, &w, &geo).unwrap();
        let on = |t: &Tensor| t.to_device(&device).unwrap();
        let (gx, gw, gb, gdy) = (on(&x), on(&w), on(&b), on(&dy));
        let y_shape = y_want.shape().to_vec();
        let mut forwards: Vec<(&str, g::ConvKernel)> = vec![
            ("tiled", g::conv2d_forward),
            ("direct", g::conv2d_forward_direct),
        ];
        if out_c % 4 == 0 {
            forwards.push(("vec4", g::conv2d_forward_vec4));
        }
        for (name, kernel) in forwards {
            let got = run_variant(&device, &y_shape, |ctx, y| {
                kernel(
                    ctx,
                    &geo,
                    out_c,
                    gx.gpu_buffer(),
                    gw.gpu_buffer(),
                    gb.gpu_buffer(),
                    y,
                )
                .unwrap()
            });
            assert_close(&format!("conv forward {name} {geo:?}"), &got, &y_want, 1e-4).await;
        }
        let mut inputs: Vec<(&str, g::ConvGradKernel)> = vec![
            ("tiled", g::conv2d_backward_input),
            ("direct", g::conv2d_backward_input_direct),
        ];
        if out_c % 4 == 0 && geo.channels % 4 == 0 {
            inputs.push(("vec4", g::conv2d_backward_input_vec4));
        }
        for (name, kernel) in inputs {
            let got = run_variant(&device, x.shape(), |ctx, dx| {
                kernel(ctx, &geo, out_c, gdy.gpu_buffer(), gw.gpu_buffer(), dx).unwrap()
            });
            assert_close(
                &format!("conv input grad {name} {geo:?}"),
                &got,
                &dx_want,
                1e-4,
            )
            .await;
        }
    }
}
