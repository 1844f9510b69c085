//! The GPU side of every op, one module per folder of `shaders/`: a typed params struct per
//! shader (the same field order as its WGSL `struct Params`), a launcher per kernel that
//! records its dispatch (named after its entry point, which is named after the CPU kernel),
//! and, for an op with several kernels, the one function that picks which runs
//! (`matmul_kernel`, `conv2d_forward_kernel`, …). `backend::ops` checks shapes, makes the
//! tensors it writes in place unique (copy-on-write) and calls these for tensors on a GPU.
//!
//! Buffers are passed to `GpuContext::dispatch` in binding order: written ones first, then
//! those only read (see `kernels.rs`).

pub mod activation;
pub mod batchnorm;
pub mod conv;
pub mod data;
pub mod elementwise;
pub mod gemm;
pub mod loss;
pub mod optim;
pub mod pool;
pub mod random;
pub mod reduce;

pub use activation::*;
pub use batchnorm::*;
pub use conv::*;
pub use data::*;
pub use elementwise::*;
pub use gemm::*;
pub use loss::*;
pub use optim::*;
pub use pool::*;
pub use random::*;
pub use reduce::*;
