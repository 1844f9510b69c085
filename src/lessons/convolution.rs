//! The convolution explorer's arithmetic: one greyscale image, one kernel, and the engine's
//! own kernels (the ones training uses) to compute the feature map, ReLU and pooling. What
//! the lesson shows is what a Conv2D layer computes, not a re-implementation of it.

use crate::backend::geometry::{Padding, Window2d};
use crate::backend::{cpu, Activation};

/// The kernels a learner can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelPreset {
    Identity,
    /// Responds where brightness changes from left to right.
    VerticalEdge,
    /// Responds where brightness changes from top to bottom.
    HorizontalEdge,
    /// Edges along the "\" diagonal.
    DiagonalEdge,
    /// Edges along the "/" diagonal.
    AntiDiagonalEdge,
    Blur,
    Sharpen,
    Emboss,
}

impl KernelPreset {
    pub const ALL: [KernelPreset; 8] = [
        KernelPreset::Identity,
        KernelPreset::VerticalEdge,
        KernelPreset::HorizontalEdge,
        KernelPreset::DiagonalEdge,
        KernelPreset::AntiDiagonalEdge,
        KernelPreset::Blur,
        KernelPreset::Sharpen,
        KernelPreset::Emboss,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KernelPreset::Identity => "identity",
            KernelPreset::VerticalEdge => "vertical edges",
            KernelPreset::HorizontalEdge => "horizontal edges",
            KernelPreset::DiagonalEdge => "diagonal edges (\\)",
            KernelPreset::AntiDiagonalEdge => "diagonal edges (/)",
            KernelPreset::Blur => "blur",
            KernelPreset::Sharpen => "sharpen",
            KernelPreset::Emboss => "emboss",
        }
    }

    /// The kernel's `size × size` weights, row by row (`size` odd, ≥ 3). The 3×3 classics
    /// (Sobel edges, box blur, sharpen, emboss) sit in the centre of a larger kernel, except
    /// blur, which averages the whole window.
    pub fn weights(self, size: usize) -> Vec<f32> {
        let three: [f32; 9] = match self {
            KernelPreset::Identity => [0., 0., 0., 0., 1., 0., 0., 0., 0.],
            KernelPreset::VerticalEdge => [-1., 0., 1., -2., 0., 2., -1., 0., 1.],
            KernelPreset::HorizontalEdge => [-1., -2., -1., 0., 0., 0., 1., 2., 1.],
            KernelPreset::DiagonalEdge => [0., 1., 2., -1., 0., 1., -2., -1., 0.],
            KernelPreset::AntiDiagonalEdge => [-2., -1., 0., -1., 0., 1., 0., 1., 2.],
            KernelPreset::Blur => {
                return vec![1.0 / (size * size) as f32; size * size];
            }
            KernelPreset::Sharpen => [0., -1., 0., -1., 5., -1., 0., -1., 0.],
            KernelPreset::Emboss => [-2., -1., 0., -1., 1., 1., 0., 1., 2.],
        };
        let mut w = vec![0.0; size * size];
        let off = (size - 3) / 2;
        for r in 0..3 {
            for c in 0..3 {
                w[(r + off) * size + c + off] = three[r * 3 + c];
            }
        }
        w
    }
}

/// What the learner set: a greyscale image (values in [0, 1]) and a square kernel.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub image: Vec<f32>,
    pub height: usize,
    pub width: usize,
    pub kernel: Vec<f32>,
    pub size: usize,
    pub stride: usize,
    pub padding: usize,
    pub dilation: usize,
}

/// A `height × width` map of values, row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    pub height: usize,
    pub width: usize,
    pub values: Vec<f32>,
}

/// Everything the explorer shows for one setup.
#[derive(Debug, Clone, PartialEq)]
pub struct Explored {
    pub window: Window2d,
    pub feature: Map,
    pub relu: Map,
    /// 2×2 pooling (stride 2) of the feature map; None when it is smaller than 2×2.
    pub max_pool: Option<Map>,
    pub avg_pool: Option<Map>,
    /// max |ReLU(max-pool(x)) − max-pool(ReLU(x))|: exactly 0, because both ReLU and max
    /// keep order.
    pub relu_pool_gap: Option<f32>,
}

/// The output size along one axis with the formula's numbers filled in, e.g.
/// "⌊(28 + 2·1 − 2·(3 − 1) − 1) / 1⌋ + 1 = 26".
pub fn formula(
    input: usize,
    size: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
) -> String {
    let top = (input + 2 * padding) as i64 - (dilation * (size - 1)) as i64 - 1;
    let result = if top < 0 {
        "no output: the window is larger than the padded image".to_string()
    } else {
        (top as usize / stride + 1).to_string()
    };
    format!("⌊({input} + 2·{padding} − {dilation}·({size} − 1) − 1) / {stride}⌋ + 1 = {result}")
}

/// ReLU with the engine's kernel.
fn relu(map: &Map) -> Map {
    let mut values = vec![0.0; map.values.len()];
    cpu::activation::activation_forward(Activation::Relu, &map.values, &mut values);
    Map {
        values,
        ..map.clone()
    }
}

/// A 2×2, stride-2 pooling of `map` with one of the engine's pooling kernels.
fn pooled(map: &Map, p: &Window2d, kernel: fn(&[f32], &Window2d, &mut [f32])) -> Map {
    let mut values = vec![0.0; p.out_h * p.out_w];
    kernel(&map.values, p, &mut values);
    Map {
        height: p.out_h,
        width: p.out_w,
        values,
    }
}

/// The window the explorer slides over the image.
pub fn window(setup: &Setup) -> Result<Window2d, String> {
    if setup.image.len() != setup.height * setup.width {
        return Err("the image does not have height × width pixels".into());
    }
    if setup.kernel.len() != setup.size * setup.size {
        return Err("the kernel does not have size × size weights".into());
    }
    Window2d::new(
        [1, setup.height, setup.width, 1],
        (setup.size, setup.size),
        (setup.stride, setup.stride),
        (setup.dilation, setup.dilation),
        Padding::Explicit(setup.padding, setup.padding),
    )
}

/// Convolves, then applies ReLU and both poolings, with the engine's CPU kernels (called
/// directly, not through `backend::ops`, so the page's wasm does not carry the GPU backend).
pub fn explore(setup: &Setup) -> Result<Explored, String> {
    let g = window(setup)?;
    let padded = if g.has_padding() {
        cpu::conv::pad_input(&setup.image, &g)
    } else {
        setup.image.clone()
    };
    let mut feature = Map {
        height: g.out_h,
        width: g.out_w,
        values: vec![0.0; g.out_h * g.out_w],
    };
    cpu::conv::conv2d_forward(&padded, &setup.kernel, &[0.0], &g, 1, &mut feature.values);
    let activated = relu(&feature);
    let pool = Window2d::new(
        [1, g.out_h, g.out_w, 1],
        (2, 2),
        (2, 2),
        (1, 1),
        Padding::Valid,
    );
    let (max_pool, avg_pool, relu_pool_gap) = match pool {
        Ok(p) => {
            let max = pooled(&feature, &p, cpu::pool::max_pool2d_forward);
            let avg = pooled(&feature, &p, cpu::pool::avg_pool2d_forward);
            let relu_then_pool = pooled(&activated, &p, cpu::pool::max_pool2d_forward);
            let pool_then_relu = relu(&max);
            let gap = relu_then_pool
                .values
                .iter()
                .zip(&pool_then_relu.values)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            (Some(max), Some(avg), Some(gap))
        }
        Err(_) => (None, None, None),
    };
    Ok(Explored {
        window: g,
        feature,
        relu: activated,
        max_pool,
        avg_pool,
        relu_pool_gap,
    })
}

/// One tap of the window: where it reads (None in the padding), what, and the product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tap {
    pub source: Option<(usize, usize)>,
    pub pixel: f32,
    pub weight: f32,
    pub product: f32,
}

/// The window at output position `(oy, ox)`, tap by tap, and the sum of the products: the
/// value of the feature map there.
pub fn step(setup: &Setup, g: &Window2d, oy: usize, ox: usize) -> (Vec<Tap>, f32) {
    let mut taps = Vec::with_capacity(setup.size * setup.size);
    for ky in 0..setup.size {
        for kx in 0..setup.size {
            let source = g.source(oy, ox, ky, kx);
            let pixel = source.map_or(0.0, |(y, x)| setup.image[y * setup.width + x]);
            let weight = setup.kernel[ky * setup.size + kx];
            taps.push(Tap {
                source,
                pixel,
                weight,
                product: pixel * weight,
            });
        }
    }
    let sum = taps.iter().map(|t| t.product).sum();
    (taps, sum)
}

/// Parameters of a conv layer with `filters` kernels of `size × size` over `channels`
/// input channels, and of a dense layer producing the same `out_h × out_w × filters`
/// outputs from the same `height × width × channels` input.
pub fn parameter_counts(
    height: usize,
    width: usize,
    channels: usize,
    size: usize,
    filters: usize,
    out_h: usize,
    out_w: usize,
) -> (usize, usize) {
    let conv = size * size * channels * filters + filters;
    let outputs = out_h * out_w * filters;
    let dense = height * width * channels * outputs + outputs;
    (conv, dense)
}
