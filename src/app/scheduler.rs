//! The page's async executor, on which Leptos runs every effect.
//!
//! wasm-bindgen-futures polls every woken task in one microtask checkpoint. A worker message
//! that updates the loss chart, three histograms, the filter grid and a dozen figures woke
//! twenty effects and ran them all in the message's task: on a slow machine, 100–175 ms in
//! which the page could not answer a click. This executor starts the same way, in a
//! microtask, so a short update still lands before the next paint; but after
//! [`SLICE_MS`] it stops and continues in a fresh task (a `MessageChannel` message), letting
//! input and painting in between. A single effect is never split; each one is short.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use any_spawner::{CustomExecutor, Executor, PinnedFuture, PinnedLocalFuture};
use wasm_bindgen::prelude::*;

use crate::clock::now_ms;

/// How long one run of the queue may take before it yields to the browser.
const SLICE_MS: f64 = 8.0;

type Task = Pin<Box<dyn Future<Output = ()>>>;

/// The tasks and the queue of woken ones, for this (the only) thread.
#[derive(Default)]
struct Queue {
    tasks: RefCell<HashMap<u64, Task>>,
    ready: RefCell<VecDeque<u64>>,
    queued: RefCell<HashSet<u64>>,
    next_id: Cell<u64>,
    /// A run of the queue is already scheduled.
    scheduled: Cell<bool>,
}

thread_local! {
    static QUEUE: Queue = Queue::default();
    /// The callbacks and the channel that schedule runs; made once, kept for the page's life.
    static HOOKS: Hooks = Hooks::new();
}

struct Hooks {
    microtask: Closure<dyn FnMut(JsValue)>,
    channel: web_sys::MessageChannel,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl Hooks {
    fn new() -> Self {
        let channel =
            web_sys::MessageChannel::new().expect("MessageChannel exists in every browser");
        let on_message = Closure::new(|_: web_sys::MessageEvent| run());
        channel
            .port1()
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Hooks {
            microtask: Closure::new(|_: JsValue| run()),
            channel,
            _on_message: on_message,
        }
    }
}

/// Wakes by task number, so the waker holds no pointer into the (single-threaded) queue.
struct TaskWaker(u64);

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        wake(self.0);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        wake(self.0);
    }
}

fn wake(id: u64) {
    let first = QUEUE.with(|q| {
        if q.queued.borrow_mut().insert(id) {
            q.ready.borrow_mut().push_back(id);
        }
        !q.scheduled.replace(true)
    });
    if first {
        // A microtask: the update lands before the browser paints, as it did before.
        HOOKS.with(|h| {
            let _ = js_sys::Promise::resolve(&JsValue::NULL).then(&h.microtask);
        });
    }
}

/// Polls woken tasks until the queue is empty or the slice is used up; then, if work is left,
/// continues in a new task.
fn run() {
    let start = now_ms();
    loop {
        let Some(id) = QUEUE.with(|q| {
            let id = q.ready.borrow_mut().pop_front()?;
            q.queued.borrow_mut().remove(&id);
            Some(id)
        }) else {
            QUEUE.with(|q| q.scheduled.set(false));
            return;
        };
        // Out of the map while it runs: it may spawn or wake tasks, which touch the map.
        let Some(mut task) = QUEUE.with(|q| q.tasks.borrow_mut().remove(&id)) else {
            continue; // finished already; a stale wake
        };
        let waker = Waker::from(Arc::new(TaskWaker(id)));
        if task.as_mut().poll(&mut Context::from_waker(&waker)) == Poll::Pending {
            QUEUE.with(|q| q.tasks.borrow_mut().insert(id, task));
        }
        if now_ms() - start > SLICE_MS {
            let more = QUEUE.with(|q| !q.ready.borrow().is_empty());
            if more {
                HOOKS.with(|h| {
                    let _ = h.channel.port2().post_message(&JsValue::NULL);
                });
                return; // `scheduled` stays set: the message continues this run
            }
        }
    }
}

fn spawn(task: Task) {
    let id = QUEUE.with(|q| {
        let id = q.next_id.get();
        q.next_id.set(id + 1);
        q.tasks.borrow_mut().insert(id, task);
        id
    });
    wake(id);
}

struct SlicedExecutor;

impl CustomExecutor for SlicedExecutor {
    fn spawn(&self, fut: PinnedFuture<()>) {
        spawn(fut);
    }
    fn spawn_local(&self, fut: PinnedLocalFuture<()>) {
        spawn(fut);
    }
    /// Tasks run when the browser gives us a turn; there is nothing to poll synchronously.
    fn poll_local(&self) {}
}

/// Makes this the executor for Leptos; call before mounting (Leptos then keeps it).
pub fn install() {
    if Executor::init_local_custom_executor(SlicedExecutor).is_err() {
        web_sys::console::warn_1(&"an executor was already set; effects run unsliced".into());
    }
}
