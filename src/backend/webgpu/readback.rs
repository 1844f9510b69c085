//! A one-shot future for `map_async` callbacks: in the browser the callback runs on a later
//! turn of the event loop, so read-back is awaited, never waited for.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct State {
    value: Option<bool>,
    waker: Option<Waker>,
}

/// The future side of [`oneshot`].
pub struct Receiver(Arc<Mutex<State>>);

impl Future for Receiver {
    type Output = bool;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let mut state = self.0.lock().expect("oneshot state");
        match state.value {
            Some(v) => Poll::Ready(v),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// A future and the function that completes it with `true` (success) or `false`.
pub fn oneshot() -> (Receiver, impl FnOnce(bool) + Send + 'static) {
    let state = Arc::new(Mutex::new(State::default()));
    let sender = {
        let state = state.clone();
        move |value: bool| {
            let mut s = state.lock().expect("oneshot state");
            s.value = Some(value);
            if let Some(w) = s.waker.take() {
                w.wake();
            }
        }
    };
    (Receiver(state), sender)
}
