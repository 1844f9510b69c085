//! The optimizer race and the batch-size experiment at reduced size: what they teach.

use crate::common;

use pollster::block_on;
use trainer::lessons::batch_size::{batch_runs, roughness};
use trainer::lessons::lab::{run_to_end, LabRun};
use trainer::lessons::optimizers::{race_config, race_runs};
use trainer::train::Trainer;

#[test]
fn the_race_starts_every_optimizer_from_the_same_weights_and_adam_beats_sgd() {
    let runs = race_runs(&race_config(1000, 2, 1));
    assert_eq!(runs.len(), 8);
    let initial = |run: &LabRun| {
        let mut t = Trainer::new(run.config.clone(), common::mnist()).unwrap();
        let weights = t.model.weights();
        weights.iter().map(|w| w.to_vec()).collect::<Vec<_>>()
    };
    let first = initial(&runs[0]);
    for run in &runs[1..] {
        assert_eq!(initial(run), first, "{} starts elsewhere", run.name);
    }
    let mut last_loss = Vec::new();
    for run in &runs {
        let (report, recorder) = block_on(run_to_end(run, common::mnist())).unwrap();
        let losses = recorder.losses();
        let tail: f32 = losses[losses.len() - 10..].iter().map(|p| p.1).sum::<f32>() / 10.0;
        let head: f32 = losses[..10].iter().map(|p| p.1).sum::<f32>() / 10.0;
        println!(
            "{:<22} loss {head:.3} → {tail:.3}, validation {:.3}",
            report.name, report.val_accuracy
        );
        assert!(tail < head, "{} lowers the loss", report.name);
        last_loss.push((report.name.clone(), tail));
    }
    let loss = |name: &str| {
        last_loss
            .iter()
            .find(|(n, _)| n.starts_with(name))
            .unwrap()
            .1
    };
    assert!(
        loss("Adam ") < loss("SGD"),
        "Adam outruns plain SGD at their usual rates"
    );
    assert!(loss("Momentum") < loss("SGD"), "momentum speeds SGD up");
}

#[test]
fn small_batches_are_noisy_and_the_full_batch_is_slow() {
    let runs = batch_runs(300, 3, 1);
    let results: Vec<_> = runs
        .iter()
        .map(|run| block_on(run_to_end(run, common::mnist())).unwrap())
        .collect();
    for (report, recorder) in &results {
        println!(
            "{:<18} {} updates/epoch, roughness {:.3}, validation {:.3}",
            report.name,
            report.updates_per_epoch,
            roughness(recorder.losses()),
            report.val_accuracy
        );
    }
    let [(one, one_rec), (mid, mid_rec), (full, _)] = &results[..] else {
        panic!("three runs")
    };
    assert_eq!(
        [
            one.updates_per_epoch,
            mid.updates_per_epoch,
            full.updates_per_epoch
        ],
        [300, 10, 1]
    );
    assert!(
        roughness(one_rec.losses()) > 2.0 * roughness(mid_rec.losses()),
        "one image per update makes a jagged curve"
    );
    assert!(
        full.val_accuracy < mid.val_accuracy,
        "three full-batch updates learn less than thirty batches of 32"
    );
}
