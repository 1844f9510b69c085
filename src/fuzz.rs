//! The bodies of the fuzz targets (fuzz/fuzz_targets/*.rs) and of their replay test
//! (tests/fuzz_regressions.rs): every parser and decoder that reads bytes from outside.
//!
//! Each function takes any bytes and must return without panicking: errors are the expected
//! answer to most inputs. Where a parse succeeds, the function also checks what must then
//! hold (re-encoding gives the same bytes, a written file reads back, an exported graph is
//! well formed) and panics if it does not, so the fuzzer reports a broken invariant as a
//! crash. Sizes are kept small so one execution takes microseconds.

use prost::Message;

use crate::backend::geometry::Padding;
use crate::data::normalize::{Normalization, Normalizer};
use crate::data::{gzip, idx};
use crate::io::model_file::{self, ModelFile, OptimizerState};
use crate::io::onnx::{self, proto::ModelProto};
use crate::nn::presets::Preset;
use crate::nn::{Init, LayerSpec, ModelSpec, Sequential};
use crate::optim::OptimizerSpec;
use crate::tensor::Tensor;
use crate::train::budget::Budget;
use crate::train::TrainConfig;
use crate::ui::url;

/// The most a fuzzed gzip stream may inflate to (the app's own ceiling is 256 MiB; the
/// bound is what is tested, not its value, and a small one keeps executions fast).
const GZIP_CEILING: usize = 1 << 20;

/// IDX images and labels (`data::idx`): on success the header matches the bytes, and
/// encoding the result gives the input back.
pub fn idx(data: &[u8]) {
    if let Ok(images) = idx::parse_images("fuzz-images.idx", data) {
        assert_eq!(
            images.pixels.len(),
            images.count * images.rows * images.cols,
            "the pixels the header describes"
        );
        assert!((1..=idx::MAX_SIDE).contains(&images.rows));
        assert!((1..=idx::MAX_SIDE).contains(&images.cols));
        assert_eq!(
            idx::encode_images(&images),
            data,
            "images re-encode to the input"
        );
    }
    if let Ok(labels) = idx::parse_labels("fuzz-labels.idx", data, 10) {
        assert!(labels.labels.iter().all(|&l| l < 10), "labels below 10");
        assert_eq!(
            idx::encode_labels(&labels.labels),
            data,
            "labels re-encode to the input"
        );
    }
}

/// The bounded gunzip (`data::gzip`): never more than the ceiling, a `.gz` name that holds
/// no gzip is refused, and anything else that is not gzip comes back unchanged.
pub fn gzip(data: &[u8]) {
    // The ceiling comes from the first byte as well, so the limit itself is exercised at
    // every size from 0 up (and a bomb stops early).
    let small = data.first().map_or(0, |&b| usize::from(b) * 16);
    for (name, ceiling) in [("fuzz.gz", GZIP_CEILING), ("fuzz.bin", small)] {
        match gzip::decode_maybe_gzip(name, data, ceiling) {
            Ok(out) => {
                if gzip::is_gzip(data) {
                    assert!(
                        out.len() <= ceiling,
                        "{} > {ceiling} bytes inflated",
                        out.len()
                    );
                } else {
                    assert!(!name.ends_with(".gz"), "a .gz name without gzip is refused");
                    assert_eq!(out, data, "non-gzip bytes come back unchanged");
                }
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

/// The model file (`io::model_file`): on success it writes back to a file that reads the
/// same, its weights fit the architecture, and the ONNX export does not panic.
pub fn model_file(data: &[u8]) {
    let Ok(file) = ModelFile::from_bytes(data) else {
        return;
    };
    let mut model = Sequential::build(&file.config.model, 1).expect("a loaded model builds");
    let tensors: Vec<Tensor> = file.weights.iter().map(|(_, t)| t.clone()).collect();
    model
        .set_weights(&tensors)
        .expect("a loaded file's weights fit its architecture");
    // What the app does first with every image: normalise it (a small input only; the
    // file may declare an input far larger than itself).
    let pixels: usize = file.config.model.input.iter().product();
    if pixels <= 1 << 16 {
        let mut image = vec![0.5; pixels];
        file.normalizer.apply(&mut image);
        assert!(
            image.iter().all(|v| v.is_finite()),
            "normalised pixels are finite"
        );
    }
    let bytes = file.to_bytes().expect("a loaded file can be written");
    let again = ModelFile::from_bytes(&bytes).expect("a written file reads back");
    assert_eq!(again.config, file.config);
    assert_eq!(again.weights.len(), file.weights.len());
    for ((a, x), (b, y)) in again.weights.iter().zip(&file.weights) {
        assert_eq!(a, b);
        assert_eq!(x.to_vec(), y.to_vec(), "{a}");
    }
    if let Ok(onnx) = onnx::export(&file) {
        check_onnx(&onnx);
    }
}

/// The link's configuration (`ui::url` reads it on the page): parse, validate, check against
/// a browser's memory budget; a bare config and the page's wrapper alike.
pub fn link(data: &[u8]) {
    // The page refuses links over 64 KiB before it parses them.
    if data.len() > url::MAX_LINK {
        return;
    }
    let budget = Budget::browser(Some(8.0));
    let check = |config: &TrainConfig| {
        if config.validate().is_ok() {
            if let Ok(estimate) = budget.check(config, 0) {
                assert!(estimate.total <= budget.bytes);
            }
        }
    };
    if let Ok(config) = serde_json::from_slice::<TrainConfig>(data) {
        check(&config);
    }
    if let Ok(shared) = serde_json::from_slice::<url::Shared>(data) {
        check(&shared.config);
    }
    // The same bytes as the link's text itself (percent-decoded first, as the page reads it).
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(Some((config, _))) = url::parse(&format!("{}{text}", url::PREFIX)) {
            check(&config);
        }
    }
}

/// Reads the fuzzer's bytes as a sequence of small choices (zeros once they run out).
struct Choices<'a> {
    data: &'a [u8],
}

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + usize::from(self.byte()) % (hi - lo + 1)
    }

    /// Heads or tails.
    fn coin(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A float in `[0, 1)` in steps of 1/256.
    fn unit(&mut self) -> f32 {
        f32::from(self.byte()) / 256.0
    }
}

/// A small model chosen by the bytes: input up to 8×8×3, up to 6 layers of any kind with
/// small sizes, then Flatten (if still an image) and Dense 10.
fn small_model(c: &mut Choices) -> ModelSpec {
    let input = vec![c.range(1, 8), c.range(1, 8), c.range(1, 3)];
    let mut layers = Vec::new();
    let mut image = true;
    for _ in 0..c.range(0, 6) {
        let side = |c: &mut Choices| [c.range(1, 3), c.range(1, 3)];
        let layer = match c.byte() % 13 {
            0 if image => LayerSpec::Conv2d {
                filters: c.range(1, 4),
                kernel: side(c),
                stride: [c.range(1, 2), c.range(1, 2)],
                padding: match c.byte() % 3 {
                    0 => Padding::Valid,
                    1 => Padding::Same,
                    _ => Padding::Explicit(c.range(0, 2), c.range(0, 2)),
                },
                dilation: [c.range(1, 2), c.range(1, 2)],
                init: Init::HeNormal,
            },
            1 if image => LayerSpec::MaxPool2d {
                window: side(c),
                stride: side(c),
            },
            2 if image => LayerSpec::AvgPool2d {
                window: side(c),
                stride: side(c),
            },
            3 => LayerSpec::BatchNorm {
                momentum: 0.9,
                epsilon: 1e-3 + c.unit(),
            },
            4 => LayerSpec::Relu,
            5 => LayerSpec::LeakyRelu { alpha: c.unit() },
            6 => LayerSpec::Sigmoid,
            7 => LayerSpec::Tanh,
            8 => LayerSpec::Dropout { rate: c.unit() },
            9 => LayerSpec::GaussianNoise { stddev: c.unit() },
            10 => LayerSpec::Softmax,
            11 if !image => LayerSpec::Dense {
                units: c.range(1, 8),
                init: Init::GlorotUniform,
            },
            _ if image => {
                image = false;
                LayerSpec::Flatten
            }
            _ => LayerSpec::Relu,
        };
        layers.push(layer);
    }
    if image {
        layers.push(LayerSpec::Flatten);
    }
    layers.push(LayerSpec::Dense {
        units: 10,
        init: Init::GlorotUniform,
    });
    if !c.coin() {
        layers.push(LayerSpec::Softmax);
    }
    ModelSpec::new(input, layers)
}

/// ONNX export round trip (`io::onnx`): a small model chosen by the bytes is written as a
/// model file, read back, exported, and the ONNX bytes decode to a well-formed graph.
pub fn onnx(data: &[u8]) {
    let mut c = Choices { data };
    let model = small_model(&mut c);
    let mut config = TrainConfig::for_preset(Preset::Mlp, 1, u64::from(c.byte()));
    config.model = model;
    config.optimizer = OptimizerSpec::all()[c.range(0, 7)];
    config.normalization = [
        Normalization::Scale01,
        Normalization::SubtractMeanPixel,
        Normalization::SubtractMeanImage,
        Normalization::Standardize,
    ][c.range(0, 3)];
    // Shapes the bytes chose may not fit together (a window larger than its input): those
    // are refused before anything is built, which is the point of validating.
    if config.validate().is_err() {
        return;
    }
    let Ok(mut net) = Sequential::build(&config.model, config.seed) else {
        panic!("a validated architecture builds: {:?}", config.model);
    };
    let weights = model_file::named_weights(&mut net);
    let input_len: usize = config.model.input.iter().product();
    let (mean, std) = (c.unit(), c.unit() + 1e-3);
    let normalizer = Normalizer {
        kind: config.normalization,
        mean,
        std,
        mean_image: if config.normalization == Normalization::SubtractMeanImage {
            (0..input_len).map(|i| (i % 7) as f32 / 7.0).collect()
        } else {
            Vec::new()
        },
        channel_mean: Vec::new(),
        channel_std: Vec::new(),
    };
    let optimizer = c.coin().then(|| OptimizerState {
        steps: u64::from(c.byte()),
        tensors: net
            .params()
            .iter()
            .map(|(_, p)| {
                (0..config.optimizer.state_len())
                    .map(|_| Tensor::zeros(p.value.shape().to_vec()))
                    .collect()
            })
            .collect(),
    });
    let file = ModelFile {
        config,
        normalizer,
        dataset: "fuzz".into(),
        class_names: (0..10).map(|i| i.to_string()).collect(),
        history: Vec::new(),
        test_accuracy: None,
        weights,
        optimizer,
    };
    let bytes = file.to_bytes().expect("a model file can be written");
    let read = ModelFile::from_bytes(&bytes)
        .unwrap_or_else(|e| panic!("a written model file reads back: {e}"));
    assert_eq!(read.config, file.config);
    let onnx = onnx::export(&read)
        .unwrap_or_else(|e| panic!("a validated model exports: {e}\n{:?}", read.config.model));
    check_onnx(&onnx);
}

/// Decodes ONNX bytes and checks the graph is well formed: every node input is the graph
/// input, an initializer or an earlier node's output; every value is defined once;
/// initializers hold as many values as their dimensions say; the last node gives the
/// graph's output.
fn check_onnx(bytes: &[u8]) {
    let model = ModelProto::decode(bytes).expect("exported ONNX decodes");
    assert_eq!(model.opset_import.len(), 1);
    assert_eq!(model.opset_import[0].version, Some(onnx::OPSET));
    let graph = model.graph.as_ref().expect("a graph");
    let mut defined = std::collections::HashSet::new();
    for input in &graph.input {
        let name = input.name.clone().expect("named input");
        assert!(defined.insert(name.clone()), "input {name} defined twice");
    }
    for init in &graph.initializer {
        let name = init.name.clone().expect("named initializer");
        let count: i64 = init.dims.iter().product();
        assert!(
            init.dims.iter().all(|&d| d > 0),
            "{name}: dims {:?}",
            init.dims
        );
        assert_eq!(
            count as usize,
            init.float_data.len(),
            "{name}: dims {:?}",
            init.dims
        );
        assert!(
            defined.insert(name.clone()),
            "initializer {name} defined twice"
        );
    }
    assert!(!graph.node.is_empty());
    for node in &graph.node {
        let op = node.op_type.as_deref().unwrap_or("?");
        for input in &node.input {
            assert!(
                defined.contains(input),
                "{op} reads {input}, defined nowhere before"
            );
        }
        assert_eq!(node.output.len(), 1, "{op}");
        for output in &node.output {
            assert!(defined.insert(output.clone()), "{op} redefines {output}");
        }
    }
    assert_eq!(graph.output.len(), 1);
    let output = graph.output[0].name.as_deref().expect("named output");
    assert_eq!(
        graph.node.last().map(|n| n.output.as_slice()),
        Some(&[output.to_string()][..])
    );
    assert_eq!(output, "probabilities");
}
