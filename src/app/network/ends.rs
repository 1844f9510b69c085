//! The two ends of the picture: the chosen image on the left (a test image picked with ◀ ▶,
//! or the drawing pad), the class probabilities on the right.

use leptos::html;
use leptos::prelude::*;

use super::super::draw_pad::predict_image;
use super::super::images::{draw_pixels, Look};
use super::super::state::{DatasetState, TrainState};
use super::super::tabs::ActiveTab;
use super::super::test_gallery::{request_page, PAGE};
use crate::worker::protocol::TestPrediction;

fn class_names(datasets: &DatasetState) -> Vec<String> {
    datasets.summary.with(|s| {
        s.as_ref()
            .map(|s| s.class_names.clone())
            .unwrap_or_default()
    })
}

/// Shows a test image's activations: asks the worker and remembers which one it is.
fn choose(state: TrainState, datasets: DatasetState, item: &TestPrediction) {
    let names = class_names(&datasets);
    let label = names
        .get(item.label as usize)
        .cloned()
        .unwrap_or_else(|| item.label.to_string());
    predict_image(
        state,
        format!("test image #{}, labelled {label}", item.index),
        item.pixels.clone(),
    );
}

#[component]
pub fn InputBlock(height: RwSignal<f64>) -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<DatasetState>();
    let tab = expect_context::<ActiveTab>();
    let canvas = NodeRef::<html::Canvas>::new();
    // Which test image is shown, and the page asked for when ◀ ▶ went past this one.
    let chosen = RwSignal::new(None::<usize>);
    let pending = RwSignal::new(None::<bool>);
    let pixels = move || {
        state
            .predicted_input
            .with(|i| i.as_ref().map(|i| i.pixels.clone()))
            .or_else(|| {
                datasets
                    .samples
                    .with(|s| s.first().map(|s| s.pixels.clone()))
            })
    };
    Effect::new(move || {
        let (Some(c), Some(p)) = (canvas.get(), pixels()) else {
            return;
        };
        let look = datasets.summary.with(|s| Look::of(s.as_ref()));
        let side = look.rows.max(look.cols);
        let scale = ((height.get() * 0.3) / side.max(1) as f64).clamp(1.0, 4.0) as usize;
        // Colour: four panels in a 2×2 grid, each half as large.
        let scale = if look.channels == 3 {
            scale.div_ceil(2)
        } else {
            scale
        };
        // A colour image with its red, green and blue channels: the three maps the first
        // layer's filters see.
        let _ = draw_pixels(&c, &p, look, scale, true);
    });
    // A new page of test images: show the one ◀ ▶ went to, or the first when none is shown.
    Effect::new(move || {
        state.gallery.with(|g| {
            let Some(g) = g else { return };
            let want = match pending.get_untracked() {
                Some(true) => g.items.first(),
                Some(false) => g.items.last(),
                None if state.predicted_input.with_untracked(|i| i.is_none()) => g.items.first(),
                None => None,
            };
            if let Some(item) = want {
                chosen.set(Some(item.index));
                choose(state, datasets, item);
            }
            pending.set(None);
        });
    });
    // The chosen image again through the model as it is now, at each validation pass and
    // whenever the run stops changing the weights (paused, finished): the blocks follow.
    Effect::new(move || {
        state.validation.track();
        let mode = state.mode.get();
        if mode == crate::worker::protocol::RunMode::Idle {
            return;
        }
        if let Some(input) = state.predicted_input.get_untracked() {
            predict_image(state, input.caption, input.pixels);
        }
    });
    let step = move |forward: bool| {
        let Some(g) = state.gallery.get_untracked() else {
            return;
        };
        let at = chosen
            .get_untracked()
            .and_then(|c| g.items.iter().position(|it| it.index == c));
        let next = match at {
            Some(p) if forward && p + 1 < g.items.len() => Some(p + 1),
            Some(p) if !forward && p > 0 => Some(p - 1),
            None if !g.items.is_empty() => Some(0),
            _ => None,
        };
        match next {
            Some(p) => {
                chosen.set(Some(g.items[p].index));
                choose(state, datasets, &g.items[p]);
            }
            None => {
                let n = g.total.max(1);
                pending.set(Some(forward));
                request_page(if forward {
                    (g.start + PAGE) % n
                } else {
                    (g.start + n - PAGE % n) % n
                });
            }
        }
    };
    let no_gallery = move || state.gallery.with(|g| g.is_none());
    let caption = move || {
        state.predicted_input.with(|i| match i {
            Some(i) => i.caption.clone(),
            None => "a training image".to_string(),
        })
    };
    view! {
        <div class="block input-block" data-testid="input-block">
            <div class="op">"input"</div>
            <canvas node_ref=canvas class="pixelated" data-testid="input-image" width="0" height="0"></canvas>
            <div class="muted caption" data-testid="input-caption">{caption}</div>
            <div class="chooser">
                <button class="small" data-testid="image-previous" title="The test image before this one" disabled=no_gallery on:click=move |_| step(false)>"◀"</button>
                <span class="muted" data-testid="image-index">{move || chosen.get().map(|i| format!("#{i}"))}</span>
                <button class="small" data-testid="image-next" title="The next test image" disabled=no_gallery on:click=move |_| step(true)>"▶"</button>
            </div>
            <button class="small" data-testid="image-draw" title="Draw your own digit and see how each layer sees it"
                on:click=move |_| tab.0.set("draw")>"✎ draw"</button>
        </div>
    }
}

/// The model's answer for the chosen image: one bar per class.
#[component]
pub fn OutputBlock() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<DatasetState>();
    let rows = move || {
        let names = class_names(&datasets);
        let p = state.prediction.get();
        let n = p.as_ref().map_or(names.len(), Vec::len);
        let best = p
            .as_ref()
            .and_then(|p| (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])));
        (0..n)
            .map(|i| {
                let v = p.as_ref().and_then(|p| p.get(i).copied());
                let name = names.get(i).cloned().unwrap_or_else(|| i.to_string());
                view! {
                    <tr class:best=best == Some(i)>
                        <td class="class-name" title=name.clone()>{name.clone()}</td>
                        <td class="bar-cell"><span class="bar" style=format!("width:{:.1}%", 100.0 * v.unwrap_or(0.0))></span></td>
                        <td class="num">{v.map_or("–".to_string(), |v| format!("{:.0}%", 100.0 * v))}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <div class="block output-block" data-testid="output-block" title="How sure the model is of each class for the chosen image">
            <div class="op">"probabilities"</div>
            <table class="output-probabilities" data-testid="output-probabilities">{rows}</table>
            <Show when=move || state.prediction.with(|p| p.is_none())>
                <div class="muted">"after Train or Step"</div>
            </Show>
        </div>
    }
}
