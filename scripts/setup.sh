#!/usr/bin/env bash
# Installs everything the build and the tests need, from registries only (Debian apt,
# crates.io via rustup/cargo, npm, PyPI). Idempotent: each step checks before it installs,
# so a second run takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
APT_PACKAGES=(chromium chromium-driver mesa-vulkan-drivers dataset-fashion-mnist)

step() { printf '\033[1m== setup: %s\033[0m\n' "$*"; }

# Debian packages: a browser for the end-to-end and wasm tests, lavapipe for native WebGPU
# tests, and Fashion-MNIST.
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  step "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The wasm target of the toolchain rustup already manages.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The standard library's source, from which the threaded worker rebuilds std with atomics
# (scripts/build-threads.sh).
if ! rustup component list --installed | grep -q '^rust-src'; then
  step "rustup component add rust-src"
  rustup component add rust-src
fi

# Trunk, at the version known to build with this toolchain.
if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  step "cargo install trunk $TRUNK_VERSION (about 10 minutes on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WBG_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WBG_VERSION"; then
  step "cargo install wasm-bindgen-cli $WBG_VERSION"
  # Without --locked: its lock file names a crate version the index no longer has.
  cargo install wasm-bindgen-cli --version "$WBG_VERSION"
fi

# npm tools (wasm-opt from binaryen, the MNIST files, playwright-core), pinned by the lock.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Everything is fetched once; later cargo runs (and Trunk's) can then work offline.
step "cargo fetch"
cargo fetch --quiet

# Python interop checkers (PyPI, pinned) in a virtualenv inside the build folder. Debian's
# python3-venv provides venv where the system Python lacks it.
if ! python3 -m venv --help >/dev/null 2>&1; then
  step "apt-get install python3-venv"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi
if ! cmp -s tests/python/requirements.txt build/venv/requirements.txt; then
  step "python venv: $(tr '\n' ' ' < tests/python/requirements.txt)"
  rm -rf build/venv
  python3 -m venv build/venv
  build/venv/bin/pip install -q --disable-pip-version-check -r tests/python/requirements.txt
  cp tests/python/requirements.txt build/venv/requirements.txt
fi

