//! A grid of sample images, one column per class, drawn into a canvas.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::Clamped;
use web_sys::{HtmlCanvasElement, ImageData};

use super::state::DatasetState;
use crate::worker::protocol::Sample;

/// Screen pixels per image pixel, and the gap between cells.
const SCALE: usize = 2;
const GAP: usize = 4;

#[component]
pub fn SampleGrid() -> impl IntoView {
    let datasets = expect_context::<DatasetState>();
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let samples = datasets.samples.get();
        let shape = datasets
            .summary
            .with(|s| s.as_ref().map(|s| (s.rows, s.cols, s.channels, s.photos)));
        if let (Some(canvas), Some(shape)) = (canvas.get(), shape) {
            if let Err(e) = draw(&canvas, &samples, shape) {
                web_sys::console::error_1(&e);
            }
        }
    });
    view! {
        <canvas
            node_ref=canvas
            class="sample-grid"
            data-testid="sample-grid"
            width="0"
            height="0"
            aria-label="Sample images from the training split, grouped by class"
        ></canvas>
    }
}

/// Draws the samples in columns by label, each with its label in the corner: ink dark on
/// white for MNIST-like sets, photos as they are (in colour when they have three channels).
fn draw(
    canvas: &HtmlCanvasElement,
    samples: &[Sample],
    (rows, cols, channels, photos): (usize, usize, usize, bool),
) -> Result<(), wasm_bindgen::JsValue> {
    let (cell_w, cell_h) = (cols * SCALE + GAP, rows * SCALE + GAP);
    let mut per_class = [0usize; 256];
    let columns = samples
        .iter()
        .map(|s| s.label as usize + 1)
        .max()
        .unwrap_or(0);
    let depth = samples.len().div_ceil(columns.max(1)).max(1);
    let (width, height) = (columns * cell_w, depth * cell_h);
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    if samples.is_empty() {
        return Ok(());
    }
    let mut rgba = vec![255u8; width * height * 4];
    let mut labels = Vec::new();
    for sample in samples {
        let column = sample.label as usize;
        let row = per_class[column];
        per_class[column] += 1;
        let (x0, y0) = (column * cell_w, row * cell_h);
        labels.push((x0, y0, sample.label));
        for y in 0..rows * SCALE {
            for x in 0..cols * SCALE {
                let from = ((y / SCALE) * cols + x / SCALE) * channels;
                let at = ((y0 + y) * width + x0 + x) * 4;
                if channels == 3 {
                    rgba[at..at + 3].copy_from_slice(&sample.pixels[from..from + 3]);
                } else if photos {
                    rgba[at..at + 3].fill(sample.pixels[from]);
                } else {
                    // Ink is dark on white, as on paper.
                    rgba[at..at + 3].fill(255 - sample.pixels[from]);
                }
            }
        }
    }
    let context = super::images::context2d(canvas)?;
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), width as u32, height as u32)?;
    context.put_image_data(&image, 0.0, 0.0)?;
    context.set_font("11px sans-serif");
    context.set_fill_style_str("#c0392b");
    for (x, y, label) in labels {
        context.fill_text(&label.to_string(), x as f64 + 2.0, y as f64 + 11.0)?;
    }
    Ok(())
}
