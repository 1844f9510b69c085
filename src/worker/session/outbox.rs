//! The session's pace: train events go to the page in batches at a bounded rate, and long
//! work yields to the worker's event loop so that new requests are read.

use wasm_bindgen::prelude::*;

use crate::clock::now_ms;
use crate::train::TrainEvent;
use crate::worker::protocol::Event;

/// Step metrics are batched into one message per this many milliseconds (each message
/// redraws the charts on the main thread).
const POST_EVERY_MS: f64 = 200.0;
/// The loops yield to the event loop after this much work, to read new requests.
pub(super) const YIELD_EVERY_MS: f64 = 15.0;

/// Collects train events and posts them in batches; other events are posted at once.
pub(super) struct Outbox {
    events: Vec<TrainEvent>,
    last_post: f64,
    post: fn(&Event),
}

impl Outbox {
    pub fn new(post: fn(&Event)) -> Outbox {
        Outbox {
            events: Vec::new(),
            last_post: now_ms(),
            post,
        }
    }

    /// Posts an event now (train events waiting before it are not flushed).
    pub fn post(&self, event: &Event) {
        (self.post)(event)
    }

    /// The function that posts to the page, for a task that runs beside the session.
    pub fn poster(&self) -> fn(&Event) {
        self.post
    }

    pub fn push(&mut self, events: Vec<TrainEvent>) {
        self.events.extend(events);
    }

    /// Posts now if anything but step metrics is waiting or the interval has passed.
    pub fn post_if_due(&mut self) {
        let urgent = self
            .events
            .iter()
            .any(|e| !matches!(e, TrainEvent::Step(_) | TrainEvent::Snapshot(_)));
        if urgent || now_ms() - self.last_post >= POST_EVERY_MS {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        if !self.events.is_empty() {
            (self.post)(&Event::Train {
                events: std::mem::take(&mut self.events),
            });
        }
        self.last_post = now_ms();
    }
}

/// Yields to the event loop when `YIELD_EVERY_MS` have passed since `last_yield`.
pub(super) async fn yield_if_due(last_yield: &mut f64) {
    if now_ms() - *last_yield >= YIELD_EVERY_MS {
        yield_now().await;
        *last_yield = now_ms();
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
