//! The lessons' experiments, without any DOM: what each lesson computes, tested natively.
//! The pages that show them live in `app/lessons/`.

pub mod batch_size;
pub mod convolution;
pub mod gradient_check;
pub mod initialisation;
pub mod lab;
pub mod lr_search;
pub mod optimizers;
pub mod regularisation;
pub mod transfer;
