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
# shellcheck source=scripts/lib/demo-browser.sh
. scripts/lib/demo-browser.sh

ensure_browser
build_codex

pages=$(mktemp -d)
for _ in 1 2; do # two runs, then a third that serves
  "$CODEX_BIN" demo --out "$pages" >/dev/null 2>"$pages.log" || { cat "$pages.log" >&2; exit 1; }
  sleep 1.1 # run ids are per second
done
serve_demo "$pages" >/dev/null
DASHBOARD_URL="$DEMO_URL" node tests/browser/screenshot.js "$out"
