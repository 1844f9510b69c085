//! The network as a picture that is also its builder: the input image on the left, one block
//! per layer drawn to the size of its output tensor (with that layer's activations for the
//! chosen image), the class probabilities on the right. Click a block to edit it in the
//! inspector beside the picture; "+" between two blocks inserts a layer there.

mod block;
mod ends;
mod fit;
mod inspector;

use leptos::ev;
use leptos::html;
use leptos::leptos_dom::helpers::window_event_listener;
use leptos::prelude::*;

pub use inspector::Inspector;

use super::model_builder::{infer_each, MemoryLine, ParamCount};
use super::state::TrainState;
use crate::worker::protocol::RunMode;

/// The height of the blocks' drawings for a window `inner_height` pixels tall: what is left
/// of the screen once the bars, labels and tabs have theirs.
fn block_height(inner_height: f64) -> f64 {
    (inner_height * 0.5 - 110.0).clamp(160.0, 420.0)
}

fn window_height() -> f64 {
    web_sys::window()
        .and_then(|w| w.inner_height().ok())
        .and_then(|h| h.as_f64())
        .unwrap_or(768.0)
}

/// The batch whose weights the blocks' activations come from (the worker says, see
/// `live.rs`).
pub fn activations_step(state: &TrainState) -> Option<usize> {
    state.prediction_step.get()
}

#[component]
pub fn NetworkPicture(selected: RwSignal<Option<usize>>) -> impl IntoView {
    let state = expect_context::<TrainState>();
    let infos = Memo::new(move |_| infer_each(&state));
    let count = Memo::new(move |_| state.config.with(|c| c.model.layers.len()));
    let height = RwSignal::new(block_height(window_height()));
    let window_width = RwSignal::new(0.0);
    let resize = window_event_listener(ev::resize, move |_| {
        height.set(block_height(window_height()));
        window_width.set(
            web_sys::window()
                .and_then(|w| w.inner_width().ok())
                .and_then(|w| w.as_f64())
                .unwrap_or(0.0),
        );
    });
    on_cleanup(move || resize.remove());
    // The "+" whose menu of layers is open.
    let menu = RwSignal::new(None::<usize>);
    let blocks = move || {
        (0..count.get())
            .map(|i| {
                view! {
                    <block::Block index=i infos selected height/>
                    <InsertButton at=i + 1 menu/>
                }
            })
            .collect_view()
    };
    // Zoom the row out when it is wider than the picture.
    let (area, row) = (NodeRef::<html::Div>::new(), NodeRef::<html::Div>::new());
    let zoom = RwSignal::new(1.0);
    fit::keep_fitted(area, row, zoom);
    let step_label = move || match activations_step(&state) {
        Some(step) => format!("activations from the weights after batch {step}"),
        None => state.prediction.with(|p| {
            if p.is_some() {
                "activations: from the weights when the image was last sent".to_string()
            } else {
                "Train or Step, and each block shows how its layer sees the image".to_string()
            }
        }),
    };
    view! {
        <section class="picture" data-testid="network">
            <InsertMenu menu selected/>
            <div class="blocks" data-testid="blocks" node_ref=area data-zoom=move || format!("{:.3}", zoom.get())
                title=move || (zoom.get() < 1.0).then(|| format!("Shown at {:.0} % to fit", 100.0 * zoom.get()))>
                <div class="blocks-row" node_ref=row>
                    <ends::InputBlock height/>
                    <InsertButton at=0 menu/>
                    {blocks}
                    <ends::OutputBlock/>
                </div>
            </div>
            <div class="picture-footer">
                <ParamCount/>
                <MemoryLine/>
                <span class="muted" data-testid="activations-step" title="Which weights the activations in the blocks come from">{step_label}</span>
            </div>
        </section>
    }
}

/// The "+" between two blocks: opens the menu of layers to insert at `at`.
#[component]
fn InsertButton(at: usize, menu: RwSignal<Option<usize>>) -> impl IntoView {
    let state = expect_context::<TrainState>();
    let busy = move || matches!(state.mode.get(), RunMode::Running);
    view! {
        <div class="insert">
            <button class="small" data-testid=format!("insert-{at}") class:active=move || menu.get() == Some(at)
                title="Insert a layer here (not while training)" disabled=busy
                on:click=move |_| menu.update(|m| *m = if *m == Some(at) { None } else { Some(at) })>"+"</button>
        </div>
    }
}

/// The layers "+" can insert, shown above the picture while a "+" is chosen.
#[component]
fn InsertMenu(menu: RwSignal<Option<usize>>, selected: RwSignal<Option<usize>>) -> impl IntoView {
    let state = expect_context::<TrainState>();
    let choose = move |layer: crate::nn::LayerSpec| {
        let Some(at) = menu.get_untracked() else {
            return;
        };
        let mut placed = at;
        state.config.update(|c| {
            let input = c.model.input.clone();
            placed = crate::ui::layers::insert(&mut c.model.layers, &input, at, layer);
        });
        menu.set(None);
        selected.set(Some(placed));
    };
    move || {
        let at = menu.get()?;
        Some(view! {
            <div class="insert-menu" data-testid="insert-menu">
                <span class="muted">{format!("Insert at position {}:", at + 1)}</span>
                {crate::ui::layers::catalogue().into_iter().map(|(name, layer)| {
                    let slug = name.to_lowercase().replace(' ', "-");
                    let tip = format!("Insert a {name} layer here");
                    view! {
                        <button class="small" data-testid=format!("insert-{slug}") title=tip
                            on:click=move |_| choose(layer.clone())>{name}</button>
                    }
                }).collect_view()}
                <button class="small" data-testid="insert-cancel" title="Close this menu" on:click=move |_| menu.set(None)>"✕"</button>
            </div>
        })
    }
}
