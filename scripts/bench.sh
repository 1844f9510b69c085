#!/usr/bin/env bash
# The benchmark command: the CPU suite natively (at 1, 2, … threads), then compiled to wasm
# (simd128, one thread) in headless Chromium, then in the page's threaded worker in headless
# Chromium (1, 2, … threads), each printing one JSON object per line naming its `threads`;
# then the browser/native ratio of every figure. Results are also kept in build/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=900
mkdir -p build/bench

echo "== native (cargo run --release --example bench)"
cargo run --quiet --release --example bench | tee build/bench/native.jsonl

echo "== browser (headless Chromium, wasm simd128, one thread)"
cargo test --release --target wasm32-unknown-unknown --test bench_browser -- --nocapture 2>&1 \
  | grep '^{"bench"' | tee build/bench/browser.jsonl

echo "== browser, threads (the threaded worker of dist/, cross-origin isolated)"
node scripts/bench-threads.mjs | tee build/bench/browser-threads.jsonl

echo "== browser / native"
node scripts/bench-ratio.mjs build/bench/native.jsonl build/bench/browser.jsonl
