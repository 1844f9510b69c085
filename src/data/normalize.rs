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
    /// Colour images: each channel's mean and standard deviation, which the pixel-wise
    /// normalisations use instead of `mean` and `std` (empty for greyscale).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_mean: Vec<f32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_std: Vec<f32>,
}

impl Normalizer {
    /// Computes the statistics over the images `indices` of `set`: over all pixels, per
    /// channel of a colour image, and per pixel for `SubtractMeanImage`.
    pub fn fit(kind: Normalization, set: &ImageSet, indices: &[u32]) -> Normalizer {
        let size = set.image_size();
        let channels = set.channels.max(1);
        let mut sum_image = vec![0.0f64; size];
        let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
        let mut channel_sums = vec![(0.0f64, 0.0f64); channels];
        for &i in indices {
            for (k, (acc, &p)) in sum_image.iter_mut().zip(set.image(i as usize)).enumerate() {
                let v = p as f64 / 255.0;
                *acc += v;
                sum += v;
                sum_sq += v * v;
                if channels > 1 {
                    let c = &mut channel_sums[k % channels];
                    c.0 += v;
                    c.1 += v * v;
                }
            }
        }
        let count = (indices.len() * size).max(1) as f64;
        let spread = |sum: f64, sum_sq: f64, count: f64| {
            let mean = sum / count;
            let std = (sum_sq / count - mean * mean).max(0.0).sqrt();
            (mean as f32, (std as f32).max(1e-6))
        };
        let (mean, std) = spread(sum, sum_sq, count);
        let per_channel: Vec<(f32, f32)> = if channels > 1 {
            let count = (indices.len() * size / channels).max(1) as f64;
            channel_sums
                .iter()
                .map(|&(s, q)| spread(s, q, count))
                .collect()
        } else {
            Vec::new()
        };
        let images = indices.len().max(1) as f64;
        Normalizer {
            kind,
            mean,
            std,
            mean_image: if kind == Normalization::SubtractMeanImage {
                sum_image.iter().map(|s| (s / images) as f32).collect()
            } else {
                Vec::new()
            },
            channel_mean: per_channel.iter().map(|c| c.0).collect(),
            channel_std: per_channel.iter().map(|c| c.1).collect(),
        }
    }

    /// The channels a pixel has in the statistics: 1 unless they were fitted per channel.
    pub fn channels(&self) -> usize {
        self.channel_mean.len().max(1)
    }

    /// Each channel's (mean, 1 / std), as the pixel-wise normalisations use them.
    pub fn channel_stats(&self) -> Vec<(f32, f32)> {
        self.channel_pairs().collect()
    }

    /// [`Self::channel_stats`] without a `Vec`: one pair, or one per channel when fitted so.
    fn channel_pairs(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        let (means, stds) = if self.channel_mean.is_empty() {
            (
                std::slice::from_ref(&self.mean),
                std::slice::from_ref(&self.std),
            )
        } else {
            (&self.channel_mean[..], &self.channel_std[..])
        };
        means.iter().zip(stds).map(|(&m, &s)| (m, 1.0 / s))
    }

    /// Normalises images already scaled to [0, 1], in place (`pixels` holds whole images,
    /// the channels of a pixel together). Allocates nothing: batches call it for every
    /// image on every CPU thread, and in the browser all threads share one allocator.
    pub fn apply(&self, pixels: &mut [f32]) {
        let standardize = match self.kind {
            Normalization::Scale01 => return,
            Normalization::SubtractMeanImage => {
                for image in pixels.chunks_exact_mut(self.mean_image.len()) {
                    for (p, m) in image.iter_mut().zip(&self.mean_image) {
                        *p -= m;
                    }
                }
                return;
            }
            Normalization::SubtractMeanPixel => false,
            Normalization::Standardize => true,
        };
        let channels = self.channels();
        for (c, (m, inv)) in self.channel_pairs().enumerate() {
            let normalize = |p: &mut f32| {
                *p = if standardize { (*p - m) * inv } else { *p - m };
            };
            if channels == 1 {
                // Contiguous, so the compiler vectorises it.
                pixels.iter_mut().for_each(normalize);
            } else {
                pixels
                    .iter_mut()
                    .skip(c)
                    .step_by(channels)
                    .for_each(normalize);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalizer(kind: Normalization, channels: &[(f32, f32)]) -> Normalizer {
        Normalizer {
            kind,
            mean: 0.25,
            std: 0.3,
            mean_image: vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
            channel_mean: channels.iter().map(|c| c.0).collect(),
            channel_std: channels.iter().map(|c| c.1).collect(),
        }
    }

    /// Each value as the formula gives it, bit for bit: over all pixels, per channel (a
    /// pixel's channels together), per pixel, for two whole images at once.
    #[test]
    fn apply_computes_each_value_by_its_formula() {
        let pixels: Vec<f32> = (0..12).map(|i| i as f32 / 11.0).collect();
        let colour = [(0.5, 0.2), (0.4, 0.25), (0.3, 0.5)];
        type Formula = Box<dyn Fn(usize, f32) -> f32>;
        let cases: [(Normalizer, Formula); 6] = [
            (normalizer(Normalization::Scale01, &[]), Box::new(|_, p| p)),
            (
                normalizer(Normalization::Standardize, &[]),
                Box::new(|_, p| (p - 0.25) * (1.0 / 0.3)),
            ),
            (
                normalizer(Normalization::SubtractMeanPixel, &[]),
                Box::new(|_, p| p - 0.25),
            ),
            (
                normalizer(Normalization::Standardize, &colour),
                Box::new(move |i, p| (p - colour[i % 3].0) * (1.0 / colour[i % 3].1)),
            ),
            (
                normalizer(Normalization::SubtractMeanPixel, &colour),
                Box::new(move |i, p| p - colour[i % 3].0),
            ),
            (
                normalizer(Normalization::SubtractMeanImage, &[]),
                Box::new(|i, p| p - [0.1, 0.2, 0.3, 0.4, 0.5, 0.6][i % 6]),
            ),
        ];
        for (n, formula) in cases {
            let mut got = pixels.clone();
            n.apply(&mut got);
            for (i, (&g, &p)) in got.iter().zip(&pixels).enumerate() {
                assert_eq!(
                    g.to_bits(),
                    formula(i, p).to_bits(),
                    "{:?} value {i}",
                    n.kind
                );
            }
        }
    }
}
