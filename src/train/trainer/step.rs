//! The step loop: one batch forward and back, an optimizer update when the accumulated
//! batches are due, the figures read back (at once on the CPU, every few batches on a GPU),
//! and a stop at the last good weights when the loss stops being finite.

use super::Status;
use super::{Trainer, GPU_READ_EVERY};
use crate::backend::ops;
use crate::data::augment::ImageAugment;
use crate::data::batch::make_batch;
use crate::error::Result;
use crate::nn::{penalty, Mode};
use crate::random::{hash32, Rng};
use crate::tensor::{Device, Tensor};
use crate::train::events::{FinishReason, StepMetrics, TrainEvent};
use crate::train::metrics;

/// The generator stream of each batch's augmentation (the batch number is mixed in).
const AUGMENT_STREAM: u64 = 4;

/// A trained batch whose figures may still be on the GPU.
pub(super) struct Pending {
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

impl Trainer {
    /// Trains on one batch. Returns the metrics of the batches read back by now, and at the
    /// end of an epoch the validation report and epoch summary (and possibly the end).
    pub async fn step(&mut self) -> Result<Vec<TrainEvent>> {
        self.progress.step_started();
        self.train_batch().await
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

    /// The augmentation of each image of the next batch, drawn from the batch's own stream.
    fn draw_augments(&self, count: usize) -> Option<Vec<ImageAugment>> {
        let aug = &self.config.augmentation;
        if aug.is_off() {
            return None;
        }
        let mut rng = Rng::new(
            self.config.seed,
            AUGMENT_STREAM + ((self.progress.batches as u64) << 8),
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

    async fn train_batch(&mut self) -> Result<Vec<TrainEvent>> {
        if self.is_finished() {
            return Ok(Vec::new());
        }
        let dispatches_before = self.dispatches();
        let indices = self.progress.next_indices(self.config.batch_size);
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
        self.progress.batches += 1;
        let batch_number = self.progress.batches;

        if self.progress.pending == 0 {
            self.model.zero_grads()?;
        }
        let loss_fn = self.config.loss;
        let layers = self.model.layers_for(&loss_fn);
        let seed = hash32(self.config.seed as u32 ^ hash32(batch_number as u32)) as u64
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
        self.progress.pending += 1;

        let epoch_done = self.progress.epoch_done();
        let lr = self.current_lr();
        let mut clipped = false;
        if self.progress.pending == self.config.accumulate || epoch_done {
            if let Some(norm) = self.update(lr).await? {
                scalars.push(norm);
                clipped = true;
            }
        }
        self.unread.push(Pending {
            batch: batch_number,
            epoch: self.progress.epoch + 1,
            epoch_progress: self.progress.epoch_fraction(),
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
            let snapshot = metrics::snapshot(&self.model, batch_number, 32).await?;
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
            self.progress.count(total, correct, p.size);
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
                samples_per_s: self.progress.samples_per_s(),
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
        self.progress.updates += 1;
        self.progress.pending = 0;
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
        let t = self.progress.updates as f32;
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
}
