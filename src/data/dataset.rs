//! A labelled image dataset: a training split and a test split of equally sized images
//! (greyscale or colour), assembled from IDX files (built in, or the user's own) or from a
//! folder of images (`data::folder`), and checked for agreement.

use serde::{Deserialize, Serialize};

use super::gzip::{decode_maybe_gzip, MAX_INFLATED};
use super::idx::{self, IdxKind};
use crate::error::{Error, Result};

/// The built-in sets (and IDX files) have ten classes (one output unit each).
pub const NUM_CLASSES: usize = 10;

/// A dataset has at least two classes: one output unit each.
pub const MIN_CLASSES: usize = 2;

/// And at most a hundred (a label is a byte; a confusion matrix stays readable).
pub const MAX_CLASSES: usize = 100;

/// Images and their labels, `len × rows × cols × channels` bytes, row-major with the
/// channels of a pixel together (HWC, as the model's input), 0 = dark. Labels are below
/// `classes`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageSet {
    pub rows: usize,
    pub cols: usize,
    /// 1 (grey) or 3 (RGB).
    pub channels: usize,
    /// Number of classes labels index (every label is below it).
    pub classes: usize,
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
}

impl ImageSet {
    /// Pairs an image file with its label file; their counts must agree.
    pub fn pair(
        images: idx::IdxImages,
        labels: idx::IdxLabels,
        images_file: &str,
        labels_file: &str,
    ) -> Result<Self> {
        if images.count != labels.labels.len() {
            return Err(Error::Dataset(format!(
                "{images_file} holds {} images but {labels_file} holds {} labels: they must match one to one",
                images.count,
                labels.labels.len()
            )));
        }
        Ok(ImageSet {
            rows: images.rows,
            cols: images.cols,
            channels: 1,
            classes: NUM_CLASSES,
            images: images.pixels,
            labels: labels.labels,
        })
    }

    /// A set with no image, of this set's image shape and classes.
    pub fn empty_like(&self) -> ImageSet {
        ImageSet {
            images: Vec::new(),
            labels: Vec::new(),
            ..*self
        }
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes per image: pixels × channels.
    pub fn image_size(&self) -> usize {
        self.rows * self.cols * self.channels
    }

    /// The shape of one image as the model takes it: `[rows, cols, channels]`.
    pub fn shape(&self) -> [usize; 3] {
        [self.rows, self.cols, self.channels]
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.image_size();
        &self.images[i * n..(i + 1) * n]
    }

    /// Indices of the first `k` images of each class, class by class (fewer if a class is short).
    pub fn first_of_each_class(&self, k: usize) -> Vec<usize> {
        let mut picked: Vec<Vec<usize>> = vec![Vec::new(); self.classes];
        for (i, &l) in self.labels.iter().enumerate() {
            let class = &mut picked[l as usize];
            if class.len() < k {
                class.push(i);
            }
        }
        picked.concat()
    }

    /// How many images each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }
}

/// A named dataset with its class names and both splits.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub name: String,
    pub class_names: Vec<String>,
    pub train: ImageSet,
    pub test: ImageSet,
}

/// What the UI needs to describe a dataset without holding its pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub name: String,
    pub class_names: Vec<String>,
    pub rows: usize,
    pub cols: usize,
    /// 1 (grey) or 3 (RGB).
    #[serde(default = "one")]
    pub channels: usize,
    /// The learner's own photos (0 is black), not ink on paper (0 is the background).
    #[serde(default)]
    pub photos: bool,
    pub train_count: usize,
    pub test_count: usize,
    pub train_class_counts: Vec<usize>,
    pub test_class_counts: Vec<usize>,
}

fn one() -> usize {
    1
}

impl Dataset {
    /// Number of classes (one output unit each).
    pub fn classes(&self) -> usize {
        self.class_names.len()
    }

    /// Counts per split and per class.
    pub fn summary(&self) -> DatasetSummary {
        DatasetSummary {
            name: self.name.clone(),
            class_names: self.class_names.clone(),
            rows: self.train.rows,
            cols: self.train.cols,
            channels: self.train.channels,
            photos: false,
            train_count: self.train.len(),
            test_count: self.test.len(),
            train_class_counts: self.train.class_counts(),
            test_class_counts: self.test.class_counts(),
        }
    }
}

/// The datasets served with the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Builtin {
    Mnist,
    FashionMnist,
}

impl Builtin {
    pub const ALL: [Builtin; 2] = [Builtin::Mnist, Builtin::FashionMnist];

    /// The name shown to the learner.
    pub fn display_name(self) -> &'static str {
        match self {
            Builtin::Mnist => "MNIST",
            Builtin::FashionMnist => "Fashion-MNIST",
        }
    }

    /// The folder under `data/` the build copies the gzipped files into.
    pub fn folder(self) -> &'static str {
        match self {
            Builtin::Mnist => "mnist",
            Builtin::FashionMnist => "fashion-mnist",
        }
    }

    /// The four IDX files, in the order train images, train labels, test images, test labels.
    pub fn files(self) -> [&'static str; 4] {
        [
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ]
    }

    pub fn class_names(self) -> Vec<String> {
        match self {
            Builtin::Mnist => (0..10).map(|d| d.to_string()).collect(),
            Builtin::FashionMnist => [
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }

    /// Builds the dataset from the four files' bytes, in the order of [`Builtin::files`].
    pub fn assemble(self, contents: [Vec<u8>; 4]) -> Result<Dataset> {
        let files: Vec<(String, Vec<u8>)> = self
            .files()
            .iter()
            .map(|f| f.to_string())
            .zip(contents)
            .collect();
        let mut dataset = assemble_files(self.display_name(), files)?;
        dataset.class_names = self.class_names();
        if dataset.test.is_empty() {
            return Err(Error::Dataset(format!(
                "{}: the test files are missing",
                self.display_name()
            )));
        }
        Ok(dataset)
    }
}

/// Which split a user's file belongs to, guessed from its name the way MNIST names them.
fn is_test_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("t10k") || lower.contains("test")
}

/// Assembles a dataset from IDX files (each raw or gzipped) given in any order.
///
/// Each file's role is read from its magic number (images or labels) and its name (a name
/// with `t10k` or `test` belongs to the test split). The training pair is required; the test
/// pair is optional, and without it the test split is empty.
pub fn assemble_files(name: &str, files: Vec<(String, Vec<u8>)>) -> Result<Dataset> {
    // [train images, train labels, test images, test labels], each (file name, bytes).
    let mut roles: [Option<(String, Vec<u8>)>; 4] = Default::default();
    for (file, raw) in files {
        let bytes = decode_maybe_gzip(&file, &raw, MAX_INFLATED)?;
        let slot = match (idx::kind(&file, &bytes)?, is_test_file(&file)) {
            (IdxKind::Images, false) => 0,
            (IdxKind::Labels, false) => 1,
            (IdxKind::Images, true) => 2,
            (IdxKind::Labels, true) => 3,
        };
        if let Some((other, _)) = &roles[slot] {
            return Err(Error::Dataset(format!(
                "{file} and {other} are both {}: give one file of each kind",
                ROLE_NAMES[slot]
            )));
        }
        roles[slot] = Some((file, bytes));
    }
    let [train_images, train_labels, test_images, test_labels] = roles;
    let train = parse_pair(train_images, train_labels, "training")?
        .ok_or_else(|| Error::Dataset(missing_message("training")))?;
    let test = parse_pair(test_images, test_labels, "test")?.unwrap_or_else(|| train.empty_like());
    if !test.is_empty() && (test.rows, test.cols) != (train.rows, train.cols) {
        return Err(Error::Dataset(format!(
            "training images are {}×{} but test images are {}×{}: both splits need one size",
            train.rows, train.cols, test.rows, test.cols
        )));
    }
    Ok(Dataset {
        name: name.to_string(),
        class_names: (0..NUM_CLASSES).map(|d| d.to_string()).collect(),
        train,
        test,
    })
}

const ROLE_NAMES: [&str; 4] = [
    "training image files",
    "training label files",
    "test image files",
    "test label files",
];

fn missing_message(split: &str) -> String {
    format!(
        "the {split} split needs both an image file (idx3) and a label file (idx1); \
         test files are recognised by 't10k' or 'test' in their names"
    )
}

fn parse_pair(
    images: Option<(String, Vec<u8>)>,
    labels: Option<(String, Vec<u8>)>,
    split: &str,
) -> Result<Option<ImageSet>> {
    match (images, labels) {
        (None, None) => Ok(None),
        (Some((image_file, image_bytes)), Some((label_file, label_bytes))) => {
            let images = idx::parse_images(&image_file, &image_bytes)?;
            let labels = idx::parse_labels(&label_file, &label_bytes, NUM_CLASSES)?;
            ImageSet::pair(images, labels, &image_file, &label_file).map(Some)
        }
        (Some((file, _)), None) | (None, Some((file, _))) => Err(Error::Dataset(format!(
            "{file}: {}",
            missing_message(split)
        ))),
    }
}
