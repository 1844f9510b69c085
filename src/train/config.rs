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

/// Bounds on settings that a link or file could make absurd: a run of more epochs, or a
/// batch larger, than anyone means (both far above what the built-in data needs).
pub const MAX_EPOCHS: usize = 10_000;
pub const MAX_BATCH: usize = 65_536;
pub const MAX_ACCUMULATE: usize = 1_024;

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

    /// Rejects settings that cannot train, with what to change: NaN, infinite and absurd
    /// values included, wherever a learner, a link or a file can put them.
    pub fn validate(&self) -> Result<()> {
        let infos = self.model.infer()?;
        for (i, (layer, info)) in self.model.layers.iter().zip(&infos).enumerate() {
            layer
                .penalties
                .validate(&format!("layer {} ({})", i + 1, info.name))?;
        }
        self.optimizer.validate()?;
        self.lr.validate()?;
        self.augmentation.validate()?;
        if self.batch_size == 0 || self.epochs == 0 || self.accumulate == 0 {
            return Err(Error::Config(format!(
                "batch size ({}), epochs ({}) and accumulation ({}) must all be at least 1",
                self.batch_size, self.epochs, self.accumulate
            )));
        }
        for (what, value, max) in [
            ("epochs", self.epochs, MAX_EPOCHS),
            ("the batch size", self.batch_size, MAX_BATCH),
            ("gradient accumulation", self.accumulate, MAX_ACCUMULATE),
        ] {
            if value > max {
                return Err(Error::Config(format!(
                    "{what} must be at most {}, got {}",
                    crate::size::grouped(max as u64),
                    crate::size::grouped(value as u64)
                )));
            }
        }
        if let Some(c) = self.clip_norm {
            if !(c > 0.0 && c.is_finite()) {
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
        let out = infos
            .last()
            .map_or_else(|| self.model.input.clone(), |l| l.output.clone());
        let (least, most) = (crate::data::MIN_CLASSES, crate::data::MAX_CLASSES);
        if !matches!(out.as_slice(), [n] if (least..=most).contains(n)) {
            return Err(Error::Config(format!(
                "the model must end in one output per class ({least} to {most} of them, \
                 as a vector), but ends in {out:?}"
            )));
        }
        Ok(())
    }

    /// Checks the settings that depend on the data: the split must leave training images,
    /// and a batch may not be larger than them. Returns the training images.
    pub fn check_data(&self, train_images: usize) -> Result<usize> {
        let count = self.split.train_count(train_images)?;
        if self.batch_size > count {
            return Err(Error::Config(format!(
                "the batch size ({}) is larger than the {} training images",
                crate::size::grouped(self.batch_size as u64),
                crate::size::grouped(count as u64)
            )));
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::LayerSpec;

    fn refused(change: impl FnOnce(&mut TrainConfig)) -> String {
        let mut config = TrainConfig::for_preset(Preset::DefaultCnn, 3, 1);
        change(&mut config);
        match config
            .validate()
            .and_then(|_| config.check_data(55_000).map(|_| ()))
        {
            Ok(()) => panic!("accepted {config:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn non_finite_and_absurd_values_are_refused_with_a_message() {
        let cases: Vec<(&str, String)> = vec![
            (
                "the learning rate must be a positive number, got NaN",
                refused(|c| c.lr.base = f32::NAN),
            ),
            (
                "the learning rate must be a positive number, got inf",
                refused(|c| c.lr.base = f32::INFINITY),
            ),
            (
                "epochs must be at most 10 000, got 1 000 000 000",
                refused(|c| c.epochs = 1_000_000_000),
            ),
            ("batch size (0)", refused(|c| c.batch_size = 0)),
            (
                "the batch size (60 000) is larger than the 50 000 training images",
                refused(|c| c.batch_size = 60_000),
            ),
            (
                "the input is smaller than the window",
                refused(|c| {
                    c.model.layers[0].layer = LayerSpec::Conv2d {
                        filters: 8,
                        kernel: [40, 40],
                        stride: [1, 1],
                        padding: crate::backend::geometry::Padding::Valid,
                        dilation: [1, 1],
                        init: Default::default(),
                    }
                }),
            ),
            (
                "step decay's γ must be a positive number, got NaN",
                refused(|c| {
                    c.lr.schedule = crate::train::Schedule::Step {
                        every_epochs: 1.0,
                        gamma: f32::NAN,
                    }
                }),
            ),
            (
                "layer 1 (Conv2D 5×5, 8 filters): L2 must be a number from 0 to 1000, got NaN",
                refused(|c| c.model.layers[0].penalties.l2 = f32::NAN),
            ),
            (
                "augmentation: rotation (degrees) must be a number from 0 to 180, got inf",
                refused(|c| c.augmentation.rotation_deg = f32::INFINITY),
            ),
            (
                "Adam ε must be above 0 and at most 1, got NaN",
                refused(|c| {
                    c.optimizer = OptimizerSpec::Adam {
                        beta1: 0.9,
                        beta2: 0.999,
                        epsilon: f32::NAN,
                    }
                }),
            ),
            (
                "the clipping norm must be positive, got inf",
                refused(|c| c.clip_norm = Some(f32::INFINITY)),
            ),
        ];
        for (want, got) in cases {
            assert!(got.contains(want), "wanted {want:?} in {got:?}");
        }
    }
}
