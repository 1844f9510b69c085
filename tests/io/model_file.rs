//! Model files: save → load gives identical predictions; every kind of broken or hostile
//! file is refused with a message saying what is wrong; an old file keeps loading; random
//! and mutated files never crash the loader.

use std::sync::Arc;

use pollster::block_on;
use trainer::backend::geometry::Padding;
use trainer::bench::synthetic_dataset;
use trainer::data::Dataset;
use trainer::io::model_file::{ModelFile, VERSION};
use trainer::nn::{Init, LayerSpec, ModelSpec};
use trainer::random::Rng;
use trainer::tensor::Device;
use trainer::train::{TrainConfig, Trainer};

/// A small model with every kind of stored tensor: conv, batch norm (buffers too), dense.
fn config() -> TrainConfig {
    let mut c = TrainConfig::for_preset(trainer::nn::presets::Preset::Mlp, 1, 7);
    c.model = ModelSpec::new(
        vec![28, 28, 1],
        vec![
            LayerSpec::Conv2d {
                filters: 4,
                kernel: [3, 3],
                stride: [2, 2],
                padding: Padding::Valid,
                dilation: [1, 1],
                init: Init::HeNormal,
            },
            LayerSpec::BatchNorm {
                momentum: 0.9,
                epsilon: 1e-3,
            },
            LayerSpec::Relu,
            LayerSpec::Flatten,
            LayerSpec::Dense {
                units: 10,
                init: Init::GlorotUniform,
            },
        ],
    );
    c.batch_size = 16;
    c.split.validation = 32;
    c
}

fn dataset() -> Arc<Dataset> {
    Arc::new(synthetic_dataset(16 * 6 + 32, 5))
}

/// A model trained for a few batches, and its file.
fn trained() -> (Trainer, Vec<u8>) {
    let mut t = Trainer::new(config(), dataset()).unwrap();
    for _ in 0..6 {
        block_on(t.step()).unwrap();
    }
    let bytes = block_on(t.to_model_file()).unwrap().to_bytes().unwrap();
    (t, bytes)
}

fn load_error(bytes: &[u8]) -> String {
    match ModelFile::from_bytes(bytes) {
        Ok(_) => panic!("a bad file was accepted"),
        Err(e) => e.to_string(),
    }
}

/// The file with its JSON header changed by `f` (the tensors stay as they are).
fn with_header(bytes: &[u8], f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    f(&mut header);
    let text = serde_json::to_vec(&header).unwrap();
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend(text);
    out.extend(&bytes[8 + n..]);
    out
}

fn set_meta(bytes: &[u8], key: &str, value: String) -> Vec<u8> {
    with_header(bytes, |h| h["__metadata__"][key] = value.into())
}

#[test]
fn save_then_load_gives_identical_predictions() {
    let (mut original, bytes) = trained();
    let file = ModelFile::from_bytes(&bytes).unwrap();
    assert_eq!(file.config, original.config);
    assert_eq!(file.dataset, original.dataset.name);
    let names: Vec<&str> = file.weights.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "layers.0.weight",
            "layers.0.bias",
            "layers.1.gamma",
            "layers.1.beta",
            "layers.1.running_mean",
            "layers.1.running_var",
            "layers.4.weight",
            "layers.4.bias"
        ]
    );
    assert_eq!(
        file.weights[0].1.shape(),
        [3, 3, 1, 4],
        "conv weights are HWIO"
    );
    assert_eq!(file.weights[6].1.shape(), [13 * 13 * 4, 10]);
    let mut reopened = Trainer::from_model_file(&file, dataset(), Device::Cpu).unwrap();
    let test = original.dataset.test.clone();
    for i in 0..20 {
        let a = block_on(original.predict(test.image(i))).unwrap();
        let b = block_on(reopened.predict(test.image(i))).unwrap();
        assert_eq!(a, b, "image {i}");
    }
    // And it trains on from there.
    block_on(reopened.step()).unwrap();
    assert!(file.suggested_name().ends_with(".safetensors"));
}

/// One model, one file: the header's keys come out sorted (safetensors writes the metadata
/// from a hash map, in an order that changed between saves), so saving again gives the same
/// bytes.
#[test]
fn a_model_always_gives_the_same_bytes() {
    let (_, bytes) = trained();
    let again = ModelFile::from_bytes(&bytes).unwrap().to_bytes().unwrap();
    assert!(again == bytes, "a second save differs");
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let text = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    let keys = [
        "class_names",
        "config",
        "dataset",
        "format",
        "format_version",
        "history",
        "normalizer",
        "test_accuracy",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).expect(k))
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "metadata keys in order: {at:?}"
    );
}

#[test]
fn files_that_are_not_models_are_refused() {
    let (_, good) = trained();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "too short to be a model file"),
        (
            "text",
            b"hello, this is not a model".to_vec(),
            "not a usable model file",
        ),
        ("truncated", good[..good.len() - 100].to_vec(), "truncated"),
        (
            "absurd header size",
            [&(1u64 << 40).to_le_bytes()[..], &good[8..]].concat(),
            "claims a header of 1099511627776 bytes",
        ),
        (
            "another safetensors file",
            set_meta(&good, "format", "pytorch".into()),
            "not one made by this app",
        ),
        (
            "newer format",
            set_meta(&good, "format_version", (VERSION + 1).to_string()),
            "newer version of the app (format 2)",
        ),
        (
            "shapes that disagree",
            with_header(&good, |h| {
                let text = h["__metadata__"]["config"]
                    .as_str()
                    .unwrap()
                    .replace("\"filters\":4", "\"filters\":3");
                h["__metadata__"]["config"] = text.into();
            }),
            "layers.0.weight has shape [3, 3, 1, 4] but the architecture needs [3, 3, 1, 3]",
        ),
        (
            "10¹² filters declared, nothing allocated",
            with_header(&good, |h| {
                let text = h["__metadata__"]["config"]
                    .as_str()
                    .unwrap()
                    .replace("\"filters\":4", "\"filters\":1000000000000");
                h["__metadata__"]["config"] = text.into();
            }),
            "its architecture declares 1 702 000 000 000 010 parameters (6.81 PB as f32) but the file holds only",
        ),
        (
            "unknown layer",
            with_header(&good, |h| {
                let text = h["__metadata__"]["config"]
                    .as_str()
                    .unwrap()
                    .replace("\"relu\"", "\"transformer\"");
                h["__metadata__"]["config"] = text.into();
            }),
            "its config cannot be read: unknown variant `transformer`",
        ),
        (
            "a missing tensor",
            with_header(&good, |h| {
                let obj = h.as_object_mut().unwrap();
                let t = obj.remove("layers.4.bias").unwrap();
                obj.insert("layers.9.bias".into(), t);
            }),
            "the tensor layers.4.bias is missing",
        ),
    ];
    for (what, bytes, expected) in cases {
        let e = load_error(&bytes);
        assert!(e.contains(expected), "{what}: {e}");
        println!("{what}: {e}");
    }
}

#[test]
fn non_finite_weights_are_refused() {
    let (_, good) = trained();
    let n = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let mut bad = good.clone();
    // The first tensor in the data section (whichever it is) gets a NaN.
    bad[8 + n..8 + n + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    let e = load_error(&bad);
    assert!(e.contains("is NaN (not a finite number)"), "{e}");
}

#[test]
fn a_format_1_file_keeps_loading() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/model_v1.safetensors"
    );
    if std::env::var("UPDATE_FIXTURES").is_ok() {
        std::fs::write(path, trained().1).unwrap();
    }
    let bytes = std::fs::read(path).unwrap();
    let file = ModelFile::from_bytes(&bytes).unwrap();
    assert_eq!(file.config, config());
    let mut t = Trainer::from_model_file(&file, dataset(), Device::Cpu).unwrap();
    let p = block_on(t.predict(&[0; 784])).unwrap();
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

#[test]
fn mutated_files_never_crash_the_loader() {
    // A property test in place of cargo-fuzz (which needs nightly): flips, cuts, inserted
    // runs and overwritten length fields of a valid file, plus pure noise.
    let (_, good) = trained();
    let mut rng = Rng::new(2024, 1);
    let mut below = |n: usize| rng.below(n.max(1) as u32) as usize;
    let (mut accepted, mut refused) = (0, 0);
    let runs = 3000;
    for run in 0..runs {
        let mut bytes = good.clone();
        match run % 5 {
            0 => {
                for _ in 0..1 + below(8) {
                    let i = below(bytes.len());
                    bytes[i] ^= 1 << below(8);
                }
            }
            1 => bytes.truncate(below(bytes.len())),
            2 => {
                let at = below(bytes.len());
                let run: Vec<u8> = (0..below(64)).map(|_| below(256) as u8).collect();
                bytes.splice(at..at, run);
            }
            3 => {
                let v = [0u64, 1, 7, u64::MAX, 1 << 33, bytes.len() as u64][below(6)];
                bytes[..8].copy_from_slice(&v.to_le_bytes());
            }
            _ => bytes = (0..below(4096)).map(|_| below(256) as u8).collect(),
        }
        match ModelFile::from_bytes(&bytes) {
            Ok(f) => {
                accepted += 1;
                assert!(f
                    .weights
                    .iter()
                    .all(|(_, t)| t.to_vec().iter().all(|v| v.is_finite())));
            }
            Err(_) => refused += 1,
        }
    }
    println!("# figure: {runs} mutated model files: {refused} refused with an error, {accepted} accepted (harmless flips), no crash");
    assert_eq!(accepted + refused, runs);
}

#[test]
fn files_for_the_python_interop_check() {
    // scripts/test.sh then reads these with Python's safetensors + numpy
    // (tests/python/check_model_file.py): documented names and shapes, same probabilities.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/build/interop");
    std::fs::create_dir_all(dir).unwrap();
    for (name, preset) in [
        ("mlp", trainer::nn::presets::Preset::Mlp),
        ("cnn", trainer::nn::presets::Preset::DefaultCnn),
    ] {
        let mut c = TrainConfig::for_preset(preset, 1, 3);
        c.batch_size = 16;
        c.split.validation = 32;
        let mut t = Trainer::new(c, dataset()).unwrap();
        for _ in 0..4 {
            block_on(t.step()).unwrap();
        }
        let bytes = block_on(t.to_model_file()).unwrap().to_bytes().unwrap();
        std::fs::write(format!("{dir}/{name}.safetensors"), bytes).unwrap();
        let test = t.dataset.test.clone();
        let pixels: Vec<Vec<u8>> = (0..8).map(|i| test.image(i).to_vec()).collect();
        let probabilities: Vec<Vec<f32>> = pixels
            .iter()
            .map(|p| block_on(t.predict(p)).unwrap())
            .collect();
        let reference = serde_json::json!({ "pixels": pixels, "probabilities": probabilities });
        std::fs::write(format!("{dir}/{name}.json"), reference.to_string()).unwrap();
    }
}

#[test]
fn a_snapshot_continues_the_run_exactly() {
    // Two epochs straight, against one epoch, a snapshot (weights + optimizer state), a
    // fresh trainer from the file, and the second epoch: the same losses, bit for bit.
    let mut c = config();
    c.epochs = 2;
    let losses = |t: &mut Trainer, out: &mut Vec<u32>, until: usize| {
        while t.epochs_done() < until && !t.is_finished() {
            for e in block_on(t.step()).unwrap() {
                if let trainer::train::TrainEvent::Step(s) = e {
                    out.push(s.loss.to_bits());
                }
            }
        }
    };
    let mut straight = Vec::new();
    let mut t = Trainer::new(c.clone(), dataset()).unwrap();
    losses(&mut t, &mut straight, 2);

    let mut resumed = Vec::new();
    let mut first = Trainer::new(c, dataset()).unwrap();
    losses(&mut first, &mut resumed, 1);
    let bytes = block_on(first.to_model_file_with(true))
        .unwrap()
        .to_bytes()
        .unwrap();
    let file = ModelFile::from_bytes(&bytes).unwrap();
    assert_eq!(
        file.optimizer.as_ref().unwrap().tensors.len(),
        6,
        "optimizer state for each of the 6 parameters"
    );
    let mut second = Trainer::from_model_file(&file, dataset(), Device::Cpu).unwrap();
    assert_eq!(second.epochs_done(), 1);
    losses(&mut second, &mut resumed, 2);
    assert_eq!(resumed, straight);
}
