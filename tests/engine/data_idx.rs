//! The IDX parser and dataset assembly: valid files, every kind of bad file, and the real
//! MNIST and Fashion-MNIST files the app serves.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use trainer::data::gzip::decode_maybe_gzip;
use trainer::data::idx::{self, IdxImages, IdxKind};
use trainer::data::{assemble_files, Builtin};
use trainer::Error;

/// `count` images of `side×side`, pixel value = image index (so each is recognisable).
fn images(count: usize, side: usize) -> IdxImages {
    IdxImages {
        count,
        rows: side,
        cols: side,
        pixels: (0..count)
            .flat_map(|i| std::iter::repeat_n(i as u8, side * side))
            .collect(),
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn problem(err: Error) -> String {
    err.to_string()
}

#[test]
fn images_and_labels_round_trip() {
    let imgs = images(3, 4);
    let parsed = idx::parse_images("a", &idx::encode_images(&imgs)).unwrap();
    assert_eq!(parsed, imgs);
    let labels = idx::parse_labels("b", &idx::encode_labels(&[0, 9, 3]), 10).unwrap();
    assert_eq!(labels.labels, vec![0, 9, 3]);
}

#[test]
fn kind_is_read_from_the_magic_number() {
    assert_eq!(
        idx::kind("f", &idx::encode_labels(&[1])).unwrap(),
        IdxKind::Labels
    );
    assert_eq!(
        idx::kind("f", &idx::encode_images(&images(1, 2))).unwrap(),
        IdxKind::Images
    );
}

#[test]
fn wrong_magic_is_rejected_with_the_number() {
    let mut bytes = idx::encode_images(&images(1, 2));
    bytes[2] = 0x0D; // float type code instead of unsigned byte
    let msg = problem(idx::parse_images("weird.idx", &bytes).unwrap_err());
    assert!(
        msg.starts_with("weird.idx: wrong magic number 0x00000D03"),
        "{msg}"
    );
}

#[test]
fn tiny_file_is_truncated_not_a_panic() {
    let msg = problem(idx::parse_images("x", &[0, 0]).unwrap_err());
    assert!(msg.contains("truncated: 2 bytes"), "{msg}");
}

#[test]
fn truncated_header_is_rejected() {
    let bytes = &idx::encode_images(&images(1, 2))[..10];
    let msg = problem(idx::parse_images("x", bytes).unwrap_err());
    assert!(msg.contains("truncated header"), "{msg}");
}

#[test]
fn truncated_pixels_are_rejected_with_both_sizes() {
    let bytes = idx::encode_images(&images(3, 4));
    let msg = problem(idx::parse_images("cut", &bytes[..bytes.len() - 5]).unwrap_err());
    assert!(
        msg.contains("promises 3 images of 4×4 (48 bytes) but only 43 bytes follow"),
        "{msg}"
    );
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = idx::encode_labels(&[1, 2]);
    bytes.push(7);
    let msg = problem(idx::parse_labels("x", &bytes, 10).unwrap_err());
    assert!(
        msg.contains("1 unexpected bytes after the 2 labels"),
        "{msg}"
    );
}

#[test]
fn absurd_header_counts_allocate_nothing() {
    // A 16-byte file claiming 4 billion images of 512×512: rejected by arithmetic alone.
    let mut bytes = Vec::new();
    for v in [idx::IMAGES_MAGIC, u32::MAX, 512, 512] {
        bytes.extend_from_slice(&v.to_be_bytes());
    }
    let msg = problem(idx::parse_images("bomb", &bytes).unwrap_err());
    assert!(msg.contains("truncated") || msg.contains("absurd"), "{msg}");
    let mut big_side = Vec::new();
    for v in [idx::IMAGES_MAGIC, 1, 100_000, 100_000] {
        big_side.extend_from_slice(&v.to_be_bytes());
    }
    let msg = problem(idx::parse_images("huge", &big_side).unwrap_err());
    assert!(msg.contains("image size 100000×100000 is outside"), "{msg}");
}

#[test]
fn labels_out_of_range_name_the_label_and_index() {
    let bytes = idx::encode_labels(&[0, 4, 12, 3]);
    let msg = problem(idx::parse_labels("labels.idx", &bytes, 10).unwrap_err());
    assert_eq!(
        msg,
        "labels.idx: label 12 at index 2 is outside the classes 0–9"
    );
}

#[test]
fn swapped_kinds_are_named() {
    let msg = problem(idx::parse_images("l", &idx::encode_labels(&[1])).unwrap_err());
    assert!(
        msg.contains("label file, but an image file was expected"),
        "{msg}"
    );
    let msg = problem(idx::parse_labels("i", &idx::encode_images(&images(1, 2)), 10).unwrap_err());
    assert!(
        msg.contains("image file, but a label file was expected"),
        "{msg}"
    );
}

#[test]
fn gzip_is_inflated_and_raw_passes_through() {
    let raw = idx::encode_labels(&[1, 2, 3]);
    assert_eq!(
        decode_maybe_gzip("a.gz", &gzip(&raw), 1 << 20).unwrap(),
        raw
    );
    assert_eq!(decode_maybe_gzip("a.idx", &raw, 1 << 20).unwrap(), raw);
    // A gzip stream is recognised by content even without the .gz name.
    assert_eq!(decode_maybe_gzip("a", &gzip(&raw), 1 << 20).unwrap(), raw);
}

#[test]
fn a_gz_name_on_non_gzip_bytes_is_rejected() {
    let msg = problem(decode_maybe_gzip("data.gz", b"PK\x03\x04zip", 1 << 20).unwrap_err());
    assert!(
        msg.starts_with("data.gz: not a gzip file: it starts with [0x50, 0x4B]"),
        "{msg}"
    );
}

#[test]
fn truncated_gzip_is_rejected() {
    let z = gzip(&idx::encode_images(&images(50, 8)));
    let msg = problem(decode_maybe_gzip("cut.gz", &z[..z.len() / 2], 1 << 20).unwrap_err());
    assert!(msg.contains("truncated gzip data"), "{msg}");
}

#[test]
fn corrupt_gzip_is_rejected() {
    let mut z = gzip(&idx::encode_images(&images(50, 8)));
    for b in &mut z[12..40] {
        *b ^= 0x5A;
    }
    let msg = problem(decode_maybe_gzip("bad.gz", &z, 1 << 20).unwrap_err());
    assert!(msg.starts_with("bad.gz: "), "{msg}");
    assert!(msg.contains("gzip"), "{msg}");
}

#[test]
fn gzip_bombs_stop_at_the_ceiling() {
    let z = gzip(&vec![0u8; 4 << 20]);
    assert!(z.len() < 20_000, "the bomb is small: {}", z.len());
    let msg = problem(decode_maybe_gzip("bomb.gz", &z, 1 << 20).unwrap_err());
    assert!(msg.contains("inflates to more than 1 MiB"), "{msg}");
}

fn file(name: &str, bytes: Vec<u8>) -> (String, Vec<u8>) {
    (name.to_string(), bytes)
}

#[test]
fn user_files_are_sorted_into_roles_by_content_and_name() {
    let files = vec![
        file("t10k-labels.gz", gzip(&idx::encode_labels(&[1, 2]))),
        file("my-images", idx::encode_images(&images(3, 5))),
        file("test-images.idx", idx::encode_images(&images(2, 5))),
        file("my-labels.idx", idx::encode_labels(&[7, 8, 9])),
    ];
    let d = assemble_files("mine", files).unwrap();
    assert_eq!((d.train.len(), d.test.len()), (3, 2));
    assert_eq!(d.train.labels, vec![7, 8, 9]);
    assert_eq!(d.train.image(2), &[2u8; 25][..]);
    assert_eq!(d.summary().train_class_counts[8], 1);
}

#[test]
fn a_training_pair_alone_is_a_dataset_without_test_split() {
    let files = vec![
        file("a", idx::encode_images(&images(2, 3))),
        file("b", idx::encode_labels(&[0, 1])),
    ];
    let d = assemble_files("mine", files).unwrap();
    assert_eq!((d.train.len(), d.test.len()), (2, 0));
}

#[test]
fn mismatched_image_and_label_counts_are_rejected() {
    let files = vec![
        file("imgs", idx::encode_images(&images(3, 3))),
        file("lbls", idx::encode_labels(&[0, 1])),
    ];
    let msg = problem(assemble_files("mine", files).unwrap_err());
    assert_eq!(
        msg,
        "imgs holds 3 images but lbls holds 2 labels: they must match one to one"
    );
}

#[test]
fn a_lone_file_says_what_is_missing() {
    let files = vec![file("imgs", idx::encode_images(&images(3, 3)))];
    let msg = problem(assemble_files("mine", files).unwrap_err());
    assert!(
        msg.starts_with("imgs: the training split needs both"),
        "{msg}"
    );
}

#[test]
fn two_files_in_one_role_are_rejected() {
    let files = vec![
        file("a", idx::encode_labels(&[0])),
        file("b", idx::encode_labels(&[1])),
    ];
    let msg = problem(assemble_files("mine", files).unwrap_err());
    assert_eq!(
        msg,
        "b and a are both training label files: give one file of each kind"
    );
}

#[test]
fn splits_of_different_image_sizes_are_rejected() {
    let files = vec![
        file("a", idx::encode_images(&images(1, 3))),
        file("b", idx::encode_labels(&[0])),
        file("test-a", idx::encode_images(&images(1, 4))),
        file("test-b", idx::encode_labels(&[0])),
    ];
    let msg = problem(assemble_files("mine", files).unwrap_err());
    assert!(msg.contains("3×3 but test images are 4×4"), "{msg}");
}

/// The files `make data` puts in www/data (the same bytes the browser downloads).
fn served(builtin: Builtin) -> [Vec<u8>; 4] {
    let dir = format!(
        "{}/www/data/{}",
        env!("CARGO_MANIFEST_DIR"),
        builtin.folder()
    );
    builtin.files().map(|f| {
        std::fs::read(format!("{dir}/{f}"))
            .unwrap_or_else(|e| panic!("{dir}/{f}: {e} (run `make data` first)"))
    })
}

#[test]
fn real_mnist_parses_to_60000_and_10000() {
    let d = Builtin::Mnist.assemble(served(Builtin::Mnist)).unwrap();
    let s = d.summary();
    assert_eq!(
        (s.train_count, s.test_count, s.rows, s.cols),
        (60000, 10000, 28, 28)
    );
    // Published MNIST class counts (LeCun et al.): e.g. 5 923 zeros and 6 742 ones in training.
    assert_eq!(s.train_class_counts[0], 5923);
    assert_eq!(s.train_class_counts[1], 6742);
    assert_eq!(s.test_class_counts.iter().sum::<usize>(), 10000);
    // The first training digit is a 5, the first test digit a 7.
    assert_eq!((d.train.labels[0], d.test.labels[0]), (5, 7));
}

#[test]
fn real_fashion_mnist_parses_with_balanced_classes() {
    let d = Builtin::FashionMnist
        .assemble(served(Builtin::FashionMnist))
        .unwrap();
    let s = d.summary();
    assert_eq!((s.train_count, s.test_count), (60000, 10000));
    // Fashion-MNIST is balanced: 6 000 training and 1 000 test images per class.
    assert!(s.train_class_counts.iter().all(|&c| c == 6000));
    assert!(s.test_class_counts.iter().all(|&c| c == 1000));
    assert_eq!(s.class_names[9], "Ankle boot");
}
