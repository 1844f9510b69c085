//! Backends: where tensors live and kernels run. `ops` is the one API the layers use; it
//! checks shapes once and dispatches on the tensors' device to `cpu` (and later `webgpu`),
//! whose kernels are named alike.

pub mod cpu;
pub mod geometry;
pub mod ops;
pub mod webgpu;

use serde::{Deserialize, Serialize};

/// The element-wise nonlinearities that have a kernel of their own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Activation {
    Relu,
    LeakyRelu { alpha: f32 },
    Sigmoid,
    Tanh,
}
