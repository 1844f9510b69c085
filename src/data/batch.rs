//! Turning dataset images into network inputs, one batch at a time: gather, scale to
//! [0, 1], augment (training only), normalise.

use super::augment::Augmentation;
use super::normalize::Normalizer;
use super::{ImageSet, NUM_CLASSES};
use crate::nn::loss::one_hot;
use crate::random::Rng;
use crate::tensor::Tensor;

/// A batch ready for the model: inputs `[B, rows, cols, 1]`, one-hot targets `[B, 10]`,
/// and the labels and dataset indices they came from.
#[derive(Debug, Clone)]
pub struct Batch {
    pub inputs: Tensor,
    pub targets: Tensor,
    pub labels: Vec<u8>,
    pub indices: Vec<u32>,
}

/// Builds the batch of images `indices` of `set`; augments each image when `augment` is
/// given (with its generator).
pub fn make_batch(
    set: &ImageSet,
    indices: &[u32],
    normalizer: &Normalizer,
    augment: Option<(&Augmentation, &mut Rng)>,
) -> Batch {
    let size = set.image_size();
    let mut pixels = vec![0.0f32; indices.len() * size];
    for (dst, &i) in pixels.chunks_exact_mut(size).zip(indices) {
        for (d, &p) in dst.iter_mut().zip(set.image(i as usize)) {
            *d = p as f32 * (1.0 / 255.0);
        }
    }
    if let Some((aug, rng)) = augment {
        if !aug.is_off() {
            for image in pixels.chunks_exact_mut(size) {
                aug.apply(image, set.rows, set.cols, rng);
            }
        }
    }
    normalizer.apply(&mut pixels);
    let labels: Vec<u8> = indices.iter().map(|&i| set.labels[i as usize]).collect();
    Batch {
        inputs: Tensor::from_vec([indices.len(), set.rows, set.cols, 1], pixels)
            .expect("length matches shape"),
        targets: one_hot(&labels, NUM_CLASSES),
        labels,
        indices: indices.to_vec(),
    }
}
