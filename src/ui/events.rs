//! The decisions in folding the worker's events into the page's signals (`app::bridge`),
//! without the signals: which events go in together, what a fall-back from the GPU keeps,
//! and the notices the page shows for them.

use crate::train::{StepMetrics, TrainEvent};

/// One change of the page's state, from a batch of training events.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Consecutive steps, pushed onto the record as one change (one redraw).
    Steps(Vec<StepMetrics>),
    /// Any other event, on its own.
    Event(TrainEvent),
}

/// A batch of training events as changes, in the order things happened: consecutive steps
/// go in together, and are flushed before the event that follows them (the page redraws in
/// slices, and "finished" must not show before the last step does).
pub fn group(events: impl IntoIterator<Item = TrainEvent>) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut steps = Vec::new();
    for event in events {
        match event {
            TrainEvent::Step(s) => steps.push(s),
            other => {
                if !steps.is_empty() {
                    changes.push(Change::Steps(std::mem::take(&mut steps)));
                }
                changes.push(Change::Event(other));
            }
        }
    }
    if !steps.is_empty() {
        changes.push(Change::Steps(steps));
    }
    changes
}

/// What a run keeps when it falls back from the GPU and restarts epoch `resumed_epoch`
/// (from 1): the steps and epochs completed before it; those of the abandoned epoch are
/// redone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    pub steps: usize,
    pub epochs: usize,
}

pub fn kept_after_fallback(resumed_epoch: usize, batches_per_epoch: usize) -> Kept {
    let epochs = resumed_epoch.saturating_sub(1);
    Kept {
        steps: epochs.saturating_mul(batches_per_epoch),
        epochs,
    }
}

/// The notice when the GPU failed and training went on on `device`.
pub fn fallback_notice(device: &str, reason: &str, resumed_epoch: usize) -> String {
    format!(
        "The GPU failed ({reason}). Training continues on the {device} from the start of epoch \
         {resumed_epoch}; completed epochs are kept."
    )
}

/// The notice when a model file was opened.
pub fn opened_notice(name: &str, dataset: &str, test_accuracy: Option<f32>) -> String {
    format!(
        "Opened {name}: trained on {dataset}{}. Draw a digit to try it, or Resume to train it \
         further.",
        test_accuracy
            .map(|a| format!(", {:.2}% test accuracy", 100.0 * a))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::FinishReason;

    fn step(batch: usize) -> StepMetrics {
        StepMetrics {
            batch,
            epoch: 1,
            epoch_progress: 0.5,
            loss: 1.0,
            data_loss: 1.0,
            l1: 0.0,
            l2: 0.0,
            activity: 0.0,
            accuracy: 0.5,
            lr: 0.01,
            grad_norm: None,
            samples_per_s: 100.0,
            dispatches: None,
        }
    }

    fn finished() -> TrainEvent {
        TrainEvent::Finished {
            reason: FinishReason::Completed,
            test: None,
        }
    }

    fn fell_back(resumed_epoch: usize) -> TrainEvent {
        TrainEvent::BackendChanged {
            device: "CPU".into(),
            reason: "device lost".into(),
            resumed_epoch,
        }
    }

    #[test]
    fn consecutive_steps_go_in_together_and_before_what_follows() {
        let events = vec![
            TrainEvent::Step(step(1)),
            TrainEvent::Step(step(2)),
            fell_back(1),
            TrainEvent::Step(step(3)),
            finished(),
        ];
        assert_eq!(
            group(events),
            vec![
                Change::Steps(vec![step(1), step(2)]),
                Change::Event(fell_back(1)),
                Change::Steps(vec![step(3)]),
                Change::Event(finished()),
            ]
        );
    }

    #[test]
    fn trailing_steps_are_flushed_and_nothing_is_empty() {
        assert_eq!(group(Vec::new()), vec![]);
        assert_eq!(
            group(vec![finished(), finished()]),
            vec![Change::Event(finished()), Change::Event(finished())]
        );
        assert_eq!(
            group(vec![finished(), TrainEvent::Step(step(7))]),
            vec![Change::Event(finished()), Change::Steps(vec![step(7)])]
        );
    }

    #[test]
    fn a_fallback_keeps_the_completed_epochs_and_their_steps() {
        assert_eq!(
            kept_after_fallback(3, 100),
            Kept {
                steps: 200,
                epochs: 2
            }
        );
        assert_eq!(
            kept_after_fallback(1, 100),
            Kept {
                steps: 0,
                epochs: 0
            }
        );
        // Epochs count from 1; a 0 from a confused worker keeps nothing rather than wrapping.
        assert_eq!(
            kept_after_fallback(0, 100),
            Kept {
                steps: 0,
                epochs: 0
            }
        );
    }

    #[test]
    fn notices_name_what_happened() {
        assert_eq!(
            fallback_notice("CPU", "device lost", 2),
            "The GPU failed (device lost). Training continues on the CPU from the start of \
             epoch 2; completed epochs are kept."
        );
        assert_eq!(
            opened_notice("mnist.safetensors", "MNIST", Some(0.9876)),
            "Opened mnist.safetensors: trained on MNIST, 98.76% test accuracy. Draw a digit to \
             try it, or Resume to train it further."
        );
        assert_eq!(
            opened_notice("m", "your images", None),
            "Opened m: trained on your images. Draw a digit to try it, or Resume to train it \
             further."
        );
    }
}
