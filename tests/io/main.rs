//! What goes in and out of files: model files, the ONNX export, and every fuzz corpus input
//! and crash replayed. One test binary (`cargo test --test io`); each file is a module.

#[path = "../common/mod.rs"]
mod common;

mod code_export;
mod fuzz_regressions;
mod model_file;
mod onnx_export;
mod own_images;
mod own_images_bad;
