//! The initialisation lesson at reduced size: what each start does to the first batch's
//! activations, and whether the network then learns.

use crate::common;

use pollster::block_on;
use trainer::lessons::initialisation::{init_runs, DEPTH};
use trainer::lessons::lab::{run_to_end, RunReport};
use trainer::train::metrics::ActivationStats;

fn tanh_layers(r: &RunReport) -> Vec<&ActivationStats> {
    r.first_activations
        .iter()
        .filter(|a| a.saturated_fraction.is_some())
        .collect()
}

fn spread(a: &ActivationStats) -> f32 {
    a.histogram.max - a.histogram.min
}

#[test]
fn zeros_never_learn_small_fades_large_saturates_glorot_works() {
    let reports: Vec<RunReport> = init_runs(1000, 2, 1)
        .iter()
        .map(|run| block_on(run_to_end(run, common::mnist())).unwrap().0)
        .collect();
    for r in &reports {
        let layers = tanh_layers(r);
        assert_eq!(layers.len(), DEPTH);
        println!(
            "{:<22} spread by layer {:?}, saturated {:?}, validation {:.3}",
            r.name,
            layers.iter().map(|a| spread(a)).collect::<Vec<_>>(),
            layers
                .iter()
                .map(|a| a.saturated_fraction.unwrap())
                .collect::<Vec<_>>(),
            r.val_accuracy
        );
    }
    let by = |name: &str| reports.iter().find(|r| r.name.starts_with(name)).unwrap();
    let (zeros, small, large, glorot) =
        (by("zeros"), by("too small"), by("too large"), by("Xavier"));
    assert!(
        tanh_layers(zeros).iter().all(|a| spread(a) == 0.0),
        "zeros: every unit outputs 0"
    );
    assert!(
        zeros.val_accuracy < 0.25,
        "zeros: no more than the class frequencies"
    );
    let last = |r: &RunReport| spread(tanh_layers(r)[DEPTH - 1]);
    assert!(
        last(small) < 0.05 * last(glorot),
        "too small: the signal fades"
    );
    assert!(
        tanh_layers(large)
            .iter()
            .all(|a| a.saturated_fraction.unwrap() > 0.5),
        "too large: most units saturated"
    );
    assert!(glorot.val_accuracy > 0.8, "Glorot learns");
    assert!(glorot.val_accuracy > small.val_accuracy);
}
