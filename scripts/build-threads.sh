#!/usr/bin/env bash
# Trunk's post-build hook (Trunk.toml): the worker once more, compiled for wasm threads, into
# Trunk's staging folder as worker_mt*.js / worker_mt_bg.wasm. The page starts it instead of
# the one-thread worker when it is cross-origin isolated (see ARCHITECTURE.md, "Threads").
#
# Threads need atomics in every crate, std included, so std is rebuilt from rustup's
# rust-src with -Z build-std (RUSTC_BOOTSTRAP lets the stable toolchain take that flag); the
# memory is imported and shared, and the TLS symbols exported for wasm-bindgen's thread glue.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${TRUNK_STAGING_DIR:?"run by Trunk (make build / make serve)"}
profile=${TRUNK_PROFILE:-release}
target_dir=target/threads

flags=(--target wasm32-unknown-unknown --bin worker --target-dir "$target_dir"
  -Z build-std=panic_abort,std)
[ "$profile" = release ] && flags+=(--release)

export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-C target-feature=+simd128,+atomics,+bulk-memory,+mutable-globals \
-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=4294967296 \
-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"
cargo build --quiet "${flags[@]}"

wasm-bindgen --target no-modules --no-typescript --out-dir "$out" --out-name worker_mt \
  "$target_dir/wasm32-unknown-unknown/$profile/worker.wasm"
if [ "$profile" = release ]; then
  wasm-opt -O3 --enable-threads --enable-simd --enable-bulk-memory --enable-mutable-globals \
    --enable-sign-ext --enable-nontrapping-float-to-int --enable-reference-types \
    --enable-multivalue "$out/worker_mt_bg.wasm" -o "$out/worker_mt_bg.wasm"
fi
# The threaded worker's entry (as Trunk's loader shim is the other's) and its helpers' entry.
printf "importScripts('./worker_mt.js');\nwasm_bindgen('./worker_mt_bg.wasm');\n" \
  > "$out/worker_mt_loader.js"
cp www/cpu_helper.js "$out/cpu_helper.js"
