//! The worker's wasm glue: receive [`Request`]s, do the work, post [`Event`]s.

use crate::clock::now_ms;

use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use std::sync::Arc;

use super::fetch;
use super::protocol::{Event, Request, Sample, SAMPLES_PER_CLASS};
use super::session::{Command, Inbox};
use crate::data::folder::{self, ImportOptions, Imported};
use crate::data::{assemble_files, Builtin, Dataset};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts an event to the page as `[json]`.
fn post(event: &Event) {
    let json = serde_json::to_string(event).expect("events always serialise");
    let message = Array::of1(&JsValue::from_str(&json));
    if let Err(e) = scope().post_message(&message) {
        web_sys::console::error_1(&e);
    }
}

/// Posts an event followed by a file's bytes (transferred, not copied).
pub fn post_with_file(event: &Event, bytes: &[u8]) {
    let json = serde_json::to_string(event).expect("events always serialise");
    let array = Uint8Array::from(bytes);
    let buffer = array.buffer();
    let message = Array::of2(&JsValue::from_str(&json), &buffer);
    if let Err(e) = scope().post_message_with_transfer(&message, &Array::of1(&buffer)) {
        web_sys::console::error_1(&e);
    }
}

/// Entry point of the worker binary.
pub fn start() {
    // A panic leaves the wasm instance unusable: log it, and tell the page why the worker is
    // about to stop, so it can say so and start a new one.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let message = match info.payload().downcast_ref::<&str>() {
            Some(s) => s.to_string(),
            None => info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| info.to_string()),
        };
        post(&Event::Crashed { message });
    }));
    let inbox = Inbox::new(post);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let inbox = inbox.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match decode(&event.data()) {
                Ok((request, buffers)) => handle(request, buffers, &inbox).await,
                Err(message) => post(&Event::LoadFailed { message }),
            }
        });
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker does.
    on_message.forget();
    post(&Event::Ready);
}

/// Splits `[json, buffers…]` into the request and its buffers.
fn decode(data: &JsValue) -> Result<(Request, Vec<Vec<u8>>), String> {
    let parts: Array = data
        .clone()
        .dyn_into()
        .map_err(|_| "malformed message from the page".to_string())?;
    let json = parts
        .get(0)
        .as_string()
        .ok_or("malformed message from the page")?;
    let request = serde_json::from_str(&json).map_err(|e| format!("unknown request: {e}"))?;
    let buffers = parts
        .iter()
        .skip(1)
        .map(|b| {
            b.dyn_into::<ArrayBuffer>()
                .map(|buffer| Uint8Array::new(&buffer).to_vec())
                .map_err(|_| "malformed file buffer from the page".to_string())
        })
        .collect::<Result<_, _>>()?;
    Ok((request, buffers))
}

/// Loads datasets here, beside the session (a download does not hold up training), and
/// crashes on the test hook's request; every other request goes to the session as it came.
async fn handle(request: Request, buffers: Vec<Vec<u8>>, inbox: &Inbox) {
    match request {
        Request::LoadBuiltin(builtin) => loaded(load_builtin(builtin).await, inbox),
        Request::LoadFiles { names } => {
            let t0 = now_ms();
            let parsed = assemble_files("Your files", names.into_iter().zip(buffers).collect())
                .map(|d| (d, now_ms() - t0))
                .map_err(|e| e.to_string());
            loaded(parsed, inbox)
        }
        Request::LoadImages {
            name,
            paths,
            options,
        } => {
            let t0 = now_ms();
            let imported = import_images(&name, paths, buffers, options);
            match imported {
                Ok(imported) => {
                    let left_out = imported.problems.iter().map(|p| p.to_string()).collect();
                    announce(imported.dataset, now_ms() - t0, true, left_out, inbox)
                }
                Err(message) => post(&Event::LoadFailed { message }),
            }
        }
        Request::Crash => panic!("the test hook asked the worker to crash"),
        Request::Bench {
            threads,
            min_ms,
            blocks,
        } => bench(threads, min_ms, blocks).await,
        Request::SetThreads { threads } => {
            super::threads::request(threads, post_threads);
            post_threads();
        }
        request => inbox.submit(Command::Page(request, buffers)),
    }
}

/// The CPU benchmark suite at each thread count, or its training figures taken in turn
/// (`blocks` > 0), skipping counts that cannot run here, after waiting up to 10 s for the
/// helpers to start.
async fn bench(counts: Vec<usize>, min_ms: f64, blocks: usize) {
    let most = counts.iter().copied().max().unwrap_or(1);
    super::threads::request(most, || {});
    let start = now_ms();
    while super::threads::counts().1 < most && now_ms() - start < 10_000.0 {
        super::threads::pause_ms(50).await;
    }
    let emit = |r: &crate::bench::Record| {
        post(&Event::BenchRecord(
            serde_json::to_string(r).expect("records serialise"),
        ))
    };
    let result = if blocks > 0 {
        crate::bench::cpu_training_interleaved(min_ms, blocks, &counts, emit).await
    } else {
        crate::bench::cpu_suite(min_ms, &counts, emit).await
    };
    post(&Event::BenchDone {
        error: result.err().map(|e| e.to_string()),
    });
}

/// Tells the page how many CPU threads run.
fn post_threads() {
    let (running, most) = super::threads::counts();
    post(&Event::Threads {
        running,
        most,
        threaded: super::threads::THREADED,
    });
}

/// The size of this instance's wasm linear memory (it only grows).
pub fn wasm_memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<ArrayBuffer>()
        .byte_length() as u64
}

/// Makes a dataset that loaded completely the current one, or reports why it did not.
fn loaded(loaded: Result<(Dataset, f64), String>, inbox: &Inbox) {
    match loaded {
        Ok((dataset, parse_ms)) => announce(dataset, parse_ms, false, Vec::new(), inbox),
        Err(message) => post(&Event::LoadFailed { message }),
    }
}

/// Tells the page about the new dataset (photos: the learner's own images) and makes it
/// the current one.
fn announce(dataset: Dataset, parse_ms: f64, photos: bool, left_out: Vec<String>, inbox: &Inbox) {
    let samples = dataset
        .train
        .first_of_each_class(SAMPLES_PER_CLASS)
        .into_iter()
        .map(|i| Sample {
            label: dataset.train.labels[i],
            pixels: dataset.train.image(i).to_vec(),
        })
        .collect();
    let mut summary = dataset.summary();
    summary.photos = photos;
    post(&Event::DatasetLoaded {
        summary,
        samples,
        parse_ms,
        left_out,
    });
    inbox.submit(Command::UseDataset(Arc::new(dataset)));
}

/// Decodes the learner's images (a folder's files, or one zip), telling the page how far
/// it is at most every 100 ms.
fn import_images(
    name: &str,
    paths: Vec<String>,
    buffers: Vec<Vec<u8>>,
    options: ImportOptions,
) -> Result<Imported, String> {
    let mut last = 0.0;
    let progress = |done: usize, total: usize| {
        if done == total || now_ms() - last > 100.0 {
            last = now_ms();
            post(&Event::Progress {
                what: format!("Decoding {name}"),
                received: done as u64,
                total: total as u64,
                images: true,
            });
        }
    };
    let zip = paths.len() == 1 && folder::zip_stem(&paths[0]).is_some();
    let imported = if zip {
        let bytes = buffers.into_iter().next().unwrap_or_default();
        folder::import_zip(&paths[0], &bytes, options, progress)
    } else {
        folder::import_files(
            name,
            paths.into_iter().zip(buffers).collect(),
            options,
            progress,
        )
    };
    imported.map_err(|e| e.to_string())
}

/// Downloads the four files of a built-in dataset with overall progress, then parses them.
pub(super) async fn load_builtin(builtin: Builtin) -> Result<(Dataset, f64), String> {
    let scope: web_sys::WorkerGlobalScope = scope().unchecked_into();
    let urls = builtin
        .files()
        .map(|f| format!("data/{}/{f}", builtin.folder()));
    let mut responses = Vec::with_capacity(urls.len());
    for url in &urls {
        responses.push(fetch::open(&scope, url).await?);
    }
    let sizes: Option<Vec<u64>> = responses.iter().map(fetch::content_length).collect();
    let total = sizes.map(|s| s.iter().sum()).unwrap_or(0);
    let what = format!("Downloading {}", builtin.display_name());
    let mut received = 0u64;
    let mut contents: [Vec<u8>; 4] = Default::default();
    for ((url, response), slot) in urls.iter().zip(&responses).zip(contents.iter_mut()) {
        *slot = fetch::read_body(url, response, |n| {
            received += n;
            post(&Event::Progress {
                what: what.clone(),
                received,
                total,
                images: false,
            });
        })
        .await?;
    }
    let t0 = now_ms();
    let dataset = builtin.assemble(contents).map_err(|e| e.to_string())?;
    Ok((dataset, now_ms() - t0))
}
