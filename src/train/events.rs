//! What the training loop reports. The worker forwards these to the page; the
//! command-line example prints them.

use serde::{Deserialize, Serialize};

use super::metrics::{EvalReport, ModelSnapshot};

/// One optimizer step (or one accumulated batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepMetrics {
    /// Batches trained on so far (1 for the first).
    pub batch: usize,
    /// Epoch (from 1) and how far into it, 0–1.
    pub epoch: usize,
    pub epoch_progress: f32,
    /// Data loss + L1 + L2 + activity.
    pub loss: f32,
    pub data_loss: f32,
    pub l1: f32,
    pub l2: f32,
    pub activity: f32,
    /// Share of this batch classified right.
    pub accuracy: f32,
    pub lr: f32,
    /// Global gradient norm before clipping, when clipping is on.
    pub grad_norm: Option<f32>,
    pub samples_per_s: f32,
    /// GPU compute dispatches this batch recorded (None on the CPU).
    pub dispatches: Option<u64>,
}

/// The end of an epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochSummary {
    pub epoch: usize,
    pub train_loss: f32,
    pub train_accuracy: f32,
    pub val_loss: f32,
    pub val_accuracy: f32,
    pub seconds: f32,
    pub samples_per_s: f32,
}

/// Why training ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FinishReason {
    /// All epochs done.
    Completed,
    /// Validation stopped improving; `best_epoch`'s weights were restored if asked.
    EarlyStopped { best_epoch: usize, restored: bool },
    /// The loss became NaN or infinite; the last good weights are kept.
    Diverged { batch: usize, advice: String },
    /// The learner pressed Stop.
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TrainEvent {
    Step(StepMetrics),
    Validation {
        epoch: usize,
        report: EvalReport,
    },
    Epoch(EpochSummary),
    Snapshot(Box<ModelSnapshot>),
    /// Training is over; the test split is evaluated now, once, unless it diverged.
    Finished {
        reason: FinishReason,
        test: Option<EvalReport>,
    },
    /// The GPU failed; training continues on `device` from the start of `resumed_epoch`.
    BackendChanged {
        device: String,
        reason: String,
        resumed_epoch: usize,
    },
}
