//! Backprop agrees with central differences for every layer, every loss and every penalty
//! (relative error < 1e-3; see `nn::gradcheck` for the measure).

use trainer::backend::geometry::Padding;
use trainer::data::batch::one_hot;
use trainer::nn::gradcheck::{check_model, GradCheckOptions, GradCheckReport};
use trainer::nn::{LayerConfig, LayerSpec, Loss, Mode, ModelSpec, Penalties, Sequential};
use trainer::random::Rng;
use trainer::tensor::Tensor;

const TOLERANCE: f64 = 1e-3;
const MSE: Loss = Loss::MeanSquaredError;
const CE: Loss = Loss::SoftmaxCrossEntropy {
    label_smoothing: 0.0,
};

/// Values in ±[0.2, 1]: at least 0.2 from ReLU's kink at 0, far more than the step h.
fn away_from_zero(rng: &mut Rng, len: usize) -> Vec<f32> {
    (0..len)
        .map(|_| {
            let v = rng.range(0.2, 1.0);
            if rng.uniform() < 0.5 {
                -v
            } else {
                v
            }
        })
        .collect()
}

/// Distinct values a fixed gap apart, shuffled: no two inputs of a pooling window tie.
fn distinct(rng: &mut Rng, len: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..len)
        .map(|i| i as f32 * 0.05 - len as f32 * 0.025)
        .collect();
    rng.shuffle(&mut v);
    v
}

struct Case {
    input: Vec<usize>,
    layers: Vec<LayerConfig>,
    loss: Loss,
    batch: usize,
    data: fn(&mut Rng, usize) -> Vec<f32>,
    /// Moves every weight at least this far from 0 (L1's kink) before checking.
    min_weight: f32,
}

impl Case {
    fn new(input: &[usize], layers: Vec<LayerSpec>, loss: Loss) -> Case {
        Case {
            input: input.to_vec(),
            layers: layers.into_iter().map(LayerConfig::from).collect(),
            loss,
            batch: 3,
            data: away_from_zero,
            min_weight: 0.0,
        }
    }

    fn with_data(mut self, data: fn(&mut Rng, usize) -> Vec<f32>) -> Case {
        self.data = data;
        self
    }

    fn with_penalties(mut self, layer: usize, p: Penalties) -> Case {
        self.layers[layer].penalties = p;
        self
    }

    /// Runs the check in training mode, input gradient included.
    fn run(self) -> GradCheckReport {
        let spec = ModelSpec {
            input: self.input.clone(),
            layers: self.layers,
        };
        let mut model = Sequential::build(&spec, 42).expect("valid test model");
        for (_, p) in model.params_mut() {
            for w in p.value.as_mut_slice() {
                if w.abs() < self.min_weight {
                    *w = self.min_weight.copysign(*w);
                }
            }
        }
        let mut rng = Rng::new(3, 0);
        let mut shape = vec![self.batch];
        shape.extend(&self.input);
        let x =
            Tensor::from_vec(shape.clone(), (self.data)(&mut rng, shape.iter().product())).unwrap();
        let out = spec.output_shape().unwrap()[0];
        let targets = match self.loss {
            // Regression targets for MSE; one-hot classes otherwise.
            Loss::MeanSquaredError => Tensor::from_vec(
                [self.batch, out],
                away_from_zero(&mut rng, self.batch * out),
            )
            .unwrap(),
            _ => {
                let labels: Vec<u8> = (0..self.batch).map(|i| (i * 7 % out) as u8).collect();
                one_hot(&labels, out)
            }
        };
        let opts = GradCheckOptions {
            check_input: true,
            ..Default::default()
        };
        let report = check_model(
            &mut model,
            &self.loss,
            &x,
            &targets,
            Mode::Train { seed: 11 },
            opts,
        )
        .unwrap();
        for t in &report.tensors {
            assert!(
                t.max_rel_error < TOLERANCE && t.norm_rel_error < TOLERANCE,
                "{}: max rel error {:.2e}, norm rel error {:.2e}, worst (backprop, numeric) = {:?}",
                t.name,
                t.max_rel_error,
                t.norm_rel_error,
                t.worst
            );
            assert!(t.checked > 0);
        }
        report
    }
}

fn dense(units: usize) -> LayerSpec {
    LayerSpec::Dense {
        units,
        init: Default::default(),
    }
}

fn conv(filters: usize, k: usize, stride: usize, padding: Padding, dilation: usize) -> LayerSpec {
    LayerSpec::Conv2d {
        filters,
        kernel: [k, k],
        stride: [stride, stride],
        padding,
        dilation: [dilation, dilation],
        init: Default::default(),
    }
}

#[test]
fn dense_layer() {
    let r = Case::new(&[5], vec![dense(4)], MSE).run();
    // weight, bias and input were all checked.
    assert_eq!(r.tensors.len(), 3);
}

#[test]
fn conv2d_valid() {
    Case::new(
        &[6, 6, 2],
        vec![conv(3, 3, 1, Padding::Valid, 1), LayerSpec::Flatten],
        MSE,
    )
    .run();
}

#[test]
fn conv2d_same_strided() {
    Case::new(
        &[7, 7, 2],
        vec![conv(2, 3, 2, Padding::Same, 1), LayerSpec::Flatten],
        MSE,
    )
    .run();
}

#[test]
fn conv2d_dilated_explicit_padding() {
    Case::new(
        &[8, 7, 1],
        vec![
            conv(2, 3, 1, Padding::Explicit(1, 2), 2),
            LayerSpec::Flatten,
        ],
        MSE,
    )
    .run();
}

#[test]
fn max_pool() {
    let pool = LayerSpec::MaxPool2d {
        window: [2, 2],
        stride: [2, 2],
    };
    Case::new(&[4, 6, 3], vec![pool, LayerSpec::Flatten], MSE)
        .with_data(distinct)
        .run();
}

#[test]
fn max_pool_overlapping() {
    let pool = LayerSpec::MaxPool2d {
        window: [3, 3],
        stride: [2, 2],
    };
    Case::new(&[7, 7, 5], vec![pool, LayerSpec::Flatten], MSE)
        .with_data(distinct)
        .run();
}

#[test]
fn avg_pool_overlapping() {
    let pool = LayerSpec::AvgPool2d {
        window: [3, 2],
        stride: [2, 1],
    };
    Case::new(&[6, 5, 4], vec![pool, LayerSpec::Flatten], MSE).run();
}

#[test]
fn flatten() {
    Case::new(&[2, 3, 2], vec![LayerSpec::Flatten, dense(3)], MSE).run();
}

#[test]
fn dropout_in_training_mode() {
    Case::new(&[12], vec![LayerSpec::Dropout { rate: 0.5 }, dense(3)], MSE).run();
}

#[test]
fn gaussian_noise_in_training_mode() {
    Case::new(
        &[6],
        vec![LayerSpec::GaussianNoise { stddev: 0.3 }, dense(3)],
        MSE,
    )
    .run();
}

#[test]
fn batch_norm_dense() {
    let bn = LayerSpec::BatchNorm {
        momentum: 0.9,
        epsilon: 1e-3,
    };
    let mut case = Case::new(&[6], vec![bn, dense(3)], MSE);
    case.batch = 5;
    case.run();
}

#[test]
fn batch_norm_conv() {
    let bn = LayerSpec::BatchNorm {
        momentum: 0.9,
        epsilon: 1e-3,
    };
    Case::new(&[3, 3, 4], vec![bn, LayerSpec::Flatten], MSE).run();
}

#[test]
fn relu() {
    Case::new(&[8], vec![LayerSpec::Relu, dense(3)], MSE).run();
}

#[test]
fn leaky_relu() {
    Case::new(
        &[8],
        vec![LayerSpec::LeakyRelu { alpha: 0.1 }, dense(3)],
        MSE,
    )
    .run();
}

#[test]
fn sigmoid() {
    Case::new(&[8], vec![LayerSpec::Sigmoid, dense(3)], MSE).run();
}

#[test]
fn tanh() {
    Case::new(&[8], vec![LayerSpec::Tanh, dense(3)], MSE).run();
}

#[test]
fn softmax_layer() {
    // With MSE the Softmax layer runs and is differentiated on its own.
    Case::new(&[6], vec![dense(4), LayerSpec::Softmax], MSE).run();
}

#[test]
fn softmax_cross_entropy_loss() {
    Case::new(&[6], vec![dense(5)], CE).run();
}

#[test]
fn cross_entropy_skips_a_trailing_softmax() {
    Case::new(&[6], vec![dense(5), LayerSpec::Softmax], CE).run();
}

#[test]
fn label_smoothing() {
    let loss = Loss::SoftmaxCrossEntropy {
        label_smoothing: 0.1,
    };
    Case::new(&[6], vec![dense(5)], loss).run();
}

#[test]
fn mean_squared_error_loss() {
    Case::new(&[4], vec![dense(3)], MSE).run();
}

#[test]
fn hinge_loss() {
    Case::new(&[6], vec![dense(4)], Loss::Hinge).run();
}

#[test]
fn l1_and_l2_weight_penalties() {
    let p = Penalties {
        l1: 0.01,
        l2: 0.02,
        ..Default::default()
    };
    // |w| is the one kink here: no weight may lie within h of 0.
    let mut case = Case::new(&[6], vec![dense(4)], MSE).with_penalties(0, p);
    case.min_weight = 0.05;
    case.run();
}

#[test]
fn activity_penalties() {
    let p = Penalties {
        activity_l1: 0.05,
        activity_l2: 0.1,
        ..Default::default()
    };
    Case::new(&[6], vec![LayerSpec::Tanh, dense(4)], MSE)
        .with_penalties(0, p)
        .with_penalties(1, p)
        .run();
}

#[test]
fn a_whole_cnn_with_every_kind_of_layer() {
    let layers = vec![
        conv(3, 3, 1, Padding::Same, 1),
        LayerSpec::BatchNorm {
            momentum: 0.9,
            epsilon: 1e-3,
        },
        LayerSpec::Tanh,
        LayerSpec::AvgPool2d {
            window: [2, 2],
            stride: [2, 2],
        },
        conv(4, 3, 1, Padding::Valid, 1),
        LayerSpec::Sigmoid,
        LayerSpec::Flatten,
        LayerSpec::Dropout { rate: 0.3 },
        dense(5),
        LayerSpec::Softmax,
    ];
    let p = Penalties {
        l2: 0.01,
        activity_l2: 0.01,
        ..Default::default()
    };
    let mut case = Case::new(&[8, 8, 2], layers, CE).with_penalties(4, p);
    case.batch = 4;
    let report = case.run();
    assert_eq!(report.tensors.len(), 2 + 2 + 2 + 2 + 1);
}
