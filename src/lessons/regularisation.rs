//! The regularisation lab: one over-sized network on a few hundred images, which overfits,
//! and the same run again with each regulariser. Same seed, same initial weights, same
//! data order: the only difference between two runs is the regulariser.

use super::lab::LabRun;
use crate::data::augment::Augmentation;
use crate::data::split::SplitConfig;
use crate::nn::{Init, LayerSpec, ModelSpec};
use crate::optim::OptimizerSpec;
use crate::train::{EarlyStopping, LrSchedule, Monitor, TrainConfig};

/// An MLP (784-256-10) trained on `images` training images for `epochs`: enough weights to
/// memorise them. SGD with momentum, because with Adam an L2 penalty is rescaled per weight
/// and barely acts (the reason AdamW exists), which would hide what L2 does.
pub fn overfitting_config(images: usize, epochs: usize, seed: u64) -> TrainConfig {
    let mut config = TrainConfig::for_preset(crate::nn::presets::Preset::ShallowWide, epochs, seed);
    config.batch_size = 32;
    config.optimizer = OptimizerSpec::Momentum { momentum: 0.9 };
    config.lr = LrSchedule::constant(0.02);
    config.model = ModelSpec::new(
        vec![28, 28, 1],
        vec![
            LayerSpec::Flatten,
            LayerSpec::Dense {
                units: 256,
                init: Init::HeNormal,
            },
            LayerSpec::Relu,
            LayerSpec::Dense {
                units: 10,
                init: Init::HeNormal,
            },
            LayerSpec::Softmax,
        ],
    );
    config.split = SplitConfig {
        validation: 2000,
        train_subset: Some(images),
    };
    config
}

/// The lab's runs from `base` (an [`overfitting_config`]): none, L2, L1, dropout,
/// augmentation, early stopping, batch norm. The strengths are strong on purpose: with a
/// few hundred images a mild penalty still fits them all (measured: L2 at 0.01 and 0.03
/// leaves the gap as it is, 0.1 shrinks it).
pub fn runs(base: &TrainConfig) -> Vec<LabRun> {
    let dense: Vec<usize> = base
        .model
        .layers
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(l.layer, LayerSpec::Dense { .. }))
        .map(|(i, _)| i)
        .collect();
    let variant = |name: &str, change: &dyn Fn(&mut TrainConfig)| {
        let mut config = base.clone();
        change(&mut config);
        LabRun::new(name.to_string(), config)
    };
    vec![
        variant("no regularisation", &|_| {}),
        variant("L2 0.1", &|c| {
            dense
                .iter()
                .for_each(|&i| c.model.layers[i].penalties.l2 = 0.1)
        }),
        variant("L1 0.001", &|c| {
            dense
                .iter()
                .for_each(|&i| c.model.layers[i].penalties.l1 = 0.001)
        }),
        variant("dropout 0.2 / 0.5", &|c| {
            // After the hidden layer's activation, then on the input.
            let hidden = dense[0] + 2;
            let rate = |rate| LayerSpec::Dropout { rate }.into();
            c.model.layers.insert(hidden, rate(0.5));
            c.model.layers.insert(dense[0], rate(0.2));
        }),
        variant("augmentation", &|c| {
            c.augmentation = Augmentation {
                rotation_deg: 12.0,
                translate_px: 2.0,
                scale: 0.1,
                ..Default::default()
            }
        }),
        variant("early stopping", &|c| {
            c.early_stopping = Some(EarlyStopping {
                monitor: Monitor::ValLoss,
                patience: 3,
                min_delta: 0.0,
                restore_best: true,
            })
        }),
        variant("batch norm", &|c| {
            let norm = LayerSpec::BatchNorm {
                momentum: 0.9,
                epsilon: 1e-3,
            };
            c.model.layers.insert(dense[0] + 1, norm.into());
        }),
    ]
}
