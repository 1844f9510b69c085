"""{title}, exported from the trainer as Keras 3 code.

    python keras_model.py --data DIR --evaluate      # test accuracy of the exported weights
    python keras_model.py --data DIR --epochs 5      # train on, then save the weights back
    KERAS_BACKEND=torch python keras_model.py --data DIR --evaluate   # on PyTorch instead of JAX

DIR holds MNIST-format IDX files (train-images-idx3-ubyte, … or the same .gz). One JSON line
with the test accuracy ends every run. With more than one device (GPUs, or CPU devices from
XLA_FLAGS=--xla_force_host_platform_device_count=N) the JAX backend trains data-parallel:
each device takes its share of every batch (keras.distribution.DataParallel).
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers, ops  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.safetensors")

{recipe}

{data}

{schedule}

class TrainerSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """learning_rate() at the optimizer's update count."""

    def __init__(self, per_epoch, total):
        self.per_epoch, self.total = per_epoch, total

    def __call__(self, step):
        return learning_rate(ops.cast(step, "float32"), self.per_epoch, self.total, xp=ops)


class WeightAverage(keras.callbacks.Callback):
    """The trainer's moving average of the weights (Polyak averaging): after update t,
    avg ← d·avg + (1 − d)·w with d = min(WEIGHT_AVERAGE, (1 + t) / (10 + t)). Batch norm's
    moving statistics are averaged too; the average is what is evaluated and saved."""

    def __init__(self, model):
        super().__init__()
        self.variables = [v for v in model.weights if "float" in str(v.dtype)]

    def on_train_begin(self, logs=None):
        self.average = [ops.copy(v.value) for v in self.variables]
        self.updates = 0

    def on_train_batch_end(self, batch, logs=None):
        self.model  # with JAX, reading the model brings the variables up to date
        self.updates += 1
        d = min(WEIGHT_AVERAGE, (1 + self.updates) / (10 + self.updates))
        self.average = [d * a + (1 - d) * v.value for a, v in zip(self.average, self.variables)]

    def on_train_end(self, logs=None):
        for v, a in zip(self.variables, self.average):
            v.assign(a)


{helpers}{model}

{weights}

def distribute():
    """Data-parallel training when the JAX backend sees more than one device."""
    if keras.backend.backend() != "jax":
        return 1
    devices = keras.distribution.list_devices()
    if len(devices) > 1:
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return len(devices)


def train(model, epochs, data_dir):
    """EPOCHS more epochs of the trainer's recipe from the loaded weights (a fresh optimizer
    and schedule, as when the trainer opens a model file and trains on)."""
    images, labels = load(data_dir, "train")
    chosen = training_indices(len(images))
    x = normalise(images[chosen].astype(np.float32) / 255)[..., None]
    y = keras.utils.to_categorical(labels[chosen], len(CLASSES))
    per_epoch = math.ceil(math.ceil(len(x) / BATCH_SIZE) / ACCUMULATE)
    total = per_epoch * epochs
    rate = {rate}
    optimizer = {optimizer}
{network}    net.compile(optimizer=optimizer, loss={loss}, metrics=["accuracy"])
    callbacks = [WeightAverage(model)] if WEIGHT_AVERAGE else []
    net.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, shuffle=True, callbacks=callbacks, verbose=2)


def evaluate(model, data_dir):
    """Class probabilities of every test image, and the test accuracy."""
    images, labels = load(data_dir, "t10k")
    outputs = model.predict(normalise(images.astype(np.float32) / 255)[..., None], batch_size=500, verbose=0)
    probabilities = {probabilities}
    return probabilities, float((probabilities.argmax(1) == labels).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="data", help="folder with the IDX files (default: data)")
    parser.add_argument("--weights", default=WEIGHTS, help="the trainer's safetensors file")
    parser.add_argument("--epochs", type=int, default=0, help="train this many more epochs")
    parser.add_argument("--save", help="where --epochs saves the weights (default: --weights)")
    parser.add_argument("--evaluate", action="store_true", help="print the test accuracy")
    parser.add_argument("--probabilities", help="also save the test images' probabilities (.npy)")
    args = parser.parse_args()

    keras.utils.set_random_seed(SEED)
    devices = distribute()
    model = build_model()
    load_weights(model, args.weights)
    if args.epochs:
        train(model, args.epochs, args.data)
    probabilities, accuracy = evaluate(model, args.data)
    if args.probabilities:
        np.save(args.probabilities, probabilities)
    if args.epochs:
        with safe_open(args.weights, "np") as f:
            metadata = f.metadata()
        metadata["test_accuracy"] = json.dumps(accuracy)
        save_weights(model, args.save or args.weights, metadata)
    print(json.dumps({"framework": "keras", "backend": keras.backend.backend(), "test_accuracy": accuracy, "test_images": len(probabilities), "epochs": args.epochs, "devices": devices}))


if __name__ == "__main__":
    main()
