//! Serialisable layer and model specifications, and the shape inference that explains
//! them: every layer's output shape, parameter count and the formula that gives both.

use serde::{Deserialize, Serialize};

use super::penalty::Penalties;
use super::Init;
use crate::backend::geometry::{Padding, Window2d};
use crate::error::{Error, Result};
use crate::size;

fn one2() -> [usize; 2] {
    [1, 1]
}
fn valid() -> Padding {
    Padding::Valid
}
fn bn_momentum() -> f32 {
    0.99
}
fn bn_epsilon() -> f32 {
    1e-3
}

/// One layer, as the learner configures it and as model files store it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LayerSpec {
    Dense {
        units: usize,
        #[serde(default)]
        init: Init,
    },
    Conv2d {
        filters: usize,
        kernel: [usize; 2],
        #[serde(default = "one2")]
        stride: [usize; 2],
        #[serde(default = "valid")]
        padding: Padding,
        #[serde(default = "one2")]
        dilation: [usize; 2],
        #[serde(default)]
        init: Init,
    },
    MaxPool2d {
        window: [usize; 2],
        stride: [usize; 2],
    },
    AvgPool2d {
        window: [usize; 2],
        stride: [usize; 2],
    },
    Flatten,
    Dropout {
        rate: f32,
    },
    BatchNorm {
        #[serde(default = "bn_momentum")]
        momentum: f32,
        #[serde(default = "bn_epsilon")]
        epsilon: f32,
    },
    Relu,
    LeakyRelu {
        alpha: f32,
    },
    Sigmoid,
    Tanh,
    Softmax,
    GaussianNoise {
        stddev: f32,
    },
}

/// A layer with its training options: weight/activity penalties and freezing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerConfig {
    #[serde(flatten)]
    pub layer: LayerSpec,
    #[serde(default, skip_serializing_if = "Penalties::is_zero")]
    pub penalties: Penalties,
    /// A frozen layer's parameters are not updated (transfer learning).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub frozen: bool,
}

impl From<LayerSpec> for LayerConfig {
    fn from(layer: LayerSpec) -> Self {
        LayerConfig {
            layer,
            penalties: Penalties::default(),
            frozen: false,
        }
    }
}

/// What shape inference says about one layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Short name, e.g. "Conv2D 5×5, 8 filters".
    pub name: String,
    /// Output shape of one sample: `[H, W, C]` or `[F]`.
    pub output: Vec<usize>,
    /// Trainable parameters, counted in `u64` (see [`crate::size`]): never wrapped.
    pub params: u64,
    /// The arithmetic behind `output` and `params`, with this layer's numbers.
    pub formula: String,
}

/// A model: the shape of one input sample and its layers, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub input: Vec<usize>,
    pub layers: Vec<LayerConfig>,
}

fn dims(shape: &[usize]) -> String {
    size::times(shape)
}

fn image(index: usize, name: &str, input: &[usize]) -> Result<[usize; 3]> {
    match *input {
        [h, w, c] => Ok([h, w, c]),
        _ => Err(Error::Architecture {
            index,
            layer: name.to_string(),
            detail: format!(
                "needs an image (height × width × channels) but gets {} features; \
                 put it before Flatten",
                dims(input)
            ),
        }),
    }
}

fn unit_interval(index: usize, name: &str, what: &str, v: f32) -> Result<()> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(Error::Architecture {
            index,
            layer: name.to_string(),
            detail: format!("{what} must be at least 0 and below 1, got {v}"),
        })
    }
}

impl LayerSpec {
    /// The name shown beside the layer.
    pub fn name(&self) -> String {
        match self {
            LayerSpec::Dense { units, .. } => format!("Dense {units}"),
            LayerSpec::Conv2d {
                filters, kernel, ..
            } => format!("Conv2D {}×{}, {filters} filters", kernel[0], kernel[1]),
            LayerSpec::MaxPool2d { window, .. } => format!("MaxPool {}×{}", window[0], window[1]),
            LayerSpec::AvgPool2d { window, .. } => format!("AvgPool {}×{}", window[0], window[1]),
            LayerSpec::Flatten => "Flatten".into(),
            LayerSpec::Dropout { rate } => format!("Dropout {rate}"),
            LayerSpec::BatchNorm { .. } => "BatchNorm".into(),
            LayerSpec::Relu => "ReLU".into(),
            LayerSpec::LeakyRelu { alpha } => format!("Leaky ReLU α={alpha}"),
            LayerSpec::Sigmoid => "Sigmoid".into(),
            LayerSpec::Tanh => "Tanh".into(),
            LayerSpec::Softmax => "Softmax".into(),
            LayerSpec::GaussianNoise { stddev } => format!("Gaussian noise σ={stddev}"),
        }
    }

    /// The window a conv or pooling layer slides over a `[H, W, C]` sample.
    pub fn window(&self, index: usize, input: &[usize]) -> Result<Option<Window2d>> {
        let (kernel, stride, dilation, padding) = match *self {
            LayerSpec::Conv2d {
                kernel,
                stride,
                dilation,
                padding,
                ..
            } => (kernel, stride, dilation, padding),
            LayerSpec::MaxPool2d { window, stride } | LayerSpec::AvgPool2d { window, stride } => {
                (window, stride, [1, 1], Padding::Valid)
            }
            _ => return Ok(None),
        };
        let [h, w, c] = image(index, &self.name(), input)?;
        Window2d::new(
            [1, h, w, c],
            (kernel[0], kernel[1]),
            (stride[0], stride[1]),
            (dilation[0], dilation[1]),
            padding,
        )
        .map(Some)
        .map_err(|detail| Error::Architecture {
            index,
            layer: self.name(),
            detail: format!("{} input: {detail}", dims(input)),
        })
    }

    /// Output shape, parameter count and formula for one sample of shape `input`.
    pub fn infer(&self, index: usize, input: &[usize]) -> Result<LayerInfo> {
        let name = self.name();
        let arch = |detail: String| Error::Architecture {
            index,
            layer: name.clone(),
            detail,
        };
        let same = |formula: &str| LayerInfo {
            name: name.clone(),
            output: input.to_vec(),
            params: 0,
            formula: formula.to_string(),
        };
        let info = match self {
            LayerSpec::Dense { units, init } => {
                let &[features] = input else {
                    return Err(arch(format!(
                        "needs a flat input but gets {}; add Flatten before it",
                        dims(input)
                    )));
                };
                if *units == 0 {
                    return Err(arch("needs at least 1 unit".into()));
                }
                init.validate().map_err(|e| arch(e.to_string()))?;
                let params = size::mul(features as u64, *units as u64)
                    .and_then(|w| size::add(w, *units as u64))
                    .ok_or_else(|| {
                        arch(format!("{features}·{units} + {units} parameters overflow"))
                    })?;
                LayerInfo {
                    name: name.clone(),
                    output: vec![*units],
                    params,
                    formula: format!(
                        "{features} → {units}; params = {features}·{units} + {units} = {params}"
                    ),
                }
            }
            LayerSpec::Conv2d {
                filters,
                kernel,
                init,
                ..
            } => {
                if *filters == 0 {
                    return Err(arch("needs at least 1 filter".into()));
                }
                init.validate().map_err(|e| arch(e.to_string()))?;
                let g = self.window(index, input)?.expect("conv has a window");
                let params = size::product(&[kernel[0], kernel[1], g.channels, *filters])
                    .and_then(|w| size::add(w, *filters as u64))
                    .ok_or_else(|| {
                        arch(format!(
                            "{}·{}·{}·{filters} + {filters} parameters overflow",
                            kernel[0], kernel[1], g.channels
                        ))
                    })?;
                let span = g.span_h();
                LayerInfo {
                    name: name.clone(),
                    output: vec![g.out_h, g.out_w, *filters],
                    params,
                    formula: format!(
                        "out = (W − F + P)/S + 1 = ({} − {span} + {})/{} + 1 = {}; \
                         params = F·F·C_in·C_out + C_out = {}·{}·{}·{filters} + {filters} = {params}",
                        g.in_h, g.pad_h, g.stride_h, g.out_h, kernel[0], kernel[1], g.channels
                    ),
                }
            }
            LayerSpec::MaxPool2d { .. } | LayerSpec::AvgPool2d { .. } => {
                let g = self.window(index, input)?.expect("pooling has a window");
                LayerInfo {
                    name: name.clone(),
                    output: vec![g.out_h, g.out_w, g.channels],
                    params: 0,
                    formula: format!(
                        "out = (W − F)/S + 1 = ({} − {})/{} + 1 = {}; no parameters",
                        g.in_h, g.k_h, g.stride_h, g.out_h
                    ),
                }
            }
            LayerSpec::Flatten => {
                let total = size::elements(&name, input).and_then(|n| size::to_usize(&name, n))?;
                LayerInfo {
                    name: name.clone(),
                    output: vec![total],
                    params: 0,
                    formula: format!(
                        "{} = {total} features",
                        input
                            .iter()
                            .map(|d| d.to_string())
                            .collect::<Vec<_>>()
                            .join("·")
                    ),
                }
            }
            LayerSpec::Dropout { rate } => {
                unit_interval(index, &name, "the dropout rate", *rate)?;
                same("zeroes each value with probability rate while training; no parameters")
            }
            LayerSpec::BatchNorm { momentum, epsilon } => {
                unit_interval(index, &name, "the momentum", *momentum)?;
                if !(*epsilon > 0.0 && *epsilon <= 1.0) {
                    return Err(arch(format!(
                        "epsilon must be above 0 and at most 1, got {epsilon}"
                    )));
                }
                let c = *input.last().unwrap_or(&0) as u64;
                LayerInfo {
                    name: name.clone(),
                    output: input.to_vec(),
                    params: 2 * c,
                    formula: format!("γ and β per channel: params = 2·{c} = {}", 2 * c),
                }
            }
            LayerSpec::LeakyRelu { alpha } => {
                unit_interval(index, &name, "alpha", *alpha)?;
                same("x if x > 0, else α·x; no parameters")
            }
            LayerSpec::GaussianNoise { stddev } => {
                if !(0.0..=100.0).contains(stddev) {
                    return Err(arch(format!(
                        "the noise σ must be a number from 0 to 100, got {stddev}"
                    )));
                }
                same("adds noise while training; no parameters")
            }
            LayerSpec::Relu => same("max(0, x); no parameters"),
            LayerSpec::Sigmoid => same("1/(1 + e^−x); no parameters"),
            LayerSpec::Tanh => same("tanh(x); no parameters"),
            LayerSpec::Softmax => same("e^xᵢ / Σⱼ e^xⱼ: scores to probabilities; no parameters"),
        };
        Ok(info)
    }
}

impl ModelSpec {
    pub fn new(input: impl Into<Vec<usize>>, layers: Vec<LayerSpec>) -> ModelSpec {
        ModelSpec {
            input: input.into(),
            layers: layers.into_iter().map(LayerConfig::from).collect(),
        }
    }

    /// The same layers with one output per class: the last dense layer gets `classes`
    /// units (a model with no dense layer is left as it is).
    pub fn with_classes(mut self, classes: usize) -> ModelSpec {
        let last = self.layers.iter_mut().rev();
        if let Some(LayerSpec::Dense { units, .. }) = last
            .map(|l| &mut l.layer)
            .find(|l| matches!(l, LayerSpec::Dense { .. }))
        {
            *units = classes;
        }
        self
    }

    /// These layers for inputs of shape `input` and `classes` classes: what the model
    /// becomes when the learner loads a dataset of another image size, colour or classes.
    pub fn for_data(&self, input: &[usize], classes: usize) -> ModelSpec {
        ModelSpec {
            input: input.to_vec(),
            ..self.clone()
        }
        .with_classes(classes)
    }

    /// Every layer's shapes and parameters, or the first layer that cannot be built.
    pub fn infer(&self) -> Result<Vec<LayerInfo>> {
        if self.input.is_empty() || self.input.contains(&0) {
            return Err(Error::Config(format!(
                "the input shape {:?} must have no zero sizes",
                self.input
            )));
        }
        let mut shape = self.input.clone();
        let mut infos = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let info = layer.layer.infer(i, &shape)?;
            shape = info.output.clone();
            infos.push(info);
        }
        Ok(infos)
    }

    /// Shape of one output sample.
    pub fn output_shape(&self) -> Result<Vec<usize>> {
        Ok(self
            .infer()?
            .last()
            .map(|l| l.output.clone())
            .unwrap_or_else(|| self.input.clone()))
    }

    /// Total trainable parameters, in `u64`: true for any size a link or file can declare.
    pub fn param_count(&self) -> Result<u64> {
        self.infer()?
            .iter()
            .try_fold(0u64, |sum, l| size::add(sum, l.params))
            .ok_or_else(|| Error::Config("the parameter count overflows".into()))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "spec_tests.rs"]
mod tests;
