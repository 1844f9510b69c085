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

use std::sync::Arc;

use crate::backend::cpu::buffers;
use crate::error::{Error, Result};

/// Where a tensor's numbers live and where the kernels on it run.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Device {
    /// Host memory; kernels in `backend::cpu`.
    #[default]
    Cpu,
}

#[derive(Clone, Debug)]
enum Storage {
    Cpu(Arc<CpuBuffer>),
}

/// Host memory that goes back to the buffer pool when the last tensor using it is dropped.
#[derive(Debug)]
struct CpuBuffer(Vec<f32>);

impl Clone for CpuBuffer {
    fn clone(&self) -> Self {
        let mut copy = buffers::take(self.0.len());
        copy.copy_from_slice(&self.0);
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
        let len: usize = shape.iter().product();
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
        t.as_mut_slice().fill(value);
        t
    }

    /// A tensor whose contents are unspecified (recycled memory): for kernels that write
    /// every element of their output.
    pub fn scratch(shape: impl Into<Vec<usize>>) -> Tensor {
        let shape = shape.into();
        let len = shape.iter().product();
        Tensor {
            shape,
            storage: cpu(buffers::take(len)),
        }
    }

    /// A scratch tensor with this tensor's shape and device.
    pub fn scratch_like(&self) -> Tensor {
        Tensor::scratch(self.shape.clone())
    }

    /// A tensor of zeros with this tensor's shape and device.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros(self.shape.clone())
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
        match self.storage {
            Storage::Cpu(_) => Device::Cpu,
        }
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

    /// The elements on the CPU (read directly; no copy is made).
    pub fn as_slice(&self) -> &[f32] {
        match &self.storage {
            Storage::Cpu(v) => &v.0,
        }
    }

    /// The elements for writing; copies first if another tensor shares them.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        match &mut self.storage {
            Storage::Cpu(v) => Arc::make_mut(v).0.as_mut_slice(),
        }
    }

    /// A copy of the elements in host memory.
    pub fn to_vec(&self) -> Vec<f32> {
        self.as_slice().to_vec()
    }

    /// The single value of a one-element tensor.
    pub fn scalar(&self) -> f32 {
        debug_assert_eq!(self.len(), 1);
        self.as_slice()[0]
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
