//! Datasets: parsing IDX files (raw or gzipped), pairing images with labels, the summaries
//! the UI shows, and the pipeline from images to batches (splits, normalisation,
//! augmentation).

pub mod augment;
pub mod batch;
pub mod dataset;
pub mod device;
pub mod folder;
pub mod gzip;
pub mod idx;
pub mod normalize;
pub mod split;

pub use dataset::{
    assemble_files, Builtin, Dataset, DatasetSummary, ImageSet, MAX_CLASSES, MIN_CLASSES,
    NUM_CLASSES,
};
