//! Ready-made architectures for 28×28 greyscale images and 10 classes.

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
    pub const ALL: [Preset; 6] = [
        Preset::DefaultCnn,
        Preset::Mlp,
        Preset::Lenet5,
        Preset::DeepNarrow,
        Preset::ShallowWide,
        Preset::CnnBnDropout,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Mlp => "MLP 784-128-10",
            Preset::DefaultCnn => "Default CNN",
            Preset::Lenet5 => "LeNet-5",
            Preset::DeepNarrow => "Deep and narrow MLP",
            Preset::ShallowWide => "Shallow and wide MLP",
            Preset::CnnBnDropout => "CNN with batch norm and dropout",
        }
    }

    /// The architecture for inputs of `[28, 28, 1]`.
    pub fn spec(self) -> ModelSpec {
        use LayerSpec::{Dropout, Flatten, Relu, Softmax};
        let layers = match self {
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
        };
        ModelSpec::new(vec![28, 28, 1], layers)
    }
}
