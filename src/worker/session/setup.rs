//! Setting up a model, the one path for all three ways: fresh from the config, from the
//! current model's weights (fine-tuning), or from a model file. Each goes on the chosen
//! backend, and on the CPU when the GPU cannot (say, a shader that does not compile).

use std::sync::Arc;

use super::Session;
use crate::backend::webgpu::GpuContext;
use crate::data::Dataset;
use crate::io::model_file::ModelFile;
use crate::tensor::{Device, Tensor};
use crate::train::{TrainConfig, Trainer};
use crate::worker::protocol::{Backend, Event, RunMode};

/// Where a new model's weights come from.
pub(super) enum Origin {
    /// Fresh weights from the config's seed.
    Fresh(TrainConfig),
    /// Another model's weights (the current one's), trained with a new config.
    FineTune(TrainConfig, Vec<Tensor>),
    /// A model file: its config, weights and normalisation (and a snapshot's run).
    File(Box<ModelFile>),
}

impl Origin {
    /// The configuration the model trains with.
    pub(super) fn config(&self) -> &TrainConfig {
        match self {
            Origin::Fresh(config) | Origin::FineTune(config, _) => config,
            Origin::File(file) => &file.config,
        }
    }

    pub(super) fn build(&self, dataset: Arc<Dataset>, device: Device) -> crate::Result<Trainer> {
        match self {
            Origin::Fresh(config) => Trainer::on_device(config.clone(), dataset, device),
            Origin::FineTune(config, weights) => {
                Trainer::fine_tune(config.clone(), dataset, device, weights)
            }
            Origin::File(file) => Trainer::from_model_file(file, dataset, device),
        }
    }
}

impl Session {
    /// Builds a model from `origin` on `backend`. A GPU that cannot set it up leaves the
    /// CPU to do it, and the learner is told; an error here is the model's own (the CPU
    /// could not build it either).
    pub(super) async fn set_up(
        &mut self,
        origin: &Origin,
        dataset: Arc<Dataset>,
        backend: Backend,
    ) -> crate::Result<Trainer> {
        let backend = match backend {
            Backend::Auto => self.choose(origin, &dataset).await,
            chosen => chosen,
        };
        let device = self.device_for(backend).await;
        let on_gpu = matches!(device, Device::WebGpu(_));
        match origin.build(dataset.clone(), device) {
            Err(e) if on_gpu => {
                let trainer = origin.build(dataset, Device::Cpu)?;
                self.gpu = None;
                self.outbox.post(&Event::Notice {
                    message: format!(
                        "WebGPU could not set up this model ({e}). Training on the CPU."
                    ),
                });
                Ok(trainer)
            }
            built => built,
        }
    }

    /// Auto's choice: the faster backend for this model, measured (see `auto`); the CPU
    /// without a GPU, or if the GPU cannot run the model.
    async fn choose(&mut self, origin: &Origin, dataset: &Arc<Dataset>) -> Backend {
        let Device::WebGpu(gpu) = self.device_for(Backend::Auto).await else {
            return Backend::Cpu;
        };
        match self.measured.speeds(origin, dataset, &gpu).await {
            Ok(speeds) => {
                self.outbox.post(&Event::BackendChosen {
                    reason: speeds.reason(),
                });
                speeds.faster()
            }
            // A model the GPU cannot run: `set_up` says so when it tries.
            Err(_) => Backend::WebGpu,
        }
    }

    /// The device for a new model: the GPU if asked (and it works), else the CPU with a
    /// notice.
    async fn device_for(&mut self, backend: Backend) -> Device {
        if backend == Backend::Cpu {
            return Device::Cpu;
        }
        if let Some(ctx) = self.gpu.clone().filter(|c| !c.is_lost()) {
            return Device::WebGpu(ctx);
        }
        match GpuContext::new().await {
            Ok(ctx) => {
                self.gpu = Some(ctx.clone());
                Device::WebGpu(ctx)
            }
            Err(e) => {
                self.outbox.post(&Event::Notice {
                    message: format!("WebGPU is not available here ({e}). Training on the CPU."),
                });
                Device::Cpu
            }
        }
    }

    /// Tells the page a new model was set up.
    pub(super) fn started(&self, t: &Trainer) {
        self.outbox.post(&Event::SessionStarted {
            device: t.device.describe(),
            batches_per_epoch: t.batches_per_epoch(),
            epochs: t.config.epochs,
            train_images: t.splits.train.len(),
        });
    }

    /// Replaces the current model by the one in a model file, or says why it cannot (the
    /// current model is then untouched).
    pub(super) async fn open_model(&mut self, name: String, bytes: Option<Vec<u8>>) {
        let failed = |message: String| Event::OpenFailed {
            message: format!("{name}: {message}"),
        };
        let Some(bytes) = bytes else {
            return self
                .outbox
                .post(&failed("the file's bytes did not arrive".into()));
        };
        let file = match ModelFile::from_bytes(&bytes) {
            Ok(f) => Box::new(f),
            Err(e) => return self.outbox.post(&failed(e.to_string())),
        };
        let Some(dataset) = self.dataset.clone() else {
            return self.outbox.post(&failed(
                "load a dataset first: the model needs images to work on".into(),
            ));
        };
        let backend = if self.gpu.is_some() {
            Backend::Auto
        } else {
            Backend::Cpu
        };
        let opened = Event::ModelOpened {
            name: name.clone(),
            config: file.config.clone(),
            dataset: file.dataset.clone(),
            history: file.history.clone(),
            test_accuracy: file.test_accuracy,
        };
        let trainer = match self.set_up(&Origin::File(file), dataset, backend).await {
            Ok(t) => t,
            Err(e) => return self.outbox.post(&failed(e.to_string())),
        };
        self.started(&trainer);
        self.outbox.post(&opened);
        self.trainer = Some(trainer);
        self.set_mode(RunMode::Paused);
    }
}
