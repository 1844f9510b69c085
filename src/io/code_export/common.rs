//! The Python both scripts share: the recipe's constants, the data (IDX files, the trainer's
//! split, the normalisation) and the learning-rate schedule.

use std::fmt::Write;

use super::{py, Plan};
use crate::data::normalize::Normalization;
use crate::train::Schedule;

/// `None` or the number, as Python.
fn opt(v: Option<impl ToString>) -> String {
    v.map_or("None".into(), |v| v.to_string())
}

/// The constants block: the recipe as the trainer ran it.
pub fn recipe(plan: &Plan) -> String {
    let c = plan.config();
    let n = &plan.file.normalizer;
    let mut s = String::new();
    let classes: Vec<String> = plan
        .file
        .class_names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect();
    let _ = writeln!(s, "# The recipe, as the trainer ran it.");
    let _ = writeln!(s, "SEED = {}", c.seed);
    let _ = writeln!(
        s,
        "EPOCHS = {}  # the trainer's run; --epochs N trains N more from the exported weights",
        c.epochs
    );
    let _ = writeln!(s, "BATCH_SIZE = {}", c.batch_size);
    let _ = writeln!(
        s,
        "ACCUMULATE = {}  # batches whose gradients are summed before each update",
        c.accumulate
    );
    let _ = writeln!(s, "LEARNING_RATE = {}", py(c.lr.base));
    let _ = writeln!(
        s,
        "WARMUP = {}  # updates over which the rate ramps up linearly",
        c.lr.warmup
    );
    let _ = writeln!(
        s,
        "CLIP_NORM = {}  # gradients rescaled when their global L2 norm exceeds it",
        c.clip_norm.map_or("None".into(), py)
    );
    let _ = writeln!(
        s,
        "WEIGHT_AVERAGE = {}  # decay of the moving average of the weights that is evaluated and saved",
        c.weight_average.map_or("None".into(), py)
    );
    let _ = writeln!(s, "LABEL_SMOOTHING = {}", py(plan.label_smoothing()));
    let _ = writeln!(
        s,
        "VALIDATION = {}  # training images held out for validation",
        c.split.validation
    );
    let _ = writeln!(
        s,
        "TRAIN_SUBSET = {}  # train on only this many of the rest (None: all)",
        opt(c.split.train_subset)
    );
    let _ = writeln!(s, "CLASSES = [{}]", classes.join(", "));
    match n.kind {
        Normalization::Scale01 => {
            let _ = writeln!(s, "# Inputs: pixels / 255, in [0, 1].");
        }
        Normalization::SubtractMeanPixel => {
            let _ = writeln!(
                s,
                "# Inputs: pixels / 255 − the training split's mean pixel."
            );
        }
        Normalization::SubtractMeanImage => {
            let _ = writeln!(
                s,
                "# Inputs: pixels / 255 − the training split's mean image (in the weights \
                 file's metadata, \"normalizer\")."
            );
        }
        Normalization::Standardize => {
            let _ = writeln!(
                s,
                "# Inputs: (pixels / 255 − mean) / std, the training split's statistics."
            );
        }
    }
    let _ = writeln!(s, "PIXEL_MEAN = {}", py(n.mean));
    let _ = writeln!(s, "PIXEL_STD = {}", py(n.std));
    if let Some(e) = &c.early_stopping {
        let _ = writeln!(
            s,
            "# The trainer stopped early ({:?}, patience {}); here --epochs decides.",
            e.monitor, e.patience
        );
    }
    s
}

/// Reading IDX files, the trainer's split (its PCG32 shuffle) and the normalisation.
pub fn data(plan: &Plan) -> String {
    let normalise = match plan.file.normalizer.kind {
        Normalization::Scale01 => "    return x\n",
        Normalization::SubtractMeanPixel => "    return x - PIXEL_MEAN\n",
        Normalization::Standardize => "    return (x - PIXEL_MEAN) / PIXEL_STD\n",
        Normalization::SubtractMeanImage => "    return x - MEAN_IMAGE.reshape(x.shape[1:])\n",
    };
    let mean_image = if plan.file.normalizer.kind == Normalization::SubtractMeanImage {
        "\n\nMEAN_IMAGE = np.array(\n    json.loads(safe_open(WEIGHTS, \"np\").metadata()[\"normalizer\"])[\"mean_image\"],\n    np.float32,\n)"
    } else {
        ""
    };
    super::fill(
        DATA,
        &[("normalise", normalise), ("mean_image", mean_image)],
    )
}

const DATA: &str = r#"def read_idx(path):
    """An IDX file (MNIST's format), raw or gzipped, as a uint8 array."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir, split):
    """Images [N, 28, 28] and labels of `split` ("train" or "t10k") from data_dir."""
    found = []
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        names = [f"{split}-{kind}", f"{split}-{kind}.gz"]
        paths = [os.path.join(data_dir, n) for n in names if os.path.exists(os.path.join(data_dir, n))]
        if not paths:
            sys.exit(f"{names[0]} (or .gz) is not in {data_dir}")
        found.append(read_idx(paths[0]))
    return found[0], found[1].astype(np.int64)


class Pcg32:
    """The trainer's generator (PCG32, XSH-RR), so this script trains on the same images."""

    MASK = (1 << 64) - 1

    def __init__(self, seed, stream):
        self.state, self.inc = 0, ((stream << 1) | 1) & self.MASK
        self.next()
        self.state = (self.state + seed) & self.MASK
        self.next()

    def next(self):
        old = self.state
        self.state = (old * 6364136223846793005 + self.inc) & self.MASK
        x = (((old >> 18) ^ old) >> 27) & 0xFFFFFFFF
        rot = old >> 59
        return ((x >> rot) | (x << ((32 - rot) & 31))) & 0xFFFFFFFF

    def below(self, n):
        m = self.next() * n
        if m & 0xFFFFFFFF < n:
            threshold = ((1 << 32) - n) % n
            while m & 0xFFFFFFFF < threshold:
                m = self.next() * n
        return m >> 32


def training_indices(count):
    """The trainer's split: a seeded shuffle of the training images; the first VALIDATION
    are held out, the rest (or the first TRAIN_SUBSET of them) are trained on."""
    order = list(range(count))
    rng = Pcg32(SEED, 2)
    for i in range(count - 1, 0, -1):
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    train = order[VALIDATION:]
    return np.array(train[:TRAIN_SUBSET] if TRAIN_SUBSET else train)
{mean_image}

def normalise(x):
    """Pixels scaled to [0, 1], [N, 28, 28] → the network's inputs, as the trainer makes them."""
{normalise}"#;

/// `learning_rate(t, per_epoch, total, xp)`: the trainer's schedule, written with `xp`
/// (numpy, or keras.ops inside a Keras schedule).
pub fn schedule(plan: &Plan) -> String {
    let lr = plan.config().lr;
    let (what, factor) = match lr.schedule {
        Schedule::Constant => ("constant".to_string(), "1.0".to_string()),
        Schedule::Step {
            every_epochs,
            gamma,
        } => (
            format!("× {} every {} epochs", py(gamma), py(every_epochs)),
            format!(
                "xp.power({}, xp.floor(epoch / {}))",
                py(gamma),
                py(every_epochs)
            ),
        ),
        Schedule::Exponential { gamma } => (
            format!("× {} per epoch", py(gamma)),
            format!("xp.power({}, epoch)", py(gamma)),
        ),
        Schedule::InverseTime { k } => (
            format!("1 / (1 + {} · epoch)", py(k)),
            format!("1 / (1 + {} * epoch)", py(k)),
        ),
        Schedule::InverseSqrt => ("1 / √(t + 1)".into(), "1 / xp.sqrt(t + 1.0)".into()),
        Schedule::Linear { tau, floor } => (
            format!("linear to {} × over {tau} updates", py(floor)),
            format!(
                "(1 - xp.minimum(t / {}, 1.0)) + xp.minimum(t / {}, 1.0) * {}",
                tau.max(1),
                tau.max(1),
                py(floor)
            ),
        ),
        Schedule::Cosine { floor } => (
            format!("half a cosine down to {} × over the run", py(floor)),
            format!(
                "{f} + (1 - {f}) * 0.5 * (1 + xp.cos(math.pi * xp.minimum(t / max(total, 1), 1.0)))",
                f = py(floor)
            ),
        ),
    };
    let warm = if lr.warmup > 0 {
        "xp.where(t < WARMUP, (t + 1.0) / WARMUP, 1.0)"
    } else {
        "1.0"
    };
    format!(
        r#"def learning_rate(t, per_epoch, total, xp=np):
    """The trainer's rate for update t (from 0) of a run of `total` updates, `per_epoch` an
    epoch: {what}, after a linear warm-up over the first WARMUP updates."""
    epoch = t / per_epoch
    factor = {factor}
    warm = {warm}
    return LEARNING_RATE * factor * warm
"#
    )
}
