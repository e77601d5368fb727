#!/usr/bin/env bash
# Runs the whole test suite: formatting, clippy, every Rust test on SQLite and
# PostgreSQL, the SDK build, and the end-to-end tests in real Firefox and
# Chromium. Without a postgres DATABASE_URL it starts a throw-away local
# PostgreSQL cluster and stops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --browsers
scripts/install-web-tools.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets -- -D warnings
cargo clippy -p herald-sdk --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy -p herald-sdk --target wasm32-unknown-unknown --lib --features standalone -- -D warnings

started_pg=""
cleanup() { [ -n "$started_pg" ] && scripts/postgres.sh stop || true; }
trap cleanup EXIT
if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  export HERALD_TEST_POSTGRES_URL="$DATABASE_URL"
else
  # Leave a cluster that was already running (scripts/postgres.sh start) as it was.
  [ -f .herald/pg-dir ] || started_pg=1
  export HERALD_TEST_POSTGRES_URL="$(scripts/postgres.sh start)"
fi
# The tests pick their own databases; a SQLite DATABASE_URL must not leak into them.
unset DATABASE_URL

echo "== cargo test (SQLite and PostgreSQL at ${HERALD_TEST_POSTGRES_URL})"
cargo test --workspace -- --skip crash_
echo "== crash tests (kill -9, SIGTERM, a lost node; figures printed)"
cargo build --bin herald
cargo test -p herald-bench --test crash -- --nocapture --test-threads 1

echo "== SDK build and browser tests"
npm run build
cargo build --bin herald --bin push-peer
scripts/wasm-test.sh
npm test
