//! The benchmark command, browser half: the same suite as `examples/bench.rs`, compiled to
//! wasm (simd128, one thread) and run in headless Chromium by wasm-bindgen-test:
//! `cargo test --release --target wasm32-unknown-unknown --test bench_browser -- --nocapture`
//! (`make bench` runs it). Each JSON line is printed to the runner's output.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn print(r: &trainer::bench::Record) {
    console_log!("{}", serde_json::to_string(r).expect("records serialise"))
}

#[wasm_bindgen_test]
async fn cpu_suite_in_the_browser() {
    trainer::bench::cpu_suite(1500.0, &[1], print)
        .await
        .expect("benchmarks run");
}

#[wasm_bindgen_test]
async fn webgpu_suite_in_the_browser() {
    match trainer::backend::webgpu::GpuContext::new().await {
        Ok(ctx) => {
            let device = trainer::tensor::Device::WebGpu(ctx);
            trainer::bench::gpu_suite(&device, 256, 64, 3000.0, print)
                .await
                .expect("benchmarks run");
        }
        Err(e) => console_log!("skipped: no adapter ({e})"),
    }
}
