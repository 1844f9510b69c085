"""Checks the app's ONNX exports with the real tools: onnx.checker (full check, with shape
inference) and onnxruntime, whose probabilities on the test images the app wrote beside
each export (1 000 MNIST images; the generated colour photos for the colour CNN) must match
the app's (same top-1 class, max abs difference <= 1e-4). Usage: check_onnx.py DIR."""
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort


def check(path: Path):
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    reference = json.loads(Path(str(path) + ".json").read_text())
    # The model's own input shape: [batch, rows, cols, channels].
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    pixels = np.array(reference["pixels"], dtype=np.float32).reshape(-1, *shape)
    want = np.array(reference["probabilities"], dtype=np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(["probabilities"], {"pixels": pixels})
    diff = float(np.abs(got - want).max())
    same_top1 = int((got.argmax(axis=1) == want.argmax(axis=1)).sum())
    assert same_top1 == len(want), f"{path.name}: top-1 differs on {len(want) - same_top1} images"
    assert diff <= 1e-4, f"{path.name}: probabilities differ by up to {diff}"
    print(f"# figure: {path.name}: onnx.checker full check passed; onnxruntime {ort.__version__} "
          f"on {len(want)} test images: same top-1 on all, max |diff| {diff:.1e}")


if __name__ == "__main__":
    files = sorted(Path(sys.argv[1]).glob("*.onnx"))
    assert files, f"no ONNX files in {sys.argv[1]}"
    for f in files:
        check(f)
