//! The memory budget: what a run will need, estimated from its configuration before
//! anything is built, and refused with the layer or setting and the numbers when it does not
//! fit. The page checks it before it asks the worker for anything; the trainer checks it
//! again before it allocates (a link, a model file or a request can all carry a config).
//!
//! Every figure is a [`crate::size`] count: `u64`, checked, never wrapped.

use crate::error::{Error, Result};
use crate::size::{self, bytes_text, grouped, F32_BYTES};

use super::TrainConfig;

/// What wasm32 lets one worker hold: its linear memory ends at 4 GiB and one allocation at
/// 2 GiB (`isize::MAX`); the budget stays at the smaller, leaving room for the dataset and
/// the allocator's slack.
pub const WASM_CEILING: u64 = 2 << 30;

/// Natively there is no browser to ask; a fixed budget keeps a mistyped command from
/// swapping the machine to death.
pub const NATIVE: u64 = 16 << 30;

/// The memory a run may use, and where the figure comes from (shown on the page).
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    pub bytes: u64,
    pub source: String,
}

impl Budget {
    /// In the browser: half of `navigator.deviceMemory` (GB; Chromium rounds it and caps it
    /// at 8), at most [`WASM_CEILING`]; the ceiling alone where the browser does not say.
    pub fn browser(device_memory_gb: Option<f64>) -> Budget {
        match device_memory_gb.filter(|g| g.is_finite() && *g > 0.0) {
            Some(gb) => {
                let half = (gb * (1u64 << 30) as f64 / 2.0) as u64;
                let bytes = half.min(WASM_CEILING);
                let source = if half < WASM_CEILING {
                    format!("half of this device's {gb} GB")
                } else {
                    format!("the most one browser worker can hold; this device has {gb} GB")
                };
                Budget { bytes, source }
            }
            None => Budget {
                bytes: WASM_CEILING,
                source: "the most one browser worker can hold".into(),
            },
        }
    }

    /// The budget where this code runs: the browser's (from `navigator.deviceMemory` of the
    /// window or worker), or [`NATIVE`].
    pub fn here() -> Budget {
        #[cfg(target_arch = "wasm32")]
        {
            let gb = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
                .and_then(|n| js_sys::Reflect::get(&n, &"deviceMemory".into()))
                .ok()
                .and_then(|v| v.as_f64());
            Budget::browser(gb)
        }
        #[cfg(not(target_arch = "wasm32"))]
        Budget {
            bytes: NATIVE,
            source: "the native commands' fixed budget".into(),
        }
    }

    /// The estimate of `config` with `data_bytes` of training data resident (the dataset as
    /// f32 on the device), or an error naming what does not fit and by how much.
    pub fn check(&self, config: &TrainConfig, data_bytes: u64) -> Result<Estimate> {
        let estimate = Estimate::of(config, data_bytes)?;
        let over = |what: String| {
            Error::Config(format!(
                "{what}, more than the memory budget of {} ({})",
                bytes_text(self.bytes),
                self.source
            ))
        };
        if let Some((i, name, params)) = estimate.largest_layer.clone() {
            let bytes = params.saturating_mul(F32_BYTES);
            if bytes > self.bytes || bytes > size::MAX_ALLOCATION {
                return Err(over(format!(
                    "layer {} ({name}): its {} parameters need {} as f32",
                    i + 1,
                    grouped(params),
                    bytes_text(bytes)
                )));
            }
        }
        if estimate.total > self.bytes {
            return Err(over(format!(
                "training this model with batches of {} needs about {} ({} parameters with \
                 their gradients and optimizer state: {}; activations: {}; the data: {})",
                config.batch_size,
                bytes_text(estimate.total),
                grouped(estimate.params),
                bytes_text(estimate.parameter_bytes),
                bytes_text(estimate.activation_bytes),
                bytes_text(estimate.data_bytes)
            )));
        }
        Ok(estimate)
    }
}

/// What a run needs, before anything is built.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Trainable parameters in all.
    pub params: u64,
    /// The layer with the most parameters: (index, name, parameters).
    pub largest_layer: Option<(usize, String, u64)>,
    /// Weights, gradients, optimizer state, the weight average and the host copy the
    /// trainer keeps to recover from a lost GPU.
    pub parameter_bytes: u64,
    /// Every layer's output and its gradient for one batch, and the batch itself.
    pub activation_bytes: u64,
    /// The dataset as the device holds it.
    pub data_bytes: u64,
    pub total: u64,
}

impl Estimate {
    /// The estimate of `config`; an architecture that cannot be built is an error.
    pub fn of(config: &TrainConfig, data_bytes: u64) -> Result<Estimate> {
        let infos = config.model.infer()?;
        let params = config.model.param_count()?;
        let largest_layer = infos
            .iter()
            .enumerate()
            .max_by_key(|(_, info)| info.params)
            .filter(|(_, info)| info.params > 0)
            .map(|(i, info)| (i, info.name.clone(), info.params));
        let slots = config.optimizer.state_len() as u64;
        // weights + gradients + slots, the average, and a host copy of weights + slots.
        let copies = 3 + 2 * slots + u64::from(config.weight_average.is_some());
        let overflow = || Error::Config("the model's memory needs overflow any count".into());
        let parameter_bytes = size::mul(params, copies * F32_BYTES).ok_or_else(overflow)?;
        let per_sample = infos
            .iter()
            .map(|info| size::product(&info.output))
            .try_fold(
                size::product(&config.model.input).unwrap_or(u64::MAX),
                |a, b| b.and_then(|b| size::add(a, b)),
            )
            .ok_or_else(overflow)?;
        // Each output is kept for backward and gets a gradient of its size.
        let activation_bytes = size::mul(per_sample, config.batch_size as u64)
            .and_then(|n| size::mul(n, 2 * F32_BYTES))
            .ok_or_else(overflow)?;
        let total = size::add(parameter_bytes, activation_bytes)
            .and_then(|n| size::add(n, data_bytes))
            .ok_or_else(overflow)?;
        Ok(Estimate {
            params,
            largest_layer,
            parameter_bytes,
            activation_bytes,
            data_bytes,
            total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::presets::Preset;
    use crate::nn::LayerSpec;

    /// MNIST's 70 000 images of 28×28 as f32.
    const MNIST_F32: u64 = 70_000 * 784 * 4;

    fn with_hidden(units: usize) -> TrainConfig {
        let mut config = TrainConfig::for_preset(Preset::DefaultCnn, 3, 1);
        // Between Flatten and the output layer, as in the shared link of issue 22.
        let at = config.model.layers.len() - 2;
        config.model.layers.insert(
            at,
            LayerSpec::Dense {
                units,
                init: Default::default(),
            }
            .into(),
        );
        config
    }

    #[test]
    fn the_default_cnn_and_mnist_fit_a_1_gb_device() {
        let e = Budget::browser(Some(1.0)).check(
            &TrainConfig::for_preset(Preset::DefaultCnn, 3, 1),
            MNIST_F32,
        );
        assert_eq!(e.unwrap().params, 5994);
    }

    #[test]
    fn a_billion_unit_layer_is_refused_with_its_true_count() {
        let config = with_hidden(1_000_000_000);
        let infos = config.model.infer().unwrap();
        // 256·10⁹ + 10⁹ (the "257 000 001 000" mistypes it; 32 bits wrap it to 3 596 929 536).
        assert_eq!(infos[7].params, 257_000_000_000);
        assert_eq!(infos[8].params, 10_000_000_010);
        assert_eq!(config.model.param_count().unwrap(), 267_000_003_434);
        let e = Budget::browser(Some(8.0))
            .check(&config, MNIST_F32)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("layer 8 (Dense 1000000000): its 257 000 000 000 parameters need 1.03 TB"),
            "{e}"
        );
        assert!(e.contains("memory budget of 2.15 GB"), "{e}");
    }

    #[test]
    fn the_budget_follows_device_memory() {
        assert_eq!(Budget::browser(Some(2.0)).bytes, 1 << 30);
        assert_eq!(Budget::browser(Some(8.0)).bytes, WASM_CEILING);
        assert_eq!(Budget::browser(None).bytes, WASM_CEILING);
        assert_eq!(Budget::browser(Some(f64::NAN)).bytes, WASM_CEILING);
    }

    #[test]
    fn the_data_counts_against_the_budget() {
        let config = TrainConfig::for_preset(Preset::DefaultCnn, 3, 1);
        let e = Budget::browser(Some(0.25))
            .check(&config, 200 << 20)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the data: 210 MB"), "{e}");
    }

    #[test]
    fn a_huge_batch_is_refused_naming_the_batch() {
        let mut config = TrainConfig::for_preset(Preset::DefaultCnn, 3, 1);
        config.batch_size = 1 << 30;
        let e = Budget::browser(Some(8.0))
            .check(&config, MNIST_F32)
            .unwrap_err()
            .to_string();
        assert!(e.contains("with batches of 1073741824 needs about"), "{e}");
    }
}
