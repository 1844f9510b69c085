//! Helpers shared by the test suites (each suite's `main.rs` includes this module).
#![allow(dead_code)]

pub mod repro;

use std::sync::{Arc, OnceLock};

use trainer::data::{Builtin, Dataset};

/// A built-in dataset from the files `make data` serves under `www/data/{folder}`.
fn load(builtin: Builtin, folder: &str) -> Arc<Dataset> {
    let dir = format!("{}/www/data/{folder}", env!("CARGO_MANIFEST_DIR"));
    let files = builtin.files().map(|f| {
        std::fs::read(format!("{dir}/{f}"))
            .unwrap_or_else(|e| panic!("{dir}/{f}: {e} (run `make data` first)"))
    });
    Arc::new(builtin.assemble(files).unwrap())
}

/// Real MNIST (loaded once per test binary).
pub fn mnist() -> Arc<Dataset> {
    static MNIST: OnceLock<Arc<Dataset>> = OnceLock::new();
    MNIST.get_or_init(|| load(Builtin::Mnist, "mnist")).clone()
}

/// Real Fashion-MNIST, like [`mnist`].
pub fn fashion() -> Arc<Dataset> {
    static FASHION: OnceLock<Arc<Dataset>> = OnceLock::new();
    FASHION
        .get_or_init(|| load(Builtin::FashionMnist, "fashion-mnist"))
        .clone()
}

/// A new GPU context natively, or None (and a message) without an adapter; a failure instead
/// when REQUIRE_GPU is set, as scripts/test.sh sets it (lavapipe is installed there).
#[cfg(not(target_arch = "wasm32"))]
pub fn gpu() -> Option<Arc<trainer::backend::webgpu::GpuContext>> {
    match pollster::block_on(trainer::backend::webgpu::GpuContext::new()) {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            assert!(
                std::env::var("REQUIRE_GPU").is_err(),
                "REQUIRE_GPU is set but {e}"
            );
            eprintln!("skipped: no adapter ({e})");
            None
        }
    }
}
