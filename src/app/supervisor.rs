//! The worker's life as the page sees it: which dataset it holds, so that a new worker can
//! load it again, and a new worker when the old one dies (a panic, a trap, memory running
//! out). The page keeps its settings, its charts and the dataset's summary; the learner is
//! told why in plain words, and Train works again without a reload.

use std::cell::{Cell, RefCell};

use leptos::prelude::*;

use super::bridge;
use super::state::{DatasetState, TrainState};
use crate::data::Builtin;
use crate::worker::protocol::RunMode;

/// Where a dataset came from: enough to load it again into a new worker. A `File` the
/// learner chose stays readable for as long as the page lives.
#[derive(Clone)]
enum Source {
    Builtin(Builtin),
    Files(Vec<web_sys::File>),
    Images(super::own_images::Chosen),
}

thread_local! {
    /// Which worker is current; events of an older one are ignored.
    static GENERATION: Cell<u32> = const { Cell::new(0) };
    /// Asked of the worker, not loaded yet.
    static PENDING: RefCell<Option<Source>> = const { RefCell::new(None) };
    /// What the worker holds.
    static LOADED: RefCell<Option<Source>> = const { RefCell::new(None) };
    /// A new worker is loading the old one's dataset: if it dies too, do not try again.
    static RELOADING: Cell<bool> = const { Cell::new(false) };
}

/// The generation of the worker started now.
pub fn generation() -> u32 {
    GENERATION.with(Cell::get)
}

/// Asks the worker to load a built-in dataset.
pub fn load_builtin(builtin: Builtin, datasets: DatasetState) {
    PENDING.with(|p| *p.borrow_mut() = Some(Source::Builtin(builtin)));
    datasets.loading.set(true);
    datasets.error.set(None);
    datasets.progress.set(None);
    bridge::send(&crate::worker::protocol::Request::LoadBuiltin(builtin), &[]);
}

/// Reads the learner's files and hands them to the worker.
pub fn load_files(files: Vec<web_sys::File>, datasets: DatasetState) {
    PENDING.with(|p| *p.borrow_mut() = Some(Source::Files(files.clone())));
    super::dataset_panel::send_files(files, datasets);
}

/// Reads the learner's images (a folder's files or a zip) and hands them to the worker.
pub fn load_images(chosen: super::own_images::Chosen, datasets: DatasetState) {
    PENDING.with(|p| *p.borrow_mut() = Some(Source::Images(chosen.clone())));
    super::own_images::send(chosen, datasets);
}

/// The worker has the dataset it was asked for.
pub fn loaded() {
    RELOADING.with(|r| r.set(false));
    if let Some(source) = PENDING.with(|p| p.borrow_mut().take()) {
        LOADED.with(|l| *l.borrow_mut() = Some(source));
    }
}

/// The worker could not load it: what it held before stays.
pub fn load_failed() {
    PENDING.with(|p| p.borrow_mut().take());
}

/// A worker is ready: a new one loads what the last one held (MNIST at first).
pub fn ready(datasets: DatasetState) {
    match LOADED.with(|l| l.borrow_mut().take()) {
        None => load_builtin(Builtin::Mnist, datasets),
        Some(Source::Builtin(b)) => {
            RELOADING.with(|r| r.set(true));
            load_builtin(b, datasets)
        }
        Some(Source::Files(files)) => {
            RELOADING.with(|r| r.set(true));
            load_files(files, datasets)
        }
        Some(Source::Images(chosen)) => {
            RELOADING.with(|r| r.set(true));
            load_images(chosen, datasets)
        }
    }
}

/// What a worker's last words mean, for a learner.
fn plain(message: &str) -> String {
    let m = message.to_lowercase();
    if m.contains("capacity overflow") || m.contains("memory") || m.contains("allocat") {
        format!("it ran out of memory ({message})")
    } else if m.contains("unreachable") {
        format!("it ran out of memory or hit an internal error ({message})")
    } else {
        format!("it hit an internal error ({message})")
    }
}

/// Worker `generation` died with `message`: start a new one and go back to idle, keeping
/// the settings, the charts and the dataset (loaded again into the new worker).
pub fn died(generation: u32, message: &str, datasets: DatasetState, train: TrainState) {
    if GENERATION.with(Cell::get) != generation {
        return;
    }
    GENERATION.with(|g| g.set(generation + 1));
    web_sys::console::error_1(&format!("the worker died: {message}").into());
    // A dataset that killed its loader is not asked for again.
    PENDING.with(|p| p.borrow_mut().take());
    if RELOADING.with(|r| r.replace(false)) {
        LOADED.with(|l| l.borrow_mut().take());
    }
    bridge::terminate();
    train.mode.set(RunMode::Idle);
    train.notice.set(None);
    train.error.set(Some(format!(
        "The training engine stopped: {}. A new one has started with your data and \
         settings; the charts of the run so far are kept. Press Train to start again.",
        plain(message)
    )));
    datasets.loading.set(true);
    bridge::spawn(datasets, train);
}
