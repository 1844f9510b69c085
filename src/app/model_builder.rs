//! The layer builder: presets, then add, insert, remove, reorder, duplicate and edit layers.
//! Beside each layer: its output shape, parameter count and the formula behind them, or the
//! reason it cannot be built.

use leptos::prelude::*;

use super::state::TrainState;
use crate::backend::geometry::Padding;
use crate::nn::presets::Preset;
use crate::nn::{LayerConfig, LayerInfo, LayerSpec};

/// A change to the list of layers.
type LayerEdit = Box<dyn FnOnce(&mut Vec<LayerConfig>)>;

/// One number of a layer that the learner can edit.
struct Field {
    label: &'static str,
    tip: &'static str,
    value: f64,
    set: fn(&mut LayerSpec, f64),
}

fn count(v: f64) -> usize {
    v.max(1.0).round() as usize
}

/// The editable numbers of a layer.
fn fields(layer: &LayerSpec) -> Vec<Field> {
    use LayerSpec::*;
    let f = |label, tip, value: f64, set| Field {
        label,
        tip,
        value,
        set,
    };
    match layer {
        Dense { units, .. } => vec![f(
            "units",
            "How many neurons this layer has.",
            *units as f64,
            |l, v| {
                if let Dense { units, .. } = l {
                    *units = count(v)
                }
            },
        )],
        Conv2d {
            filters,
            kernel,
            stride,
            dilation,
            ..
        } => vec![
            f(
                "filters",
                "How many different patterns (feature maps) this layer learns.",
                *filters as f64,
                |l, v| {
                    if let Conv2d { filters, .. } = l {
                        *filters = count(v)
                    }
                },
            ),
            f(
                "kernel",
                "Size of each filter (k×k pixels).",
                kernel[0] as f64,
                |l, v| {
                    if let Conv2d { kernel, .. } = l {
                        *kernel = [count(v); 2]
                    }
                },
            ),
            f(
                "stride",
                "How far the filter moves each step; 2 halves the output size.",
                stride[0] as f64,
                |l, v| {
                    if let Conv2d { stride, .. } = l {
                        *stride = [count(v); 2]
                    }
                },
            ),
            f(
                "dilation",
                "Gaps between filter taps: a wider view with the same weights.",
                dilation[0] as f64,
                |l, v| {
                    if let Conv2d { dilation, .. } = l {
                        *dilation = [count(v); 2]
                    }
                },
            ),
        ],
        MaxPool2d { window, stride } | AvgPool2d { window, stride } => vec![
            f(
                "window",
                "Size of the pooling window.",
                window[0] as f64,
                |l, v| {
                    if let MaxPool2d { window, .. } | AvgPool2d { window, .. } = l {
                        *window = [count(v); 2]
                    }
                },
            ),
            f(
                "stride",
                "How far the window moves; smaller than the window means overlap.",
                stride[0] as f64,
                |l, v| {
                    if let MaxPool2d { stride, .. } | AvgPool2d { stride, .. } = l {
                        *stride = [count(v); 2]
                    }
                },
            ),
        ],
        Dropout { rate } => vec![f(
            "rate",
            "Share of units switched off at random while training.",
            *rate as f64,
            |l, v| {
                if let Dropout { rate } = l {
                    *rate = v.clamp(0.0, 0.95) as f32
                }
            },
        )],
        BatchNorm { momentum, .. } => vec![f(
            "momentum",
            "How slowly the running mean and variance follow the batches.",
            *momentum as f64,
            |l, v| {
                if let BatchNorm { momentum, .. } = l {
                    *momentum = v.clamp(0.0, 0.9999) as f32
                }
            },
        )],
        LeakyRelu { alpha } => vec![f(
            "alpha",
            "Slope for negative inputs (ReLU has 0).",
            *alpha as f64,
            |l, v| {
                if let LeakyRelu { alpha } = l {
                    *alpha = v as f32
                }
            },
        )],
        GaussianNoise { stddev } => vec![f(
            "σ",
            "Standard deviation of the noise added while training.",
            *stddev as f64,
            |l, v| {
                if let GaussianNoise { stddev } = l {
                    *stddev = v.max(0.0) as f32
                }
            },
        )],
        Flatten | Relu | Sigmoid | Tanh | Softmax => Vec::new(),
    }
}

/// The layers the "add" menu offers, with default settings.
fn catalogue() -> Vec<(&'static str, LayerSpec)> {
    use LayerSpec::*;
    vec![
        (
            "Dense",
            Dense {
                units: 64,
                init: Default::default(),
            },
        ),
        (
            "Conv2D",
            Conv2d {
                filters: 8,
                kernel: [3, 3],
                stride: [1, 1],
                padding: Padding::Same,
                dilation: [1, 1],
                init: Default::default(),
            },
        ),
        (
            "MaxPool",
            MaxPool2d {
                window: [2, 2],
                stride: [2, 2],
            },
        ),
        (
            "AvgPool",
            AvgPool2d {
                window: [2, 2],
                stride: [2, 2],
            },
        ),
        ("Flatten", Flatten),
        ("Dropout", Dropout { rate: 0.25 }),
        (
            "BatchNorm",
            BatchNorm {
                momentum: 0.99,
                epsilon: 1e-3,
            },
        ),
        ("ReLU", Relu),
        ("Leaky ReLU", LeakyRelu { alpha: 0.1 }),
        ("Sigmoid", Sigmoid),
        ("Tanh", Tanh),
        ("Softmax", Softmax),
        ("Gaussian noise", GaussianNoise { stddev: 0.1 }),
    ]
}

/// Each layer's shapes, or the error of the first layer that cannot be built (the layers
/// after it get None: their input is unknown).
fn infer_each(state: &TrainState) -> Vec<Option<Result<LayerInfo, String>>> {
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

fn shape_text(shape: &[usize]) -> String {
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("×")
}

#[component]
pub fn ModelBuilder() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let new_kind = RwSignal::new(0usize);
    let edit = move |f: LayerEdit| {
        state.config.update(|c| f(&mut c.model.layers));
    };
    let infos = Memo::new(move |_| infer_each(&state));
    let total = move || {
        state
            .config
            .with(|c| c.model.param_count().map_err(|e| e.to_string()))
    };
    let busy = move || matches!(state.mode.get(), crate::worker::protocol::RunMode::Running);
    let add_at = move |at: usize| {
        let layer = catalogue()[new_kind.get_untracked()].1.clone();
        edit(Box::new(move |ls| {
            ls.insert(at.min(ls.len()), layer.into())
        }));
    };

    let rows = move || {
        let layers = state.config.with(|c| c.model.layers.clone());
        let infos = infos.get();
        let n = layers.len();
        layers
            .into_iter()
            .enumerate()
            .map(|(i, layer)| {
                let info = infos.get(i).cloned().flatten();
                let has_params = matches!(&info, Some(Ok(i)) if i.params > 0);
                let field_inputs = fields(&layer.layer)
                    .into_iter()
                    .map(|field| {
                        let set = field.set;
                        view! {
                            <label class="field" title=field.tip>
                                {field.label}
                                <input type="number" step="any" value=field.value
                                    data-testid=format!("layer-{i}-{}", field.label)
                                    on:change=move |e| {
                                        if let Ok(v) = event_target_value(&e).parse::<f64>() {
                                            edit(Box::new(move |ls| set(&mut ls[i].layer, v)));
                                        }
                                    }/>
                            </label>
                        }
                    })
                    .collect_view();
                let padding = match layer.layer {
                    LayerSpec::Conv2d { padding, .. } => Some(view! {
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
                                <option value="valid" selected=padding == Padding::Valid>"valid"</option>
                                <option value="same" selected=padding == Padding::Same>"same"</option>
                            </select>
                        </label>
                    }),
                    _ => None,
                };
                let outcome = match info {
                    Some(Ok(info)) => view! {
                        <span class="shape" data-testid=format!("layer-{i}-shape")>{shape_text(&info.output)}</span>
                        <span class="params" data-testid=format!("layer-{i}-params")>{format!("{} params", crate::size::grouped(info.params))}</span>
                        <span class="formula muted">{info.formula}</span>
                    }.into_any(),
                    Some(Err(e)) => view! {
                        <span class="error" data-testid=format!("layer-{i}-error")>{e}</span>
                    }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                };
                let pen = layer.penalties;
                let penalty = move |label: &'static str, tip: &'static str, value: f32, set: fn(&mut LayerConfig, f32)| view! {
                    <label class="field" title=tip>{label}
                        <input type="number" step="any" min="0" value=value data-testid=format!("layer-{i}-{label}")
                            on:change=move |e| {
                                if let Ok(v) = event_target_value(&e).parse::<f32>() {
                                    edit(Box::new(move |ls| set(&mut ls[i], v.max(0.0))));
                                }
                            }/>
                    </label>
                };
                view! {
                    <li class="layer" class:bad=matches!(infos.get(i), Some(Some(Err(_)))) data-testid=format!("layer-{i}")>
                        <span class="index">{i + 1}</span>
                        <span class="name">{layer.layer.name()}</span>
                        {field_inputs}
                        {padding}
                        <span class="arrow">"→"</span>
                        {outcome}
                        <span class="tools">
                            {has_params.then(|| view! {
                                <label class="field" title="A frozen layer keeps its weights (for transfer learning).">
                                    <input type="checkbox" checked=layer.frozen data-testid=format!("layer-{i}-freeze")
                                        on:change=move |e| {
                                            let on = event_target_checked(&e);
                                            edit(Box::new(move |ls| ls[i].frozen = on));
                                        }/>
                                    "frozen"
                                </label>
                                {penalty("L1", "Pushes weights to exactly zero: a sparse layer.", pen.l1, |l, v| l.penalties.l1 = v)}
                                {penalty("L2", "Shrinks all weights a little: weight decay.", pen.l2, |l, v| l.penalties.l2 = v)}
                            })}
                            {penalty("act L1", "Penalises this layer's outputs: sparse activations.", pen.activity_l1, |l, v| l.penalties.activity_l1 = v)}
                            {penalty("act L2", "Penalises large outputs of this layer: small, spread-out activations.", pen.activity_l2, |l, v| l.penalties.activity_l2 = v)}
                            <button class="small" title="Move up" disabled=i == 0 data-testid=format!("layer-{i}-up")
                                on:click=move |_| edit(Box::new(move |ls| ls.swap(i, i - 1)))>"↑"</button>
                            <button class="small" title="Move down" disabled=i + 1 == n data-testid=format!("layer-{i}-down")
                                on:click=move |_| edit(Box::new(move |ls| ls.swap(i, i + 1)))>"↓"</button>
                            <button class="small" title="Duplicate" data-testid=format!("layer-{i}-duplicate")
                                on:click=move |_| edit(Box::new(move |ls| { let l = ls[i].clone(); ls.insert(i + 1, l) }))>"⧉"</button>
                            <button class="small" title="Insert the layer chosen below after this one" data-testid=format!("layer-{i}-insert")
                                on:click=move |_| add_at(i + 1)>"+"</button>
                            <button class="small" title="Remove" data-testid=format!("layer-{i}-remove")
                                on:click=move |_| edit(Box::new(move |ls| { ls.remove(i); }))>"✕"</button>
                        </span>
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <section class="card" data-testid="model-builder">
            <h2>"Model"</h2>
            <fieldset class="controls" disabled=busy>
                <label title="Start from a ready-made network">"Preset "
                    <select data-testid="preset" on:change=move |e| {
                        if let Ok(i) = event_target_value(&e).parse::<usize>() {
                            state.config.update(|c| c.model = Preset::ALL[i].spec());
                        }
                    }>
                        <option value="" selected>"choose…"</option>
                        {Preset::ALL.iter().enumerate().map(|(i, p)| view! {
                            <option value=i.to_string()>{p.name()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <span class="muted">{move || state.config.with(|c| format!("input {}", shape_text(&c.model.input)))}</span>
                <span data-testid="param-count">{move || match total() {
                    Ok(n) => format!(
                        "{} trainable parameters (≈ {} as f32)",
                        crate::size::grouped(n),
                        crate::size::bytes_text(n.saturating_mul(crate::size::F32_BYTES))
                    ),
                    Err(_) => "fix the flagged layer to train".into(),
                }}</span>
                <MemoryLine/>
            </fieldset>
            <fieldset disabled=busy>
                <ol class="layers">{rows}</ol>
                <div class="controls">
                    <select data-testid="new-layer-kind" title="The kind of layer to add"
                        on:change=move |e| new_kind.set(event_target_value(&e).parse().unwrap_or(0))>
                        {catalogue().into_iter().enumerate().map(|(i, (name, _))| view! {
                            <option value=i.to_string()>{name}</option>
                        }).collect_view()}
                    </select>
                    <button data-testid="add-layer" title="Add the chosen layer at the end"
                        on:click=move |_| add_at(usize::MAX)>"Add layer"</button>
                </div>
            </fieldset>
        </section>
    }
}

/// What the run will need against the memory budget, or why it is refused: computed from
/// the configuration before the worker is asked to build anything.
#[component]
fn MemoryLine() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<super::state::DatasetState>();
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
