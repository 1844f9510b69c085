//! Host copies of a run. A [`Checkpoint`] is everything a run is built from — weights,
//! normalisation, optimizer state, average, early stopping's record and the completed
//! epochs — so starting fresh, fine-tuning, opening a model file and continuing on the CPU
//! after the GPU failed are one path, [`Trainer::build`]. A GPU run keeps one from the
//! start of its current epoch.

use std::sync::Arc;

use super::evaluation::EarlyStop;
use super::Status;
use super::Trainer;
use crate::data::normalize::Normalizer;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::io::model_file::{ModelFile, OptimizerState};
use crate::tensor::{Device, Tensor};
use crate::train::events::{EpochSummary, TrainEvent};

/// What a run starts from, in host memory. The default is a fresh run.
#[derive(Clone, Default)]
pub(super) struct Checkpoint {
    /// None: fresh weights from the seed.
    pub weights: Option<Vec<Tensor>>,
    /// None: fitted on the training split.
    pub normalizer: Option<Normalizer>,
    /// None: a fresh optimizer.
    pub optimizer: Option<OptimizerState>,
    /// The weight average (when averaging is on); None: it starts as the weights.
    pub average: Option<Vec<Tensor>>,
    pub early: EarlyStop,
    /// The epochs completed: the run goes on with the next one.
    pub history: Vec<EpochSummary>,
}

/// CPU copies of tensors (read back from the GPU when they live there).
pub(super) async fn host_copy(tensors: &[Tensor]) -> Result<Vec<Tensor>> {
    let mut out = Vec::with_capacity(tensors.len());
    for t in tensors {
        out.push(Tensor::from_vec(t.shape().to_vec(), t.read().await?)?);
    }
    Ok(out)
}

impl Trainer {
    /// A trainer for a model read from a file: its weights and normalisation, ready to
    /// predict or to train further (with fresh optimizer state). A snapshot (a file with
    /// optimizer state) continues its run where it was taken: same epoch, same schedule.
    pub fn from_model_file(
        file: &ModelFile,
        dataset: Arc<Dataset>,
        device: Device,
    ) -> Result<Trainer> {
        let start = Checkpoint {
            weights: Some(file.weights.iter().map(|(_, t)| t.clone()).collect()),
            normalizer: Some(file.normalizer.clone()),
            optimizer: file.optimizer.clone(),
            history: match file.optimizer {
                Some(_) => file.history.clone(),
                None => Vec::new(),
            },
            ..Checkpoint::default()
        };
        Trainer::build(file.config.clone(), dataset, device, start)
    }

    /// Host copies of the weights evaluation uses.
    pub async fn host_weights(&mut self) -> Result<Vec<Tensor>> {
        host_copy(&self.evaluated_weights()).await
    }

    /// The model file of the current model (weights read back from the GPU if need be).
    pub async fn to_model_file(&mut self) -> Result<ModelFile> {
        self.to_model_file_with(false).await
    }

    /// The same; with `with_optimizer` a snapshot that can continue the run exactly: the
    /// optimizer's state and the live weights rather than their average.
    pub async fn to_model_file_with(&mut self, with_optimizer: bool) -> Result<ModelFile> {
        let names = self.model.weight_names();
        let values = if with_optimizer {
            host_copy(&self.model.weights()).await?
        } else {
            self.host_weights().await?
        };
        let optimizer = if with_optimizer {
            Some(self.host_optimizer().await?)
        } else {
            None
        };
        let test_accuracy = match &self.status {
            Status::Finished(_) => self.final_test_accuracy,
            _ => None,
        };
        Ok(ModelFile {
            config: self.config.clone(),
            normalizer: self.normalizer.clone(),
            dataset: self.dataset.name.clone(),
            class_names: self.dataset.class_names.clone(),
            history: self.history.clone(),
            test_accuracy,
            weights: names.into_iter().zip(values).collect(),
            optimizer,
        })
    }

    async fn host_optimizer(&self) -> Result<OptimizerState> {
        let mut tensors = Vec::with_capacity(self.optimizer.state.len());
        for slots in &self.optimizer.state {
            tensors.push(host_copy(slots).await?);
        }
        Ok(OptimizerState {
            steps: self.optimizer.steps,
            tensors,
        })
    }

    /// Copies everything needed to restart this epoch to the host (GPU runs).
    pub(super) async fn save_checkpoint(&mut self) -> Result<()> {
        let weights = host_copy(&self.model.weights()).await?;
        let optimizer = self.host_optimizer().await?;
        let average = match &self.average {
            Some(a) => Some(host_copy(a).await?),
            None => None,
        };
        self.checkpoint = Some(Checkpoint {
            weights: Some(weights),
            normalizer: Some(self.normalizer.clone()),
            optimizer: Some(optimizer),
            average,
            early: self.early.host_copy().await?,
            history: self.history.clone(),
        });
        Ok(())
    }

    /// Continues on the CPU after the GPU failed: the run is built again from the copy
    /// taken at the end of the last completed epoch, and goes on from the start of the epoch
    /// in progress. No completed epoch is lost. Returns the event that tells the learner.
    pub fn fall_back(&mut self, reason: &str) -> Result<TrainEvent> {
        let checkpoint = self.checkpoint.take().ok_or_else(|| {
            Error::Gpu(format!(
                "{reason}, and there is no copy of the weights to continue from"
            ))
        })?;
        let resumed_epoch = checkpoint.history.len() + 1;
        let mut rebuilt = Trainer::build(
            self.config.clone(),
            self.dataset.clone(),
            Device::Cpu,
            checkpoint,
        )?;
        rebuilt.snapshot_requested = self.snapshot_requested;
        *self = rebuilt;
        Ok(TrainEvent::BackendChanged {
            device: self.device.describe(),
            reason: reason.to_string(),
            resumed_epoch,
        })
    }
}
