//! The training loop as a state machine: each call to [`Trainer::step`] trains on one batch
//! and returns what happened. Whoever drives it decides the pace, so pausing is not calling,
//! stepping is calling once, and the page stays responsive between calls.

use std::sync::Arc;

use super::config::{Monitor, TrainConfig};
use super::events::{EpochSummary, FinishReason, StepMetrics, TrainEvent};
use super::metrics::{self, EvalAccumulator, EvalReport};
use crate::backend::ops;
use crate::clock::now_ms;
use crate::data::batch::{make_batch, Batch};
use crate::data::normalize::Normalizer;
use crate::data::split::{Split, Splits};
use crate::data::Dataset;
use crate::error::Result;
use crate::nn::{penalty, Mode, Sequential};
use crate::optim::Optimizer;
use crate::random::{hash32, Rng};
use crate::tensor::Tensor;

/// Generator streams, one per purpose, all from the run's seed.
const SHUFFLE_STREAM: u64 = 3;
const AUGMENT_STREAM: u64 = 4;
/// Examples per batch when evaluating.
const EVAL_BATCH: usize = 500;
/// Mistakes kept for the "most confidently wrong" gallery.
const WORST_KEPT: usize = 16;

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
#[derive(Default)]
struct EpochTotals {
    loss: f64,
    correct: usize,
    seen: usize,
    started_ms: f64,
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
}

impl Trainer {
    /// Prepares a run: validates the config, builds the model from the seed, splits the
    /// data and fits the normalisation on the training split.
    pub fn new(config: TrainConfig, dataset: Arc<Dataset>) -> Result<Trainer> {
        config.validate()?;
        let mut model = Sequential::build(&config.model, config.seed)?;
        let expected = &config.model.input;
        let have = [dataset.train.rows, dataset.train.cols, 1];
        if expected.as_slice() != have {
            return Err(crate::Error::Config(format!(
                "the model expects inputs of {expected:?} but {} images are {have:?}",
                dataset.name
            )));
        }
        let splits = config.split.split(&dataset, config.seed)?;
        let normalizer = Normalizer::fit(config.normalization, &dataset.train, &splits.train);
        let optimizer = Optimizer::new(config.optimizer, &model);
        let last_good = model.weights();
        let average = config.weight_average.map(|_| last_good.clone());
        let mut trainer = Trainer {
            config,
            model,
            optimizer,
            dataset,
            splits,
            normalizer,
            status: Status::Running,
            history: Vec::new(),
            order: Vec::new(),
            cursor: 0,
            epoch: 0,
            batches: 0,
            updates: 0,
            pending: 0,
            totals: EpochTotals::default(),
            best: None,
            since_best: 0,
            last_good,
            average,
            snapshot_requested: false,
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

    /// Trains on one batch. Returns the step's metrics, and at the end of an epoch the
    /// validation report and epoch summary (and possibly the end of training).
    pub fn step(&mut self) -> Result<Vec<TrainEvent>> {
        if self.is_finished() {
            return Ok(Vec::new());
        }
        let started = now_ms();
        let end = (self.cursor + self.config.batch_size).min(self.order.len());
        let indices = self.order[self.cursor..end].to_vec();
        self.cursor = end;
        let mut augment_rng = Rng::new(
            self.config.seed,
            AUGMENT_STREAM + ((self.batches as u64) << 8),
        );
        let augment = (!self.config.augmentation.is_off())
            .then_some((&self.config.augmentation, &mut augment_rng));
        let batch = make_batch(&self.dataset.train, &indices, &self.normalizer, augment);
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
        let data_loss = loss.scalar();
        let terms = penalty::terms(&self.model)?;
        let (l1, l2, activity) = (
            terms.l1.scalar(),
            terms.l2.scalar(),
            terms.activity.scalar(),
        );
        let total = data_loss + l1 + l2 + activity;
        if !total.is_finite() {
            return Ok(self.diverge(total));
        }
        // These weights gave a finite loss: the ones to go back to if the update breaks them.
        self.last_good = self.model.weights();
        let correct = ops::count_correct(&out, &batch.targets)?.scalar() as usize;
        if self.config.accumulate > 1 {
            ops::scale(&mut dy, 1.0 / self.config.accumulate as f32)?;
        }
        self.model.backward(&dy)?;
        self.pending += 1;

        let epoch_done = self.cursor >= self.order.len();
        let lr = self.current_lr();
        let mut grad_norm = None;
        if self.pending == self.config.accumulate || epoch_done {
            grad_norm = self.update(lr)?;
        }
        let n = indices.len();
        self.totals.loss += total as f64 * n as f64;
        self.totals.correct += correct;
        self.totals.seen += n;
        let mut events = vec![TrainEvent::Step(StepMetrics {
            batch: self.batches,
            epoch: self.epoch + 1,
            epoch_progress: self.cursor as f32 / self.order.len() as f32,
            loss: total,
            data_loss,
            l1,
            l2,
            activity,
            accuracy: correct as f32 / n as f32,
            lr,
            grad_norm,
            samples_per_s: n as f32 / ((now_ms() - started).max(1e-3) / 1e3) as f32,
        })];
        if self.snapshot_requested {
            self.snapshot_requested = false;
            events.push(TrainEvent::Snapshot(Box::new(metrics::snapshot(
                &self.model,
                self.batches,
                32,
            ))));
        }
        if epoch_done {
            self.end_epoch(&mut events)?;
        }
        Ok(events)
    }

    /// Penalties, clipping and one optimizer update with the accumulated gradients; returns
    /// the gradient norm before clipping when clipping is on.
    fn update(&mut self, lr: f32) -> Result<Option<f32>> {
        penalty::add_weight_gradients(&mut self.model)?;
        let mut norm = None;
        if let Some(max) = self.config.clip_norm {
            let sum: f32 = self
                .model
                .params()
                .iter()
                .map(|(_, p)| ops::sum_squares(&p.grad).map(|s| s.scalar()))
                .collect::<Result<Vec<f32>>>()?
                .into_iter()
                .sum();
            let total = sum.sqrt();
            if total > max {
                for (_, p) in self.model.params_mut() {
                    ops::scale(&mut p.grad, max / total)?;
                }
            }
            norm = Some(total);
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
        for (a, w) in average.iter_mut().zip(self.model.weights()) {
            ops::scale_add(a, d, 1.0 - d, &w)?;
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
    fn diverge(&mut self, loss: f32) -> Vec<TrainEvent> {
        let restored = self.model.set_weights(&self.last_good).is_ok();
        // The average may already hold the broken weights: keep the last good ones instead.
        self.average = None;
        let lr = self.current_lr();
        let advice = format!(
            "The loss became {} at batch {}{}. The learning rate ({lr:e}) is probably too high \
             for this model: try {:e} (10× lower), or turn on gradient clipping. {}",
            if loss.is_nan() { "NaN" } else { "infinite" },
            self.batches,
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
        let reason = FinishReason::Diverged {
            batch: self.batches,
            advice,
        };
        self.status = Status::Finished(reason.clone());
        vec![TrainEvent::Finished { reason, test: None }]
    }

    fn end_epoch(&mut self, events: &mut Vec<TrainEvent>) -> Result<()> {
        let report = self.evaluate(Split::Validation)?;
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
            return self.finish(reason, events);
        }
        if self.epoch >= self.config.epochs {
            return self.finish(FinishReason::Completed, events);
        }
        self.start_epoch();
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
    fn finish(&mut self, reason: FinishReason, events: &mut Vec<TrainEvent>) -> Result<()> {
        if let Some(average) = self.average.take() {
            self.model.set_weights(&average)?;
        }
        let test = if self.splits.test.is_empty() {
            None
        } else {
            Some(self.evaluate(Split::Test)?)
        };
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

    /// The batch of images `indices` of a split, normalised (never augmented).
    pub fn batch_of(&self, split: Split, indices: &[u32]) -> Batch {
        let (set, _) = self.splits.of(&self.dataset, split);
        make_batch(set, indices, &self.normalizer, None)
    }

    /// Loss, accuracy, confusion matrix and worst mistakes on a split, in inference mode,
    /// with the averaged weights when weight averaging is on.
    pub fn evaluate(&mut self, split: Split) -> Result<EvalReport> {
        match self.average.clone() {
            Some(average) => {
                let live = self.model.weights();
                self.model.set_weights(&average)?;
                let report = self.evaluate_current(split);
                self.model.set_weights(&live)?;
                report
            }
            None => self.evaluate_current(split),
        }
    }

    fn evaluate_current(&mut self, split: Split) -> Result<EvalReport> {
        let (_, indices) = self.splits.of(&self.dataset, split);
        let indices = indices.to_vec();
        let mut acc = EvalAccumulator::new(WORST_KEPT);
        let loss_fn = self.config.loss;
        for chunk in indices.chunks(EVAL_BATCH) {
            let batch = self.batch_of(split, chunk);
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
            acc.add(loss.scalar(), &probabilities, &batch.labels, &batch.indices);
        }
        Ok(acc.finish())
    }

    /// Runs to the end, handing every event to `on_event`.
    pub fn run(&mut self, mut on_event: impl FnMut(&TrainEvent)) -> Result<()> {
        while !self.is_finished() {
            for event in self.step()? {
                on_event(&event);
            }
        }
        Ok(())
    }
}
