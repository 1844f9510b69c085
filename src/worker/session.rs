//! The training session inside the worker: one model, one loop, driven by the page's
//! requests. A single task (the pump) owns the trainer: it handles queued commands first,
//! then trains one batch at a time while running, yielding to the worker's event loop so that
//! a Pause or Stop is seen within one batch. Events go to the page at a bounded rate.
//! A lesson's lab builds its own trainers and runs as a task of its own beside the pump, so
//! the learner can train, predict or stop while a lab is running.

use crate::clock::now_ms;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use wasm_bindgen::prelude::*;

use super::protocol::{Backend, Event, RunMode, TestPrediction, GALLERY_MAX};
use crate::backend::webgpu::GpuContext;
use crate::data::Builtin;
use crate::data::Dataset;
use crate::lessons::lab::{report, trainer_for, LabKind, LabRun, Recorder};
use crate::tensor::Device;
use crate::train::{TrainConfig, TrainEvent, Trainer};

/// Step metrics are batched into one message per this many milliseconds (each message
/// redraws the charts on the main thread).
const POST_EVERY_MS: f64 = 200.0;
/// A model snapshot (histograms, filters) is taken at most this often.
const SNAPSHOT_EVERY_MS: f64 = 1000.0;
/// The loop yields to the event loop after this much work, to read new requests.
const YIELD_EVERY_MS: f64 = 15.0;

/// A request for the session, queued until the pump gets to it.
pub enum Command {
    Train {
        config: TrainConfig,
        backend: Backend,
        one_step: bool,
        snapshot_every: usize,
        /// Start from the current model's weights (fine-tuning) instead of fresh ones.
        from_current: bool,
    },
    Pause,
    Resume,
    Stop,
    Reset,
    Predict {
        pixels: Vec<u8>,
        feature_maps: bool,
    },
    LoseDevice,
    /// The model file, or with `onnx` its ONNX export.
    SaveModel {
        onnx: bool,
    },
    OpenModel {
        name: String,
        bytes: Vec<u8>,
    },
    TestGallery {
        start: usize,
        count: usize,
    },
    GradCheck {
        images: usize,
    },
    Lab {
        kind: LabKind,
        runs: Vec<LabRun>,
        first: usize,
    },
}

#[derive(Default)]
pub struct Session {
    queue: VecDeque<Command>,
    pumping: bool,
    trainer: Option<Trainer>,
    mode: RunMode,
    /// The GPU, created once and kept while it works.
    gpu: Option<Arc<GpuContext>>,
    /// Snapshot every this many epochs (0: never).
    snapshot_every: usize,
}

impl Session {
    /// The GPU's live storage buffers and bytes, (0, 0) without a GPU.
    pub fn gpu_buffers(&self) -> (u64, u64) {
        self.gpu.as_ref().map_or((0, 0), |g| g.live_buffers())
    }
}

/// What the pump needs from the worker: the dataset to train on and a way to post.
pub struct Host {
    pub dataset: Option<Arc<Dataset>>,
    pub session: Session,
}

type Shared = Rc<RefCell<Host>>;

/// Queues a command and starts the pump if it is not already running.
pub fn submit(host: &Shared, command: Command, post: fn(&Event)) {
    let start = {
        let mut h = host.borrow_mut();
        h.session.queue.push_back(command);
        !std::mem::replace(&mut h.session.pumping, true)
    };
    if start {
        wasm_bindgen_futures::spawn_local(pump(host.clone(), post));
    }
}

/// Collects train events and posts them in batches.
struct Outbox {
    events: Vec<TrainEvent>,
    last_post: f64,
    post: fn(&Event),
}

impl Outbox {
    fn push(&mut self, events: Vec<TrainEvent>) {
        self.events.extend(events);
    }

    /// Posts now if anything but step metrics is waiting or the interval has passed.
    fn post_if_due(&mut self) {
        let urgent = self
            .events
            .iter()
            .any(|e| !matches!(e, TrainEvent::Step(_) | TrainEvent::Snapshot(_)));
        if urgent || now_ms() - self.last_post >= POST_EVERY_MS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.events.is_empty() {
            (self.post)(&Event::Train {
                events: std::mem::take(&mut self.events),
            });
        }
        self.last_post = now_ms();
    }
}

/// Resolves on the next turn of the event loop (a message to ourselves: unlike
/// `setTimeout(0)` it is not clamped to 4 ms).
async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Ok(channel) = web_sys::MessageChannel::new() {
            channel.port1().set_onmessage(Some(&resolve));
            let _ = channel.port2().post_message(&JsValue::NULL);
        } else {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

async fn pump(host: Shared, post: fn(&Event)) {
    let mut outbox = Outbox {
        events: Vec::new(),
        last_post: now_ms(),
        post,
    };
    let mut last_yield = now_ms();
    let mut last_snapshot = f64::NEG_INFINITY;
    loop {
        let command = host.borrow_mut().session.queue.pop_front();
        if let Some(command) = command {
            run_command(&host, command, &mut outbox).await;
            outbox.flush();
            continue;
        }
        let trainer = {
            let mut h = host.borrow_mut();
            if h.session.mode == RunMode::Running {
                h.session.trainer.take()
            } else {
                None
            }
        };
        let Some(mut trainer) = trainer else { break };
        if now_ms() - last_snapshot >= SNAPSHOT_EVERY_MS {
            trainer.request_snapshot();
            last_snapshot = now_ms();
        }
        let epochs_before = trainer.epochs_done();
        train_one(&host, &mut trainer, &mut outbox).await;
        let every = host.borrow().session.snapshot_every;
        let epochs = trainer.epochs_done();
        if every > 0 && epochs > epochs_before && epochs % every == 0 {
            outbox.flush();
            snapshot(&mut trainer, post).await;
        }
        let finished = trainer.is_finished();
        host.borrow_mut().session.trainer = Some(trainer);
        if finished {
            set_mode(&host, RunMode::Finished, &mut outbox);
        }
        outbox.post_if_due();
        if now_ms() - last_yield >= YIELD_EVERY_MS {
            yield_now().await;
            last_yield = now_ms();
        }
    }
    outbox.flush();
    host.borrow_mut().session.pumping = false;
}

fn set_mode(host: &Shared, mode: RunMode, outbox: &mut Outbox) {
    host.borrow_mut().session.mode = mode;
    outbox.flush();
    (outbox.post)(&Event::Mode(mode));
}

/// One batch; a GPU failure hands the run to the CPU (from the last completed epoch).
async fn train_one(host: &Shared, trainer: &mut Trainer, outbox: &mut Outbox) {
    let result = trainer.step().await;
    settle(host, trainer, result, outbox);
}

/// Takes a step's or a read-back's outcome: its events, or on a GPU failure the move to the
/// CPU (the page tells the learner through `TrainEvent::BackendChanged`), or the end.
fn settle(
    host: &Shared,
    trainer: &mut Trainer,
    result: crate::Result<Vec<TrainEvent>>,
    outbox: &mut Outbox,
) {
    match result {
        Ok(events) => outbox.push(events),
        Err(e) if matches!(trainer.device, Device::WebGpu(_)) => {
            host.borrow_mut().session.gpu = None;
            match trainer.fall_back(&e.to_string()) {
                Ok(event) => outbox.push(vec![event]),
                Err(e) => fail(host, trainer, e.to_string(), outbox),
            }
        }
        Err(e) => fail(host, trainer, e.to_string(), outbox),
    }
}

fn fail(host: &Shared, trainer: &mut Trainer, message: String, outbox: &mut Outbox) {
    outbox.push(trainer.stop());
    (outbox.post)(&Event::TrainFailed { message });
    set_mode(host, RunMode::Finished, outbox);
}

/// The device for a new model: the GPU if asked (and it works), else the CPU with a notice.
async fn device_for(host: &Shared, backend: Backend, post: fn(&Event)) -> Device {
    if backend == Backend::Cpu {
        return Device::Cpu;
    }
    let cached = host.borrow().session.gpu.clone();
    if let Some(ctx) = cached.filter(|c| !c.is_lost()) {
        return Device::WebGpu(ctx);
    }
    match GpuContext::new().await {
        Ok(ctx) => {
            host.borrow_mut().session.gpu = Some(ctx.clone());
            Device::WebGpu(ctx)
        }
        Err(e) => {
            post(&Event::Notice {
                message: format!("WebGPU is not available here ({e}). Training on the CPU."),
            });
            Device::Cpu
        }
    }
}

/// Builds a fresh trainer; a GPU that fails to set up (say, a shader that does not compile)
/// leaves the CPU to do it.
async fn build(
    host: &Shared,
    config: TrainConfig,
    backend: Backend,
    post: fn(&Event),
) -> Result<Trainer, String> {
    let dataset = host
        .borrow()
        .dataset
        .clone()
        .ok_or("load a dataset first")?;
    let device = device_for(host, backend, post).await;
    let on_gpu = matches!(device, Device::WebGpu(_));
    match Trainer::on_device(config.clone(), dataset.clone(), device) {
        Ok(t) => Ok(t),
        Err(e) if on_gpu => {
            host.borrow_mut().session.gpu = None;
            post(&Event::Notice {
                message: format!("WebGPU could not set up this model ({e}). Training on the CPU."),
            });
            Trainer::new(config, dataset).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

async fn run_command(host: &Shared, command: Command, outbox: &mut Outbox) {
    let post = outbox.post;
    match command {
        Command::Train {
            config,
            backend,
            one_step,
            snapshot_every,
            from_current,
        } => {
            host.borrow_mut().session.snapshot_every = snapshot_every;
            let existing = host.borrow_mut().session.trainer.take();
            // Step on an unfinished model continues it; Train starts afresh, from fresh
            // weights or (fine-tuning) from the current model's.
            let built = match existing {
                Some(t) if one_step && !t.is_finished() => Ok(t),
                Some(mut old) if from_current => {
                    let weights = old.host_weights().await;
                    let result = match weights {
                        Ok(w) => fine_tune(host, config, backend, &w, post).await,
                        Err(e) => Err(e.to_string()),
                    };
                    if result.is_err() {
                        // Nothing is lost: the current model stays.
                        host.borrow_mut().session.trainer = Some(old);
                    }
                    result.map(|t| started(t, post))
                }
                _ => build(host, config, backend, post)
                    .await
                    .map(|t| started(t, post)),
            };
            let mut trainer = match built {
                Ok(t) => t,
                Err(message) => {
                    post(&Event::TrainFailed { message });
                    let mode = if host.borrow().session.trainer.is_some() {
                        RunMode::Finished
                    } else {
                        RunMode::Idle
                    };
                    set_mode(host, mode, outbox);
                    return;
                }
            };
            if one_step {
                trainer.request_snapshot();
                train_one(host, &mut trainer, outbox).await;
                sync(host, &mut trainer, outbox).await;
            }
            let finished = trainer.is_finished();
            host.borrow_mut().session.trainer = Some(trainer);
            let mode = match (finished, one_step) {
                (true, _) => RunMode::Finished,
                (false, true) => RunMode::Paused,
                (false, false) => RunMode::Running,
            };
            set_mode(host, mode, outbox);
        }
        Command::Pause => {
            let trainer = host.borrow_mut().session.trainer.take();
            if let Some(mut t) = trainer {
                sync(host, &mut t, outbox).await;
                let finished = t.is_finished();
                host.borrow_mut().session.trainer = Some(t);
                if !finished {
                    set_mode(host, RunMode::Paused, outbox);
                }
            }
        }
        Command::Resume => {
            let can = host
                .borrow()
                .session
                .trainer
                .as_ref()
                .is_some_and(|t| !t.is_finished());
            if can {
                set_mode(host, RunMode::Running, outbox);
            }
        }
        Command::Stop => {
            let trainer = host.borrow_mut().session.trainer.take();
            if let Some(mut t) = trainer {
                sync(host, &mut t, outbox).await;
                outbox.push(t.stop());
                host.borrow_mut().session.trainer = Some(t);
                set_mode(host, RunMode::Finished, outbox);
            }
        }
        Command::Reset => {
            host.borrow_mut().session.trainer = None;
            set_mode(host, RunMode::Idle, outbox);
        }
        Command::Predict {
            pixels,
            feature_maps,
        } => {
            let trainer = host.borrow_mut().session.trainer.take();
            let Some(mut t) = trainer else { return };
            let result = async {
                let probabilities = t.predict(&pixels).await?;
                let maps = if feature_maps {
                    t.feature_maps(&pixels).await?
                } else {
                    Vec::new()
                };
                Ok::<_, crate::Error>((probabilities, maps))
            }
            .await;
            host.borrow_mut().session.trainer = Some(t);
            match result {
                Ok((probabilities, feature_maps)) => post(&Event::Prediction {
                    probabilities,
                    feature_maps,
                }),
                Err(e) => post(&Event::Notice {
                    message: format!("could not run the model on that image: {e}"),
                }),
            }
        }
        Command::SaveModel { onnx } => {
            let trainer = host.borrow_mut().session.trainer.take();
            let Some(mut t) = trainer else {
                return post(&Event::Notice {
                    message: "there is no model to save yet: train one first".into(),
                });
            };
            let file = t.to_model_file().await;
            host.borrow_mut().session.trainer = Some(t);
            let saved = file.and_then(|f| {
                let name = f.suggested_name();
                if onnx {
                    Ok((
                        name.replace(".safetensors", ".onnx"),
                        crate::io::onnx::export(&f)?,
                    ))
                } else {
                    Ok((name, f.to_bytes()?))
                }
            });
            match saved {
                Ok((name, bytes)) => {
                    super::runtime::post_with_file(&Event::ModelSaved { name, epoch: None }, &bytes)
                }
                Err(e) => post(&Event::Notice {
                    message: format!("could not save the model: {e}"),
                }),
            }
        }
        Command::OpenModel { name, bytes } => open_model(host, name, &bytes, outbox).await,
        Command::TestGallery { start, count } => test_gallery(host, start, count, post).await,
        Command::GradCheck { images } => {
            let trainer = host.borrow_mut().session.trainer.take();
            let Some(mut t) = trainer else {
                return post(&Event::Notice {
                    message: "there is no model to check yet: train (or Step) or open one first"
                        .into(),
                });
            };
            let result = crate::lessons::gradient_check::check_current(&mut t, images).await;
            host.borrow_mut().session.trainer = Some(t);
            match result {
                Ok(report) => post(&Event::GradCheck { report }),
                Err(e) => post(&Event::Notice {
                    message: format!("the gradient check failed: {e}"),
                }),
            }
        }
        Command::Lab { kind, runs, first } => {
            let host = host.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(message) = lab(&host, kind, runs, first, post).await {
                    post(&Event::LabFailed { kind, message });
                }
            });
        }
        Command::LoseDevice => {
            if let Some(ctx) = host.borrow().session.gpu.clone() {
                ctx.simulate_loss();
            }
        }
    }
}

/// Tells the page a new run was set up, and hands the trainer on.
fn started(t: Trainer, post: fn(&Event)) -> Trainer {
    post(&Event::SessionStarted {
        device: t.device.describe(),
        batches_per_epoch: t.batches_per_epoch(),
        epochs: t.config.epochs,
        train_images: t.splits.train.len(),
    });
    t
}

/// A new run from given weights, on the chosen backend (the CPU if the GPU cannot).
async fn fine_tune(
    host: &Shared,
    config: TrainConfig,
    backend: Backend,
    weights: &[crate::tensor::Tensor],
    post: fn(&Event),
) -> Result<Trainer, String> {
    let dataset = host
        .borrow()
        .dataset
        .clone()
        .ok_or("load a dataset first")?;
    let device = device_for(host, backend, post).await;
    Trainer::fine_tune(config.clone(), dataset.clone(), device, weights)
        .or_else(|_| Trainer::fine_tune(config, dataset, Device::Cpu, weights))
        .map_err(|e| {
            format!("cannot start from the current weights (was the architecture changed?): {e}")
        })
}

/// Saves the model and optimizer state at the end of an epoch for the page's snapshot store.
async fn snapshot(trainer: &mut Trainer, post: fn(&Event)) {
    let epoch = trainer.epochs_done();
    let file = trainer.to_model_file_with(true).await;
    match file.and_then(|f| Ok((f.suggested_name(), f.to_bytes()?))) {
        Ok((name, bytes)) => {
            let name = name.replace(".safetensors", &format!("-epoch{epoch}.safetensors"));
            super::runtime::post_with_file(
                &Event::ModelSaved {
                    name,
                    epoch: Some(epoch),
                },
                &bytes,
            );
        }
        Err(e) => post(&Event::Notice {
            message: format!("could not take a snapshot after epoch {epoch}: {e}"),
        }),
    }
}

/// Trains a lesson's runs one after the other on the CPU, reporting each epoch and each
/// finished run. Yields to the event loop as the pump does, so the pump's own work (and
/// so the page's requests) goes on between the lab's steps.
async fn lab(
    host: &Shared,
    kind: LabKind,
    runs: Vec<LabRun>,
    first: usize,
    post: fn(&Event),
) -> Result<(), String> {
    let loaded = host.borrow().dataset.clone();
    // Built-in datasets a run asks for (transfer learning), loaded once per lab.
    let mut builtins: Vec<(Builtin, Arc<Dataset>)> = Vec::new();
    // The final weights of the runs a later run starts from (empty for the others).
    let start_points: Vec<usize> = runs.iter().filter_map(|r| r.start_from).collect();
    let mut finished = Vec::new();
    for (k, run) in runs.into_iter().enumerate() {
        let index = first + k;
        let dataset = match run.dataset {
            None => loaded.clone().ok_or("load a dataset first")?,
            Some(b) => match builtins.iter().find(|(have, _)| *have == b) {
                Some((_, d)) => d.clone(),
                None => {
                    let (d, _) = super::runtime::load_builtin(b).await?;
                    builtins.push((b, Arc::new(d)));
                    builtins[builtins.len() - 1].1.clone()
                }
            },
        };
        let mut t =
            trainer_for(&run, dataset, &finished).map_err(|e| format!("{}: {e}", run.name))?;
        let mut recorder = Recorder::default();
        let mut epochs = 0;
        let mut last_yield = now_ms();
        while !t.is_finished() {
            let failed = |e: crate::Error| format!("{}: {e}", run.name);
            let events = t.step().await.map_err(failed)?;
            recorder.after_step(&t, &events).await.map_err(failed)?;
            if t.history.len() > epochs {
                epochs = t.history.len();
                post(&Event::LabProgress {
                    kind,
                    index,
                    name: run.name.clone(),
                    history: t.history.clone(),
                    losses: recorder.curve(),
                });
            }
            if now_ms() - last_yield >= YIELD_EVERY_MS {
                yield_now().await;
                last_yield = now_ms();
            }
        }
        let report = report(&run.name, &mut t, &recorder)
            .await
            .map_err(|e| format!("{}: {e}", run.name))?;
        finished.push(if start_points.contains(&k) {
            t.host_weights().await.map_err(|e| e.to_string())?
        } else {
            Vec::new()
        });
        post(&Event::LabRun {
            kind,
            index,
            report,
        });
    }
    Ok(())
}

/// The current model's answers on a page of test images.
async fn test_gallery(host: &Shared, start: usize, count: usize, post: fn(&Event)) {
    let dataset = host.borrow().dataset.clone();
    let trainer = host.borrow_mut().session.trainer.take();
    let (Some(dataset), Some(mut t)) = (dataset, trainer) else {
        return;
    };
    let test = &dataset.test;
    let total = test.len();
    let indices: Vec<usize> = (0..count.min(GALLERY_MAX).min(total))
        .map(|k| (start + k) % total)
        .collect();
    if indices.is_empty() {
        host.borrow_mut().session.trainer = Some(t);
        return;
    }
    let images: Vec<&[u8]> = indices.iter().map(|&i| test.image(i)).collect();
    let result = t.predict_many(&images).await;
    host.borrow_mut().session.trainer = Some(t);
    let probabilities = match result {
        Ok(p) => p,
        Err(e) => {
            return post(&Event::Notice {
                message: format!("could not run the model on the test images: {e}"),
            })
        }
    };
    let classes = probabilities.len() / indices.len().max(1);
    let items = indices
        .iter()
        .zip(probabilities.chunks_exact(classes.max(1)))
        .map(|(&index, p)| {
            let predicted = (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(0);
            TestPrediction {
                index,
                label: test.labels[index],
                predicted: predicted as u8,
                confidence: p[predicted],
                pixels: test.image(index).to_vec(),
            }
        })
        .collect();
    post(&Event::TestGallery {
        start: start % total.max(1),
        total,
        items,
    });
}

/// Replaces the current model by the one in a model file, or says why it cannot.
async fn open_model(host: &Shared, name: String, bytes: &[u8], outbox: &mut Outbox) {
    let post = outbox.post;
    let failed = |message: String| {
        post(&Event::OpenFailed {
            message: format!("{name}: {message}"),
        })
    };
    let file = match crate::io::model_file::ModelFile::from_bytes(bytes) {
        Ok(f) => f,
        Err(e) => return failed(e.to_string()),
    };
    let Some(dataset) = host.borrow().dataset.clone() else {
        return failed("load a dataset first: the model needs images to work on".into());
    };
    let backend = if host.borrow().session.gpu.is_some() {
        Backend::Auto
    } else {
        Backend::Cpu
    };
    let device = device_for(host, backend, post).await;
    let trainer = Trainer::from_model_file(&file, dataset.clone(), device)
        .or_else(|_| Trainer::from_model_file(&file, dataset.clone(), Device::Cpu));
    let trainer = match trainer {
        Ok(t) => t,
        Err(e) => return failed(e.to_string()),
    };
    post(&Event::SessionStarted {
        device: trainer.device.describe(),
        batches_per_epoch: trainer.batches_per_epoch(),
        epochs: trainer.config.epochs,
        train_images: trainer.splits.train.len(),
    });
    post(&Event::ModelOpened {
        name,
        config: file.config.clone(),
        dataset: file.dataset.clone(),
        history: file.history.clone(),
        test_accuracy: file.test_accuracy,
    });
    host.borrow_mut().session.trainer = Some(trainer);
    set_mode(host, RunMode::Paused, outbox);
}

/// Reads back figures still on the GPU, so a paused chart is complete.
async fn sync(host: &Shared, trainer: &mut Trainer, outbox: &mut Outbox) {
    let result = trainer.sync().await;
    settle(host, trainer, result, outbox);
}
