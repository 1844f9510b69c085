"""Reads model files written by the app with Python's safetensors + numpy, independently of
the Rust code: checks the documented tensor names and shapes, then runs the model in numpy
(NHWC inputs, HWIO conv kernels, [in, out] dense weights) and compares its probabilities with
the app's. Usage: check_model_file.py DIR (the files `cargo test --test io model_file::` wrote)."""
import json
import sys
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def conv2d(x, w, b, stride, padding):
    kh, kw, _, _ = w.shape
    if padding == "same":
        h, wd = x.shape[1], x.shape[2]
        oh, ow = -(-h // stride[0]), -(-wd // stride[1])
        ph = max((oh - 1) * stride[0] + kh - h, 0)
        pw = max((ow - 1) * stride[1] + kw - wd, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    n, h, wd, c = x.shape
    oh, ow = (h - kh) // stride[0] + 1, (wd - kw) // stride[1] + 1
    out = np.zeros((n, oh, ow, w.shape[3]), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, i : i + stride[0] * oh : stride[0], j : j + stride[1] * ow : stride[1], :]
            out += patch @ w[i, j]
    return out + b


def max_pool(x, window, stride):
    n, h, w, c = x.shape
    oh, ow = (h - window[0]) // stride[0] + 1, (w - window[1]) // stride[1] + 1
    out = np.full((n, oh, ow, c), -np.inf)
    for i in range(window[0]):
        for j in range(window[1]):
            out = np.maximum(out, x[:, i : i + stride[0] * oh : stride[0], j : j + stride[1] * ow : stride[1], :])
    return out


def forward(layers, tensors, x):
    for i, layer in enumerate(layers):
        kind = layer["type"]
        t = lambda name: tensors[f"layers.{i}.{name}"].astype(np.float64)
        if kind == "flatten":
            x = x.reshape(x.shape[0], -1)
        elif kind == "dense":
            x = x @ t("weight") + t("bias")
        elif kind == "conv2d":
            assert layer.get("dilation", [1, 1]) == [1, 1]
            x = conv2d(x, t("weight"), t("bias"), layer.get("stride", [1, 1]), layer.get("padding", "valid"))
        elif kind == "max_pool2d":
            x = max_pool(x, layer["window"], layer["stride"])
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "softmax":
            e = np.exp(x - x.max(axis=1, keepdims=True))
            x = e / e.sum(axis=1, keepdims=True)
        else:
            raise SystemExit(f"layer type {kind} is not covered by this check")
    return x


def expected_shapes(config):
    """The documented names and shapes, computed from the architecture alone."""
    h, w, c = config["model"]["input"]
    flat = None
    shapes = {}
    for i, layer in enumerate(config["model"]["layers"]):
        kind = layer["type"]
        if kind == "conv2d":
            kh, kw = layer["kernel"]
            s = layer.get("stride", [1, 1])
            if layer.get("padding", "valid") == "same":
                h, w = -(-h // s[0]), -(-w // s[1])
            else:
                h, w = (h - kh) // s[0] + 1, (w - kw) // s[1] + 1
            shapes[f"layers.{i}.weight"] = (kh, kw, c, layer["filters"])
            shapes[f"layers.{i}.bias"] = (layer["filters"],)
            c = layer["filters"]
        elif kind == "max_pool2d":
            h, w = (h - layer["window"][0]) // layer["stride"][0] + 1, (w - layer["window"][1]) // layer["stride"][1] + 1
        elif kind == "flatten":
            flat = h * w * c
        elif kind == "dense":
            shapes[f"layers.{i}.weight"] = (flat, layer["units"])
            shapes[f"layers.{i}.bias"] = (layer["units"],)
            flat = layer["units"]
    return shapes


def check(path: Path):
    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata()
    assert meta["format"] == "trainer-model", meta.get("format")
    assert int(meta["format_version"]) >= 1
    config = json.loads(meta["config"])
    norm = json.loads(meta["normalizer"])
    tensors = load_file(str(path))
    want = expected_shapes(config)
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    assert got == want, f"{path.name}: tensors {got} but the documented layout gives {want}"
    assert all(v.dtype == np.float32 for v in tensors.values())

    reference = json.loads(path.with_suffix(".json").read_text())
    pixels = np.array(reference["pixels"], dtype=np.float64) / 255.0
    if norm["kind"] == "standardize":
        pixels = (pixels - norm["mean"]) / norm["std"]
    elif norm["kind"] != "scale01":
        raise SystemExit(f"normalisation {norm['kind']} is not covered by this check")
    h, w, c = config["model"]["input"]
    probabilities = forward(config["model"]["layers"], tensors, pixels.reshape(-1, h, w, c))
    diff = np.abs(probabilities - np.array(reference["probabilities"])).max()
    assert diff <= 1e-4, f"{path.name}: numpy and the app differ by {diff}"
    print(f"# figure: {path.name}: {len(tensors)} tensors as documented; numpy forward pass on "
          f"{len(pixels)} images matches the app within {diff:.1e}")


if __name__ == "__main__":
    files = sorted(Path(sys.argv[1]).glob("*.safetensors"))
    assert files, f"no model files in {sys.argv[1]}"
    for f in files:
        check(f)
