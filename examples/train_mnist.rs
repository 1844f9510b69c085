//! Trains a preset on real MNIST (or Fashion-MNIST) natively and prints per-epoch figures,
//! then one JSON line with the final test accuracy:
//!
//! `cargo run --release --example train_mnist -- --model cnn --epochs 3`
//!
//! Options: --model cnn|mlp|lenet5|deep|wide|cnn-bn  --epochs N  --batch N  --lr X
//! --seed N  --optimizer sgd|momentum|nesterov|adagrad|rmsprop|adadelta|adam|adamw
//! --dataset mnist|fashion  --subset N  --validation N  --augment  --schedule constant|cosine
//! --threads N (CPU threads; all the machine's cores by default)
//! --gpu (train on the first WebGPU/Vulkan adapter)  --save FILE (write the model file, which
//! the browser app opens too)  --data DIR (the folder holding mnist/ and fashion-mnist/;
//! www/data, where `make data` puts the gzipped IDX files, by default)
//! --average D (weight-averaging decay, 0.999 by default; 0 turns it off)
//! --target-accuracy X (time to a test accuracy: evaluate the test split every
//! --eval-every N batches, default once per epoch, and stop when it reaches X)
//! --export-code DIR (write the trained model as Keras and PyTorch code with its weights:
//! keras_model.py, torch_model.py, model.safetensors, README.md; see the README's "Taking a
//! model on to Python")

use std::sync::Arc;

use trainer::backend::cpu::threads;
use trainer::backend::webgpu::GpuContext;
use trainer::data::augment::Augmentation;
use trainer::data::split::Split;
use trainer::data::Builtin;
use trainer::nn::presets::Preset;
use trainer::optim::OptimizerSpec;
use trainer::tensor::Device;
use trainer::train::{LrSchedule, Schedule, TrainConfig, TrainEvent, Trainer};

fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nsee the comment at the top of examples/train_mnist.rs for the options");
    std::process::exit(2)
}

fn parse<T: std::str::FromStr>(flag: &str, value: Option<String>) -> T {
    value
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| usage(&format!("{flag} needs a valid value")))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut preset = Preset::DefaultCnn;
    let (mut epochs, mut batch, mut seed) = (3usize, 64usize, 1u64);
    let mut lr = None;
    let mut optimizer = OptimizerSpec::adam();
    let mut builtin = Builtin::Mnist;
    let (mut subset, mut validation, mut augment) = (None, None, false);
    let mut schedule = Schedule::Constant;
    let mut gpu = false;
    let mut thread_count = threads::available();
    let mut average = None;
    let mut save: Option<String> = None;
    let mut export_code: Option<String> = None;
    let mut data = format!("{}/www/data", env!("CARGO_MANIFEST_DIR"));
    let (mut target, mut eval_every): (Option<f64>, Option<usize>) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--model" => {
                preset = match args.next().as_deref() {
                    Some("cnn") => Preset::DefaultCnn,
                    Some("mlp") => Preset::Mlp,
                    Some("lenet5") => Preset::Lenet5,
                    Some("deep") => Preset::DeepNarrow,
                    Some("wide") => Preset::ShallowWide,
                    Some("cnn-bn") => Preset::CnnBnDropout,
                    other => usage(&format!("unknown model {other:?}")),
                }
            }
            "--epochs" => epochs = parse(&flag, args.next()),
            "--save" => {
                save = Some(
                    args.next()
                        .unwrap_or_else(|| usage("--save needs a file name")),
                )
            }
            "--export-code" => {
                export_code = Some(
                    args.next()
                        .unwrap_or_else(|| usage("--export-code needs a folder")),
                )
            }
            "--batch" => batch = parse(&flag, args.next()),
            "--threads" => thread_count = parse(&flag, args.next()),
            "--seed" => seed = parse(&flag, args.next()),
            "--lr" => lr = Some(parse(&flag, args.next())),
            "--subset" => subset = Some(parse(&flag, args.next())),
            "--validation" => validation = Some(parse(&flag, args.next())),
            "--augment" => augment = true,
            "--average" => average = Some(parse::<f32>(&flag, args.next())),
            "--data" => data = parse(&flag, args.next()),
            "--target-accuracy" => target = Some(parse(&flag, args.next())),
            "--eval-every" => eval_every = Some(parse(&flag, args.next())),
            "--gpu" => gpu = true,
            "--schedule" => {
                schedule = match args.next().as_deref() {
                    Some("constant") => Schedule::Constant,
                    Some("cosine") => Schedule::Cosine { floor: 0.0 },
                    other => usage(&format!("unknown schedule {other:?}")),
                }
            }
            "--dataset" => {
                builtin = match args.next().as_deref() {
                    Some("mnist") => Builtin::Mnist,
                    Some("fashion") => Builtin::FashionMnist,
                    other => usage(&format!("unknown dataset {other:?}")),
                }
            }
            "--optimizer" => {
                let name = args.next().unwrap_or_default();
                optimizer = OptimizerSpec::all()
                    .into_iter()
                    .find(|o| o.name().eq_ignore_ascii_case(&name))
                    .unwrap_or_else(|| usage(&format!("unknown optimizer {name:?}")));
            }
            other => usage(&format!("unknown option {other}")),
        }
    }

    let dir = format!("{data}/{}", builtin.folder());
    let files = builtin.files().map(|f| {
        std::fs::read(format!("{dir}/{f}"))
            .unwrap_or_else(|e| usage(&format!("{dir}/{f}: {e} (run `make data` first)")))
    });
    let dataset = Arc::new(builtin.assemble(files)?);

    let mut config = TrainConfig::for_preset(preset, epochs, seed);
    config.batch_size = batch;
    config.optimizer = optimizer;
    config.lr = LrSchedule {
        base: lr.unwrap_or(optimizer.default_lr()),
        schedule,
        warmup: 0,
    };
    config.split.train_subset = subset;
    if let Some(v) = validation {
        config.split.validation = v;
    }
    if let Some(decay) = average {
        config.weight_average = (decay > 0.0).then_some(decay);
    }
    if augment {
        config.augmentation = Augmentation {
            rotation_deg: 10.0,
            translate_px: 2.0,
            scale: 0.1,
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
    let mut trainer = Trainer::on_device(config, dataset, device.clone())?;
    println!(
        "{} on {} ({}): {} parameters, {} training / {} validation / {} test images, {} {}",
        preset.name(),
        builtin.display_name(),
        device.describe_with_threads(),
        trainer.model.param_count(),
        trainer.splits.train.len(),
        trainer.splits.validation.len(),
        trainer.splits.test.len(),
        optimizer.name(),
        trainer.config.lr.base,
    );
    let started = std::time::Instant::now();
    let mut test = None;
    let mut trained = 0usize;
    let mut on_event = |event: &TrainEvent| match event {
        TrainEvent::Epoch(e) => {
            trained += (e.samples_per_s * e.seconds).round() as usize;
            println!(
                "epoch {}/{epochs}: train loss {:.4} acc {:.2}% | val loss {:.4} acc {:.2}% | {:.0} samples/s | {:.1} s",
                e.epoch,
                e.train_loss,
                100.0 * e.train_accuracy,
                e.val_loss,
                100.0 * e.val_accuracy,
                e.samples_per_s,
                e.seconds
            );
        }
        TrainEvent::Finished { reason, test: t } => {
            println!("finished: {reason:?}");
            test = t.clone();
        }
        _ => {}
    };
    // Time to a target accuracy counts everything from the first step on: training, the
    // validation passes and these test passes (their share is printed as eval_seconds).
    let per_epoch = trainer.batches_per_epoch();
    let eval_every = eval_every.unwrap_or(per_epoch).max(1);
    let (mut reached, mut eval_seconds) = (None, 0.0);
    pollster::block_on(async {
        while !trainer.is_finished() {
            for event in trainer.step().await? {
                on_event(&event);
            }
            let Some(goal) = target else { continue };
            if trainer.is_finished() || trainer.batches_done() % eval_every != 0 {
                continue;
            }
            let eval_started = std::time::Instant::now();
            let report = trainer.evaluate(Split::Test).await?;
            eval_seconds += eval_started.elapsed().as_secs_f64();
            let (at, epoch) = (
                started.elapsed().as_secs_f64(),
                trainer.batches_done() as f64 / per_epoch as f64,
            );
            println!(
                "test accuracy {:.2}% at epoch {epoch:.2}, {at:.2} s",
                100.0 * report.accuracy
            );
            if f64::from(report.accuracy) >= goal {
                for event in trainer.sync().await?.iter().chain(&trainer.stop()) {
                    on_event(event);
                }
                reached = Some((at, epoch, report));
            }
        }
        Ok::<_, trainer::Error>(())
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let last_pass_reached = target
        .zip(test.as_ref())
        .is_some_and(|(goal, t)| f64::from(t.accuracy) >= goal);
    let (seconds_to_target, epochs_to_target) = match &reached {
        Some((at, epoch, _)) => (Some(*at), Some(*epoch)),
        // The run's own final test pass is the first to reach it.
        None if last_pass_reached => (Some(seconds), Some(trainer.history.len() as f64)),
        None => (None, None),
    };
    let test = test.or(reached.map(|(_, _, report)| report));
    if let Some(path) = save {
        let file = pollster::block_on(trainer.to_model_file())?;
        std::fs::write(&path, file.to_bytes()?)?;
        println!(
            "model saved to {path} (suggested name {})",
            file.suggested_name()
        );
    }
    if let Some(dir) = export_code {
        let file = pollster::block_on(trainer.to_model_file())?;
        std::fs::create_dir_all(&dir)?;
        for f in trainer::io::code_export::export(&file)? {
            std::fs::write(std::path::Path::new(&dir).join(f.name), &f.bytes)?;
        }
        println!("Keras and PyTorch code written to {dir} (see its README.md)");
    }
    let test = test.ok_or("training ended without a test evaluation")?;
    println!(
        "{}",
        serde_json::json!({
            "model": preset.name(),
            "dataset": builtin.display_name(),
            "test_accuracy": test.accuracy,
            "test_loss": test.loss,
            "epochs": trainer.history.len(),
            "seconds": seconds,
            "target_accuracy": target,
            "seconds_to_target": seconds_to_target,
            "epochs_to_target": epochs_to_target,
            "eval_seconds": eval_seconds,
            "threads": thread_count,
            "samples_per_s": trained as f64 / trainer.history.iter().map(|e| e.seconds as f64).sum::<f64>(),
        })
    );
    Ok(())
}
