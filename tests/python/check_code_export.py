"""Runs the scripts of "Export as code" as a learner would and compares them with the app.

tests/io/code_export.rs writes, per model, a folder under build/interop/export/ with the export
(keras_model.py, torch_model.py, model.safetensors, README.md) and reference.json: the app's
class probabilities of the first 1 000 MNIST test images, its accuracy on all 10 000, and
for the default CNN the accuracy after one more epoch in our trainer. Here, in the
virtualenv of tests/python/requirements-export.txt (scripts/setup.sh):

- every model, PyTorch and Keras (JAX): `--evaluate` gives probabilities within 1e-4 of the
  app's and the same test accuracy;
- the models trained on a subset: each script trains one epoch (`--epochs 1`) and saves
  weights under the same names and shapes, a file the app opens;
- the default CNN: one more epoch in each script lands within 0.3 % test accuracy of one more
  epoch in our trainer; `torchrun --nproc_per_node=2` (gloo, CPU) within 0.5 % of the single
  process; Keras on two CPU devices (XLA_FLAGS) under DataParallel within 0.5 % of one.

Usage: python check_code_export.py build/interop/export
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from safetensors.numpy import load_file

PROBABILITY_TOLERANCE = 1e-4
ONE_MORE_EPOCH = 0.003
DISTRIBUTED = 0.005

results = []  # (model, check, passed, figures)


def run(args, cwd, env_extra=None):
    """Runs a script, returns its last stdout line as JSON (its stderr shown on failure)."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", CUDA_VISIBLE_DEVICES="", **(env_extra or {}))
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-8000:])
        raise RuntimeError(f"{' '.join(args)} exited with {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def check(model, name, passed, figures):
    results.append((model, name, passed, figures))
    print(f"{'ok  ' if passed else 'FAIL'} {model}: {name}: {figures}", flush=True)


def guarded(model, name, body):
    """Runs one check's body; a script that fails is that check failing, and the rest go on."""
    try:
        body()
    except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
        check(model, name, False, str(e))


def main(root):
    python = sys.executable
    torchrun = os.path.join(os.path.dirname(python), "torchrun")
    scripts = [("pytorch", "torch_model.py"), ("keras/jax", "keras_model.py")]
    for model in sorted(os.listdir(root)):
        folder = os.path.join(root, model)
        with open(os.path.join(folder, "reference.json")) as f:
            ref = json.load(f)
        data, extra = ref["data"], ref["extra"]
        expected = np.array(ref["probabilities"], np.float32)
        tmp = tempfile.mkdtemp()
        saved = os.path.join(tmp, "saved.safetensors")

        def evaluate(framework, script):
            probs_path = os.path.join(tmp, "p.npy")
            out = run([python, script, "--data", data, "--evaluate", "--probabilities", probs_path], folder)
            diff = float(np.abs(np.load(probs_path)[: len(expected)] - expected).max())
            check(model, f"{framework} probabilities", diff <= PROBABILITY_TOLERANCE, f"max |Δp| {diff:.2e} on {len(expected)} images")
            correct = round(out["test_accuracy"] * out["test_images"])
            want = round(ref["test_accuracy"] * ref["test_images"])
            check(model, f"{framework} test accuracy", correct == want, f"{correct} vs the app's {want} of {out['test_images']} correct")

        def train_smoke(framework, script):
            out = run([python, script, "--data", data, "--epochs", "1", "--save", saved], folder)
            before = load_file(os.path.join(folder, "model.safetensors"))
            after = load_file(saved)
            same = {k: v.shape for k, v in before.items()} == {k: v.shape for k, v in after.items()}
            finite = all(np.isfinite(v).all() for v in after.values())
            check(model, f"{framework} trains one epoch", same and finite, f"test accuracy {out['test_accuracy']:.4f} after it; {len(after)} tensors")

        single = {}

        def one_more_epoch(framework, script):
            ours = extra["one_more_epoch"]
            out = run([python, script, "--data", data, "--epochs", "1", "--save", saved], folder)
            single[framework] = out["test_accuracy"]
            delta = out["test_accuracy"] - ours
            check(model, f"{framework} one more epoch", abs(delta) <= ONE_MORE_EPOCH, f"{out['test_accuracy']:.4f} vs ours {ours:.4f} (Δ {100 * delta:+.2f} %)")

        def torchrun_two():
            out = run([torchrun, "--standalone", "--nproc_per_node=2", "torch_model.py", "--data", data, "--epochs", "1", "--save", saved], folder)
            delta = out["test_accuracy"] - single["pytorch"]
            check(model, "torchrun --nproc_per_node=2 (gloo)", out["processes"] == 2 and abs(delta) <= DISTRIBUTED, f"{out['test_accuracy']:.4f} vs one process {single['pytorch']:.4f} (Δ {100 * delta:+.2f} %)")

        def keras_two_devices():
            xla = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
            out = run([python, "keras_model.py", "--data", data, "--epochs", "1", "--save", saved], folder, xla)
            delta = out["test_accuracy"] - single["keras/jax"]
            check(model, "keras/jax on 2 CPU devices (DataParallel)", out["devices"] == 2 and abs(delta) <= DISTRIBUTED, f"{out['test_accuracy']:.4f} vs one device {single['keras/jax']:.4f} (Δ {100 * delta:+.2f} %)")

        for framework, script in scripts:
            guarded(model, f"{framework} evaluation", lambda: evaluate(framework, script))
            if extra.get("train_smoke"):
                guarded(model, f"{framework} trains one epoch", lambda: train_smoke(framework, script))
            if "one_more_epoch" in extra:
                guarded(model, f"{framework} one more epoch", lambda: one_more_epoch(framework, script))
        if "one_more_epoch" in extra:
            guarded(model, "torchrun --nproc_per_node=2 (gloo)", torchrun_two)
            guarded(model, "keras/jax on 2 CPU devices (DataParallel)", keras_two_devices)

    failed = sum(not passed for _, _, passed, _ in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/interop/export"))
