//! The trainer's core: datasets, tensors, CPU and WebGPU backends, layers, optimizers and
//! the training loop. Everything outside `app` and `worker` compiles natively and to wasm32,
//! so the same code is tested with `cargo test` and runs in the browser.

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

#[cfg(target_arch = "wasm32")]
pub mod app;

pub use error::{Error, Result};
