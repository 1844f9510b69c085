//! The f32 tensor: a shape, and storage on a device.
//!
//! **Layout.** Row-major, images channels-last: a batch of images is `[N, H, W, C]` (NHWC),
//! a batch of vectors `[N, F]`, conv weights `[F_h, F_w, C_in, C_out]`. Channels-last makes a
//! convolution one matrix product (im2col rows are `[kh, kw, c_in]`, matching the weights
//! reshaped to `[F_h·F_w·C_in, C_out]`) and makes batch norm of dense and conv outputs the
//! same operation (statistics per last-axis channel).
//!
//! Cloning a tensor is cheap (the storage is shared); writing through `as_mut_slice` copies
//! only if the storage is shared at that moment.

// In the browser wgpu's handles are not Send (they are JS objects) and there is one thread:
// Arc is what lets native code share GPU tensors across threads.
#![cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]

use std::sync::Arc;

use crate::backend::cpu::buffers;
use crate::backend::webgpu::GpuContext;
use crate::error::{Error, Result};

/// Where a tensor's numbers live and where the kernels on it run.
#[derive(Clone, Debug, Default)]
pub enum Device {
    /// Host memory; kernels in `backend::cpu`.
    #[default]
    Cpu,
    /// A GPU through wgpu (WebGPU in the browser, Vulkan natively); kernels in
    /// `backend::webgpu`, shaders in `shaders/`.
    WebGpu(Arc<GpuContext>),
}

impl PartialEq for Device {
    fn eq(&self, other: &Device) -> bool {
        match (self, other) {
            (Device::Cpu, Device::Cpu) => true,
            (Device::WebGpu(a), Device::WebGpu(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Device {
    /// "CPU" or the adapter's name.
    pub fn describe(&self) -> String {
        match self {
            Device::Cpu => "CPU".into(),
            Device::WebGpu(ctx) => format!("WebGPU: {}", ctx.adapter),
        }
    }

    /// [`describe`](Device::describe), with the threads the CPU kernels run on now:
    /// "CPU, 2 threads".
    pub fn describe_with_threads(&self) -> String {
        match (self, crate::backend::cpu::threads::threads()) {
            (Device::Cpu, 1) => "CPU, 1 thread".into(),
            (Device::Cpu, n) => format!("CPU, {n} threads"),
            (gpu, _) => gpu.describe(),
        }
    }
}

#[derive(Clone, Debug)]
enum Storage {
    Cpu(Arc<CpuBuffer>),
    Gpu(Arc<GpuBuffer>),
}

/// A GPU storage buffer holding a tensor; it goes back to its context's pool when dropped.
#[derive(Debug)]
pub struct GpuBuffer {
    buffer: Option<wgpu::Buffer>,
    pub ctx: Arc<GpuContext>,
}

impl GpuBuffer {
    pub fn buffer(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().expect("present until dropped")
    }
}

impl Drop for GpuBuffer {
    fn drop(&mut self) {
        if let Some(b) = self.buffer.take() {
            self.ctx.give_buffer(b);
        }
    }
}

/// Host memory that goes back to the buffer pool when the last tensor using it is dropped.
#[derive(Debug)]
struct CpuBuffer(Vec<f32>);

impl Clone for CpuBuffer {
    fn clone(&self) -> Self {
        let mut copy = buffers::take(self.0.len());
        crate::backend::cpu::elementwise::copy(&self.0, &mut copy);
        CpuBuffer(copy)
    }
}

impl Drop for CpuBuffer {
    fn drop(&mut self) {
        buffers::give(std::mem::take(&mut self.0));
    }
}

fn cpu(data: Vec<f32>) -> Storage {
    Storage::Cpu(Arc::new(CpuBuffer(data)))
}

fn gpu(ctx: &Arc<GpuContext>, buffer: wgpu::Buffer) -> Storage {
    Storage::Gpu(Arc::new(GpuBuffer {
        buffer: Some(buffer),
        ctx: ctx.clone(),
    }))
}

/// Waits for a future natively. In the browser nothing may wait: reading a GPU tensor
/// synchronously there is a bug, reported as such.
#[cfg(not(target_arch = "wasm32"))]
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

#[cfg(target_arch = "wasm32")]
fn block_on<F: std::future::Future>(_: F) -> F::Output {
    panic!("a GPU tensor cannot be read synchronously in the browser: use read().await")
}

/// The length of a new tensor of `shape`. Shapes from links, files and the builder are
/// checked against the memory budget before anything is built from them, so a shape that
/// cannot be held here is a bug: it stops loudly (the page restarts its worker) instead of
/// wrapping into a small allocation.
fn allocation(shape: &[usize]) -> usize {
    match crate::size::tensor_len("tensor", shape) {
        Ok(len) => len,
        Err(e) => panic!("{e} (shape {shape:?}): a size past the budget reached allocation"),
    }
}

/// An n-dimensional array of f32.
#[derive(Clone, Debug)]
pub struct Tensor {
    shape: Vec<usize>,
    storage: Storage,
}

impl Tensor {
    /// A tensor holding `data` with the given shape; the sizes must agree.
    pub fn from_vec(shape: impl Into<Vec<usize>>, data: Vec<f32>) -> Result<Tensor> {
        let shape = shape.into();
        let len = crate::size::tensor_len("tensor", &shape)?;
        if len != data.len() {
            return Err(Error::shape(
                "tensor",
                format!("shape {shape:?} holds {len} values, given {}", data.len()),
            ));
        }
        Ok(Tensor {
            shape,
            storage: cpu(data),
        })
    }

    /// A tensor of zeros.
    pub fn zeros(shape: impl Into<Vec<usize>>) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    /// A tensor with every element equal to `value`.
    pub fn full(shape: impl Into<Vec<usize>>, value: f32) -> Tensor {
        let mut t = Tensor::scratch(shape);
        crate::backend::cpu::elementwise::fill(t.as_mut_slice(), value);
        t
    }

    /// A tensor whose contents are unspecified (recycled memory): for kernels that write
    /// every element of their output.
    pub fn scratch(shape: impl Into<Vec<usize>>) -> Tensor {
        let shape = shape.into();
        let len = allocation(&shape);
        Tensor {
            shape,
            storage: cpu(buffers::take(len)),
        }
    }

    /// A scratch tensor on `device`.
    pub fn scratch_on(shape: impl Into<Vec<usize>>, device: &Device) -> Tensor {
        match device {
            Device::Cpu => Tensor::scratch(shape),
            Device::WebGpu(ctx) => {
                let shape = shape.into();
                let bytes = 4 * allocation(&shape) as u64;
                Tensor {
                    shape,
                    storage: gpu(ctx, ctx.take_buffer(bytes)),
                }
            }
        }
    }

    /// A tensor of zeros on `device`.
    pub fn zeros_on(shape: impl Into<Vec<usize>>, device: &Device) -> Tensor {
        match device {
            Device::Cpu => Tensor::zeros(shape),
            Device::WebGpu(ctx) => {
                let t = Tensor::scratch_on(shape, device);
                ctx.clear(t.gpu_buffer(), 4 * t.len() as u64);
                t
            }
        }
    }

    /// Host data placed on `device`.
    pub fn from_vec_on(
        shape: impl Into<Vec<usize>>,
        data: Vec<f32>,
        device: &Device,
    ) -> Result<Tensor> {
        Tensor::from_vec(shape, data)?.to_device(device)
    }

    /// A scratch tensor with this tensor's shape and device.
    pub fn scratch_like(&self) -> Tensor {
        Tensor::scratch_on(self.shape.clone(), &self.device())
    }

    /// This tensor on `device` (the same tensor if it is there already). Reaching the CPU
    /// from the GPU reads back, which natively waits; in the browser use [`Tensor::read`].
    pub fn to_device(&self, device: &Device) -> Result<Tensor> {
        if self.device() == *device {
            return Ok(self.clone());
        }
        match device {
            Device::Cpu => Tensor::from_vec(self.shape.clone(), self.to_vec()),
            Device::WebGpu(ctx) => {
                let data = self.to_vec();
                Ok(Tensor {
                    shape: self.shape.clone(),
                    storage: gpu(ctx, ctx.upload(bytemuck::cast_slice(&data))),
                })
            }
        }
    }

    /// The GPU buffer holding this tensor (only for tensors on a GPU).
    pub fn gpu_buffer(&self) -> &wgpu::Buffer {
        match &self.storage {
            Storage::Gpu(b) => b.buffer(),
            Storage::Cpu(_) => panic!("gpu_buffer() on a CPU tensor"),
        }
    }

    /// Copy-on-write, the explicit step before a GPU kernel writes into this tensor in
    /// place: if another tensor shares its buffer (a snapshot of the weights, say), this one
    /// gets a copy of its own (recorded on the GPU like a kernel), so the write is not seen
    /// there. Outputs from `scratch_on` and `zeros_on` are unique already; CPU tensors copy
    /// in `as_mut_slice`.
    pub fn make_unique(&mut self) {
        let Storage::Gpu(b) = &mut self.storage else {
            panic!("make_unique() on a CPU tensor")
        };
        if Arc::strong_count(b) > 1 {
            let bytes = 4 * allocation(&self.shape) as u64;
            let copy = b.ctx.take_buffer(bytes);
            b.ctx.copy(b.buffer(), &copy, bytes);
            *b = Arc::new(GpuBuffer {
                buffer: Some(copy),
                ctx: b.ctx.clone(),
            });
        }
    }

    /// The elements, wherever they are. On a GPU this waits for the GPU to deliver them
    /// without blocking the browser.
    pub async fn read(&self) -> Result<Vec<f32>> {
        match &self.storage {
            Storage::Cpu(v) => Ok(v.0.clone()),
            Storage::Gpu(b) => {
                let bytes = b.ctx.read(b.buffer(), 4 * self.len() as u64).await?;
                Ok(bytemuck::cast_slice(&bytes).to_vec())
            }
        }
    }

    /// A tensor of zeros with this tensor's shape and device.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros_on(self.shape.clone(), &self.device())
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the first axis (the batch), 0 for a scalar.
    pub fn rows(&self) -> usize {
        self.shape.first().copied().unwrap_or(0)
    }

    /// Size of the last axis (features or channels).
    pub fn channels(&self) -> usize {
        self.shape.last().copied().unwrap_or(1)
    }

    pub fn device(&self) -> Device {
        match &self.storage {
            Storage::Cpu(_) => Device::Cpu,
            Storage::Gpu(b) => Device::WebGpu(b.ctx.clone()),
        }
    }

    /// True when the tensor lives in host memory.
    pub fn is_cpu(&self) -> bool {
        matches!(self.storage, Storage::Cpu(_))
    }

    /// The same data with another shape of the same size.
    pub fn reshape(&self, shape: impl Into<Vec<usize>>) -> Result<Tensor> {
        let shape = shape.into();
        if shape.iter().product::<usize>() != self.len() {
            return Err(Error::shape(
                "reshape",
                format!("cannot view {:?} as {shape:?}", self.shape),
            ));
        }
        Ok(Tensor {
            shape,
            storage: self.storage.clone(),
        })
    }

    /// The elements of a CPU tensor (read directly; no copy is made). Ops check the device
    /// before calling this; a GPU tensor is read with [`Tensor::read`].
    pub fn as_slice(&self) -> &[f32] {
        match &self.storage {
            Storage::Cpu(v) => &v.0,
            Storage::Gpu(_) => panic!("as_slice() on a GPU tensor: use read()"),
        }
    }

    /// The elements of a CPU tensor for writing; copies first if another tensor shares them.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        match &mut self.storage {
            Storage::Cpu(v) => Arc::make_mut(v).0.as_mut_slice(),
            Storage::Gpu(_) => panic!("as_mut_slice() on a GPU tensor"),
        }
    }

    /// For a CPU kernel that rewrites every element from its old value: when other tensors
    /// share this one's elements, gives this tensor fresh ones (contents unspecified) and
    /// returns the shared ones, which the kernel copies part by part as it goes: one pass
    /// over memory instead of a whole copy and then the kernel's own. `None` when the
    /// elements are this tensor's alone (or it is on a GPU).
    pub fn unshare_cpu(&mut self) -> Option<Tensor> {
        match &self.storage {
            Storage::Cpu(v) if Arc::strong_count(v) > 1 => {
                let old = self.clone();
                self.storage = cpu(buffers::take(v.0.len()));
                Some(old)
            }
            _ => None,
        }
    }

    /// A copy of the elements in host memory. For a GPU tensor this waits for the GPU,
    /// which only native code may do; the browser uses [`Tensor::read`].
    pub fn to_vec(&self) -> Vec<f32> {
        match &self.storage {
            Storage::Cpu(v) => v.0.clone(),
            Storage::Gpu(_) => block_on(self.read()).expect("GPU read-back"),
        }
    }

    /// The single value of a one-element tensor (waits for a GPU; see [`Tensor::to_vec`]).
    pub fn scalar(&self) -> f32 {
        debug_assert_eq!(self.len(), 1);
        self.to_vec()[0]
    }

    /// Checks the shape, naming the op and what it needed.
    pub fn expect_shape(&self, op: &'static str, shape: &[usize]) -> Result<()> {
        if self.shape != shape {
            return Err(Error::shape(
                op,
                format!("expected shape {shape:?}, got {:?}", self.shape),
            ));
        }
        Ok(())
    }
}
