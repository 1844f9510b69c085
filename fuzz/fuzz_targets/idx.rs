#![no_main]
//! `cargo fuzz run idx`: the body is `trainer::fuzz::idx`, which the replay test shares.

libfuzzer_sys::fuzz_target!(|data: &[u8]| trainer::fuzz::idx(data));
