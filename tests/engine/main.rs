//! The engine on the CPU: kernels, gradient checks, model specs, IDX data, the training loop
//! and the coach. One test binary (`cargo test --test engine`); each file is a module.

#[path = "../common/mod.rs"]
mod common;

mod coach;
mod data_idx;
mod gradcheck;
mod kernels;
mod model_spec;
mod pointwise;
mod threads;
mod training;
