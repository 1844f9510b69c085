//! Datasets: parsing IDX files (raw or gzipped), pairing images with labels, and the
//! summaries the UI shows.

pub mod dataset;
pub mod gzip;
pub mod idx;

pub use dataset::{assemble_files, Builtin, Dataset, DatasetSummary, ImageSet, NUM_CLASSES};
