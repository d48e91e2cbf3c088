# Shared by test-browser.sh and screenshot-dashboard.sh (source it; it defines functions only).
# Debian's Chromium (installed when missing), the pinned playwright-core, and a `codex demo`
# serving its dashboard on a free port of 127.0.0.1, stopped when the calling script exits.

# Install Debian's chromium when /usr/bin/chromium is missing, then the browser tests' packages.
ensure_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "== installing chromium (Debian package)"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node and npm are needed (Node 20 or newer)" >&2
    return 1
  fi
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
}

# build_codex: the debug `codex`, built as the Rust tests build it, its path in CODEX_BIN.
# `cargo test --no-run` resolves features with the dev-dependencies, as scripts/check.sh's build
# did, so after it this compiles nothing; `cargo build --bin codex` alone resolves them without
# and rebuilds a good part of the tree (2 minutes of CI's 2 cores).
build_codex() {
  cargo test --workspace --no-run --locked --quiet
  CODEX_BIN="${CARGO_TARGET_DIR:-target}/debug/codex"
  case "$CODEX_BIN" in /*) ;; *) CODEX_BIN="$(pwd)/$CODEX_BIN" ;; esac
}

# serve_demo DIR: run `$CODEX_BIN demo --out DIR --serve --port 0` (build_codex first) in the
# background and set DEMO_URL to the dashboard's address. The server is stopped when the script
# exits.
serve_demo() {
  local out="$1" log
  log=$(mktemp -d)
  "${CODEX_BIN:?build_codex first}" demo --out "$out" --serve --port 0 >"$log/demo.out" 2>"$log/demo.err" &
  DEMO_PID=$!
  trap 'stop_demo' EXIT
  DEMO_URL=""
  for _ in $(seq 1 300); do
    # the "Serving the dashboard at" line: the table above it links issues on the sandbox
    DEMO_URL=$(sed -n 's|^Serving the dashboard at \(http://127\.0\.0\.1:[0-9]*/\).*|\1|p' "$log/demo.out")
    if [ -n "$DEMO_URL" ] || ! kill -0 "$DEMO_PID" 2>/dev/null; then break; fi
    sleep 0.2
  done
  if [ -z "$DEMO_URL" ]; then
    echo "codex demo --serve did not start serving:" >&2
    cat "$log/demo.out" "$log/demo.err" >&2
    return 1
  fi
  cat "$log/demo.out"
}

stop_demo() {
  if [ -n "${DEMO_PID:-}" ] && kill -0 "$DEMO_PID" 2>/dev/null; then
    kill -INT "$DEMO_PID" 2>/dev/null || true
    wait "$DEMO_PID" 2>/dev/null || true
  fi
}
