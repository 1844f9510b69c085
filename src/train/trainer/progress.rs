//! Where a run is, in one place: the epoch, the batches and updates done, the batches whose
//! gradients wait for an update, this epoch's order of images and position in it, and this
//! epoch's sums and wall clock. Everything that starts a run (fresh, from a model file, or
//! again on the CPU after the GPU failed) starts it with [`Progress::at_epoch`].

use crate::clock::now_ms;
use crate::random::Rng;
use crate::train::events::EpochSummary;
use crate::train::metrics::EvalReport;

/// The generator stream that shuffles each epoch's images.
const SHUFFLE_STREAM: u64 = 3;

pub(super) struct Progress {
    /// Current epoch, from 0.
    pub epoch: usize,
    /// Batches trained on, and optimizer updates made, since the run began.
    pub batches: usize,
    pub updates: usize,
    /// Batches whose gradients are waiting for the next update.
    pub pending: usize,
    /// This epoch's order of training images, and the next position in it.
    order: Vec<u32>,
    cursor: usize,
    /// Sums over the batches of this epoch whose figures were read.
    loss: f64,
    correct: usize,
    seen: usize,
    /// When this epoch began, moved forward over pauses.
    started_ms: f64,
    /// When the run was paused, if it is: the wait until the next step is left out of the
    /// epoch's clock. Only a pause the learner asked for counts; a slow step on a busy
    /// machine is training time.
    paused_ms: Option<f64>,
}

impl Progress {
    /// The start of epoch `epoch` (from 0): every earlier epoch trained all its batches and
    /// made all its updates (an epoch always ends with one).
    pub fn at_epoch(epoch: usize, batches_per_epoch: usize, updates_per_epoch: usize) -> Progress {
        Progress {
            epoch,
            batches: epoch * batches_per_epoch,
            updates: epoch * updates_per_epoch,
            pending: 0,
            order: Vec::new(),
            cursor: 0,
            loss: 0.0,
            correct: 0,
            seen: 0,
            started_ms: now_ms(),
            paused_ms: None,
        }
    }

    /// Shuffles the training images for the current epoch (the order depends only on the seed
    /// and the epoch) and zeroes the epoch's sums.
    pub fn start_epoch(&mut self, train: &[u32], seed: u64) {
        self.order = train.to_vec();
        let mut rng = Rng::new(seed ^ self.epoch as u64, SHUFFLE_STREAM);
        rng.shuffle(&mut self.order);
        self.cursor = 0;
        self.loss = 0.0;
        self.correct = 0;
        self.seen = 0;
        self.started_ms = now_ms();
    }

    /// The images of the next batch (the last one of an epoch may be smaller).
    pub fn next_indices(&mut self, batch_size: usize) -> Vec<u32> {
        let end = (self.cursor + batch_size).min(self.order.len());
        let indices = self.order[self.cursor..end].to_vec();
        self.cursor = end;
        indices
    }

    /// Whether the last batch taken was the epoch's last.
    pub fn epoch_done(&self) -> bool {
        self.cursor >= self.order.len()
    }

    /// How far into the epoch, 0–1.
    pub fn epoch_fraction(&self) -> f32 {
        self.cursor as f32 / self.order.len() as f32
    }

    /// The run stops between steps until the next one starts (Pause, or one Step).
    pub fn pause(&mut self) {
        self.paused_ms.get_or_insert_with(now_ms);
    }

    /// Marks a step's start: the time since a pause, if there was one, is left out of the
    /// epoch's clock.
    pub fn step_started(&mut self) {
        if let Some(paused) = self.paused_ms.take() {
            self.started_ms += now_ms() - paused;
        }
    }

    /// Adds a read-back batch of `size` images to the epoch's sums.
    pub fn count(&mut self, loss: f32, correct: usize, size: usize) {
        self.loss += loss as f64 * size as f64;
        self.correct += correct;
        self.seen += size;
    }

    /// Throughput is wall-clock over completed steps, the same on every backend: the samples
    /// this epoch has finished over the time since it began (pauses left out). A GPU step's
    /// own time would include the wait for the batched read-back.
    pub fn samples_per_s(&self) -> f32 {
        let elapsed = ((now_ms() - self.started_ms).max(1e-3) / 1e3) as f32;
        self.seen as f32 / elapsed
    }

    /// The summary of the epoch that just ended, with its validation `report`.
    pub fn summary(&self, report: &EvalReport) -> EpochSummary {
        let seconds = ((now_ms() - self.started_ms) / 1e3) as f32;
        EpochSummary {
            epoch: self.epoch + 1,
            train_loss: (self.loss / self.seen.max(1) as f64) as f32,
            train_accuracy: self.correct as f32 / self.seen.max(1) as f32,
            val_loss: report.loss,
            val_accuracy: report.accuracy,
            seconds,
            samples_per_s: self.seen as f32 / seconds.max(1e-6),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread::sleep;
    use std::time::Duration;

    #[test]
    fn a_pause_is_left_out_of_the_epoch_clock_and_a_slow_step_is_not() {
        let mut p = Progress::at_epoch(0, 10, 10);
        let start = p.started_ms;
        // A gap between steps without a pause (a busy machine) is training time.
        sleep(Duration::from_millis(30));
        p.step_started();
        assert_eq!(p.started_ms, start);
        // A pause moves the epoch's start forward by at least the time it lasted.
        p.pause();
        sleep(Duration::from_millis(50));
        p.step_started();
        assert!(
            p.started_ms - start >= 50.0,
            "moved {}",
            p.started_ms - start
        );
        // Only once: the next step counts from there.
        let resumed = p.started_ms;
        p.step_started();
        assert_eq!(p.started_ms, resumed);
    }
}
