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

# serve_demo DIR: run `codex demo --out DIR --serve --port 0` in the background and set
# DEMO_URL to the dashboard's address. The server is stopped when the script exits.
serve_demo() {
  local out="$1" log
  log=$(mktemp -d)
  cargo run -q --bin codex -- demo --out "$out" --serve --port 0 >"$log/demo.out" 2>"$log/demo.err" &
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
