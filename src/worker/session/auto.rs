//! Auto chooses the backend by measurement. On the first Train of an architecture and
//! batch size, a few steps of the actual model run on each backend (one untimed step for
//! shaders and buffers, then steps for about [`MEASURE_MS`]) and the faster one trains; the
//! figures are remembered, and the learner is told the choice with both of them. A software
//! adapter (SwiftShader, llvmpipe) is named as such.

use std::collections::HashMap;
use std::sync::Arc;

use super::setup::Origin;
use crate::backend::webgpu::GpuContext;
use crate::clock::now_ms;
use crate::data::Dataset;
use crate::tensor::Device;
use crate::worker::speeds::Speeds;

/// How long each backend is timed, after its first (untimed) step.
const MEASURE_MS: f64 = 1000.0;
/// Steps timed at least (a step slower than the whole budget still gives a figure) and at
/// most (a tiny model must not spin for the whole second on the GPU's queue alone).
const MIN_STEPS: usize = 2;
const MAX_STEPS: usize = 200;

/// Figures measured so far in this worker, by architecture and batch size.
#[derive(Default)]
pub struct Measured(HashMap<String, Speeds>);

impl Measured {
    /// The speeds of `origin`'s model on the CPU and on `gpu`, measured now or remembered.
    pub async fn speeds(
        &mut self,
        origin: &Origin,
        dataset: &Arc<Dataset>,
        gpu: &Arc<GpuContext>,
    ) -> crate::Result<Speeds> {
        let config = origin.config();
        let key = format!(
            "{}/{}",
            serde_json::to_string(&config.model).unwrap_or_default(),
            config.batch_size
        );
        if let Some(s) = self.0.get(&key) {
            return Ok(s.clone());
        }
        let cpu = samples_per_s(origin, dataset, Device::Cpu).await?;
        let gpu_speed = samples_per_s(origin, dataset, Device::WebGpu(gpu.clone())).await?;
        let speeds = Speeds {
            cpu,
            gpu: gpu_speed,
            adapter: gpu.adapter.name.clone(),
            software: gpu.emulated || gpu.adapter.is_software(),
        };
        self.0.insert(key, speeds.clone());
        Ok(speeds)
    }
}

/// Training samples/s of `origin`'s model on `device`, from a trainer built for the purpose
/// and thrown away (the run itself starts from the same weights).
async fn samples_per_s(
    origin: &Origin,
    dataset: &Arc<Dataset>,
    device: Device,
) -> crate::Result<f64> {
    let mut t = origin.build(dataset.clone(), device)?;
    let batch = t.config.batch_size as f64;
    t.step().await?;
    t.sync().await?;
    let t0 = now_ms();
    let mut steps = 0;
    while steps < MAX_STEPS && (steps < MIN_STEPS || now_ms() - t0 < MEASURE_MS) {
        t.step().await?;
        steps += 1;
    }
    t.sync().await?;
    let seconds = ((now_ms() - t0) / 1000.0).max(1e-6);
    Ok(steps as f64 * batch / seconds)
}
