#!/usr/bin/env bash
# Runs the SDK's wasm-bindgen tests in headless Chromium (chromedriver) and
# Firefox (geckodriver), against a real Herald server on
# loopback (target/debug/herald must be built).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
db="sqlite://$dir/herald.db"
project=$(target/debug/herald --database-url "$db" project create --name wasm-tests)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/debug/herald --database-url "$db" serve --listen "127.0.0.1:$port" --allow-origin '*' --push-service push.example --no-workers 2>"$dir/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
export HERALD_TEST_SERVER="http://127.0.0.1:$port"
export HERALD_TEST_PROJECT=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$project")
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT=120
echo "== wasm-bindgen-test in headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver cargo test -p herald-sdk --target wasm32-unknown-unknown
gecko=$(command -v geckodriver || true)
if [ -z "$gecko" ]; then
  echo "geckodriver is missing: run scripts/install-deps.sh --browsers" >&2
  exit 1
fi
echo "== wasm-bindgen-test in headless Firefox"
GECKODRIVER=$gecko cargo test -p herald-sdk --target wasm32-unknown-unknown
