//! The worker's CPU threads. The threaded build (scripts/build-threads.sh: atomics, shared
//! memory) starts helper web workers, `cpu_helper.js`, that instantiate this module on the
//! worker's own memory and run kernel parts (`backend::cpu::threads`); the page uses it only
//! when cross-origin isolated. The other build has the worker's thread alone.

use crate::backend::cpu::threads;

/// Threads the learner asked for, and helpers asked to start so far.
#[cfg(target_feature = "atomics")]
mod state {
    use std::cell::Cell;
    thread_local! {
        pub static REQUESTED: Cell<usize> = const { Cell::new(1) };
        pub static SPAWNED: Cell<usize> = const { Cell::new(0) };
    }
}

/// (threads running, the most this worker can run now).
pub fn counts() -> (usize, usize) {
    (threads::threads(), threads::helpers() + 1)
}

/// Asks for `n` CPU threads; starts helpers as needed (they join when ready, and
/// `on_change` is called each time one does).
#[cfg(target_feature = "atomics")]
pub fn request(n: usize, on_change: impl Fn() + Clone + 'static) {
    use wasm_bindgen::prelude::*;
    let n = n.clamp(1, threads::MAX_THREADS);
    state::REQUESTED.with(|r| r.set(n));
    while state::SPAWNED.with(|s| s.get()) < n - 1 {
        let index = state::SPAWNED.with(|s| {
            s.set(s.get() + 1);
            s.get()
        });
        let worker = match web_sys::Worker::new("./cpu_helper.js") {
            Ok(w) => w,
            Err(e) => {
                web_sys::console::error_2(&"a CPU helper did not start".into(), &e);
                break;
            }
        };
        let on_change = on_change.clone();
        let ready = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
            threads::set_threads(state::REQUESTED.with(|r| r.get()));
            on_change();
        });
        worker.set_onmessage(Some(ready.as_ref().unchecked_ref()));
        // The helper runs as long as the worker; so do its handler and handle.
        ready.forget();
        let message = js_sys::Array::of3(
            &wasm_bindgen::module(),
            &wasm_bindgen::memory(),
            &JsValue::from(index),
        );
        if let Err(e) = worker.post_message(&message) {
            web_sys::console::error_2(&"a CPU helper was not given its module".into(), &e);
        }
        std::mem::forget(worker);
    }
    threads::set_threads(n);
}

/// Without atomics there is one thread, whatever is asked.
#[cfg(not(target_feature = "atomics"))]
pub fn request(_n: usize, _on_change: impl Fn() + Clone + 'static) {}

/// Whether this build can run more than one thread.
pub const THREADED: bool = cfg!(target_feature = "atomics");

/// A helper's life, called by `cpu_helper.js` once the module is instantiated on the
/// worker's memory: say it is ready, then run kernel parts until the page closes.
#[cfg(target_feature = "atomics")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn cpu_helper_main(index: usize) {
    use wasm_bindgen::JsCast;
    threads::helper_started();
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let _ = scope.post_message(&wasm_bindgen::JsValue::from(index));
    threads::helper_loop(index)
}

/// Whether this instance is a CPU helper (set by `cpu_helper.js` before it instantiates the
/// module, so the worker binary's `main` knows not to start a second worker).
pub fn is_helper() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"__trainerCpuHelper".into())
        .map(|v| v.is_truthy())
        .unwrap_or(false)
}

/// Resolves after `ms` milliseconds (the worker's event loop runs meanwhile).
pub async fn pause_ms(ms: i32) {
    use wasm_bindgen::JsCast;
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = scope.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
