#!/usr/bin/env bash
# Regenerate docs/img/dashboard.png: the demo dashboard in headless Chromium, 1280 px wide, full
# page, light colour scheme. The demo runs three times into one pages directory so the trend
# charts have more than one point.
# Usage: bash scripts/screenshot-dashboard.sh [out.png]   (default docs/img/dashboard.png)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="${1:-docs/img/dashboard.png}"
case "$out" in /*) ;; *) out="$root/$out" ;; esac
mkdir -p "$(dirname "$out")"

if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
cargo build -q --bin codex

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

for run in 1 2; do # two runs, then a third that serves
  cargo run -q --bin codex -- demo --out "$tmp/pages" >/dev/null 2>"$tmp/demo.err" || { cat "$tmp/demo.err" >&2; exit 1; }
  sleep 1.1 # run ids are per second
done
cargo run -q --bin codex -- demo --out "$tmp/pages" --serve --port 0 >"$tmp/demo.out" 2>"$tmp/demo.err" &
pid=$!
url=""
for _ in $(seq 1 300); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$tmp/demo.out" || true)
  if [ -n "$url" ] || ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.2
done
if [ -z "$url" ]; then
  cat "$tmp/demo.out" "$tmp/demo.err" >&2
  exit 1
fi
DASHBOARD_URL="$url" node tests/browser/screenshot.js "$out"
