//! One image file to the dataset's pixels: PNG, JPEG, WebP, GIF (its first frame) or BMP
//! of any size, made square (centre crop, or padding with black) and resized to
//! `side × side` by averaging the source pixels each target pixel covers, in grey or RGB.
//! The header's dimensions are checked before the pixels are decoded, so a 20 000 × 20 000
//! image is refused without allocating its 1.6 GB.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};

/// The most pixels one source image may have (24 megapixels: a large camera photo). Decoded
/// as RGBA that is 96 MiB, held only while the image is resized.
pub const MAX_PIXELS: u64 = 24_000_000;

/// How an image that is not square becomes square.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Keep the centre square (what the eye looks at; loses the edges).
    #[default]
    Crop,
    /// Keep the whole image, with black bars (nothing lost; the object is smaller).
    Pad,
}

/// The formats this reads, as the learner sees them named.
pub const FORMATS: &str = "PNG, JPEG, WebP, GIF or BMP";

/// Decodes `bytes` and returns `side × side × channels` bytes (HWC), channels 1 or 3.
/// The error is a sentence about the file, without its name.
pub fn decode(bytes: &[u8], side: usize, channels: usize, fit: Fit) -> Result<Vec<u8>, String> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot be read ({e})"))?;
    let format = match reader.format() {
        Some(
            f @ (ImageFormat::Png
            | ImageFormat::Jpeg
            | ImageFormat::WebP
            | ImageFormat::Gif
            | ImageFormat::Bmp),
        ) => f,
        _ => return Err(format!("is not an image this app reads ({FORMATS})")),
    };
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| format!("is damaged: its header cannot be read ({e})"))?;
    let pixels = w as u64 * h as u64;
    if pixels == 0 {
        return Err("has no pixels (0 wide or 0 high)".into());
    }
    if pixels > MAX_PIXELS {
        return Err(format!(
            "is {w} × {h} pixels ({:.0} megapixels); the most this app decodes is {} \
             megapixels: resize it first",
            pixels as f64 / 1e6,
            MAX_PIXELS / 1_000_000
        ));
    }
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (16 << 20));
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| format!("cannot be decoded: it is damaged or truncated ({e})"))?;
    let (w, h) = (w as usize, h as usize);
    let source = if channels == 1 {
        image.into_luma8().into_raw()
    } else {
        image.into_rgb8().into_raw()
    };
    Ok(square(&source, w, h, channels, side, fit))
}

/// Makes a `w × h × channels` image square (crop or pad) and resizes it to `side × side`:
/// each target pixel is the mean of the source area it covers (a box filter: no aliasing
/// when shrinking, plain repetition when enlarging).
pub fn square(
    source: &[u8],
    w: usize,
    h: usize,
    channels: usize,
    side: usize,
    fit: Fit,
) -> Vec<u8> {
    // The square window in source coordinates: (x0, y0, size), possibly outside for padding.
    let (size, x0, y0) = match fit {
        Fit::Crop => {
            let s = w.min(h) as f64;
            (s, (w as f64 - s) / 2.0, (h as f64 - s) / 2.0)
        }
        Fit::Pad => {
            let s = w.max(h) as f64;
            (s, (w as f64 - s) / 2.0, (h as f64 - s) / 2.0)
        }
    };
    let scale = size / side as f64;
    let mut out = vec![0u8; side * side * channels];
    let mut sums = vec![0.0f64; channels];
    for ty in 0..side {
        let (sy0, sy1) = (y0 + ty as f64 * scale, y0 + (ty + 1) as f64 * scale);
        for tx in 0..side {
            let (sx0, sx1) = (x0 + tx as f64 * scale, x0 + (tx + 1) as f64 * scale);
            sums.iter_mut().for_each(|s| *s = 0.0);
            let area = (sy1 - sy0) * (sx1 - sx0);
            // Source pixels overlapping the window, weighted by the overlap.
            let ys = (sy0.floor().max(0.0) as usize)..(sy1.ceil().min(h as f64) as usize);
            for sy in ys {
                let wy = (sy1.min(sy as f64 + 1.0) - sy0.max(sy as f64)).max(0.0);
                let xs = (sx0.floor().max(0.0) as usize)..(sx1.ceil().min(w as f64) as usize);
                for sx in xs {
                    let wx = (sx1.min(sx as f64 + 1.0) - sx0.max(sx as f64)).max(0.0);
                    let at = (sy * w + sx) * channels;
                    for (c, s) in sums.iter_mut().enumerate() {
                        *s += wy * wx * source[at + c] as f64;
                    }
                }
            }
            let at = (ty * side + tx) * channels;
            for (c, s) in sums.iter().enumerate() {
                // Outside the source (padding) counts as black.
                out[at + c] = (s / area).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_averages_and_padding_is_black() {
        // 4×2 grey: left half 0, right half 200.
        let src = [0, 0, 200, 200, 0, 0, 200, 200];
        assert_eq!(square(&src, 4, 2, 1, 1, Fit::Crop), [100]);
        assert_eq!(square(&src, 4, 2, 1, 2, Fit::Crop), [0, 200, 0, 200]);
        // Padded to 4×4: the image fills the middle two rows.
        assert_eq!(square(&src, 4, 2, 1, 2, Fit::Pad), [0, 100, 0, 100]);
        assert_eq!(square(&src, 4, 2, 1, 4, Fit::Pad)[4..8], [0, 0, 200, 200]);
    }

    #[test]
    fn colour_channels_stay_apart() {
        let src = [255, 0, 0, 0, 0, 255];
        assert_eq!(square(&src, 2, 1, 3, 1, Fit::Crop), [128, 0, 128]);
        assert_eq!(square(&src, 2, 1, 3, 1, Fit::Pad), [64, 0, 64]);
    }

    #[test]
    fn not_an_image_is_said_so() {
        let e = decode(b"hello, world", 8, 1, Fit::Crop).unwrap_err();
        assert!(e.contains("is not an image"), "{e}");
    }
}
