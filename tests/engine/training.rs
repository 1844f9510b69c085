//! The training loop: schedules, optimizers, clipping, accumulation, splits, normalisation,
//! augmentation, early stopping, divergence, stepping, reproducibility, metrics, and that
//! it learns real MNIST and that regularisers visibly regularise.

use crate::common::{self, repro};

use std::sync::Arc;

use pollster::block_on;

use trainer::bench::synthetic_dataset;
use trainer::data::augment::Augmentation;
use trainer::data::normalize::{Normalization, Normalizer};
use trainer::data::split::{Split, SplitConfig};
use trainer::data::ImageSet;
use trainer::lessons::regularisation::overfitting_config;
use trainer::nn::presets::Preset;
use trainer::nn::{Init, LayerSpec, ModelSpec, Penalties};
use trainer::optim::OptimizerSpec;
use trainer::random::Rng;
use trainer::train::metrics::{self, Histogram};
use trainer::train::{
    EarlyStopping, FinishReason, LrSchedule, Monitor, Schedule, StepMetrics, TrainConfig,
    TrainEvent, Trainer,
};

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

/// Runs to the end; returns every step's metrics and the finish event.
fn run(trainer: &mut Trainer) -> (Vec<StepMetrics>, Vec<TrainEvent>) {
    let mut steps = Vec::new();
    let mut others = Vec::new();
    block_on(trainer.run(|e| match e {
        TrainEvent::Step(s) => steps.push(s.clone()),
        other => others.push(other.clone()),
    }))
    .unwrap();
    (steps, others)
}

fn finish_reason(events: &[TrainEvent]) -> FinishReason {
    events
        .iter()
        .find_map(|e| match e {
            TrainEvent::Finished { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .expect("a Finished event")
}

// ---------------------------------------------------------------- schedules

#[test]
fn schedules_golden_values() {
    let at = |schedule, t| {
        LrSchedule {
            base: 0.1,
            schedule,
            warmup: 0,
        }
        .at(t, 100, 1000)
    };
    assert_eq!(at(Schedule::Constant, 500), 0.1);
    // Staircase: γ^⌊e/2⌋ with e = t/100; at t = 450, e = 4.5 → 0.5².
    let step = Schedule::Step {
        every_epochs: 2.0,
        gamma: 0.5,
    };
    assert!(close(at(step, 450), 0.025, 1e-6));
    assert!(close(at(step, 199), 0.1, 1e-6));
    // γ^e: 0.9^2.5.
    assert!(close(
        at(Schedule::Exponential { gamma: 0.9 }, 250),
        0.1 * 0.9f32.powf(2.5),
        1e-5
    ));
    // 1/(1 + k·e): k = 1, e = 3 → ¼.
    assert!(close(
        at(Schedule::InverseTime { k: 1.0 }, 300),
        0.025,
        1e-6
    ));
    // 1/√(t + 1): t = 99 → 1/10.
    assert!(close(at(Schedule::InverseSqrt, 99), 0.01, 1e-6));
    // Linear to 1% over τ = 200 updates: halfway is (1 + 0.01)/2, then flat.
    let linear = Schedule::Linear {
        tau: 200,
        floor: 0.01,
    };
    assert!(close(at(linear, 100), 0.1 * 0.505, 1e-6));
    assert!(close(at(linear, 900), 0.001, 1e-6));
    // Cosine: half the way down at the middle of the run, the floor at the end.
    let cosine = Schedule::Cosine { floor: 0.0 };
    assert!(close(at(cosine, 500), 0.05, 1e-5));
    assert!(at(cosine, 1000) < 1e-9);
}

#[test]
fn warmup_ramps_up_and_the_curve_previews_the_run() {
    let s = LrSchedule {
        base: 1.0,
        schedule: Schedule::Cosine { floor: 0.1 },
        warmup: 10,
    };
    let curve = s.curve(50, 200);
    assert_eq!(curve.len(), 200);
    assert!(close(curve[0], 0.1, 1e-3), "{}", curve[0]);
    assert!(curve[..10].windows(2).all(|w| w[1] > w[0]), "warm-up rises");
    assert!(curve[20..].windows(2).all(|w| w[1] <= w[0]), "cosine falls");
    assert!(close(curve[199], 0.1, 1e-3));
}

// ---------------------------------------------------------------- data pipeline

#[test]
fn validation_is_carved_from_training_and_test_is_held_back() {
    let d = common::mnist();
    let cfg = SplitConfig {
        validation: 5000,
        train_subset: Some(500),
    };
    let s = cfg.split(&d, 1).unwrap();
    assert_eq!(
        (s.train.len(), s.validation.len(), s.test.len()),
        (500, 5000, 10000)
    );
    let mut all: Vec<u32> = s.train.iter().chain(&s.validation).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 5500, "train and validation are disjoint");
    assert_eq!(
        cfg.split(&d, 1).unwrap(),
        s,
        "the same seed, the same split"
    );
    assert_ne!(cfg.split(&d, 2).unwrap().validation, s.validation);
    let too_big = SplitConfig {
        validation: 60000,
        train_subset: None,
    };
    assert!(too_big
        .split(&d, 1)
        .unwrap_err()
        .to_string()
        .contains("must leave training images"));
}

#[test]
fn normalisation_statistics_come_from_the_training_split_only() {
    // Two images: all 0 and all 255; fitting on the first alone gives mean 0.
    let set = ImageSet {
        rows: 2,
        cols: 2,
        channels: 1,
        classes: 2,
        images: vec![0, 0, 0, 0, 255, 255, 255, 255],
        labels: vec![0, 1],
    };
    let only_first = Normalizer::fit(Normalization::Standardize, &set, &[0]);
    assert_eq!(only_first.mean, 0.0);
    let both = Normalizer::fit(Normalization::Standardize, &set, &[0, 1]);
    assert!(close(both.mean, 0.5, 1e-6) && close(both.std, 0.5, 1e-6));
    let mut px = vec![0.0, 1.0];
    both.apply(&mut px);
    assert_eq!(px, [-1.0, 1.0]);
    let image = Normalizer::fit(Normalization::SubtractMeanImage, &set, &[0, 1]);
    assert_eq!(image.mean_image, vec![0.5; 4]);
    // MNIST's training pixels: mean 0.1307, std 0.3081 (the figures PyTorch's example uses).
    let d = common::mnist();
    let all: Vec<u32> = (0..60000).collect();
    let m = Normalizer::fit(Normalization::Standardize, &d.train, &all);
    assert!(
        close(m.mean, 0.1307, 1e-3) && close(m.std, 0.3081, 1e-3),
        "{m:?}"
    );
}

fn image_with_dot(y: usize, x: usize) -> Vec<f32> {
    let mut img = vec![0.0; 28 * 28];
    img[y * 28 + x] = 1.0;
    img
}

#[test]
fn augmentations_do_what_they_say() {
    let mut rng = Rng::new(1, 1);
    let apply = |aug: Augmentation, img: &mut Vec<f32>, rng: &mut Rng| aug.apply(img, 28, 28, rng);
    // Translation by whole pixels moves the dot; the generator picks the shift.
    let mut img = image_with_dot(10, 10);
    apply(
        Augmentation {
            translate_px: 3.0,
            ..Default::default()
        },
        &mut img,
        &mut rng,
    );
    assert!(close(img.iter().sum(), 1.0, 0.05), "ink is conserved");
    assert!(img[10 * 28 + 10] < 1.0, "the dot moved");
    // Inversion is exact.
    let mut img = image_with_dot(0, 0);
    apply(
        Augmentation {
            invert_prob: 1.0,
            ..Default::default()
        },
        &mut img,
        &mut rng,
    );
    assert_eq!((img[0], img[1]), (0.0, 1.0));
    // A horizontal flip mirrors (with probability ½: find a draw that flips).
    let flipped = (0..20).any(|_| {
        let mut img = image_with_dot(5, 2);
        apply(
            Augmentation {
                hflip: true,
                ..Default::default()
            },
            &mut img,
            &mut rng,
        );
        img[5 * 28 + 25] == 1.0
    });
    assert!(flipped);
    // Rotating by 90° takes a dot right of centre to below or above it.
    let mut img = image_with_dot(13, 25);
    let quarter = Augmentation {
        rotation_deg: 90.0,
        ..Default::default()
    };
    let mut r = Rng::new(5, 5);
    apply(quarter, &mut img, &mut r);
    let (row, _) = img
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| (i / 28, i % 28))
        .unwrap();
    assert_ne!(row, 13);
    // Random erasing blanks a rectangle of a full image.
    let mut img = vec![1.0; 28 * 28];
    apply(
        Augmentation {
            erase_prob: 1.0,
            ..Default::default()
        },
        &mut img,
        &mut rng,
    );
    let erased = img.iter().filter(|&&p| p == 0.0).count();
    assert!(
        (28 * 28 / 25..=28 * 28 / 3).contains(&erased),
        "{erased} pixels erased"
    );
    // Blur spreads a dot over its 3×3 neighbourhood: centre ¼, edges ⅛, corners 1/16.
    let mut img = image_with_dot(10, 10);
    apply(
        Augmentation {
            blur_prob: 1.0,
            ..Default::default()
        },
        &mut img,
        &mut rng,
    );
    assert_eq!(
        (img[10 * 28 + 10], img[10 * 28 + 11], img[11 * 28 + 11]),
        (0.25, 0.125, 0.0625)
    );
    // The same generator state gives the same augmented image.
    let aug = Augmentation {
        rotation_deg: 20.0,
        scale: 0.2,
        noise_std: 0.1,
        ..Default::default()
    };
    let (mut a, mut b) = (image_with_dot(7, 9), image_with_dot(7, 9));
    apply(aug, &mut a, &mut Rng::new(9, 3));
    apply(aug, &mut b, &mut Rng::new(9, 3));
    assert_eq!(a, b);
}

// ---------------------------------------------------------------- the loop

/// A small fast config on real MNIST.
fn small(preset: Preset, train: usize, epochs: usize) -> TrainConfig {
    let mut config = TrainConfig::for_preset(preset, epochs, 1);
    config.split = SplitConfig {
        validation: 1000,
        train_subset: Some(train),
    };
    config
}

#[test]
fn the_mlp_learns_mnist_to_90_percent_in_one_epoch_on_6000_images() {
    // Batches of 16: one pass over 6000 images is then 375 updates (at 64 it would be 94,
    // which leaves this MLP near 90% depending on the split; measured 89.4–91.4%).
    let mut config = small(Preset::Mlp, 6000, 1);
    config.batch_size = 16;
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    let (steps, events) = run(&mut t);
    assert_eq!(steps.len(), 375, "6000 images in batches of 16");
    assert_eq!(finish_reason(&events), FinishReason::Completed);
    let val = block_on(t.evaluate(Split::Validation)).unwrap();
    println!(
        "MLP, 6000 images, 1 epoch: {:.2}% on 1000 held-out images",
        100.0 * val.accuracy
    );
    assert!(val.accuracy >= 0.90, "accuracy {}", val.accuracy);
    // The report adds up: the confusion matrix counts every image once.
    let total: u32 = val.confusion.iter().flatten().sum();
    assert_eq!(total, 1000);
    assert!(val
        .worst
        .windows(2)
        .all(|w| w[0].confidence >= w[1].confidence));
    assert!(val.worst.iter().all(|w| w.label != w.predicted));

    // The drawing pad's path: one image at a time, the weights untouched.
    let before = t.model.weights()[0].to_vec();
    let test = &t.dataset.test.clone();
    let right = (0..200)
        .filter(|&i| {
            let p = block_on(t.predict(test.image(i))).unwrap();
            assert_eq!(p.len(), 10);
            assert!(close(p.iter().sum(), 1.0, 1e-5));
            let best = (0..10).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            best == test.labels[i] as usize
        })
        .count();
    assert!(right >= 170, "{right} of 200 test images predicted right");
    assert_eq!(t.model.weights()[0].to_vec(), before);
    // The test gallery's path: a batch gives each image's own answer.
    let images: Vec<&[u8]> = (0..5).map(|i| test.image(i)).collect();
    let batch = block_on(t.predict_many(&images)).unwrap();
    for (i, p) in batch.chunks(10).enumerate() {
        let one = block_on(t.predict(test.image(i))).unwrap();
        assert!(p.iter().zip(&one).all(|(a, b)| close(*a, *b, 1e-6)));
    }
    let err = block_on(t.predict(&[0; 100])).unwrap_err().to_string();
    assert!(err.contains("100 pixels"), "{err}");
    let maps = block_on(t.feature_maps(test.image(0))).unwrap();
    let infos = t.config.model.infer().unwrap();
    assert_eq!(maps.len(), infos.len());
    for (m, info) in maps.iter().zip(&infos) {
        assert_eq!(m.shape, info.output, "{}", m.name);
        assert_eq!(m.values.len(), info.output.iter().product::<usize>());
    }
}

#[test]
fn every_optimizer_lowers_the_loss() {
    let dataset = common::mnist();
    for opt in OptimizerSpec::all() {
        let mut config = small(Preset::Mlp, 640, 1);
        config.optimizer = opt;
        config.lr = LrSchedule::constant(opt.default_lr());
        let mut t = Trainer::new(config, dataset.clone()).unwrap();
        let (steps, _) = run(&mut t);
        let first: f32 = steps[..3].iter().map(|s| s.loss).sum::<f32>() / 3.0;
        let last: f32 = steps[7..].iter().map(|s| s.loss).sum::<f32>() / 3.0;
        assert!(last < first * 0.8, "{}: loss {first} → {last}", opt.name());
    }
}

#[test]
fn gradient_accumulation_equals_one_big_batch() {
    let dataset = Arc::new(synthetic_dataset(256 + 64, 3));
    let mut big = TrainConfig::for_preset(Preset::Mlp, 1, 5);
    big.split.validation = 64;
    let mut accumulated = big.clone();
    accumulated.batch_size = 32;
    accumulated.accumulate = 2;
    let mut a = Trainer::new(big, dataset.clone()).unwrap();
    let mut b = Trainer::new(accumulated, dataset).unwrap();
    block_on(a.step()).unwrap();
    block_on(b.step()).unwrap();
    block_on(b.step()).unwrap();
    let (wa, wb) = (a.model.weights(), b.model.weights());
    for (x, y) in wa.iter().zip(&wb) {
        for (p, q) in x.as_slice().iter().zip(y.as_slice()) {
            assert!((p - q).abs() < 1e-6, "{p} vs {q}");
        }
    }
    assert_eq!(a.optimizer.steps, 1);
    assert_eq!(b.optimizer.steps, 1);
}

#[test]
fn gradient_clipping_reports_and_bounds_the_norm() {
    let mut config = small(Preset::Mlp, 128, 1);
    config.clip_norm = Some(0.01);
    config.optimizer = OptimizerSpec::Sgd;
    config.lr = LrSchedule::constant(1.0);
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    let before = t.model.weights();
    let events = block_on(t.step()).unwrap();
    let TrainEvent::Step(s) = &events[0] else {
        panic!("a step")
    };
    let norm = s.grad_norm.expect("clipping reports the norm");
    assert!(norm > 0.01, "the raw norm {norm} is over the limit");
    // With SGD at lr 1 the update is the clipped gradient: its norm is the limit.
    let moved: f32 = t
        .model
        .weights()
        .iter()
        .zip(&before)
        .flat_map(|(a, b)| {
            a.as_slice()
                .iter()
                .zip(b.as_slice())
                .map(|(x, y)| (x - y).powi(2))
        })
        .sum::<f32>()
        .sqrt();
    assert!(close(moved, 0.01, 1e-3), "moved {moved}");
}

#[test]
fn the_loss_is_broken_down_into_data_and_penalty_terms() {
    let mut config = small(Preset::Mlp, 64, 1);
    config.model.layers[1].penalties = Penalties {
        l1: 1e-4,
        l2: 1e-3,
        activity_l2: 1e-3,
        ..Default::default()
    };
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    let weights = t.model.params()[0].1.value.clone();
    let TrainEvent::Step(s) = &block_on(t.step()).unwrap()[0] else {
        panic!("a step")
    };
    assert!(s.l1 > 0.0 && s.l2 > 0.0 && s.activity > 0.0, "{s:?}");
    assert!(close(s.loss, s.data_loss + s.l1 + s.l2 + s.activity, 1e-6));
    // L1 = λ·Σ|W| and L2 = λ·ΣW² over the layer's weights before the update (not biases).
    let sum_abs: f32 = weights.as_slice().iter().map(|w| w.abs()).sum();
    let sum_sq: f32 = weights.as_slice().iter().map(|w| w * w).sum();
    assert!(
        close(s.l1, 1e-4 * sum_abs, 1e-4),
        "{} vs {}",
        s.l1,
        1e-4 * sum_abs
    );
    assert!(close(s.l2, 1e-3 * sum_sq, 1e-4));
}

#[test]
fn a_nan_loss_stops_training_keeps_good_weights_and_blames_the_learning_rate() {
    let mut config = small(Preset::Mlp, 640, 1);
    config.optimizer = OptimizerSpec::Sgd;
    config.lr = LrSchedule::constant(1e12);
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    let mut events = Vec::new();
    while !t.is_finished() {
        events.extend(block_on(t.step()).unwrap());
    }
    let FinishReason::Diverged { batch, advice } = finish_reason(&events) else {
        panic!("diverged")
    };
    assert!(batch <= 3, "caught at once, at batch {batch}");
    assert!(advice.contains("learning rate"), "{advice}");
    assert!(
        t.model
            .weights()
            .iter()
            .all(|w| w.as_slice().iter().all(|v| v.is_finite())),
        "the kept weights are finite"
    );
    // Nothing more happens after the end.
    assert!(block_on(t.step()).unwrap().is_empty());
}

#[test]
fn early_stopping_stops_and_restores_the_best_epoch() {
    // 200 images and a big MLP overfit within a few epochs: validation loss turns up.
    let mut config = small(Preset::ShallowWide, 200, 30);
    config.early_stopping = Some(EarlyStopping {
        monitor: Monitor::ValLoss,
        patience: 2,
        min_delta: 0.0,
        restore_best: true,
    });
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    let (_, events) = run(&mut t);
    let FinishReason::EarlyStopped {
        best_epoch,
        restored,
    } = finish_reason(&events)
    else {
        panic!("stopped early: {:?}", finish_reason(&events))
    };
    assert!(restored);
    assert!(t.history.len() < 30, "stopped before the last epoch");
    assert_eq!(
        t.history.len(),
        best_epoch + 2,
        "patience 2 after the best epoch"
    );
    let best = t.history[best_epoch - 1].clone();
    assert!(t.history.iter().all(|e| e.val_loss >= best.val_loss));
    // The model now is the best epoch's model.
    let now = block_on(t.evaluate(Split::Validation)).unwrap();
    assert!(
        close(now.loss, best.val_loss, 1e-5),
        "{} vs {}",
        now.loss,
        best.val_loss
    );
    // And the test split was evaluated once, at the end.
    assert!(events
        .iter()
        .any(|e| matches!(e, TrainEvent::Finished { test: Some(_), .. })));
}

#[test]
fn stepping_pausing_and_stopping_do_not_change_the_run() {
    let dataset = common::mnist();
    let config = small(Preset::DefaultCnn, 320, 2);
    let mut straight = Trainer::new(config.clone(), dataset.clone()).unwrap();
    let (curve, _) = run(&mut straight);
    // The same run driven one batch at a time, with pauses (snapshots requested between).
    let mut stepped = Trainer::new(config, dataset).unwrap();
    let mut losses = Vec::new();
    for i in 0..7 {
        if i % 3 == 0 {
            stepped.request_snapshot();
        }
        for e in block_on(stepped.step()).unwrap() {
            if let TrainEvent::Step(s) = e {
                losses.push(s.loss);
            }
        }
    }
    assert_eq!(
        losses,
        curve[..7].iter().map(|s| s.loss).collect::<Vec<_>>()
    );
    let stop = stepped.stop();
    assert!(matches!(
        &stop[..],
        [TrainEvent::Finished {
            reason: FinishReason::Stopped,
            test: None
        }]
    ));
    assert!(stepped.is_finished());
}

#[test]
fn the_same_seed_gives_a_bit_identical_curve_natively_and_in_wasm() {
    let bits = block_on(repro::loss_bits());
    assert_eq!(
        bits,
        block_on(repro::loss_bits()),
        "twice the same natively"
    );
    if std::env::var("UPDATE_FIXTURES").is_ok() {
        let path = format!(
            "{}/tests/fixtures/loss_curve_bits.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::write(path, serde_json::to_string(&bits).unwrap()).unwrap();
    }
    // tests/browser/main.rs compares the wasm run with the same recorded curve.
    let recorded: Vec<u32> = serde_json::from_str(repro::FIXTURE).unwrap();
    assert_eq!(bits, recorded);
    let losses: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).collect();
    assert!(losses.iter().all(|l| l.is_finite() && *l > 0.0));
}

// ---------------------------------------------------------------- metrics

#[test]
fn snapshots_find_dead_relus_and_saturated_units() {
    let model = ModelSpec::new(
        vec![28, 28, 1],
        vec![
            LayerSpec::Flatten,
            LayerSpec::Dense {
                units: 32,
                init: Init::Constant(-1.0),
            },
            LayerSpec::Relu,
            LayerSpec::Dense {
                units: 16,
                init: Init::Normal(5.0),
            },
            LayerSpec::Tanh,
            LayerSpec::Dense {
                units: 10,
                init: Init::HeNormal,
            },
        ],
    );
    let mut config = small(Preset::Mlp, 64, 1);
    config.model = model;
    config.normalization = Normalization::Scale01;
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    t.request_snapshot();
    let events = block_on(t.step()).unwrap();
    let snap = events
        .iter()
        .find_map(|e| match e {
            TrainEvent::Snapshot(s) => Some(s.clone()),
            _ => None,
        })
        .expect("a snapshot was requested");
    // All-negative weights on non-negative pixels: every ReLU is dead.
    assert_eq!(snap.activations[2].dead_fraction, Some(1.0));
    // Weights of σ = 5 drive tanh into saturation... but its input is all zeros here
    // (dead layer before), so it is not saturated; the histogram shows it.
    assert!(snap.activations[4].saturated_fraction.is_some());
    assert_eq!(snap.weights.len(), 3);
    assert_eq!(snap.grad_norms.len(), 3);
    let filters = snap
        .filters
        .expect("the first dense layer's weights as images");
    assert_eq!((filters.height, filters.width, filters.count), (28, 28, 32));
    let h = Histogram::of(&[0.0, 1.0, 1.0, 2.0]);
    assert_eq!((h.min, h.max, h.counts.iter().sum::<u32>()), (0.0, 2.0, 4));
    assert_eq!(h.counts[metrics::BINS - 1], 1);
}

#[test]
fn conv_filters_and_saturation_are_reported() {
    let model = ModelSpec::new(
        vec![28, 28, 1],
        vec![
            LayerSpec::Conv2d {
                filters: 6,
                kernel: [5, 5],
                stride: [1, 1],
                padding: trainer::backend::geometry::Padding::Valid,
                dilation: [1, 1],
                init: Init::Normal(20.0),
            },
            LayerSpec::Sigmoid,
            LayerSpec::Flatten,
            LayerSpec::Dense {
                units: 10,
                init: Init::HeNormal,
            },
        ],
    );
    let mut config = small(Preset::Mlp, 64, 1);
    config.model = model;
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    block_on(t.step()).unwrap();
    let snap = block_on(metrics::snapshot(&t.model, 1, 4)).unwrap();
    // Huge weights: most sigmoid outputs sit at 0 or 1.
    assert!(snap.activations[1].saturated_fraction.unwrap() > 0.5);
    let f = snap.filters.unwrap();
    assert_eq!((f.height, f.width, f.count, f.values.len()), (5, 5, 4, 100));
}

// ---------------------------------------------------------------- regularisation works

/// An over-sized MLP (784-256-10) trained on 500 images. Returns the train–validation
/// accuracy gap twice: as the training curves show it (accuracy on the last epoch's training
/// batches as they were trained, the way frameworks report it, against validation) and
/// with both measured in inference mode.
fn overfit(change: impl Fn(&mut TrainConfig)) -> (f32, f32, Trainer) {
    // The regularisation lesson's recipe (SGD with momentum, so that L2 acts).
    let mut config = overfitting_config(500, 40, 1);
    change(&mut config);
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    run(&mut t);
    let last = t.history.last().unwrap().clone();
    let curve_gap = last.train_accuracy - last.val_accuracy;
    let eval_gap = block_on(t.evaluate(Split::Train)).unwrap().accuracy - last.val_accuracy;
    (curve_gap, eval_gap, t)
}

/// A change to the baseline configuration.
type Change = Box<dyn Fn(&mut TrainConfig)>;

#[test]
fn l2_dropout_and_augmentation_each_shrink_the_generalisation_gap() {
    let (curve, eval, _) = overfit(|_| {});
    println!("none: gap on the curves {curve:.3}, in inference mode {eval:.3}");
    assert!(curve > 0.08, "500 images overfit: gap {curve}");
    let variants: [(&str, bool, Change); 3] = [
        (
            "L2",
            true,
            Box::new(|c| {
                // Strong: with 500 images a mild penalty still fits them all (measured:
                // λ = 0.01 and 0.03 leave the gap as it is, 0.1 shrinks it).
                c.model.layers[1].penalties.l2 = 0.1;
                c.model.layers[3].penalties.l2 = 0.1;
            }),
        ),
        (
            "dropout",
            true,
            Box::new(|c| {
                c.model
                    .layers
                    .insert(3, LayerSpec::Dropout { rate: 0.5 }.into());
                c.model
                    .layers
                    .insert(1, LayerSpec::Dropout { rate: 0.2 }.into());
            }),
        ),
        (
            "augmentation",
            true,
            Box::new(|c| {
                c.augmentation = Augmentation {
                    rotation_deg: 12.0,
                    translate_px: 2.0,
                    scale: 0.1,
                    ..Default::default()
                }
            }),
        ),
    ];
    for (name, in_inference_too, change) in variants {
        let (c, e, t) = overfit(change);
        let val = t.history.last().unwrap().val_accuracy;
        println!("{name}: gap on the curves {c:.3}, in inference mode {e:.3}, validation {val:.3}");
        assert!(
            c < curve - 0.01,
            "{name} should shrink the curves' gap {curve:.3}: got {c:.3}"
        );
        if in_inference_too {
            assert!(
                e < eval - 0.01,
                "{name} should shrink the gap {eval:.3}: got {e:.3}"
            );
        }
    }
}

#[test]
fn l1_leaves_more_weights_near_zero_than_l2() {
    let penalty = |l1: f32, l2: f32| {
        move |c: &mut TrainConfig| {
            c.model.layers[1].penalties = Penalties {
                l1,
                l2,
                ..Default::default()
            };
            c.epochs = 15;
        }
    };
    let near_zero = |t: &Trainer| {
        block_on(metrics::snapshot(&t.model, 0, 0)).unwrap().weights[0].near_zero_fraction
    };
    let (_, _, with_l1) = overfit(penalty(1e-4, 0.0));
    let (_, _, with_l2) = overfit(penalty(0.0, 1e-3));
    let (a, b) = (near_zero(&with_l1), near_zero(&with_l2));
    println!("near zero: L1 {:.1}%  L2 {:.1}%", 100.0 * a, 100.0 * b);
    assert!(a > 2.0 * b && a > 0.05, "L1 {a} vs L2 {b}");
}

#[test]
fn colour_statistics_are_per_channel_and_jitter_keeps_grey_grey() {
    // Two 1×2 RGB images: red channel 0 and 255, green always 255, blue 51.
    let set = ImageSet {
        rows: 1,
        cols: 2,
        channels: 3,
        classes: 2,
        images: vec![0, 255, 51, 255, 255, 51, 0, 255, 51, 255, 255, 51],
        labels: vec![0, 1],
    };
    let n = Normalizer::fit(Normalization::Standardize, &set, &[0, 1]);
    assert_eq!(n.channels(), 3);
    assert!(close(n.channel_mean[0], 0.5, 1e-6) && close(n.channel_std[0], 0.5, 1e-6));
    assert!(close(n.channel_mean[1], 1.0, 1e-6) && close(n.channel_mean[2], 0.2, 1e-6));
    let mut px = vec![1.0, 1.0, 0.2];
    n.apply(&mut px);
    assert!(
        close(px[0], 1.0, 1e-5) && close(px[1], 0.0, 1e-3) && close(px[2], 0.0, 1e-3),
        "{px:?}"
    );
    // Colour jitter: brightness and contrast move every channel; saturation leaves a grey
    // pixel grey and pulls a coloured one towards its grey.
    let a = trainer::data::augment::ImageAugment {
        jitter: Some((1.0, 1.0, 0.0)),
        ..Default::default()
    };
    let mut grey = vec![0.4, 0.4, 0.4];
    a.apply(&mut grey, 1, 1, 3);
    assert!(grey.iter().all(|&v| close(v, 0.4, 1e-6)), "{grey:?}");
    let mut red = vec![0.9, 0.0, 0.0];
    a.apply(&mut red, 1, 1, 3);
    assert!(red.iter().all(|&v| close(v, 0.3, 1e-6)), "{red:?}");
    let brighter = trainer::data::augment::ImageAugment {
        jitter: Some((1.5, 1.0, 1.0)),
        ..Default::default()
    };
    let mut dim = vec![0.2, 0.4, 0.8];
    brighter.apply(&mut dim, 1, 1, 3);
    assert!(
        close(dim[0], 0.3, 1e-6) && close(dim[1], 0.6, 1e-6) && dim[2] == 1.0,
        "{dim:?}"
    );
}
