//! The drawing pad: draw a digit, see the class probabilities (and every conv layer's
//! feature maps) change as the model trains.

use std::cell::Cell;
use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::charts::Chart;
use super::images::{draw_channels, draw_pixels, draw_tiles, Look, Tone};
use super::state::{DatasetState, PredictedInput, TrainState};
use crate::worker::protocol::RunMode;

/// Pad size in screen pixels (7 per image pixel).
const PAD: u32 = 196;

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    super::images::context2d(canvas).ok()
}

/// The drawing as a `side × side` image the way MNIST digits are made: the ink's bounding
/// box scaled to fit 20×20 and centred. None when nothing is drawn.
fn to_image(pad: &HtmlCanvasElement, side: u32) -> Option<Vec<u8>> {
    let ctx = context(pad)?;
    let data = ctx
        .get_image_data(0.0, 0.0, PAD as f64, PAD as f64)
        .ok()?
        .data();
    let alpha = |x: u32, y: u32| data[((y * PAD + x) * 4 + 3) as usize];
    let (mut x0, mut y0, mut x1, mut y1) = (PAD, PAD, 0, 0);
    for y in 0..PAD {
        for x in 0..PAD {
            if alpha(x, y) > 0 {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    if x1 < x0 {
        return None;
    }
    let document = web_sys::window()?.document()?;
    let small: HtmlCanvasElement = document.create_element("canvas").ok()?.dyn_into().ok()?;
    small.set_width(side);
    small.set_height(side);
    let sctx = context(&small)?;
    let (w, h) = ((x1 - x0 + 1) as f64, (y1 - y0 + 1) as f64);
    let fit = 20.0 * side as f64 / 28.0 / w.max(h);
    let (dw, dh) = (w * fit, h * fit);
    sctx.draw_image_with_html_canvas_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
        pad,
        x0 as f64,
        y0 as f64,
        w,
        h,
        (side as f64 - dw) / 2.0,
        (side as f64 - dh) / 2.0,
        dw,
        dh,
    )
    .ok()?;
    let small_data = sctx
        .get_image_data(0.0, 0.0, side as f64, side as f64)
        .ok()?
        .data();
    Some(small_data.chunks_exact(4).map(|p| p[3]).collect())
}

/// Asks for the model's answer and feature maps on one image; `caption` says which.
pub fn predict_image(state: TrainState, caption: String, pixels: Vec<u8>) {
    super::live::request_prediction(pixels.clone());
    state
        .predicted_input
        .set(Some(PredictedInput { caption, pixels }));
}

#[component]
pub fn DrawPad() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<DatasetState>();
    let pad = NodeRef::<html::Canvas>::new();
    let drawing = Rc::new(Cell::new(false));
    let has_ink = RwSignal::new(false);
    let class_names = move || {
        datasets.summary.with(|s| {
            s.as_ref()
                .map(|s| s.class_names.clone())
                .unwrap_or_default()
        })
    };

    let predict = move || {
        let look = datasets
            .summary
            .with_untracked(|s| s.as_ref().map(|s| Look::of(Some(s))));
        let (Some(canvas), Some(look)) = (pad.get_untracked(), look) else {
            return;
        };
        if state.mode.get_untracked() == RunMode::Idle {
            return;
        }
        if let Some(ink) = to_image(&canvas, look.rows as u32) {
            // Photos are dark ink on white paper, in every channel.
            let pixels = if look.photos {
                ink.iter()
                    .flat_map(|&v| std::iter::repeat_n(255 - v, look.channels))
                    .collect()
            } else {
                ink
            };
            predict_image(state, "your drawing".into(), pixels);
        }
    };
    // While training, the prediction follows the model: see `live.rs`.

    let point = move |e: &web_sys::PointerEvent| {
        let canvas = pad.get_untracked()?;
        let rect = canvas.get_bounding_client_rect();
        let sx = PAD as f64 / rect.width().max(1.0);
        let sy = PAD as f64 / rect.height().max(1.0);
        Some((
            canvas,
            (e.client_x() as f64 - rect.left()) * sx,
            (e.client_y() as f64 - rect.top()) * sy,
        ))
    };
    let (d1, d2, d3) = (drawing.clone(), drawing.clone(), drawing);
    let down = move |e: web_sys::PointerEvent| {
        let Some((canvas, x, y)) = point(&e) else {
            return;
        };
        let Some(ctx) = context(&canvas) else { return };
        d1.set(true);
        ctx.set_line_width(15.0);
        ctx.set_line_cap("round");
        ctx.set_line_join("round");
        ctx.set_stroke_style_str("#000");
        ctx.begin_path();
        ctx.move_to(x, y);
        ctx.line_to(x + 0.1, y + 0.1);
        ctx.stroke();
        has_ink.set(true);
    };
    let moved = move |e: web_sys::PointerEvent| {
        if !d2.get() {
            return;
        }
        let Some((canvas, x, y)) = point(&e) else {
            return;
        };
        if let Some(ctx) = context(&canvas) {
            ctx.line_to(x, y);
            ctx.stroke();
        }
    };
    let up = move |_| {
        if d3.replace(false) {
            predict();
        }
    };
    let clear = move |_| {
        if let Some(canvas) = pad.get_untracked() {
            if let Some(ctx) = context(&canvas) {
                ctx.clear_rect(0.0, 0.0, PAD as f64, PAD as f64);
            }
        }
        has_ink.set(false);
        state.prediction.set(None);
        state.feature_maps.set(Vec::new());
        state.predicted_input.set(None);
    };

    view! {
        <section class="card" data-testid="draw-pad">
            <h2>"Draw a digit"</h2>
            <div class="pad-row">
                <div>
                    <canvas node_ref=pad class="pad" data-testid="pad" width=PAD height=PAD
                        on:pointerdown=down on:pointermove=moved on:pointerup=up.clone() on:pointerleave=up></canvas>
                    <div class="controls">
                        <button data-testid="pad-clear" on:click=clear>"Clear"</button>
                        <span class="muted">{move || (state.mode.get() == RunMode::Idle).then_some("Train (or Step) a model to see its guess.")}</span>
                    </div>
                </div>
                <table class="probabilities" data-testid="probabilities">
                    {move || state.prediction.get().map(|p| {
                        let names = class_names();
                        let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(0);
                        p.iter().enumerate().map(|(i, &v)| view! {
                            <tr class:best=i == best>
                                <td>{names.get(i).cloned().unwrap_or_else(|| i.to_string())}</td>
                                <td class="bar-cell"><span class="bar" style=format!("width:{:.1}%", 100.0 * v)></span></td>
                                <td class="num">{format!("{:.1}%", 100.0 * v)}</td>
                            </tr>
                        }).collect_view()
                    })}
                </table>
                <p data-testid="prediction">{move || state.prediction.get().map(|p| {
                    let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(0);
                    let name = class_names().get(best).cloned().unwrap_or_else(|| best.to_string());
                    format!("The model says: {name} ({:.0}%)", 100.0 * p[best])
                })}</p>
            </div>
            <FeatureMaps/>
        </section>
    }
}

/// Every conv-shaped layer's output for the chosen image (drawn, or picked from the test
/// images), up to 16 channels each, under the image itself.
#[component]
fn FeatureMaps() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<DatasetState>();
    let input = move |c: &HtmlCanvasElement| {
        let look = datasets.summary.with(|s| Look::of(s.as_ref()));
        let pixels = state
            .predicted_input
            .with(|i| i.as_ref().map(|i| i.pixels.clone()));
        let Some(pixels) = pixels else {
            return draw_tiles(c, &[], 1, 1, 1, 1, Tone::Ink);
        };
        draw_pixels(c, &pixels, look, 3, true)
    };
    view! {
        <div class="feature-maps" data-testid="feature-maps">
            <Show when=move || state.predicted_input.with(|i| i.is_some())>
                <div data-testid="feature-input">
                    <div class="muted">{move || state.predicted_input.with(|i| i.as_ref().map(|i| format!("Input: {}", i.caption)))}</div>
                    <div class="muted" data-testid="prediction-step">{move || state.prediction_step.get().map(|s| format!("from the weights after batch {s}"))}</div>
                    <Chart testid="feature-input-image" width=0 height=0 pixelated=true draw=input/>
                </div>
            </Show>
            {move || state.feature_maps.get().into_iter().filter(|m| m.shape.len() == 3).map(|m| {
                let (h, w, c) = (m.shape[0], m.shape[1], m.shape[2]);
                let name = format!("{}: {} ({}×{}×{})", m.layer + 1, m.name, h, w, c);
                let draw = move |el: &HtmlCanvasElement| {
                    let scale = (56 / h.max(1)).clamp(1, 4);
                    draw_channels(el, &m.values, (h, w, c), 16, scale, 16)
                };
                view! { <div><div class="muted">{name}</div>
                    <Chart testid=format!("feature-map-{}", m.layer) width=0 height=0 pixelated=true draw=draw/></div> }
            }).collect_view()}
        </div>
    }
}
