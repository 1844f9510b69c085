//! Learning-rate search, coarse to fine, at reduced size.

use crate::common;

use pollster::block_on;
use trainer::lessons::lab::{run_to_end, RunReport};
use trainer::lessons::lr_search::{coarse_runs, fine_runs, log_uniform, ROUND};

fn run(runs: Vec<trainer::lessons::lab::LabRun>) -> Vec<RunReport> {
    runs.iter()
        .map(|r| {
            let report = block_on(run_to_end(r, common::mnist())).unwrap().0;
            println!(
                "{:<12} validation {:.3} {:?}",
                report.name, report.val_accuracy, report.finish
            );
            report
        })
        .collect()
}

#[test]
fn rates_are_log_uniform_sorted_and_seeded() {
    let rates = log_uniform(1e-4, 1.0, 1000, 3);
    assert!(rates.windows(2).all(|w| w[0] <= w[1]));
    assert!(rates.iter().all(|&r| (1e-4..=1.0).contains(&r)));
    // Log-uniform: each decade gets about a quarter of the draws.
    let decade = rates.iter().filter(|&&r| (1e-3..1e-2).contains(&r)).count();
    assert!(
        (200..300).contains(&decade),
        "{decade} of 1000 in [1e-3, 1e-2)"
    );
    assert_eq!(log_uniform(1e-4, 1.0, 6, 3), log_uniform(1e-4, 1.0, 6, 3));
}

#[test]
fn coarse_then_fine_finds_a_rate_that_works() {
    let coarse = run(coarse_runs(500, 1, 1));
    assert_eq!(coarse.len(), ROUND);
    let best = coarse
        .iter()
        .max_by(|a, b| a.val_accuracy.total_cmp(&b.val_accuracy))
        .unwrap();
    let worst = coarse.iter().map(|r| r.val_accuracy).fold(1.0, f32::min);
    assert!(
        best.val_accuracy > worst + 0.3,
        "the rate matters: {worst} to {}",
        best.val_accuracy
    );
    let fine = run(fine_runs(best.lr, 500, 1, 1));
    assert!(fine
        .iter()
        .all(|r| r.lr >= best.lr / 4.0 && r.lr <= best.lr * 4.0));
    let fine_best = fine.iter().map(|r| r.val_accuracy).fold(0.0, f32::max);
    assert!(
        fine_best >= best.val_accuracy - 0.02,
        "the fine round stays near the best"
    );
}
