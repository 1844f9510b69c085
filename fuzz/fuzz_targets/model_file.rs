#![no_main]
//! `cargo fuzz run model_file`: the body is `trainer::fuzz::model_file`, which the replay test shares.

libfuzzer_sys::fuzz_target!(|data: &[u8]| trainer::fuzz::model_file(data));
