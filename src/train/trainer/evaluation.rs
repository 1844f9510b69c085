//! Evaluation: a split's loss, accuracy, confusion matrix and worst mistakes with the weights
//! evaluation uses; at each epoch's end the validation report, the epoch's summary and early
//! stopping's verdict; at the run's end the test split, once. [`probabilities`] is the one
//! place that turns a model's outputs into class probabilities.

use super::{Status, Trainer};
use crate::backend::ops;
use crate::data::batch::{make_batch, Batch};
use crate::data::split::Split;
use crate::error::Result;
use crate::nn::{LayerSpec, Loss, Mode, Sequential};
use crate::tensor::{Device, Tensor};
use crate::train::config::Monitor;
use crate::train::events::{EpochSummary, FinishReason, TrainEvent};
use crate::train::metrics::{EvalAccumulator, EvalReport};

/// Examples per batch when evaluating.
const EVAL_BATCH: usize = 500;
/// Mistakes kept for the "most confidently wrong" gallery.
const WORST_KEPT: usize = 16;

/// Runs `model` on `x` in inference mode. Returns what `loss` takes (the scores before a
/// trailing Softmax when the loss applies its own) and the class probabilities: softmax is
/// applied unless the model just ran its own.
pub(crate) fn probabilities(
    model: &mut Sequential,
    x: &Tensor,
    loss: &Loss,
) -> Result<(Tensor, Tensor)> {
    let layers = model.layers_for(loss);
    let out = model.forward_to(x, Mode::Eval, layers)?;
    let ran_softmax = layers == model.layers.len()
        && matches!(
            model.spec.layers.last().map(|l| &l.layer),
            Some(LayerSpec::Softmax)
        );
    let probabilities = if ran_softmax {
        out.clone()
    } else {
        ops::softmax_forward(&out)?
    };
    Ok((out, probabilities))
}

/// Early stopping's record: the best validation result so far and the epochs since.
#[derive(Clone, Default)]
pub(super) struct EarlyStop {
    best: Option<Best>,
    since_best: usize,
}

#[derive(Clone)]
struct Best {
    /// The monitored value, larger is better.
    value: f32,
    epoch: usize,
    weights: Vec<Tensor>,
}

impl EarlyStop {
    /// The same record with the best weights on `device`.
    pub fn to_device(&self, device: &Device) -> Result<EarlyStop> {
        let best = match &self.best {
            Some(b) => Some(Best {
                weights: super::on(device, &b.weights)?,
                ..*b
            }),
            None => None,
        };
        Ok(EarlyStop {
            best,
            since_best: self.since_best,
        })
    }

    /// The same record with the best weights in host memory.
    pub async fn host_copy(&self) -> Result<EarlyStop> {
        let best = match &self.best {
            Some(b) => Some(Best {
                weights: super::checkpoint::host_copy(&b.weights).await?,
                ..*b
            }),
            None => None,
        };
        Ok(EarlyStop {
            best,
            since_best: self.since_best,
        })
    }
}

impl Trainer {
    /// Loss, accuracy, confusion matrix and worst mistakes on a split, in inference mode,
    /// with the averaged weights when weight averaging is on.
    pub async fn evaluate(&mut self, split: Split) -> Result<EvalReport> {
        let live = self.swap_in_evaluated()?;
        let report = self.evaluate_current(split).await;
        self.swap_back(live)?;
        report
    }

    /// Puts the weights evaluation uses in place of the live ones, when they differ (weight
    /// averaging); returns the live ones for [`Trainer::swap_back`].
    pub(crate) fn swap_in_evaluated(&mut self) -> Result<Option<Vec<Tensor>>> {
        let Some(average) = &self.average else {
            return Ok(None);
        };
        let live = self.model.weights();
        self.model.set_weights(average)?;
        Ok(Some(live))
    }

    pub(crate) fn swap_back(&mut self, live: Option<Vec<Tensor>>) -> Result<()> {
        match live {
            Some(live) => self.model.set_weights(&live),
            None => Ok(()),
        }
    }

    async fn evaluate_current(&mut self, split: Split) -> Result<EvalReport> {
        let (_, indices) = self.splits.of(&self.dataset, split);
        let indices = indices.to_vec();
        let classes = self.dataset.classes();
        let mut acc = EvalAccumulator::new(classes, WORST_KEPT);
        let loss_fn = self.config.loss;
        for chunk in indices.chunks(EVAL_BATCH) {
            let batch = self.device_batch(split, chunk)?;
            let (out, probabilities) = probabilities(&mut self.model, &batch.inputs, &loss_fn)?;
            let (loss, _) = loss_fn.compute(&out, &batch.targets)?;
            let loss = ops::read_scalars(&[&loss]).await?[0];
            let probabilities = probabilities.read().await?;
            acc.add(loss, &probabilities, classes, &batch.labels, &batch.indices);
        }
        let mut report = acc.finish();
        let (set, _) = self.splits.of(&self.dataset, split);
        for wrong in &mut report.worst {
            wrong.pixels = set.image(wrong.index as usize).to_vec();
        }
        Ok(report)
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

    /// The end of an epoch: validation, the summary, early stopping or the run's end, else
    /// the next epoch (and on a GPU a new checkpoint).
    pub(super) async fn end_epoch(&mut self, events: &mut Vec<TrainEvent>) -> Result<()> {
        let report = self.evaluate(Split::Validation).await?;
        let summary = self.progress.summary(&report);
        events.push(TrainEvent::Validation {
            epoch: self.progress.epoch + 1,
            report,
        });
        events.push(TrainEvent::Epoch(summary.clone()));
        self.history.push(summary.clone());
        self.progress.epoch += 1;
        if let Some(reason) = self.early_stop(&summary)? {
            return self.finish(reason, events).await;
        }
        if self.progress.epoch >= self.config.epochs {
            return self.finish(FinishReason::Completed, events).await;
        }
        self.progress
            .start_epoch(&self.splits.train, self.config.seed);
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
            .early
            .best
            .as_ref()
            .is_none_or(|b| value > b.value + rule.min_delta);
        if improved {
            self.early.best = Some(Best {
                value,
                epoch: summary.epoch,
                weights: self.evaluated_weights(),
            });
            self.early.since_best = 0;
            return Ok(None);
        }
        self.early.since_best += 1;
        if self.early.since_best < rule.patience {
            return Ok(None);
        }
        let best = self.early.best.take().expect("set on the first epoch");
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
}
