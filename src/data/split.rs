//! Train / validation / test splits. Validation is carved from the training images (a seeded
//! shuffle decides which); the test images are held back and only looked at at the end.

use serde::{Deserialize, Serialize};

use super::{Dataset, ImageSet};
use crate::error::{Error, Result};
use crate::random::Rng;

/// How to split a dataset, as the learner sets it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitConfig {
    /// Images taken from the training set for validation.
    pub validation: usize,
    /// Train on only this many of the remaining images (None: all of them). A small subset
    /// makes overfitting visible.
    #[serde(default)]
    pub train_subset: Option<usize>,
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig {
            validation: 5000,
            train_subset: None,
        }
    }
}

/// Indices into a dataset's images for each split.
#[derive(Debug, Clone, PartialEq)]
pub struct Splits {
    /// Into `dataset.train`.
    pub train: Vec<u32>,
    /// Into `dataset.train`, disjoint from `train`.
    pub validation: Vec<u32>,
    /// Into `dataset.test`.
    pub test: Vec<u32>,
}

/// The generator stream that chooses the validation images.
pub const SPLIT_STREAM: u64 = 2;

impl SplitConfig {
    /// How many images this split trains on, from a training set of `n`; or why it cannot.
    pub fn train_count(&self, n: usize) -> Result<usize> {
        if self.validation >= n {
            return Err(Error::Config(format!(
                "the validation split ({}) must leave training images: the dataset has {n}",
                self.validation
            )));
        }
        let left = n - self.validation;
        match self.train_subset {
            Some(subset) if subset == 0 || subset > left => Err(Error::Config(format!(
                "the training subset must be between 1 and {left} images, got {subset}"
            ))),
            Some(subset) => Ok(subset),
            None => Ok(left),
        }
    }

    /// Chooses the images of each split; the same seed always chooses the same ones.
    pub fn split(&self, dataset: &Dataset, seed: u64) -> Result<Splits> {
        let n = dataset.train.len();
        let count = self.train_count(n)?;
        let mut order: Vec<u32> = (0..n as u32).collect();
        Rng::new(seed, SPLIT_STREAM).shuffle(&mut order);
        let validation = order[..self.validation].to_vec();
        let mut train = order[self.validation..].to_vec();
        train.truncate(count);
        Ok(Splits {
            train,
            validation,
            test: (0..dataset.test.len() as u32).collect(),
        })
    }
}

impl Splits {
    /// The split a name refers to, with the image set its indices point into.
    pub fn of<'a>(&'a self, dataset: &'a Dataset, split: Split) -> (&'a ImageSet, &'a [u32]) {
        match split {
            Split::Train => (&dataset.train, &self.train),
            Split::Validation => (&dataset.train, &self.validation),
            Split::Test => (&dataset.test, &self.test),
        }
    }
}

/// One of the three splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Train,
    Validation,
    Test,
}
