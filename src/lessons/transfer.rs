//! Transfer learning: a CNN trained on MNIST lends its convolution layers to Fashion-MNIST.
//! With the conv layers frozen only the last layer is retrained, on a small Fashion budget;
//! the same budget from scratch, and with every MNIST weight free to change, for comparison.

use super::lab::LabRun;
use crate::data::split::SplitConfig;
use crate::data::Builtin;
use crate::nn::presets::Preset;
use crate::nn::LayerSpec;
use crate::optim::OptimizerSpec;
use crate::train::{LrSchedule, TrainConfig};

/// MNIST images and epochs the source network trains on.
pub const SOURCE_IMAGES: usize = 6000;
pub const SOURCE_EPOCHS: usize = 2;

fn cnn(images: usize, epochs: usize, seed: u64) -> TrainConfig {
    let mut config = TrainConfig::for_preset(Preset::DefaultCnn, epochs, seed);
    config.optimizer = OptimizerSpec::adam();
    config.lr = LrSchedule::constant(0.003);
    config.batch_size = 32;
    config.split = SplitConfig {
        validation: 1000,
        train_subset: Some(images),
    };
    config
}

/// The source run, then three runs on `images` Fashion-MNIST images for `epochs`: conv
/// layers frozen from MNIST, all layers starting from MNIST, and from scratch.
pub fn transfer_runs(images: usize, epochs: usize, seed: u64) -> Vec<LabRun> {
    let mut source = LabRun::new(
        format!("source: MNIST, {SOURCE_IMAGES} images"),
        cnn(SOURCE_IMAGES, SOURCE_EPOCHS, seed),
    );
    source.dataset = Some(Builtin::Mnist);
    let target = |name: &str, start_from: Option<usize>, freeze: bool| {
        let mut config = cnn(images, epochs, seed);
        if freeze {
            for layer in &mut config.model.layers {
                layer.frozen = matches!(layer.layer, LayerSpec::Conv2d { .. });
            }
        }
        let mut run = LabRun::new(name, config);
        run.dataset = Some(Builtin::FashionMnist);
        run.start_from = start_from;
        run
    };
    vec![
        source,
        target("Fashion: MNIST's conv layers frozen", Some(0), true),
        target("Fashion: from MNIST's weights, all trained", Some(0), false),
        target("Fashion: from scratch", None, false),
    ]
}
