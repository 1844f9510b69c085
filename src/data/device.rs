//! A dataset split resident on the GPU: uploaded once, then every batch is gathered,
//! augmented and normalised by one kernel (`shaders/data/gather_batch.wgsl`), so a training
//! step never sends images to the GPU. Mirrors `batch::make_batch`.

use std::sync::Arc;

use super::augment::ImageAugment;
use super::batch::Batch;
use super::normalize::{Normalization, Normalizer};
use super::ImageSet;
use crate::backend::webgpu::ops::{self as gpu, AugParams, GatherParams};
use crate::backend::webgpu::GpuContext;
use crate::error::Result;
use crate::tensor::{Device, Tensor};

/// Images (bytes packed four to a u32) and labels of one image set, on a GPU.
pub struct DeviceImages {
    ctx: Arc<GpuContext>,
    rows: usize,
    cols: usize,
    channels: usize,
    classes: usize,
    /// Bytes per image, rounded up to a whole u32.
    stride: usize,
    images: Tensor,
    labels: Tensor,
    /// The per-pixel mean for `SubtractMeanImage`; for colour images with a pixel-wise
    /// normalisation, each channel's mean then each channel's 1 / std; one zero otherwise.
    mean_image: Tensor,
    normalizer: Normalizer,
}

impl DeviceImages {
    /// Uploads `set` to the GPU of `device` once.
    pub fn upload(
        set: &ImageSet,
        normalizer: &Normalizer,
        ctx: &Arc<GpuContext>,
    ) -> Result<DeviceImages> {
        let device = Device::WebGpu(ctx.clone());
        let size = set.image_size();
        let stride = size.div_ceil(4) * 4;
        let mut bytes = vec![0u8; stride * set.len().max(1)];
        for i in 0..set.len() {
            bytes[i * stride..i * stride + size].copy_from_slice(set.image(i));
        }
        // The words travel as f32 bit patterns: a tensor is only a typed view of the buffer.
        let words: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|w| f32::from_bits(u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
            .collect();
        let labels: Vec<f32> = set
            .labels
            .iter()
            .map(|&l| f32::from_bits(l as u32))
            .collect();
        let mean_image = match normalizer.kind {
            Normalization::SubtractMeanImage => normalizer.mean_image.clone(),
            _ if set.channels > 1 => {
                let stats = normalizer.channel_stats();
                let means = stats.iter().map(|s| s.0);
                means.chain(stats.iter().map(|s| s.1)).collect()
            }
            _ => vec![0.0],
        };
        Ok(DeviceImages {
            ctx: ctx.clone(),
            rows: set.rows,
            cols: set.cols,
            channels: set.channels,
            classes: set.classes,
            stride,
            images: Tensor::from_vec_on([words.len()], words, &device)?,
            labels: Tensor::from_vec_on([labels.len().max(1)], pad(labels), &device)?,
            mean_image: Tensor::from_vec_on([mean_image.len()], mean_image, &device)?,
            normalizer: normalizer.clone(),
        })
    }

    /// The batch of images `indices` (each augmented by `augments[i]` when given), built on
    /// the GPU. Only the indices and augmentation parameters are uploaded.
    pub fn batch(&self, indices: &[u32], augments: Option<&[ImageAugment]>) -> Result<Batch> {
        let device = Device::WebGpu(self.ctx.clone());
        let n = indices.len();
        let index_bits: Vec<f32> = indices.iter().map(|&i| f32::from_bits(i)).collect();
        let index_tensor = Tensor::from_vec_on([n.max(1)], pad(index_bits), &device)?;
        let augs: Vec<AugParams> = match augments {
            Some(a) => a.iter().map(AugParams::from).collect(),
            None => vec![AugParams::default()],
        };
        let aug_floats: Vec<f32> = bytemuck::cast_slice(&augs).to_vec();
        let aug_tensor = Tensor::from_vec_on([aug_floats.len()], aug_floats, &device)?;
        let inputs = Tensor::scratch_on([n, self.rows, self.cols, self.channels], &device);
        let targets = Tensor::scratch_on([n, self.classes], &device);
        let p = GatherParams {
            batch: n as u32,
            rows: self.rows as u32,
            cols: self.cols as u32,
            stride: self.stride as u32,
            classes: self.classes as u32,
            normalization: match self.normalizer.kind {
                Normalization::Scale01 => 0,
                Normalization::SubtractMeanPixel => 1,
                Normalization::SubtractMeanImage => 2,
                Normalization::Standardize => 3,
            },
            mean: self.normalizer.mean,
            inv_std: 1.0 / self.normalizer.std,
            augment: augments.is_some() as u32,
            channels: self.channels as u32,
            _pad: [0; 2],
        };
        gpu::gather_batch(
            &self.ctx,
            p,
            [
                self.images.gpu_buffer(),
                self.labels.gpu_buffer(),
                index_tensor.gpu_buffer(),
                aug_tensor.gpu_buffer(),
                self.mean_image.gpu_buffer(),
                inputs.gpu_buffer(),
                targets.gpu_buffer(),
            ],
        )?;
        Ok(Batch {
            inputs,
            targets,
            labels: Vec::new(),
            indices: indices.to_vec(),
        })
    }
}

/// A storage buffer cannot be empty.
fn pad(mut v: Vec<f32>) -> Vec<f32> {
    if v.is_empty() {
        v.push(0.0);
    }
    v
}
