//! Charts drawn with plotters on a canvas: one function per kind of chart, and a `Chart`
//! component that redraws when the signals its drawing reads change, with a PNG download.

use leptos::html;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

use super::images::context2d;
use crate::train::metrics::Histogram;
use crate::ui::history::HistogramFrame;
use crate::ui::ticks;

/// One line (or set of points) on a line chart.
pub struct Series {
    pub name: String,
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

pub use crate::ui::curve::curve;

/// plotters' canvas backend, except that text is measured with the canvas's `measureText`.
/// plotters' own web measurement puts a `<span>` in the page and reads its size, which forces
/// a layout of the whole page for every label: with a busy page that made each redraw of the
/// charts a long task on the main thread.
pub struct Canvas {
    inner: CanvasBackend,
    context: web_sys::CanvasRenderingContext2d,
}

type Failure = DrawingErrorKind<<CanvasBackend as DrawingBackend>::ErrorType>;

impl DrawingBackend for Canvas {
    type ErrorType = <CanvasBackend as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Failure> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Failure> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, p: BackendCoord, c: BackendColor) -> Result<(), Failure> {
        self.inner.draw_pixel(p, c)
    }
    fn draw_line<S: plotters_backend::BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Failure> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: plotters_backend::BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.inner.draw_rect(a, b, style, fill)
    }
    fn draw_path<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Failure> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: plotters_backend::BackendStyle>(
        &mut self,
        c: BackendCoord,
        r: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.inner.draw_circle(c, r, style, fill)
    }
    fn fill_polygon<S: plotters_backend::BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Failure> {
        self.inner.fill_polygon(vert, style)
    }
    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), Failure> {
        self.inner.draw_text(text, style, pos)
    }
    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), Failure> {
        self.context.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str()
        ));
        let width = self
            .context
            .measure_text(text)
            .map(|m| m.width())
            .unwrap_or(style.size() * 0.6 * text.len() as f64);
        Ok((width.ceil() as u32, style.size().ceil() as u32))
    }
}

fn backend(canvas: &HtmlCanvasElement) -> Result<Canvas, String> {
    let context = context2d(canvas)?;
    let inner = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2-D canvas context")?;
    Ok(Canvas { inner, context })
}

/// Up to this many series the legend sits over the plot's top-right corner; more (a lab's
/// 7–9 runs) would cover the curves there, so they get a column beside the plot.
const LEGEND_INSIDE_MAX: usize = 3;
const LEGEND_FONT: &str = "12px sans-serif";

/// The width to keep free right of the plot for the legend (0: it goes inside).
fn legend_column(canvas: &HtmlCanvasElement, series: &[Series]) -> Result<u32, String> {
    if series.len() <= LEGEND_INSIDE_MAX {
        return Ok(0);
    }
    let ctx = context2d(canvas)?;
    ctx.set_font(LEGEND_FONT);
    let widest = series
        .iter()
        .map(|s| ctx.measure_text(&s.name).map_or(100.0, |m| m.width()))
        .fold(0.0, f64::max);
    // Swatch and gaps; never more than half the canvas, however long the names.
    Ok((widest + 44.0).min(canvas.width() as f64 / 2.0) as u32)
}

/// A linear f32 axis whose ticks are ours ([`ticks`]), not plotters' own.
struct Axis {
    inner: plotters::coord::types::RangedCoordf32,
    at: Vec<f32>,
}

impl Axis {
    fn new(range: std::ops::Range<f32>, ticks: &ticks::Ticks) -> Self {
        Axis {
            inner: range.into(),
            at: ticks.at.iter().map(|&v| v as f32).collect(),
        }
    }
}

impl Ranged for Axis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f32;
    fn range(&self) -> std::ops::Range<f32> {
        self.inner.range()
    }
    fn map(&self, value: &f32, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }
    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f32> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.at.clone()
        }
    }
}

/// A line chart of `series` against `x_label`; `log_y` plots log10 of y with labels in y.
pub fn draw_lines(
    canvas: &HtmlCanvasElement,
    series: &[Series],
    x_label: &str,
    y_label: &str,
    log_y: bool,
) -> Result<(), String> {
    let column = legend_column(canvas, series)?;
    let root = backend(canvas)?.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    // The legend goes in a row above the plot (or a column beside it), never over the data.
    let (_, below) = root.split_vertically(if column == 0 { LEGEND_ROW } else { 0 });
    let (plot, _) = below.split_horizontally(canvas.width().saturating_sub(column));
    let tf = |y: f32| if log_y { y.max(1e-6).log10() } else { y };
    let all: Vec<(f32, f32)> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|&(x, y)| (x, tf(y))))
        .filter(|p| p.1.is_finite())
        .collect();
    if all.is_empty() {
        return placeholder(
            canvas,
            &format!("The {y_label} will appear here as it trains."),
        );
    }
    let (x0, x1) = all
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (y0, y1) = all
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    // Nice ticks (1-2-5 steps, the digits their spacing needs); a linear axis is widened to
    // whole steps so both ends carry a label.
    let ticks = if log_y {
        ticks::log10(10f64.powf(y0 as f64), 10f64.powf(y1 as f64), 5)
    } else {
        ticks::linear(y0 as f64, y1 as f64, 6)
    };
    let (lo, hi) = if log_y {
        let pad = ((y1 - y0) * 0.05).max(0.01);
        (y0 - pad, y1 + pad)
    } else {
        (ticks.lo as f32, ticks.hi as f32)
    };
    let x_ticks = ticks::x_axis(x0 as f64, x1 as f64);
    let mut chart = ChartBuilder::on(&plot)
        .margin(8)
        .margin_right(12)
        .x_label_area_size(34)
        .y_label_area_size(y_label_area(canvas, &ticks)?)
        .build_cartesian_2d(
            Axis::new(x_ticks.lo as f32..x_ticks.hi as f32, &x_ticks),
            Axis::new(lo..hi, &ticks),
        )
        .map_err(|e| e.to_string())?;
    let y_fmt = |v: &f32| ticks.label(*v as f64);
    let x_fmt = |v: &f32| x_ticks.label(*v as f64);
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(if log_y {
            format!("{y_label} (log scale)")
        } else {
            y_label.to_string()
        })
        .y_label_formatter(&y_fmt)
        .x_label_formatter(&x_fmt)
        .label_style(AXIS_FONT)
        .axis_desc_style(AXIS_FONT)
        .light_line_style(TRANSPARENT)
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
                .map_err(|e| e.to_string())?;
        } else {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
    }
    root.present().map_err(|e| e.to_string())?;
    drop(chart);
    drop((plot, root));
    legend(canvas, series)
}

/// The font of the axes' tick labels and names.
const AXIS_FONT: (&str, u32) = ("sans-serif", 12);

/// The width left of the plot for the y axis: its widest tick label, the axis name turned on
/// its side beside it, and the gaps plotters leaves, so that the name never overlaps a label.
fn y_label_area(canvas: &HtmlCanvasElement, ticks: &ticks::Ticks) -> Result<u32, String> {
    let ctx = context2d(canvas)?;
    ctx.set_font(&format!("{}px {}", AXIS_FONT.1, AXIS_FONT.0));
    let widest = ticks
        .labels()
        .iter()
        .map(|l| {
            ctx.measure_text(l)
                .map_or(8.0 * l.len() as f64, |m| m.width())
        })
        .fold(0.0, f64::max);
    Ok((widest + f64::from(AXIS_FONT.1) + 20.0)
        .clamp(40.0, 110.0)
        .ceil() as u32)
}

/// Height of the legend's row above a plot of up to [`LEGEND_INSIDE_MAX`] series.
const LEGEND_ROW: u32 = 18;

/// The series names, drawn straight on the canvas (plotters' own legend measures its text
/// through the page's layout; see [`Canvas`]): in one row above the plot, right-aligned, or
/// for more series one per line in the column kept free right of the plot.
fn legend(canvas: &HtmlCanvasElement, series: &[Series]) -> Result<(), String> {
    let ctx = context2d(canvas)?;
    ctx.set_font(LEGEND_FONT);
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    let in_row = series.len() <= LEGEND_INSIDE_MAX;
    let mut right = canvas.width() as f64 - 14.0;
    // A row is laid out from the right edge leftwards: take the series last to first so it
    // reads in their order.
    let mut order: Vec<(usize, &Series)> = series.iter().enumerate().collect();
    if in_row {
        order.reverse();
    }
    for (i, s) in order {
        let y = if in_row { 10.0 } else { 16.0 + 16.0 * i as f64 };
        let RGBColor(r, g, b) = s.color;
        let width = ctx
            .measure_text(&s.name)
            .map(|m| m.width())
            .unwrap_or(100.0);
        ctx.set_fill_style_str(&format!("rgb({r},{g},{b})"));
        ctx.fill_rect(right - width - 24.0, y - 2.0, 16.0, 4.0);
        ctx.set_fill_style_str("#1d2330");
        ctx.fill_text(&s.name, right, y)
            .map_err(|e| format!("{e:?}"))?;
        if in_row {
            right -= width + 40.0;
        }
    }
    Ok(())
}

/// A histogram with its value range under it. Drawn with plain canvas calls: a snapshot
/// redraws a dozen of these at once and the main thread must stay free.
pub fn draw_histogram(
    canvas: &HtmlCanvasElement,
    hist: &Histogram,
    color: RGBColor,
) -> Result<(), String> {
    let ctx = context2d(canvas)?;
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

/// Histograms over time, TensorBoard's "distributions" view: one column per snapshot, left
/// to right, value upwards, darker where more values fall (each column scaled to its own
/// peak, square-rooted so tails stay visible). `fraction` (e.g. dead ReLUs, 0 to 1) is drawn
/// over it as a red line.
pub fn draw_histogram_history(
    canvas: &HtmlCanvasElement,
    history: &[&HistogramFrame],
    fraction: &[f32],
    color: RGBColor,
) -> Result<(), String> {
    let (w, h) = (canvas.width() as usize, canvas.height() as usize);
    let plot_h = h.saturating_sub(14).max(1);
    let ctx = context2d(canvas)?;
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, w as f64, h as f64);
    if history.is_empty() || w == 0 {
        return Ok(());
    }
    let lo = history.iter().map(|h| h.min).fold(f32::INFINITY, f32::min);
    let hi = history
        .iter()
        .map(|h| h.max)
        .fold(f32::NEG_INFINITY, f32::max);
    let span = (hi - lo).max(1e-12);
    let RGBColor(r, g, b) = color;
    let mut rgba = vec![255u8; w * plot_h * 4];
    for x in 0..w {
        let hist = history[x * history.len() / w];
        let bins = hist.counts.len();
        let peak = hist.counts.iter().copied().max().unwrap_or(0).max(1) as f32;
        let width = (hist.max - hist.min).max(1e-12);
        for y in 0..plot_h {
            // The value at this pixel's centre, top = hi.
            let v = hi - span * (y as f32 + 0.5) / plot_h as f32;
            let bin = ((v - hist.min) / width * bins as f32).floor();
            if bin < 0.0 || bin >= bins as f32 {
                continue;
            }
            let shade = (hist.counts[bin as usize] as f32 / peak).sqrt();
            let mix = |c: u8| (255.0 - shade * (255.0 - c as f32)) as u8;
            let at = (y * w + x) * 4;
            rgba[at..at + 3].copy_from_slice(&[mix(r), mix(g), mix(b)]);
        }
    }
    let image = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
        wasm_bindgen::Clamped(&rgba),
        w as u32,
        plot_h as u32,
    )
    .map_err(|e| format!("{e:?}"))?;
    ctx.put_image_data(&image, 0.0, 0.0)
        .map_err(|e| format!("{e:?}"))?;
    if fraction.len() > 1 {
        ctx.set_stroke_style_str("rgb(200,40,40)");
        ctx.set_line_width(1.5);
        ctx.begin_path();
        for (i, f) in fraction.iter().enumerate() {
            let x = w as f64 * i as f64 / (fraction.len() - 1) as f64;
            let y = plot_h as f64 * (1.0 - f.clamp(0.0, 1.0) as f64);
            if i == 0 {
                ctx.move_to(x, y);
            } else {
                ctx.line_to(x, y);
            }
        }
        ctx.stroke();
    }
    ctx.set_fill_style_str("#5b6475");
    ctx.set_font("10px sans-serif");
    let _ = ctx.fill_text(
        &format!("{lo:.3} … {hi:.3}, over time →"),
        0.0,
        h as f64 - 3.0,
    );
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

/// What an empty chart will show, in grey at its centre.
fn placeholder(canvas: &HtmlCanvasElement, text: &str) -> Result<(), String> {
    let ctx = super::images::context2d(canvas)?;
    ctx.set_font("13px sans-serif");
    ctx.set_fill_style_str("#5b6475");
    ctx.set_text_align("center");
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    ctx.fill_text(text, w / 2.0, h / 2.0)
        .map_err(|e| format!("{e:?}"))?;
    ctx.set_text_align("start");
    Ok(())
}

/// A canvas redrawn by `draw` whenever the signals it reads change, with a "Save PNG" button.
/// Image grids (filters, feature maps) size the canvas themselves and are drawn `pixelated`.
#[component]
pub fn Chart(
    /// `data-testid` of the canvas; also the PNG's file name.
    #[prop(into)]
    testid: String,
    width: u32,
    height: u32,
    draw: impl Fn(&HtmlCanvasElement) -> Result<(), String> + 'static,
    #[prop(optional)] pixelated: bool,
) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move || {
        if let Some(c) = canvas.get() {
            error.set(draw(&c).err());
        }
    });
    let name = testid.clone();
    let save = move |_| {
        if let Some(c) = canvas.get_untracked() {
            save_png(&c, &name);
        }
    };
    view! {
        <div class="chart">
            <canvas node_ref=canvas class:pixelated=pixelated data-testid=testid.clone() width=width height=height></canvas>
            <button class="small" title="Download this chart as a PNG image"
                data-testid=format!("{testid}-png") on:click=save>"Save PNG"</button>
            {move || error.get().map(|e| view! { <span class="error">{e}</span> })}
        </div>
    }
}
