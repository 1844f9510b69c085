//! Training: the loop that turns batches into updates, with no DOM in it.

pub mod step;

pub use step::{train_step, StepOutput};
