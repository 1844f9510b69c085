//! The WebGPU backend (wgpu: WebGPU in the browser, Vulkan natively). Every op of the CPU
//! backend has a kernel here of the same name, its WGSL in `shaders/<family>/`; the tests
//! check each against its CPU twin.

mod context;
pub mod kernels;
pub mod ops;
mod readback;

pub use context::{AdapterSummary, GpuContext};
