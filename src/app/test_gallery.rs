//! The model's answers on test images it never trained on: a page at a time, right ones
//! and wrong ones as they come. Clicking an image shows its class probabilities and feature
//! maps beside the drawing pad.

use leptos::prelude::*;

use super::draw_pad::predict_image;
use super::images::{draw_stored, Look};
use super::state::{DatasetState, TrainState};
use crate::worker::protocol::{RunMode, TestPrediction};

pub use super::live::GALLERY_PAGE as PAGE;

pub fn request_page(start: usize) {
    super::live::request_gallery(start);
}

#[component]
pub fn TestGallery() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<DatasetState>();
    let has_model = move || state.mode.get() != RunMode::Idle;
    let start = move || state.gallery.with(|g| g.as_ref().map_or(0, |g| g.start));
    let total = move || state.gallery.with(|g| g.as_ref().map_or(0, |g| g.total));
    // A fresh page whenever the model stops changing (paused, finished, opened) and at
    // each validation pass while it trains: the answers follow the model.
    Effect::new(move || {
        let mode = state.mode.get();
        state.validation.track();
        if matches!(mode, RunMode::Paused | RunMode::Finished | RunMode::Running) {
            request_page(
                state
                    .gallery
                    .with_untracked(|g| g.as_ref().map_or(0, |g| g.start)),
            );
        }
    });
    let step = move |forward: bool| {
        let n = total().max(1);
        let at = if forward {
            (start() + PAGE) % n
        } else {
            (start() + n - PAGE % n) % n
        };
        request_page(at);
    };
    let random = move |_| {
        let n = total().max(1);
        request_page((js_sys::Math::random() * n as f64) as usize);
    };
    let tile = move |item: TestPrediction| {
        let names = datasets.summary.with_untracked(|s| {
            s.as_ref()
                .map(|s| s.class_names.clone())
                .unwrap_or_default()
        });
        let name = |c: u8| {
            names
                .get(c as usize)
                .cloned()
                .unwrap_or_else(|| c.to_string())
        };
        let right = item.label == item.predicted;
        let caption = if right {
            format!("{} {:.0}%", name(item.predicted), 100.0 * item.confidence)
        } else {
            format!(
                "{} → {} {:.0}%",
                name(item.label),
                name(item.predicted),
                100.0 * item.confidence
            )
        };
        let title = format!(
            "test image #{}, labelled {}: the model says {} ({:.1}%). Click to see its feature maps.",
            item.index,
            name(item.label),
            name(item.predicted),
            100.0 * item.confidence
        );
        let look = datasets.summary.with_untracked(|s| Look::of(s.as_ref()));
        let canvas = NodeRef::<leptos::html::Canvas>::new();
        let stored = item.pixels.clone();
        Effect::new(move || {
            if let Some(c) = canvas.get() {
                let _ = draw_stored(&c, &[(&stored, None)], look, 2, 1);
            }
        });
        let chosen = format!("test image #{}, labelled {}", item.index, name(item.label));
        let pixels = item.pixels;
        view! {
            <button class="test-image" class:wrong=!right title=title
                data-testid=format!("test-image-{}", item.index)
                on:click=move |_| predict_image(state, chosen.clone(), pixels.clone())>
                <canvas node_ref=canvas class="pixelated" width="0" height="0"></canvas>
                <span>{caption}</span>
            </button>
        }
    };
    view! {
        <section class="card" data-testid="test-gallery">
            <h2>"Test images"</h2>
            <p class="muted">"Images the model never trained on, with its answer and how sure it is. Wrong answers are in red (true → predicted). Click one to see how each layer sees it."</p>
            <div class="controls">
                <button data-testid="gallery-previous" title="The page of test images before this one" disabled=move || !has_model() on:click=move |_| step(false)>"◀ Previous"</button>
                <button data-testid="gallery-next" title="The next page of test images" disabled=move || !has_model() on:click=move |_| step(true)>"Next ▶"</button>
                <button data-testid="gallery-random" title="A page of test images from anywhere in the test set" disabled=move || !has_model() on:click=random>"Random page"</button>
                <span class="muted" data-testid="gallery-summary">{move || state.gallery.with(|g| match g {
                    Some(g) => {
                        let right = g.items.iter().filter(|i| i.label == i.predicted).count();
                        format!("images {}–{} of {}: {right} of {} right, after batch {}", g.start + 1, g.start + g.items.len(), g.total, g.items.len(), g.step)
                    }
                    None if has_model() => "asking the model…".to_string(),
                    None => "Train or open a model to see its answers.".to_string(),
                })}</span>
            </div>
            <div class="test-images">
                {move || state.gallery.get().map(|g| g.items.into_iter().map(tile).collect_view())}
            </div>
        </section>
    }
}
