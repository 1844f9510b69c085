//! The GPU: every kernel against its CPU twin, training on the GPU, every WGSL shader through
//! naga. Natively (`cargo test --test gpu`, lavapipe in `make test`) all three; in headless
//! Chromium (`cargo test --target wasm32-unknown-unknown --test gpu`) the kernels.

#[cfg(not(target_arch = "wasm32"))]
#[path = "../common/mod.rs"]
mod common;

mod kernels;
#[cfg(not(target_arch = "wasm32"))]
mod shaders;
#[cfg(not(target_arch = "wasm32"))]
mod training;
