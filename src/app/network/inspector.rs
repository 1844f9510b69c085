//! The chosen block's settings, beside the picture: only the ones its layer has (weight
//! penalties and freezing only for layers with weights), and the tools to move, duplicate
//! and remove it.

use leptos::prelude::*;

use super::super::state::TrainState;
use crate::backend::geometry::Padding;
use crate::nn::{LayerConfig, LayerSpec};
use crate::ui::layers::fields;
use crate::ui::network::{has_weights, op_label};
use crate::worker::protocol::RunMode;

/// A change to the list of layers.
type LayerEdit = Box<dyn FnOnce(&mut Vec<LayerConfig>)>;

#[component]
pub fn Inspector(selected: RwSignal<Option<usize>>) -> impl IntoView {
    let state = expect_context::<TrainState>();
    // The chosen layer's position, kind and the number of layers: the settings are rebuilt
    // when these change, not at each edit (the fields follow the values themselves), so a
    // field being typed into is never replaced under the learner's cursor.
    let chosen = Memo::new(move |_| {
        let i = selected.get()?;
        state.config.with(|c| {
            let layer = c.model.layers.get(i)?;
            Some((
                i,
                std::mem::discriminant(&layer.layer),
                c.model.layers.len(),
            ))
        })
    });
    move || {
        let (i, _, n) = chosen.get()?;
        let layer = state.config.with_untracked(|c| c.model.layers[i].clone());
        Some(view! { <LayerSettings i n layer selected/> })
    }
}

/// The value of the chosen layer's `k`-th field now.
fn field_value(state: TrainState, i: usize, k: usize) -> f64 {
    state.config.with(|c| {
        c.model
            .layers
            .get(i)
            .and_then(|l| fields(&l.layer).get(k).map(|f| f.value))
            .unwrap_or(0.0)
    })
}

/// A value of the chosen layer's configuration now.
fn config_of<T: Default>(state: TrainState, i: usize, f: impl Fn(&LayerConfig) -> T) -> T {
    state
        .config
        .with(|c| c.model.layers.get(i).map(f).unwrap_or_default())
}

#[component]
fn LayerSettings(
    i: usize,
    n: usize,
    layer: LayerConfig,
    selected: RwSignal<Option<usize>>,
) -> impl IntoView {
    let state = expect_context::<TrainState>();
    let busy = move || matches!(state.mode.get(), RunMode::Running);
    let edit = move |f: LayerEdit| state.config.update(|c| f(&mut c.model.layers));
    let numbers = fields(&layer.layer)
        .into_iter()
        .enumerate()
        .map(|(k, field)| {
            let set = field.set;
            view! {
                <label class="field" title=field.tip>
                    {field.label}
                    <input type="number" step="any" prop:value=move || field_value(state, i, k) data-testid=format!("layer-{i}-{}", field.label)
                        on:change=move |e| {
                            if let Ok(v) = event_target_value(&e).parse::<f64>() {
                                if v.is_finite() {
                                    edit(Box::new(move |ls| set(&mut ls[i].layer, v)));
                                }
                            }
                        }/>
                </label>
            }
        })
        .collect_view();
    let same = move || {
        config_of(state, i, |l| {
            matches!(
                l.layer,
                LayerSpec::Conv2d {
                    padding: Padding::Same,
                    ..
                }
            )
        })
    };
    let padding = matches!(layer.layer, LayerSpec::Conv2d { .. }).then(|| view! {
        <label class="field" title="valid: no padding, the output shrinks; same: zeros around the image keep its size">
            "padding"
            <select data-testid=format!("layer-{i}-padding") on:change=move |e| {
                let same = event_target_value(&e) == "same";
                edit(Box::new(move |ls| {
                    if let LayerSpec::Conv2d { padding, .. } = &mut ls[i].layer {
                        *padding = if same { Padding::Same } else { Padding::Valid };
                    }
                }));
            }>
                <option value="valid" selected=move || !same()>"valid"</option>
                <option value="same" selected=same>"same"</option>
            </select>
        </label>
    });
    let pen = layer.penalties;
    let penalty = move |label: &'static str,
                        tip: &'static str,
                        get: fn(&LayerConfig) -> f32,
                        set: fn(&mut LayerConfig, f32)| {
        view! {
            <label class="field" title=tip>{label}
                <input type="number" step="any" min="0" prop:value=move || config_of(state, i, get) data-testid=format!("layer-{i}-{label}")
                    on:change=move |e| {
                        if let Ok(v) = event_target_value(&e).parse::<f32>() {
                            if v.is_finite() {
                                edit(Box::new(move |ls| set(&mut ls[i], v.max(0.0))));
                            }
                        }
                    }/>
            </label>
        }
    };
    // Penalties only where they mean something; any already set (from a link or a model
    // file) stay visible so they can be removed.
    let weights = has_weights(&layer.layer);
    let activity = weights || pen.activity_l1 != 0.0 || pen.activity_l2 != 0.0;
    view! {
        <aside class="inspector" data-testid="inspector">
            <div class="inspector-head">
                <strong>{move || format!("Layer {}: {}", i + 1, config_of(state, i, |l| l.layer.name()))}</strong>
                <button class="small" data-testid="inspector-close" title="Close these settings" on:click=move |_| selected.set(None)>"✕"</button>
            </div>
            <div class="muted">{move || config_of(state, i, |l| op_label(&l.layer))}</div>
            <fieldset disabled=busy>
                <div class="inspector-fields">
                    {numbers}
                    {padding}
                    {weights.then(|| view! {
                        <label class="field" title="A frozen layer keeps its weights (for transfer learning).">
                            <input type="checkbox" prop:checked=move || config_of(state, i, |l| l.frozen) data-testid=format!("layer-{i}-freeze")
                                on:change=move |e| {
                                    let on = event_target_checked(&e);
                                    edit(Box::new(move |ls| ls[i].frozen = on));
                                }/>
                            "frozen"
                        </label>
                        {penalty("L1", "Pushes weights to exactly zero: a sparse layer.", |l| l.penalties.l1, |l, v| l.penalties.l1 = v)}
                        {penalty("L2", "Shrinks all weights a little: weight decay.", |l| l.penalties.l2, |l, v| l.penalties.l2 = v)}
                    })}
                    {activity.then(|| view! {
                        {penalty("act L1", "Penalises this layer's outputs: sparse activations.", |l| l.penalties.activity_l1, |l, v| l.penalties.activity_l1 = v)}
                        {penalty("act L2", "Penalises large outputs of this layer: small, spread-out activations.", |l| l.penalties.activity_l2, |l, v| l.penalties.activity_l2 = v)}
                    })}
                    {(!weights && !activity && fields(&layer.layer).is_empty() && padding_free(&layer.layer)).then(|| view! {
                        <p class="muted">"This layer has no settings."</p>
                    })}
                </div>
                <div class="controls tools">
                    <button class="small" title="Move this layer one place to the left (earlier)" disabled=i == 0 data-testid=format!("layer-{i}-up")
                        on:click=move |_| { edit(Box::new(move |ls| ls.swap(i, i - 1))); selected.set(Some(i - 1)); }>"◀ move"</button>
                    <button class="small" title="Move this layer one place to the right (later)" disabled={i + 1 >= n} data-testid=format!("layer-{i}-down")
                        on:click=move |_| { edit(Box::new(move |ls| ls.swap(i, i + 1))); selected.set(Some(i + 1)); }>"move ▶"</button>
                    <button class="small" title="Insert a copy of this layer after it" data-testid=format!("layer-{i}-duplicate")
                        on:click=move |_| edit(Box::new(move |ls| { let l = ls[i].clone(); ls.insert(i + 1, l) }))>"duplicate"</button>
                    <button class="small" title="Remove this layer from the network" data-testid=format!("layer-{i}-remove")
                        on:click=move |_| { edit(Box::new(move |ls| { ls.remove(i); })); selected.set(None); }>"✕ remove"</button>
                </div>
            </fieldset>
        </aside>
    }
}

fn padding_free(layer: &LayerSpec) -> bool {
    !matches!(layer, LayerSpec::Conv2d { .. })
}
