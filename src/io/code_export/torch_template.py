"""{title}, exported from the trainer as PyTorch code.

    python torch_model.py --data DIR --evaluate      # test accuracy of the exported weights
    python torch_model.py --data DIR --epochs 5      # train on, then save the weights back
    torchrun --nproc_per_node=2 torch_model.py --data DIR --epochs 5   # on 2 processes (DDP)

DIR holds MNIST-format IDX files (train-images-idx3-ubyte, … or the same .gz). One JSON line
with the test accuracy ends every run. Under torchrun each process trains on its share of
every batch (DistributedSampler): gloo on CPUs, NCCL on GPUs.
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.numpy import load_file, save_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.safetensors")

{recipe}

{data}

{schedule}

{helpers}{model}

{weights}

class WeightAverage:
    """The trainer's moving average of the weights (Polyak averaging): after update t,
    avg ← d·avg + (1 − d)·w with d = min(WEIGHT_AVERAGE, (1 + t) / (10 + t)). Batch norm's
    running statistics are averaged too; the average is what is evaluated and saved."""

    def __init__(self, model):
        self.tensors = [t for t in model.state_dict().values() if t.is_floating_point()]
        self.average = [t.detach().clone() for t in self.tensors]
        self.updates = 0

    @torch.no_grad()
    def update(self):
        self.updates += 1
        d = min(WEIGHT_AVERAGE, (1 + self.updates) / (10 + self.updates))
        for a, t in zip(self.average, self.tensors):
            a.mul_(d).add_(t, alpha=1 - d)

    @torch.no_grad()
    def copy_to_model(self):
        for a, t in zip(self.average, self.tensors):
            t.copy_(a)


def train(model, epochs, data_dir, device, rank, world):
    """EPOCHS more epochs of the trainer's recipe from the loaded weights (a fresh optimizer
    and schedule, as when the trainer opens a model file and trains on)."""
    images, labels = load(data_dir, "train")
    chosen = training_indices(len(images))
    inputs = {train_set}
    data = TensorDataset(inputs, torch.from_numpy(labels[chosen]))
    # Every process takes BATCH_SIZE / world images of each batch: the same updates per epoch.
    sampler = DistributedSampler(data, world, rank, shuffle=True, seed=SEED) if world > 1 else None
    loader = DataLoader(
        data,
        batch_size=BATCH_SIZE // world,
        shuffle=sampler is None,
        sampler=sampler,
        generator=torch.Generator().manual_seed(SEED),
    )
    net = model
    if world > 1:
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = {optimizer}
    average = WeightAverage(model) if WEIGHT_AVERAGE else None
    per_epoch = math.ceil(len(loader) / ACCUMULATE)
    total, t = per_epoch * epochs, 0
    for epoch in range(epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        loss_sum, correct, seen = 0.0, 0, 0
        for b, (images, labels) in enumerate(loader):
            inputs, labels = ({inputs}).to(device), labels.to(device)
            outputs = net(inputs)
            loss = {loss}{activity}{penalty}
            (loss / ACCUMULATE).backward()
            loss_sum += loss.item() * len(labels)
            correct += (outputs.argmax(1) == labels).sum().item()
            seen += len(labels)
            if (b + 1) % ACCUMULATE and b + 1 < len(loader):
                continue
            for group in optimizer.param_groups:
                group["lr"] = float(learning_rate(t, per_epoch, total))
            if CLIP_NORM:
                torch.nn.utils.clip_grad_norm_(params, CLIP_NORM)
            optimizer.step()
            optimizer.zero_grad()
            t += 1
            if average:
                average.update()
        if rank == 0:
            print(f"epoch {epoch + 1}/{epochs}: train loss {loss_sum / seen:.4f}, accuracy {correct / seen:.2%}", file=sys.stderr)
    if average:
        average.copy_to_model()


@torch.no_grad()
def evaluate(model, data_dir, device):
    """Class probabilities of every test image, and the test accuracy."""
    images, labels = load(data_dir, "t10k")
    inputs = torch.from_numpy(normalise(images.astype(np.float32) / 255)).unsqueeze(1)
    model.eval()
    probabilities = torch.cat(
        [model.probabilities(inputs[i : i + 500].to(device)).cpu() for i in range(0, len(inputs), 500)]
    ).numpy()
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

    world, rank = int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("RANK", 0))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    if world > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    # Full float32 on GPUs too, so that probabilities match the trainer's.
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(SEED)

    model = Model()
    load_weights(model, args.weights)
    model.to(device)
    if args.epochs:
        train(model, args.epochs, args.data, device, rank, world)
    if world > 1:
        dist.destroy_process_group()
    if rank != 0:
        return
    probabilities, accuracy = evaluate(model, args.data, device)
    if args.probabilities:
        np.save(args.probabilities, probabilities)
    if args.epochs:
        with safe_open(args.weights, "np") as f:
            metadata = f.metadata()
        metadata["test_accuracy"] = json.dumps(accuracy)
        save_weights(model, args.save or args.weights, metadata)
    print(json.dumps({"framework": "pytorch", "test_accuracy": accuracy, "test_images": len(probabilities), "epochs": args.epochs, "processes": world}))


if __name__ == "__main__":
    main()
