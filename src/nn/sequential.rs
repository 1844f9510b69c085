//! A stack of layers applied in order, built from a [`ModelSpec`].

use super::activation::ActivationLayer;
use super::avgpool2d::AvgPool2d;
use super::batchnorm::BatchNorm;
use super::conv2d::Conv2d;
use super::dense::Dense;
use super::dropout::Dropout;
use super::flatten::Flatten;
use super::gaussian_noise::GaussianNoise;
use super::maxpool2d::MaxPool2d;
use super::penalty;
use super::softmax::Softmax;
use super::{Layer, LayerInfo, LayerSpec, Loss, Mode, ModelSpec, Param};
use crate::backend::{ops, Activation};
use crate::error::{Error, Result};
use crate::random::Rng;
use crate::tensor::Tensor;

/// The generator stream that initialises weights (other streams shuffle, augment, …).
pub const INIT_STREAM: u64 = 1;

pub struct Sequential {
    pub spec: ModelSpec,
    pub layers: Vec<Box<dyn Layer>>,
    /// Each layer's output in the last forward pass: activity penalties and histograms.
    outputs: Vec<Tensor>,
    /// Whether backward computes the gradient w.r.t. the model's input (off in training).
    pub input_grad: bool,
}

fn pair(v: [usize; 2]) -> (usize, usize) {
    (v[0], v[1])
}

/// Creates one layer for a sample of shape `input`, initialising its weights from `rng`.
fn build_layer(
    spec: &LayerSpec,
    input: &[usize],
    index: usize,
    rng: &mut Rng,
) -> Result<Box<dyn Layer>> {
    let salt = index as u32;
    Ok(match *spec {
        LayerSpec::Dense { units, init } => {
            let fan_in = input[0];
            let w = init.tensor(&[fan_in, units], fan_in, units, rng);
            Box::new(Dense::new(w, Tensor::zeros([units])))
        }
        LayerSpec::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            dilation,
            init,
        } => {
            let c = input[2];
            let area = kernel[0] * kernel[1];
            let w = init.tensor(
                &[kernel[0], kernel[1], c, filters],
                area * c,
                area * filters,
                rng,
            );
            Box::new(Conv2d::new(
                w,
                Tensor::zeros([filters]),
                pair(stride),
                pair(dilation),
                padding,
            ))
        }
        LayerSpec::MaxPool2d { window, stride } => {
            Box::new(MaxPool2d::new(pair(window), pair(stride)))
        }
        LayerSpec::AvgPool2d { window, stride } => {
            Box::new(AvgPool2d::new(pair(window), pair(stride)))
        }
        LayerSpec::Flatten => Box::<Flatten>::default(),
        LayerSpec::Dropout { rate } => Box::new(Dropout::new(rate, salt)),
        LayerSpec::BatchNorm { momentum, epsilon } => Box::new(BatchNorm::new(
            *input.last().unwrap_or(&1),
            momentum,
            epsilon,
        )),
        LayerSpec::Relu => Box::new(ActivationLayer::new(Activation::Relu)),
        LayerSpec::LeakyRelu { alpha } => {
            Box::new(ActivationLayer::new(Activation::LeakyRelu { alpha }))
        }
        LayerSpec::Sigmoid => Box::new(ActivationLayer::new(Activation::Sigmoid)),
        LayerSpec::Tanh => Box::new(ActivationLayer::new(Activation::Tanh)),
        LayerSpec::Softmax => Box::<Softmax>::default(),
        LayerSpec::GaussianNoise { stddev } => Box::new(GaussianNoise::new(stddev, salt)),
    })
}

impl Sequential {
    /// Builds the model with weights drawn from `seed`; fails on an impossible architecture.
    pub fn build(spec: &ModelSpec, seed: u64) -> Result<Sequential> {
        let infos = spec.infer()?;
        // Every parameter tensor must fit one allocation before any is made.
        for (i, info) in infos.iter().enumerate() {
            crate::size::alloc_len(&format!("layer {} ({})", i + 1, info.name), info.params, 4)?;
        }
        let mut rng = Rng::new(seed, INIT_STREAM);
        let mut shape = spec.input.clone();
        let mut layers = Vec::with_capacity(infos.len());
        for (i, (config, info)) in spec.layers.iter().zip(&infos).enumerate() {
            layers.push(build_layer(&config.layer, &shape, i, &mut rng)?);
            shape = info.output.clone();
        }
        Ok(Sequential {
            spec: spec.clone(),
            layers,
            outputs: Vec::new(),
            input_grad: false,
        })
    }

    /// Shapes, parameter counts and formulas of every layer.
    pub fn infos(&self) -> Vec<LayerInfo> {
        self.spec.infer().expect("a built model's spec is valid")
    }

    /// How many layers a forward pass for `loss` runs: a trailing Softmax is left out when
    /// the loss applies its own (fused cross-entropy).
    pub fn layers_for(&self, loss: &Loss) -> usize {
        let ends_in_softmax = matches!(
            self.spec.layers.last().map(|l| &l.layer),
            Some(LayerSpec::Softmax)
        );
        self.layers.len() - usize::from(ends_in_softmax && loss.takes_logits())
    }

    /// Runs the whole model (probabilities, if it ends in Softmax).
    pub fn forward(&mut self, x: &Tensor, mode: Mode) -> Result<Tensor> {
        self.forward_to(x, mode, self.layers.len())
    }

    /// Runs the first `end` layers and keeps every output.
    pub fn forward_to(&mut self, x: &Tensor, mode: Mode, end: usize) -> Result<Tensor> {
        let expected: Vec<usize> = std::iter::once(x.rows())
            .chain(self.spec.input.iter().copied())
            .collect();
        if x.shape() != expected.as_slice() {
            return Err(Error::shape(
                "model input",
                format!(
                    "expected a batch of shape {expected:?}, got {:?}",
                    x.shape()
                ),
            ));
        }
        self.outputs.clear();
        let mut h = x.clone();
        for layer in &mut self.layers[..end] {
            h = layer.forward(&h, mode)?;
            self.outputs.push(h.clone());
        }
        Ok(h)
    }

    /// Backpropagates `dy` (the gradient of the loss w.r.t. the last forward's output),
    /// adding activity-penalty gradients on the way; returns the input gradient if
    /// `input_grad` is set. Without it, backprop stops at the first layer with parameters:
    /// nothing before it has gradients to compute.
    pub fn backward(&mut self, dy: &Tensor) -> Result<Option<Tensor>> {
        let end = self.outputs.len();
        let first_trainable = self
            .layers
            .iter()
            .position(|l| !l.params().is_empty())
            .unwrap_or(end);
        let stop = if self.input_grad { 0 } else { first_trainable };
        let mut grad = dy.clone();
        for i in (stop..end).rev() {
            let pen = self.spec.layers[i].penalties;
            penalty::add_activity_gradient(&pen, &self.outputs[i], &mut grad)?;
            let want_input = i > stop || self.input_grad;
            match self.layers[i].backward(&grad, want_input)? {
                Some(g) => grad = g,
                None => return Ok(None),
            }
        }
        Ok(self.input_grad.then_some(grad))
    }

    /// Each layer's output in the last forward pass.
    pub fn outputs(&self) -> &[Tensor] {
        &self.outputs
    }

    /// Every parameter with the index of its layer.
    pub fn params(&self) -> Vec<(usize, &Param)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.params().into_iter().map(move |p| (i, p)))
            .collect()
    }

    pub fn params_mut(&mut self) -> Vec<(usize, &mut Param)> {
        self.layers
            .iter_mut()
            .enumerate()
            .flat_map(|(i, l)| l.params_mut().into_iter().map(move |p| (i, p)))
            .collect()
    }

    /// Sets every gradient to zero (before accumulating a new batch).
    pub fn zero_grads(&mut self) -> Result<()> {
        for (_, p) in self.params_mut() {
            ops::fill_zero(&mut p.grad)?;
        }
        Ok(())
    }

    /// Where the model's parameters are (the CPU for a model without any).
    pub fn device(&self) -> crate::tensor::Device {
        self.params()
            .first()
            .map(|(_, p)| p.value.device())
            .unwrap_or_default()
    }

    /// Moves every parameter, gradient and buffer to `device` (a copy; reading a GPU back to
    /// the CPU waits for it, so the browser moves the other way only).
    pub fn to_device(&mut self, device: &crate::tensor::Device) -> Result<()> {
        for layer in &mut self.layers {
            for p in layer.params_mut() {
                p.value = p.value.to_device(device)?;
                p.grad = p.grad.to_device(device)?;
            }
            for (_, b) in layer.buffers_mut() {
                *b = b.to_device(device)?;
            }
        }
        self.outputs.clear();
        Ok(())
    }

    /// Every parameter and buffer (batch-norm statistics), in a fixed order: a snapshot.
    /// Cheap: the tensors share storage until the model next writes to them.
    pub fn weights(&mut self) -> Vec<Tensor> {
        let mut all = Vec::new();
        for layer in &mut self.layers {
            all.extend(layer.params_mut().into_iter().map(|p| p.value.clone()));
            all.extend(layer.buffers_mut().into_iter().map(|(_, b)| b.clone()));
        }
        all
    }

    /// The layer each tensor of [`Sequential::weights`] belongs to.
    pub fn weight_layers(&mut self) -> Vec<usize> {
        let mut owners = Vec::new();
        for (i, layer) in self.layers.iter_mut().enumerate() {
            let n = layer.params_mut().len() + layer.buffers_mut().len();
            owners.extend(std::iter::repeat_n(i, n));
        }
        owners
    }

    /// The names of [`Sequential::weights`] in model files: `layers.<index>.<name>`.
    pub fn weight_names(&mut self) -> Vec<String> {
        let mut names = Vec::new();
        for (i, layer) in self.layers.iter_mut().enumerate() {
            names.extend(
                layer
                    .params_mut()
                    .iter()
                    .map(|p| format!("layers.{i}.{}", p.name)),
            );
            names.extend(
                layer
                    .buffers_mut()
                    .iter()
                    .map(|(n, _)| format!("layers.{i}.{n}")),
            );
        }
        names
    }

    /// Puts back a snapshot taken with [`Sequential::weights`]. Every shape is checked
    /// before anything changes, so on error the model is untouched.
    pub fn set_weights(&mut self, weights: &[Tensor]) -> Result<()> {
        let current = self.weights();
        if current.len() != weights.len() {
            return Err(Error::shape(
                "set_weights",
                format!(
                    "the model has {} tensors, given {}",
                    current.len(),
                    weights.len()
                ),
            ));
        }
        for (i, (have, given)) in current.iter().zip(weights).enumerate() {
            if have.shape() != given.shape() {
                return Err(Error::shape(
                    "set_weights",
                    format!(
                        "tensor {i}: expected {:?}, got {:?}",
                        have.shape(),
                        given.shape()
                    ),
                ));
            }
        }
        let mut given = weights.iter().cloned();
        for layer in &mut self.layers {
            for p in layer.params_mut() {
                p.value = given.next().expect("counted above");
            }
            for (_, b) in layer.buffers_mut() {
                *b = given.next().expect("counted above");
            }
        }
        Ok(())
    }

    /// Total trainable parameters.
    pub fn param_count(&self) -> usize {
        self.params().iter().map(|(_, p)| p.value.len()).sum()
    }
}
