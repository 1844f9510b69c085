//! The training coach on recorded-shape curves: one case per verdict, and a healthy run that
//! gets none. Each verdict must quote the numbers it rests on.

use trainer::optim::OptimizerSpec;
use trainer::train::coach::{advise, Finding};
use trainer::train::metrics::{ActivationStats, Histogram, ModelSnapshot};
use trainer::train::{EpochSummary, FinishReason, StepMetrics};

fn steps(losses: impl IntoIterator<Item = f32>) -> Vec<StepMetrics> {
    losses
        .into_iter()
        .enumerate()
        .map(|(i, loss)| StepMetrics {
            batch: i + 1,
            epoch: 1,
            epoch_progress: 0.5,
            loss,
            data_loss: loss,
            l1: 0.0,
            l2: 0.0,
            activity: 0.0,
            accuracy: 0.5,
            lr: 0.01,
            grad_norm: None,
            samples_per_s: 1000.0,
            dispatches: None,
        })
        .collect()
}

fn epoch(epoch: usize, train: f32, val: f32, val_loss: f32) -> EpochSummary {
    EpochSummary {
        epoch,
        train_loss: 0.1,
        train_accuracy: train,
        val_loss,
        val_accuracy: val,
        seconds: 1.0,
        samples_per_s: 1000.0,
    }
}

fn snapshot(dead: Option<f32>, saturated: Option<f32>) -> ModelSnapshot {
    ModelSnapshot {
        step: 100,
        activations: vec![ActivationStats {
            layer: 1,
            name: "ReLU".into(),
            histogram: Histogram::of(&[0.0, 1.0]),
            dead_fraction: dead,
            saturated_fraction: saturated,
        }],
        weights: Vec::new(),
        grad_norms: Vec::new(),
        filters: None,
    }
}

/// A healthy curve: 2.3 falling to about 0.1.
fn falling() -> Vec<StepMetrics> {
    steps((0..300).map(|i| 0.1 + 2.2 * (-(i as f32) / 40.0).exp()))
}

const SGD: OptimizerSpec = OptimizerSpec::Sgd;

fn findings(advice: &[trainer::train::coach::Advice]) -> Vec<Finding> {
    advice.iter().map(|a| a.finding).collect()
}

#[test]
fn a_healthy_run_gets_no_advice() {
    let a = advise(
        &SGD,
        &falling(),
        &[epoch(1, 0.97, 0.965, 0.12)],
        Some(&snapshot(Some(0.1), None)),
        None,
    );
    assert!(a.is_empty(), "{a:?}");
}

#[test]
fn divergence_blames_the_learning_rate() {
    let reason = FinishReason::Diverged {
        batch: 42,
        advice: String::new(),
    };
    let a = advise(&SGD, &falling(), &[], None, Some(&reason));
    assert_eq!(findings(&a), [Finding::Diverged]);
    assert!(
        a[0].message.contains("batch 42") && a[0].message.contains("1e-2"),
        "{}",
        a[0].message
    );
}

#[test]
fn a_rising_loss_is_caught() {
    let a = advise(
        &SGD,
        &steps((0..60).map(|i| if i < 20 { 0.5 } else { 2.0 })),
        &[],
        None,
        None,
    );
    assert_eq!(findings(&a), [Finding::LossRising]);
    assert!(
        a[0].message.contains("2.000") && a[0].message.contains("0.500"),
        "{}",
        a[0].message
    );
}

#[test]
fn low_training_accuracy_is_underfitting() {
    let a = advise(&SGD, &falling(), &[epoch(2, 0.62, 0.61, 1.1)], None, None);
    assert_eq!(findings(&a), [Finding::Underfitting]);
    assert!(
        a[0].message.contains("62.0%") && a[0].message.contains("2 epoch"),
        "{}",
        a[0].message
    );
}

#[test]
fn a_widening_gap_is_overfitting() {
    let epochs = [epoch(1, 0.93, 0.91, 0.30), epoch(2, 0.99, 0.90, 0.36)];
    let a = advise(&SGD, &falling(), &epochs, None, None);
    assert_eq!(findings(&a), [Finding::Overfitting]);
    assert!(
        a[0].message.contains("9.0 points") && a[0].message.contains("0.300"),
        "{}",
        a[0].message
    );
    // The same gap while validation loss still improves is not (yet) overfitting.
    let improving = [epoch(1, 0.93, 0.91, 0.36), epoch(2, 0.99, 0.90, 0.30)];
    assert!(advise(&SGD, &falling(), &improving, None, None).is_empty());
}

#[test]
fn dead_relus_and_saturated_units_are_named_by_layer() {
    let a = advise(
        &SGD,
        &falling(),
        &[],
        Some(&snapshot(Some(0.72), None)),
        None,
    );
    assert_eq!(findings(&a), [Finding::DeadRelus]);
    assert!(
        a[0].message.contains("Layer 2") && a[0].message.contains("72%"),
        "{}",
        a[0].message
    );
    let a = advise(
        &SGD,
        &falling(),
        &[],
        Some(&snapshot(None, Some(0.45))),
        None,
    );
    assert_eq!(findings(&a), [Finding::Saturation]);
    assert!(a[0].message.contains("45%"), "{}", a[0].message);
}

#[test]
fn a_flat_curve_is_a_plateau() {
    let flat = steps((0..400).map(|i| 0.8 + 0.001 * ((i % 7) as f32)));
    let a = advise(&SGD, &flat, &[epoch(1, 0.95, 0.94, 0.8)], None, None);
    assert_eq!(findings(&a), [Finding::Plateau]);
    assert!(a[0].message.contains("100 batches"), "{}", a[0].message);
}

/// The remedy names a faster optimizer only when the run is not already using it.
#[test]
fn the_coach_never_suggests_the_optimizer_in_use() {
    let flat = steps((0..400).map(|i| 0.8 + 0.001 * ((i % 7) as f32)));
    let plateau = |optimizer: &OptimizerSpec| {
        let a = advise(optimizer, &flat, &[epoch(1, 0.95, 0.94, 0.8)], None, None);
        assert_eq!(findings(&a), [Finding::Plateau]);
        a[0].message.clone()
    };
    let sgd = plateau(&SGD);
    assert!(sgd.contains("momentum or Adam instead of SGD"), "{sgd}");
    let momentum = plateau(&OptimizerSpec::Momentum { momentum: 0.9 });
    assert!(momentum.contains("Adam instead of Momentum"), "{momentum}");
    for optimizer in OptimizerSpec::all()
        .into_iter()
        .filter(|o| o.name().starts_with("Adam"))
    {
        let message = plateau(&optimizer);
        assert!(!message.contains("Adam"), "{message}");
        assert!(message.contains("learning-rate schedule"), "{message}");
    }

    let underfit = |optimizer: &OptimizerSpec| {
        let a = advise(
            optimizer,
            &falling(),
            &[epoch(2, 0.62, 0.61, 1.1)],
            None,
            None,
        );
        assert_eq!(findings(&a), [Finding::Underfitting]);
        a[0].message.clone()
    };
    assert!(underfit(&SGD).contains("or momentum or Adam instead of SGD"));
    let adam = underfit(&OptimizerSpec::adam());
    assert!(!adam.contains("Adam"), "{adam}");
    assert!(adam.contains("bigger network"), "{adam}");
}
