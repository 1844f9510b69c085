//! Figures computed from the weights keep up with training. While a run trains, the page
//! asks again, every [`REFRESH_MS`], for the test gallery's page and for the chosen image's
//! probabilities and feature maps; each answer names the batch its weights come from. One
//! question of each kind is in flight at a time, so a slow backend is never asked more
//! often than it answers.

use std::cell::Cell;
use std::time::Duration;

use leptos::prelude::*;

use super::bridge;
use super::state::TrainState;
use crate::clock::now_ms;
use crate::worker::protocol::{Request, RunMode};

/// How often the figures are recomputed while training.
pub const REFRESH_MS: u64 = 1500;
/// A question unanswered for this long is taken as lost (say, by a worker that died).
const LOST_MS: f64 = 15_000.0;
/// Test images per gallery page.
pub const GALLERY_PAGE: usize = 24;

#[derive(Debug, Clone, Copy)]
pub enum Ask {
    Gallery,
    Prediction,
}

thread_local! {
    /// When each kind of question was last sent and not yet answered.
    static IN_FLIGHT: [Cell<Option<f64>>; 2] = const { [Cell::new(None), Cell::new(None)] };
}

/// Marks `ask` as sent; false if one is still in flight.
fn ask(kind: Ask) -> bool {
    IN_FLIGHT.with(|f| {
        let slot = &f[kind as usize];
        if slot.get().is_some_and(|t| now_ms() - t < LOST_MS) {
            return false;
        }
        slot.set(Some(now_ms()));
        true
    })
}

/// The worker answered `kind`.
pub fn answered(kind: Ask) {
    IN_FLIGHT.with(|f| f[kind as usize].set(None));
}

/// The gallery page starting at `start`, from the weights now.
pub fn request_gallery(start: usize) {
    ask(Ask::Gallery);
    bridge::send(
        &Request::TestGallery {
            start,
            count: GALLERY_PAGE,
        },
        &[],
    );
}

/// The chosen image's probabilities and every layer's output, from the weights now.
pub fn request_prediction(pixels: Vec<u8>) {
    ask(Ask::Prediction);
    bridge::send(
        &Request::Predict {
            pixels,
            feature_maps: true,
        },
        &[],
    );
}

/// Starts the refresh for the page's life.
pub fn start(state: TrainState) {
    let tick = move || {
        if state.mode.get_untracked() != RunMode::Running {
            return;
        }
        if let Some(start) = state
            .gallery
            .with_untracked(|g| g.as_ref().map(|g| g.start))
        {
            if ask(Ask::Gallery) {
                answered(Ask::Gallery);
                request_gallery(start);
            }
        }
        if let Some(pixels) = state
            .predicted_input
            .with_untracked(|i| i.as_ref().map(|i| i.pixels.clone()))
        {
            if ask(Ask::Prediction) {
                answered(Ask::Prediction);
                request_prediction(pixels);
            }
        }
    };
    // The handle is dropped on purpose: the refresh lasts as long as the page.
    let _ = set_interval_with_handle(tick, Duration::from_millis(REFRESH_MS));
}

/// Test hook: `window.__trainerInside()` returns, as JSON, what the page shows of the
/// chosen image: `{ step, probabilities, maps: [{ layer, name, shape, values }] }`, so an
/// end-to-end test can check it against a forward pass of its own.
pub fn install_test_hook(state: TrainState) {
    let hook = wasm_bindgen::closure::Closure::<dyn Fn() -> String>::new(move || {
        let maps = state.feature_maps.with_untracked(serde_json::to_string);
        let probabilities = state.prediction.with_untracked(serde_json::to_string);
        let step = state.prediction_step.get_untracked();
        format!(
            r#"{{"step":{},"probabilities":{},"maps":{}}}"#,
            step.map_or("null".into(), |s| s.to_string()),
            probabilities.unwrap_or_else(|_| "null".into()),
            maps.unwrap_or_else(|_| "[]".into())
        )
    });
    if let Some(w) = web_sys::window() {
        let _ = js_sys::Reflect::set(&w, &"__trainerInside".into(), hook.as_ref());
    }
    hook.forget();
}
