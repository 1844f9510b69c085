//! Data augmentation, applied to each training batch on the fly: changes a person would
//! still recognise the digit (or garment) through. All randomness comes from a generator
//! the trainer seeds per batch, so a run is reproducible.
//!
//! Images are in [0, 1], row-major, the channels of a pixel together (HWC): one channel
//! for greyscale, three for colour. The geometric changes move every channel alike.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};

use crate::random::{hash_normal, Rng};

/// Which augmentations to apply and how strongly. Zero (or false) turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Augmentation {
    /// Random rotation in ±degrees.
    #[serde(default)]
    pub rotation_deg: f32,
    /// Random shift in ±pixels, horizontally and vertically.
    #[serde(default)]
    pub translate_px: f32,
    /// Random zoom by a factor in [1 − s, 1 + s].
    #[serde(default)]
    pub scale: f32,
    /// Gaussian noise of this standard deviation added to every pixel.
    #[serde(default)]
    pub noise_std: f32,
    /// Probability of erasing a random rectangle (random erasing / cutout).
    #[serde(default)]
    pub erase_prob: f32,
    /// Probability of a 3×3 Gaussian blur.
    #[serde(default)]
    pub blur_prob: f32,
    /// Probability of inverting the image (ink becomes paper).
    #[serde(default)]
    pub invert_prob: f32,
    /// Mirror left–right with probability ½. Wrong for digits (b/d, 2/5): off by default.
    #[serde(default)]
    pub hflip: bool,
    /// Mirror top–bottom with probability ½. Also wrong for digits.
    #[serde(default)]
    pub vflip: bool,
    /// Colour jitter of strength s: brightness, contrast and (for colour images) saturation
    /// each scaled by a random factor in [1 − s, 1 + s], as torchvision's `ColorJitter`.
    #[serde(default)]
    pub colour_jitter: f32,
}

/// One image's augmentation, drawn by [`Augmentation::sample`]. Applying it is deterministic
/// (noise comes from a counter-based stream keyed per image), so the GPU's batch kernel
/// (`shaders/data/gather_batch.wgsl`) applies the very same one.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ImageAugment {
    /// Inverse warp `(cos/zoom, sin/zoom, dx, dy)`: rotation, zoom and shift together.
    pub warp: Option<(f32, f32, f32, f32)>,
    pub hflip: bool,
    pub vflip: bool,
    pub blur: bool,
    /// Erased rectangle (top, left, height, width).
    pub erase: Option<(usize, usize, usize, usize)>,
    pub invert: bool,
    pub noise_std: f32,
    pub noise_key: u32,
    /// Colour jitter: (brightness, contrast, saturation) factors.
    pub jitter: Option<(f32, f32, f32)>,
}

impl Augmentation {
    /// Every setting finite and in its range: probabilities in [0, 1], rotation within a
    /// half turn, shifts within the image, zoom below 100 %.
    pub fn validate(&self) -> crate::Result<()> {
        use crate::size::in_range;
        in_range(
            "augmentation: rotation (degrees)",
            self.rotation_deg,
            0.0,
            180.0,
        )?;
        in_range(
            "augmentation: shift (pixels)",
            self.translate_px,
            0.0,
            512.0,
        )?;
        in_range("augmentation: zoom", self.scale, 0.0, 0.99)?;
        in_range("augmentation: noise σ", self.noise_std, 0.0, 10.0)?;
        in_range(
            "augmentation: erasing probability",
            self.erase_prob,
            0.0,
            1.0,
        )?;
        in_range("augmentation: blur probability", self.blur_prob, 0.0, 1.0)?;
        in_range("augmentation: colour jitter", self.colour_jitter, 0.0, 1.0)?;
        in_range(
            "augmentation: inversion probability",
            self.invert_prob,
            0.0,
            1.0,
        )
    }

    /// True when no augmentation is on.
    pub fn is_off(&self) -> bool {
        *self == Augmentation::default()
    }

    fn geometric(&self) -> bool {
        self.rotation_deg != 0.0 || self.translate_px != 0.0 || self.scale != 0.0
    }

    /// Draws one image's augmentation.
    pub fn sample(&self, rows: usize, cols: usize, rng: &mut Rng) -> ImageAugment {
        let mut a = ImageAugment::default();
        if self.geometric() {
            let angle = rng
                .range(-self.rotation_deg, self.rotation_deg)
                .to_radians();
            let zoom = 1.0 + rng.range(-self.scale, self.scale);
            let dx = rng.range(-self.translate_px, self.translate_px);
            let dy = rng.range(-self.translate_px, self.translate_px);
            a.warp = Some((libm::cosf(angle) / zoom, libm::sinf(angle) / zoom, dx, dy));
        }
        a.hflip = self.hflip && rng.uniform() < 0.5;
        a.vflip = self.vflip && rng.uniform() < 0.5;
        a.blur = self.blur_prob > 0.0 && rng.uniform() < self.blur_prob;
        if self.erase_prob > 0.0 && rng.uniform() < self.erase_prob {
            a.erase = Some(erase_rect(rows, cols, rng));
        }
        a.invert = self.invert_prob > 0.0 && rng.uniform() < self.invert_prob;
        if self.noise_std > 0.0 {
            a.noise_std = self.noise_std;
            a.noise_key = rng.next_u32();
        }
        // Drawn last, so the other changes of a seed are the same with or without it.
        if self.colour_jitter > 0.0 {
            let s = self.colour_jitter;
            let mut factor = || 1.0 + rng.range(-s, s);
            a.jitter = Some((factor(), factor(), factor()));
        }
        a
    }

    /// Draws and applies an augmentation to one greyscale `rows × cols` image in place.
    pub fn apply(&self, image: &mut [f32], rows: usize, cols: usize, rng: &mut Rng) {
        self.sample(rows, cols, rng).apply(image, rows, cols, 1);
    }
}

impl ImageAugment {
    /// Applies it in place to a `rows × cols × channels` image: warp, flips, blur, erasing
    /// (each channel alike), inversion, colour jitter, noise, in that order.
    pub fn apply(&self, image: &mut [f32], rows: usize, cols: usize, channels: usize) {
        if channels == 1 {
            self.spatial(image, rows, cols);
        } else {
            PLANE.with(|plane| {
                let mut plane = plane.borrow_mut();
                plane.resize(rows * cols, 0.0);
                for c in 0..channels {
                    for (p, pixel) in plane.iter_mut().zip(image.chunks_exact(channels)) {
                        *p = pixel[c];
                    }
                    self.spatial(&mut plane, rows, cols);
                    for (pixel, p) in image.chunks_exact_mut(channels).zip(plane.iter()) {
                        pixel[c] = *p;
                    }
                }
            });
        }
        if self.invert {
            image.iter_mut().for_each(|p| *p = 1.0 - *p);
        }
        if let Some(factors) = self.jitter {
            for pixel in image.chunks_exact_mut(channels) {
                jitter(pixel, factors);
            }
        }
        if self.noise_std > 0.0 {
            for (i, p) in image.iter_mut().enumerate() {
                let n = hash_normal(self.noise_key, i as u32);
                *p = (*p + self.noise_std * n).clamp(0.0, 1.0);
            }
        }
    }

    /// The changes that move pixels, on one channel's plane.
    fn spatial(&self, image: &mut [f32], rows: usize, cols: usize) {
        if let Some((c, s, dx, dy)) = self.warp {
            warp(image, rows, cols, c, s, dx, dy);
        }
        if self.hflip {
            for row in image.chunks_exact_mut(cols) {
                row.reverse();
            }
        }
        if self.vflip {
            for y in 0..rows / 2 {
                for x in 0..cols {
                    image.swap(y * cols + x, (rows - 1 - y) * cols + x);
                }
            }
        }
        if self.blur {
            blur3(image, rows, cols);
        }
        if let Some((top, left, h, w)) = self.erase {
            for y in top..top + h {
                image[y * cols + left..y * cols + left + w].fill(0.0);
            }
        }
    }
}

thread_local! {
    // Kept between images, so that augmenting a batch allocates nothing: its images are
    // augmented on every CPU thread, and in the browser all threads share one allocator.
    /// A colour image's channel, as the spatial augmentations see it.
    static PLANE: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// A copy of the image that a warp or a blur reads while writing the image.
    static COPY: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f(copy, image)` with a copy of `image` in this thread's buffer.
fn with_copy(image: &mut [f32], f: impl FnOnce(&[f32], &mut [f32])) {
    COPY.with(|copy| {
        let mut copy = copy.borrow_mut();
        copy.clear();
        copy.extend_from_slice(image);
        f(&copy, image)
    })
}

/// Colour jitter of one pixel's channels: brightness scales, contrast stretches about ½,
/// saturation moves each channel from the pixel's grey (their mean); then clamps to [0, 1].
/// `shaders/data/gather_batch.wgsl::jittered` does the same arithmetic in the same order.
fn jitter(pixel: &mut [f32], (brightness, contrast, saturation): (f32, f32, f32)) {
    for p in pixel.iter_mut() {
        *p = (*p * brightness - 0.5) * contrast + 0.5;
    }
    if pixel.len() > 1 {
        let mut sum = 0.0;
        for p in pixel.iter() {
            sum += *p;
        }
        let grey = sum / pixel.len() as f32;
        for p in pixel.iter_mut() {
            *p = grey + (*p - grey) * saturation;
        }
    }
    for p in pixel.iter_mut() {
        *p = p.clamp(0.0, 1.0);
    }
}

/// Inverse-maps each output pixel through the rotation/zoom `(c, s) = (cos, sin)/zoom` about
/// the centre and the shift (dx, dy), with bilinear sampling; outside is background (0).
fn warp(image: &mut [f32], rows: usize, cols: usize, c: f32, s: f32, dx: f32, dy: f32) {
    with_copy(image, |source, image| {
        warp_from(source, image, rows, cols, (c, s, dx, dy))
    });
}

fn warp_from(
    source: &[f32],
    image: &mut [f32],
    rows: usize,
    cols: usize,
    (c, s, dx, dy): (f32, f32, f32, f32),
) {
    let (cy, cx) = ((rows as f32 - 1.0) / 2.0, (cols as f32 - 1.0) / 2.0);
    let at = |y: isize, x: isize| {
        if y < 0 || x < 0 || y >= rows as isize || x >= cols as isize {
            0.0
        } else {
            source[y as usize * cols + x as usize]
        }
    };
    for y in 0..rows {
        for x in 0..cols {
            let (u, v) = (x as f32 - cx - dx, y as f32 - cy - dy);
            let sx = (c * u + s * v) + cx;
            let sy = (-s * u + c * v) + cy;
            let (x0, y0) = (libm::floorf(sx), libm::floorf(sy));
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1) * fx;
            let bottom = at(y0 + 1, x0) * (1.0 - fx) + at(y0 + 1, x0 + 1) * fx;
            image[y * cols + x] = top * (1.0 - fy) + bottom * fy;
        }
    }
}

/// A 3×3 Gaussian blur (weights 1-2-1 ⊗ 1-2-1 / 16), edges clamped.
fn blur3(image: &mut [f32], rows: usize, cols: usize) {
    with_copy(image, |source, image| blur3_from(source, image, rows, cols));
}

fn blur3_from(source: &[f32], image: &mut [f32], rows: usize, cols: usize) {
    const W: [f32; 3] = [0.25, 0.5, 0.25];
    for y in 0..rows {
        for x in 0..cols {
            let mut sum = 0.0;
            for (i, wy) in W.iter().enumerate() {
                for (j, wx) in W.iter().enumerate() {
                    let sy = (y + i).saturating_sub(1).min(rows - 1);
                    let sx = (x + j).saturating_sub(1).min(cols - 1);
                    sum += wy * wx * source[sy * cols + sx];
                }
            }
            image[y * cols + x] = sum;
        }
    }
}

/// Random erasing: a rectangle covering 5–25% of the image.
fn erase_rect(rows: usize, cols: usize, rng: &mut Rng) -> (usize, usize, usize, usize) {
    let area = rng.range(0.05, 0.25) * (rows * cols) as f32;
    let aspect = libm::expf(rng.range(-1.0, 1.0));
    let h = ((area * aspect).sqrt().round() as usize).clamp(1, rows);
    let w = ((area / aspect).sqrt().round() as usize).clamp(1, cols);
    let top = rng.below((rows - h + 1) as u32) as usize;
    let left = rng.below((cols - w + 1) as u32) as usize;
    (top, left, h, w)
}
