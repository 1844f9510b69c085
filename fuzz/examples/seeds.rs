//! Writes the seed inputs of every target under `corpus/<target>/seed-*`:
//! `cargo run --release --example seeds` (from fuzz/). Small valid inputs the fuzzer mutates.

use std::io::Write;

use trainer::backend::geometry::Padding;
use trainer::data::idx::{encode_images, encode_labels, IdxImages};
use trainer::data::normalize::{Normalization, Normalizer};
use trainer::io::model_file::{named_weights, ModelFile, OptimizerState};
use trainer::nn::presets::Preset;
use trainer::nn::{Init, LayerSpec, ModelSpec, Sequential};
use trainer::tensor::Tensor;
use trainer::train::{EpochSummary, TrainConfig};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = format!("{}/corpus/{target}", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(format!("{dir}/seed-{name}"), bytes).unwrap();
    println!("{target}/seed-{name}: {} bytes", bytes.len());
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A tiny model file: 4×4 input, every kind of stored tensor, optionally an Adam snapshot.
fn model_file(snapshot: bool, normalization: Normalization) -> Vec<u8> {
    let mut config = TrainConfig::for_preset(Preset::Mlp, 1, 7);
    config.normalization = normalization;
    config.model = ModelSpec::new(
        vec![4, 4, 1],
        vec![
            LayerSpec::Conv2d {
                filters: 2,
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
            LayerSpec::Dense {
                units: 10,
                init: Init::GlorotUniform,
            },
            LayerSpec::Softmax,
        ],
    );
    config.validate().unwrap();
    let mut net = Sequential::build(&config.model, 7).unwrap();
    let optimizer = snapshot.then(|| OptimizerState {
        steps: 3,
        tensors: net
            .params()
            .iter()
            .map(|(_, p)| vec![Tensor::zeros(p.value.shape().to_vec()); 2])
            .collect(),
    });
    let file = ModelFile {
        normalizer: Normalizer {
            kind: normalization,
            mean: 0.13,
            std: 0.3,
            mean_image: if normalization == Normalization::SubtractMeanImage {
                vec![0.5; 16]
            } else {
                Vec::new()
            },
        },
        config,
        dataset: "MNIST".into(),
        class_names: (0..10).map(|i| i.to_string()).collect(),
        history: vec![EpochSummary {
            epoch: 1,
            train_loss: 0.5,
            train_accuracy: 0.8,
            val_loss: 0.4,
            val_accuracy: 0.85,
            seconds: 1.0,
            samples_per_s: 1000.0,
        }],
        test_accuracy: Some(0.9),
        weights: named_weights(&mut net),
        optimizer,
    };
    let bytes = file.to_bytes().unwrap();
    ModelFile::from_bytes(&bytes).unwrap();
    bytes
}

fn main() {
    let images = encode_images(&IdxImages {
        count: 3,
        rows: 4,
        cols: 5,
        pixels: (0..60).map(|i| (i * 17) as u8).collect(),
    });
    let labels = encode_labels(&[0, 9, 3, 7]);
    write("idx", "images", &images);
    write("idx", "labels", &labels);
    write("gzip", "images.gz", &gzip(&images));
    write("gzip", "labels.gz", &gzip(&labels));
    // Two members back to back (MultiGzDecoder reads both).
    write(
        "gzip",
        "two-members.gz",
        &[gzip(&labels), gzip(&images)].concat(),
    );
    write(
        "model_file",
        "tiny",
        &model_file(false, Normalization::Standardize),
    );
    write(
        "model_file",
        "tiny-snapshot",
        &model_file(true, Normalization::SubtractMeanImage),
    );
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/model_v1.safetensors"
    );
    write("model_file", "fixture-v1", &std::fs::read(fixture).unwrap());
    for (name, preset) in [
        ("default-cnn", Preset::DefaultCnn),
        ("cnn-bn-dropout", Preset::CnnBnDropout),
        ("lenet5", Preset::Lenet5),
    ] {
        let config = TrainConfig::for_preset(preset, 3, 1);
        write(
            "link",
            &format!("{name}.json"),
            serde_json::to_string(&config).unwrap().as_bytes(),
        );
        let shared = serde_json::json!({ "config": config, "backend": "web_gpu" });
        write(
            "link",
            &format!("{name}-shared.json"),
            shared.to_string().as_bytes(),
        );
    }
    for (i, bytes) in [
        &b""[..],
        b"\x05\x08\x08\x01\x06\x00\x02\x01\x00\x01\x01\x00\x00\x04\x0c\x03",
    ]
    .iter()
    .enumerate()
    {
        write("onnx", &format!("{i}"), bytes);
    }
}
