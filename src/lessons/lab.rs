//! A lesson's lab: a set of runs trained one after the other from the same seed, each
//! measured the same way, so the curves and tables compare like with like. The runs are
//! defined by each lesson (regularisation, optimizers, batch size, initialisation); the
//! worker trains them and the page overlays them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::split::Split;
use crate::data::{Builtin, Dataset};
use crate::error::{Error, Result};
use crate::tensor::{Device, Tensor};
use crate::train::metrics::{ActivationStats, Histogram, NEAR_ZERO};
use crate::train::{EpochSummary, FinishReason, TrainConfig, TrainEvent, Trainer};

/// Which lesson a lab belongs to (the page keeps one table per lesson).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabKind {
    Regularisation,
    Optimizers,
    BatchSize,
    Initialisation,
    LrSearch,
    Transfer,
}

impl LabKind {
    pub const ALL: [LabKind; 6] = [
        LabKind::Regularisation,
        LabKind::Optimizers,
        LabKind::BatchSize,
        LabKind::Initialisation,
        LabKind::LrSearch,
        LabKind::Transfer,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// The prefix of the lab's `data-testid`s.
    pub fn slug(self) -> &'static str {
        match self {
            LabKind::Regularisation => "regularisation",
            LabKind::Optimizers => "optimizers",
            LabKind::BatchSize => "batch-size",
            LabKind::Initialisation => "initialisation",
            LabKind::LrSearch => "lr-search",
            LabKind::Transfer => "transfer",
        }
    }
}

/// One run of a lab: what the learner sees in the legend, and its configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabRun {
    pub name: String,
    pub config: TrainConfig,
    /// Train on this built-in dataset instead of the one loaded in the app.
    #[serde(default)]
    pub dataset: Option<Builtin>,
    /// Start from the final weights of this earlier run of the same lab (transfer
    /// learning) instead of fresh ones.
    #[serde(default)]
    pub start_from: Option<usize>,
}

impl LabRun {
    pub fn new(name: impl Into<String>, config: TrainConfig) -> LabRun {
        LabRun {
            name: name.into(),
            config,
            dataset: None,
            start_from: None,
        }
    }
}

/// The trainer for `run` on the CPU, from fresh weights or from an earlier run's
/// (`finished[k]` holds run k's final weights).
pub fn trainer_for(
    run: &LabRun,
    dataset: Arc<Dataset>,
    finished: &[Vec<Tensor>],
) -> Result<Trainer> {
    match run.start_from {
        None => Trainer::new(run.config.clone(), dataset),
        Some(k) => {
            let weights = finished.get(k).ok_or_else(|| {
                Error::Config(format!(
                    "{} starts from run {k}, which has not run",
                    run.name
                ))
            })?;
            Trainer::fine_tune(run.config.clone(), dataset, Device::Cpu, weights)
        }
    }
}

/// Points kept of a run's per-batch loss curve.
pub const CURVE_POINTS: usize = 300;

/// At most `max` points, averaging neighbours: a chart never draws more than it can show.
pub fn decimate(points: &[(f32, f32)], max: usize) -> Vec<(f32, f32)> {
    if points.len() <= max {
        return points.to_vec();
    }
    let per = points.len().div_ceil(max);
    points
        .chunks(per)
        .map(|c| {
            let n = c.len() as f32;
            let x = c.iter().map(|p| p.0).sum::<f32>() / n;
            let y = c.iter().map(|p| p.1).sum::<f32>() / n;
            (x, y)
        })
        .collect()
}

/// What a run's steps reported: the loss of every batch (against epochs), the activations
/// of the first batch, and how it ended.
#[derive(Debug, Default)]
pub struct Recorder {
    losses: Vec<(f32, f32)>,
    pub first_activations: Option<Vec<ActivationStats>>,
    pub finish: Option<FinishReason>,
}

impl Recorder {
    /// Takes one step's events; after the first, what every layer output on that batch.
    pub async fn after_step(&mut self, trainer: &Trainer, events: &[TrainEvent]) -> Result<()> {
        self.observe(events);
        if self.first_activations.is_none() {
            let snapshot = crate::train::metrics::snapshot(&trainer.model, 1, 0).await?;
            self.first_activations = Some(snapshot.activations);
        }
        Ok(())
    }

    pub fn observe(&mut self, events: &[TrainEvent]) {
        for event in events {
            match event {
                TrainEvent::Step(s) => self
                    .losses
                    .push((s.epoch as f32 - 1.0 + s.epoch_progress, s.loss)),
                TrainEvent::Finished { reason, .. } => self.finish = Some(reason.clone()),
                _ => {}
            }
        }
    }

    /// The loss curve, averaged down to at most [`CURVE_POINTS`] points.
    pub fn curve(&self) -> Vec<(f32, f32)> {
        decimate(&self.losses, CURVE_POINTS)
    }

    /// Every batch's loss, as recorded.
    pub fn losses(&self) -> &[(f32, f32)] {
        &self.losses
    }
}

/// What one finished run shows in a lab's table, curves and histograms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub name: String,
    pub history: Vec<EpochSummary>,
    /// Training loss per batch against epochs, averaged down to [`CURVE_POINTS`].
    pub losses: Vec<(f32, f32)>,
    pub finish: Option<FinishReason>,
    /// Every layer's outputs on the first batch, as initialised.
    pub first_activations: Vec<ActivationStats>,
    /// Accuracy on the training images in inference mode (no dropout, no augmentation).
    pub train_accuracy: f32,
    pub val_accuracy: f32,
    /// The learning rate the run started with.
    pub lr: f32,
    /// Weight updates per epoch, and seconds of training in all.
    pub updates_per_epoch: usize,
    pub seconds: f32,
    /// The first layer's weights.
    pub weights: Histogram,
    pub weight_count: usize,
    /// Weights with |w| < [`NEAR_ZERO`], and exactly 0.
    pub near_zero: usize,
    pub exact_zero: usize,
}

impl RunReport {
    /// Training minus validation accuracy: how much was memorised rather than learned.
    pub fn gap(&self) -> f32 {
        self.train_accuracy - self.val_accuracy
    }
}

/// Measures a trainer whose run has ended. The validation accuracy is measured now, so after
/// early stopping it is that of the restored best weights.
pub async fn report(name: &str, trainer: &mut Trainer, recorder: &Recorder) -> Result<RunReport> {
    let train_accuracy = trainer.evaluate(Split::Train).await?.accuracy;
    let val_accuracy = trainer.evaluate(Split::Validation).await?.accuracy;
    let weights = trainer.host_weights().await?;
    let first = weights.first().map(|w| w.to_vec()).unwrap_or_default();
    Ok(RunReport {
        name: name.to_string(),
        history: trainer.history.clone(),
        losses: recorder.curve(),
        finish: recorder.finish.clone(),
        first_activations: recorder.first_activations.clone().unwrap_or_default(),
        train_accuracy,
        val_accuracy,
        lr: trainer.config.lr.base,
        updates_per_epoch: trainer.updates_per_epoch(),
        seconds: trainer.history.iter().map(|e| e.seconds).sum(),
        weights: Histogram::of(&first),
        weight_count: first.len(),
        near_zero: first.iter().filter(|w| w.abs() < NEAR_ZERO).count(),
        exact_zero: first.iter().filter(|&&w| w == 0.0).count(),
    })
}

/// Trains one run to its end on the CPU and measures it (natively; the worker runs the same
/// loop with progress reports and yields between batches).
pub async fn run_to_end(run: &LabRun, dataset: Arc<Dataset>) -> Result<(RunReport, Recorder)> {
    let (report, recorder, _) = run_from(run, dataset, &[]).await?;
    Ok((report, recorder))
}

/// Like [`run_to_end`], from earlier runs' weights where the run says so; also returns the
/// final weights.
pub async fn run_from(
    run: &LabRun,
    dataset: Arc<Dataset>,
    finished: &[Vec<Tensor>],
) -> Result<(RunReport, Recorder, Vec<Tensor>)> {
    let mut trainer = trainer_for(run, dataset, finished)?;
    let mut recorder = Recorder::default();
    while !trainer.is_finished() {
        let events = trainer.step().await?;
        recorder.after_step(&trainer, &events).await?;
    }
    let report = report(&run.name, &mut trainer, &recorder).await?;
    let weights = trainer.host_weights().await?;
    Ok((report, recorder, weights))
}
