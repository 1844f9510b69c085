//! The training loop as a state machine: each call to [`Trainer::step`] trains on one batch
//! and returns what happened. Whoever drives it decides the pace, so pausing is not calling,
//! stepping is calling once, and the page stays responsive between calls.
//!
//! On a GPU a step only records work: its loss and accuracy stay on the GPU and are read
//! back together every few batches ([`GPU_READ_EVERY`]), awaited, never waited for; the
//! events of those batches come out then. At each epoch's end the weights are copied to the
//! host, so if the GPU fails the run continues on the CPU from there ([`Trainer::fall_back`]).

use std::sync::Arc;

use super::config::{Monitor, TrainConfig};
use super::events::{EpochSummary, FinishReason, StepMetrics, TrainEvent};
use super::metrics::{self, EvalAccumulator, EvalReport};
use crate::backend::ops;
use crate::clock::now_ms;
use crate::data::augment::ImageAugment;
use crate::data::batch::{make_batch, Batch};
use crate::data::device::DeviceImages;
use crate::data::normalize::Normalizer;
use crate::data::split::{Split, Splits};
use crate::data::{Dataset, NUM_CLASSES};
use crate::error::{Error, Result};
use crate::io::model_file::{ModelFile, OptimizerState};
use crate::nn::{penalty, Mode, Sequential};
use crate::optim::Optimizer;
use crate::random::{hash32, Rng};
use crate::size;
use crate::tensor::{Device, Tensor};

/// Generator streams, one per purpose, all from the run's seed.
const SHUFFLE_STREAM: u64 = 3;
const AUGMENT_STREAM: u64 = 4;
/// Examples per batch when evaluating.
const EVAL_BATCH: usize = 500;
/// Mistakes kept for the "most confidently wrong" gallery.
const WORST_KEPT: usize = 16;
/// On a GPU, batches between read-backs of their losses.
pub const GPU_READ_EVERY: usize = 8;

/// Where a run is.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Running,
    Finished(FinishReason),
}

/// The best validation result so far, for early stopping.
struct Best {
    value: f32,
    epoch: usize,
    weights: Vec<Tensor>,
}

/// Sums over the batches of the current epoch.
#[derive(Default, Clone)]
struct EpochTotals {
    loss: f64,
    correct: usize,
    seen: usize,
    started_ms: f64,
}

/// A trained batch whose figures may still be on the GPU.
struct Pending {
    batch: usize,
    epoch: usize,
    epoch_progress: f32,
    size: usize,
    lr: f32,
    dispatches: Option<u64>,
    /// data loss, correct count, L1, L2, activity, and the gradient norm if clipping.
    scalars: Vec<Tensor>,
    clipped: bool,
    /// The weights this batch's loss was computed with: kept if it is finite.
    weights_before: Vec<Tensor>,
}

/// The dataset's images on the GPU.
struct Resident {
    train: DeviceImages,
    test: DeviceImages,
}

/// Everything needed to restart at the beginning of an epoch, in host memory.
#[derive(Clone)]
struct Checkpoint {
    epoch: usize,
    batches: usize,
    weights: Vec<Tensor>,
    optimizer: Vec<Vec<Tensor>>,
    optimizer_steps: u64,
    updates: usize,
    average: Option<Vec<Tensor>>,
    since_best: usize,
    best: Option<(f32, usize, Vec<Tensor>)>,
}

/// CPU copies of tensors (read back from the GPU when they live there).
async fn host_copy(tensors: &[Tensor]) -> Result<Vec<Tensor>> {
    let mut out = Vec::with_capacity(tensors.len());
    for t in tensors {
        out.push(Tensor::from_vec(t.shape().to_vec(), t.read().await?)?);
    }
    Ok(out)
}

pub struct Trainer {
    pub config: TrainConfig,
    pub model: Sequential,
    pub optimizer: Optimizer,
    pub dataset: Arc<Dataset>,
    pub splits: Splits,
    pub normalizer: Normalizer,
    pub status: Status,
    pub history: Vec<EpochSummary>,
    /// Where the model and the resident data live.
    pub device: Device,
    resident: Option<Resident>,
    /// This epoch's order of training images.
    order: Vec<u32>,
    /// Next position in `order`.
    cursor: usize,
    /// Current epoch, from 0.
    epoch: usize,
    /// Batches trained on, and optimizer updates made.
    batches: usize,
    updates: usize,
    /// Batches whose gradients are waiting for the next update.
    pending: usize,
    totals: EpochTotals,
    best: Option<Best>,
    since_best: usize,
    /// The weights of the last batch whose loss was finite.
    last_good: Vec<Tensor>,
    /// The moving average of the weights, when weight averaging is on.
    average: Option<Vec<Tensor>>,
    snapshot_requested: bool,
    /// Batches whose figures have not been read yet.
    unread: Vec<Pending>,
    /// Host copy at the start of the current epoch (GPU runs only).
    checkpoint: Option<Checkpoint>,
    /// Test accuracy measured when the run finished.
    final_test_accuracy: Option<f32>,
    /// When the last `step()` returned: a longer gap before the next is a pause, left out of
    /// the wall-clock throughput.
    last_step_end_ms: Option<f64>,
}

/// A gap between two `step()` calls longer than this is the run waiting (paused), not
/// training.
const PAUSE_MS: f64 = 1000.0;

impl Trainer {
    /// Prepares a run on the CPU: validates the config, builds the model from the seed,
    /// splits the data and fits the normalisation on the training split.
    pub fn new(config: TrainConfig, dataset: Arc<Dataset>) -> Result<Trainer> {
        Trainer::on_device(config, dataset, Device::Cpu)
    }

    /// The same, with the model, optimizer state and dataset on `device`.
    pub fn on_device(
        config: TrainConfig,
        dataset: Arc<Dataset>,
        device: Device,
    ) -> Result<Trainer> {
        Trainer::build(config, dataset, device, None)
    }

    /// A trainer for a model read from a file: its weights and normalisation, ready to
    /// predict or to train further (with fresh optimizer state).
    pub fn from_model_file(
        file: &ModelFile,
        dataset: Arc<Dataset>,
        device: Device,
    ) -> Result<Trainer> {
        let weights: Vec<Tensor> = file.weights.iter().map(|(_, t)| t.clone()).collect();
        let mut trainer = Trainer::build(
            file.config.clone(),
            dataset,
            device,
            Some((&weights, Some(&file.normalizer), file.optimizer.as_ref())),
        )?;
        if file.optimizer.is_some() {
            // Continue the run where the snapshot was taken: same epoch, same schedule.
            let done = file.history.len().min(trainer.config.epochs);
            trainer.history = file.history[..done].to_vec();
            trainer.epoch = done;
            trainer.batches = done * trainer.batches_per_epoch();
            trainer.updates = done * trainer.updates_per_epoch();
            if let Some(c) = &mut trainer.checkpoint {
                c.epoch = done;
                c.batches = trainer.batches;
                c.updates = trainer.updates;
                c.optimizer_steps = trainer.optimizer.steps;
            }
            trainer.start_epoch();
        }
        Ok(trainer)
    }

    /// A new run of `config` that starts from `weights` (e.g. another trainer's
    /// [`Trainer::host_weights`]) instead of fresh ones: fine-tuning, typically with some
    /// layers frozen. The architecture must be the same; normalisation is fitted afresh.
    pub fn fine_tune(
        config: TrainConfig,
        dataset: Arc<Dataset>,
        device: Device,
        weights: &[Tensor],
    ) -> Result<Trainer> {
        Trainer::build(config, dataset, device, Some((weights, None, None)))
    }

    /// Host copies of the weights evaluation uses.
    pub async fn host_weights(&mut self) -> Result<Vec<Tensor>> {
        host_copy(&self.evaluated_weights()).await
    }

    /// The model file of the current model (weights read back from the GPU if need be).
    pub async fn to_model_file(&mut self) -> Result<ModelFile> {
        self.to_model_file_with(false).await
    }

    /// The same; with `with_optimizer` a snapshot that can continue the run exactly: the
    /// optimizer's state and the live weights rather than their average.
    pub async fn to_model_file_with(&mut self, with_optimizer: bool) -> Result<ModelFile> {
        let names = self.model.weight_names();
        let values = if with_optimizer {
            host_copy(&self.model.weights()).await?
        } else {
            self.host_weights().await?
        };
        let optimizer = if with_optimizer {
            let mut tensors = Vec::with_capacity(self.optimizer.state.len());
            for slots in &self.optimizer.state {
                tensors.push(host_copy(slots).await?);
            }
            Some(OptimizerState {
                steps: self.optimizer.steps,
                tensors,
            })
        } else {
            None
        };
        let test_accuracy = match &self.status {
            Status::Finished(_) => self.final_test_accuracy,
            _ => None,
        };
        Ok(ModelFile {
            config: self.config.clone(),
            normalizer: self.normalizer.clone(),
            dataset: self.dataset.name.clone(),
            class_names: self.dataset.class_names.clone(),
            history: self.history.clone(),
            test_accuracy,
            weights: names.into_iter().zip(values).collect(),
            optimizer,
        })
    }

    fn build(
        config: TrainConfig,
        dataset: Arc<Dataset>,
        device: Device,
        start: Option<(&[Tensor], Option<&Normalizer>, Option<&OptimizerState>)>,
    ) -> Result<Trainer> {
        config.validate()?;
        // Nothing is allocated until the whole run is known to fit.
        config.check_data(dataset.train.len())?;
        let data_bytes = size::product(&[
            dataset.train.len() + dataset.test.len(),
            dataset.train.rows,
            dataset.train.cols,
        ])
        .and_then(|n| size::mul(n, size::F32_BYTES))
        .unwrap_or(u64::MAX);
        super::budget::Budget::here().check(&config, data_bytes)?;
        let mut model = Sequential::build(&config.model, config.seed)?;
        if let Some((weights, _, _)) = start {
            model.set_weights(weights)?;
        }
        let expected = &config.model.input;
        let have = [dataset.train.rows, dataset.train.cols, 1];
        if expected.as_slice() != have {
            return Err(Error::Config(format!(
                "the model expects inputs of {expected:?} but {} images are {have:?}",
                dataset.name
            )));
        }
        let splits = config.split.split(&dataset, config.seed)?;
        let normalizer = match start {
            Some((_, Some(n), _)) => n.clone(),
            _ => Normalizer::fit(config.normalization, &dataset.train, &splits.train),
        };
        let host_weights = model.weights();
        // A snapshot carries the optimizer's state and how far the run had got.
        let resumed = start.and_then(|(_, _, o)| o);
        let host_state = match resumed {
            Some(o) => o.tensors.clone(),
            None => Optimizer::new(config.optimizer, &model).state,
        };
        let resident = match &device {
            Device::Cpu => None,
            Device::WebGpu(ctx) => {
                model.to_device(&device)?;
                Some(Resident {
                    train: DeviceImages::upload(&dataset.train, &normalizer, ctx)?,
                    test: DeviceImages::upload(&dataset.test, &normalizer, ctx)?,
                })
            }
        };
        let mut optimizer = Optimizer::new(config.optimizer, &model);
        if let Some(o) = resumed {
            optimizer.state = host_state
                .iter()
                .map(|slots| slots.iter().map(|t| t.to_device(&device)).collect())
                .collect::<Result<_>>()?;
            optimizer.steps = o.steps;
        }
        let last_good = model.weights();
        let average = config.weight_average.map(|_| last_good.clone());
        let checkpoint = resident.is_some().then(|| Checkpoint {
            epoch: 0,
            batches: 0,
            optimizer: host_state,
            weights: host_weights.clone(),
            optimizer_steps: 0,
            updates: 0,
            average: config.weight_average.map(|_| host_weights.clone()),
            since_best: 0,
            best: None,
        });
        let mut trainer = Trainer {
            config,
            model,
            optimizer,
            dataset,
            splits,
            normalizer,
            status: Status::Running,
            history: Vec::new(),
            device,
            resident,
            order: Vec::new(),
            cursor: 0,
            epoch: 0,
            batches: 0,
            updates: 0,
            pending: 0,
            totals: EpochTotals::default(),
            last_step_end_ms: None,
            best: None,
            since_best: 0,
            last_good,
            average,
            snapshot_requested: false,
            unread: Vec::new(),
            checkpoint,
            final_test_accuracy: None,
        };
        trainer.start_epoch();
        Ok(trainer)
    }

    /// Batches per epoch (the last one may be smaller).
    pub fn batches_per_epoch(&self) -> usize {
        self.splits.train.len().div_ceil(self.config.batch_size)
    }

    /// Optimizer updates per epoch and in the whole run.
    pub fn updates_per_epoch(&self) -> usize {
        self.batches_per_epoch().div_ceil(self.config.accumulate)
    }

    pub fn total_updates(&self) -> usize {
        self.updates_per_epoch() * self.config.epochs
    }

    /// The learning rate of the next update.
    pub fn current_lr(&self) -> f32 {
        self.config
            .lr
            .at(self.updates, self.updates_per_epoch(), self.total_updates())
    }

    pub fn is_finished(&self) -> bool {
        matches!(self.status, Status::Finished(_))
    }

    /// Batches trained so far.
    pub fn batches_done(&self) -> usize {
        self.batches
    }

    /// Epochs completed.
    pub fn epochs_done(&self) -> usize {
        self.history.len()
    }

    /// Asks for a [`TrainEvent::Snapshot`] of the model's inside after the next step.
    pub fn request_snapshot(&mut self) {
        self.snapshot_requested = true;
    }

    fn start_epoch(&mut self) {
        self.order = self.splits.train.clone();
        let mut rng = Rng::new(self.config.seed ^ self.epoch as u64, SHUFFLE_STREAM);
        rng.shuffle(&mut self.order);
        self.cursor = 0;
        self.totals = EpochTotals {
            started_ms: now_ms(),
            ..Default::default()
        };
    }

    /// The augmentation of each image of the next batch, drawn from the batch's own stream.
    fn draw_augments(&self, count: usize) -> Option<Vec<ImageAugment>> {
        let aug = &self.config.augmentation;
        if aug.is_off() {
            return None;
        }
        let mut rng = Rng::new(
            self.config.seed,
            AUGMENT_STREAM + ((self.batches as u64) << 8),
        );
        let (rows, cols) = (self.dataset.train.rows, self.dataset.train.cols);
        Some(
            (0..count)
                .map(|_| aug.sample(rows, cols, &mut rng))
                .collect(),
        )
    }

    fn dispatches(&self) -> Option<u64> {
        match &self.device {
            Device::WebGpu(ctx) => Some(ctx.dispatch_count()),
            Device::Cpu => None,
        }
    }

    /// Trains on one batch. Returns the metrics of the batches read back by now, and at the
    /// end of an epoch the validation report and epoch summary (and possibly the end).
    pub async fn step(&mut self) -> Result<Vec<TrainEvent>> {
        let started_ms = now_ms();
        if let Some(end) = self.last_step_end_ms {
            if started_ms - end > PAUSE_MS {
                self.totals.started_ms += started_ms - end;
            }
        }
        let events = self.train_batch().await;
        self.last_step_end_ms = Some(now_ms());
        events
    }

    async fn train_batch(&mut self) -> Result<Vec<TrainEvent>> {
        if self.is_finished() {
            return Ok(Vec::new());
        }
        let dispatches_before = self.dispatches();
        let end = (self.cursor + self.config.batch_size).min(self.order.len());
        let indices = self.order[self.cursor..end].to_vec();
        self.cursor = end;
        let augments = self.draw_augments(indices.len());
        let batch = match &self.resident {
            None => make_batch(
                &self.dataset.train,
                &indices,
                &self.normalizer,
                augments.as_deref(),
            ),
            Some(r) => r.train.batch(&indices, augments.as_deref())?,
        };
        self.batches += 1;

        if self.pending == 0 {
            self.model.zero_grads()?;
        }
        let loss_fn = self.config.loss;
        let layers = self.model.layers_for(&loss_fn);
        let seed = hash32(self.config.seed as u32 ^ hash32(self.batches as u32)) as u64
            | (self.config.seed << 32);
        let out = self
            .model
            .forward_to(&batch.inputs, Mode::Train { seed }, layers)?;
        let (loss, mut dy) = loss_fn.compute(&out, &batch.targets)?;
        let correct = ops::count_correct(&out, &batch.targets)?;
        let mut scalars = vec![loss, correct];
        if self
            .model
            .spec
            .layers
            .iter()
            .any(|l| !l.penalties.is_zero())
        {
            let terms = penalty::terms(&self.model)?;
            scalars.extend([terms.l1, terms.l2, terms.activity]);
        }
        let weights_before = self.model.weights();
        if self.config.accumulate > 1 {
            ops::scale(&mut dy, 1.0 / self.config.accumulate as f32)?;
        }
        self.model.backward(&dy)?;
        self.pending += 1;

        let epoch_done = self.cursor >= self.order.len();
        let lr = self.current_lr();
        let mut clipped = false;
        if self.pending == self.config.accumulate || epoch_done {
            if let Some(norm) = self.update(lr).await? {
                scalars.push(norm);
                clipped = true;
            }
        }
        self.unread.push(Pending {
            batch: self.batches,
            epoch: self.epoch + 1,
            epoch_progress: self.cursor as f32 / self.order.len() as f32,
            size: indices.len(),
            lr,
            dispatches: dispatches_before.zip(self.dispatches()).map(|(a, b)| b - a),
            scalars,
            clipped,
            weights_before,
        });

        let mut events = Vec::new();
        let read_now = self.resident.is_none() || epoch_done || self.unread.len() >= GPU_READ_EVERY;
        if read_now && !self.read_back(&mut events).await? {
            return Ok(events);
        }
        if self.snapshot_requested {
            self.snapshot_requested = false;
            let snapshot = metrics::snapshot(&self.model, self.batches, 32).await?;
            events.push(TrainEvent::Snapshot(Box::new(snapshot)));
        }
        if epoch_done {
            self.end_epoch(&mut events).await?;
        }
        Ok(events)
    }

    /// Reads the unread batches' figures and turns them into step events. Returns false if a
    /// loss was NaN or infinite: training has then stopped at the last good weights.
    async fn read_back(&mut self, events: &mut Vec<TrainEvent>) -> Result<bool> {
        let unread = std::mem::take(&mut self.unread);
        let all: Vec<&Tensor> = unread.iter().flat_map(|p| &p.scalars).collect();
        let values = ops::read_scalars(&all).await?;
        let mut at = 0;
        for p in unread {
            let v = &values[at..at + p.scalars.len()];
            at += p.scalars.len();
            let (data_loss, correct) = (v[0], v[1] as usize);
            let (l1, l2, activity) = if p.scalars.len() >= 5 {
                (v[2], v[3], v[4])
            } else {
                (0.0, 0.0, 0.0)
            };
            let total = data_loss + l1 + l2 + activity;
            if !total.is_finite() {
                events.extend(self.diverge(total, p.batch));
                return Ok(false);
            }
            // These weights gave a finite loss: the ones to go back to if an update breaks them.
            self.last_good = p.weights_before;
            self.totals.loss += total as f64 * p.size as f64;
            self.totals.correct += correct;
            self.totals.seen += p.size;
            // Throughput is wall-clock over completed steps, the same on every backend: the
            // samples this epoch has finished over the time since it began (pauses left out).
            // A GPU step's own time would include the wait for the batched read-back.
            let elapsed = ((now_ms() - self.totals.started_ms).max(1e-3) / 1e3) as f32;
            events.push(TrainEvent::Step(StepMetrics {
                batch: p.batch,
                epoch: p.epoch,
                epoch_progress: p.epoch_progress,
                loss: total,
                data_loss,
                l1,
                l2,
                activity,
                accuracy: correct as f32 / p.size as f32,
                lr: p.lr,
                grad_norm: p.clipped.then(|| *v.last().expect("norm read")),
                samples_per_s: self.totals.seen as f32 / elapsed,
                dispatches: p.dispatches,
            }));
        }
        Ok(true)
    }

    /// Penalties, clipping and one optimizer update with the accumulated gradients; returns
    /// the gradient norm before clipping (a one-element tensor) when clipping is on.
    async fn update(&mut self, lr: f32) -> Result<Option<Tensor>> {
        penalty::add_weight_gradients(&mut self.model)?;
        let mut norm = None;
        if let Some(max) = self.config.clip_norm {
            let squares: Vec<Tensor> = self
                .model
                .params()
                .iter()
                .map(|(_, p)| ops::sum_squares(&p.grad))
                .collect::<Result<_>>()?;
            // The scale needs the norm now: one small read-back (on the CPU, free).
            let total: f32 = ops::read_scalars(&squares.iter().collect::<Vec<_>>())
                .await?
                .iter()
                .sum::<f32>()
                .sqrt();
            if total > max {
                for (_, p) in self.model.params_mut() {
                    ops::scale(&mut p.grad, max / total)?;
                }
            }
            norm = Some(Tensor::full([1], total).to_device(&self.device)?);
        }
        self.optimizer.step(&mut self.model, lr)?;
        self.updates += 1;
        self.pending = 0;
        self.update_average()?;
        Ok(norm)
    }

    /// `avg ← d·avg + (1 − d)·w`, with d ramping up as `(1 + t)/(10 + t)` so the first
    /// updates are not outweighed by the initial weights (as TensorFlow's
    /// ExponentialMovingAverage does with `num_updates`).
    fn update_average(&mut self) -> Result<()> {
        let (Some(decay), Some(average)) = (self.config.weight_average, self.average.as_mut())
        else {
            return Ok(());
        };
        let t = self.updates as f32;
        let d = decay.min((1.0 + t) / (10.0 + t));
        let owners = self.model.weight_layers();
        for ((a, w), layer) in average.iter_mut().zip(self.model.weights()).zip(owners) {
            if self.config.model.layers[layer].frozen {
                // A frozen tensor does not change; averaging it would only add rounding.
                *a = w;
            } else if self.config.model.layers[layer].penalties.l1 != 0.0 {
                // Where L1 holds a weight at exactly zero its average is zero too: otherwise
                // the averaged (evaluated, saved) model would lose L1's sparsity.
                ops::scale_add_keep_zeros(a, d, 1.0 - d, &w)?;
            } else {
                ops::scale_add(a, d, 1.0 - d, &w)?;
            }
        }
        Ok(())
    }

    /// The weights evaluation uses: the average when weight averaging is on.
    pub fn evaluated_weights(&mut self) -> Vec<Tensor> {
        match &self.average {
            Some(average) => average.clone(),
            None => self.model.weights(),
        }
    }

    /// Stops on a NaN or infinite loss, back at the last good weights.
    fn diverge(&mut self, loss: f32, batch: usize) -> Vec<TrainEvent> {
        let restored = self.model.set_weights(&self.last_good).is_ok();
        // The average may already hold the broken weights: keep the last good ones instead.
        self.average = None;
        self.unread.clear();
        let lr = self.current_lr();
        let advice = format!(
            "The loss became {} at batch {batch}{}. The learning rate ({lr:e}) is probably too \
             high for this model: try {:e} (10× lower), or turn on gradient clipping. {}",
            if loss.is_nan() { "NaN" } else { "infinite" },
            if self.config.clip_norm.is_none() {
                " with no gradient clipping"
            } else {
                ""
            },
            lr / 10.0,
            if restored {
                "Training stopped and the last good weights were kept."
            } else {
                "Training stopped."
            }
        );
        let reason = FinishReason::Diverged { batch, advice };
        self.status = Status::Finished(reason.clone());
        vec![TrainEvent::Finished { reason, test: None }]
    }

    async fn end_epoch(&mut self, events: &mut Vec<TrainEvent>) -> Result<()> {
        let report = self.evaluate(Split::Validation).await?;
        let seconds = ((now_ms() - self.totals.started_ms) / 1e3) as f32;
        let summary = EpochSummary {
            epoch: self.epoch + 1,
            train_loss: (self.totals.loss / self.totals.seen.max(1) as f64) as f32,
            train_accuracy: self.totals.correct as f32 / self.totals.seen.max(1) as f32,
            val_loss: report.loss,
            val_accuracy: report.accuracy,
            seconds,
            samples_per_s: self.totals.seen as f32 / seconds.max(1e-6),
        };
        events.push(TrainEvent::Validation {
            epoch: self.epoch + 1,
            report,
        });
        events.push(TrainEvent::Epoch(summary.clone()));
        self.history.push(summary.clone());
        self.epoch += 1;
        if let Some(reason) = self.early_stop(&summary)? {
            return self.finish(reason, events).await;
        }
        if self.epoch >= self.config.epochs {
            return self.finish(FinishReason::Completed, events).await;
        }
        self.start_epoch();
        if self.resident.is_some() {
            self.save_checkpoint().await?;
        }
        Ok(())
    }

    /// Early stopping's verdict after an epoch, restoring the best weights if it stops.
    fn early_stop(&mut self, summary: &EpochSummary) -> Result<Option<FinishReason>> {
        let Some(rule) = self.config.early_stopping else {
            return Ok(None);
        };
        // Larger is better for both after this sign change.
        let value = match rule.monitor {
            Monitor::ValLoss => -summary.val_loss,
            Monitor::ValAccuracy => summary.val_accuracy,
        };
        let improved = self
            .best
            .as_ref()
            .is_none_or(|b| value > b.value + rule.min_delta);
        if improved {
            self.best = Some(Best {
                value,
                epoch: summary.epoch,
                weights: self.evaluated_weights(),
            });
            self.since_best = 0;
            return Ok(None);
        }
        self.since_best += 1;
        if self.since_best < rule.patience {
            return Ok(None);
        }
        let best = self.best.take().expect("set on the first epoch");
        if rule.restore_best {
            self.model.set_weights(&best.weights)?;
            // The restored weights are final; there is nothing left to average.
            self.average = None;
        }
        Ok(Some(FinishReason::EarlyStopped {
            best_epoch: best.epoch,
            restored: rule.restore_best,
        }))
    }

    /// Ends the run and evaluates the test split, once. With weight averaging the model
    /// keeps the averaged weights: the ones every evaluation measured.
    async fn finish(&mut self, reason: FinishReason, events: &mut Vec<TrainEvent>) -> Result<()> {
        if let Some(average) = self.average.take() {
            self.model.set_weights(&average)?;
        }
        let test = if self.splits.test.is_empty() {
            None
        } else {
            Some(self.evaluate(Split::Test).await?)
        };
        self.final_test_accuracy = test.as_ref().map(|t| t.accuracy);
        self.status = Status::Finished(reason.clone());
        events.push(TrainEvent::Finished { reason, test });
        Ok(())
    }

    /// Stops at the learner's request; the test split is not evaluated.
    pub fn stop(&mut self) -> Vec<TrainEvent> {
        if self.is_finished() {
            return Vec::new();
        }
        self.status = Status::Finished(FinishReason::Stopped);
        vec![TrainEvent::Finished {
            reason: FinishReason::Stopped,
            test: None,
        }]
    }

    /// The batch of images `indices` of a split, normalised (never augmented), on the CPU.
    pub fn batch_of(&self, split: Split, indices: &[u32]) -> Batch {
        let (set, _) = self.splits.of(&self.dataset, split);
        make_batch(set, indices, &self.normalizer, None)
    }

    /// The same on the model's device (from the resident images on a GPU).
    fn device_batch(&self, split: Split, indices: &[u32]) -> Result<Batch> {
        let (set, _) = self.splits.of(&self.dataset, split);
        let mut batch = match (&self.resident, split) {
            (None, _) => return Ok(self.batch_of(split, indices)),
            (Some(r), Split::Test) => r.test.batch(indices, None)?,
            (Some(r), _) => r.train.batch(indices, None)?,
        };
        batch.labels = indices.iter().map(|&i| set.labels[i as usize]).collect();
        Ok(batch)
    }

    /// Loss, accuracy, confusion matrix and worst mistakes on a split, in inference mode,
    /// with the averaged weights when weight averaging is on.
    pub async fn evaluate(&mut self, split: Split) -> Result<EvalReport> {
        match self.average.clone() {
            Some(average) => {
                let live = self.model.weights();
                self.model.set_weights(&average)?;
                let report = self.evaluate_current(split).await;
                self.model.set_weights(&live)?;
                report
            }
            None => self.evaluate_current(split).await,
        }
    }

    async fn evaluate_current(&mut self, split: Split) -> Result<EvalReport> {
        let (_, indices) = self.splits.of(&self.dataset, split);
        let indices = indices.to_vec();
        let mut acc = EvalAccumulator::new(WORST_KEPT);
        let loss_fn = self.config.loss;
        for chunk in indices.chunks(EVAL_BATCH) {
            let batch = self.device_batch(split, chunk)?;
            let layers = self.model.layers_for(&loss_fn);
            let out = self.model.forward_to(&batch.inputs, Mode::Eval, layers)?;
            let (loss, _) = loss_fn.compute(&out, &batch.targets)?;
            // Confidences are probabilities: apply softmax unless the model just did.
            let ran_softmax = layers == self.model.layers.len()
                && matches!(
                    self.config.model.layers.last().map(|l| &l.layer),
                    Some(crate::nn::LayerSpec::Softmax)
                );
            let probabilities = if ran_softmax {
                out
            } else {
                ops::softmax_forward(&out)?
            };
            let loss = ops::read_scalars(&[&loss]).await?[0];
            let probabilities = probabilities.read().await?;
            acc.add(
                loss,
                &probabilities,
                NUM_CLASSES,
                &batch.labels,
                &batch.indices,
            );
        }
        let mut report = acc.finish();
        let (set, _) = self.splits.of(&self.dataset, split);
        for wrong in &mut report.worst {
            wrong.pixels = set.image(wrong.index as usize).to_vec();
        }
        Ok(report)
    }

    /// Copies everything needed to restart this epoch to the host (GPU runs).
    async fn save_checkpoint(&mut self) -> Result<()> {
        let weights = host_copy(&self.model.weights()).await?;
        let mut optimizer = Vec::new();
        for state in &self.optimizer.state {
            optimizer.push(host_copy(state).await?);
        }
        let average = match &self.average {
            Some(a) => Some(host_copy(a).await?),
            None => None,
        };
        let best = match &self.best {
            Some(b) => Some((b.value, b.epoch, host_copy(&b.weights).await?)),
            None => None,
        };
        self.checkpoint = Some(Checkpoint {
            epoch: self.epoch,
            batches: self.batches,
            weights,
            optimizer,
            optimizer_steps: self.optimizer.steps,
            updates: self.updates,
            average,
            since_best: self.since_best,
            best,
        });
        Ok(())
    }

    /// Continues on the CPU after the GPU failed: back to the start of the epoch in progress,
    /// with the weights and optimizer state copied at the end of the last completed epoch.
    /// No completed epoch is lost. Returns the event that tells the learner.
    pub fn fall_back(&mut self, reason: &str) -> Result<TrainEvent> {
        let c = self.checkpoint.take().ok_or_else(|| {
            Error::Gpu(format!(
                "{reason}, and there is no copy of the weights to continue from"
            ))
        })?;
        let mut model = Sequential::build(&self.config.model, self.config.seed)?;
        model.set_weights(&c.weights)?;
        let mut optimizer = Optimizer::new(self.config.optimizer, &model);
        optimizer.state = c.optimizer;
        optimizer.steps = c.optimizer_steps;
        self.model = model;
        self.optimizer = optimizer;
        self.device = Device::Cpu;
        self.resident = None;
        self.average = c.average;
        self.last_good = self.model.weights();
        self.best = c.best.map(|(value, epoch, weights)| Best {
            value,
            epoch,
            weights,
        });
        self.since_best = c.since_best;
        self.epoch = c.epoch;
        self.batches = c.batches;
        self.updates = c.updates;
        self.pending = 0;
        self.unread.clear();
        self.history.truncate(c.epoch);
        self.start_epoch();
        Ok(TrainEvent::BackendChanged {
            device: self.device.describe(),
            reason: reason.to_string(),
            resumed_epoch: c.epoch + 1,
        })
    }

    /// Reads back the figures of batches still on the GPU (before pausing, say) and returns
    /// their events. Nothing to do on the CPU.
    pub async fn sync(&mut self) -> Result<Vec<TrainEvent>> {
        let mut events = Vec::new();
        if !self.unread.is_empty() {
            self.read_back(&mut events).await?;
        }
        Ok(events)
    }

    /// Runs to the end, handing every event to `on_event`.
    pub async fn run(&mut self, mut on_event: impl FnMut(&TrainEvent)) -> Result<()> {
        while !self.is_finished() {
            for event in self.step().await? {
                on_event(&event);
            }
        }
        Ok(())
    }
}
