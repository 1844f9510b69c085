//! The learner's own images: a folder (or a zip of one) with a sub-folder per class
//! becomes a [`Dataset`] like MNIST, at the size and colour the learner chooses.
//!
//! [`layout::plan`] places every path; an [`Importer`] then takes the files one by one
//! (so the page can show progress and a zip inflates one entry at a time), decodes and
//! resizes each ([`decode`]), and [`Importer::finish`] splits and assembles the dataset.
//! A bad file is left out with a [`Problem`] naming it; only a dataset no model could
//! train on is an error, and then nothing already loaded is touched (the caller keeps it).

pub mod decode;
pub mod layout;
pub mod zip;

use serde::{Deserialize, Serialize};

pub use decode::Fit;
pub use layout::{Layout, Placed, Problem};

use super::{Dataset, ImageSet, MIN_CLASSES};
use crate::error::{Error, Result};
use crate::random::Rng;
use crate::size;

/// The most bytes the images may take once resized (a dataset is also held as f32 while
/// training, four times this): the page states it.
pub const MAX_DATASET_BYTES: u64 = 256_000_000;

/// The most bytes of files (a folder's, or one zip) the page reads at once: it holds them
/// until the worker has decoded them.
pub const MAX_SOURCE_BYTES: u64 = 512_000_000;

/// The image sides the learner may choose.
pub const MIN_SIDE: usize = 8;
pub const MAX_SIDE: usize = 128;

/// How the learner's images become a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImportOptions {
    /// Images become `side × side`.
    pub side: usize,
    /// RGB (3 channels) or grey (1).
    pub colour: bool,
    pub fit: Fit,
    /// The share of each class held out for testing when the folder has no `test/`.
    pub test_fraction: f32,
    /// Seeds that split.
    pub seed: u64,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            side: 32,
            colour: true,
            fit: Fit::Crop,
            test_fraction: 0.2,
            seed: 1,
        }
    }
}

impl ImportOptions {
    pub fn channels(&self) -> usize {
        if self.colour {
            3
        } else {
            1
        }
    }

    /// Checks the options, and that `images` of this size fit the budget: before any
    /// image is decoded.
    pub fn check(&self, images: usize) -> Result<()> {
        if !(MIN_SIDE..=MAX_SIDE).contains(&self.side) {
            return Err(Error::Dataset(format!(
                "the image size must be {MIN_SIDE} to {MAX_SIDE} pixels, got {}",
                self.side
            )));
        }
        if !(0.0..=0.9).contains(&self.test_fraction) {
            return Err(Error::Dataset(format!(
                "the test share must be 0 to 90 %, got {} %",
                self.test_fraction * 100.0
            )));
        }
        let bytes =
            size::product(&[images, self.side, self.side, self.channels()]).unwrap_or(u64::MAX);
        if bytes > MAX_DATASET_BYTES {
            return Err(Error::Dataset(format!(
                "{} images of {}×{}×{} take {}, over the {} this app holds: choose a smaller \
                 size, grey, or fewer images",
                size::grouped(images as u64),
                self.side,
                self.side,
                self.channels(),
                size::bytes_text(bytes),
                size::bytes_text(MAX_DATASET_BYTES)
            )));
        }
        Ok(())
    }
}

/// A dataset built from the learner's images, and the files left out.
#[derive(Debug, Clone)]
pub struct Imported {
    pub dataset: Dataset,
    pub problems: Vec<Problem>,
}

/// Decodes the files of a [`Layout`] one at a time.
pub struct Importer {
    name: String,
    options: ImportOptions,
    layout: Layout,
    /// For each placed file in order: its pixels, once decoded (None if left out).
    decoded: Vec<Option<Vec<u8>>>,
    problems: Vec<Problem>,
}

impl Importer {
    /// Starts importing `paths` (the dataset called `name`). Refuses a layout no model can
    /// train on, and a dataset over the budget, before anything is decoded.
    pub fn new(name: &str, paths: &[String], options: ImportOptions) -> Result<Importer> {
        let layout = layout::plan(paths)?;
        options.check(layout.files.len())?;
        Ok(Importer {
            name: name.to_string(),
            options,
            problems: layout.problems.clone(),
            decoded: Vec::with_capacity(layout.files.len()),
            layout,
        })
    }

    /// The placed files, in the order [`Importer::add`] takes them: `(path index, class)`.
    pub fn files(&self) -> &[Placed] {
        &self.layout.files
    }

    /// The classes found.
    pub fn class_names(&self) -> &[String] {
        &self.layout.class_names
    }

    /// Takes the next placed file's bytes (or why they could not be read), named `file`.
    pub fn add(&mut self, file: &str, bytes: std::result::Result<Vec<u8>, String>) {
        let o = self.options;
        let pixels = bytes.and_then(|b| decode::decode(&b, o.side, o.channels(), o.fit));
        match pixels {
            Ok(p) => self.decoded.push(Some(p)),
            Err(message) => {
                self.problems.push(Problem {
                    file: file.to_string(),
                    message,
                });
                self.decoded.push(None);
            }
        }
    }

    /// Splits (the folder's own split, or each class by the test share with the seed) and
    /// assembles the dataset. A class left with no training image is left out; fewer than
    /// two classes left is an error.
    pub fn finish(mut self) -> Result<Imported> {
        let classes = self.layout.class_names.len();
        let mut train_count = vec![0usize; classes];
        for (placed, pixels) in self.layout.files.iter().zip(&self.decoded) {
            if pixels.is_some() && placed.test != Some(true) {
                train_count[placed.class] += 1;
            }
        }
        // Classes that keep images, renumbered in order.
        let mut label_of = vec![None; classes];
        let mut class_names = Vec::new();
        for (c, name) in self.layout.class_names.iter().enumerate() {
            if train_count[c] == 0 {
                self.problems.push(Problem {
                    file: format!("{name}/"),
                    message: "this class has no images that could be read (for training): \
                              the class is left out"
                        .into(),
                });
            } else {
                label_of[c] = Some(class_names.len() as u8);
                class_names.push(name.clone());
            }
        }
        if class_names.len() < MIN_CLASSES {
            return Err(Error::Dataset(format!(
                "only {} class{} images that could be read: a classifier needs at least two. \
                 {}",
                class_names.len(),
                if class_names.len() == 1 {
                    " has"
                } else {
                    "es have"
                },
                self.problems
                    .iter()
                    .take(3)
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        let (side, channels) = (self.options.side, self.options.channels());
        let empty = ImageSet {
            rows: side,
            cols: side,
            channels,
            classes: class_names.len(),
            images: Vec::new(),
            labels: Vec::new(),
        };
        let (mut train, mut test) = (empty.clone(), empty);
        // Per class, the images in order; then which go to test.
        let mut by_class: Vec<Vec<(Option<bool>, Vec<u8>)>> = vec![Vec::new(); classes];
        for (placed, pixels) in self.layout.files.iter().zip(self.decoded) {
            if let (Some(p), Some(_)) = (pixels, label_of[placed.class]) {
                by_class[placed.class].push((placed.test, p));
            }
        }
        let mut rng = Rng::new(self.options.seed, 17);
        for (c, images) in by_class.into_iter().enumerate() {
            let Some(label) = label_of[c] else { continue };
            let held_out = if self.layout.split_given {
                images.iter().map(|(t, _)| *t == Some(true)).collect()
            } else {
                held_out(images.len(), self.options.test_fraction, &mut rng)
            };
            for ((_, pixels), to_test) in images.into_iter().zip(held_out) {
                let set = if to_test { &mut test } else { &mut train };
                set.images.extend_from_slice(&pixels);
                set.labels.push(label);
            }
        }
        Ok(Imported {
            dataset: Dataset {
                name: self.name,
                class_names,
                train,
                test,
            },
            problems: self.problems,
        })
    }
}

/// Which of a class's `n` images are held out for testing: `round(n · fraction)` of them
/// (at least one training image stays), chosen by the seeded generator.
fn held_out(n: usize, fraction: f32, rng: &mut Rng) -> Vec<bool> {
    let k = ((n as f32 * fraction).round() as usize).min(n.saturating_sub(1));
    let mut order: Vec<usize> = (0..n).collect();
    // Fisher–Yates: the first k of the shuffled order are held out.
    for i in (1..n).rev() {
        order.swap(i, rng.below(i as u32 + 1) as usize);
    }
    let mut out = vec![false; n];
    for &i in &order[..k] {
        out[i] = true;
    }
    out
}

/// The name of a `.zip` file without its extension (any case); `None` for another file.
pub fn zip_stem(file: &str) -> Option<&str> {
    let stem = file.len().checked_sub(4)?;
    let ext = file.get(stem..)?;
    ext.eq_ignore_ascii_case(".zip").then(|| &file[..stem])
}

/// Imports the `.zip` file `file` of a class-folder layout (the dataset is named after the
/// file, without `.zip`): entries inflate one at a time.
pub fn import_zip(
    file: &str,
    bytes: &[u8],
    options: ImportOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<Imported> {
    let archive = zip::ZipArchive::open(file, bytes)?;
    let name = zip_stem(file).unwrap_or(file);
    let files: Vec<&zip::ZipEntry> = archive.entries.iter().filter(|e| !e.is_dir()).collect();
    let mut paths: Vec<String> = files.iter().map(|e| e.name.clone()).collect();
    // The same path twice (a zip may hold it): the first is kept.
    let mut seen = std::collections::HashSet::new();
    let mut twice = Vec::new();
    for (i, p) in paths.iter_mut().enumerate() {
        if !seen.insert(p.clone()) {
            twice.push(Problem {
                file: p.clone(),
                message: "appears twice in the zip: the first copy is used".into(),
            });
            *p = format!(".duplicate/{i}");
        }
    }
    let mut importer = Importer::new(name, &paths, options)?;
    importer.problems.extend(twice);
    let placed: Vec<usize> = importer.files().iter().map(|p| p.index).collect();
    for (done, index) in placed.iter().enumerate() {
        let bytes = archive.read(files[*index]).map_err(|e| match e {
            Error::Data { problem, .. } => problem,
            e => e.to_string(),
        });
        importer.add(&paths[*index], bytes);
        progress(done + 1, placed.len());
    }
    importer.finish()
}

/// Imports files given as `(path, bytes)` (a dropped folder, or files read natively).
pub fn import_files(
    name: &str,
    files: Vec<(String, Vec<u8>)>,
    options: ImportOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<Imported> {
    let paths: Vec<String> = files.iter().map(|(p, _)| p.clone()).collect();
    let mut importer = Importer::new(name, &paths, options)?;
    let placed: Vec<usize> = importer.files().iter().map(|p| p.index).collect();
    let mut contents: Vec<Option<Vec<u8>>> = files.into_iter().map(|(_, b)| Some(b)).collect();
    for (done, index) in placed.iter().enumerate() {
        let bytes = contents[*index].take().expect("each file once");
        importer.add(&paths[*index], Ok(bytes));
        progress(done + 1, placed.len());
    }
    importer.finish()
}
