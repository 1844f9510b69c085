//! The lessons' experiments, without any DOM: what each lesson computes, tested natively.
//! The pages that show them live in `app/lessons/`.

pub mod convolution;
pub mod regularisation;
