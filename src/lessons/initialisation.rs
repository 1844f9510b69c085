//! Initialisation: the same deep tanh network started from zeros, from weights too small or
//! too large, and from Xavier/Glorot and He. What the first batch's activations look like
//! layer by layer decides whether the network can learn at all.

use super::lab::LabRun;
use super::optimizers::race_config;
use crate::nn::{Init, LayerSpec, ModelSpec};
use crate::optim::OptimizerSpec;
use crate::train::{LrSchedule, TrainConfig};

/// Hidden tanh layers of the network.
pub const DEPTH: usize = 4;

/// A 784-64-64-64-64-10 tanh network with every dense layer initialised by `init`.
pub fn deep_tanh(init: Init) -> ModelSpec {
    let mut layers = vec![LayerSpec::Flatten];
    for _ in 0..DEPTH {
        layers.push(LayerSpec::Dense { units: 64, init });
        layers.push(LayerSpec::Tanh);
    }
    layers.push(LayerSpec::Dense { units: 10, init });
    layers.push(LayerSpec::Softmax);
    ModelSpec::new(vec![28, 28, 1], layers)
}

/// The initialisations compared, with the name the lesson gives each.
pub fn inits() -> [(&'static str, Init); 5] {
    [
        ("zeros", Init::Zeros),
        ("too small (σ = 0.01)", Init::Normal(0.01)),
        ("too large (σ = 1)", Init::Normal(1.0)),
        ("Xavier/Glorot", Init::GlorotNormal),
        ("He", Init::HeNormal),
    ]
}

/// One run per initialisation; SGD with momentum, so the optimizer does not hide a bad
/// start by rescaling each weight's steps the way Adam would.
pub fn init_runs(images: usize, epochs: usize, seed: u64) -> Vec<LabRun> {
    let mut base: TrainConfig = race_config(images, epochs, seed);
    base.optimizer = OptimizerSpec::Momentum { momentum: 0.9 };
    base.lr = LrSchedule::constant(0.01);
    inits()
        .into_iter()
        .map(|(name, init)| {
            let mut config = base.clone();
            config.model = deep_tanh(init);
            LabRun::new(name.to_string(), config)
        })
        .collect()
}
