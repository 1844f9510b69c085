//! The lesson pages: a few sentences and an experiment each, beside the trainer.

pub mod convolution;
pub mod gradient_check;
pub mod lab_view;
pub mod optimizers;
pub mod regularisation;
pub mod transfer;
