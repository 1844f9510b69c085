//! The CPU backend: the reference every GPU kernel is tested against, and what learners
//! without WebGPU train on. Kernels work on slices; `backend::ops` checks shapes and
//! dispatches to them. The hot kernels (GEMM, pooling) use [`simd::F32x4`] (wasm simd128
//! or SSE) and each has a scalar twin that tests compare it with.

pub mod activation;
pub mod batchnorm;
pub mod buffers;
pub mod conv;
pub mod elementwise;
pub mod gemm;
pub mod loss;
pub mod optim;
pub mod pool;
pub mod random;
pub mod reduce;
pub mod simd;
pub mod threads;
