//! The page's end of the worker connection: spawn it, send requests, route its events
//! into signals.

use std::cell::RefCell;

use js_sys::{Array, ArrayBuffer};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker, WorkerOptions};

use super::state::{DatasetState, Gallery, Plan, Progress, TrainState};
use super::supervisor;
use crate::train::TrainEvent;
use crate::ui::events::{fallback_notice, group, kept_after_fallback, opened_notice, Change};
use crate::ui::history::HistogramFrame;
use crate::worker::protocol::{Event, MapHeader, Request, RunMode, TestPrediction};

thread_local! {
    // The page has exactly one worker; wasm in the page is single-threaded.
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

/// Starts the worker (Trunk builds it as `worker.js` + `worker_bg.wasm` with a loader shim;
/// scripts/build-threads.sh the threaded `worker_mt*`, started when the page is isolated).
/// Once ready it is asked for a dataset (see [`supervisor::ready`]); if it dies, the
/// supervisor starts another.
pub fn spawn(datasets: DatasetState, train: TrainState) {
    let generation = supervisor::generation();
    let options = WorkerOptions::new();
    let worker = match Worker::new_with_options(super::threads::worker_script(), &options) {
        Ok(w) => w,
        Err(e) => {
            datasets
                .error
                .set(Some(format!("could not start the worker: {e:?}")));
            return;
        }
    };
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match decode(&event.data()) {
                Some((Event::ModelSaved { name, epoch: None }, Some(buffer))) => {
                    download(&name, &buffer)
                }
                Some((
                    Event::ModelSaved {
                        name,
                        epoch: Some(epoch),
                    },
                    Some(buffer),
                )) => super::snapshots::store(name, epoch, buffer, train),
                Some((
                    Event::Prediction {
                        probabilities,
                        feature_maps,
                        step,
                    },
                    buffer,
                )) => prediction(probabilities, feature_maps, step, buffer, train),
                Some((
                    Event::TestGallery {
                        start,
                        total,
                        mut items,
                        step,
                    },
                    buffer,
                )) => {
                    super::live::answered(super::live::Ask::Gallery);
                    let bytes =
                        buffer.map_or_else(Vec::new, |b| js_sys::Uint8Array::new(&b).to_vec());
                    match TestPrediction::pixels_from(&mut items, &bytes) {
                        Ok(()) => train.gallery.set(Some(Gallery {
                            start,
                            total,
                            items,
                            step,
                        })),
                        Err(e) => web_sys::console::error_1(
                            &format!("test images from the worker: {e}").into(),
                        ),
                    }
                }
                Some((Event::Crashed { message }, _)) => {
                    supervisor::died(generation, &message, datasets, train)
                }
                Some((event, _)) => apply(event, datasets, train),
                None => web_sys::console::error_1(&"unreadable message from the worker".into()),
            }
        });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // An uncaught error (a trap: a panic, memory running out) leaves the worker unusable.
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let message = js_sys::Reflect::get(&event, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "an unknown error".into());
        supervisor::died(generation, &message, datasets, train);
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    WORKER.with(|w| *w.borrow_mut() = Some(worker));
}

/// Stops the current worker at once (it died, or is about to be replaced).
pub fn terminate() {
    if let Some(worker) = WORKER.with(|w| w.borrow_mut().take()) {
        worker.set_onmessage(None);
        worker.set_onerror(None);
        worker.terminate();
    }
}

/// `[json, buffer?]` → the event and the buffer that came with it, if any.
fn decode(data: &JsValue) -> Option<(Event, Option<ArrayBuffer>)> {
    let parts: Array = data.clone().dyn_into().ok()?;
    let event = serde_json::from_str(&parts.get(0).as_string()?).ok()?;
    Some((event, parts.get(1).dyn_into().ok()))
}

/// Shows a prediction and the layers' outputs for the chosen image, the values taken from
/// the buffer that came with it.
fn prediction(
    probabilities: Vec<f32>,
    headers: Vec<MapHeader>,
    step: usize,
    buffer: Option<ArrayBuffer>,
    train: TrainState,
) {
    super::live::answered(super::live::Ask::Prediction);
    train.prediction_step.set(Some(step));
    train.prediction.set(Some(probabilities));
    if headers.is_empty() {
        return;
    }
    let values = buffer.map_or_else(Vec::new, |b| js_sys::Float32Array::new(&b).to_vec());
    match MapHeader::join(headers, &values) {
        Ok(maps) => train.feature_maps.set(maps),
        Err(e) => web_sys::console::error_1(&format!("feature maps from the worker: {e}").into()),
    }
}

/// Offers bytes from the worker as a file download.
fn download(name: &str, buffer: &ArrayBuffer) {
    let parts = Array::of1(buffer);
    let Ok(blob) = web_sys::Blob::new_with_buffer_source_sequence(&parts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(a) = document.and_then(|d| d.create_element("a").ok()) {
        let a: web_sys::HtmlElement = a.unchecked_into();
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Reads a model file the learner chose or dropped and hands it to the worker.
pub fn open_model(file: web_sys::File, train: TrainState) {
    if file.size() > crate::io::model_file::MAX_FILE_BYTES as f64 {
        train.error.set(Some(format!(
            "{}: {:.0} MB is too large for a model file",
            file.name(),
            file.size() / 1e6
        )));
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
            Ok(buffer) => send(
                &Request::OpenModel { name: file.name() },
                &[buffer.unchecked_into()],
            ),
            Err(_) => train.error.set(Some(format!(
                "{}: the browser could not read this file",
                file.name()
            ))),
        }
    });
}

/// Sends a request with the buffers it names; the buffers are transferred, not copied.
pub fn send(request: &Request, buffers: &[ArrayBuffer]) {
    let json = serde_json::to_string(request).expect("requests always serialise");
    let message = Array::of1(&JsValue::from_str(&json));
    let transfer = Array::new();
    for b in buffers {
        message.push(b);
        transfer.push(b);
    }
    WORKER.with(|w| {
        if let Some(worker) = w.borrow().as_ref() {
            if let Err(e) = worker.post_message_with_transfer(&message, &transfer) {
                web_sys::console::error_1(&e);
            }
        }
    });
}

/// Test hooks, harmless otherwise: `window.__trainerLoseGpu()` destroys the worker's GPU
/// device, as a driver crash would; `window.__trainerCrashWorker()` makes the worker panic,
/// as a bug or a failed allocation would. The end-to-end tests prove training survives both.
pub fn install_test_hooks() {
    let hooks: [(&str, Request); 3] = [
        ("__trainerLoseGpu", Request::LoseDevice),
        ("__trainerCrashWorker", Request::Crash),
        // The answer lands in `window.__trainerMemoryReport` (see `apply`).
        ("__trainerMemory", Request::Memory),
    ];
    for (name, request) in hooks {
        let hook = Closure::<dyn Fn()>::new(move || send(&request, &[]));
        if let Some(w) = web_sys::window() {
            let _ = js_sys::Reflect::set(&w, &name.into(), hook.as_ref());
        }
        hook.forget();
    }
}

/// Puts the worker's memory figures, with the page's own wasm memory and heap, where the
/// soak script reads them: `window.__trainerMemoryReport`.
fn report_memory(wasm_bytes: u64, heap_bytes: u64, gpu_buffers: u64, gpu_bytes: u64) {
    let page = crate::worker::wasm_memory_bytes();
    let page_heap = crate::heap::live_bytes();
    let json = format!(
        r#"{{"worker_wasm_bytes":{wasm_bytes},"worker_heap_bytes":{heap_bytes},"page_wasm_bytes":{page},"page_heap_bytes":{page_heap},"gpu_buffers":{gpu_buffers},"gpu_bytes":{gpu_bytes}}}"#
    );
    if let (Some(w), Ok(value)) = (web_sys::window(), js_sys::JSON::parse(&json)) {
        let _ = js_sys::Reflect::set(&w, &"__trainerMemoryReport".into(), &value);
    }
}

fn apply(event: Event, datasets: DatasetState, train: TrainState) {
    match event {
        Event::Ready => {
            super::threads::ask(train);
            supervisor::ready(datasets)
        }
        // Answers to the benchmark hook, which scripts/bench-threads.mjs asks its own worker.
        Event::BenchRecord(_) | Event::BenchDone { .. } => {}
        Event::Threads {
            running,
            most,
            threaded,
        } => train.threads.set(Some(super::threads::CpuThreads {
            running,
            most,
            threaded,
        })),
        Event::Progress {
            what,
            received,
            total,
            images,
        } => datasets.progress.set(Some(Progress {
            what,
            received,
            total,
            images,
        })),
        Event::DatasetLoaded {
            summary,
            samples,
            parse_ms,
            left_out,
        } => {
            supervisor::loaded();
            // The model takes the new images' shape and has one output per class.
            let input = [summary.rows, summary.cols, summary.channels];
            let classes = summary.class_names.len();
            let adapted = train
                .config
                .with_untracked(|c| c.model.for_data(&input, classes));
            if train.config.with_untracked(|c| c.model != adapted) {
                train.config.update(|c| c.model = adapted);
            }
            // A small set of one's own images: validate on a tenth of it, batches no larger.
            // (The built-in sets keep the learner's settings, a link's included: a setting
            // that does not fit them is explained, not changed.)
            let images = summary.train_count;
            let misfit = train
                .config
                .with_untracked(|c| c.check_data(images).is_err());
            if summary.photos && misfit {
                train.config.update(|c| {
                    c.split.validation = (images / 10).max(1).min(images.saturating_sub(1));
                    c.split.train_subset = None;
                    c.batch_size = c.batch_size.min(images - c.split.validation).max(1);
                });
            }
            datasets.left_out.set(left_out);
            datasets.summary.set(Some(summary));
            datasets.samples.set(samples);
            datasets.loading.set(false);
            datasets.error.set(None);
            datasets
                .ready_ms
                .set(Some((crate::clock::now_ms(), parse_ms)));
        }
        Event::LoadFailed { message } => {
            supervisor::load_failed();
            datasets.loading.set(false);
            datasets.error.set(Some(message));
        }
        Event::SessionStarted {
            device,
            batches_per_epoch,
            epochs,
            train_images,
        } => {
            train.clear_figures();
            train.device.set(Some(device));
            train.plan.set(Some(Plan {
                batches_per_epoch,
                epochs,
                train_images,
            }));
        }
        Event::Train { events } => apply_train(events, train),
        // With its bytes it was handled above; without them there is nothing to save.
        Event::ModelSaved { .. } => {}
        Event::ModelOpened {
            name,
            config,
            dataset,
            history,
            test_accuracy,
        } => {
            train.config.set(config);
            train.epochs.set(history);
            train
                .notice
                .set(Some(opened_notice(&name, &dataset, test_accuracy)));
        }
        Event::OpenFailed { message } => train.error.set(Some(message)),
        Event::LabProgress {
            kind,
            index,
            name,
            history,
            losses,
        } => train.lab(kind).progress(index, &name, history, losses),
        Event::LabRun {
            kind,
            index,
            report,
        } => train.lab(kind).finished(index, report),
        Event::LabFailed { kind, message } => train.lab(kind).error.set(Some(message)),
        Event::GradCheck { report } => train.gradcheck.set(Some(report)),
        // Handled where the message arrives: the images' pixels come in its buffer.
        Event::TestGallery { .. } => {}
        Event::Mode(mode) => train.mode.set(mode),
        Event::Notice { message } => train.notice.set(Some(message)),
        Event::BackendChosen { reason } => train.backend_reason.set(Some(reason)),
        // Handled where the message arrives: it needs the worker's generation.
        Event::Crashed { .. } => {}
        Event::Memory {
            wasm_bytes,
            heap_bytes,
            gpu_buffers,
            gpu_bytes,
        } => report_memory(wasm_bytes, heap_bytes, gpu_buffers, gpu_bytes),
        Event::TrainFailed { message } => train.error.set(Some(message)),
        // Handled where the message arrives: the maps' values come in its buffer.
        Event::Prediction { .. } => {}
    }
}

/// Folds a batch of training events into the signals, in the order things happened
/// (`ui::events::group`: consecutive steps go in as one change).
fn apply_train(events: Vec<TrainEvent>, train: TrainState) {
    for change in group(events) {
        match change {
            Change::Steps(new) => train.steps.update(|record| {
                for step in new {
                    record.push(&[step]);
                }
            }),
            Change::Event(event) => apply_train_event(event, train),
        }
    }
}

fn apply_train_event(event: TrainEvent, train: TrainState) {
    match event {
        TrainEvent::Step(s) => train.steps.update(|record| record.push(&[s])),
        TrainEvent::Validation { report, .. } => train.validation.set(Some(report)),
        TrainEvent::Epoch(e) => train.epochs.update(|v| v.push(e)),
        TrainEvent::Snapshot(snapshot) => {
            if let Some(filters) = &snapshot.filters {
                train
                    .filter_history
                    .update(|h| h.push(snapshot.step, filters));
            }
            let frames: Vec<_> = snapshot
                .activations
                .iter()
                .map(HistogramFrame::of)
                .collect();
            train.activation_history.update(|h| h.push(&frames));
            train.snapshot.set(Some(*snapshot));
        }
        TrainEvent::Finished { reason, test } => {
            train.finished.set(Some((reason, test)));
            train.mode.set(RunMode::Finished);
        }
        TrainEvent::BackendChanged {
            device,
            reason,
            resumed_epoch,
        } => {
            train.device.set(Some(device.clone()));
            train
                .notice
                .set(Some(fallback_notice(&device, &reason, resumed_epoch)));
            // Steps of the abandoned epoch are redone: drop them from the curve.
            if let Some(plan) = train.plan.get_untracked() {
                let kept = kept_after_fallback(resumed_epoch, plan.batches_per_epoch);
                train.steps.update(|s| s.truncate_pushes(kept.steps));
                train.epochs.update(|e| e.truncate(kept.epochs));
            }
        }
    }
}
