//! The page's reactive state, one `Copy` struct of signals per area, shared by context.

use leptos::prelude::*;

use crate::data::folder::ImportOptions;
use crate::data::DatasetSummary;
use crate::lessons::lab::{LabKind, RunReport};
use crate::train::inference::FeatureMap;
use crate::train::metrics::{EvalReport, ModelSnapshot};
use crate::train::{EpochSummary, FinishReason, StepMetrics, TrainConfig};
use crate::ui::history::{FilterHistory, HistogramFrame, Record, SNAPSHOT_RECORD, STEP_RECORD};
use crate::worker::protocol::{Backend, RunMode, Sample, TestPrediction};

/// Download progress: what is being fetched, bytes so far, bytes in all (0 = unknown);
/// or, when `images`, images decoded so far and in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub what: String,
    pub received: u64,
    pub total: u64,
    pub images: bool,
}

/// Everything the dataset panel shows.
#[derive(Debug, Clone, Copy)]
pub struct DatasetState {
    pub summary: RwSignal<Option<DatasetSummary>>,
    pub samples: RwSignal<Vec<Sample>>,
    pub progress: RwSignal<Option<Progress>>,
    pub loading: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    /// Milliseconds from navigation to the dataset being parsed, and of that, parsing alone.
    pub ready_ms: RwSignal<Option<(f64, f64)>>,
    /// The learner's files the last import left out, each with its reason.
    pub left_out: RwSignal<Vec<String>>,
    /// How the learner's own images become a dataset (size, colour, crop or pad).
    pub import: RwSignal<ImportOptions>,
}

impl DatasetState {
    /// The loaded dataset as the device holds it (f32 pixels), for the memory budget.
    pub fn data_bytes(&self) -> u64 {
        self.summary.with(|s| {
            s.as_ref().map_or(0, |s| {
                crate::size::product(&[s.train_count + s.test_count, s.rows, s.cols, s.channels])
                    .and_then(|n| crate::size::mul(n, crate::size::F32_BYTES))
                    .unwrap_or(u64::MAX)
            })
        })
    }

    pub fn new() -> Self {
        DatasetState {
            summary: RwSignal::new(None),
            samples: RwSignal::new(Vec::new()),
            progress: RwSignal::new(None),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
            ready_ms: RwSignal::new(None),
            left_out: RwSignal::new(Vec::new()),
            import: RwSignal::new(ImportOptions::default()),
        }
    }
}

/// How far the run is meant to go, from the worker once the model is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub batches_per_epoch: usize,
    pub epochs: usize,
    pub train_images: usize,
}

/// The image the class probabilities and feature maps are for.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictedInput {
    /// "your drawing" or which test image.
    pub caption: String,
    pub pixels: Vec<u8>,
}

/// A page of test images with the model's answers after `step` batches.
#[derive(Debug, Clone, PartialEq)]
pub struct Gallery {
    pub start: usize,
    pub total: usize,
    pub items: Vec<TestPrediction>,
    pub step: usize,
}

/// One run of a lesson's lab as it trains, and its report once done.
#[derive(Debug, Clone, PartialEq)]
pub struct LabRow {
    pub name: String,
    pub history: Vec<EpochSummary>,
    /// Training loss per batch (epochs, loss), averaged down.
    pub losses: Vec<(f32, f32)>,
    pub report: Option<RunReport>,
}

/// One lesson's lab runs, as the worker reports them.
#[derive(Debug, Clone, Copy)]
pub struct LabState {
    pub rows: RwSignal<Vec<LabRow>>,
    /// Runs asked for; the lab is running while fewer have reports.
    pub expected: RwSignal<usize>,
    pub error: RwSignal<Option<String>>,
}

impl LabState {
    pub fn running(&self) -> bool {
        let done = self
            .rows
            .with(|r| r.iter().filter(|r| r.report.is_some()).count());
        self.error.with(|e| e.is_none()) && done < self.expected.get()
    }

    fn new() -> Self {
        LabState {
            rows: RwSignal::new(Vec::new()),
            expected: RwSignal::new(0),
            error: RwSignal::new(None),
        }
    }

    pub fn progress(
        &self,
        index: usize,
        name: &str,
        history: Vec<EpochSummary>,
        losses: Vec<(f32, f32)>,
    ) {
        self.rows.update(|rows| {
            let row = row(rows, index, name);
            row.history = history;
            row.losses = losses;
        });
    }

    pub fn finished(&self, index: usize, report: RunReport) {
        self.rows.update(|rows| {
            let row = row(rows, index, &report.name);
            row.history = report.history.clone();
            row.losses = report.losses.clone();
            row.report = Some(report);
        });
    }
}

/// The row of run `index`, added (with the ones before it) if it is new.
fn row<'a>(rows: &'a mut Vec<LabRow>, index: usize, name: &str) -> &'a mut LabRow {
    while rows.len() <= index {
        rows.push(LabRow {
            name: name.to_string(),
            history: Vec::new(),
            losses: Vec::new(),
            report: None,
        });
    }
    &mut rows[index]
}

/// Everything the trainer views show: the configuration being edited and what the worker
/// reported about the run.
#[derive(Debug, Clone, Copy)]
pub struct TrainState {
    pub config: RwSignal<TrainConfig>,
    pub backend: RwSignal<Backend>,
    pub mode: RwSignal<RunMode>,
    /// "WebGPU: <adapter>" or "CPU" once a model is built.
    pub device: RwSignal<Option<String>>,
    pub notice: RwSignal<Option<String>>,
    /// Why Auto trains on the backend it chose, with the figures it measured.
    pub backend_reason: RwSignal<Option<String>>,
    pub error: RwSignal<Option<String>>,
    pub plan: RwSignal<Option<Plan>>,
    /// Every step, thinned evenly once the record is full; `latest()` is the last step.
    pub steps: RwSignal<Record<StepMetrics>>,
    pub epochs: RwSignal<Vec<EpochSummary>>,
    pub validation: RwSignal<Option<EvalReport>>,
    pub snapshot: RwSignal<Option<ModelSnapshot>>,
    /// First-layer filters at each snapshot (their values), and the batch each was taken at.
    pub filter_history: RwSignal<FilterHistory>,
    /// Every layer's activation histogram at each snapshot, one item per snapshot.
    pub activation_history: RwSignal<Record<HistogramFrame>>,
    pub finished: RwSignal<Option<(FinishReason, Option<EvalReport>)>>,
    pub prediction: RwSignal<Option<Vec<f32>>>,
    /// Batches trained when `prediction` and `feature_maps` were computed.
    pub prediction_step: RwSignal<Option<usize>>,
    pub feature_maps: RwSignal<Vec<FeatureMap>>,
    pub predicted_input: RwSignal<Option<PredictedInput>>,
    pub gallery: RwSignal<Option<Gallery>>,
    pub gradcheck: RwSignal<Option<crate::nn::gradcheck::GradCheckReport>>,
    /// One lab per lesson, in [`LabKind::ALL`] order.
    pub labs: [LabState; 6],
    /// Save a snapshot every this many epochs (0: never), and the snapshots stored.
    pub snapshot_every: RwSignal<usize>,
    pub snapshots: RwSignal<Vec<super::snapshots::SnapshotInfo>>,
    /// CPU threads the learner asks for (all cores unless changed) and what the worker runs.
    pub threads_wanted: RwSignal<usize>,
    pub threads: RwSignal<Option<super::threads::CpuThreads>>,
}

impl TrainState {
    pub fn new(config: TrainConfig, backend: Backend) -> Self {
        TrainState {
            config: RwSignal::new(config),
            backend: RwSignal::new(backend),
            mode: RwSignal::new(RunMode::Idle),
            device: RwSignal::new(None),
            notice: RwSignal::new(None),
            backend_reason: RwSignal::new(None),
            error: RwSignal::new(None),
            plan: RwSignal::new(None),
            steps: RwSignal::new(Record::new(STEP_RECORD)),
            epochs: RwSignal::new(Vec::new()),
            validation: RwSignal::new(None),
            snapshot: RwSignal::new(None),
            filter_history: RwSignal::new(FilterHistory::default()),
            activation_history: RwSignal::new(Record::new(SNAPSHOT_RECORD)),
            finished: RwSignal::new(None),
            prediction: RwSignal::new(None),
            prediction_step: RwSignal::new(None),
            feature_maps: RwSignal::new(Vec::new()),
            predicted_input: RwSignal::new(None),
            gallery: RwSignal::new(None),
            gradcheck: RwSignal::new(None),
            labs: LabKind::ALL.map(|_| LabState::new()),
            snapshot_every: RwSignal::new(1),
            snapshots: RwSignal::new(Vec::new()),
            threads_wanted: RwSignal::new(super::threads::cores()),
            threads: RwSignal::new(None),
        }
    }

    pub fn lab(&self, kind: LabKind) -> LabState {
        self.labs[kind.index()]
    }

    /// Clears what the last run reported (a new run starts from scratch).
    pub fn clear_run(&self) {
        self.clear_figures();
        self.error.set(None);
        self.notice.set(None);
        self.backend_reason.set(None);
    }

    /// The run's figures, not the messages: what the worker said while setting up a run (say,
    /// that WebGPU is missing and the CPU trains) stays on screen when the run starts.
    pub fn clear_figures(&self) {
        self.plan.set(None);
        self.steps.update(Record::clear);
        self.epochs.set(Vec::new());
        self.validation.set(None);
        self.snapshot.set(None);
        self.filter_history.update(FilterHistory::clear);
        self.activation_history.update(Record::clear);
        self.finished.set(None);
        self.gallery.set(None);
    }
}
