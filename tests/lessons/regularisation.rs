//! The regularisation lab at reduced size: the outcomes the lesson teaches.

use crate::common;

use pollster::block_on;
use trainer::lessons::lab::{run_to_end, RunReport};
use trainer::lessons::regularisation::{overfitting_config, runs};
use trainer::train::FinishReason;

fn run_all(images: usize, epochs: usize) -> Vec<RunReport> {
    let base = overfitting_config(images, epochs, 1);
    runs(&base)
        .into_iter()
        .map(|run| {
            let (r, _) = block_on(run_to_end(&run, common::mnist())).unwrap();
            println!(
                "{:<20} train {:.3} val {:.3} gap {:.3} near zero {} of {} (exactly 0: {}) epochs {} range {:.3}..{:.3}",
                r.name,
                r.train_accuracy,
                r.val_accuracy,
                r.gap(),
                r.near_zero,
                r.weight_count,
                r.exact_zero,
                r.history.len(),
                r.weights.min,
                r.weights.max
            );
            r
        })
        .collect()
}

#[test]
fn the_lab_shows_overfitting_and_what_each_regulariser_does() {
    let reports = run_all(300, 20);
    let by = |name: &str| reports.iter().find(|r| r.name.starts_with(name)).unwrap();
    let none = by("no regularisation");
    assert!(none.train_accuracy > 0.99, "300 images are memorised");
    assert!(none.gap() > 0.08, "and the gap shows it: {}", none.gap());
    for name in ["L2", "dropout", "augmentation"] {
        assert!(by(name).gap() < none.gap() - 0.01, "{name} shrinks the gap");
    }
    // L1 drives weights to zero and leaves the useful ones large; L2 shrinks them all
    // (at this strength it also zeroes the weights of pixels that are always blank).
    let reach = |r: &RunReport| r.weights.min.abs().max(r.weights.max.abs());
    let (l1, l2) = (by("L1"), by("L2"));
    assert!(l1.near_zero > 10 * none.near_zero, "L1 makes weights zero");
    // Exactly zero: L1's proximal step lands weights on 0 (and the averaged weights keep
    // them), while L2 only ever scales a weight down.
    assert!(
        l1.exact_zero > l1.weight_count / 4,
        "L1 sets weights exactly to zero: {} of {}",
        l1.exact_zero,
        l1.weight_count
    );
    assert_eq!((none.exact_zero, l2.exact_zero), (0, 0));
    assert!(reach(l2) < 0.5 * reach(none), "L2 shrinks every weight");
    assert!(
        reach(l1) > 1.5 * reach(l2),
        "L1 leaves the weights it keeps larger than L2 does"
    );
    let early = by("early stopping");
    match &early.finish {
        Some(FinishReason::EarlyStopped {
            best_epoch,
            restored,
        }) => {
            assert!(*restored && early.history.len() < 20);
            let best = &early.history[best_epoch - 1];
            assert!(
                (early.val_accuracy - best.val_accuracy).abs() < 1e-6,
                "the best epoch's weights are back"
            );
        }
        other => panic!("early stopping should stop this run early: {other:?}"),
    }
    assert_eq!(reports.len(), 7);
}
