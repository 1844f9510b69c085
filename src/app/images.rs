//! Small greyscale images in a grid on a canvas: samples, augmented samples, filters,
//! feature maps, mistakes.

use wasm_bindgen::{Clamped, JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// The canvas's 2-D context.
pub fn context2d(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, String> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| "no 2-D canvas context".to_string())
}

/// How values become grey levels.
#[derive(Clone, Copy)]
pub enum Tone {
    /// 0 = white paper, 1 = black ink (images scaled to [0, 1]).
    Ink,
    /// Each image stretched over its own range, mid-grey at 0 for signed values (filters):
    /// dark is negative, light is positive.
    Signed,
}

/// One image of `rows × cols` values.
pub struct Tile<'a> {
    pub values: &'a [f32],
    pub caption: Option<String>,
}

/// One image of `rows × cols` values, each pixel `scale` screen pixels.
pub fn draw_image(
    canvas: &HtmlCanvasElement,
    values: &[f32],
    rows: usize,
    cols: usize,
    scale: usize,
    tone: Tone,
) -> Result<(), String> {
    let tile = Tile {
        values,
        caption: None,
    };
    draw_tiles(canvas, &[tile], rows, cols, scale, 1, tone)
}

/// The first `max` channels of an `[H, W, C]` feature map (NHWC values), each as its own
/// `H × W` image, `per_row` to a row.
pub fn draw_channels(
    canvas: &HtmlCanvasElement,
    values: &[f32],
    (h, w, c): (usize, usize, usize),
    max: usize,
    scale: usize,
    per_row: usize,
) -> Result<(), String> {
    let channels: Vec<Vec<f32>> = (0..c.min(max))
        .map(|k| (0..h * w).map(|p| values[p * c + k]).collect())
        .collect();
    draw_tiles(
        canvas,
        &uncaptioned(&channels),
        h,
        w,
        scale,
        per_row,
        Tone::Signed,
    )
}

/// One tile per image, without captions.
pub fn uncaptioned(images: &[Vec<f32>]) -> Vec<Tile<'_>> {
    images
        .iter()
        .map(|v| Tile {
            values: v,
            caption: None,
        })
        .collect()
}

/// Draws `tiles` left to right, `per_row` to a row, each pixel `scale` screen pixels.
pub fn draw_tiles(
    canvas: &HtmlCanvasElement,
    tiles: &[Tile],
    rows: usize,
    cols: usize,
    scale: usize,
    per_row: usize,
    tone: Tone,
) -> Result<(), String> {
    paint_tiles(canvas, tiles, rows, cols, scale, per_row, tone).map_err(|e| format!("{e:?}"))
}

fn paint_tiles(
    canvas: &HtmlCanvasElement,
    tiles: &[Tile],
    rows: usize,
    cols: usize,
    scale: usize,
    per_row: usize,
    tone: Tone,
) -> Result<(), JsValue> {
    let gap = 4;
    let caption_h = if tiles.iter().any(|t| t.caption.is_some()) {
        13
    } else {
        0
    };
    let (cell_w, cell_h) = (cols * scale + gap, rows * scale + gap + caption_h);
    let per_row = per_row.max(1).min(tiles.len().max(1));
    let lines = tiles.len().div_ceil(per_row).max(1);
    let (width, height) = (per_row * cell_w, lines * cell_h);
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    if tiles.is_empty() {
        return Ok(());
    }
    let mut rgba = vec![255u8; width * height * 4];
    for (k, tile) in tiles.iter().enumerate() {
        let (x0, y0) = ((k % per_row) * cell_w, (k / per_row) * cell_h + caption_h);
        let (lo, hi) = tile
            .values
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let bound = lo.abs().max(hi.abs()).max(1e-12);
        for y in 0..rows * scale {
            for x in 0..cols * scale {
                let v = tile.values.get((y / scale) * cols + x / scale).copied();
                let grey = match (tone, v) {
                    (_, None) => 255.0,
                    (Tone::Ink, Some(v)) => 255.0 * (1.0 - v.clamp(0.0, 1.0)),
                    (Tone::Signed, Some(v)) => 127.5 + 127.5 * v / bound,
                };
                let at = ((y0 + y) * width + x0 + x) * 4;
                rgba[at..at + 3].fill(grey as u8);
            }
        }
    }
    let context = context2d(canvas).map_err(|e| JsValue::from_str(&e))?;
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), width as u32, height as u32)?;
    context.put_image_data(&image, 0.0, 0.0)?;
    context.set_font("11px sans-serif");
    context.set_fill_style_str("#1d2330");
    for (k, tile) in tiles.iter().enumerate() {
        if let Some(caption) = &tile.caption {
            let (x0, y0) = ((k % per_row) * cell_w, (k / per_row) * cell_h);
            context.fill_text(caption, x0 as f64, y0 as f64 + 10.0)?;
        }
    }
    Ok(())
}

/// How a dataset's stored bytes look: `channels` per pixel (3: RGB), and whether they are
/// photos (0 is black) or ink on paper (0 is the white background, as MNIST).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    pub rows: usize,
    pub cols: usize,
    pub channels: usize,
    pub photos: bool,
}

impl Look {
    /// The loaded dataset's look (MNIST's when none is loaded).
    pub fn of(summary: Option<&crate::data::DatasetSummary>) -> Look {
        summary.map_or(
            Look {
                rows: 28,
                cols: 28,
                channels: 1,
                photos: false,
            },
            |s| Look {
                rows: s.rows,
                cols: s.cols,
                channels: s.channels,
                photos: s.photos,
            },
        )
    }
}

/// One stored image (`rows × cols × channels` bytes) as the learner would see it; with
/// `planes`, a colour image in a 2×2 grid with its three channels, each in its own tint
/// (the image, red; green, blue).
pub fn draw_pixels(
    canvas: &HtmlCanvasElement,
    pixels: &[u8],
    look: Look,
    scale: usize,
    planes: bool,
) -> Result<(), String> {
    let mut images = vec![pixels.to_vec()];
    if planes && look.channels == 3 {
        for k in 0..3 {
            let mut plane = vec![0u8; pixels.len()];
            for (p, q) in plane.chunks_exact_mut(3).zip(pixels.chunks_exact(3)) {
                p[k] = q[k];
            }
            images.push(plane);
        }
    }
    let tiles: Vec<(&[u8], Option<String>)> = images.iter().map(|i| (&i[..], None)).collect();
    draw_stored(canvas, &tiles, look, scale, 2)
}

/// Stored images (each `rows × cols × channels` bytes, with an optional caption) left to
/// right, `per_row` to a row: colour as it is, grey photos as they are, ink dark on white.
pub fn draw_stored(
    canvas: &HtmlCanvasElement,
    tiles: &[(&[u8], Option<String>)],
    look: Look,
    scale: usize,
    per_row: usize,
) -> Result<(), String> {
    let Look {
        rows,
        cols,
        channels,
        photos,
    } = look;
    let gap = 4;
    let caption_h = if tiles.iter().any(|t| t.1.is_some()) {
        13
    } else {
        0
    };
    let (cell_w, cell_h) = (cols * scale + gap, rows * scale + gap + caption_h);
    let per_row = per_row.max(1).min(tiles.len().max(1));
    let lines = tiles.len().div_ceil(per_row).max(1);
    let (width, height) = (per_row * cell_w - gap, lines * cell_h - gap);
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    if tiles.is_empty() {
        return Ok(());
    }
    let mut rgba = vec![255u8; width * height * 4];
    for (k, (pixels, _)) in tiles.iter().enumerate() {
        let (x0, y0) = ((k % per_row) * cell_w, (k / per_row) * cell_h + caption_h);
        for y in 0..rows * scale {
            for x in 0..cols * scale {
                let from = ((y / scale) * cols + x / scale) * channels;
                let Some(px) = pixels.get(from..from + channels) else {
                    continue;
                };
                let rgb = match channels {
                    3 => [px[0], px[1], px[2]],
                    _ if photos => [px[0]; 3],
                    _ => [255 - px[0]; 3],
                };
                let at = ((y0 + y) * width + x0 + x) * 4;
                rgba[at..at + 3].copy_from_slice(&rgb);
            }
        }
    }
    let context = context2d(canvas)?;
    let js = |e: JsValue| format!("{e:?}");
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), width as u32, height as u32)
            .map_err(js)?;
    context.put_image_data(&image, 0.0, 0.0).map_err(js)?;
    context.set_font("11px sans-serif");
    context.set_fill_style_str("#1d2330");
    for (k, (_, caption)) in tiles.iter().enumerate() {
        if let Some(caption) = caption {
            let (x0, y0) = ((k % per_row) * cell_w, (k / per_row) * cell_h);
            context
                .fill_text(caption, x0 as f64, y0 as f64 + 10.0)
                .map_err(js)?;
        }
    }
    Ok(())
}
