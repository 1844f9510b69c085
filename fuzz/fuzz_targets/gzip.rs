#![no_main]
//! `cargo fuzz run gzip`: the body is `trainer::fuzz::gzip`, which the replay test shares.

libfuzzer_sys::fuzz_target!(|data: &[u8]| trainer::fuzz::gzip(data));
