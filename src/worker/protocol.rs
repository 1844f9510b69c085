//! The messages between the page and the worker.
//!
//! On the wire a message is a JS array: its JSON text first, then any `ArrayBuffer`s it
//! carries (transferred, not copied), in the order the message names them.

use serde::{Deserialize, Serialize};

use crate::data::{Builtin, DatasetSummary};

/// What the page asks of the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Download and parse one of the datasets served with the app.
    LoadBuiltin(Builtin),
    /// Parse the user's own IDX files; their bytes follow the message, one buffer per name.
    LoadFiles { names: Vec<String> },
}

/// One image to show, with its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub label: u8,
    pub pixels: Vec<u8>,
}

/// What the worker tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The worker has started and accepts requests.
    Ready,
    /// Bytes downloaded so far; `total` is 0 when the server did not say.
    Progress {
        what: String,
        received: u64,
        total: u64,
    },
    /// A dataset replaced the current one.
    DatasetLoaded {
        summary: DatasetSummary,
        samples: Vec<Sample>,
        /// Time spent inflating and parsing, in milliseconds.
        parse_ms: f64,
    },
    /// Loading failed; the dataset loaded before (if any) is still the current one.
    LoadFailed { message: String },
}

/// How many sample images per class the page shows.
pub const SAMPLES_PER_CLASS: usize = 4;
