//! The trainer's core: datasets, tensors, CPU and WebGPU backends, layers, optimizers and
//! the training loop. Everything outside `app` and `worker` compiles natively and to wasm32,
//! so the same code is tested with `cargo test` and runs in the browser.

// The threaded worker build (scripts/build-threads.sh, nightly features through
// RUSTC_BOOTSTRAP like its -Z build-std) waits and wakes with wasm's atomic instructions.
#![cfg_attr(target_feature = "atomics", feature(stdarch_wasm_atomic_wait))]

pub mod backend;
pub mod bench;
pub mod clock;
pub mod data;
pub mod error;
pub mod fuzz;
pub mod heap;
pub mod io;
pub mod lessons;
pub mod nn;
pub mod optim;
pub mod random;
pub mod size;
pub mod tensor;
pub mod train;
pub mod ui;
pub mod worker;

/// The page; the threaded build is only ever the worker.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub mod app;

pub use error::{Error, Result};
