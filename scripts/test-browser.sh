#!/usr/bin/env bash
# The dashboard's tests in a real browser: `codex demo` writes the pages tree, `codex demo --serve`
# serves <out>/dashboard on 127.0.0.1, and Node's test runner drives Debian's headless Chromium
# through playwright-core (no browser download) over it.
# Usage: bash scripts/test-browser.sh   (installs chromium with apt-get when /usr/bin/chromium is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

need() { command -v "$1" >/dev/null 2>&1; }

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (Debian package)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
if ! need node || ! need npm; then
  echo "node and npm are needed (Node 20 or newer)" >&2
  exit 1
fi

echo "== npm ci (tests/browser)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

echo "== cargo build --bin codex"
cargo build --bin codex

tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== codex demo --out $tmp/pages --serve --port 0"
cargo run -q --bin codex -- demo --out "$tmp/pages" --serve --port 0 >"$tmp/demo.out" 2>"$tmp/demo.err" &
pid=$!
url=""
for _ in $(seq 1 300); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$tmp/demo.out" || true)
  if [ -n "$url" ]; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.2
done
if [ -z "$url" ]; then
  echo "codex demo --serve did not start serving:" >&2
  cat "$tmp/demo.out" "$tmp/demo.err" >&2
  exit 1
fi
cat "$tmp/demo.out"

echo "== node --test tests/browser/ (dashboard at $url)"
DASHBOARD_URL="$url" DASHBOARD_SERVER=codex node --test "$root/tests/browser/"
