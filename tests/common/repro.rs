//! A short training run whose loss curve must be bit-identical natively and in wasm:
//! tests/engine/training.rs and tests/browser/main.rs both compare it with the same fixture.

use std::sync::Arc;

use trainer::backend::geometry::Padding;
use trainer::bench::synthetic_dataset;
use trainer::data::augment::Augmentation;
use trainer::nn::{Init, LayerSpec, ModelSpec};
use trainer::tensor::Device;
use trainer::train::{TrainConfig, TrainEvent, Trainer};

/// Every random stream and most kernels: conv, batch norm, max pool, dropout, Gaussian
/// noise, tanh, Adam, augmentation (warp, noise, erasing).
pub fn config() -> TrainConfig {
    let model = ModelSpec::new(
        vec![28, 28, 1],
        vec![
            LayerSpec::GaussianNoise { stddev: 0.1 },
            LayerSpec::Conv2d {
                filters: 4,
                kernel: [3, 3],
                stride: [1, 1],
                padding: Padding::Same,
                dilation: [1, 1],
                init: Init::HeNormal,
            },
            LayerSpec::BatchNorm {
                momentum: 0.9,
                epsilon: 1e-3,
            },
            LayerSpec::Relu,
            LayerSpec::MaxPool2d {
                window: [2, 2],
                stride: [2, 2],
            },
            LayerSpec::Flatten,
            LayerSpec::Dropout { rate: 0.3 },
            LayerSpec::Dense {
                units: 16,
                init: Init::GlorotUniform,
            },
            LayerSpec::Tanh,
            LayerSpec::Dense {
                units: 10,
                init: Init::GlorotUniform,
            },
            LayerSpec::Softmax,
        ],
    );
    let mut config = TrainConfig::for_preset(trainer::nn::presets::Preset::Mlp, 1, 2024);
    config.model = model;
    config.batch_size = 16;
    config.split.validation = 32;
    config.augmentation = Augmentation {
        rotation_deg: 15.0,
        translate_px: 2.0,
        scale: 0.1,
        noise_std: 0.05,
        erase_prob: 0.5,
        ..Default::default()
    };
    config
}

/// The loss of each of the first 24 batches, as f32 bit patterns.
pub async fn loss_bits() -> Vec<u32> {
    let losses = losses_on(Device::Cpu).await;
    losses.iter().map(|l| l.to_bits()).collect()
}

/// The loss of each of the first 24 batches of this run on `device`.
pub async fn losses_on(device: Device) -> Vec<f32> {
    let dataset = Arc::new(synthetic_dataset(16 * 24 + 32, 77));
    let mut trainer = Trainer::on_device(config(), dataset, device).unwrap();
    let mut losses = Vec::new();
    while losses.len() < 24 {
        for event in trainer.step().await.unwrap() {
            if let TrainEvent::Step(s) = event {
                losses.push(s.loss);
            }
        }
    }
    // The GPU reports losses in batches; the last ones arrive with a sync.
    for event in trainer.sync().await.unwrap() {
        if let TrainEvent::Step(s) = event {
            losses.push(s.loss);
        }
    }
    losses.truncate(24);
    losses
}

/// The curve recorded natively (`UPDATE_FIXTURES=1 cargo test --test engine training::` rewrites it).
pub const FIXTURE: &str = include_str!("../fixtures/loss_curve_bits.json");
