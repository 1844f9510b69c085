//! The dataset: choose or drop one and watch it download (the top bar), see what is in it
//! (a tab).

use js_sys::ArrayBuffer;
use leptos::ev;
use leptos::leptos_dom::helpers::window_event_listener;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::FileList;

use super::bridge;
use super::sample_grid::SampleGrid;
use super::state::DatasetState;
use super::supervisor;
use crate::data::{Builtin, DatasetSummary};
use crate::worker::protocol::Request;

/// Megabytes with one decimal, for progress text.
fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Opens the chosen or dropped files as the dataset.
fn open_files(files: FileList, datasets: DatasetState) {
    let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
    if !files.is_empty() {
        supervisor::load_files(files, datasets);
    }
}

/// Reads `files` and hands their bytes to the worker.
pub(super) fn send_files(files: Vec<web_sys::File>, datasets: DatasetState) {
    datasets.loading.set(true);
    datasets.error.set(None);
    wasm_bindgen_futures::spawn_local(async move {
        let mut names = Vec::new();
        let mut buffers = Vec::new();
        for file in files {
            match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => {
                    names.push(file.name());
                    buffers.push(buffer.unchecked_into::<ArrayBuffer>());
                }
                Err(_) => {
                    datasets.loading.set(false);
                    datasets.error.set(Some(format!(
                        "{}: the browser could not read this file",
                        file.name()
                    )));
                    return;
                }
            }
        }
        bridge::send(&Request::LoadFiles { names }, &buffers);
    });
}

#[component]
pub fn DatasetControls() -> impl IntoView {
    let datasets = expect_context::<DatasetState>();
    let train = expect_context::<super::state::TrainState>();
    let choice = RwSignal::new(Builtin::Mnist);

    // Files dropped anywhere on the page are opened as a dataset.
    let drag = window_event_listener(ev::dragover, |e| e.prevent_default());
    let drop = window_event_listener(ev::drop, move |e| {
        e.prevent_default();
        let Some(transfer) = e.data_transfer() else {
            return;
        };
        // A folder of images (one sub-folder per class) loads as the learner's own images.
        if super::own_images::drop_folder(&transfer, datasets) {
            return;
        }
        if let Some(files) = transfer.files() {
            // A model file dropped anywhere opens as the current model, a zip as images;
            // anything else is taken for IDX files.
            let all: Vec<web_sys::File> =
                (0..files.length()).filter_map(|i| files.get(i)).collect();
            let named = |end: &str| {
                all.iter()
                    .find(|f| f.name().to_lowercase().ends_with(end))
                    .cloned()
            };
            match (named(".safetensors"), named(".zip")) {
                (Some(file), _) => bridge::open_model(file, train),
                (None, Some(zip)) => super::own_images::open_zip(zip, datasets),
                (None, None) => open_files(files, datasets),
            }
        }
    });
    on_cleanup(move || {
        drag.remove();
        drop.remove();
    });

    let on_pick = move |e: ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&e);
        if let Some(files) = input.files() {
            open_files(files, datasets);
        }
        // Let the same file be chosen again after fixing it.
        input.set_value("");
    };

    view! {
        <div class="dataset-controls" data-testid="dataset-panel">
            <select
                data-testid="dataset-select"
                title="The datasets served with the app: 70 000 greyscale 28×28 images in 10 classes each. Choose one, then Load."
                on:change=move |e| {
                    let v = event_target_value(&e);
                    choice.set(if v == "fashion" { Builtin::FashionMnist } else { Builtin::Mnist });
                }
            >
                <option value="mnist">"MNIST (handwritten digits)"</option>
                <option value="fashion">"Fashion-MNIST (clothing)"</option>
            </select>
            <button
                data-testid="dataset-load"
                title="Load the chosen dataset"
                disabled=move || datasets.loading.get()
                on:click=move |_| supervisor::load_builtin(choice.get(), datasets)
            >
                "Load"
            </button>
            <label class="file-button" title="Your own IDX files (raw or .gz): an images file and a labels file, plus optionally the test pair (names with 't10k' or 'test'). You can also drop them anywhere on the page.">
                "Open IDX…"
                <input type="file" multiple data-testid="dataset-files" on:change=on_pick/>
            </label>
            <super::own_images::OwnImages/>
            <ProgressLine/>
            {move || datasets.summary.get().map(|summary| view! { <Counts summary/> })}
            <super::own_images::LeftOut/>
            {move || datasets.error.get().map(|message| view! {
                <p class="error" role="alert" data-testid="dataset-error" title=message.clone()>{message.clone()}</p>
            })}
        </div>
    }
}

/// The loaded dataset in a few words, for the top bar.
#[component]
fn Counts(summary: DatasetSummary) -> impl IntoView {
    view! {
        <span class="muted counts" title="The loaded dataset: images to train on (some held out for validation) and test images never trained on">
            <strong data-testid="dataset-name">{summary.name.clone()}</strong>
            {format!(" {}×{}{} · {} classes · ", summary.rows, summary.cols, if summary.channels == 3 { " RGB" } else { "" }, summary.class_names.len())}
            <span data-testid="count-train">{summary.train_count}</span>
            " train · "
            <span data-testid="count-test">{summary.test_count}</span>
            " test"
        </span>
    }
}

/// The dataset in detail (a tab): counts per class, load timing, sample images.
#[component]
pub fn DatasetDetails() -> impl IntoView {
    let datasets = expect_context::<DatasetState>();
    view! {
        <section class="card" data-testid="dataset-details">
            <h2>"The data"</h2>
            {move || datasets.summary.get().map(|summary| view! { <Summary summary/> })}
            <Show when=move || datasets.summary.with(|s| s.is_none())>
                <p class="muted">"Class counts and sample images appear here once a dataset is loaded."</p>
            </Show>
            <SampleGrid/>
        </section>
    }
}

/// The download progress bar, shown while a dataset loads.
#[component]
fn ProgressLine() -> impl IntoView {
    let datasets = expect_context::<DatasetState>();
    move || {
        if !datasets.loading.get() {
            return None;
        }
        let progress = datasets.progress.get();
        let (text, received, total) = match &progress {
            Some(p) if p.images => (
                format!("{}: {} of {} images", p.what, p.received, p.total),
                p.received,
                p.total,
            ),
            Some(p) if p.total > 0 => (
                format!("{}: {} of {}", p.what, mb(p.received), mb(p.total)),
                p.received,
                p.total,
            ),
            Some(p) => (format!("{}: {}", p.what, mb(p.received)), 0, 0),
            None => ("Starting…".to_string(), 0, 0),
        };
        Some(view! {
            <div class="progress" data-testid="dataset-progress">
                <progress max=total.max(1) value=received></progress>
                <span>{text}</span>
            </div>
        })
    }
}

/// Counts per split and per class of the loaded dataset.
#[component]
fn Summary(summary: DatasetSummary) -> impl IntoView {
    let datasets = expect_context::<DatasetState>();
    // What the worker timed: IDX files are inflated and parsed, images decoded and resized.
    let work = if summary.photos {
        "decode and resize"
    } else {
        "inflate and parse"
    };
    let largest = summary
        .train_class_counts
        .iter()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let rows = summary
        .class_names
        .iter()
        .zip(
            summary
                .train_class_counts
                .iter()
                .zip(&summary.test_class_counts),
        )
        .map(|(name, (&train, &test))| {
            let width = format!("width: {:.1}%", 100.0 * train as f64 / largest as f64);
            view! {
                <tr>
                    <td>{name.clone()}</td>
                    <td class="num">{train}</td>
                    <td class="num">{test}</td>
                    <td class="bar-cell"><span class="bar" style=width></span></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="summary">
            <p>
                {format!("{} · {}×{} pixels{} · {} classes · {} training images · {} test images", summary.name, summary.rows, summary.cols, if summary.channels == 3 { ", RGB" } else { "" }, summary.class_names.len(), summary.train_count, summary.test_count)}
            </p>
            {move || datasets.ready_ms.get().map(|(ready, parse)| view! {
                <p class="muted" data-testid="dataset-timing">
                    {format!("Ready {:.0} ms after the page opened ({:.0} ms to {}).", ready, parse, work)}
                </p>
            })}
            <table class="class-counts" data-testid="class-counts">
                <thead><tr><th>"Class"</th><th>"Train"</th><th>"Test"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
