//! The lessons' experiments at reduced size: what each lesson teaches holds on real data.
//! One test binary (`cargo test --test lessons`); each lesson is a module.

#[path = "../common/mod.rs"]
mod common;

mod convolution;
mod gradient_check;
mod initialisation;
mod lr_search;
mod optimizers;
mod regularisation;
mod transfer;
