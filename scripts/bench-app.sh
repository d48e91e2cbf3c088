#!/usr/bin/env bash
# bench-app.sh: what a GitHub App run costs beyond a token run. Runs `codex pipeline` on the
# demo sandbox three times, each on a fresh sandbox: with a token, with an App (a key the
# sandbox generates, as GitHub does), and with an App whose installation tokens live 10 minutes
# while the sandbox's clock moves 30 s a request (a token replaced every ten requests). Prints
# the sandbox's counts for each: requests, writes, JWT requests, installation tokens minted,
# 401s.
#
# Usage: bash scripts/bench-app.sh [--no-build]   (needs cargo, curl, python3)
# CARGO_TARGET_DIR is honoured (default target/); the debug build is used.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ "${1:-}" != --no-build ]; then
  cargo build --quiet --locked -p codex-cli -p codex-sandbox --bins
fi
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
ADMIN=ghp_itadmin000000000000000000000000000000

# run LABEL MODE [sandbox flags...]: one pipeline on a fresh sandbox; prints one line.
run() {
  local label=$1 mode=$2
  shift 2
  local dir pid url
  dir=$(mktemp -d)
  "$BIN/codex-sandbox" serve --app-id 42 --app-private-key-out "$dir/key.pem" "$@" >"$dir/url" 2>"$dir/err" &
  pid=$!
  for _ in $(seq 100); do [ -s "$dir/url" ] && break; sleep 0.1; done
  url=$(head -1 "$dir/url" | grep -o 'http://[^ ]*')
  local env=(env -i PATH="$PATH" GITHUB_REPOSITORY=acme/widgets GITHUB_API_URL="$url"
    CODEX_PAGES_DIR="$dir/pages" GITHUB_RUN_ID=bench-app)
  if [ "$mode" = token ]; then
    "${env[@]}" GH_CI_PAT="$ADMIN" "$BIN/codex" pipeline >"$dir/out" 2>&1
  else
    "${env[@]}" CODEX_APP_ID=42 CODEX_APP_PRIVATE_KEY_FILE="$dir/key.pem" "$BIN/codex" pipeline >"$dir/out" 2>&1
  fi
  curl -s "$url/_sandbox/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
a = s.get("app", {})
print("  %-34s requests=%-4d writes=%-4d jwt=%-3d tokens=%-3d 401s=%d" % (
    sys.argv[1], s["requests"], s["writes"], a.get("jwt_requests", 0), a.get("tokens_issued", 0),
    s["by_status"].get("401", 0)))' "$label"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

echo "codex pipeline on the demo sandbox (acme/widgets):"
run "token (GH_CI_PAT)" token
run "App, tokens of an hour" app
run "App, 10-min tokens, clock +30 s/req" app --installation-token-ttl-secs 600 --clock-step-secs 30
