//! Charts drawn with plotters on a canvas: one function per kind of chart, and a `Chart`
//! component that redraws when the signals its drawing reads change, with a PNG download.

use leptos::html;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

use crate::train::metrics::Histogram;

/// One line (or set of points) on a line chart.
pub struct Series {
    pub name: &'static str,
    pub color: RGBColor,
    pub points: Vec<(f32, f32)>,
    /// Points with markers (per-epoch figures) rather than a line (per-step figures).
    pub markers: bool,
}

pub const BLUE: RGBColor = RGBColor(47, 111, 222);
pub const LIGHT_BLUE: RGBColor = RGBColor(170, 196, 240);
pub const ORANGE: RGBColor = RGBColor(230, 120, 20);
pub const GREEN: RGBColor = RGBColor(30, 150, 80);
pub const RED: RGBColor = RGBColor(200, 40, 40);
pub const GREY: RGBColor = RGBColor(120, 120, 120);

/// At most `max` points, averaging neighbours: a chart never draws more than it can show.
pub fn decimate(points: &[(f32, f32)], max: usize) -> Vec<(f32, f32)> {
    if points.len() <= max {
        return points.to_vec();
    }
    let per = points.len().div_ceil(max);
    points
        .chunks(per)
        .map(|c| {
            let n = c.len() as f32;
            let x = c.iter().map(|p| p.0).sum::<f32>() / n;
            let y = c.iter().map(|p| p.1).sum::<f32>() / n;
            (x, y)
        })
        .collect()
}

/// Exponentially weighted moving average, bias-corrected so it starts at the first value.
pub fn ewma(points: &[(f32, f32)], smoothing: f32) -> Vec<(f32, f32)> {
    let mut avg = 0.0f32;
    let mut weight = 0.0f32;
    points
        .iter()
        .map(|&(x, y)| {
            avg = smoothing * avg + (1.0 - smoothing) * y;
            weight = smoothing * weight + (1.0 - smoothing);
            (x, avg / weight)
        })
        .collect()
}

fn backend(canvas: &HtmlCanvasElement) -> Result<CanvasBackend, String> {
    CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2-D canvas context".into())
}

/// A line chart of `series` against `x_label`; `log_y` plots log10 of y with labels in y.
pub fn draw_lines(
    canvas: &HtmlCanvasElement,
    series: &[Series],
    x_label: &str,
    y_label: &str,
    log_y: bool,
) -> Result<(), String> {
    let root = backend(canvas)?.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let tf = |y: f32| if log_y { y.max(1e-6).log10() } else { y };
    let all: Vec<(f32, f32)> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|&(x, y)| (x, tf(y))))
        .filter(|p| p.1.is_finite())
        .collect();
    if all.is_empty() {
        return Ok(());
    }
    let (x0, x1) = all
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (y0, y1) = all
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let pad = ((y1 - y0) * 0.05).max(1e-3);
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(50)
        .build_cartesian_2d(x0..x1.max(x0 + 1.0), (y0 - pad)..(y1 + pad))
        .map_err(|e| e.to_string())?;
    let y_fmt = |v: &f32| {
        let v = if log_y { 10f32.powf(*v) } else { *v };
        format!("{v:.3}")
    };
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(if log_y {
            format!("{y_label} (log)")
        } else {
            y_label.to_string()
        })
        .y_label_formatter(&y_fmt)
        .light_line_style(RGBColor(238, 238, 238))
        .draw()
        .map_err(|e| e.to_string())?;
    for s in series {
        let points: Vec<(f32, f32)> = s
            .points
            .iter()
            .map(|&(x, y)| (x, tf(y)))
            .filter(|p| p.1.is_finite())
            .collect();
        let color = s.color;
        if s.markers {
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(|e| e.to_string())?
                .label(s.name)
                .legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
        } else {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(s.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(RGBColor(200, 200, 200))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// A histogram with its value range under it. Drawn with plain canvas calls: a snapshot
/// redraws a dozen of these at once and the main thread must stay free.
pub fn draw_histogram(
    canvas: &HtmlCanvasElement,
    hist: &Histogram,
    color: RGBColor,
) -> Result<(), String> {
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or("no 2-D canvas context")?;
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    let plot_h = h - 14.0;
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, w, h);
    let bins = hist.counts.len().max(1) as f64;
    let top = hist.counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let RGBColor(r, g, b) = color;
    ctx.set_fill_style_str(&format!("rgb({r},{g},{b})"));
    for (i, &c) in hist.counts.iter().enumerate() {
        let bar = plot_h * c as f64 / top;
        let x = w * i as f64 / bins;
        ctx.fill_rect(x, plot_h - bar, (w / bins - 1.0).max(1.0), bar);
    }
    ctx.set_fill_style_str("#5b6475");
    ctx.set_font("10px sans-serif");
    let _ = ctx.fill_text(&format!("{:.3}", hist.min), 0.0, h - 3.0);
    let right = format!("{:.3}", hist.max);
    let _ = ctx.fill_text(&right, w - 6.0 * right.len() as f64, h - 3.0);
    Ok(())
}

/// Offers the canvas as a PNG download.
pub fn save_png(canvas: &HtmlCanvasElement, name: &str) {
    let Ok(url) = canvas.to_data_url() else {
        return;
    };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Ok(a) = document.create_element("a") {
        let a: web_sys::HtmlElement = a.unchecked_into();
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", &format!("{name}.png"));
        a.click();
    }
}

/// A canvas redrawn by `draw` whenever the signals it reads change, with a "Save PNG" button.
#[component]
pub fn Chart(
    /// `data-testid` of the canvas; also the PNG's file name.
    testid: &'static str,
    width: u32,
    height: u32,
    draw: impl Fn(&HtmlCanvasElement) -> Result<(), String> + 'static,
) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move || {
        if let Some(c) = canvas.get() {
            error.set(draw(&c).err());
        }
    });
    let save = move |_| {
        if let Some(c) = canvas.get_untracked() {
            save_png(&c, testid);
        }
    };
    view! {
        <div class="chart">
            <canvas node_ref=canvas data-testid=testid width=width height=height></canvas>
            <button class="small" title="Download this chart as a PNG image"
                data-testid=format!("{testid}-png") on:click=save>"Save PNG"</button>
            {move || error.get().map(|e| view! { <span class="error">{e}</span> })}
        </div>
    }
}
