//! The GPU context: one device and queue, the pipeline cache, a pool of storage buffers, a
//! params arena, and the command encoder that records every op until the next submit.
//!
//! Ops never wait for the GPU. They record dispatches; [`GpuContext::flush`] submits them
//! (an op that reads data back flushes first). Buffers and pipelines are created once and
//! reused: creating them is the expensive part of WebGPU.

// In the browser wgpu's handles are not Send (they are JS objects) and there is one thread:
// Arc is what lets native code share GPU tensors across threads.
#![cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytemuck::Pod;

use super::kernels::Kernel;
use crate::error::{Error, Result};

/// Bytes between params blocks in the arena (WebGPU's minimum uniform offset alignment).
const PARAMS_STRIDE: usize = 256;
/// Params blocks per submission; recording more flushes early.
const PARAMS_SLOTS: usize = 512;

/// What the learner is told about the adapter in use.
#[derive(Debug, Clone, PartialEq)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub driver: String,
}

impl AdapterSummary {
    /// A GPU emulated in software on the CPU (SwiftShader, llvmpipe, lavapipe): the
    /// learner is told, since it is often slower than the CPU backend.
    pub fn is_software(&self) -> bool {
        let name = self.name.to_lowercase();
        ["swiftshader", "llvmpipe", "lavapipe", "software"]
            .iter()
            .any(|s| name.contains(s))
    }
}

impl std::fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}", self.name, self.backend)?;
        if !self.driver.is_empty() {
            write!(f, ", {}", self.driver)?;
        }
        write!(f, ")")
    }
}

/// Commands being recorded: the encoder and the params written for its dispatches.
struct Recording {
    encoder: wgpu::CommandEncoder,
    params: Vec<u8>,
    slots: usize,
}

pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    /// A GPU emulated by the CPU (SwiftShader, lavapipe): kernels without workgroup memory
    /// and barriers run faster there, so ops prefer them.
    pub emulated: bool,
    pipelines: Mutex<HashMap<Kernel, wgpu::ComputePipeline>>,
    /// Idle storage buffers by size in bytes.
    pool: Mutex<HashMap<u64, Vec<wgpu::Buffer>>>,
    params_arena: wgpu::Buffer,
    recording: Mutex<Option<Recording>>,
    /// Compute dispatches recorded since creation (the training loop reports per step).
    dispatches: AtomicU64,
    /// Storage buffers created and their bytes: the pool keeps every one it made, so these
    /// are the live buffers (what the soak test watches for leaks).
    buffers: AtomicU64,
    buffer_bytes: AtomicU64,
    /// Set when the device is lost or reports an error; ops then fail instead of recording.
    failed: Arc<Mutex<Option<String>>>,
    lost: Arc<AtomicBool>,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuContext({})", self.adapter)
    }
}

/// Storage buffers: read and written by kernels, copied to and from.
const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl GpuContext {
    /// Opens the default adapter (natively Vulkan, honouring `WGPU_BACKEND`; in the browser
    /// `navigator.gpu`). Fails with a sentence a learner can read when there is none.
    pub async fn new() -> Result<Arc<GpuContext>> {
        // Without `navigator.gpu` (browsers without WebGPU) say so plainly, before wgpu has
        // to find out.
        #[cfg(target_arch = "wasm32")]
        {
            let gpu = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
                .and_then(|n| js_sys::Reflect::get(&n, &"gpu".into()));
            if !gpu.is_ok_and(|g| !g.is_undefined() && !g.is_null()) {
                return Err(Error::Gpu(
                    "this browser has no WebGPU (navigator.gpu is missing)".into(),
                ));
            }
        }
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                force_fallback_adapter: false,
                compatible_surface: None,
                apply_limit_buckets: false,
            })
            .await
            .map_err(|e| {
                // In the browser wgpu's reason lists every native backend it lacks: noise to
                // a learner. The browser's own answer is the one that matters.
                Error::Gpu(if cfg!(target_arch = "wasm32") {
                    "the browser has WebGPU but offers no adapter (it may be switched off, or \
                     this GPU not supported)"
                        .into()
                } else {
                    format!("no WebGPU adapter is available ({e})")
                })
            })?;
        let info = adapter.get_info();
        let emulated = info.device_type == wgpu::DeviceType::Cpu;
        #[cfg(target_arch = "wasm32")]
        let info = wgpu::AdapterInfo {
            name: browser_adapter_name().await.unwrap_or(info.name.clone()),
            ..info
        };
        let limits = adapter.limits();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("trainer"),
                required_features: wgpu::Features::empty(),
                // WebGPU's defaults (8 storage buffers per stage: batch-norm backward binds 8),
                // with buffers as large as the adapter allows (a dataset is one buffer).
                required_limits: wgpu::Limits {
                    max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
                    max_buffer_size: limits.max_buffer_size,
                    ..wgpu::Limits::default()
                },
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| Error::Gpu(format!("the GPU refused to open a device ({e})")))?;
        let failed = Arc::new(Mutex::new(None));
        let lost = Arc::new(AtomicBool::new(false));
        {
            let failed = failed.clone();
            device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                let mut slot = failed.lock().expect("error slot");
                slot.get_or_insert_with(|| e.to_string());
            }));
        }
        {
            let (failed, lost) = (failed.clone(), lost.clone());
            device.set_device_lost_callback(move |reason, message| {
                lost.store(true, Ordering::SeqCst);
                let mut slot = failed.lock().expect("error slot");
                slot.get_or_insert_with(|| {
                    format!("the GPU device was lost ({reason:?}: {message})")
                });
            });
        }
        let params_arena = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params arena"),
            size: (PARAMS_STRIDE * PARAMS_SLOTS) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Arc::new(GpuContext {
            emulated,
            adapter: AdapterSummary {
                name: info.name,
                backend: format!("{:?}", info.backend),
                driver: [info.driver, info.driver_info]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" "),
            },
            device,
            queue,
            pipelines: Mutex::new(HashMap::new()),
            pool: Mutex::new(HashMap::new()),
            params_arena,
            recording: Mutex::new(None),
            dispatches: AtomicU64::new(0),
            buffers: AtomicU64::new(0),
            buffer_bytes: AtomicU64::new(0),
            failed,
            lost,
        }))
    }

    /// The first error the device reported (or its loss), if any.
    pub fn failure(&self) -> Option<String> {
        self.failed.lock().expect("error slot").clone()
    }

    /// True once the device is lost; nothing more can run on it.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Errors if the device has failed, so callers can fall back to the CPU.
    pub fn check(&self) -> Result<()> {
        match self.failure() {
            Some(message) => Err(Error::Gpu(message)),
            None => Ok(()),
        }
    }

    /// Dispatches recorded so far.
    pub fn dispatch_count(&self) -> u64 {
        self.dispatches.load(Ordering::Relaxed)
    }

    /// Destroys the device, as a lost GPU would (for tests of the fallback).
    pub fn simulate_loss(&self) {
        self.device.destroy();
        self.lost.store(true, Ordering::SeqCst);
        let mut slot = self.failed.lock().expect("error slot");
        slot.get_or_insert_with(|| "the GPU device was lost (destroyed)".into());
    }

    /// A storage buffer of at least `bytes` bytes, recycled when one is idle.
    pub fn take_buffer(&self, bytes: u64) -> wgpu::Buffer {
        // Sizes round up to 256 bytes so similar tensors share buffers; 4 is the minimum.
        let size = bytes.max(4).div_ceil(256) * 256;
        if let Some(b) = self
            .pool
            .lock()
            .expect("pool")
            .get_mut(&size)
            .and_then(Vec::pop)
        {
            return b;
        }
        self.buffers.fetch_add(1, Ordering::Relaxed);
        self.buffer_bytes.fetch_add(size, Ordering::Relaxed);
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: STORAGE,
            mapped_at_creation: false,
        })
    }

    /// Storage buffers alive (in use or pooled) and their bytes.
    pub fn live_buffers(&self) -> (u64, u64) {
        (
            self.buffers.load(Ordering::Relaxed),
            self.buffer_bytes.load(Ordering::Relaxed),
        )
    }

    /// Returns a buffer to the pool. Safe while recorded commands still use it: the queue
    /// runs commands in order, so whatever reuses it next runs after them.
    pub fn give_buffer(&self, buffer: wgpu::Buffer) {
        if self.is_lost() {
            return;
        }
        self.pool
            .lock()
            .expect("pool")
            .entry(buffer.size())
            .or_default()
            .push(buffer);
    }

    fn pipeline(&self, kernel: Kernel) -> wgpu::ComputePipeline {
        let mut pipelines = self.pipelines.lock().expect("pipelines");
        pipelines
            .entry(kernel)
            .or_insert_with(|| {
                let module = self
                    .device
                    .create_shader_module(wgpu::ShaderModuleDescriptor {
                        label: Some(kernel.name()),
                        source: wgpu::ShaderSource::Wgsl(kernel.source().into()),
                    });
                self.device
                    .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(kernel.name()),
                        layout: None,
                        module: &module,
                        entry_point: Some(kernel.entry()),
                        compilation_options: Default::default(),
                        cache: None,
                    })
            })
            .clone()
    }

    /// Runs `f` on the recording encoder, starting one if needed.
    fn with_recording<T>(&self, f: impl FnOnce(&mut Recording) -> T) -> T {
        let mut guard = self.recording.lock().expect("recording");
        let recording = guard.get_or_insert_with(|| Recording {
            encoder: self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None }),
            params: Vec::with_capacity(PARAMS_STRIDE * 64),
            slots: 0,
        });
        f(recording)
    }

    /// Records one dispatch of `kernel` over `groups` workgroups, in the binding order every
    /// shader declares (see `kernels.rs`): binding 0 is `params` (a uniform), then `writes`,
    /// the buffers the kernel writes, then `reads`, those it only reads. Writes are in place:
    /// a tensor written here was made unique first (`Tensor::make_unique`).
    pub fn dispatch<P: Pod>(
        &self,
        kernel: Kernel,
        params: &P,
        writes: &[&wgpu::Buffer],
        reads: &[&wgpu::Buffer],
        groups: (u32, u32, u32),
    ) -> Result<()> {
        self.check()?;
        if groups.0 == 0 || groups.1 == 0 || groups.2 == 0 {
            return Ok(());
        }
        let bytes = bytemuck::bytes_of(params);
        assert!(
            bytes.len() <= PARAMS_STRIDE,
            "params of {} exceed a slot",
            kernel.name()
        );
        if self.with_recording(|r| r.slots) == PARAMS_SLOTS {
            self.flush();
        }
        let pipeline = self.pipeline(kernel);
        self.with_recording(|r| {
            let offset = r.slots * PARAMS_STRIDE;
            r.params.resize(offset, 0);
            r.params.extend_from_slice(bytes);
            r.slots += 1;
            let mut entries = vec![wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &self.params_arena,
                    offset: offset as u64,
                    size: wgpu::BufferSize::new(bytes.len().div_ceil(16) as u64 * 16),
                }),
            }];
            entries.extend((writes.iter().chain(reads)).enumerate().map(|(i, b)| {
                wgpu::BindGroupEntry {
                    binding: i as u32 + 1,
                    resource: b.as_entire_binding(),
                }
            }));
            let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &pipeline.get_bind_group_layout(0),
                entries: &entries,
            });
            let mut pass = r.encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(kernel.name()),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(groups.0, groups.1, groups.2);
        });
        self.dispatches.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Records a buffer-to-buffer copy of `bytes` bytes.
    pub fn copy(&self, from: &wgpu::Buffer, to: &wgpu::Buffer, bytes: u64) {
        if bytes > 0 {
            self.with_recording(|r| r.encoder.copy_buffer_to_buffer(from, 0, to, 0, bytes));
        }
    }

    /// Records zeroing the first `bytes` bytes of a buffer.
    pub fn clear(&self, buffer: &wgpu::Buffer, bytes: u64) {
        if bytes > 0 {
            self.with_recording(|r| r.encoder.clear_buffer(buffer, 0, Some(bytes)));
        }
    }

    /// Submits everything recorded so far (writing its params first). The lock is held
    /// throughout: the params arena is shared, so another thread's params must not be
    /// written between ours and our submission.
    pub fn flush(&self) {
        let mut guard = self.recording.lock().expect("recording");
        if let Some(r) = guard.take() {
            if !r.params.is_empty() {
                self.queue.write_buffer(&self.params_arena, 0, &r.params);
            }
            self.queue.submit([r.encoder.finish()]);
        }
    }

    /// Uploads host data into a new storage buffer.
    pub fn upload(&self, data: &[u8]) -> wgpu::Buffer {
        let buffer = self.take_buffer(data.len() as u64);
        // Pending commands may still use this recycled buffer: submit them first, so the
        // write lands after them in queue order.
        self.flush();
        self.queue.write_buffer(&buffer, 0, data);
        buffer
    }

    /// Reads `bytes` bytes of a buffer back to the host. Never blocks in the browser: the
    /// future resolves when the GPU has delivered them. Natively it waits for the device.
    pub async fn read(&self, buffer: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
        self.read_many(&[(buffer, bytes)]).await
    }

    /// Reads the first bytes of several buffers in one round trip, concatenated (each size
    /// a multiple of 4).
    pub async fn read_many(&self, parts: &[(&wgpu::Buffer, u64)]) -> Result<Vec<u8>> {
        self.check()?;
        let bytes: u64 = parts.iter().map(|(_, b)| b).sum();
        let size = bytes.div_ceil(4) * 4;
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read-back"),
            size: size.max(4),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.with_recording(|r| {
            let mut at = 0;
            for (buffer, b) in parts {
                r.encoder.copy_buffer_to_buffer(buffer, 0, &staging, at, *b);
                at += b;
            }
        });
        self.flush();
        let slice = staging.slice(..size.max(4));
        let (future, done) = super::readback::oneshot();
        slice.map_async(wgpu::MapMode::Read, move |result| done(result.is_ok()));
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU failed ({e})")))?;
        if !future.await {
            return Err(Error::Gpu(
                self.failure()
                    .unwrap_or_else(|| "reading from the GPU failed".into()),
            ));
        }
        let data = slice
            .get_mapped_range()
            .map_err(|e| Error::Gpu(format!("reading from the GPU failed ({e})")))?
            .to_vec();
        staging.unmap();
        self.check()?;
        Ok(data[..bytes as usize].to_vec())
    }
}

/// The browser's own description of its adapter (wgpu leaves the name empty there): vendor,
/// architecture and description from `GPUAdapter.info`, e.g. "google swiftshader".
#[cfg(target_arch = "wasm32")]
async fn browser_adapter_name() -> Option<String> {
    use js_sys::{Function, Promise, Reflect};
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let gpu = Reflect::get(&navigator, &"gpu".into()).ok()?;
    let request: Function = Reflect::get(&gpu, &"requestAdapter".into()).ok()?.into();
    let promise: Promise = request.call0(&gpu).ok()?.into();
    let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    let info = Reflect::get(&adapter, &"info".into()).ok()?;
    let words: Vec<String> = ["vendor", "architecture", "description"]
        .iter()
        .filter_map(|k| Reflect::get(&info, &(*k).into()).ok()?.as_string())
        .filter(|s| !s.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}
