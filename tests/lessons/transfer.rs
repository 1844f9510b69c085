//! Transfer learning at reduced size: the mechanics the lesson relies on (frozen layers stay
//! exactly as MNIST left them, the head retrains, every run learns). Whether MNIST's
//! features help on Fashion-MNIST is what the learner measures; with this small CNN they
//! do not beat training from scratch (measured at 100–500 images, 3–10 epochs), and the
//! lesson says so.

use crate::common;

use pollster::block_on;
use trainer::data::Builtin;
use trainer::lessons::lab::run_from;
use trainer::lessons::transfer::transfer_runs;

#[test]
fn mnist_features_are_frozen_reused_and_compared_with_scratch() {
    let runs = transfer_runs(300, 3, 1);
    let mut finished = Vec::new();
    let mut reports = Vec::new();
    for run in &runs {
        let data = match run.dataset {
            Some(Builtin::FashionMnist) => common::fashion(),
            _ => common::mnist(),
        };
        let (report, _, weights) = block_on(run_from(run, data, &finished)).unwrap();
        println!("{:<44} validation {:.3}", report.name, report.val_accuracy);
        finished.push(weights);
        reports.push(report);
    }
    // Frozen means frozen: the conv layers leave Fashion-MNIST as MNIST trained them.
    for k in [0, 1, 2, 3] {
        assert_eq!(
            finished[1][k].to_vec(),
            finished[0][k].to_vec(),
            "conv tensor {k}"
        );
    }
    assert_ne!(
        finished[1][4].to_vec(),
        finished[0][4].to_vec(),
        "the head is retrained"
    );
    assert!(reports[0].val_accuracy > 0.9, "the source learned MNIST");
    for r in &reports[1..] {
        assert!(
            r.val_accuracy > 0.4,
            "{} learns Fashion-MNIST: {}",
            r.name,
            r.val_accuracy
        );
    }
}
