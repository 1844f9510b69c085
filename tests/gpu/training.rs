//! Training on the GPU (natively: lavapipe in `make test`): the same run as on the CPU, a
//! small number of dispatches per step, batches built on the GPU equal to the CPU's, and a
//! lost device that training survives on the CPU without losing a completed epoch. Each test
//! makes a fresh GPU context (`common::gpu`), so a lost device does not spill over.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use pollster::block_on;
use trainer::data::augment::Augmentation;
use trainer::data::batch::make_batch;
use trainer::data::device::DeviceImages;
use trainer::data::normalize::{Normalization, Normalizer};
use trainer::data::{Dataset, ImageSet};
use trainer::nn::presets::Preset;
use trainer::random::Rng;
use trainer::tensor::Device;
use trainer::train::{FinishReason, TrainConfig, TrainEvent, Trainer};

fn losses(events: &[TrainEvent]) -> Vec<f32> {
    events
        .iter()
        .filter_map(|e| match e {
            TrainEvent::Step(s) => Some(s.loss),
            _ => None,
        })
        .collect()
}

#[test]
fn two_hundred_steps_of_the_default_cnn_agree_with_the_cpu() {
    let Some(ctx) = common::gpu() else { return };
    let mut config = TrainConfig::for_preset(Preset::DefaultCnn, 1, 3);
    config.batch_size = 16;
    config.split.train_subset = Some(200 * 16);
    config.split.validation = 500;
    // Dropout draws the same masks on both devices: include it.
    config
        .model
        .layers
        .insert(6, trainer::nn::LayerSpec::Dropout { rate: 0.2 }.into());
    let run = |device: Device| {
        let mut t = Trainer::on_device(config.clone(), common::mnist(), device).unwrap();
        let mut events = Vec::new();
        block_on(t.run(|e| events.push(e.clone()))).unwrap();
        events
    };
    let on_cpu = losses(&run(Device::Cpu));
    let gpu_events = run(Device::WebGpu(ctx));
    let on_gpu = losses(&gpu_events);
    assert_eq!(on_cpu.len(), 200);
    assert_eq!(on_gpu.len(), 200);
    let worst = on_cpu
        .iter()
        .zip(&on_gpu)
        .map(|(c, g)| (c - g).abs() / c.abs().max(1e-3))
        .fold(0.0f32, f32::max);
    println!(
        "200 steps: loss {:.4} → {:.4} on the CPU, {:.4} → {:.4} on the GPU; largest relative difference {worst:.2e}",
        on_cpu[0], on_cpu[199], on_gpu[0], on_gpu[199]
    );
    // Float sums in another order drift apart slowly over 200 updates.
    assert!(worst < 0.02, "loss curves differ by up to {worst}");
    assert!(on_gpu[199] < on_gpu[0] * 0.5, "the GPU run learned");
    // Few dispatches per step (this model with dropout, weight averaging and Adam).
    let dispatches: Vec<u64> = gpu_events
        .iter()
        .filter_map(|e| match e {
            TrainEvent::Step(s) => s.dispatches,
            _ => None,
        })
        .collect();
    let most = *dispatches.iter().max().unwrap();
    println!("dispatches per step: {most}");
    assert!(most <= 40, "{most} dispatches per step");
}

#[test]
fn the_default_cnn_needs_at_most_40_dispatches_per_step() {
    let Some(ctx) = common::gpu() else { return };
    let mut config = TrainConfig::for_preset(Preset::DefaultCnn, 1, 3);
    config.split.train_subset = Some(64 * 3);
    config.split.validation = 64;
    let mut t = Trainer::on_device(config, common::mnist(), Device::WebGpu(ctx)).unwrap();
    let mut counts = Vec::new();
    for _ in 0..3 {
        for e in block_on(t.step()).unwrap() {
            if let TrainEvent::Step(s) = e {
                counts.extend(s.dispatches);
            }
        }
    }
    println!("dispatches per step: {counts:?}");
    assert_eq!(counts.len(), 3);
    assert!(counts.iter().all(|&c| c <= 40), "{counts:?}");
}

/// Every augmentation on at once, strongly, with colour jitter of `colour_jitter`.
fn every_augmentation(colour_jitter: f32) -> Augmentation {
    Augmentation {
        rotation_deg: 20.0,
        translate_px: 3.0,
        scale: 0.2,
        noise_std: 0.1,
        erase_prob: 0.5,
        blur_prob: 0.5,
        invert_prob: 0.5,
        hflip: true,
        vflip: true,
        colour_jitter,
    }
}

#[test]
fn batches_gathered_and_augmented_on_the_gpu_equal_the_cpu_ones() {
    let Some(ctx) = common::gpu() else { return };
    let dataset = common::mnist();
    let indices: Vec<u32> = (0..37).map(|i| i * 997 % 60000).collect();
    for kind in [
        Normalization::Scale01,
        Normalization::SubtractMeanPixel,
        Normalization::SubtractMeanImage,
        Normalization::Standardize,
    ] {
        let normalizer = Normalizer::fit(kind, &dataset.train, &indices);
        let aug = every_augmentation(0.0);
        let mut rng = Rng::new(1, 1);
        let augments: Vec<_> = indices
            .iter()
            .map(|_| aug.sample(28, 28, &mut rng))
            .collect();
        let cpu = make_batch(&dataset.train, &indices, &normalizer, Some(&augments));
        let resident = DeviceImages::upload(&dataset.train, &normalizer, &ctx).unwrap();
        let gpu = resident.batch(&indices, Some(&augments)).unwrap();
        let (a, b) = (gpu.inputs.to_vec(), cpu.inputs.to_vec());
        // The GPU's log and cos (noise) are not libm's: close, not equal.
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-3, "{kind:?}: inputs differ by up to {worst}");
        assert_eq!(
            gpu.targets.to_vec(),
            cpu.targets.to_vec(),
            "{kind:?}: one-hot targets"
        );
    }
}

/// A colour set of odd size and 7 classes, pixels and labels from a seed.
fn colour_set(n: usize) -> ImageSet {
    let mut rng = Rng::new(5, 5);
    ImageSet {
        rows: 13,
        cols: 17,
        channels: 3,
        classes: 7,
        images: (0..n * 13 * 17 * 3).map(|_| rng.below(256) as u8).collect(),
        labels: (0..n).map(|_| rng.below(7) as u8).collect(),
    }
}

#[test]
fn colour_batches_of_seven_classes_gathered_on_the_gpu_equal_the_cpu_ones() {
    let Some(ctx) = common::gpu() else { return };
    let set = colour_set(40);
    let indices: Vec<u32> = (0..23).map(|i| i * 7 % 40).collect();
    for kind in [
        Normalization::Scale01,
        Normalization::SubtractMeanPixel,
        Normalization::SubtractMeanImage,
        Normalization::Standardize,
    ] {
        let normalizer = Normalizer::fit(kind, &set, &indices);
        assert_eq!(normalizer.channels(), 3);
        for aug in [None, Some(every_augmentation(0.4))] {
            let mut rng = Rng::new(1, 1);
            let augments: Option<Vec<_>> =
                aug.map(|a| indices.iter().map(|_| a.sample(13, 17, &mut rng)).collect());
            let cpu = make_batch(&set, &indices, &normalizer, augments.as_deref());
            let resident = DeviceImages::upload(&set, &normalizer, &ctx).unwrap();
            let gpu = resident.batch(&indices, augments.as_deref()).unwrap();
            assert_eq!(gpu.inputs.shape(), [23, 13, 17, 3]);
            assert_eq!(gpu.targets.shape(), [23, 7]);
            let (a, b) = (gpu.inputs.to_vec(), cpu.inputs.to_vec());
            let worst = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0f32, f32::max);
            assert!(
                worst < 1e-3,
                "{kind:?} {aug:?}: inputs differ by up to {worst}"
            );
            assert_eq!(
                gpu.targets.to_vec(),
                cpu.targets.to_vec(),
                "{kind:?}: targets"
            );
        }
    }
}

#[test]
fn the_colour_cnn_trains_alike_on_gpu_and_cpu_with_five_classes() {
    let Some(ctx) = common::gpu() else { return };
    let mut rng = Rng::new(8, 8);
    let mut set = ImageSet {
        rows: 16,
        cols: 16,
        channels: 3,
        classes: 5,
        ..Default::default()
    };
    for i in 0..400 {
        let class = i % 5;
        set.labels.push(class as u8);
        // Each class a colour, with noise: separable.
        for _ in 0..16 * 16 {
            for c in 0..3 {
                let base = [40u32, 120, 200][(class + c) % 3] + 20 * (class as u32 / 3);
                set.images.push((base + rng.below(40)) as u8);
            }
        }
    }
    let dataset = std::sync::Arc::new(Dataset {
        name: "colours".into(),
        class_names: (0..5).map(|c| format!("colour {c}")).collect(),
        test: set.empty_like(),
        train: set,
    });
    let mut config = TrainConfig::for_preset(Preset::ColourCnn, 1, 3);
    config.model = Preset::ColourCnn.spec_for(&[16, 16, 3], 5);
    config.batch_size = 16;
    config.split.validation = 80;
    config.augmentation.colour_jitter = 0.2;
    config.augmentation.hflip = true;
    let run = |device: Device| {
        let mut t = Trainer::on_device(config.clone(), dataset.clone(), device).unwrap();
        let mut events = Vec::new();
        block_on(t.run(|e| events.push(e.clone()))).unwrap();
        events
    };
    let on_cpu = losses(&run(Device::Cpu));
    let on_gpu = losses(&run(Device::WebGpu(ctx)));
    assert_eq!(on_cpu.len(), 20);
    assert_eq!(on_gpu.len(), 20);
    let worst = on_cpu
        .iter()
        .zip(&on_gpu)
        .map(|(c, g)| (c - g).abs() / c.abs().max(1e-3))
        .fold(0.0f32, f32::max);
    println!(
        "colour CNN, 5 classes: loss {:.4} → {:.4}; largest relative difference {worst:.2e}",
        on_cpu[0], on_cpu[19]
    );
    assert!(worst < 0.02, "loss curves differ by up to {worst}");
}

#[test]
fn a_lost_gpu_hands_training_to_the_cpu_without_losing_a_completed_epoch() {
    let Some(ctx) = common::gpu() else { return };
    let mut config = TrainConfig::for_preset(Preset::Mlp, 3, 1);
    config.split.train_subset = Some(640);
    config.split.validation = 200;
    let mut t = Trainer::on_device(config, common::mnist(), Device::WebGpu(ctx.clone())).unwrap();
    // Train the first epoch on the GPU.
    while t.epochs_done() < 1 {
        block_on(t.step()).unwrap();
    }
    let first_epoch = t.history[0].clone();
    // Two batches into the second epoch the device goes away (GPUDevice.destroy()).
    block_on(t.step()).unwrap();
    block_on(t.step()).unwrap();
    ctx.simulate_loss();
    let failure = loop {
        match block_on(t.step()) {
            Err(e) => break e,
            Ok(_) => continue,
        }
    };
    let notice = t.fall_back(&failure.to_string()).unwrap();
    let TrainEvent::BackendChanged {
        device,
        reason,
        resumed_epoch,
    } = notice
    else {
        panic!("a backend change")
    };
    assert_eq!(device, "CPU");
    assert!(reason.contains("lost"), "{reason}");
    assert_eq!(resumed_epoch, 2, "the second epoch starts again");
    assert_eq!(t.history, vec![first_epoch], "the completed epoch is kept");
    assert_eq!(t.device, Device::Cpu);
    let mut finished = None;
    block_on(t.run(|e| {
        if let TrainEvent::Finished { reason, test } = e {
            finished = Some((reason.clone(), test.clone()));
        }
    }))
    .unwrap();
    let (reason, test) = finished.unwrap();
    assert_eq!(reason, FinishReason::Completed);
    assert_eq!(t.history.len(), 3);
    assert!(test.unwrap().accuracy > 0.7, "it kept learning on the CPU");
}
