//! Benchmarks that print figures: the same code natively (`cargo run --release --example
//! bench`) and in headless Chromium (`tests/bench_browser.rs`), one JSON object per line.
//!
//! Every measurement warms up first (V8 compiles wasm in tiers, so the first calls run
//! slower code) and then repeats until a minimum time has passed.

use serde::Serialize;

mod turns;
pub use turns::cpu_training_interleaved;

use std::sync::Arc;

use crate::backend::cpu::gemm::{gemm, MatRef};
use crate::backend::cpu::threads;
use crate::backend::ops;
use crate::clock::now_ms;
use crate::data::{Dataset, ImageSet};
use crate::error::Result;
use crate::nn::presets::Preset;
use crate::random::Rng;
use crate::tensor::{Device, Tensor};
use crate::train::{TrainConfig, TrainEvent, Trainer};

/// One line of benchmark output.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub bench: &'static str,
    pub backend: String,
    pub env: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    pub batch: usize,
    /// CPU threads the kernels ran on (1 for GPU records: the host side is one thread).
    pub threads: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gflops: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples_per_s: Option<f64>,
    pub ms_per_iter: f64,
    pub iters: usize,
    /// GPU compute dispatches per training step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispatches_per_step: Option<f64>,
    /// For figures taken in turn with other thread counts ([`cpu_training_interleaved`]):
    /// how many blocks of steps this count ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<usize>,
    /// For figures taken in turn: the median over the rounds of this count's figure over
    /// the first count's in the same round (a load that comes and goes hits a few rounds
    /// and moves the median little; the figure itself is over all the blocks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_speedup: Option<f64>,
}

/// "native" or "browser".
pub fn env() -> &'static str {
    if cfg!(target_arch = "wasm32") {
        "browser"
    } else {
        "native"
    }
}

/// Runs `f` until `warm_ms` have passed, then until `min_ms` more have, returning
/// (iterations, milliseconds) of the measured part.
fn measure(warm_ms: f64, min_ms: f64, mut f: impl FnMut()) -> (usize, f64) {
    let start = now_ms();
    while now_ms() - start < warm_ms {
        f();
    }
    let (start, mut iters) = (now_ms(), 0);
    while iters == 0 || now_ms() - start < min_ms {
        f();
        iters += 1;
    }
    (iters, now_ms() - start)
}

/// GFLOP/s of `C = op(A)·op(B)` for an `m×k · k×n` product.
pub fn gemm_record(m: usize, k: usize, n: usize, ta: bool, label: &str, min_ms: f64) -> Record {
    let mut rng = Rng::new(1, 1);
    let a: Vec<f32> = (0..m * k).map(|_| rng.range(-1.0, 1.0)).collect();
    let b: Vec<f32> = (0..k * n).map(|_| rng.range(-1.0, 1.0)).collect();
    let mut c = vec![0.0; m * n];
    let a_view = if ta {
        MatRef::new(&a, k, m).t()
    } else {
        MatRef::new(&a, m, k)
    };
    let (iters, ms) = measure(min_ms / 4.0, min_ms, || {
        gemm(a_view, MatRef::new(&b, k, n), &mut c, false)
    });
    Record {
        bench: "gemm",
        backend: "cpu".into(),
        env: env(),
        model: None,
        shape: Some(format!(
            "{label}{m}x{k}x{n}{}",
            if ta { " (Aᵀ)" } else { "" }
        )),
        batch: 0,
        threads: threads::threads(),
        gflops: Some(2.0 * (m * k * n) as f64 * iters as f64 / (ms * 1e6)),
        samples_per_s: None,
        ms_per_iter: ms / iters as f64,
        iters,
        dispatches_per_step: None,
        blocks: None,
        median_speedup: None,
    }
}

/// GFLOP/s of one convolution kernel (implicit GEMM forward, weight gradient, or input
/// gradient) on `[batch, h, w, c]` with `k×k` filters, valid padding, stride 1.
pub fn conv_record(
    input: [usize; 4],
    k: usize,
    out_c: usize,
    pass: &'static str,
    min_ms: f64,
) -> Record {
    use crate::backend::cpu::conv;
    use crate::backend::geometry::{Padding, Window2d};
    let g = Window2d::new(input, (k, k), (1, 1), (1, 1), Padding::Valid).expect("valid geometry");
    let mut rng = Rng::new(3, 3);
    let mut random = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.range(-1.0, 1.0)).collect() };
    let x = random(input.iter().product());
    let w = random(g.patch_len() * out_c);
    let out = g.batch * g.out_positions() * out_c;
    let (mut y, dy) = (vec![0.0; out], random(out));
    let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; out_c], vec![0.0; x.len()]);
    let bias = vec![0.0; out_c];
    let (iters, ms) = measure(min_ms / 4.0, min_ms, || match pass {
        "forward" => conv::conv2d_forward(&x, &w, &bias, &g, out_c, &mut y),
        "weight grad" => conv::conv2d_backward_weight(&x, &dy, &g, out_c, &mut dw, &mut db),
        _ => conv::conv2d_backward_input(&dy, &w, &g, out_c, &mut dx),
    });
    let flops = 2.0 * (g.batch * g.out_positions() * g.patch_len() * out_c) as f64;
    Record {
        bench: "conv2d",
        backend: "cpu".into(),
        env: env(),
        model: None,
        shape: Some(format!(
            "{pass} {}x{}x{}x{} k{k} -> {out_c}",
            input[0], input[1], input[2], input[3]
        )),
        batch: input[0],
        threads: threads::threads(),
        gflops: Some(flops * iters as f64 / (ms * 1e6)),
        samples_per_s: None,
        ms_per_iter: ms / iters as f64,
        iters,
        dispatches_per_step: None,
        blocks: None,
        median_speedup: None,
    }
}

/// The products one training step of the default CNN performs at batch 64.
pub fn default_cnn_gemm_shapes() -> Vec<(usize, usize, usize, bool, &'static str)> {
    vec![
        (64 * 24 * 24, 25, 8, false, "conv1 forward "),
        (25, 64 * 24 * 24, 8, true, "conv1 weight grad "),
        (64 * 8 * 8, 200, 16, false, "conv2 forward "),
        (200, 64 * 8 * 8, 16, true, "conv2 weight grad "),
        (64 * 8 * 8, 16, 200, false, "conv2 input grad "),
        (64, 256, 10, false, "dense forward "),
    ]
}

/// The two large products of one MLP 784-128-10 training step at batch 64.
pub fn mlp_gemm_shapes() -> Vec<(usize, usize, usize, bool, &'static str)> {
    vec![
        (64, 784, 128, false, "mlp forward "),
        (784, 64, 128, true, "mlp weight grad "),
    ]
}

/// A dataset of `n` random 28×28 images with random labels: throughput does not depend on
/// what the pixels show.
pub fn synthetic_dataset(n: usize, seed: u64) -> Dataset {
    synthetic_images(n, seed, [28, 28, 1])
}

/// `n` random images of `shape` (`[rows, cols, channels]`) in 10 classes.
pub fn synthetic_images(n: usize, seed: u64, shape: [usize; 3]) -> Dataset {
    let mut rng = Rng::new(seed, 9);
    let size = shape.iter().product::<usize>();
    let mut set = || ImageSet {
        rows: shape[0],
        cols: shape[1],
        channels: shape[2],
        classes: 10,
        images: (0..n * size).map(|_| rng.below(256) as u8).collect(),
        labels: (0..n).map(|_| rng.below(10) as u8).collect(),
    };
    let (train, test) = (set(), set());
    Dataset {
        name: "synthetic".into(),
        class_names: (0..10).map(|d| d.to_string()).collect(),
        train,
        test,
    }
}

/// Training throughput of the real training loop (batching, forward, backward, Adam, weight
/// averaging) on synthetic 28×28 images, on `device`; epoch ends (a small validation pass)
/// are included. On a GPU the clock stops only after the GPU has finished.
pub async fn train_record(
    preset: Preset,
    batch: usize,
    device: &Device,
    min_ms: f64,
) -> Result<Record> {
    train_record_on(preset, [28, 28, 1], batch, device, min_ms).await
}

/// [`train_record`] on random images of `shape` (e.g. 32×32×3 colour photos).
pub async fn train_record_on(
    preset: Preset,
    shape: [usize; 3],
    batch: usize,
    device: &Device,
    min_ms: f64,
) -> Result<Record> {
    let mut trainer = bench_trainer(preset, shape, batch, device)?;
    // Warm up: compile pipelines, fill buffer pools, let V8 tier up.
    train_for(&mut trainer, min_ms / 4.0).await?;
    let (iters, ms, dispatches) = train_for(&mut trainer, min_ms).await?;
    Ok(Record {
        bench: "train",
        backend: backend_name(device),
        env: env(),
        model: Some(preset.name().into()),
        shape: (shape != [28, 28, 1]).then(|| format!("{}x{}x{}", shape[0], shape[1], shape[2])),
        batch,
        threads: threads::threads(),
        gflops: None,
        samples_per_s: Some((batch * iters) as f64 / (ms / 1e3)),
        ms_per_iter: ms / iters as f64,
        iters,
        dispatches_per_step: (!dispatches.is_empty())
            .then(|| dispatches.iter().sum::<u64>() as f64 / dispatches.len() as f64),
        blocks: None,
        median_speedup: None,
    })
}

/// A trainer of `preset` on random images of `shape`, 100 batches an epoch.
pub(crate) fn bench_trainer(
    preset: Preset,
    shape: [usize; 3],
    batch: usize,
    device: &Device,
) -> Result<Trainer> {
    let dataset = Arc::new(synthetic_images(100 * batch + batch, 2, shape));
    // As many epochs as a run may have: the benchmark stops on time, never at the end.
    let mut config = TrainConfig::for_preset(preset, crate::train::config::MAX_EPOCHS, 1);
    config.model = preset.spec_for(&shape, 10);
    config.batch_size = batch;
    config.split.validation = batch;
    Trainer::on_device(config, dataset, device.clone())
}

/// Trains for at least `ms` milliseconds, then waits for the device: (steps, milliseconds,
/// dispatches of each step whose figures came back).
pub(crate) async fn train_for(trainer: &mut Trainer, ms: f64) -> Result<(usize, f64, Vec<u64>)> {
    let (start, mut steps, mut dispatches) = (now_ms(), 0, Vec::new());
    while steps == 0 || now_ms() - start < ms {
        let mut events = trainer.step().await?;
        steps += 1;
        if now_ms() - start >= ms {
            events.extend(trainer.sync().await?);
        }
        for event in events {
            if let TrainEvent::Step(s) = event {
                dispatches.extend(s.dispatches);
            }
        }
    }
    Ok((steps, now_ms() - start, dispatches))
}

fn backend_name(device: &Device) -> String {
    match device {
        Device::Cpu => "cpu".into(),
        Device::WebGpu(ctx) => format!("webgpu ({})", ctx.adapter.name),
    }
}

/// GFLOP/s of an `m×k · k×n` product on the GPU (tiled GEMM kernel).
pub async fn gpu_gemm_record(
    device: &Device,
    m: usize,
    k: usize,
    n: usize,
    min_ms: f64,
) -> Result<Record> {
    let mut rng = Rng::new(1, 1);
    let mut random = |len: usize| -> Vec<f32> { (0..len).map(|_| rng.range(-1.0, 1.0)).collect() };
    let a = Tensor::from_vec_on([m, k], random(m * k), device)?;
    let b = Tensor::from_vec_on([k, n], random(k * n), device)?;
    let mut c = Tensor::zeros_on([m, n], device);
    let finish = |c: &Tensor| {
        let probe = c.clone();
        async move { ops::read_scalars(&[&ops::sum(&probe)?]).await.map(|_| ()) }
    };
    ops::matmul_acc(&a, false, &b, false, &mut c)?;
    finish(&c).await?;
    let (start, mut iters) = (now_ms(), 0);
    while iters == 0 || now_ms() - start < min_ms {
        // A few products per read-back, so the GPU works while the host records.
        for _ in 0..4 {
            ops::matmul_acc(&a, false, &b, false, &mut c)?;
            iters += 1;
        }
        finish(&c).await?;
    }
    let ms = now_ms() - start;
    Ok(Record {
        bench: "gemm",
        backend: backend_name(device),
        env: env(),
        model: None,
        shape: Some(format!("{m}x{k}x{n}")),
        batch: 0,
        threads: threads::threads(),
        gflops: Some(2.0 * (m * k * n) as f64 * iters as f64 / (ms * 1e6)),
        samples_per_s: None,
        ms_per_iter: ms / iters as f64,
        iters,
        dispatches_per_step: None,
        blocks: None,
        median_speedup: None,
    })
}

/// The colour photos the benchmarks train on: 32×32 RGB, as CIFAR-10.
pub const COLOUR: [usize; 3] = [32, 32, 3];

/// The GPU suite: GEMM at 256³ and `big`³, then training throughput of the default CNN and
/// the MLP at batch 64 (and at `train_batch`, which real GPUs need to be busy).
pub async fn gpu_suite(
    device: &Device,
    big: usize,
    train_batch: usize,
    min_ms: f64,
    mut emit: impl FnMut(&Record),
) -> Result<()> {
    emit(&gpu_gemm_record(device, 256, 256, 256, min_ms).await?);
    if big > 256 {
        emit(&gpu_gemm_record(device, big, big, big, min_ms).await?);
    }
    for preset in [Preset::DefaultCnn, Preset::Mlp] {
        emit(&train_record(preset, 64, device, min_ms * 2.0).await?);
        if train_batch != 64 {
            emit(&train_record(preset, train_batch, device, min_ms * 2.0).await?);
        }
    }
    emit(&train_record_on(Preset::ColourCnn, COLOUR, 64, device, min_ms * 2.0).await?);
    Ok(())
}

/// Training throughput of the default CNN and the MLP at batch 64 on the CPU, at each of
/// `thread_counts` in turn (a list like 1, 2, 1, 2 takes ratios on a machine whose speed
/// drifts). Leaves one thread set.
pub async fn cpu_training_suite(
    min_ms: f64,
    thread_counts: &[usize],
    mut emit: impl FnMut(&Record),
) -> Result<()> {
    for &n in thread_counts {
        if threads::set_threads(n) != n {
            continue;
        }
        for preset in [Preset::DefaultCnn, Preset::Mlp] {
            emit(&train_record(preset, 64, &Device::Cpu, min_ms * 2.0).await?);
        }
    }
    threads::set_threads(1);
    Ok(())
}

/// The thread counts the CPU suite runs with: 1, 2, then doubling up to the machine's
/// `available` threads, and `available` itself.
pub fn thread_counts(available: usize) -> Vec<usize> {
    let mut counts: Vec<usize> = std::iter::successors(Some(1), |n| Some(n * 2))
        .take_while(|&n| n <= available.max(1))
        .collect();
    if *counts.last().unwrap_or(&1) != available && available > 1 {
        counts.push(available);
    }
    counts
}

/// The CPU suite at each of `thread_counts`: GEMM 256³ and the default CNN's and MLP's
/// products as plain matrices, the default CNN's convolutions as the kernels training uses,
/// then training throughput of the default CNN and the MLP at batch 64. Each record names
/// its `threads`. Calls `emit` with each record as it completes; leaves one thread set.
pub async fn cpu_suite(
    min_ms: f64,
    thread_counts: &[usize],
    mut emit: impl FnMut(&Record),
) -> Result<()> {
    for &n in thread_counts {
        if threads::set_threads(n) != n {
            continue;
        }
        emit(&gemm_record(256, 256, 256, false, "", min_ms));
        for (m, k, n, ta, label) in default_cnn_gemm_shapes()
            .into_iter()
            .chain(mlp_gemm_shapes())
        {
            emit(&gemm_record(m, k, n, ta, label, min_ms));
        }
        for (input, out_c, passes) in [
            ([64, 28, 28, 1], 8, &["forward", "weight grad"][..]),
            (
                [64, 12, 12, 8],
                16,
                &["forward", "weight grad", "input grad"][..],
            ),
        ] {
            for pass in passes {
                emit(&conv_record(input, 5, out_c, pass, min_ms));
            }
        }
        cpu_training_suite(min_ms, &[n], &mut emit).await?;
        threads::set_threads(n);
        emit(&train_record_on(Preset::ColourCnn, COLOUR, 64, &Device::Cpu, min_ms * 2.0).await?);
    }
    threads::set_threads(1);
    Ok(())
}
