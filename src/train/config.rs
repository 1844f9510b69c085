//! Everything a training run is: model, data handling, optimizer, schedule, regularisation,
//! seed. Serialisable, so it can live in the URL and in model files.

use serde::{Deserialize, Serialize};

use super::schedule::LrSchedule;
use crate::data::augment::Augmentation;
use crate::data::normalize::Normalization;
use crate::data::split::SplitConfig;
use crate::error::{Error, Result};
use crate::nn::presets::Preset;
use crate::nn::{Loss, ModelSpec};
use crate::optim::OptimizerSpec;

/// Which validation figure early stopping watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monitor {
    ValLoss,
    ValAccuracy,
}

/// Stop when the monitored validation figure has not improved by `min_delta` for
/// `patience` epochs; optionally go back to the best weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    pub monitor: Monitor,
    pub patience: usize,
    #[serde(default)]
    pub min_delta: f32,
    #[serde(default = "yes")]
    pub restore_best: bool,
}

fn yes() -> bool {
    true
}
fn one() -> usize {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub model: ModelSpec,
    pub optimizer: OptimizerSpec,
    pub lr: LrSchedule,
    #[serde(default)]
    pub loss: Loss,
    pub batch_size: usize,
    pub epochs: usize,
    /// Gradients of this many batches are summed before each update (a bigger effective
    /// batch than fits at once).
    #[serde(default = "one")]
    pub accumulate: usize,
    /// Rescale the gradients when their global L2 norm exceeds this.
    #[serde(default)]
    pub clip_norm: Option<f32>,
    #[serde(default)]
    pub split: SplitConfig,
    #[serde(default)]
    pub normalization: Normalization,
    #[serde(default)]
    pub augmentation: Augmentation,
    #[serde(default)]
    pub early_stopping: Option<EarlyStopping>,
    /// Evaluate (and finally keep) an exponential moving average of the weights with this
    /// decay (Polyak averaging): it smooths out the noise of the last updates.
    #[serde(default)]
    pub weight_average: Option<f32>,
    /// Drives initialisation, splits, shuffling, dropout, noise and augmentation.
    pub seed: u64,
}

impl TrainConfig {
    /// A preset with Adam at 1e-3, batch 64, standardised inputs, weights averaged with
    /// decay 0.999, and no regularisation.
    pub fn for_preset(preset: Preset, epochs: usize, seed: u64) -> TrainConfig {
        TrainConfig {
            model: preset.spec(),
            optimizer: OptimizerSpec::adam(),
            lr: LrSchedule::constant(1e-3),
            loss: Loss::default(),
            batch_size: 64,
            epochs,
            accumulate: 1,
            clip_norm: None,
            split: SplitConfig::default(),
            normalization: Normalization::default(),
            augmentation: Augmentation::default(),
            early_stopping: None,
            weight_average: Some(0.999),
            seed,
        }
    }

    /// Rejects settings that cannot train, with what to change.
    pub fn validate(&self) -> Result<()> {
        self.model.infer()?;
        self.optimizer.validate()?;
        self.lr.validate()?;
        if self.batch_size == 0 || self.epochs == 0 || self.accumulate == 0 {
            return Err(Error::Config(format!(
                "batch size ({}), epochs ({}) and accumulation ({}) must all be at least 1",
                self.batch_size, self.epochs, self.accumulate
            )));
        }
        if let Some(c) = self.clip_norm {
            if c.is_nan() || c <= 0.0 {
                return Err(Error::Config(format!(
                    "the clipping norm must be positive, got {c}"
                )));
            }
        }
        if let Some(d) = self.weight_average {
            if !(0.0..1.0).contains(&d) {
                return Err(Error::Config(format!(
                    "the weight-averaging decay must be in [0, 1), got {d}"
                )));
            }
        }
        if let Loss::SoftmaxCrossEntropy { label_smoothing } = self.loss {
            if !(0.0..1.0).contains(&label_smoothing) {
                return Err(Error::Config(format!(
                    "label smoothing must be in [0, 1), got {label_smoothing}"
                )));
            }
        }
        let out = self.model.output_shape()?;
        if out != [crate::data::NUM_CLASSES] {
            return Err(Error::Config(format!(
                "the model must end in {} outputs (one per class), but ends in {out:?}",
                crate::data::NUM_CLASSES
            )));
        }
        Ok(())
    }
}
