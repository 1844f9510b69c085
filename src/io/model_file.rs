//! The model file: weights as a safetensors file, and in its JSON metadata everything else a
//! reader needs — architecture and hyper-parameters (the whole `TrainConfig`), normalisation
//! statistics, dataset and class names, the per-epoch history and a format version.
//!
//! Tensor names are `layers.<index>.<name>`: `weight` and `bias` for Dense (`[in, out]`,
//! `[out]`) and Conv2D (`[kh, kw, c_in, c_out]`, i.e. HWIO, `[c_out]`); `gamma`, `beta`,
//! `running_mean` and `running_var` for BatchNorm (`[channels]`). All f32, little-endian.
//! Inputs are NHWC (`[batch, 28, 28, 1]`).
//!
//! Loading never trusts the file: sizes are bounded before anything is allocated, the
//! architecture is rebuilt from the config and every tensor must match it in name and shape,
//! and non-finite weights are refused. On any error nothing in the app changes.

use std::collections::BTreeMap;

use safetensors::{Dtype, SafeTensorError, SafeTensors};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::data::normalize::{Normalization, Normalizer};
use crate::error::{Error, Result};
use crate::nn::Sequential;
use crate::size;
use crate::tensor::Tensor;
use crate::train::{EpochSummary, TrainConfig};

/// The `format` metadata value that marks our files.
pub const FORMAT: &str = "trainer-model";
/// The version this build writes; it reads every version up to it.
pub const VERSION: u32 = 1;
/// Files larger than this are refused before they are read (far above any model here).
pub const MAX_FILE_BYTES: usize = 256 << 20;

/// Everything a model file holds.
#[derive(Debug, Clone)]
pub struct ModelFile {
    pub config: TrainConfig,
    pub normalizer: Normalizer,
    pub dataset: String,
    pub class_names: Vec<String>,
    pub history: Vec<EpochSummary>,
    /// Test-set accuracy when the run finished, if it was measured.
    pub test_accuracy: Option<f32>,
    /// `(name, tensor)` in the model's order (see [`named_weights`]).
    pub weights: Vec<(String, Tensor)>,
    /// Snapshots only: the optimizer's state, so training continues exactly.
    pub optimizer: Option<OptimizerState>,
}

/// The optimizer's tensors per parameter (in `Sequential::params` order), stored as
/// `optimizer.<param>.<slot>`, and its update count (metadata `optimizer_steps`).
#[derive(Debug, Clone)]
pub struct OptimizerState {
    pub steps: u64,
    pub tensors: Vec<Vec<Tensor>>,
}

/// The model's parameters and buffers with their file names, in [`Sequential::weights`] order.
pub fn named_weights(model: &mut Sequential) -> Vec<(String, Tensor)> {
    let names = model.weight_names();
    names.into_iter().zip(model.weights()).collect()
}

fn bad(detail: impl std::fmt::Display) -> Error {
    Error::Config(format!("not a usable model file: {detail}"))
}

/// The safetensors parser's complaint in plain words.
fn explain(e: SafeTensorError, bytes: &[u8]) -> Error {
    let claimed = bytes
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
    bad(match e {
        SafeTensorError::HeaderTooSmall => "it is too short to be a model file".to_string(),
        SafeTensorError::HeaderTooLarge | SafeTensorError::InvalidHeaderLength => format!(
            "it claims a header of {} bytes, more than it holds or than any model needs",
            claimed.unwrap_or(0)
        ),
        SafeTensorError::InvalidHeader(_) | SafeTensorError::InvalidHeaderDeserialization(_) => {
            "its header is not the JSON of a safetensors file".to_string()
        }
        SafeTensorError::MetadataIncompleteBuffer => {
            "it is truncated (or has extra bytes): its tensors do not add up to its size"
                .to_string()
        }
        other => format!("its tensor table is inconsistent ({other:?})"),
    })
}

/// The normalisation statistics must be numbers the app can use and fit the input: a mean
/// image of another size would shift the wrong pixels (or, empty, fail at the first
/// prediction), and a zero or infinite spread turns every input into NaN.
fn check_normalizer(n: &Normalizer, input: &[usize]) -> Result<()> {
    let spread_ok = n.std.is_finite() && (n.std > 0.0 || n.kind != Normalization::Standardize);
    if !n.mean.is_finite() || !spread_ok {
        return Err(bad(format!(
            "its normalisation statistics are not usable (mean {}, standard deviation {})",
            n.mean, n.std
        )));
    }
    if n.kind == Normalization::SubtractMeanImage {
        let pixels = size::product(input).unwrap_or(u64::MAX);
        if n.mean_image.len() as u64 != pixels {
            return Err(bad(format!(
                "its mean image has {} values but the input {} has {pixels}",
                n.mean_image.len(),
                size::times(input)
            )));
        }
    }
    let channels = input.last().copied().unwrap_or(1);
    let per_channel = [&n.channel_mean, &n.channel_std];
    if per_channel
        .iter()
        .any(|v| !v.is_empty() && v.len() != channels)
    {
        return Err(bad(format!(
            "its per-channel statistics have {} means and {} deviations but the input {} has \
             {channels} channels",
            n.channel_mean.len(),
            n.channel_std.len(),
            size::times(input)
        )));
    }
    let usable = |v: &f32| v.is_finite();
    if !n.channel_mean.iter().all(usable) || !n.channel_std.iter().all(|s| usable(s) && *s > 0.0) {
        return Err(bad("its per-channel statistics are not usable numbers"));
    }
    if let Some(i) = n.mean_image.iter().position(|v| !v.is_finite()) {
        return Err(bad(format!(
            "its mean image's value {i} is {} (not a finite number)",
            n.mean_image[i]
        )));
    }
    Ok(())
}

/// The file with its header's keys in sorted order, so that one model always gives the same
/// bytes: `safetensors::serialize` writes the metadata from a hash map, in an order that
/// changed from one save to the next. Tensor data and their offsets (counted from the end of
/// the header) are unchanged.
fn sorted_header(file: Vec<u8>) -> Result<Vec<u8>> {
    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Entry {
        Metadata(BTreeMap<String, String>),
        Tensor {
            dtype: String,
            shape: Vec<usize>,
            data_offsets: [usize; 2],
        },
    }
    let broken =
        |e: &dyn std::fmt::Display| Error::Config(format!("could not write the model file: {e}"));
    let n = file
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
        .filter(|&n| 8 + n <= file.len())
        .ok_or_else(|| broken(&"no header"))?;
    let header: BTreeMap<String, Entry> =
        serde_json::from_slice(&file[8..8 + n]).map_err(|e| broken(&e))?;
    let mut text = serde_json::to_string(&header).map_err(|e| broken(&e))?;
    // Padded with spaces to a multiple of 8 bytes, as safetensors does.
    while text.len() % 8 != 0 {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + file.len() - 8 - n);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&file[8 + n..]);
    Ok(out)
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("model metadata always serialises")
}

impl ModelFile {
    /// The file's bytes (weights must be on the CPU: read them back first on a GPU).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut meta = hashbrown::HashMap::new();
        meta.insert("format".to_string(), FORMAT.to_string());
        meta.insert("format_version".to_string(), VERSION.to_string());
        meta.insert("config".to_string(), json(&self.config));
        meta.insert("normalizer".to_string(), json(&self.normalizer));
        meta.insert("dataset".to_string(), self.dataset.clone());
        meta.insert("class_names".to_string(), json(&self.class_names));
        meta.insert("history".to_string(), json(&self.history));
        meta.insert("test_accuracy".to_string(), json(&self.test_accuracy));
        let mut all = self.weights.clone();
        if let Some(o) = &self.optimizer {
            meta.insert("optimizer_steps".to_string(), o.steps.to_string());
            for (p, slots) in o.tensors.iter().enumerate() {
                for (k, t) in slots.iter().enumerate() {
                    all.push((format!("optimizer.{p}.{k}"), t.clone()));
                }
            }
        }
        let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = all
            .iter()
            .map(|(name, t)| {
                let data: Vec<u8> = t.to_vec().iter().flat_map(|v| v.to_le_bytes()).collect();
                (name.clone(), data, t.shape().to_vec())
            })
            .collect();
        let views = bytes
            .iter()
            .map(|(name, data, shape)| {
                safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), data)
                    .map(|v| (name.clone(), v))
                    .map_err(|e| Error::Config(format!("tensor {name}: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        safetensors::serialize(views, Some(meta))
            .map_err(|e| Error::Config(format!("could not write the model file: {e}")))
            .and_then(sorted_header)
    }

    /// Reads and checks a model file (see the module notes for what is checked).
    pub fn from_bytes(bytes: &[u8]) -> Result<ModelFile> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(bad(format!(
                "{} MB is larger than the {} MB a model file may be",
                bytes.len() >> 20,
                MAX_FILE_BYTES >> 20
            )));
        }
        // safetensors bounds the header (100 MB) and checks every offset against the buffer
        // we already hold before it allocates anything.
        let file = SafeTensors::deserialize(bytes).map_err(|e| explain(e, bytes))?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| explain(e, bytes))?;
        let meta: BTreeMap<String, String> = header
            .metadata()
            .clone()
            .map(|m| m.into_iter().collect())
            .unwrap_or_default();
        let field = |key: &str| {
            meta.get(key)
                .ok_or_else(|| bad(format!("the metadata has no \"{key}\"")))
        };
        if field("format")? != FORMAT {
            return Err(bad(
                "it is a safetensors file, but not one made by this app",
            ));
        }
        let version: u32 = field("format_version")?
            .parse()
            .map_err(|_| bad("its format version is not a number"))?;
        if version > VERSION {
            return Err(bad(format!(
                "it was made by a newer version of the app (format {version}); this one reads up to format {VERSION}"
            )));
        }
        fn parse<T: DeserializeOwned>(key: &str, text: &str) -> Result<T> {
            serde_json::from_str(text).map_err(|e| bad(format!("its {key} cannot be read: {e}")))
        }
        let config: TrainConfig = parse("config", field("config")?)?;
        config.validate().map_err(|e| bad(e.to_string()))?;
        let normalizer: Normalizer = parse("normalizer", field("normalizer")?)?;
        check_normalizer(&normalizer, &config.model.input)?;
        let class_names: Vec<String> = parse("class_names", field("class_names")?)?;
        let history: Vec<EpochSummary> = parse("history", field("history")?)?;
        let test_accuracy: Option<f32> = match meta.get("test_accuracy") {
            Some(t) => parse("test_accuracy", t)?,
            None => None,
        };
        // A file holds every weight it declares: a count the bytes cannot hold is a lie,
        // refused before the architecture is built (and allocated).
        let declared = config.model.param_count().map_err(|e| bad(e.to_string()))?;
        let declared_bytes = declared.saturating_mul(size::F32_BYTES);
        if declared_bytes > bytes.len() as u64 {
            return Err(bad(format!(
                "its architecture declares {} parameters ({} as f32) but the file holds only {}",
                size::grouped(declared),
                size::bytes_text(declared_bytes),
                size::bytes_text(bytes.len() as u64)
            )));
        }
        // Rebuild the architecture: every tensor it has must be in the file, with its shape.
        let mut model = Sequential::build(&config.model, config.seed)
            .map_err(|e| bad(format!("its architecture cannot be built: {e}")))?;
        let expected = named_weights(&mut model);
        // A snapshot also holds the optimizer's tensors: one set per parameter.
        let steps: Option<u64> = match meta.get("optimizer_steps") {
            Some(s) => Some(
                s.parse()
                    .map_err(|_| bad("optimizer_steps is not a number"))?,
            ),
            None => None,
        };
        let slots = if steps.is_some() {
            config.optimizer.state_len()
        } else {
            0
        };
        let param_shapes: Vec<Vec<usize>> = model
            .params()
            .iter()
            .map(|(_, p)| p.value.shape().to_vec())
            .collect();
        let total = expected.len() + slots * param_shapes.len();
        if file.len() != total {
            return Err(bad(format!(
                "it holds {} tensors but its architecture (and optimizer) has {total}",
                file.len()
            )));
        }
        let read = |name: &str, shape: &[usize]| -> Result<Tensor> {
            let view = file
                .tensor(name)
                .map_err(|_| bad(format!("the tensor {name} is missing")))?;
            if view.dtype() != Dtype::F32 {
                return Err(bad(format!("{name} is {:?}, not F32", view.dtype())));
            }
            if view.shape() != shape {
                return Err(bad(format!(
                    "{name} has shape {:?} but the architecture needs {shape:?}",
                    view.shape()
                )));
            }
            let values: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(bad(format!(
                    "{name}[{i}] is {} (not a finite number)",
                    values[i]
                )));
            }
            Tensor::from_vec(shape.to_vec(), values)
        };
        let optimizer = match steps {
            Some(steps) => Some(OptimizerState {
                steps,
                tensors: param_shapes
                    .iter()
                    .enumerate()
                    .map(|(p, shape)| {
                        (0..slots)
                            .map(|k| read(&format!("optimizer.{p}.{k}"), shape))
                            .collect::<Result<Vec<_>>>()
                    })
                    .collect::<Result<Vec<_>>>()?,
            }),
            None => None,
        };
        let mut weights = Vec::with_capacity(expected.len());
        for (name, want) in expected {
            let tensor = read(&name, want.shape())?;
            weights.push((name, tensor));
        }
        Ok(ModelFile {
            config,
            normalizer,
            dataset: field("dataset")?.clone(),
            class_names,
            history,
            test_accuracy,
            weights,
            optimizer,
        })
    }

    /// A file name that says what is inside: dataset, architecture, accuracy.
    pub fn suggested_name(&self) -> String {
        let params = self.config.model.param_count().unwrap_or(0);
        let arch = format!("{}layers-{params}params", self.config.model.layers.len());
        let accuracy = self
            .test_accuracy
            .or(self.history.last().map(|h| h.val_accuracy))
            .map(|a| format!("-{:.2}pct", 100.0 * a))
            .unwrap_or_default();
        let slug: String = self
            .dataset
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        format!("{slug}-{arch}{accuracy}.safetensors")
    }
}
