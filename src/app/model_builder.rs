//! The model's summary around the picture: the preset box (which says "custom" once the
//! picture is edited), the parameter count and the memory the run will need. The layers
//! themselves are edited on the picture (`network`).

use leptos::prelude::*;

use super::state::{DatasetState, TrainState};
use crate::nn::presets::Preset;
use crate::nn::LayerInfo;
use crate::worker::protocol::RunMode;

/// Each layer's shapes, or the error of the first layer that cannot be built (the layers
/// after it get None: their input is unknown).
pub fn infer_each(state: &TrainState) -> Vec<Option<Result<LayerInfo, String>>> {
    state.config.with(|c| {
        let mut shape = Some(c.model.input.clone());
        c.model
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let input = shape.take()?;
                let info = l.layer.infer(i, &input).map_err(|e| e.to_string());
                shape = info.as_ref().ok().map(|i| i.output.clone());
                Some(info)
            })
            .collect()
    })
}

pub fn shape_text(shape: &[usize]) -> String {
    crate::size::times(shape)
}

/// What the preset box shows: a preset's index, "empty", or "custom".
fn preset_key(state: &TrainState) -> String {
    state.config.with(|c| {
        if c.model.layers.is_empty() {
            return "empty".to_string();
        }
        Preset::of(&c.model)
            .and_then(|p| Preset::ALL.iter().position(|&q| q == p))
            .map_or("custom".to_string(), |i| i.to_string())
    })
}

/// The preset box: a ready-made network, an empty one to build, or "custom" once edited.
#[component]
pub fn PresetSelect() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<super::state::DatasetState>();
    let busy = move || matches!(state.mode.get(), RunMode::Running);
    let key = Memo::new(move |_| preset_key(&state));
    view! {
        <label class="field" title="Start from a ready-made network, or from an empty one to build on the picture. It says custom once you change the network.">
            "Network"
            <select data-testid="preset" disabled=busy on:change=move |e| {
                let v = event_target_value(&e);
                if v == "empty" {
                    state.config.update(|c| c.model.layers.clear());
                } else if let Ok(i) = v.parse::<usize>() {
                    // For the loaded images' shape and classes.
                    let classes = datasets
                        .summary
                        .with_untracked(|s| s.as_ref().map_or(10, |s| s.class_names.len()));
                    state.config.update(|c| c.model = Preset::ALL[i].spec_for(&c.model.input, classes));
                }
            }>
                <option value="custom" disabled selected=move || key.get() == "custom">"custom"</option>
                <option value="empty" selected=move || key.get() == "empty">"empty: build your own"</option>
                {Preset::ALL.iter().enumerate().map(|(i, p)| view! {
                    <option value=i.to_string() selected=move || key.get() == i.to_string()>{p.name()}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// "5 994 trainable parameters (≈ 24 kB as f32)", or what to fix first.
#[component]
pub fn ParamCount() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let total = move || {
        state
            .config
            .with(|c| c.model.param_count().map_err(|e| e.to_string()))
    };
    view! {
        <span data-testid="param-count" title="Weights and biases the training adjusts, over all layers">{move || match total() {
            Ok(n) => format!(
                "{} trainable parameters (≈ {} as f32)",
                crate::size::grouped(n),
                crate::size::bytes_text(n.saturating_mul(crate::size::F32_BYTES))
            ),
            Err(_) => "fix the red block to train".into(),
        }}</span>
    }
}

/// What the run will need against the memory budget, or why it is refused: computed from
/// the configuration before the worker is asked to build anything.
#[component]
pub fn MemoryLine() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<DatasetState>();
    let budget = crate::train::budget::Budget::here();
    let line = move || {
        let data = datasets.data_bytes();
        state.config.with(|c| match budget.check(c, data) {
            Ok(e) => view! {
                <span class="muted" data-testid="memory" title="Parameters with their gradients and optimizer state, a batch's activations, and the dataset">{format!(
                    "needs ≈ {} of the {} memory budget ({})",
                    crate::size::bytes_text(e.total),
                    crate::size::bytes_text(budget.bytes),
                    budget.source
                )}</span>
            }
            .into_any(),
            Err(crate::Error::Architecture { .. }) => ().into_any(),
            Err(e) => {
                view! { <span class="error" data-testid="memory-refused">{e.to_string()}</span> }
                    .into_any()
            }
        })
    };
    view! { {line} }
}
