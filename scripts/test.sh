#!/usr/bin/env bash
# Every test layer, in order of speed, stopping at the first failure. Called by `make test`
# after `make setup data`; CI runs the same through .ci/run. Each layer's wall and CPU time
# (user + sys of everything it ran) is printed when it ends, and all of them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
# Native WebGPU tests run on Mesa's lavapipe (Vulkan on the CPU).
export WGPU_BACKEND=vulkan
# lavapipe is installed by setup, so a missing adapter is a failure here, not a skip.
export REQUIRE_GPU=1
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 0700 "$XDG_RUNTIME_DIR"
# wasm-bindgen-test drives Debian's Chromium; give slow kernels room under SwiftShader.
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT=600

# CPU seconds used so far by everything this script ran (bash's `times`, children's line).
TIMES=$(mktemp)
cpu_now() {
  times >"$TIMES"
  CPU_NOW=$(awk 'NR == 2 { for (i = 1; i <= NF; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } printf "%.0f", s }' "$TIMES")
}
LAYER="" LAYER_START=0 LAYER_CPU=0 START=$SECONDS
SUMMARY=()
end_layer() {
  [ -n "$LAYER" ] || return 0
  cpu_now
  local line
  line=$(printf '%6d s wall %6d s CPU   %s' $((SECONDS - LAYER_START)) $((CPU_NOW - LAYER_CPU)) "$LAYER")
  SUMMARY+=("$line")
  printf '\033[2m%s\033[0m\n' "$line"
  LAYER=""
}
layer() {
  end_layer
  LAYER="$*" LAYER_START=$SECONDS
  cpu_now
  LAYER_CPU=$CPU_NOW
  printf '\n\033[1m== test: %s\033[0m\n' "$*"
}
summary() {
  local status=$?
  end_layer
  cpu_now
  printf '\n\033[1m== test: time per layer%s\033[0m\n' "$([ $status = 0 ] || echo ", stopped by a failure")"
  printf '%s\n' "${SUMMARY[@]}"
  printf '%6d s wall %6d s CPU   all\n' $((SECONDS - START)) "$CPU_NOW"
  rm -f "$TIMES"
}
trap summary EXIT

# Clippy lints this package as it is compiled for the tests, with every warning an error:
# clippy-driver stands in for rustc on the workspace's own crates only, and dependencies
# compile with rustc as before. A separate `cargo clippy` pass type-checks every dependency
# again, once per target (native and wasm32); `make lint` still runs it that way. Every later
# build here keeps the same wrapper, so nothing of ours is compiled twice: the native tests
# and examples, the wasm tests, and the release bundle.
export RUSTC_WORKSPACE_WRAPPER="$HOME/.cargo/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

layer "format"
cargo fmt --check

layer "native: build the tests and examples (clippy's lints as errors)"
cargo test --quiet --lib --bins --tests --examples --no-run
layer "native: cargo test (unit tests, then the suites in tests/: engine, gpu, io, lessons)"
cargo test --quiet --lib --bins --tests
layer "native: the train_images command on the photos the io tests generated, on 2 threads and on 1"
cargo run --quiet --example train_images -- --folder target/own-images/fruit --epochs 4 --batch 16 \
  --threads 2 --save build/train-images-2.safetensors | tee build/train-images.txt
cargo run --quiet --example train_images -- --folder target/own-images/fruit --epochs 4 --batch 16 \
  --threads 1 --save build/train-images-1.safetensors > build/train-images-1.txt
node -e '
  const fs = require("fs");
  const r = JSON.parse(fs.readFileSync("build/train-images.txt", "utf8").trim().split("\n").pop());
  if (!(r.test_accuracy >= 0.9)) throw new Error(`train_images: test accuracy ${r.test_accuracy}`);
  if (r.threads !== 2) throw new Error(`train_images --threads 2 ran on ${r.threads}`);
  // The weights and optimizer state (every byte after the header) and the tensors listed in
  // the header are the same on 1 and 2 threads; only the metadata holds wall-clock figures.
  const tensors = (f) => {
    const b = fs.readFileSync(f), n = Number(b.readBigUInt64LE(0));
    const { __metadata__, ...header } = JSON.parse(b.subarray(8, 8 + n).toString());
    return { header: JSON.stringify(header), data: b.subarray(8 + n) };
  };
  const [two, one] = ["build/train-images-2.safetensors", "build/train-images-1.safetensors"].map(tensors);
  if (two.header !== one.header || !two.data.equals(one.data)) throw new Error("train_images: 2 threads trained other weights than 1");
  console.log(`# figure: train_images on ${r.train_images} + ${r.test_images} generated ${r.input.join("×")} photos, ${r.class_names.length} classes: ${(100 * r.test_accuracy).toFixed(1)}% test accuracy, ${Math.round(r.samples_per_s)} samples/s on 2 threads; the same ${one.data.length} bytes of weights and optimizer state as on 1 thread`);'
layer "native: doc tests"
cargo test --quiet --doc

layer "interop: Python's safetensors + numpy read the model files cargo test wrote"
build/venv/bin/python tests/python/check_model_file.py build/interop
layer "interop: onnx.checker and onnxruntime run the ONNX exports cargo test wrote"
build/venv/bin/python tests/python/check_onnx.py build/interop
layer "setup: the Keras, JAX and PyTorch environment of the code export (once per machine)"
scripts/setup-export-env.sh
layer "interop: the Keras (JAX) and PyTorch code of \"Export as code\" against the app, torchrun and DataParallel"
build/venv-export/bin/python tests/python/check_code_export.py build/interop/export

layer "wasm: build the tests (clippy's lints as errors)"
cargo test --quiet --target wasm32-unknown-unknown --test browser --test gpu --no-run
layer "wasm: cargo test in headless Chromium (CPU kernels, and WebGPU on SwiftShader)"
cargo test --target wasm32-unknown-unknown --test browser --test gpu

layer "end to end: build the release bundle (clippy's lints as errors)"
trunk build --release --offline
layer "end to end: the release bundle in headless Chromium"
node --test --test-concurrency=1 e2e/
