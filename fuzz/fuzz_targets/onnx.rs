#![no_main]
//! `cargo fuzz run onnx`: the body is `trainer::fuzz::onnx`, which the replay test shares.

libfuzzer_sys::fuzz_target!(|data: &[u8]| trainer::fuzz::onnx(data));
