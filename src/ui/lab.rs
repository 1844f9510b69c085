//! What a lesson's lab shows beside its charts (`app::lessons::lab_view`): the learner's own
//! run, the best learning rate so far, the status line, and the words in the results table.

use crate::data::split::SplitConfig;
use crate::lessons::lab::{LabRun, RunReport};
use crate::train::metrics::ActivationStats;
use crate::train::{FinishReason, TrainConfig};

/// The learner's own run in a lab: the trainer's settings, on the lab's images and epochs,
/// validated on at least 1000 images.
pub fn own_run(mut config: TrainConfig, images: usize, epochs: usize) -> LabRun {
    config.epochs = epochs;
    config.split = SplitConfig {
        validation: config.split.validation.max(1000),
        train_subset: Some(images),
    };
    LabRun::new("your settings", config)
}

/// The learning rate of the finished run with the best validation accuracy.
pub fn best_lr<'a>(reports: impl IntoIterator<Item = &'a RunReport>) -> Option<f32> {
    reports
        .into_iter()
        .max_by(|a, b| a.val_accuracy.total_cmp(&b.val_accuracy))
        .map(|r| r.lr)
}

/// The lab's status line: its error, the run in progress, or how many are done.
pub fn status(error: Option<String>, running: bool, done: usize, expected: usize) -> String {
    match error {
        Some(e) => e,
        None if running => format!("training run {} of {expected}…", done + 1),
        None if done > 0 => format!("{done} runs done"),
        None => String::new(),
    }
}

/// A run's epochs as the table gives them, with why it stopped early.
pub fn epochs_text(report: &RunReport) -> String {
    let epochs = report.history.len();
    match &report.finish {
        Some(FinishReason::EarlyStopped { best_epoch, .. }) => {
            format!("{epochs} (best {best_epoch} restored)")
        }
        Some(FinishReason::Diverged { .. }) => format!("{epochs} (diverged)"),
        _ => epochs.to_string(),
    }
}

/// What is wrong with a layer's activations, if anything is measured: the share saturated
/// (sigmoid, tanh) or dead (ReLU).
pub fn activation_note(a: &ActivationStats) -> String {
    a.saturated_fraction
        .map(|s| format!("{:.0}% saturated", 100.0 * s))
        .or(a.dead_fraction.map(|d| format!("{:.0}% dead", 100.0 * d)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::presets::Preset;
    use crate::train::metrics::Histogram;
    use crate::train::EpochSummary;

    fn report(name: &str, lr: f32, val_accuracy: f32) -> RunReport {
        RunReport {
            name: name.into(),
            history: Vec::new(),
            losses: Vec::new(),
            finish: None,
            first_activations: Vec::new(),
            train_accuracy: 1.0,
            val_accuracy,
            lr,
            updates_per_epoch: 10,
            seconds: 1.0,
            weights: Histogram::of(&[]),
            weight_count: 0,
            near_zero: 0,
            exact_zero: 0,
        }
    }

    #[test]
    fn the_own_run_takes_the_labs_images_and_epochs() {
        let mut config = TrainConfig::for_preset(Preset::DefaultCnn, 3, 1);
        config.split.validation = 200;
        let run = own_run(config.clone(), 2000, 5);
        assert_eq!(run.name, "your settings");
        assert_eq!(run.config.epochs, 5);
        assert_eq!(run.config.split.train_subset, Some(2000));
        assert_eq!(run.config.split.validation, 1000);
        assert_eq!(run.config.model, config.model);
        config.split.validation = 5000;
        assert_eq!(own_run(config, 2000, 5).config.split.validation, 5000);
    }

    #[test]
    fn the_best_rate_is_that_of_the_best_validation_accuracy() {
        assert_eq!(best_lr(&[]), None);
        let reports = [
            report("a", 0.1, 0.5),
            report("b", 0.01, 0.9),
            report("c", 0.001, 0.7),
        ];
        assert_eq!(best_lr(&reports), Some(0.01));
    }

    #[test]
    fn the_status_says_the_error_the_run_in_progress_or_the_runs_done() {
        assert_eq!(
            status(Some("out of memory".into()), true, 1, 3),
            "out of memory"
        );
        assert_eq!(status(None, true, 1, 3), "training run 2 of 3…");
        assert_eq!(status(None, false, 3, 3), "3 runs done");
        assert_eq!(status(None, false, 0, 0), "");
    }

    #[test]
    fn the_epochs_column_says_why_a_run_stopped_early() {
        let mut r = report("a", 0.1, 0.5);
        let epoch = |epoch| EpochSummary {
            epoch,
            train_loss: 0.5,
            train_accuracy: 0.9,
            val_loss: 0.6,
            val_accuracy: 0.8,
            seconds: 1.0,
            samples_per_s: 100.0,
        };
        r.history = (1..=4).map(epoch).collect();
        assert_eq!(epochs_text(&r), "4");
        r.finish = Some(FinishReason::EarlyStopped {
            best_epoch: 2,
            restored: true,
        });
        assert_eq!(epochs_text(&r), "4 (best 2 restored)");
        r.finish = Some(FinishReason::Diverged {
            batch: 7,
            advice: String::new(),
        });
        assert_eq!(epochs_text(&r), "4 (diverged)");
        r.finish = Some(FinishReason::Completed);
        assert_eq!(epochs_text(&r), "4");
    }

    #[test]
    fn an_activation_note_prefers_saturation_then_dead_units() {
        let mut a = ActivationStats {
            layer: 0,
            name: "ReLU".into(),
            histogram: Histogram::of(&[]),
            dead_fraction: None,
            saturated_fraction: None,
        };
        assert_eq!(activation_note(&a), "");
        a.dead_fraction = Some(0.254);
        assert_eq!(activation_note(&a), "25% dead");
        a.saturated_fraction = Some(0.5);
        assert_eq!(activation_note(&a), "50% saturated");
    }
}
