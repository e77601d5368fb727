#!/usr/bin/env bash
# Builds the browser parts into dist/: the SDK (Rust -> wasm32 -> wasm-bindgen
# -> wasm-opt) in dist/sdk/ and the service worker in dist/sw/.
# `npm run build` runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-web-tools.sh
cargo build -p herald-sdk --target wasm32-unknown-unknown --profile wasm-release --features standalone
rm -rf dist/sdk dist/sw
mkdir -p dist/sdk dist/sw
wasm-bindgen --target web --no-typescript --out-dir dist/sdk \
  target/wasm32-unknown-unknown/wasm-release/herald_sdk.wasm
# binaryen 132 from npm: Debian's wasm-opt 108 miscompiles wasm-bindgen's
# reference-type tables (Firefox: "can only pass WebAssembly exported
# functions to funcref").
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers dist/sdk/herald_sdk_bg.wasm -o dist/sdk/herald_sdk_bg.wasm
cp sdk-wasm/js/herald.js sdk-wasm/js/herald.d.ts dist/sdk/
cp service-worker/herald-sw.js dist/sw/
for f in dist/sdk/herald.js dist/sdk/herald_sdk.js dist/sdk/herald_sdk_bg.wasm dist/sw/herald-sw.js; do
  br=$(command -v brotli >/dev/null && brotli -c -q 11 "$f" | wc -c || echo "?")
  printf '%-32s %7d bytes, %6d gzip, %6s brotli\n' "$f" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)" "$br"
done
