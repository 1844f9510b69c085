#![no_main]
//! `cargo fuzz run link`: the body is `trainer::fuzz::link`, which the replay test shares.

libfuzzer_sys::fuzz_target!(|data: &[u8]| trainer::fuzz::link(data));
