//! The page's reactive state, one `Copy` struct of signals per area, shared by context.

use leptos::prelude::*;

use crate::data::DatasetSummary;
use crate::worker::protocol::Sample;

/// Download progress: what is being fetched, bytes so far, bytes in all (0 = unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub what: String,
    pub received: u64,
    pub total: u64,
}

/// Everything the dataset panel shows.
#[derive(Debug, Clone, Copy)]
pub struct DatasetState {
    pub summary: RwSignal<Option<DatasetSummary>>,
    pub samples: RwSignal<Vec<Sample>>,
    pub progress: RwSignal<Option<Progress>>,
    pub loading: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    /// Milliseconds from navigation to the dataset being parsed, and of that, parsing alone.
    pub ready_ms: RwSignal<Option<(f64, f64)>>,
}

impl DatasetState {
    pub fn new() -> Self {
        DatasetState {
            summary: RwSignal::new(None),
            samples: RwSignal::new(Vec::new()),
            progress: RwSignal::new(None),
            loading: RwSignal::new(false),
            error: RwSignal::new(None),
            ready_ms: RwSignal::new(None),
        }
    }
}
