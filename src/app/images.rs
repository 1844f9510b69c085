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
    // Signed tiles are stretched over their own range.
    let bounds: Vec<f32> = tiles
        .iter()
        .map(|t| {
            let (lo, hi) = t
                .values
                .iter()
                .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
            lo.abs().max(hi.abs()).max(1e-12)
        })
        .collect();
    let captions: Vec<Option<&str>> = tiles.iter().map(|t| t.caption.as_deref()).collect();
    let grid = Grid {
        rows,
        cols,
        scale,
        per_row,
    };
    paint_grid(canvas, grid, &captions, |k, i| {
        let v = *tiles[k].values.get(i)?;
        let grey = match tone {
            Tone::Ink => 255.0 * (1.0 - v.clamp(0.0, 1.0)),
            Tone::Signed => 127.5 + 127.5 * v / bounds[k],
        } as u8;
        Some([grey; 3])
    })
}

/// Tiles of `rows × cols` pixels, each pixel `scale` screen pixels, `per_row` to a row.
#[derive(Clone, Copy)]
struct Grid {
    rows: usize,
    cols: usize,
    scale: usize,
    per_row: usize,
}

/// Paints one tile per caption (a 4 px gap after each, a caption line above them when any
/// has one) on a white canvas sized to fit; `colour(k, i)` is tile k's pixel i (row-major),
/// white when `None`.
fn paint_grid(
    canvas: &HtmlCanvasElement,
    grid: Grid,
    captions: &[Option<&str>],
    colour: impl Fn(usize, usize) -> Option<[u8; 3]>,
) -> Result<(), JsValue> {
    let Grid {
        rows,
        cols,
        scale,
        per_row,
    } = grid;
    let gap = 4;
    let caption_h = if captions.iter().any(Option::is_some) {
        13
    } else {
        0
    };
    let (cell_w, cell_h) = (cols * scale + gap, rows * scale + gap + caption_h);
    let per_row = per_row.max(1).min(captions.len().max(1));
    let lines = captions.len().div_ceil(per_row).max(1);
    let (width, height) = (per_row * cell_w, lines * cell_h);
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    if captions.is_empty() {
        return Ok(());
    }
    let mut rgba = vec![255u8; width * height * 4];
    for k in 0..captions.len() {
        let (x0, y0) = ((k % per_row) * cell_w, (k / per_row) * cell_h + caption_h);
        for y in 0..rows * scale {
            for x in 0..cols * scale {
                if let Some(rgb) = colour(k, (y / scale) * cols + x / scale) {
                    let at = ((y0 + y) * width + x0 + x) * 4;
                    rgba[at..at + 3].copy_from_slice(&rgb);
                }
            }
        }
    }
    let context = context2d(canvas).map_err(|e| JsValue::from_str(&e))?;
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), width as u32, height as u32)?;
    context.put_image_data(&image, 0.0, 0.0)?;
    context.set_font("11px sans-serif");
    context.set_fill_style_str("#1d2330");
    for (k, caption) in captions.iter().enumerate() {
        if let Some(caption) = caption {
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
    let captions: Vec<Option<&str>> = tiles.iter().map(|t| t.1.as_deref()).collect();
    let grid = Grid {
        rows,
        cols,
        scale,
        per_row,
    };
    paint_grid(canvas, grid, &captions, |k, i| {
        let px = tiles[k].0.get(i * channels..(i + 1) * channels)?;
        Some(match channels {
            3 => [px[0], px[1], px[2]],
            _ if photos => [px[0]; 3],
            _ => [255 - px[0]; 3],
        })
    })
    .map_err(|e| format!("{e:?}"))
}
