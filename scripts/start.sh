#!/usr/bin/env bash
# Installs what is needed, builds Herald, and starts `herald serve` on the
# SQLite default (herald.db here), serving the demo site and the SDK build.
# On the first run it creates a demo project and keeps its keys in
# .herald/demo-project.json; every run prints the URL, project id and token.
#   HERALD_LISTEN (default 127.0.0.1:8080) changes the address.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --bin herald
if [ -f package.json ] && grep -q '"build"' package.json; then
  scripts/build-web.sh
fi
HERALD=target/release/herald
"$HERALD" migrate
mkdir -p .herald
if [ ! -s .herald/demo-project.json ]; then
  "$HERALD" project create --name "Demo shop" > .herald/demo-project.json.tmp
  mv .herald/demo-project.json.tmp .herald/demo-project.json
fi
LISTEN="${HERALD_LISTEN:-127.0.0.1:8080}"
python3 - "$LISTEN" <<'PY'
import json, sys
p = json.load(open(".herald/demo-project.json"))
print(f"Herald is starting: the demo shop on http://{sys.argv[1]}/, the console on http://{sys.argv[1]}/admin")
print(f"  demo project id: {p['id']}")
print(f"  API token:       {p['api_token']}")
print("  (all keys: .herald/demo-project.json)")
PY
PROJECT=$(python3 -c 'import json; print(json.load(open(".herald/demo-project.json"))["id"])')
exec "$HERALD" serve --listen "$LISTEN" --allow-origin "http://$LISTEN" --demo "$PROJECT"
