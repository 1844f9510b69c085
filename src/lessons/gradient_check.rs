//! The gradient check on the learner's own model: backprop's gradient of every parameter
//! tensor against central differences (f(w + h) − f(w − h)) / 2h, on a few training images.
//! The check runs on a CPU copy of the model, so a model training on the GPU is untouched.

use crate::data::split::Split;
use crate::error::Result;
use crate::nn::gradcheck::{check_model, GradCheckOptions, GradCheckReport};
use crate::nn::{Mode, Sequential};
use crate::train::Trainer;

/// Checks the current weights on the first `images` training images.
pub async fn check_current(trainer: &mut Trainer, images: usize) -> Result<GradCheckReport> {
    let weights = trainer.host_weights().await?;
    let mut model = Sequential::build(&trainer.config.model, trainer.config.seed)?;
    model.set_weights(&weights)?;
    let indices: Vec<u32> = (0..images as u32).collect();
    let batch = trainer.batch_of(Split::Train, &indices);
    let inputs = batch.inputs.to_device(&crate::tensor::Device::Cpu)?;
    let targets = batch.targets.to_device(&crate::tensor::Device::Cpu)?;
    check_model(
        &mut model,
        &trainer.config.loss,
        &inputs,
        &targets,
        // Dropout masks are drawn from this seed, the same for every evaluation.
        Mode::Train { seed: 11 },
        GradCheckOptions {
            // Small, so that few ReLUs or max-pool choices flip inside ±h (a kink there makes
            // the difference quotient wrong, not backprop); large enough for f32's rounding.
            step: 1e-3,
            ..GradCheckOptions::default()
        },
    )
}
