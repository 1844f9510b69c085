//! What the picture lets the learner change: each layer's editable numbers, the layers the
//! "+" menu offers, and the edits themselves (insert, remove, move, duplicate).

use crate::backend::geometry::Padding;
use crate::nn::{LayerConfig, LayerSpec};

/// One number of a layer that the learner can edit.
pub struct Field {
    pub label: &'static str,
    pub tip: &'static str,
    pub value: f64,
    pub set: fn(&mut LayerSpec, f64),
}

fn count(v: f64) -> usize {
    v.max(1.0).round() as usize
}

/// The editable numbers of a layer.
pub fn fields(layer: &LayerSpec) -> Vec<Field> {
    use LayerSpec::*;
    let f = |label, tip, value: f64, set| Field {
        label,
        tip,
        value,
        set,
    };
    match layer {
        Dense { units, .. } => vec![f(
            "units",
            "How many neurons this layer has.",
            *units as f64,
            |l, v| {
                if let Dense { units, .. } = l {
                    *units = count(v)
                }
            },
        )],
        Conv2d {
            filters,
            kernel,
            stride,
            dilation,
            ..
        } => vec![
            f(
                "filters",
                "How many different patterns (feature maps) this layer learns.",
                *filters as f64,
                |l, v| {
                    if let Conv2d { filters, .. } = l {
                        *filters = count(v)
                    }
                },
            ),
            f(
                "kernel",
                "Size of each filter (k×k pixels).",
                kernel[0] as f64,
                |l, v| {
                    if let Conv2d { kernel, .. } = l {
                        *kernel = [count(v); 2]
                    }
                },
            ),
            f(
                "stride",
                "How far the filter moves each step; 2 halves the output size.",
                stride[0] as f64,
                |l, v| {
                    if let Conv2d { stride, .. } = l {
                        *stride = [count(v); 2]
                    }
                },
            ),
            f(
                "dilation",
                "Gaps between filter taps: a wider view with the same weights.",
                dilation[0] as f64,
                |l, v| {
                    if let Conv2d { dilation, .. } = l {
                        *dilation = [count(v); 2]
                    }
                },
            ),
        ],
        MaxPool2d { window, stride } | AvgPool2d { window, stride } => vec![
            f(
                "window",
                "Size of the pooling window.",
                window[0] as f64,
                |l, v| {
                    if let MaxPool2d { window, .. } | AvgPool2d { window, .. } = l {
                        *window = [count(v); 2]
                    }
                },
            ),
            f(
                "stride",
                "How far the window moves; smaller than the window means overlap.",
                stride[0] as f64,
                |l, v| {
                    if let MaxPool2d { stride, .. } | AvgPool2d { stride, .. } = l {
                        *stride = [count(v); 2]
                    }
                },
            ),
        ],
        Dropout { rate } => vec![f(
            "rate",
            "Share of units switched off at random while training.",
            *rate as f64,
            |l, v| {
                if let Dropout { rate } = l {
                    *rate = v.clamp(0.0, 0.95) as f32
                }
            },
        )],
        BatchNorm { momentum, .. } => vec![f(
            "momentum",
            "How slowly the running mean and variance follow the batches.",
            *momentum as f64,
            |l, v| {
                if let BatchNorm { momentum, .. } = l {
                    *momentum = v.clamp(0.0, 0.9999) as f32
                }
            },
        )],
        LeakyRelu { alpha } => vec![f(
            "alpha",
            "Slope for negative inputs (ReLU has 0).",
            *alpha as f64,
            |l, v| {
                if let LeakyRelu { alpha } = l {
                    *alpha = v as f32
                }
            },
        )],
        GaussianNoise { stddev } => vec![f(
            "σ",
            "Standard deviation of the noise added while training.",
            *stddev as f64,
            |l, v| {
                if let GaussianNoise { stddev } = l {
                    *stddev = v.max(0.0) as f32
                }
            },
        )],
        Flatten | Relu | Sigmoid | Tanh | Softmax => Vec::new(),
    }
}

/// The layers the "add" menu offers, with default settings.
pub fn catalogue() -> Vec<(&'static str, LayerSpec)> {
    use LayerSpec::*;
    vec![
        (
            "Dense",
            Dense {
                units: 64,
                init: Default::default(),
            },
        ),
        (
            "Conv2D",
            Conv2d {
                filters: 8,
                kernel: [3, 3],
                stride: [1, 1],
                padding: Padding::Same,
                dilation: [1, 1],
                init: Default::default(),
            },
        ),
        (
            "MaxPool",
            MaxPool2d {
                window: [2, 2],
                stride: [2, 2],
            },
        ),
        (
            "AvgPool",
            AvgPool2d {
                window: [2, 2],
                stride: [2, 2],
            },
        ),
        ("Flatten", Flatten),
        ("Dropout", Dropout { rate: 0.25 }),
        (
            "BatchNorm",
            BatchNorm {
                momentum: 0.99,
                epsilon: 1e-3,
            },
        ),
        ("ReLU", Relu),
        ("Leaky ReLU", LeakyRelu { alpha: 0.1 }),
        ("Sigmoid", Sigmoid),
        ("Tanh", Tanh),
        ("Softmax", Softmax),
        ("Gaussian noise", GaussianNoise { stddev: 0.1 }),
    ]
}

/// Inserts `layer` at `at`. A dense layer that would follow an image gets a Flatten before
/// it, as a learner means when putting a classifier after the maps. Returns the new layer's
/// position.
pub fn insert(
    layers: &mut Vec<LayerConfig>,
    input: &[usize],
    at: usize,
    layer: LayerSpec,
) -> usize {
    let at = at.min(layers.len());
    let shape_before = shape_at(layers, input, at);
    let mut at = at;
    if matches!(layer, LayerSpec::Dense { .. }) && shape_before.is_some_and(|s| s.len() == 3) {
        layers.insert(at, LayerSpec::Flatten.into());
        at += 1;
    }
    layers.insert(at, layer.into());
    at
}

/// The shape that flows into layer `at` (its input), if the layers before it can be built.
pub fn shape_at(layers: &[LayerConfig], input: &[usize], at: usize) -> Option<Vec<usize>> {
    let mut shape = input.to_vec();
    for (i, l) in layers.iter().take(at).enumerate() {
        shape = l.layer.infer(i, &shape).ok()?.output;
    }
    Some(shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::presets::Preset;

    fn named(name: &str) -> LayerSpec {
        catalogue()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, l)| l)
            .unwrap()
    }

    #[test]
    fn the_default_cnn_built_by_insertion_has_its_parameter_count() {
        let input = [28, 28, 1];
        let mut layers = Vec::new();
        let conv = |filters| LayerSpec::Conv2d {
            filters,
            kernel: [5, 5],
            stride: [1, 1],
            padding: Padding::Valid,
            dilation: [1, 1],
            init: Default::default(),
        };
        insert(&mut layers, &input, 0, conv(8));
        insert(&mut layers, &input, 1, named("MaxPool"));
        insert(&mut layers, &input, 2, conv(16));
        insert(&mut layers, &input, 3, named("MaxPool"));
        let dense = insert(
            &mut layers,
            &input,
            4,
            LayerSpec::Dense {
                units: 10,
                init: Default::default(),
            },
        );
        assert_eq!(dense, 5, "a Flatten goes in first");
        assert_eq!(layers[4].layer, LayerSpec::Flatten);
        let model = crate::nn::ModelSpec {
            input: input.to_vec(),
            layers,
        };
        assert_eq!(model.param_count().unwrap(), 5_994);
        assert_eq!(Preset::DefaultCnn.spec().param_count().unwrap(), 5_994);
    }

    #[test]
    fn a_dense_layer_after_a_flat_one_needs_no_flatten() {
        let mut layers = vec![LayerConfig::from(LayerSpec::Flatten)];
        assert_eq!(insert(&mut layers, &[28, 28, 1], 1, named("Dense")), 1);
        assert_eq!(layers.len(), 2);
    }

    #[test]
    fn every_catalogue_layer_lists_only_its_own_fields() {
        assert!(fields(&LayerSpec::Relu).is_empty());
        assert_eq!(fields(&named("Conv2D")).len(), 4);
        assert_eq!(fields(&named("MaxPool")).len(), 2);
    }
}
