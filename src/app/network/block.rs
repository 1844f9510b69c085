//! One layer of the picture: the operation that makes it, its output tensor drawn to size
//! (with the chosen image's activations once there are some), its shape and parameters; red
//! with the reason when its shape is impossible. The first conv layer shows its filters.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::Clamped;
use web_sys::{HtmlCanvasElement, ImageData};

use super::super::images::{context2d, draw_tiles, Tile, Tone};
use super::super::model_builder::shape_text;
use super::super::state::TrainState;
use crate::nn::{LayerInfo, LayerSpec};
use crate::ui::network::{grid, op_label, paint, Cells};

type Infos = Memo<Vec<Option<Result<LayerInfo, String>>>>;

/// Largest side of one drawn feature map, CSS pixels.
const MAX_TILE: f64 = 36.0;

/// Paints `values` (or the empty cells) of a tensor of `shape` on `canvas`, sized to fit
/// `height` CSS pixels. Returns the caption for channels not drawn.
pub fn draw_tensor(
    canvas: &HtmlCanvasElement,
    shape: &[usize],
    values: Option<&[f32]>,
    height: f64,
    max_tile: f64,
) -> Result<Option<String>, String> {
    let Some(g) = grid(shape, height, max_tile) else {
        canvas.set_width(0);
        canvas.set_height(0);
        return Ok(None);
    };
    let (w, h) = g.canvas();
    let rgba = paint(&g, values);
    canvas.set_width(w as u32);
    canvas.set_height(h as u32);
    let (sw, sh) = g.screen();
    let _ = canvas.set_attribute("style", &format!("width:{sw:.1}px;height:{sh:.1}px"));
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w as u32, h as u32)
        .map_err(|e| format!("{e:?}"))?;
    context2d(canvas)?
        .put_image_data(&image, 0.0, 0.0)
        .map_err(|e| format!("{e:?}"))?;
    Ok((g.hidden > 0).then(|| {
        let what = if g.kind == Cells::Maps {
            "maps"
        } else {
            "units"
        };
        format!("+{} {what}", g.hidden)
    }))
}

#[component]
pub fn Block(
    index: usize,
    infos: Infos,
    selected: RwSignal<Option<usize>>,
    height: RwSignal<f64>,
) -> impl IntoView {
    let state = expect_context::<TrainState>();
    let layer = Memo::new(move |_| {
        state
            .config
            .with(|c| c.model.layers.get(index).map(|l| l.layer.clone()))
    });
    let info = Memo::new(move |_| infos.with(|v| v.get(index).cloned().flatten()));
    let first_conv = Memo::new(move |_| {
        state.config.with(|c| {
            c.model
                .layers
                .iter()
                .position(|l| matches!(l.layer, LayerSpec::Conv2d { .. }))
                == Some(index)
        })
    });
    let label = move || layer.get().map(|l| op_label(&l)).unwrap_or_default();
    let name = move || layer.get().map(|l| l.name()).unwrap_or_default();
    let body = move || {
        match info.get() {
        Some(Ok(info)) => view! {
            <Activations index output=info.output.clone() height/>
            <div class="shape" data-testid=format!("layer-{index}-shape")>{shape_text(&info.output)}</div>
            <div class="params muted" data-testid=format!("layer-{index}-params")>{format!("{} params", crate::size::grouped(info.params))}</div>
        }
        .into_any(),
        Some(Err(e)) => view! {
            <div class="block-error" data-testid=format!("layer-{index}-error")>{e}</div>
        }
        .into_any(),
        None => view! { <div class="muted" title="The layer before this one cannot be built, so this one's input is unknown">"—"</div> }.into_any(),
    }
    };
    view! {
        <div class="block" data-testid=format!("block-{index}")
            class:bad=move || matches!(info.get(), Some(Err(_)))
            class:selected=move || selected.get() == Some(index)
            title=move || format!("Layer {}: {}. Click to change it.", index + 1, name())
            on:click=move |_| selected.set(Some(index))>
            <div class="op">{label}</div>
            {body}
            <Show when=move || first_conv.get()><FirstFilters/></Show>
        </div>
    }
}

/// The block's output tensor: this layer's activations for the chosen image when the worker
/// sent them for a model of this shape, else the empty cells.
#[component]
fn Activations(index: usize, output: Vec<usize>, height: RwSignal<f64>) -> impl IntoView {
    let state = expect_context::<TrainState>();
    let canvas = NodeRef::<html::Canvas>::new();
    let more = RwSignal::new(None::<String>);
    let shape = output.clone();
    let has_values = Memo::new(move |_| {
        state
            .feature_maps
            .with(|m| m.iter().any(|f| f.layer == index && f.shape == shape))
    });
    Effect::new(move || {
        let Some(c) = canvas.get() else { return };
        let h = height.get();
        state.feature_maps.with(|maps| {
            let values = maps
                .iter()
                .find(|f| f.layer == index && f.shape == output)
                .map(|f| f.values.as_slice());
            more.set(draw_tensor(&c, &output, values, h, MAX_TILE).ok().flatten());
        });
    });
    view! {
        <canvas node_ref=canvas class="tensor" data-testid=format!("block-{index}-activations")
            data-drawn=move || if has_values.get() { "activations" } else { "empty" }
            width="0" height="0"></canvas>
        {move || more.get().map(|m| view! { <div class="muted more">{m}</div> })}
    }
}

/// The first conv layer's filters as they are now (the last snapshot), beside its block.
#[component]
fn FirstFilters() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let canvas = NodeRef::<html::Canvas>::new();
    Effect::new(move || {
        let Some(c) = canvas.get() else { return };
        state.filter_history.with(|history| {
            let Some((_, f)) = history.last() else {
                let _ = draw_tiles(&c, &[], 1, 1, 1, 1, Tone::Signed);
                return;
            };
            let size = (f.height * f.width).max(1);
            let tiles: Vec<Tile> = f
                .values
                .chunks(size)
                .take(f.count.min(16))
                .map(|v| Tile {
                    values: v,
                    caption: None,
                })
                .collect();
            let _ = draw_tiles(&c, &tiles, f.height, f.width, 2, 4, Tone::Signed);
        });
    });
    let has = move || state.filter_history.with(|h| !h.is_empty());
    view! {
        <div class="block-filters" title="This layer's filters now: light weights respond to ink, dark ones to its absence">
            <div class="muted">{move || if has() { "filters" } else { "filters: when it trains" }}</div>
            <canvas node_ref=canvas class="pixelated" data-testid="block-filters" width="0" height="0"></canvas>
        </div>
    }
}
