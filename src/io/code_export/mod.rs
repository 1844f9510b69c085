//! "Export as code": a model file as a folder a learner takes on to Python — `keras_model.py`
//! (Keras 3: JAX, or PyTorch through `KERAS_BACKEND`), `torch_model.py` (PyTorch, plain or
//! under `torchrun`), the weights as the model file itself (`model.safetensors`, our layout),
//! a README with the commands and the pinned `requirements.txt`.
//!
//! Each script is written out for this model: the layers one by one under their index as
//! name (`layers.3`, as in the model file), the weights loaded with the layout conversion each
//! needs and saved back in ours (so the page opens the result), the data read from the IDX
//! files with the same split and normalisation (its statistics written in), and the same
//! recipe: optimizer, schedule and warm-up, penalties, label smoothing, clipping, weight
//! averaging, batch size, seed and epochs. Where a framework does a thing differently the
//! script says so in a comment.

mod augment;
mod common;
mod keras;
mod readme;
mod torch;
pub mod zip;

use super::model_file::ModelFile;
use crate::backend::geometry::Window2d;
use crate::error::Result;
use crate::nn::penalty::Penalties;
use crate::nn::{LayerSpec, Loss};

/// The file the scripts load the weights from (and, by default, save them back to).
pub const WEIGHTS: &str = "model.safetensors";

/// One file of the export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedFile {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

/// PyPI versions the scripts were tested with (also `tests/python/requirements-export.txt`).
pub const REQUIREMENTS: &str = "\
keras==3.15.1
jax==0.10.2
jaxlib==0.10.2
torch==2.15.0
safetensors==0.8.0
numpy==2.4.6
";

/// A layer as the scripts need it: its spec and options, and the shapes around it.
pub(crate) struct Layer<'a> {
    pub index: usize,
    pub spec: &'a LayerSpec,
    pub penalties: Penalties,
    pub frozen: bool,
    /// One sample's input and output shapes (`[H, W, C]` or `[F]`).
    pub input: Vec<usize>,
    pub output: Vec<usize>,
    pub window: Option<Window2d>,
    /// For a dense layer fed by a Flatten of maps: their `[H, W, C]` (the flatten order).
    pub flattened: Option<[usize; 3]>,
}

impl Layer<'_> {
    /// The name both scripts give the layer: its index, as in the model file.
    pub fn name(&self) -> String {
        format!("layers.{}", self.index)
    }

    pub fn has_weights(&self) -> bool {
        matches!(
            self.spec,
            LayerSpec::Dense { .. } | LayerSpec::Conv2d { .. } | LayerSpec::BatchNorm { .. }
        )
    }
}

/// What both scripts are written from.
pub(crate) struct Plan<'a> {
    pub file: &'a ModelFile,
    pub layers: Vec<Layer<'a>>,
    /// The model ends in Softmax and the loss takes the scores before it (fused).
    pub scores_before_softmax: bool,
    /// The model's outputs are probabilities already (it ends in Softmax).
    pub ends_in_softmax: bool,
}

impl<'a> Plan<'a> {
    fn new(file: &'a ModelFile) -> Result<Plan<'a>> {
        let spec = &file.config.model;
        let infos = spec.infer()?;
        let mut input = spec.input.clone();
        let mut layers = Vec::new();
        let mut flattened: Option<[usize; 3]> = None;
        for (index, (config, info)) in spec.layers.iter().zip(&infos).enumerate() {
            let window = config.layer.window(index, &input)?;
            let from_maps = match config.layer {
                LayerSpec::Dense { .. } => flattened.take(),
                _ => None,
            };
            if let (LayerSpec::Flatten, [h, w, c]) = (&config.layer, input.as_slice()) {
                flattened = Some([*h, *w, *c]);
            }
            layers.push(Layer {
                index,
                spec: &config.layer,
                penalties: config.penalties,
                frozen: config.frozen,
                input: input.clone(),
                output: info.output.clone(),
                window,
                flattened: from_maps,
            });
            input = info.output.clone();
        }
        let ends_in_softmax = matches!(
            spec.layers.last().map(|l| &l.layer),
            Some(LayerSpec::Softmax)
        );
        Ok(Plan {
            file,
            scores_before_softmax: ends_in_softmax && file.config.loss.takes_logits(),
            ends_in_softmax,
            layers,
        })
    }

    pub fn config(&self) -> &crate::train::TrainConfig {
        &self.file.config
    }

    pub fn any_weight_penalty(&self) -> bool {
        self.layers
            .iter()
            .any(|l| l.penalties.l1 != 0.0 || l.penalties.l2 != 0.0)
    }

    pub fn any_activity_penalty(&self) -> bool {
        self.layers
            .iter()
            .any(|l| l.penalties.activity_l1 != 0.0 || l.penalties.activity_l2 != 0.0)
    }

    pub fn label_smoothing(&self) -> f32 {
        match self.file.config.loss {
            Loss::SoftmaxCrossEntropy { label_smoothing } => label_smoothing,
            _ => 0.0,
        }
    }

    /// "Default CNN on MNIST" or the layers' names when no preset matches.
    pub fn title(&self) -> String {
        let model = crate::nn::presets::Preset::of(&self.file.config.model)
            .map(|p| p.name().to_string())
            .unwrap_or_else(|| "A custom model".into());
        format!("{model} on {}", self.file.dataset)
    }
}

/// A Python float literal of `v` (the shortest that reads back as the same f32).
pub(crate) fn py(v: f32) -> String {
    let s = format!("{v:?}");
    if s.contains(['.', 'e', 'i', 'N']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// Every file of the export of `file`, in the order a listing shows them.
pub fn export(file: &ModelFile) -> Result<Vec<ExportedFile>> {
    let plan = Plan::new(file)?;
    Ok(vec![
        ExportedFile {
            name: "README.md",
            bytes: readme::write(&plan).into_bytes(),
        },
        ExportedFile {
            name: "keras_model.py",
            bytes: keras::write(&plan).into_bytes(),
        },
        ExportedFile {
            name: "torch_model.py",
            bytes: torch::write(&plan).into_bytes(),
        },
        ExportedFile {
            name: WEIGHTS,
            bytes: file.to_bytes()?,
        },
        ExportedFile {
            name: "requirements.txt",
            bytes: REQUIREMENTS.as_bytes().to_vec(),
        },
    ])
}

/// The folder name a download suggests: the model file's name without `.safetensors`.
pub fn suggested_name(file: &ModelFile) -> String {
    let name = file.suggested_name();
    format!(
        "{}-code",
        name.strip_suffix(".safetensors").unwrap_or(&name)
    )
}

/// `template` with each `{key}` replaced by its value, in one pass (a value's own braces,
/// Python's f-strings and dicts, are left alone).
pub(crate) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    'scan: while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        for (key, value) in values {
            if let Some(tail) = after.strip_prefix(key).and_then(|t| t.strip_prefix('}')) {
                out.push_str(value);
                rest = tail;
                continue 'scan;
            }
        }
        out.push('{');
        rest = after;
    }
    out.push_str(rest);
    out
}
