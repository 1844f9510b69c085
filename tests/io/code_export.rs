//! "Export as code": the Keras and PyTorch scripts and the weights, written for the default
//! CNN trained one epoch on MNIST, for every preset and for a model that holds every layer
//! type and regulariser; with what the app says about them. tests/python/check_code_export.py
//! (run by scripts/test.sh, in the virtualenv of tests/python/requirements-export.txt) runs
//! the scripts and compares: probabilities within 1e-4 on 1 000 test images and the same test
//! accuracy, one more epoch against ours, torchrun and Keras on two devices.

use crate::common;

use pollster::block_on;
use trainer::backend::geometry::Padding;
use trainer::data::augment::Augmentation;
use trainer::data::split::Split;
use trainer::io::code_export::{self, zip::zip};
use trainer::io::model_file::ModelFile;
use trainer::nn::penalty::Penalties;
use trainer::nn::presets::Preset;
use trainer::nn::{LayerConfig, LayerSpec, Loss, ModelSpec};
use trainer::optim::OptimizerSpec;
use trainer::tensor::Device;
use trainer::train::{LrSchedule, Schedule, TrainConfig, Trainer};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/build/interop/export");

/// Writes the export of `file` to `DIR/name`, with `reference.json`: the app's
/// probabilities of the first 1 000 test images and its accuracy on the whole test split,
/// and `extra` (the one-more-epoch figure).
fn write(name: &str, file: &ModelFile, extra: serde_json::Value) {
    let dir = format!("{DIR}/{name}");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = code_export::export(file).unwrap();
    for f in &files {
        std::fs::write(format!("{dir}/{}", f.name), &f.bytes).unwrap();
    }
    let mut t = Trainer::from_model_file(file, common::mnist(), Device::Cpu).unwrap();
    let test = t.dataset.test.clone();
    let images: Vec<&[u8]> = (0..1000).map(|i| test.image(i)).collect();
    let probabilities: Vec<Vec<f32>> = block_on(t.predict_many(&images))
        .unwrap()
        .chunks(10)
        .map(|p| p.to_vec())
        .collect();
    let report = block_on(t.evaluate(Split::Test)).unwrap();
    let reference = serde_json::json!({
        "probabilities": probabilities,
        "test_accuracy": report.accuracy,
        "test_images": report.count,
        "data": concat!(env!("CARGO_MANIFEST_DIR"), "/www/data/mnist"),
        "extra": extra,
    });
    std::fs::write(format!("{dir}/reference.json"), reference.to_string()).unwrap();
    println!(
        "{name}: test accuracy {:.4}, {} files, {} bytes zipped",
        report.accuracy,
        files.len(),
        zip(name, &files).unwrap().len()
    );
}

fn run_to_end(t: &mut Trainer) {
    block_on(t.run(|_| {})).unwrap();
}

/// The default CNN, one epoch of the default recipe on all of MNIST; then one more epoch of
/// the same recipe from its model file in our trainer, the figure the scripts' one more
/// epoch is compared with.
#[test]
fn default_cnn_after_one_epoch_and_one_more() {
    let config = TrainConfig::for_preset(Preset::DefaultCnn, 1, 1);
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    run_to_end(&mut t);
    let file = block_on(t.to_model_file()).unwrap();
    let mut more = Trainer::from_model_file(&file, common::mnist(), Device::Cpu).unwrap();
    run_to_end(&mut more);
    let one_more = block_on(more.evaluate(Split::Test)).unwrap().accuracy;
    println!(
        "default CNN: {:.4} after one epoch, {one_more:.4} after one more",
        file.test_accuracy.unwrap()
    );
    write(
        "cnn",
        &file,
        serde_json::json!({ "one_more_epoch": one_more }),
    );
}

fn short(config: TrainConfig) -> ModelFile {
    let mut t = Trainer::new(config, common::mnist()).unwrap();
    run_to_end(&mut t);
    block_on(t.to_model_file()).unwrap()
}

/// Every other preset, trained on 1 024 images (the check is of the export, not of
/// learning).
#[test]
fn every_preset() {
    for (name, preset) in [
        ("mlp", Preset::Mlp),
        ("lenet5", Preset::Lenet5),
        ("deep", Preset::DeepNarrow),
        ("wide", Preset::ShallowWide),
        ("cnn_bn", Preset::CnnBnDropout),
    ] {
        let mut c = TrainConfig::for_preset(preset, 1, 7);
        c.split.train_subset = Some(1024);
        c.split.validation = 100;
        write(name, &short(c), serde_json::json!({ "train_smoke": true }));
    }
}

fn with(layer: LayerSpec, penalties: Penalties) -> LayerConfig {
    LayerConfig {
        layer,
        penalties,
        frozen: false,
    }
}

fn conv(
    filters: usize,
    kernel: usize,
    stride: usize,
    padding: Padding,
    dilation: usize,
) -> LayerSpec {
    LayerSpec::Conv2d {
        filters,
        kernel: [kernel, kernel],
        stride: [stride, stride],
        padding,
        dilation: [dilation, dilation],
        init: Default::default(),
    }
}

/// Every layer type (convolutions with same padding at stride 2, explicit padding and
/// dilation; both poolings; batch norm of maps and of features; every activation; dropout;
/// noise), every penalty (L1, L2, activity L1 and L2), a frozen layer, label smoothing,
/// clipping, warm-up and a cosine schedule, AdamW, augmentation and a training subset.
pub fn every_layer_config() -> TrainConfig {
    let none = Penalties::default();
    let weights = Penalties {
        l1: 1e-5,
        l2: 1e-4,
        ..none
    };
    let activity = Penalties {
        activity_l1: 1e-5,
        activity_l2: 1e-4,
        ..none
    };
    let layers = vec![
        with(conv(6, 3, 2, Padding::Same, 1), weights),
        with(
            LayerSpec::BatchNorm {
                momentum: 0.9,
                epsilon: 1e-3,
            },
            none,
        ),
        with(LayerSpec::LeakyRelu { alpha: 0.1 }, none),
        with(conv(8, 3, 1, Padding::Explicit(1, 1), 1), activity),
        with(LayerSpec::Tanh, none),
        with(
            LayerSpec::MaxPool2d {
                window: [2, 2],
                stride: [2, 2],
            },
            none,
        ),
        with(conv(8, 2, 1, Padding::Valid, 2), none),
        with(LayerSpec::Relu, none),
        with(
            LayerSpec::AvgPool2d {
                window: [2, 2],
                stride: [1, 1],
            },
            none,
        ),
        with(LayerSpec::GaussianNoise { stddev: 0.1 }, none),
        with(LayerSpec::Flatten, none),
        with(LayerSpec::Dropout { rate: 0.2 }, none),
        with(
            LayerSpec::Dense {
                units: 32,
                init: Default::default(),
            },
            activity,
        ),
        with(
            LayerSpec::BatchNorm {
                momentum: 0.99,
                epsilon: 1e-3,
            },
            none,
        ),
        with(LayerSpec::Sigmoid, none),
        with(
            LayerSpec::Dense {
                units: 10,
                init: Default::default(),
            },
            weights,
        ),
        with(LayerSpec::Softmax, none),
    ];
    let mut c = TrainConfig::for_preset(Preset::DefaultCnn, 1, 5);
    c.model = ModelSpec {
        input: vec![28, 28, 1],
        layers,
    };
    c.model.layers[3].frozen = true;
    c.optimizer = OptimizerSpec::AdamW {
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        weight_decay: 0.01,
    };
    c.lr = LrSchedule {
        base: 2e-3,
        schedule: Schedule::Cosine { floor: 0.1 },
        warmup: 10,
    };
    c.loss = Loss::SoftmaxCrossEntropy {
        label_smoothing: 0.1,
    };
    c.clip_norm = Some(1.0);
    c.batch_size = 32;
    c.augmentation = Augmentation {
        rotation_deg: 10.0,
        translate_px: 2.0,
        scale: 0.1,
        noise_std: 0.05,
        erase_prob: 0.2,
        blur_prob: 0.1,
        invert_prob: 0.05,
        ..Default::default()
    };
    c.split.train_subset = Some(1024);
    c.split.validation = 100;
    c
}

#[test]
fn a_model_with_every_layer_and_regulariser() {
    let file = short(every_layer_config());
    write(
        "every_layer",
        &file,
        serde_json::json!({ "train_smoke": true }),
    );
    // Each layer is in both scripts under the trainer's name.
    let files = code_export::export(&file).unwrap();
    for script in ["keras_model.py", "torch_model.py"] {
        let text = std::str::from_utf8(&files.iter().find(|f| f.name == script).unwrap().bytes)
            .unwrap()
            .to_string();
        for i in 0..file.config.model.layers.len() {
            assert!(
                text.contains(&format!("layers.{i}")),
                "{script} lacks layers.{i}"
            );
        }
        assert!(text.contains("LABEL_SMOOTHING = 0.1"), "{script}");
        assert!(text.contains("CLIP_NORM = 1.0"), "{script}");
    }
}

#[test]
fn the_export_lists_its_files_and_zips_them_into_one_folder() {
    let file = short({
        let mut c = TrainConfig::for_preset(Preset::Mlp, 1, 3);
        c.split.train_subset = Some(256);
        c.split.validation = 100;
        c
    });
    let files = code_export::export(&file).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "README.md",
            "keras_model.py",
            "torch_model.py",
            "model.safetensors",
            "requirements.txt"
        ]
    );
    // The weights are the model file itself.
    let weights = &files[3].bytes;
    assert_eq!(
        ModelFile::from_bytes(weights).unwrap().weights.len(),
        file.weights.len()
    );
    let readme = std::str::from_utf8(&files[0].bytes).unwrap();
    assert!(readme.contains("torchrun --nnodes=2"));
    let folder = code_export::suggested_name(&file);
    let z = zip(&folder, &files).unwrap();
    assert_eq!(&z[..4], b"PK\x03\x04");
    assert!(z
        .windows(folder.len() + 15)
        .any(|w| w == format!("{folder}/torch_model.py").as_bytes()));
}
