//! Turning dataset images into network inputs, one batch at a time: gather, scale to
//! [0, 1], augment (training only), normalise.

use super::augment::ImageAugment;
use super::normalize::Normalizer;
use super::ImageSet;
use crate::backend::cpu::threads;
use crate::tensor::Tensor;

/// A batch ready for the model: inputs `[B, rows, cols, channels]`, one-hot targets
/// `[B, classes]`,
/// and the labels and dataset indices they came from.
#[derive(Debug, Clone)]
pub struct Batch {
    pub inputs: Tensor,
    pub targets: Tensor,
    pub labels: Vec<u8>,
    pub indices: Vec<u32>,
}

/// Builds the batch of images `indices` of `set`, applying `augments[i]` to image i when
/// given (drawn by `Augmentation::sample`).
pub fn make_batch(
    set: &ImageSet,
    indices: &[u32],
    normalizer: &Normalizer,
    augments: Option<&[ImageAugment]>,
) -> Batch {
    let size = set.image_size();
    // Every element is written below, so a recycled buffer will do.
    let mut pixels = crate::backend::cpu::buffers::take(indices.len() * size);
    // Image by image, in groups over the CPU threads.
    threads::for_each_image_group(indices.len(), &mut pixels, size, size, |images, pixels| {
        touch(images.clone().map(|n| set.image(indices[n] as usize)));
        for (dst, n) in pixels.chunks_exact_mut(size).zip(images) {
            for (d, &p) in dst.iter_mut().zip(set.image(indices[n] as usize)) {
                *d = p as f32 * (1.0 / 255.0);
            }
            if let Some(a) = augments.and_then(|a| a.get(n)) {
                a.apply(dst, set.rows, set.cols, set.channels);
            }
            normalizer.apply(dst);
        }
    });
    let labels: Vec<u8> = indices.iter().map(|&i| set.labels[i as usize]).collect();
    Batch {
        inputs: Tensor::from_vec([indices.len(), set.rows, set.cols, set.channels], pixels)
            .expect("length matches shape"),
        targets: one_hot(&labels, set.classes),
        labels,
        indices: indices.to_vec(),
    }
}

/// Loads a byte of every cache line of `images` and throws it away. The images of a batch
/// lie at random places in the set, mostly out of cache: touching them all first lets their
/// misses overlap, rather than each image's waiting for the one before it to be converted.
fn touch<'a>(images: impl Iterator<Item = &'a [u8]>) {
    let touched = images.fold(0u8, |x, image| {
        image.iter().step_by(64).fold(x, |x, &p| x ^ p)
    });
    std::hint::black_box(touched);
}

/// One-hot rows for labels: `[labels.len(), classes]`, the targets a loss compares outputs
/// with.
pub fn one_hot(labels: &[u8], classes: usize) -> Tensor {
    let mut data = vec![0.0; labels.len() * classes];
    for (row, &l) in data.chunks_exact_mut(classes).zip(labels) {
        row[l as usize] = 1.0;
    }
    Tensor::from_vec([labels.len(), classes], data).expect("length matches shape")
}
