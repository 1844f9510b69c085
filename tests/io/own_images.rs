//! The learner's own images: a folder (or zip) of generated colour photos in every format
//! the app reads, of mixed sizes, becomes a dataset; the colour CNN learns it; the model
//! file keeps the input shape and class names; and every bad input is named, the rest
//! loading. `generated_folder` also writes the folder that `scripts/test.sh` trains the
//! native command (`examples/train_images.rs`) on.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pollster::block_on;
use trainer::data::folder::{import_files, ImportOptions, Imported};
use trainer::io::model_file::ModelFile;
use trainer::nn::presets::Preset;
use trainer::random::Rng;
use trainer::tensor::Device;
use trainer::train::{TrainConfig, Trainer};

/// The classes of the generated folder: each a colour the images are mostly made of.
pub const CLASSES: [(&str, [u8; 3]); 3] = [
    ("lemons", [230, 210, 40]),
    ("plums", [120, 40, 140]),
    ("limes", [60, 190, 60]),
];

const FORMATS: [(image::ImageFormat, &str); 5] = [
    (image::ImageFormat::Png, "png"),
    (image::ImageFormat::Jpeg, "jpg"),
    (image::ImageFormat::Bmp, "bmp"),
    (image::ImageFormat::Gif, "gif"),
    (image::ImageFormat::WebP, "webp"),
];

/// One generated photo of `class`: its colour with noise and a grey blob somewhere, of a
/// random size between 20 and 90 pixels each way, encoded as `format`.
fn photo(class: usize, rng: &mut Rng, format: image::ImageFormat) -> Vec<u8> {
    let (w, h) = (20 + rng.below(71), 20 + rng.below(71));
    let colour = CLASSES[class].1;
    let (bx, by, r) = (rng.below(w), rng.below(h), 3 + rng.below(8));
    let grey = rng.below(256) as u8;
    let mut img = image::RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let inside = (x as i64 - bx as i64).pow(2) + (y as i64 - by as i64).pow(2) < (r * r) as i64;
        for (v, &base) in p.0.iter_mut().zip(&colour) {
            let noise = rng.below(61) as i32 - 30;
            *v = if inside {
                grey
            } else {
                (base as i32 + noise).clamp(0, 255) as u8
            };
        }
    }
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .expect("encodes");
    out.into_inner()
}

/// `(path, bytes)` of `per_class` photos per class, formats in turn.
pub fn generated_files(per_class: usize, seed: u64) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng::new(seed, 3);
    let mut files = Vec::new();
    for i in 0..per_class {
        for (class, (name, _)) in CLASSES.iter().enumerate() {
            let (format, ext) = FORMATS[(i + class) % FORMATS.len()];
            files.push((
                format!("fruit/{name}/{i:03}.{ext}"),
                photo(class, &mut rng, format),
            ));
        }
    }
    files
}

/// Writes the generated folder under `target/` (once per test run) and returns it.
pub fn generated_folder() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/own-images");
    for (path, bytes) in generated_files(60, 7) {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    }
    dir.join("fruit")
}

/// Every file under `dir`, as (path relative to `dir`, bytes).
fn read_folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            for (p, b) in read_folder(&path) {
                let folder = path.file_name().unwrap().to_string_lossy();
                files.push((format!("{folder}/{p}"), b));
            }
        } else {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            files.push((name, std::fs::read(&path).unwrap()));
        }
    }
    files
}

fn options() -> ImportOptions {
    ImportOptions::default()
}

fn messages(imported: &Imported) -> Vec<String> {
    imported.problems.iter().map(|p| p.to_string()).collect()
}

#[test]
fn a_folder_of_mixed_formats_and_sizes_becomes_a_colour_dataset() {
    let imported = import_files("fruit", generated_files(10, 1), options(), |_, _| {}).unwrap();
    assert!(imported.problems.is_empty(), "{:?}", messages(&imported));
    let d = &imported.dataset;
    assert_eq!(
        d.class_names,
        ["lemons", "limes", "plums"],
        "sorted, as Keras sorts"
    );
    assert_eq!(d.train.shape(), [32, 32, 3]);
    // 10 per class, 2 of each held out for testing.
    assert_eq!(d.train.class_counts(), [8, 8, 8]);
    assert_eq!(d.test.class_counts(), [2, 2, 2]);
    // A lemon is yellow: red and green high, blue low, after resizing.
    let lemon = d.train.labels.iter().position(|&l| l == 0).unwrap();
    let px = &d.train.image(lemon)[..3];
    assert!(px[0] > 150 && px[1] > 130 && px[2] < 110, "{px:?}");
    // Grey: one channel; another size.
    let grey = ImportOptions {
        colour: false,
        side: 20,
        ..options()
    };
    let g = import_files("fruit", generated_files(3, 1), grey, |_, _| {}).unwrap();
    assert_eq!(g.dataset.train.shape(), [20, 20, 1]);
}

#[test]
fn the_colour_cnn_learns_the_generated_photos_and_its_file_keeps_their_classes() {
    // Read from disk: the folder the native command trains on in scripts/test.sh.
    let files = read_folder(&generated_folder());
    assert_eq!(files.len(), 180);
    let imported = import_files("fruit", files, options(), |_, _| {}).unwrap();
    let dataset = Arc::new(imported.dataset);
    let mut config = TrainConfig::for_preset(Preset::ColourCnn, 4, 1);
    config.model = Preset::ColourCnn.spec_for(&[32, 32, 3], 3);
    config.batch_size = 16;
    config.split.validation = 12;
    let mut t = Trainer::on_device(config, dataset.clone(), Device::Cpu).unwrap();
    let mut test = None;
    block_on(t.run(|e| {
        if let trainer::train::TrainEvent::Finished { test: r, .. } = e {
            test = r.clone();
        }
    }))
    .unwrap();
    let test = test.unwrap();
    println!(
        "colour CNN on the generated photos: test accuracy {}",
        test.accuracy
    );
    assert!(test.accuracy >= 0.9, "test accuracy {}", test.accuracy);
    // The model file holds the input shape and the class names, and predicts alike.
    let file = block_on(t.to_model_file()).unwrap();
    let reopened = ModelFile::from_bytes(&file.to_bytes().unwrap()).unwrap();
    assert_eq!(reopened.config.model.input, [32, 32, 3]);
    assert_eq!(reopened.class_names, ["lemons", "limes", "plums"]);
    let images: Vec<&[u8]> = (0..dataset.test.len())
        .map(|i| dataset.test.image(i))
        .collect();
    let classes = |p: Vec<f32>| -> Vec<usize> {
        p.chunks(3)
            .map(|row| (0..3).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap())
            .collect()
    };
    let before = classes(block_on(t.predict_many(&images)).unwrap());
    let mut again = Trainer::from_model_file(&reopened, dataset.clone(), Device::Cpu).unwrap();
    let after = classes(block_on(again.predict_many(&images)).unwrap());
    assert_eq!(before, after);
    let right = after
        .iter()
        .zip(&dataset.test.labels)
        .filter(|(p, l)| **p == **l as usize)
        .count();
    assert!(
        right * 10 >= images.len() * 9,
        "{right} of {}",
        images.len()
    );
    // The ONNX export takes 32×32×3 and answers 3 classes; scripts/test.sh runs it in
    // onnxruntime against these probabilities.
    let onnx = trainer::io::onnx::export(&reopened).unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/build/interop");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(format!("{dir}/colour_cnn.onnx"), &onnx).unwrap();
    let probabilities: Vec<Vec<f32>> = images
        .iter()
        .map(|p| block_on(again.predict(p)).unwrap())
        .collect();
    let reference = serde_json::json!({ "pixels": images, "probabilities": probabilities });
    std::fs::write(format!("{dir}/colour_cnn.onnx.json"), reference.to_string()).unwrap();
}
