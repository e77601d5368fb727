#!/usr/bin/env bash
# Builds the browser parts into dist/: the SDK (Rust -> wasm32 -> wasm-bindgen
# -> wasm-opt) in dist/sdk/ and the service worker in dist/sw/.
# `npm run build` runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-web-tools.sh
# Panic locations carry source paths into the .wasm: keep them short.
remap="--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}/registry/src/= --remap-path-prefix=$PWD/="
RUSTFLAGS="${RUSTFLAGS:-} $remap" \
  cargo build -p herald-sdk --target wasm32-unknown-unknown --profile wasm-release --features standalone
out=target/web-sdk
rm -rf dist/sdk dist/sw "$out"
mkdir -p dist/sdk dist/sw "$out"
# --keep-debug keeps the function names stub-formatting.mjs looks for;
# wasm-opt --strip-debug drops them below.
wasm-bindgen --target web --no-typescript --keep-debug --out-dir "$out" \
  target/wasm32-unknown-unknown/wasm-release/herald_sdk.wasm
node scripts/stub-formatting.mjs "$out/herald_sdk_bg.wasm"
# binaryen 132 from npm: Debian's wasm-opt 108 miscompiles wasm-bindgen's
# reference-type tables (Firefox: "can only pass WebAssembly exported
# functions to funcref").
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers "$out/herald_sdk_bg.wasm" -o "$out/herald_sdk_bg.wasm"
# Short import/export names in the .wasm and the glue, then one minified
# ES module: herald.js with the wasm-bindgen glue inside.
node scripts/minify-wasm-names.mjs "$out/herald_sdk.js" "$out/herald_sdk_bg.wasm"
cp sdk-wasm/js/herald.js "$out/"
node_modules/.bin/esbuild "$out/herald.js" --bundle --format=esm --minify --target=es2020 \
  --log-level=warning --outfile=dist/sdk/herald.js
cp "$out/herald_sdk_bg.wasm" sdk-wasm/js/herald.d.ts dist/sdk/
# The worker imports the sync protocol the SDK uses (sdk-wasm/js/sync.js):
# bundled into one classic script, unminified, so importScripts() works and
# a site can read what it loads.
node_modules/.bin/esbuild service-worker/herald-sw.js --bundle --format=iife --target=es2020 \
  --legal-comments=inline --log-level=warning --outfile=dist/sw/herald-sw.js
total=0
for f in dist/sdk/herald.js dist/sdk/herald_sdk_bg.wasm dist/sw/herald-sw.js; do
  gz=$(gzip -9c "$f" | wc -c)
  br=$(command -v brotli >/dev/null && brotli -c -q 11 "$f" | wc -c || echo "?")
  printf '%-32s %7d bytes, %6d gzip, %6s brotli\n' "$f" "$(stat -c %s "$f")" "$gz" "$br"
  case $f in dist/sdk/*) total=$((total + gz)) ;; esac
done
printf '%-32s %7s        %6d gzip (budget 28 KB)\n' "page SDK (dist/sdk)" "" "$total"
