//! One error type for the whole core. Every message names what failed (the op, the file,
//! the layer), the numbers involved, and where it helps, what to do about it.

use thiserror::Error;

/// Everything that can go wrong in the core, as a value.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// A data file (IDX, gzip) could not be read. `file` is the name the user knows it by.
    #[error("{file}: {problem}")]
    Data { file: String, problem: String },

    /// Two files that must agree (images and labels) do not.
    #[error("{0}")]
    Dataset(String),

    /// An operation was given tensors whose shapes do not fit together.
    #[error("{op}: {detail}")]
    Shape { op: &'static str, detail: String },

    /// An architecture that cannot be built, with the offending layer named. `index` counts
    /// from 0; the message counts from 1, as the builder numbers its layers.
    #[error("layer {} ({layer}): {detail}", .index + 1)]
    Architecture {
        index: usize,
        layer: String,
        detail: String,
    },

    /// A configuration value outside its allowed range.
    #[error("{0}")]
    Config(String),

    /// The GPU is missing, refused a device, failed a shader or was lost.
    #[error("WebGPU: {0}")]
    Gpu(String),
}

impl Error {
    /// Shorthand for a problem with a named data file.
    pub fn data(file: &str, problem: impl Into<String>) -> Self {
        Error::Data {
            file: file.to_string(),
            problem: problem.into(),
        }
    }

    /// Shorthand for a shape mismatch in op `op`.
    pub fn shape(op: &'static str, detail: impl Into<String>) -> Self {
        Error::Shape {
            op,
            detail: detail.into(),
        }
    }
}

/// The core's result type.
pub type Result<T> = std::result::Result<T, Error>;
