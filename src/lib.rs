//! The trainer's core: datasets, tensors, CPU and WebGPU backends, layers, optimizers and
//! the training loop. Everything outside `app` and `worker` compiles natively and to wasm32,
//! so the same code is tested with `cargo test` and runs in the browser.

pub mod data;
pub mod error;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod worker;

pub use error::{Error, Result};
