//! Layers, losses, initialisers and the `Sequential` model.
//!
//! Every layer implements [`Layer`]: `forward(x, mode)` caches what backward needs;
//! `backward(dy)` returns `dx` and *adds* to its parameters' gradients (so gradients can be
//! accumulated over several batches). Each layer lives in its own file with its shapes and
//! its one-line math in the doc comment.

pub mod activation;
pub mod avgpool2d;
pub mod batchnorm;
pub mod conv2d;
pub mod dense;
pub mod dropout;
pub mod flatten;
pub mod gaussian_noise;
pub mod gradcheck;
pub mod init;
pub mod loss;
pub mod maxpool2d;
pub mod penalty;
pub mod presets;
pub mod sequential;
pub mod softmax;
pub mod spec;

pub use init::Init;
pub use loss::Loss;
pub use penalty::{Penalties, PenaltyTerms};
pub use sequential::Sequential;
pub use spec::{LayerConfig, LayerInfo, LayerSpec, ModelSpec};

use crate::error::Result;
use crate::random::derive_key;
use crate::tensor::Tensor;

/// Training or inference, passed explicitly to every forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Dropout and noise are on, batch norm uses batch statistics. `seed` identifies this
    /// step's random numbers (the trainer derives it from the run seed and the step).
    Train { seed: u64 },
    /// Everything deterministic: no dropout or noise, batch norm uses running averages.
    Eval,
}

impl Mode {
    /// The random stream of layer `salt` for this step, or None in evaluation.
    pub fn key(self, salt: u32) -> Option<u32> {
        match self {
            Mode::Train { seed } => Some(derive_key(seed, salt)),
            Mode::Eval => None,
        }
    }
}

/// What a parameter is, which decides whether weight penalties apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamRole {
    /// Dense and conv weights: regularised by L1/L2.
    Weight,
    /// Biases: not regularised (shrinking them does not reduce capacity).
    Bias,
    /// Batch norm's γ and β: not regularised.
    Scale,
    Shift,
}

/// A trainable tensor and its accumulated gradient.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: &'static str,
    pub role: ParamRole,
    pub value: Tensor,
    pub grad: Tensor,
}

impl Param {
    pub fn new(name: &'static str, role: ParamRole, value: Tensor) -> Param {
        let grad = value.zeros_like();
        Param {
            name,
            role,
            value,
            grad,
        }
    }
}

/// One layer of a [`Sequential`] model.
pub trait Layer {
    /// Computes the output; in training mode it keeps what `backward` needs.
    fn forward(&mut self, x: &Tensor, mode: Mode) -> Result<Tensor>;

    /// Given `dL/dy` for the last forward, adds to the parameter gradients and returns
    /// `dL/dx` — or `None` when `input_grad` is false and the layer could skip it (the first
    /// layer's input gradient is never used in training).
    fn backward(&mut self, dy: &Tensor, input_grad: bool) -> Result<Option<Tensor>>;

    /// The trainable parameters (empty for most layers).
    fn params(&self) -> Vec<&Param> {
        Vec::new()
    }

    fn params_mut(&mut self) -> Vec<&mut Param> {
        Vec::new()
    }

    /// State that is saved with the model but not trained (batch norm's running averages).
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut Tensor)> {
        Vec::new()
    }
}

/// The error a layer returns when backward comes before any forward.
pub(crate) fn no_forward(layer: &'static str) -> crate::Error {
    crate::Error::shape(layer, "backward called before forward")
}
