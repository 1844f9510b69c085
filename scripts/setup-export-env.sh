#!/usr/bin/env bash
# The Python environment of the "Export as code" checks (tests/python/check_code_export.py and
# e2e/model_file.test.mjs): Keras, JAX and PyTorch from PyPI, pinned in
# tests/python/requirements-export.txt. Only the tests need it, so `make serve` does not
# install it: scripts/test.sh calls this. PyPI's torch brings CUDA's libraries: about 6 GB
# and a few minutes to install, so the environment lives outside the clone, in a folder named
# by the hash of that file; a rerun, or another clone, finds it there. build/venv-export
# points to it.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m== setup: %s\033[0m\n' "$*"; }
EXPORT_REQUIREMENTS=tests/python/requirements-export.txt
EXPORT_VENV="${TRAINER_PYENV_CACHE:-$HOME/.cache/trainer-pyenv}/$(sha256sum "$EXPORT_REQUIREMENTS" | cut -c1-16)"
if [ ! -f "$EXPORT_VENV/installed" ]; then
  step "python venv for the code export (keras, jax, torch; about 6 GB): $EXPORT_VENV"
  rm -rf "$EXPORT_VENV"
  python3 -m venv "$EXPORT_VENV"
  "$EXPORT_VENV/bin/pip" install -q --disable-pip-version-check -r "$EXPORT_REQUIREMENTS"
  cp "$EXPORT_REQUIREMENTS" "$EXPORT_VENV/installed"
fi
mkdir -p build
ln -sfn "$EXPORT_VENV" build/venv-export
