//! Ready-made architectures, for 28×28 greyscale images and 10 classes (MNIST) or for any
//! image size, channels and classes of the learner's own images.

use serde::{Deserialize, Serialize};

use super::{LayerSpec, ModelSpec};
use crate::backend::geometry::Padding;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// 784 → 128 → ReLU → 10.
    Mlp,
    /// conv 5×5×8 → ReLU → max-pool 2 → conv 5×5×16 → ReLU → max-pool 2 → dense 10
    /// (the TensorFlow.js MNIST tutorial's network).
    DefaultCnn,
    /// LeCun et al. 1998, adapted to 28×28 inputs (padding 2 on the first convolution).
    Lenet5,
    /// Six hidden layers of 32 units: deep and narrow.
    DeepNarrow,
    /// One hidden layer of 1 024 units: shallow and wide.
    ShallowWide,
    /// Two conv blocks with batch norm, then dropout before and after a hidden dense layer.
    CnnBnDropout,
    /// Three blocks of 3×3 convolutions (16, 32, 64 filters, same padding) each halved by
    /// max-pooling: for colour photos (32×32×3 and up).
    ColourCnn,
}

fn conv(filters: usize, k: usize, padding: Padding) -> LayerSpec {
    LayerSpec::Conv2d {
        filters,
        kernel: [k, k],
        stride: [1, 1],
        padding,
        dilation: [1, 1],
        init: Default::default(),
    }
}

fn dense(units: usize) -> LayerSpec {
    LayerSpec::Dense {
        units,
        init: Default::default(),
    }
}

fn max_pool(k: usize) -> LayerSpec {
    LayerSpec::MaxPool2d {
        window: [k, k],
        stride: [k, k],
    }
}

fn avg_pool(k: usize) -> LayerSpec {
    LayerSpec::AvgPool2d {
        window: [k, k],
        stride: [k, k],
    }
}

fn batch_norm() -> LayerSpec {
    LayerSpec::BatchNorm {
        momentum: 0.99,
        epsilon: 1e-3,
    }
}

impl Preset {
    pub const ALL: [Preset; 7] = [
        Preset::DefaultCnn,
        Preset::Mlp,
        Preset::Lenet5,
        Preset::DeepNarrow,
        Preset::ShallowWide,
        Preset::CnnBnDropout,
        Preset::ColourCnn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Mlp => "MLP 784-128-10",
            Preset::DefaultCnn => "Default CNN",
            Preset::Lenet5 => "LeNet-5",
            Preset::DeepNarrow => "Deep and narrow MLP",
            Preset::ShallowWide => "Shallow and wide MLP",
            Preset::CnnBnDropout => "CNN with batch norm and dropout",
            Preset::ColourCnn => "Colour CNN",
        }
    }

    /// The preset `model` is, for its input shape and number of outputs, if any.
    pub fn of(model: &ModelSpec) -> Option<Preset> {
        let classes = match model.output_shape().ok()?.as_slice() {
            [n] => *n,
            _ => return None,
        };
        Preset::ALL
            .into_iter()
            .find(|p| p.spec_for(&model.input, classes).layers == model.layers)
    }

    /// The architecture for MNIST: inputs of `[28, 28, 1]`, 10 classes.
    pub fn spec(self) -> ModelSpec {
        self.spec_for(&[28, 28, 1], crate::data::NUM_CLASSES)
    }

    /// The architecture for inputs of shape `input` (`[rows, cols, channels]`) and
    /// `classes` classes: the last dense layer has one unit per class.
    pub fn spec_for(self, input: &[usize], classes: usize) -> ModelSpec {
        ModelSpec::new(input.to_vec(), self.layers()).with_classes(classes)
    }

    fn layers(self) -> Vec<LayerSpec> {
        use LayerSpec::{Dropout, Flatten, Relu, Softmax};
        match self {
            Preset::Mlp => vec![Flatten, dense(128), Relu, dense(10), Softmax],
            Preset::DefaultCnn => vec![
                conv(8, 5, Padding::Valid),
                Relu,
                max_pool(2),
                conv(16, 5, Padding::Valid),
                Relu,
                max_pool(2),
                Flatten,
                dense(10),
                Softmax,
            ],
            Preset::Lenet5 => vec![
                conv(6, 5, Padding::Same),
                Relu,
                avg_pool(2),
                conv(16, 5, Padding::Valid),
                Relu,
                avg_pool(2),
                Flatten,
                dense(120),
                Relu,
                dense(84),
                Relu,
                dense(10),
                Softmax,
            ],
            Preset::DeepNarrow => {
                let mut l = vec![Flatten];
                for _ in 0..6 {
                    l.extend([dense(32), Relu]);
                }
                l.extend([dense(10), Softmax]);
                l
            }
            Preset::ShallowWide => vec![Flatten, dense(1024), Relu, dense(10), Softmax],
            Preset::CnnBnDropout => vec![
                conv(16, 5, Padding::Same),
                batch_norm(),
                Relu,
                max_pool(2),
                conv(32, 5, Padding::Same),
                batch_norm(),
                Relu,
                max_pool(2),
                Flatten,
                Dropout { rate: 0.4 },
                dense(128),
                Relu,
                Dropout { rate: 0.4 },
                dense(10),
                Softmax,
            ],
            Preset::ColourCnn => vec![
                conv(16, 3, Padding::Same),
                Relu,
                max_pool(2),
                conv(32, 3, Padding::Same),
                Relu,
                max_pool(2),
                conv(64, 3, Padding::Same),
                Relu,
                max_pool(2),
                Flatten,
                dense(10),
                Softmax,
            ],
        }
    }
}
