//! The training coach: reads the curves and the model's inside and says, in plain words,
//! what they show and what to try. Every verdict names the numbers it rests on.

use serde::{Deserialize, Serialize};

use super::events::{EpochSummary, FinishReason, StepMetrics};
use super::metrics::ModelSnapshot;
use crate::optim::OptimizerSpec;

/// What the coach recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Finding {
    Diverged,
    LossRising,
    Underfitting,
    Overfitting,
    DeadRelus,
    Saturation,
    Plateau,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advice {
    pub finding: Finding,
    pub message: String,
}

/// Training accuracy below this after an epoch counts as underfitting (10 easy classes).
const LOW_TRAIN_ACCURACY: f32 = 0.9;
/// A train–validation accuracy gap above this, with validation loss off its best, is
/// overfitting.
const GAP: f32 = 0.05;
const DEAD: f32 = 0.5;
const SATURATED: f32 = 0.3;
/// Steps needed before a flat curve counts as a plateau.
const PLATEAU_STEPS: usize = 200;

fn add(out: &mut Vec<Advice>, finding: Finding, message: String) {
    out.push(Advice { finding, message });
}

fn mean(xs: &[f32]) -> f32 {
    xs.iter().sum::<f32>() / xs.len().max(1) as f32
}

/// The optimizers worth trying instead of `current` when learning is slow, or `None` when
/// it already adapts its step per weight (then a schedule is the better lever).
fn faster_than(current: &OptimizerSpec) -> Option<&'static str> {
    match current {
        OptimizerSpec::Sgd => Some("momentum or Adam"),
        OptimizerSpec::Momentum { .. }
        | OptimizerSpec::Nesterov { .. }
        | OptimizerSpec::Adagrad { .. }
        | OptimizerSpec::Adadelta { .. } => Some("Adam"),
        OptimizerSpec::Rmsprop { .. }
        | OptimizerSpec::Adam { .. }
        | OptimizerSpec::AdamW { .. } => None,
    }
}

/// Everything the coach can say about the run so far, most urgent first. `optimizer` is the
/// run's, so the coach never suggests the one already in use.
pub fn advise(
    optimizer: &OptimizerSpec,
    steps: &[StepMetrics],
    epochs: &[EpochSummary],
    snapshot: Option<&ModelSnapshot>,
    finished: Option<&FinishReason>,
) -> Vec<Advice> {
    let mut out = Vec::new();
    let lr = steps.last().map_or(0.0, |s| s.lr);
    let faster = faster_than(optimizer);

    if let Some(FinishReason::Diverged { batch, .. }) = finished {
        add(
            &mut out,
            Finding::Diverged,
            format!(
                "The loss became NaN or infinite at batch {batch}: the updates were too big. \
                 Lower the learning rate (it was {lr:e}; try {:e}) or turn on gradient clipping.",
                lr / 10.0
            ),
        );
        return out;
    }
    // `steps` may be a thinned record of a long run (every k-th step): the message names the
    // batches it read.
    let losses: Vec<f32> = steps.iter().map(|s| s.loss).collect();
    if losses.len() >= 40 {
        let early = losses[..20].iter().copied().fold(f32::INFINITY, f32::min);
        let recent = mean(&losses[losses.len() - 20..]);
        let (from, to) = (steps[steps.len() - 20].batch, steps[steps.len() - 1].batch);
        if recent > 2.0 * early {
            add(
                &mut out,
                Finding::LossRising,
                format!(
                    "The loss is climbing: {recent:.3} over batches {from}–{to} against {early:.3} early on. \
                     The learning rate ({lr:e}) is probably too high: try {:e}.",
                    lr / 3.0
                ),
            );
        }
    }
    if let Some(last) = epochs.last() {
        if last.train_accuracy < LOW_TRAIN_ACCURACY {
            add(
                &mut out,
                Finding::Underfitting,
                format!(
                    "After {} epoch(s) the network gets only {:.1}% of its own training images right: it is \
                     underfitting. Try a bigger network (more filters or units), training longer{}.",
                    last.epoch,
                    100.0 * last.train_accuracy,
                    faster.map_or(String::new(), |f| format!(", or {f} instead of {}", optimizer.name()))
                ),
            );
        }
        let best_val = epochs
            .iter()
            .map(|e| e.val_loss)
            .fold(f32::INFINITY, f32::min);
        let gap = last.train_accuracy - last.val_accuracy;
        if gap > GAP && last.val_loss > best_val {
            add(
                &mut out,
                Finding::Overfitting,
                format!(
                    "Training accuracy {:.1}% but validation {:.1}% (a gap of {:.1} points), and validation \
                     loss {:.3} is above its best {best_val:.3}: the network is memorising its training \
                     images. Try more data, augmentation, L2 or dropout, or early stopping.",
                    100.0 * last.train_accuracy,
                    100.0 * last.val_accuracy,
                    100.0 * gap,
                    last.val_loss
                ),
            );
        }
    }
    if let Some(snapshot) = snapshot {
        for a in &snapshot.activations {
            if let Some(dead) = a.dead_fraction.filter(|&d| d > DEAD) {
                add(
                &mut out,
                    Finding::DeadRelus,
                    format!(
                        "Layer {} ({}): {:.0}% of its ReLUs output 0 for every image — they are dead and no \
                         longer learn. Try Leaky ReLU, a lower learning rate, or He initialisation.",
                        a.layer + 1,
                        a.name,
                        100.0 * dead
                    ),
                );
            }
            if let Some(sat) = a.saturated_fraction.filter(|&s| s > SATURATED) {
                add(
                &mut out,
                    Finding::Saturation,
                    format!(
                        "Layer {} ({}): {:.0}% of its outputs sit on the flat ends of the curve, where the \
                         gradient is almost 0. Try ReLU instead, Xavier initialisation, or batch norm.",
                        a.layer + 1,
                        a.name,
                        100.0 * sat
                    ),
                );
            }
        }
    }
    if losses.len() >= PLATEAU_STEPS && !out.iter().any(|a| a.finding == Finding::Underfitting) {
        let quarter = losses.len() / 4;
        let before = mean(&losses[losses.len() - 2 * quarter..losses.len() - quarter]);
        let after = mean(&losses[losses.len() - quarter..]);
        let gain = (before - after) / before.abs().max(1e-6);
        if gain.abs() < 0.01 && after > 0.1 {
            add(
                &mut out,
                Finding::Plateau,
                format!(
                    "The loss has stopped moving: {before:.3} → {after:.3} over the last {} batches \
                     ({:+.1}%). Try {}a learning-rate schedule that lowers the rate as training goes.",
                    quarter,
                    -100.0 * gain,
                    faster.map_or(String::new(), |f| format!("{f} instead of {}, or ", optimizer.name()))
                ),
            );
        }
    }
    out
}
