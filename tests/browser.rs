//! Tests that run inside headless Chromium through wasm-bindgen-test:
//! `cargo test --target wasm32-unknown-unknown --test browser` (scripts/test.sh sets the driver).
//! They prove the core behaves the same compiled to wasm as natively.
#![cfg(target_arch = "wasm32")]

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use trainer::data::idx::{self, IdxImages};
use trainer::data::{assemble_files, gzip::decode_maybe_gzip};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[wasm_bindgen_test]
fn idx_files_parse_in_the_browser() {
    let images = IdxImages {
        count: 2,
        rows: 28,
        cols: 28,
        pixels: (0..2 * 784).map(|i| (i % 251) as u8).collect(),
    };
    let files = vec![
        (
            "train-images.gz".to_string(),
            gzip(&idx::encode_images(&images)),
        ),
        (
            "train-labels.gz".to_string(),
            gzip(&idx::encode_labels(&[3, 9])),
        ),
    ];
    let d = assemble_files("wasm", files).unwrap();
    assert_eq!(d.train.len(), 2);
    assert_eq!(d.train.image(1), &images.pixels[784..]);
}

#[wasm_bindgen_test]
fn bad_files_are_rejected_in_the_browser() {
    let z = gzip(&idx::encode_labels(&[1, 2, 3, 4, 5, 6, 7, 8]));
    let msg = decode_maybe_gzip("cut.gz", &z[..z.len() - 12], 1 << 20)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("truncated gzip data"), "{msg}");
    let msg = idx::parse_labels("l", &idx::encode_labels(&[10]), 10)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("label 10 at index 0"), "{msg}");
}
