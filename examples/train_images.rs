//! Trains on a folder of your own images natively, as the page does, and prints per-epoch
//! figures, then one JSON line with the dataset and the final test accuracy:
//!
//! `cargo run --release --example train_images -- --folder photos --epochs 10`
//!
//! The folder holds one sub-folder of images per class (optionally under `train/` and
//! `test/`), as Keras' `image_dataset_from_directory` and torchvision's `ImageFolder` take.
//!
//! Options: --folder DIR | --zip FILE  --size N (square side, 32 by default)  --grey
//! --pad (keep the whole image, with black bars; the centre is cropped by default)
//! --test-share X (0.2: each class's share held out when there is no test/ folder)
//! --model colour-cnn|cnn|mlp|lenet5|cnn-bn  --epochs N  --batch N  --lr X  --seed N
//! --augment (left–right flips, colour jitter, small shifts)  --threads N (CPU threads; all
//! the machine's cores by default)  --gpu  --save FILE (the model file the page opens too)

use std::path::Path;
use std::sync::Arc;

use trainer::backend::cpu::threads;
use trainer::backend::webgpu::GpuContext;
use trainer::data::augment::Augmentation;
use trainer::data::folder::{import_files, import_zip, Fit, ImportOptions};
use trainer::nn::presets::Preset;
use trainer::tensor::Device;
use trainer::train::{TrainConfig, TrainEvent, Trainer};

fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nsee the comment at the top of examples/train_images.rs for the options");
    std::process::exit(2)
}

fn parse<T: std::str::FromStr>(flag: &str, value: Option<String>) -> T {
    value
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| usage(&format!("{flag} needs a valid value")))
}

/// Every file under `dir`, as (path relative to `dir`, bytes).
fn read_folder(dir: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap_or(&path);
                files.push((
                    relative.to_string_lossy().into_owned(),
                    std::fs::read(&path)?,
                ));
            }
        }
    }
    Ok(files)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut options = ImportOptions::default();
    let (mut folder, mut zip): (Option<String>, Option<String>) = (None, None);
    let mut preset = Preset::ColourCnn;
    let (mut epochs, mut batch, mut seed) = (10usize, 32usize, 1u64);
    let (mut lr, mut augment, mut gpu) = (None, false, false);
    let mut thread_count = threads::available();
    let mut save: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--folder" => folder = Some(parse(&flag, args.next())),
            "--zip" => zip = Some(parse(&flag, args.next())),
            "--size" => options.side = parse(&flag, args.next()),
            "--grey" => options.colour = false,
            "--pad" => options.fit = Fit::Pad,
            "--test-share" => options.test_fraction = parse(&flag, args.next()),
            "--model" => {
                preset = match args.next().as_deref() {
                    Some("colour-cnn") => Preset::ColourCnn,
                    Some("cnn") => Preset::DefaultCnn,
                    Some("mlp") => Preset::Mlp,
                    Some("lenet5") => Preset::Lenet5,
                    Some("cnn-bn") => Preset::CnnBnDropout,
                    other => usage(&format!("unknown model {other:?}")),
                }
            }
            "--epochs" => epochs = parse(&flag, args.next()),
            "--batch" => batch = parse(&flag, args.next()),
            "--threads" => thread_count = parse(&flag, args.next()),
            "--lr" => lr = Some(parse::<f32>(&flag, args.next())),
            "--seed" => seed = parse(&flag, args.next()),
            "--augment" => augment = true,
            "--gpu" => gpu = true,
            "--save" => save = Some(parse(&flag, args.next())),
            other => usage(&format!("unknown option {other}")),
        }
    }
    options.seed = seed;
    let started = std::time::Instant::now();
    let imported = match (&folder, &zip) {
        (Some(dir), None) => {
            let name = Path::new(dir)
                .file_name()
                .map_or(dir.clone(), |n| n.to_string_lossy().into());
            import_files(&name, read_folder(Path::new(dir))?, options, |_, _| {})?
        }
        (None, Some(file)) => {
            let name = Path::new(file)
                .file_name()
                .map_or(file.clone(), |n| n.to_string_lossy().into());
            import_zip(&name, &std::fs::read(file)?, options, |_, _| {})?
        }
        _ => usage("give one of --folder DIR or --zip FILE"),
    };
    let load_seconds = started.elapsed().as_secs_f64();
    for p in &imported.problems {
        println!("left out: {p}");
    }
    let dataset = Arc::new(imported.dataset);
    let shape = dataset.train.shape();
    let mut config = TrainConfig::for_preset(preset, epochs, seed);
    config.model = preset.spec_for(&shape, dataset.classes());
    config.batch_size = batch;
    config.split.validation = (dataset.train.len() / 10).max(1);
    if let Some(lr) = lr {
        config.lr.base = lr;
    }
    if augment {
        config.augmentation = Augmentation {
            translate_px: (options.side / 16) as f32,
            hflip: true,
            colour_jitter: 0.2,
            ..Default::default()
        };
    }
    if thread_count == 0 {
        usage("--threads needs at least 1");
    }
    let thread_count = threads::set_threads(thread_count);
    let device = if gpu {
        Device::WebGpu(pollster::block_on(GpuContext::new())?)
    } else {
        Device::Cpu
    };
    let mut trainer = Trainer::on_device(config, dataset.clone(), device.clone())?;
    println!(
        "{} on {} ({}×{}×{}, {} classes: {}) on {}: {} training / {} validation / {} test images",
        preset.name(),
        dataset.name,
        shape[0],
        shape[1],
        shape[2],
        dataset.classes(),
        dataset.class_names.join(", "),
        device.describe_with_threads(),
        trainer.splits.train.len(),
        trainer.splits.validation.len(),
        trainer.splits.test.len(),
    );
    let mut test = None;
    pollster::block_on(trainer.run(|event| match event {
        TrainEvent::Epoch(e) => println!(
            "epoch {}/{epochs}: train loss {:.4} acc {:.2}% | val loss {:.4} acc {:.2}% | {:.0} samples/s",
            e.epoch,
            e.train_loss,
            100.0 * e.train_accuracy,
            e.val_loss,
            100.0 * e.val_accuracy,
            e.samples_per_s
        ),
        TrainEvent::Finished { test: t, .. } => test = t.clone(),
        _ => {}
    }))?;
    if let Some(path) = save {
        let file = pollster::block_on(trainer.to_model_file())?;
        std::fs::write(&path, file.to_bytes()?)?;
        println!("model saved to {path}");
    }
    let test = test.ok_or("training ended without a test evaluation (no test images?)")?;
    let seconds: f64 = trainer.history.iter().map(|e| e.seconds as f64).sum();
    let samples: f64 = trainer
        .history
        .iter()
        .map(|e| (e.samples_per_s * e.seconds) as f64)
        .sum();
    println!(
        "{}",
        serde_json::json!({
            "model": preset.name(),
            "dataset": dataset.name,
            "input": shape,
            "class_names": dataset.class_names,
            "train_images": dataset.train.len(),
            "test_images": dataset.test.len(),
            "left_out": imported.problems.len(),
            "load_seconds": load_seconds,
            "test_accuracy": test.accuracy,
            "test_loss": test.loss,
            "epochs": trainer.history.len(),
            "threads": thread_count,
            "samples_per_s": samples / seconds,
        })
    );
    Ok(())
}
