#!/usr/bin/env bash
# Installs what building the SDK needs, skipping what is there: the wasm32
# target, wasm-bindgen-cli at the version in Cargo.lock, and wasm-opt.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown >&2
want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "installing wasm-bindgen-cli $want" >&2
  # Without --locked: the registry mirror lacks some newest transitive versions.
  cargo install wasm-bindgen-cli --version "$want" >&2
fi
# wasm-opt comes from the npm package binaryen (a devDependency).
[ -x node_modules/.bin/wasm-opt ] || PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund >&2
