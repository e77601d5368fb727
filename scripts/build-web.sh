#!/usr/bin/env bash
# Builds the browser parts into dist/: the SDK (Rust -> wasm32 -> wasm-bindgen
# -> wasm-opt) in dist/sdk/ and the service worker in dist/sw/.
# `npm run build` runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-web-tools.sh
# Panic locations carry source paths into the .wasm: keep them short.
remap="--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}/registry/src/index.crates.io-1949cf8c6b5b557f/= --remap-path-prefix=sdk-wasm/src/= --remap-path-prefix=$PWD/="
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
node_modules/.bin/wasm-opt -Oz -Oz --strip-debug --strip-producers "$out/herald_sdk_bg.wasm" -o "$out/herald_sdk_bg.wasm"
# Short import/export names in the .wasm and the glue, then one minified
# ES module: herald.js with the wasm-bindgen glue inside.
node scripts/minify-wasm-names.mjs "$out/herald_sdk.js" "$out/herald_sdk_bg.wasm"
cp sdk-wasm/js/herald.js "$out/"
node_modules/.bin/esbuild "$out/herald.js" --bundle --format=esm --minify --charset=utf8 --target=es2020 \
  --log-level=warning --outfile=dist/sdk/herald.js
cp "$out/herald_sdk_bg.wasm" sdk-wasm/js/herald.d.ts dist/sdk/
# The UI's markup, stylesheet and strings: loaded the first time a part shows.
node_modules/.bin/esbuild sdk-wasm/js/ui.js --format=esm --minify --charset=utf8 --target=es2020 \
  --log-level=warning --outfile=dist/sdk/herald-ui.js
# The worker imports the sync protocol the SDK uses (sdk-wasm/js/sync.js):
# bundled into one classic script, unminified, so importScripts() works and
# a site can read what it loads.
node_modules/.bin/esbuild service-worker/herald-sw.js --bundle --format=iife --target=es2020 \
  --legal-comments=inline --log-level=warning --outfile=dist/sw/herald-sw.js
# Budgets (gzip -9): every .js/.mjs/.wasm/.css in dist/sdk together, what a
# page loads before any UI shows (herald.js and its .wasm), and the worker.
gz() { gzip -9c "$1" | wc -c; }
total=0
for f in dist/sdk/*.js dist/sdk/*.mjs dist/sdk/*.wasm dist/sdk/*.css; do
  [ -f "$f" ] || continue
  total=$((total + $(gz "$f")))
done
first=$(( $(gz dist/sdk/herald.js) + $(gz dist/sdk/herald_sdk_bg.wasm) ))
worker=$(gz dist/sw/herald-sw.js)
for f in dist/sdk/* dist/sw/herald-sw.js; do
  case $f in *.d.ts) continue ;; esac
  printf '%-32s %7d bytes, %6d gzip\n' "$f" "$(stat -c %s "$f")" "$(gz "$f")"
done
status=0
check() { # name, bytes, budget
  if [ "$2" -le "$3" ]; then verdict=ok; else verdict="OVER BUDGET"; status=1; fi
  printf '%-32s %14d gzip (budget %d) %s\n' "$1" "$2" "$3" "$verdict"
}
check "page SDK, first load" "$first" 28672
check "page SDK with the UI (dist/sdk)" "$total" 32768
check "service worker" "$worker" 12288
exit $status
