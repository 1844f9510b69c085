//! The WebGPU backend (wgpu: WebGPU in the browser, Vulkan natively). Every op of the CPU
//! backend has a kernel here of the same name: its WGSL in `shaders/<family>/`, its entry in
//! the kernel list (`kernels.rs`), its launcher in `ops/<family>.rs`; the tests check each
//! against its CPU twin.

mod context;
pub mod kernels;
pub mod ops;
mod readback;

pub use context::{AdapterSummary, GpuContext};
