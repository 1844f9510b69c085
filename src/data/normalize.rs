//! Input normalisation. Pixels are first scaled to [0, 1]; the statistics of the other
//! choices come from the training split only (never validation or test, which would leak
//! information about them into training).

use serde::{Deserialize, Serialize};

use super::ImageSet;

/// How pixels become network inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    /// `x / 255`: values in [0, 1].
    Scale01,
    /// `x/255 − mean pixel`: centred around 0.
    SubtractMeanPixel,
    /// `x/255 − mean image`: each pixel centred on its own training mean.
    SubtractMeanImage,
    /// `(x/255 − mean pixel) / std`: zero mean, unit variance.
    #[default]
    Standardize,
}

/// The statistics a normalisation needs, computed once from the training split and saved
/// with the model so inference normalises the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    pub kind: Normalization,
    /// Mean of all training pixels, in [0, 1] units.
    pub mean: f32,
    /// Standard deviation of all training pixels, in [0, 1] units.
    pub std: f32,
    /// Per-pixel training mean (empty unless `SubtractMeanImage`).
    #[serde(default)]
    pub mean_image: Vec<f32>,
}

impl Normalizer {
    /// Computes the statistics over the images `indices` of `set`.
    pub fn fit(kind: Normalization, set: &ImageSet, indices: &[u32]) -> Normalizer {
        let size = set.image_size();
        let mut sum_image = vec![0.0f64; size];
        let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
        for &i in indices {
            for (acc, &p) in sum_image.iter_mut().zip(set.image(i as usize)) {
                let v = p as f64 / 255.0;
                *acc += v;
                sum += v;
                sum_sq += v * v;
            }
        }
        let count = (indices.len() * size).max(1) as f64;
        let mean = sum / count;
        let std = (sum_sq / count - mean * mean).max(0.0).sqrt();
        let images = indices.len().max(1) as f64;
        Normalizer {
            kind,
            mean: mean as f32,
            std: (std as f32).max(1e-6),
            mean_image: if kind == Normalization::SubtractMeanImage {
                sum_image.iter().map(|s| (s / images) as f32).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Normalises images already scaled to [0, 1], in place (`pixels` holds whole images).
    pub fn apply(&self, pixels: &mut [f32]) {
        match self.kind {
            Normalization::Scale01 => {}
            Normalization::SubtractMeanPixel => pixels.iter_mut().for_each(|p| *p -= self.mean),
            Normalization::SubtractMeanImage => {
                for image in pixels.chunks_exact_mut(self.mean_image.len()) {
                    for (p, m) in image.iter_mut().zip(&self.mean_image) {
                        *p -= m;
                    }
                }
            }
            Normalization::Standardize => {
                let inv = 1.0 / self.std;
                pixels.iter_mut().for_each(|p| *p = (*p - self.mean) * inv);
            }
        }
    }
}
