//! Batch size: one image per update, 32, or the whole training set at once. Small batches
//! give many cheap, noisy updates per epoch; the full batch gives one smooth, slow one.

use super::lab::LabRun;
use super::optimizers::race_config;
use crate::optim::OptimizerSpec;
use crate::train::{LrSchedule, TrainConfig};

/// The batch sizes compared on `images` training images: 1, 32 and all of them.
pub fn batch_sizes(images: usize) -> [usize; 3] {
    [1, 32, images]
}

/// The MLP with plain SGD at one learning rate, so only the batch size differs.
pub fn batch_runs(images: usize, epochs: usize, seed: u64) -> Vec<LabRun> {
    let mut base: TrainConfig = race_config(images, epochs, seed);
    base.optimizer = OptimizerSpec::Sgd;
    base.lr = LrSchedule::constant(0.05);
    batch_sizes(images)
        .into_iter()
        .map(|batch| {
            let mut config = base.clone();
            config.batch_size = batch;
            let name = if batch == images {
                format!("full batch ({batch})")
            } else {
                format!("batch {batch}")
            };
            LabRun::new(name, config)
        })
        .collect()
}

/// How jagged a loss curve is: the mean absolute change from one batch to the next.
pub fn roughness(losses: &[(f32, f32)]) -> f32 {
    let n = losses.len().saturating_sub(1).max(1) as f32;
    losses
        .windows(2)
        .map(|w| (w[1].1 - w[0].1).abs())
        .sum::<f32>()
        / n
}
