//! One training step: forward, loss, backward, penalties, update.

use crate::backend::ops;
use crate::error::Result;
use crate::nn::{penalty, Loss, Mode, Sequential};
use crate::optim::Optimizer;
use crate::tensor::Tensor;

/// What a step reports, as one-element tensors (on a GPU they stay there until read).
#[derive(Debug, Clone)]
pub struct StepOutput {
    /// The batch-mean data loss (without penalties).
    pub loss: Tensor,
    /// How many examples of the batch the model got right.
    pub correct: Tensor,
}

/// Trains on one batch: zero the gradients, forward in training mode (random streams from
/// `seed`), loss, backward, add the weight penalties' gradients, and update with `lr`.
pub fn train_step(
    model: &mut Sequential,
    optimizer: &mut Optimizer,
    loss: &Loss,
    x: &Tensor,
    targets: &Tensor,
    lr: f32,
    seed: u64,
) -> Result<StepOutput> {
    model.zero_grads();
    let end = model.layers_for(loss);
    let out = model.forward_to(x, Mode::Train { seed }, end)?;
    let (value, dy) = loss.compute(&out, targets)?;
    let correct = ops::count_correct(&out, targets)?;
    model.backward(&dy)?;
    penalty::add_weight_gradients(model)?;
    optimizer.step(model, lr)?;
    Ok(StepOutput {
        loss: value,
        correct,
    })
}
