# The two commands of the README: `make serve` and `make test`. Both install what is missing
# first (scripts/setup.sh) and are quick when nothing changed.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export TRUNK_SKIP_VERSION_CHECK := true

.PHONY: serve test setup data build bench soak lint

## Build the release bundle and serve it on http://127.0.0.1:8080
serve: setup data
	trunk serve --release --offline

## Run every test: lint, native, wasm in Chromium, end to end in Chromium
test: setup data
	scripts/test.sh

setup:
	@scripts/setup.sh

data:
	@scripts/prepare-data.sh

## The release bundle in dist/
build: setup data
	trunk build --release --offline

## Benchmarks (figures, not tests): natively and in headless Chromium, as JSON lines
bench: build
	scripts/bench.sh

## Memory over a long run: 50 epochs on the CPU and on WebGPU in headless Chromium, every
## view rendered; fails on more than 5 % growth after epoch 5
soak: build
	node scripts/soak.mjs

lint: setup
	cargo fmt --check
	cargo clippy --all-targets --quiet -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --all-targets --quiet -- -D warnings
