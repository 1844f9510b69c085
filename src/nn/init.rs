//! Weight initialisers, all drawing from the model's one seeded generator.

use serde::{Deserialize, Serialize};

use crate::random::Rng;
use crate::tensor::Tensor;

/// How a weight tensor starts. `fan_in`/`fan_out` count the connections into and out of one
/// unit (for a conv: `F_h·F_w·C_in` and `F_h·F_w·C_out`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// He/Kaiming normal, std `√(2/fan_in)`: keeps ReLU activations' variance constant.
    #[default]
    HeNormal,
    /// He uniform, limit `√(6/fan_in)`.
    HeUniform,
    /// Xavier/Glorot normal, std `√(2/(fan_in + fan_out))`: for tanh and sigmoid.
    GlorotNormal,
    /// Xavier/Glorot uniform, limit `√(6/(fan_in + fan_out))`.
    GlorotUniform,
    /// All zeros: every unit computes the same thing and stays so (symmetry never breaks).
    Zeros,
    /// Every weight the same value.
    Constant(f32),
    /// Normal with a given standard deviation (e.g. "too small" initialisation).
    Normal(f32),
}

impl Init {
    /// A constant or σ a learner typed must be a finite, sensible number.
    pub fn validate(self) -> crate::Result<()> {
        match self {
            Init::Constant(v) => {
                crate::size::in_range("the constant initial weight", v, -100.0, 100.0)
            }
            Init::Normal(s) => crate::size::in_range("the initial weights' σ", s, 0.0, 100.0),
            _ => Ok(()),
        }
    }

    /// A tensor of `shape` drawn from this initialiser.
    pub fn tensor(self, shape: &[usize], fan_in: usize, fan_out: usize, rng: &mut Rng) -> Tensor {
        let len = shape.iter().product();
        let (fi, fo) = (fan_in as f32, fan_out as f32);
        let data: Vec<f32> = match self {
            Init::HeNormal => (0..len).map(|_| rng.normal() * (2.0 / fi).sqrt()).collect(),
            Init::HeUniform => {
                let limit = (6.0 / fi).sqrt();
                (0..len).map(|_| rng.range(-limit, limit)).collect()
            }
            Init::GlorotNormal => {
                let std = (2.0 / (fi + fo)).sqrt();
                (0..len).map(|_| rng.normal() * std).collect()
            }
            Init::GlorotUniform => {
                let limit = (6.0 / (fi + fo)).sqrt();
                (0..len).map(|_| rng.range(-limit, limit)).collect()
            }
            Init::Zeros => vec![0.0; len],
            Init::Constant(v) => vec![v; len],
            Init::Normal(std) => (0..len).map(|_| rng.normal() * std).collect(),
        };
        Tensor::from_vec(shape.to_vec(), data).expect("length matches shape")
    }
}
