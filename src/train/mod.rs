//! Training: a loop with no DOM in it, driven by a [`TrainConfig`] and reporting
//! [`TrainEvent`]s. The same loop runs natively (the command-line example) and in the
//! browser's worker.

pub mod budget;
pub mod coach;
pub mod config;
pub mod events;
pub mod inference;
pub mod metrics;
pub mod schedule;
pub mod trainer;

pub use config::{EarlyStopping, Monitor, TrainConfig};
pub use events::{EpochSummary, FinishReason, StepMetrics, TrainEvent};
pub use schedule::{LrSchedule, Schedule};
pub use trainer::{Status, Trainer};
