//! The benchmark command, native half: `cargo run --release --example bench [min_ms]`.
//! Prints one JSON object per line (see `trainer::bench`): the CPU suite, its training figures
//! again with the thread counts taken in turn, then the GPU suite
//! on the first Vulkan adapter (lavapipe here; any GPU elsewhere). `make bench` also runs
//! the browser half in headless Chromium.
//!
//! `--gpu-only --big 4096 --batch 512` sizes the GPU suite for a real GPU; `--threads 1,2`
//! chooses the CPU suite's thread counts (default: 1, 2, 4, … and all the machine's cores).

use trainer::backend::webgpu::GpuContext;
use trainer::tensor::Device;

fn print(r: &trainer::bench::Record) {
    println!("{}", serde_json::to_string(r).expect("records serialise"));
}

fn main() -> Result<(), trainer::Error> {
    let mut args = std::env::args().skip(1);
    let (mut min_ms, mut gpu_only, mut big, mut batch) = (1500.0, false, 256, 64);
    let mut thread_counts =
        trainer::bench::thread_counts(trainer::backend::cpu::threads::available());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--gpu-only" => gpu_only = true,
            "--big" => big = args.next().and_then(|v| v.parse().ok()).unwrap_or(big),
            "--batch" => batch = args.next().and_then(|v| v.parse().ok()).unwrap_or(batch),
            "--threads" => {
                let list = args.next().unwrap_or_default();
                thread_counts = list.split(',').filter_map(|v| v.parse().ok()).collect();
            }
            other => min_ms = other.parse().unwrap_or(min_ms),
        }
    }
    pollster::block_on(async {
        if !gpu_only {
            trainer::bench::cpu_suite(min_ms, &thread_counts, print).await?;
            if thread_counts.len() > 1 {
                // The training figures again, each count in turn (see the function).
                trainer::bench::cpu_training_interleaved(min_ms / 10.0, 20, &thread_counts, print)
                    .await?;
            }
        }
        match GpuContext::new().await {
            Ok(ctx) => {
                let device = Device::WebGpu(ctx);
                trainer::bench::gpu_suite(&device, big, batch, min_ms, print).await
            }
            Err(e) => {
                eprintln!("GPU suite skipped: {e}");
                Ok(())
            }
        }
    })
}
