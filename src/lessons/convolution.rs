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

/// 8-bit greyscale pixels as the explorer's image, in [0, 1].
pub fn grey(pixels: &[u8]) -> Vec<f32> {
    pixels.iter().map(|&p| p as f32 / 255.0).collect()
}

/// The explorer's image back as 8-bit pixels (to ask a trained model about it).
pub fn pixels(image: &[f32]) -> Vec<u8> {
    image.iter().map(|&v| (v * 255.0).round() as u8).collect()
}

/// The output pixel `(row, column)` that slider position `position` stands for on an
/// `out_h × out_w` map, counted row by row (positions past the end mean the last pixel).
pub fn output_pixel(position: usize, out_h: usize, out_w: usize) -> (usize, usize) {
    let at = position.min((out_h * out_w).saturating_sub(1));
    (at / out_w.max(1), at % out_w.max(1))
}

/// Kernel `k` of a bank of `height × width` kernels stored one after another, if the kernels
/// are square and the bank holds it.
pub fn kernel_of(values: &[f32], height: usize, width: usize, k: usize) -> Option<Vec<f32>> {
    let n = height * width;
    (height == width && values.len() >= (k + 1) * n).then(|| values[k * n..(k + 1) * n].to_vec())
}

/// A weight as the kernel grid shows it: at most 3 decimals, no trailing zeros.
pub fn weight_text(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// One step written out: "output (1, 2) = 0.50×-1.00 + 0.25×2.00 = 0.000", the taps with a
/// weight of 0 left out.
pub fn step_text(oy: usize, ox: usize, taps: &[Tap], sum: f32) -> String {
    let terms: Vec<String> = taps
        .iter()
        .filter(|t| t.weight != 0.0)
        .map(|t| format!("{:.2}×{:.2}", t.pixel, t.weight))
        .collect();
    let terms = if terms.is_empty() {
        "0".into()
    } else {
        terms.join(" + ")
    };
    format!("output ({oy}, {ox}) = {terms} = {sum:.3}")
}

/// The comparison of a conv layer of 8 such kernels with a dense layer making the same
/// outputs, in words.
pub fn parameter_text(g: &Window2d) -> String {
    let (conv, dense) = parameter_counts(g.in_h, g.in_w, 1, g.k_h, 8, g.out_h, g.out_w);
    format!(
        "A conv layer with 8 such kernels on this {}×{} image has {conv} parameters ({}·{}·8 \
         weights + 8 biases). A dense layer making the same {}×{}×8 outputs would need {dense}: \
         {:.0}× more.",
        g.in_h,
        g.in_w,
        g.k_h,
        g.k_w,
        g.out_h,
        g.out_w,
        dense as f64 / conv as f64
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_and_grey_values_convert_both_ways() {
        let bytes = [0u8, 1, 127, 128, 254, 255];
        let image = grey(&bytes);
        assert_eq!(image[0], 0.0);
        assert_eq!(image[5], 1.0);
        assert_eq!(pixels(&image), bytes);
    }

    #[test]
    fn a_slider_position_names_an_output_pixel_row_by_row() {
        assert_eq!(output_pixel(0, 26, 26), (0, 0));
        assert_eq!(output_pixel(27, 26, 26), (1, 1));
        assert_eq!(output_pixel(4, 2, 3), (1, 1));
        // Past the end (the map shrank under the slider): the last pixel.
        assert_eq!(output_pixel(100, 2, 3), (1, 2));
        // No output at all: (0, 0), not a division by zero.
        assert_eq!(output_pixel(5, 0, 0), (0, 0));
    }

    #[test]
    fn a_kernel_is_cut_from_a_bank_of_square_kernels() {
        let bank: Vec<f32> = (0..18).map(|v| v as f32).collect();
        assert_eq!(
            kernel_of(&bank, 3, 3, 1),
            Some((9..18).map(|v| v as f32).collect())
        );
        assert_eq!(kernel_of(&bank, 3, 3, 2), None);
        assert_eq!(kernel_of(&bank, 2, 3, 0), None);
    }

    #[test]
    fn weights_are_written_with_at_most_three_decimals() {
        assert_eq!(weight_text(1.0), "1");
        assert_eq!(weight_text(-2.0), "-2");
        assert_eq!(weight_text(0.5), "0.5");
        assert_eq!(weight_text(1.0 / 9.0), "0.111");
        assert_eq!(weight_text(-0.0001), "0");
        assert_eq!(weight_text(0.0), "0");
    }

    #[test]
    fn a_step_lists_the_taps_with_a_weight() {
        let tap = |pixel: f32, weight: f32| Tap {
            source: Some((0, 0)),
            pixel,
            weight,
            product: pixel * weight,
        };
        let taps = [tap(0.5, -1.0), tap(0.9, 0.0), tap(0.25, 2.0)];
        assert_eq!(
            step_text(1, 2, &taps, 0.0),
            "output (1, 2) = 0.50×-1.00 + 0.25×2.00 = 0.000"
        );
        assert_eq!(
            step_text(0, 0, &[tap(1.0, 0.0)], 0.0),
            "output (0, 0) = 0 = 0.000"
        );
    }

    #[test]
    fn the_parameter_comparison_fills_in_the_counts() {
        let g = Window2d::new([1, 28, 28, 1], (3, 3), (1, 1), (1, 1), Padding::Valid).unwrap();
        // 3·3·8 + 8 = 80; dense: 784 inputs × 26·26·8 = 5408 outputs + 5408 biases.
        assert_eq!(
            parameter_text(&g),
            "A conv layer with 8 such kernels on this 28×28 image has 80 parameters (3·3·8 \
             weights + 8 biases). A dense layer making the same 26×26×8 outputs would need \
             4245280: 53066× more."
        );
    }
}
