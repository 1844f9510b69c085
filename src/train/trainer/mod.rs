//! The training loop as a state machine: each call to [`Trainer::step`] trains on one batch
//! and returns what happened. Whoever drives it decides the pace, so pausing is not calling,
//! stepping is calling once, and the page stays responsive between calls.
//!
//! On a GPU a step only records work: its loss and accuracy stay on the GPU and are read
//! back together every few batches ([`GPU_READ_EVERY`]), awaited, never waited for; the
//! events of those batches come out then. At each epoch's end the run's state is copied to
//! the host, so if the GPU fails the run is built again on the CPU from there
//! ([`Trainer::fall_back`]).
//!
//! The parts, each the one owner of its state:
//! - this file: the run's definition (config, model, optimizer, data) and how one is built,
//!   always from a [`Checkpoint`] (fresh, fine-tuned, opened, or rebuilt);
//! - `progress`: where the run is (epoch, batches, updates, position, the epoch's sums);
//! - `step`: the step loop (a batch forward and back, updates, read-back, divergence);
//! - `evaluation`: evaluation, early stopping, the end of an epoch and of the run, and the
//!   one rule that turns outputs into probabilities;
//! - `checkpoint`: host copies of the run (the GPU's fall-back, model files).

mod checkpoint;
mod evaluation;
mod progress;
mod step;

use std::sync::Arc;

use checkpoint::Checkpoint;
pub(crate) use evaluation::probabilities;
use evaluation::EarlyStop;
use progress::Progress;

use super::config::TrainConfig;
use super::events::{EpochSummary, FinishReason, TrainEvent};
use crate::data::device::DeviceImages;
use crate::data::normalize::Normalizer;
use crate::data::split::Splits;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::io::model_file::OptimizerState;
use crate::nn::Sequential;
use crate::optim::Optimizer;
use crate::size;
use crate::tensor::{Device, Tensor};

/// On a GPU, batches between read-backs of their losses.
pub const GPU_READ_EVERY: usize = 8;

/// Where a run is.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Running,
    Finished(FinishReason),
}

/// The dataset's images on the GPU.
struct Resident {
    train: DeviceImages,
    test: DeviceImages,
}

pub struct Trainer {
    pub config: TrainConfig,
    pub model: Sequential,
    pub optimizer: Optimizer,
    pub dataset: Arc<Dataset>,
    pub splits: Splits,
    pub normalizer: Normalizer,
    pub status: Status,
    pub history: Vec<EpochSummary>,
    /// Where the model and the resident data live.
    pub device: Device,
    resident: Option<Resident>,
    progress: Progress,
    early: EarlyStop,
    /// The weights of the last batch whose loss was finite.
    last_good: Vec<Tensor>,
    /// The moving average of the weights, when weight averaging is on.
    average: Option<Vec<Tensor>>,
    snapshot_requested: bool,
    /// Batches whose figures have not been read yet.
    unread: Vec<step::Pending>,
    /// Host copy at the start of the current epoch (GPU runs only).
    checkpoint: Option<Checkpoint>,
    /// Test accuracy measured when the run finished.
    final_test_accuracy: Option<f32>,
}

impl Trainer {
    /// Prepares a run on the CPU: validates the config, builds the model from the seed,
    /// splits the data and fits the normalisation on the training split.
    pub fn new(config: TrainConfig, dataset: Arc<Dataset>) -> Result<Trainer> {
        Trainer::on_device(config, dataset, Device::Cpu)
    }

    /// The same, with the model, optimizer state and dataset on `device`.
    pub fn on_device(
        config: TrainConfig,
        dataset: Arc<Dataset>,
        device: Device,
    ) -> Result<Trainer> {
        Trainer::build(config, dataset, device, Checkpoint::default())
    }

    /// A new run of `config` that starts from `weights` (e.g. another trainer's
    /// [`Trainer::host_weights`]) instead of fresh ones: fine-tuning, typically with some
    /// layers frozen. The architecture must be the same; normalisation is fitted afresh.
    pub fn fine_tune(
        config: TrainConfig,
        dataset: Arc<Dataset>,
        device: Device,
        weights: &[Tensor],
    ) -> Result<Trainer> {
        let start = Checkpoint {
            weights: Some(weights.to_vec()),
            ..Checkpoint::default()
        };
        Trainer::build(config, dataset, device, start)
    }

    /// Builds a run of `config` on `device` from `start`: its weights (fresh from the seed
    /// if none), normalisation (fitted if none), optimizer state, average, early-stopping
    /// record and completed epochs. Every way of starting a run comes through here.
    fn build(
        config: TrainConfig,
        dataset: Arc<Dataset>,
        device: Device,
        start: Checkpoint,
    ) -> Result<Trainer> {
        config.validate()?;
        // Nothing is allocated until the whole run is known to fit.
        config.check_data(dataset.train.len())?;
        let data_bytes = size::product(&[
            dataset.train.len() + dataset.test.len(),
            dataset.train.image_size(),
        ])
        .and_then(|n| size::mul(n, size::F32_BYTES))
        .unwrap_or(u64::MAX);
        super::budget::Budget::here().check(&config, data_bytes)?;
        let mut model = Sequential::build(&config.model, config.seed)?;
        if let Some(weights) = &start.weights {
            model.set_weights(weights)?;
        }
        let expected = &config.model.input;
        let have = dataset.train.shape();
        if expected.as_slice() != have {
            return Err(Error::Config(format!(
                "the model expects inputs of {expected:?} but {} images are {have:?}",
                dataset.name
            )));
        }
        let outputs = config.model.output_shape()?;
        if outputs != [dataset.classes()] {
            return Err(Error::Config(format!(
                "the model ends in {outputs:?} outputs but {} has {} classes: give its last \
                 dense layer {} units",
                dataset.name,
                dataset.classes(),
                dataset.classes()
            )));
        }
        let splits = config.split.split(&dataset, config.seed)?;
        let normalizer = match start.normalizer {
            Some(n) => n,
            None => Normalizer::fit(config.normalization, &dataset.train, &splits.train),
        };
        let host_weights = model.weights();
        // The optimizer's state in host memory, for the GPU's checkpoint.
        let host_optimizer = match &start.optimizer {
            Some(o) => o.clone(),
            None => OptimizerState {
                steps: 0,
                tensors: Optimizer::new(config.optimizer, &model).state,
            },
        };
        let resident = match &device {
            Device::Cpu => None,
            Device::WebGpu(ctx) => {
                model.to_device(&device)?;
                Some(Resident {
                    train: DeviceImages::upload(&dataset.train, &normalizer, ctx)?,
                    test: DeviceImages::upload(&dataset.test, &normalizer, ctx)?,
                })
            }
        };
        let mut optimizer = Optimizer::new(config.optimizer, &model);
        if let Some(o) = &start.optimizer {
            optimizer.state = o
                .tensors
                .iter()
                .map(|slots| on(&device, slots))
                .collect::<Result<_>>()?;
            optimizer.steps = o.steps;
        }
        let last_good = model.weights();
        let average = match (config.weight_average, &start.average) {
            (None, _) => None,
            (Some(_), Some(a)) => Some(on(&device, a)?),
            (Some(_), None) => Some(last_good.clone()),
        };
        let early = start.early.to_device(&device)?;
        // A completed epoch is never trained again.
        let mut history = start.history;
        history.truncate(config.epochs);
        let checkpoint = resident.is_some().then(|| Checkpoint {
            average: config
                .weight_average
                .map(|_| start.average.unwrap_or_else(|| host_weights.clone())),
            weights: Some(host_weights),
            normalizer: Some(normalizer.clone()),
            optimizer: Some(host_optimizer),
            early: start.early,
            history: history.clone(),
        });
        let mut trainer = Trainer {
            config,
            model,
            optimizer,
            dataset,
            splits,
            normalizer,
            status: Status::Running,
            history,
            device,
            resident,
            progress: Progress::at_epoch(0, 0, 0),
            early,
            last_good,
            average,
            snapshot_requested: false,
            unread: Vec::new(),
            checkpoint,
            final_test_accuracy: None,
        };
        trainer.restart_epoch();
        Ok(trainer)
    }

    /// Starts the epoch after the completed ones, from its first batch.
    fn restart_epoch(&mut self) {
        self.progress = Progress::at_epoch(
            self.history.len(),
            self.batches_per_epoch(),
            self.updates_per_epoch(),
        );
        self.progress
            .start_epoch(&self.splits.train, self.config.seed);
    }

    /// Batches per epoch (the last one may be smaller).
    pub fn batches_per_epoch(&self) -> usize {
        self.splits.train.len().div_ceil(self.config.batch_size)
    }

    /// Optimizer updates per epoch and in the whole run.
    pub fn updates_per_epoch(&self) -> usize {
        self.batches_per_epoch().div_ceil(self.config.accumulate)
    }

    pub fn total_updates(&self) -> usize {
        self.updates_per_epoch() * self.config.epochs
    }

    /// The learning rate of the next update.
    pub fn current_lr(&self) -> f32 {
        self.config.lr.at(
            self.progress.updates,
            self.updates_per_epoch(),
            self.total_updates(),
        )
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.status, Status::Finished(_))
    }

    /// Batches trained so far.
    pub fn batches_done(&self) -> usize {
        self.progress.batches
    }

    /// Epochs completed.
    pub fn epochs_done(&self) -> usize {
        self.history.len()
    }

    /// The run waits for the learner: the time until the next step is not counted in the
    /// epoch's throughput.
    pub fn pause(&mut self) {
        self.progress.pause();
    }

    /// Asks for a [`TrainEvent::Snapshot`] of the model's inside after the next step.
    pub fn request_snapshot(&mut self) {
        self.snapshot_requested = true;
    }

    /// The weights evaluation uses: the average when weight averaging is on.
    pub fn evaluated_weights(&mut self) -> Vec<Tensor> {
        match &self.average {
            Some(average) => average.clone(),
            None => self.model.weights(),
        }
    }

    /// Stops at the learner's request; the test split is not evaluated.
    pub fn stop(&mut self) -> Vec<TrainEvent> {
        if self.is_finished() {
            return Vec::new();
        }
        self.status = Status::Finished(FinishReason::Stopped);
        vec![TrainEvent::Finished {
            reason: FinishReason::Stopped,
            test: None,
        }]
    }

    /// Runs to the end, handing every event to `on_event`.
    pub async fn run(&mut self, mut on_event: impl FnMut(&TrainEvent)) -> Result<()> {
        while !self.is_finished() {
            for event in self.step().await? {
                on_event(&event);
            }
        }
        Ok(())
    }
}

/// Copies of `tensors` on `device` (the same tensors if they are there already).
fn on(device: &Device, tensors: &[Tensor]) -> Result<Vec<Tensor>> {
    tensors.iter().map(|t| t.to_device(device)).collect()
}
