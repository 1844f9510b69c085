//! The optimizer race: the same network from the same initial weights, trained by each
//! optimizer at its usual learning rate, loss curves overlaid.

use super::lab::LabRun;
use crate::data::split::SplitConfig;
use crate::nn::presets::Preset;
use crate::optim::OptimizerSpec;
use crate::train::{LrSchedule, TrainConfig};

/// The MLP (784-128-10) on `images` training images, batches of 32.
pub fn race_config(images: usize, epochs: usize, seed: u64) -> TrainConfig {
    let mut config = TrainConfig::for_preset(Preset::Mlp, epochs, seed);
    config.batch_size = 32;
    config.split = SplitConfig {
        validation: 1000,
        train_subset: Some(images),
    };
    config
}

/// One run per optimizer (SGD, Momentum, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam, AdamW),
/// each at the learning rate it is usually given. The seed is the base's, so every run
/// starts from the same weights and sees the batches in the same order.
pub fn race_runs(base: &TrainConfig) -> Vec<LabRun> {
    OptimizerSpec::all()
        .into_iter()
        .map(|optimizer| {
            let mut config = base.clone();
            config.lr = LrSchedule::constant(optimizer.default_lr());
            config.optimizer = optimizer;
            LabRun::new(
                format!("{} (lr {})", optimizer.name(), optimizer.default_lr()),
                config,
            )
        })
        .collect()
}
