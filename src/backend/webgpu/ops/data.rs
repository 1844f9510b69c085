//! Batches gathered, augmented and normalised on the GPU: `shaders/data/`.

use bytemuck::{Pod, Zeroable};
use wgpu::Buffer;

use crate::backend::webgpu::kernels::{grid, Kernel};
use crate::backend::webgpu::GpuContext;
use crate::error::Result;

/// `shaders/data/gather_batch.wgsl::Params`.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
pub struct GatherParams {
    pub batch: u32,
    pub rows: u32,
    pub cols: u32,
    pub stride: u32,
    pub classes: u32,
    pub normalization: u32,
    pub mean: f32,
    pub inv_std: f32,
    pub augment: u32,
    pub channels: u32,
    pub _pad: [u32; 2],
}

/// `shaders/data/gather_batch.wgsl::Aug`: one image's augmentation.
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Default)]
pub struct AugParams {
    c: f32,
    s: f32,
    dx: f32,
    dy: f32,
    flags: u32,
    erase_top: u32,
    erase_left: u32,
    erase_h: u32,
    erase_w: u32,
    noise_key: u32,
    noise_std: f32,
    brightness: f32,
    contrast: f32,
    saturation: f32,
    _pad: [u32; 3],
}

impl From<&crate::data::augment::ImageAugment> for AugParams {
    fn from(a: &crate::data::augment::ImageAugment) -> AugParams {
        let (c, s, dx, dy) = a.warp.unwrap_or((1.0, 0.0, 0.0, 0.0));
        let (top, left, h, w) = a.erase.unwrap_or((0, 0, 0, 0));
        let flags = a.warp.is_some() as u32
            | (a.hflip as u32) << 1
            | (a.vflip as u32) << 2
            | (a.blur as u32) << 3
            | (a.erase.is_some() as u32) << 4
            | (a.invert as u32) << 5
            | (a.jitter.is_some() as u32) << 6;
        let (brightness, contrast, saturation) = a.jitter.unwrap_or((1.0, 1.0, 1.0));
        AugParams {
            c,
            s,
            dx,
            dy,
            flags,
            erase_top: top as u32,
            erase_left: left as u32,
            erase_h: h as u32,
            erase_w: w as u32,
            noise_key: a.noise_key,
            noise_std: a.noise_std,
            brightness,
            contrast,
            saturation,
            _pad: [0; 3],
        }
    }
}

/// Gathers, augments and normalises a batch: buffers are images, labels, indices,
/// augmentations, mean image, inputs, targets.
pub fn gather_batch(ctx: &GpuContext, p: GatherParams, buffers: [&Buffer; 7]) -> Result<()> {
    let [images, labels, indices, augs, mean, inputs, targets] = buffers;
    let n = (p.batch * p.rows * p.cols * p.channels) as usize;
    let reads = [images, labels, indices, augs, mean];
    ctx.dispatch(Kernel::GatherBatch, &p, &[inputs, targets], &reads, grid(n))
}
