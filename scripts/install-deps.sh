#!/usr/bin/env bash
# Installs what building (and, with --browsers, testing) Herald needs,
# skipping what is there. Run as root on Debian with Rust, Node 20 and npm.
# Safe to re-run; a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pkg-config libssl-dev)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
if [ "${1:-}" = "--browsers" ]; then
  packages+=(chromium chromium-driver firefox-esr)
fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi

# geckodriver drives Firefox for the SDK's wasm-bindgen tests.
if [ "${1:-}" = "--browsers" ] && ! command -v geckodriver >/dev/null; then
  echo "installing geckodriver" >&2
  cargo install geckodriver >&2
fi

# rustfmt and clippy come with the toolchain here; add them if a minimal one lacks them.
for comp in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$comp" || rustup component add "$comp" >&2 || true
done

# npm packages (web-push for the benchmark, puppeteer-core for the browser
# tests, binaryen's wasm-opt, esbuild for the SDK bundle), exactly as
# locked; never a browser download.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund >&2
fi
