//! The CPU's threads on the page: which worker build to start, how many threads to ask for
//! (the learner chooses; all cores by default), how many run, and why only one when the page
//! is not cross-origin isolated.

use leptos::prelude::*;

use super::bridge;
use super::state::TrainState;
use crate::worker::protocol::{Request, RunMode};

/// What the worker reported about its CPU threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuThreads {
    pub running: usize,
    pub most: usize,
    pub threaded: bool,
}

/// Whether the page is cross-origin isolated, which shared memory (wasm threads) needs.
pub fn isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .map(|v| v.is_truthy())
        .unwrap_or(false)
}

/// The worker script: the threaded build when the page may share memory, else the other.
pub fn worker_script() -> &'static str {
    if isolated() {
        "./worker_mt_loader.js"
    } else {
        "./worker_loader.js"
    }
}

/// The browser's count of logical cores (`navigator.hardwareConcurrency`), at least 1.
pub fn cores() -> usize {
    web_sys::window()
        .map_or(1, |w| w.navigator().hardware_concurrency() as usize)
        .max(1)
}

/// Why the CPU trains on one thread here, when the page is not isolated.
pub const NOT_ISOLATED: &str = "The CPU trains on 1 thread: this page is not cross-origin isolated \
(its server sends no Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy headers), so the \
browser gives it no shared memory for threads. make serve sends them; the README says how for other hosts.";

/// Asks the worker for the learner's number of threads (on start and on every change).
pub fn ask(state: TrainState) {
    bridge::send(
        &Request::SetThreads {
            threads: state.threads_wanted.get_untracked(),
        },
        &[],
    );
}

/// The number of CPU threads: chosen here, the count running shown beside it.
#[component]
pub fn ThreadsChoice() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let busy = move || matches!(state.mode.get(), RunMode::Running);
    // More threads than cores is allowed (slower, and the same result).
    let cores = cores();
    let max = cores.max(16);
    let running = move || state.threads.get().map_or(1, |t| t.running);
    view! {
        <label class="field" title=format!("CPU threads the kernels run on (this machine has {cores} logical cores; more is allowed but slower); the result is the same bit for bit with any number")>"threads"
            <input type="number" min="1" max=max.to_string() data-testid="cfg-threads"
                disabled=move || busy() || !isolated()
                // Not isolated, the one thread there is, not what cannot be had.
                prop:value=move || if isolated() { state.threads_wanted.get().to_string() } else { "1".into() }
                on:change=move |e| {
                    if let Ok(n) = event_target_value(&e).parse::<usize>() {
                        state.threads_wanted.set(n.clamp(1, max));
                        ask(state);
                    }
                }/>
            <span class="muted" data-testid="cpu-threads">{move || match running() {
                1 => "1 running".to_string(),
                n => format!("{n} running"),
            }}</span>
        </label>
    }
}
