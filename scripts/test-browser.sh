#!/usr/bin/env bash
# The dashboard's tests in a real browser: `codex demo` writes the pages tree, `codex demo --serve`
# serves <out>/dashboard on 127.0.0.1, and Node's test runner drives Debian's headless Chromium
# through playwright-core (no browser download) over it.
# Usage: bash scripts/test-browser.sh   (installs chromium with apt-get when /usr/bin/chromium is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=scripts/lib/demo-browser.sh
. scripts/lib/demo-browser.sh

ensure_browser
echo "== cargo test --workspace --no-run (the codex binary the Rust tests use)"
build_codex

pages=$(mktemp -d)
echo "== codex demo --out $pages --serve --port 0"
serve_demo "$pages"

echo "== node --test tests/browser/ (dashboard at $DEMO_URL)"
DASHBOARD_URL="$DEMO_URL" DASHBOARD_SERVER=codex node --test "$root/tests/browser/"
