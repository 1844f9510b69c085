//! The messages between the page and the worker.
//!
//! On the wire a message is a JS array: its JSON text first, then any `ArrayBuffer`s it
//! carries (transferred, not copied), in the order the message names them.

use serde::{Deserialize, Serialize};

use crate::data::folder::ImportOptions;
use crate::data::{Builtin, DatasetSummary};
use crate::lessons::lab::{LabKind, LabRun, RunReport};
use crate::nn::gradcheck::GradCheckReport;
use crate::train::inference::FeatureMap;
use crate::train::{EpochSummary, TrainConfig, TrainEvent};

/// Where training runs: the learner's choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// The faster of the two for this model, timed on the first Train (the CPU without an
    /// adapter).
    #[default]
    Auto,
    WebGpu,
    Cpu,
}

/// What the training session is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunMode {
    /// No model yet, or a fresh one waiting for Train.
    #[default]
    Idle,
    Running,
    Paused,
    Finished,
}

/// What the page asks of the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Download and parse one of the datasets served with the app.
    LoadBuiltin(Builtin),
    /// Parse the user's own IDX files; their bytes follow the message, one buffer per name.
    LoadFiles {
        names: Vec<String>,
    },
    /// Decode the learner's own images into a dataset: the files of a folder (their paths
    /// relative to it, one sub-folder per class) or one `.zip`; bytes follow, one buffer
    /// per name.
    LoadImages {
        name: String,
        paths: Vec<String>,
        options: ImportOptions,
    },
    /// Build a fresh model from the config (and seed) on the chosen backend and train it.
    Train {
        config: TrainConfig,
        backend: Backend,
        /// Save a snapshot (model and optimizer state) every this many epochs; 0: never.
        #[serde(default)]
        snapshot_every: usize,
        /// Start from the current model's weights (fine-tuning) instead of fresh ones.
        #[serde(default)]
        from_current: bool,
    },
    Pause,
    Resume,
    /// Train exactly one batch, then pause (builds the model first if there is none).
    Step {
        config: TrainConfig,
        backend: Backend,
        #[serde(default)]
        snapshot_every: usize,
    },
    /// End the run; the model stays for predictions and inspection.
    Stop,
    /// Forget the model: the next Train starts from freshly initialised weights.
    Reset,
    /// Class probabilities and every layer's output for one image (rows × cols bytes).
    Predict {
        pixels: Vec<u8>,
        feature_maps: bool,
    },
    /// Test hook: destroy the GPU device now, as a driver crash would.
    LoseDevice,
    /// Test hook: panic in the worker now, as a bug or an allocation failure would.
    Crash,
    /// Report the worker's memory (the soak test samples it every epoch).
    Memory,
    /// Run the CPU kernels on this many threads (the threaded worker starts helpers as
    /// needed; the other has one). Answered by `Event::Threads`, again whenever a helper joins.
    SetThreads {
        threads: usize,
    },
    /// Benchmark hook (`scripts/bench-threads.mjs`), once the most threads asked for run:
    /// the CPU suite of `bench.rs` at each thread count; or, with `blocks` > 0, only its
    /// training figures, taken in turn at every count in `blocks` rounds of `min_ms` each
    /// (`bench::cpu_training_interleaved`). Answered by `BenchRecord`s, then `BenchDone`.
    Bench {
        threads: Vec<usize>,
        min_ms: f64,
        #[serde(default)]
        blocks: usize,
    },
    /// Send the current model as a model file.
    SaveModel,
    /// Send the current model's inference graph as an ONNX file.
    ExportOnnx,
    /// Send the current model as Keras and PyTorch code with its weights, one zip file.
    ExportCode,
    /// Open a model file (its bytes follow the message) in place of the current model.
    OpenModel {
        name: String,
    },
    /// The current model's answers on `count` test images from `start` (wrapping around).
    TestGallery {
        start: usize,
        count: usize,
    },
    /// Compare backprop with numeric gradients for the current model on a few training
    /// images (a lesson).
    GradCheck {
        images: usize,
    },
    /// Train each run to the end on the CPU, one after the other (a lesson's experiment).
    /// The lab runs beside the trainer's own run; the two take turns between steps.
    Lab {
        kind: LabKind,
        runs: Vec<LabRun>,
        /// The first run's number in the page's table (runs can be added to a finished lab).
        first: usize,
    },
}

/// One image to show, with its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub label: u8,
    pub pixels: Vec<u8>,
}

/// The model's answer on one test image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestPrediction {
    /// Position in the test set.
    pub index: usize,
    pub label: u8,
    pub predicted: u8,
    /// The predicted class's probability.
    pub confidence: f32,
    /// Not in the message's JSON: every item's pixels follow it in one buffer, image after
    /// image ([`TestPrediction::pixels_from`]).
    #[serde(skip)]
    pub pixels: Vec<u8>,
}

impl TestPrediction {
    /// Gives each item its pixels from `bytes`, the images one after another, all of one
    /// size; an error when they do not divide evenly among the items.
    pub fn pixels_from(items: &mut [TestPrediction], bytes: &[u8]) -> Result<(), String> {
        if items.is_empty() || !bytes.len().is_multiple_of(items.len()) {
            return Err(format!(
                "{} bytes of pixels for {} images",
                bytes.len(),
                items.len()
            ));
        }
        let size = bytes.len() / items.len();
        for (item, pixels) in items.iter_mut().zip(bytes.chunks_exact(size)) {
            item.pixels = pixels.to_vec();
        }
        Ok(())
    }
}

/// What the worker tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The worker has started and accepts requests.
    Ready,
    /// Bytes downloaded so far (images decoded so far, when `images`); `total` is 0 when
    /// the server did not say.
    Progress {
        what: String,
        received: u64,
        total: u64,
        #[serde(default)]
        images: bool,
    },
    /// A dataset replaced the current one.
    DatasetLoaded {
        summary: DatasetSummary,
        samples: Vec<Sample>,
        /// Time spent inflating and parsing, in milliseconds.
        parse_ms: f64,
        /// The learner's files that were left out, each with its reason.
        #[serde(default)]
        left_out: Vec<String>,
    },
    /// Loading failed; the dataset loaded before (if any) is still the current one.
    LoadFailed {
        message: String,
    },
    /// A model was built and training starts on `device` (e.g. "WebGPU: …" or "CPU").
    SessionStarted {
        device: String,
        batches_per_epoch: usize,
        epochs: usize,
        train_images: usize,
    },
    /// What the loop reported since the last message (sent at most every ~100 ms).
    Train {
        events: Vec<TrainEvent>,
    },
    Mode(RunMode),
    /// The worker's memory: its wasm linear memory and the part of it its heap holds now,
    /// and the GPU storage buffers alive.
    Memory {
        wasm_bytes: u64,
        heap_bytes: u64,
        gpu_buffers: u64,
        gpu_bytes: u64,
    },
    /// The worker panicked (its last message: the page replaces it by a new one).
    Crashed {
        message: String,
    },
    /// The CPU threads: how many run the kernels now, and the most this worker can run
    /// (helpers that have started, plus its own thread). `threaded`: the build can have more.
    Threads {
        running: usize,
        most: usize,
        threaded: bool,
    },
    /// One benchmark record, as the JSON line `make bench` prints.
    BenchRecord(String),
    /// The benchmark ended (with the reason if it failed).
    BenchDone {
        error: Option<String>,
    },
    /// Auto chose a backend by timing the model on each; the reason gives both figures.
    BackendChosen {
        reason: String,
    },
    /// Something the learner should know, e.g. that WebGPU failed and the CPU took over.
    Notice {
        message: String,
    },
    /// Training could not start or continue; the message says why.
    TrainFailed {
        message: String,
    },
    /// Answers to `Request::Predict`, from the weights after `step` batches. The maps'
    /// values follow the message in one buffer ([`MapHeader::split`]).
    Prediction {
        probabilities: Vec<f32>,
        feature_maps: Vec<MapHeader>,
        step: usize,
    },
    /// The model file's bytes follow the message; `name` is a suggested file name. A
    /// snapshot (`epoch` set) also holds the optimizer state and goes to the browser's
    /// snapshot store instead of a download.
    ModelSaved {
        name: String,
        epoch: Option<usize>,
    },
    /// A model file was opened: it is now the current model, paused, ready to predict or
    /// train on.
    ModelOpened {
        name: String,
        config: TrainConfig,
        dataset: String,
        history: Vec<EpochSummary>,
        test_accuracy: Option<f32>,
    },
    /// The file could not be opened; the current model is untouched.
    OpenFailed {
        message: String,
    },
    /// A lab run finished another epoch.
    LabProgress {
        kind: LabKind,
        index: usize,
        name: String,
        history: Vec<EpochSummary>,
        /// The training loss per batch so far, averaged down (epochs, loss).
        losses: Vec<(f32, f32)>,
    },
    /// A lab run ended; the last run's report ends the lab.
    LabRun {
        kind: LabKind,
        index: usize,
        report: RunReport,
    },
    LabFailed {
        kind: LabKind,
        message: String,
    },
    GradCheck {
        report: GradCheckReport,
    },
    /// Answers to `Request::TestGallery`, from the weights after `step` batches; `total` is
    /// the size of the test set. The images' pixels follow in one buffer.
    TestGallery {
        start: usize,
        total: usize,
        items: Vec<TestPrediction>,
        step: usize,
    },
}

/// Test images the gallery shows at once, at most.
pub const GALLERY_MAX: usize = 64;

/// How many sample images per class the page shows.
pub const SAMPLES_PER_CLASS: usize = 4;

/// One layer's output on the wire: its name and shape in the message's JSON, its values in
/// the buffer that follows, after those of the maps before it (little-endian f32). The
/// default CNN's maps are about 13 000 values: as JSON text, 150 KB to write and parse every
/// refresh; as a buffer, 52 KB copied once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapHeader {
    pub layer: usize,
    pub name: String,
    pub shape: Vec<usize>,
}

impl MapHeader {
    /// The maps' headers, and all their values in one run.
    pub fn split(maps: Vec<FeatureMap>) -> (Vec<MapHeader>, Vec<f32>) {
        let mut values = Vec::with_capacity(maps.iter().map(|m| m.values.len()).sum());
        let headers = maps
            .into_iter()
            .map(|m| {
                values.extend_from_slice(&m.values);
                MapHeader {
                    layer: m.layer,
                    name: m.name,
                    shape: m.shape,
                }
            })
            .collect();
        (headers, values)
    }

    /// The maps again from their headers and the values that came with them; an error when
    /// the values are not exactly as many as the shapes say.
    pub fn join(headers: Vec<MapHeader>, values: &[f32]) -> Result<Vec<FeatureMap>, String> {
        let mut rest = values;
        let mut maps = Vec::with_capacity(headers.len());
        for h in headers {
            let n = h
                .shape
                .iter()
                .try_fold(1usize, |n, &d| n.checked_mul(d))
                .filter(|&n| n <= rest.len())
                .ok_or_else(|| {
                    format!(
                        "layer {}'s map {:?} is larger than its values",
                        h.layer, h.shape
                    )
                })?;
            let (mine, after) = rest.split_at(n);
            rest = after;
            maps.push(FeatureMap {
                layer: h.layer,
                name: h.name,
                shape: h.shape,
                values: mine.to_vec(),
            });
        }
        if !rest.is_empty() {
            return Err(format!("{} values more than the maps hold", rest.len()));
        }
        Ok(maps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(layer: usize, shape: &[usize]) -> FeatureMap {
        let n: usize = shape.iter().product();
        FeatureMap {
            layer,
            name: format!("l{layer}"),
            shape: shape.to_vec(),
            values: (0..n).map(|i| (layer * 1000 + i) as f32).collect(),
        }
    }

    #[test]
    fn maps_split_into_headers_and_values_and_join_back() {
        let maps = vec![map(0, &[2, 3, 2]), map(1, &[4]), map(2, &[1, 1, 1])];
        let (headers, values) = MapHeader::split(maps.clone());
        assert_eq!(values.len(), 12 + 4 + 1);
        assert_eq!(MapHeader::join(headers, &values).unwrap(), maps);
    }

    #[test]
    fn gallery_pixels_are_shared_out_evenly_or_refused() {
        let item = |index| TestPrediction {
            index,
            label: 1,
            predicted: 1,
            confidence: 0.5,
            pixels: Vec::new(),
        };
        let mut items = vec![item(0), item(1)];
        TestPrediction::pixels_from(&mut items, &[1, 2, 3, 4, 5, 6]).unwrap();
        assert_eq!(
            (items[0].pixels.as_slice(), items[1].pixels.as_slice()),
            (&[1, 2, 3][..], &[4, 5, 6][..])
        );
        assert!(TestPrediction::pixels_from(&mut items, &[1, 2, 3]).is_err());
        assert!(TestPrediction::pixels_from(&mut [], &[]).is_err());
    }

    #[test]
    fn values_that_do_not_match_the_shapes_are_refused() {
        let (headers, values) = MapHeader::split(vec![map(0, &[2, 2]), map(1, &[3])]);
        assert!(MapHeader::join(headers.clone(), &values[..6]).is_err());
        let mut more = values.clone();
        more.push(1.0);
        assert!(MapHeader::join(headers, &more).is_err());
        let huge = vec![MapHeader {
            layer: 0,
            name: "x".into(),
            shape: vec![usize::MAX, 2],
        }];
        assert!(MapHeader::join(huge, &values).is_err());
    }
}
