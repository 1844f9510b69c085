#!/usr/bin/env bash
# Every test layer, in order of speed, stopping at the first failure. Called by `make test`
# after `make setup data`; CI runs the same through .ci/run.
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

layer() { printf '\n\033[1m== test: %s\033[0m\n' "$*"; }

layer "format and lints"
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy --target wasm32-unknown-unknown --all-targets --quiet -- -D warnings

layer "native: cargo test"
cargo test --quiet

layer "interop: Python's safetensors + numpy read the model files cargo test wrote"
build/venv/bin/python tests/python/check_model_file.py build/interop
layer "interop: onnx.checker and onnxruntime run the ONNX exports cargo test wrote"
build/venv/bin/python tests/python/check_onnx.py build/interop

layer "wasm: cargo test in headless Chromium (CPU kernels, and WebGPU on SwiftShader)"
cargo test --target wasm32-unknown-unknown --test browser --test kernels_gpu

layer "end to end: the release bundle in headless Chromium"
trunk build --release --offline
node --test --test-concurrency=1 e2e/
