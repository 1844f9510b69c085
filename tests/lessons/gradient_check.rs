//! The gradient check lesson on real models after a little training: backprop agrees with
//! central differences on every parameter tensor.

use crate::common;

use pollster::block_on;
use trainer::lessons::gradient_check::check_current;
use trainer::nn::presets::Preset;
use trainer::train::{TrainConfig, Trainer};

fn trained(preset: Preset) -> Trainer {
    let mut config = TrainConfig::for_preset(preset, 1, 1);
    config.split.train_subset = Some(256);
    config.split.validation = 500;
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    while !t.is_finished() {
        block_on(t.step()).unwrap();
    }
    t
}

#[test]
fn backprop_agrees_with_central_differences_on_a_trained_model() {
    // Not the batch-norm CNN: there the f32 forward pass's rounding, divided by 2h, is as
    // large as its smallest first-layer gradients (measured: 1.8e-2 norm error at h = 1e-3
    // and at h = 3e-4, so not a kink); backprop through batch norm is checked on random data
    // in gradcheck.rs.
    for preset in [Preset::Mlp, Preset::DefaultCnn] {
        let mut t = trained(preset);
        let report = block_on(check_current(&mut t, 4)).unwrap();
        assert_eq!(
            report.tensors.len(),
            t.model.params().len(),
            "every trainable tensor"
        );
        for c in &report.tensors {
            println!(
                "{preset:?} {}: {} checked, norm rel error {:.1e}, max {:.1e}",
                c.name, c.checked, c.norm_rel_error, c.max_rel_error
            );
            assert!(
                c.norm_rel_error < 1e-2,
                "{}: {:.2e}",
                c.name,
                c.norm_rel_error
            );
        }
    }
}
