#!/usr/bin/env bash
# The Action's install and run steps, tested for real on this machine with no network: builds
# codex, lays out a release (the host's real binaries packed by scripts/release/package.sh for
# its Linux target, small stand-ins for the other targets), serves it with
# scripts/release-server.py as GitHub serves release downloads, and runs action/install.sh and
# action/run.sh in simulated runner environments (RUNNER_OS/ARCH, tool cache, GITHUB_PATH,
# GITHUB_OUTPUT), then action.yml's steps through scripts/lib/run-composite.py. Prints the
# install figures.
#
# Usage: bash scripts/test-action.sh       (Linux x86_64 or aarch64; needs cargo, python3, curl)
# CARGO_TARGET_DIR is honoured (default target/); the source-build case reuses it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=scripts/release/lib.sh
. scripts/release/lib.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok: $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL: $*"; }
check() { # DESCRIPTION COMMAND...: ok when the command succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
now_ms() { date +%s%3N; }

case "$(uname -s)/$(uname -m)" in
Linux/x86_64) HOST_ARCH=X64 ;;
Linux/aarch64) HOST_ARCH=ARM64 ;;
*)
  echo "test-action: runs on Linux x86_64 or aarch64 (this is $(uname -s)/$(uname -m))" >&2
  exit 1
  ;;
esac
HOST_TARGET=$(codex_target Linux "$HOST_ARCH")
V=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"$/\1/p' Cargo.toml)
BINS="codex"
for f in crates/codex-cli/src/bin/codex-*.rs; do
  BINS="$BINS $(basename "$f" .rs)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/codex-action-test.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT

# The release build scripts/test-release.sh makes (or this one, alone): cargo install into a
# root under the target directory, whose artifacts the source-build case below reuses.
echo "== cargo install --locked --path crates/codex-cli --root $CARGO_TARGET_DIR/codex-install"
cargo install --locked --force --path crates/codex-cli --root "$CARGO_TARGET_DIR/codex-install" --quiet
HOST_BIN="$CARGO_TARGET_DIR/codex-install/bin"
"$HOST_BIN/codex" --version

echo "== a local release v$V"
REL="$T/releases/v$V"
mkdir -p "$REL"
# fake_archive TARGET: an archive of the release layout whose `codex` is a shell script
# printing its target (these cannot run here; they show which archive was installed).
fake_archive() {
  local target=$1 dir stage exe
  dir=$(codex_archive_dir "$V" "$target")
  exe=$(codex_exe_suffix "$target")
  stage="$T/stage/$target"
  mkdir -p "$stage/$dir"
  for b in $BINS; do
    printf '#!/bin/sh\necho "%s for %s"\n' "$b" "$target" >"$stage/$dir/$b$exe"
    chmod +x "$stage/$dir/$b$exe"
  done
  cp README.md LICENSE "$stage/$dir/"
  case "$(codex_archive_ext "$target")" in
  .zip) (cd "$stage" && python3 -m zipfile -c "$REL/$(codex_asset "$V" "$target")" "$dir") ;;
  *) tar -czf "$REL/$(codex_asset "$V" "$target")" -C "$stage" "$dir" ;;
  esac
}
# The host's archive holds the real binaries, packed as a release is (scripts/release/package.sh).
bash scripts/release/package.sh --target "$HOST_TARGET" --version "$V" --bin-dir "$HOST_BIN" --out "$REL"
while IFS= read -r target; do
  [ "$target" = "$HOST_TARGET" ] || fake_archive "$target"
done <<EOF
$CODEX_TARGETS
EOF
bash scripts/release/package.sh checksums --out "$REL"
for f in "$REL"/*; do printf '  %10s  %s\n' "$(wc -c <"$f")" "${f##*/}"; done

echo "== the local release server"
python3 scripts/release-server.py --dir "$T/releases" --port 0 --log "$T/requests.log" >"$T/port" &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(cat "$T/port")
BASE="http://127.0.0.1:$PORT/acme/codex/releases/download"
echo "  serving $T/releases at $BASE"
# Archives from a CODEX_RELEASE_BASE_URL are cached as codex-<digest of the URL>, never as the
# published `codex` (action/install.sh).
TOOL="codex-$(printf '%s' "$BASE" | sha256sum | cut -c1-12)"

# A PATH without cargo (for the "no toolchain" case).
NO_CARGO_PATH=""
IFS=: read -r -a path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  [ -x "$d/cargo" ] || NO_CARGO_PATH="${NO_CARGO_PATH:+$NO_CARGO_PATH:}$d"
done

# install NAME OS ARCH TOOLCACHE [VAR=VALUE...]: action/install.sh in a fresh simulated runner
# (a clean environment: nothing of this machine's own GITHUB_* reaches it). Sets R (the
# runner's directory), RC, MS; stdout+stderr in $R/log, outputs in $R/output, $R/path.
install() {
  local name=$1 os=$2 arch=$3 tc=$4 t0
  shift 4
  R="$T/runner-$name"
  mkdir -p "$R/temp" "$tc"
  : >"$R/path"
  : >"$R/output"
  : >"$T/requests.log"
  RC=0
  t0=$(now_ms)
  env -i PATH="$PATH" HOME="$HOME" ${CARGO_HOME:+CARGO_HOME="$CARGO_HOME"} \
    ${RUSTUP_HOME:+RUSTUP_HOME="$RUSTUP_HOME"} CARGO_TARGET_DIR="$CARGO_TARGET_DIR" \
    RUNNER_OS="$os" RUNNER_ARCH="$arch" RUNNER_TOOL_CACHE="$tc" RUNNER_TEMP="$R/temp" \
    GITHUB_PATH="$R/path" GITHUB_OUTPUT="$R/output" GITHUB_ACTION_PATH="$ROOT" \
    GITHUB_REPOSITORY=acme/codex CODEX_RELEASE_BASE_URL="$BASE" GH_TOKEN=s3cret-token-value \
    "$@" bash "$ROOT/action/install.sh" >"$R/log" 2>&1 || RC=$?
  MS=$(($(now_ms) - t0))
}
out() { sed -n "s/^$1=//p" "$R/output"; }
show_log() { sed 's/^/    | /' "$R/log"; }
empty_dir() { [ -z "$(find "$1" -mindepth 1 -print -quit 2>/dev/null)" ]; }
requested() { grep -q "^GET /acme/codex/releases/download/v$V/$1 302$" "$T/requests.log"; }

echo "== the right archive for each runner"
COLD_MS=""
for runner in Linux/X64 Linux/ARM64 macOS/X64 macOS/ARM64 Windows/X64; do
  os=${runner%/*}
  arch=${runner#*/}
  target=$(codex_target "$os" "$arch")
  asset=$(codex_asset "$V" "$target")
  exe=$(codex_exe_suffix "$target")
  lower=$(printf '%s' "$arch" | tr '[:upper:]' '[:lower:]')
  tc="$T/toolcache-$os-$arch"
  install "$os-$arch" "$os" "$arch" "$tc"
  bindir="$tc/$TOOL/$V/$lower"
  if [ "$RC" -eq 0 ] && [ "$(out source)" = download ] && [ "$(out version)" = "$V" ] &&
    [ "$(out bin-dir)" = "$bindir" ] && [ "$(cat "$R/path")" = "$bindir" ] &&
    requested "$asset" && requested "$CODEX_CHECKSUMS_FILE" &&
    grep -q "^GET /release-assets/[0-9a-f]*/$asset 200$" "$T/requests.log" &&
    [ -f "$tc/$TOOL/$V/$lower.complete" ] && [ ! -e "$tc/codex" ]; then
    ok "$runner: downloaded $asset (through the 302) into the tool cache, on PATH"
  else
    fail "$runner: expected $asset installed (rc=$RC)"
    show_log
  fi
  if [ "$target" = "$HOST_TARGET" ]; then
    COLD_MS=$MS
    all=yes
    for b in $BINS; do [ -x "$bindir/$b" ] || all=no; done
    check "$runner: the installed codex runs: $("$bindir/codex" --version 2>&1)" \
      test "$("$bindir/codex" --version 2>&1)" = "codex $V"
    check "$runner: codex and the seven components installed" test "$all" = yes
    HOST_TC=$tc
    HOST_BINDIR=$bindir
  else
    check "$runner: the installed codex$exe is $target's" \
      grep -q "codex for $target" "$bindir/codex$exe"
  fi
done

echo "== a second run is served from the tool cache"
install cached Linux "$HOST_ARCH" "$HOST_TC"
CACHED_MS=$MS
if [ "$RC" -eq 0 ] && [ "$(out source)" = cache ] && [ ! -s "$T/requests.log" ] &&
  [ "$(cat "$R/path")" = "$HOST_BINDIR" ]; then
  ok "cache hit: source=cache, no request to the server, same bin-dir on PATH"
else
  fail "second run not from the cache (rc=$RC, source=$(out source), $(wc -l <"$T/requests.log") requests)"
  show_log
fi
rm "$HOST_TC/$TOOL/$V/$(printf '%s' "$HOST_ARCH" | tr '[:upper:]' '[:lower:]').complete"
install half-cached Linux "$HOST_ARCH" "$HOST_TC"
check "a copy without its .complete marker is not trusted: downloaded again" \
  test "$RC/$(out source)" = "0/download"

echo "== refused: unsupported runner"
tc="$T/toolcache-unsupported"
install unsupported Linux ARM "$tc"
if [ "$RC" -eq 1 ] && [ "$(grep -c . "$R/log")" -eq 1 ] &&
  grep -q '^::error::.*Linux/ARM runners' "$R/log" && [ ! -s "$R/path" ] &&
  [ ! -s "$T/requests.log" ] && empty_dir "$tc"; then
  ok "Linux/ARM: one ::error:: line, exit 1, no request, nothing on PATH ($(cat "$R/log"))"
else
  fail "Linux/ARM not refused clearly (rc=$RC)"
  show_log
fi

echo "== refused: a tampered archive"
HOST_ASSET="$REL/$(codex_asset "$V" "$HOST_TARGET")"
cp "$HOST_ASSET" "$T/asset.orig"
printf 'x' >>"$HOST_ASSET"
tc="$T/toolcache-tampered"
install tampered Linux "$HOST_ARCH" "$tc"
if [ "$RC" -eq 1 ] && grep -q "^::error::.*checksum mismatch for $(basename "$HOST_ASSET")" "$R/log" &&
  [ ! -s "$R/path" ] && [ ! -s "$R/output" ] && empty_dir "$tc" && empty_dir "$R/temp"; then
  ok "tampered: refused before extraction; GITHUB_PATH empty, tool cache empty, temp files gone"
  sed -n 's/^/    /p' "$R/log"
else
  fail "tampered archive not refused cleanly (rc=$RC)"
  show_log
  find "$tc" "$R/temp" | sed 's/^/    left: /'
fi
cp "$T/asset.orig" "$HOST_ASSET"

echo "== refused: SHA256SUMS without a line for the asset"
cp "$REL/$CODEX_CHECKSUMS_FILE" "$T/sums.orig"
grep -v " $(basename "$HOST_ASSET")\$" "$T/sums.orig" >"$REL/$CODEX_CHECKSUMS_FILE"
tc="$T/toolcache-noline"
install noline Linux "$HOST_ARCH" "$tc"
if [ "$RC" -eq 1 ] && grep -q "^::error::.*has no line for $(basename "$HOST_ASSET")" "$R/log" &&
  [ ! -s "$R/path" ] && empty_dir "$tc"; then
  ok "no checksum line: refused ($(grep '::error::' "$R/log"))"
else
  fail "an asset without a checksum line was not refused (rc=$RC)"
  show_log
fi
cp "$T/sums.orig" "$REL/$CODEX_CHECKSUMS_FILE"

echo "== verify-attestation: gh attestation verify before extracting"
GH_FAKE="$T/fake-gh"
mkdir -p "$GH_FAKE"
cat >"$GH_FAKE/gh" <<'EOF'
#!/usr/bin/env bash
printf '%s\n' "$*" >>"$GH_ARGS_LOG"
if [ "$GH_FAKE_MODE" = refuse ]; then
  printf 'verification failed\n::error::injected \033[31mred\n' >&2
  exit 1
fi
echo "Loaded digest sha256:... for file://..."
EOF
chmod +x "$GH_FAKE/gh"
tc="$T/toolcache-nogh"
install nogh Linux "$HOST_ARCH" "$tc" CODEX_VERIFY_ATTESTATION=true PATH="$NO_CARGO_PATH"
if [ "$RC" -eq 1 ] && grep -q '^::error::.*gh) is not on PATH' "$R/log" && [ ! -s "$R/path" ] &&
  [ ! -s "$T/requests.log" ] && empty_dir "$tc"; then
  ok "no gh: refused before any request ($(grep '::error::' "$R/log"))"
else
  fail "verify-attestation without gh (rc=$RC)"
  show_log
fi
tc="$T/toolcache-attest-refused"
: >"$T/gh-args"
install attest-refused Linux "$HOST_ARCH" "$tc" CODEX_VERIFY_ATTESTATION=true PATH="$GH_FAKE:$PATH" \
  GH_FAKE_MODE=refuse GH_ARGS_LOG="$T/gh-args"
if [ "$RC" -eq 1 ] && grep -q '^::error::codex install: gh attestation verify refused' "$R/log" &&
  [ "$(grep -c '::error::' "$R/log")" -eq 1 ] && ! grep -q "$(printf '\033')" "$R/log" &&
  [ ! -s "$R/path" ] && empty_dir "$tc"; then
  ok "attestation refused: one line, gh's output defused, nothing installed ($(grep '::error::' "$R/log"))"
else
  fail "a refused attestation (rc=$RC)"
  show_log
fi
tc="$T/toolcache-attest-ok"
: >"$T/gh-args"
install attest-ok Linux "$HOST_ARCH" "$tc" CODEX_VERIFY_ATTESTATION=true PATH="$GH_FAKE:$PATH" \
  GH_FAKE_MODE=ok GH_ARGS_LOG="$T/gh-args" GITHUB_REPOSITORY=someone/caller
if [ "$RC" -eq 0 ] && [ "$(out source)" = download ] &&
  grep -qx "attestation verify .*/$(basename "$HOST_ASSET") --repo someone/caller" "$T/gh-args"; then
  ok "attestation verified: gh attestation verify <archive> --repo <the releases' repository>, then installed"
else
  fail "an accepted attestation (rc=$RC): $(cat "$T/gh-args")"
  show_log
fi

echo "== a missing asset"
mv "$HOST_ASSET" "$T/asset.moved"
tc="$T/toolcache-never"
install never Linux "$HOST_ARCH" "$tc" CODEX_BUILD_FROM_SOURCE=never
if [ "$RC" -eq 1 ] && grep -q '^::error::.*build-from-source is never' "$R/log" && [ ! -s "$R/path" ] &&
  grep -q "/$(basename "$HOST_ASSET") 404\$" "$T/requests.log" && empty_dir "$tc"; then
  ok "build-from-source never: refused ($(grep '::error::' "$R/log"))"
else
  fail "build-from-source never did not fail clearly (rc=$RC)"
  show_log
fi
tc="$T/toolcache-nocargo"
install nocargo Linux "$HOST_ARCH" "$tc" PATH="$NO_CARGO_PATH"
if [ "$RC" -eq 1 ] && grep -q '^::error::.*no cargo on PATH' "$R/log" && [ ! -s "$R/path" ] && empty_dir "$tc"; then
  ok "no toolchain: refused ($(grep '::error::' "$R/log"))"
else
  fail "a missing toolchain did not fail clearly (rc=$RC)"
  show_log
fi
tc="$T/toolcache-build"
install build Linux "$HOST_ARCH" "$tc"
BUILD_MS=$MS
built="$R/temp/codex-build/bin"
if [ "$RC" -eq 0 ] && [ "$(out source)" = build ] && [ "$(out bin-dir)" = "$built" ] &&
  [ "$(cat "$R/path")" = "$built" ] && [ "$("$built/codex" --version 2>&1)" = "codex $V" ] &&
  empty_dir "$tc"; then
  ok "auto: built from the action's sources with cargo install --locked: $("$built/codex" --version), not cached"
else
  fail "missing asset did not fall back to a source build (rc=$RC)"
  show_log
fi
mv "$T/asset.moved" "$HOST_ASSET"

echo "== bad input: one line, exit 2, before any request"
bad() { # WHAT VAR=VALUE...
  local what=$1
  shift
  install "bad-$RANDOM" Linux "$HOST_ARCH" "$T/toolcache-bad" "$@"
  if [ "$RC" -eq 2 ] && [ "$(grep -c . "$R/log")" -eq 1 ] && grep -q '^::error::' "$R/log" &&
    [ ! -s "$T/requests.log" ] && [ ! -s "$R/path" ]; then
    ok "$what: $(cat "$R/log")"
  else
    fail "$what: expected exit 2 and one line (rc=$RC)"
    show_log
  fi
}
bad "a version that is not one" 'CODEX_VERSION=1.0;touch x'
bad "an unknown build-from-source" CODEX_BUILD_FROM_SOURCE=sometimes
bad "plain http to another host" CODEX_RELEASE_BASE_URL=http://example.com/acme/codex/releases/download
bad "credentials are not echoed" CODEX_RELEASE_BASE_URL=ftp://user:s3cret-pw@127.0.0.1/x
if grep -rq 's3cret' "$T"/runner-*/log; then
  fail "a secret (token or URL password) reached the output"
else
  ok "neither the token nor a URL password appears in any output"
fi

echo "== the run step: words split, nothing evaluated"
FAKE="$T/fake-bin"
mkdir -p "$FAKE"
cat >"$FAKE/codex" <<'EOF'
#!/usr/bin/env bash
printf '[%s]\n' "$@"
printf 'repo=%s dry=%s\n' "${GITHUB_REPOSITORY:-}" "${CODEX_DRY_RUN:-}"
EOF
chmod +x "$FAKE/codex"
run_step() { # BIN_DIR COMMAND ARGS [DRY_RUN]: action/run.sh; sets RC, output in $T/run.out
  RC=0
  (cd "$T" && env -i PATH="$PATH" CODEX_BIN_DIR="$1" CODEX_COMMAND="$2" CODEX_ARGS="$3" \
    CODEX_REPO=acme/managed CODEX_DRY_RUN="${4:-true}" bash "$ROOT/action/run.sh") >"$T/run.out" 2>&1 || RC=$?
}
run_step "$FAKE" "diagnostics --repair" "--strict  -v"
check "command and args become words: diagnostics --repair --strict -v; repo and dry-run passed" \
  test "$(cat "$T/run.out")" = "$(printf '[diagnostics]\n[--repair]\n[--strict]\n[-v]\nrepo=acme/managed dry=true')"
run_step "$FAKE" "pipeline \$(touch $T/pwned) a;touch\${IFS}$T/pwned2 *" ""
if [ "$RC" -eq 0 ] && [ ! -e "$T/pwned" ] && [ ! -e "$T/pwned2" ] &&
  grep -qxF "[\$(touch]" "$T/run.out" && grep -qxF "[a;touch\${IFS}$T/pwned2]" "$T/run.out" &&
  grep -qxF '[*]' "$T/run.out"; then
  ok "\$(...), ';', \${IFS} and '*' reach codex as literal words, nothing executed or globbed"
else
  fail "the run step evaluated its input"
  sed 's/^/    | /' "$T/run.out"
fi
run_step "$FAKE" "$(printf 'diagnostics\n--repair')" ""
check "a newline separates words too" test "$(head -2 "$T/run.out")" = "$(printf '[diagnostics]\n[--repair]')"
for badcmd in "" "   " "Pipeline" "\$(id)" "-v" "../codex"; do
  run_step "$FAKE" "$badcmd" ""
  if [ "$RC" -eq 2 ] && grep -q '^::error::codex: command must start with a subcommand name' "$T/run.out" &&
    [ "$(grep -c . "$T/run.out")" -eq 1 ]; then
    ok "command \"$badcmd\" refused: exit 2, one line, codex not run"
  else
    fail "command \"$badcmd\" not refused (rc=$RC)"
    sed 's/^/    | /' "$T/run.out"
  fi
done
run_step "$FAKE" "pipeline" "" "yes"
check "dry-run other than true/false refused (it decides whether gh-pages is published)" \
  grep -q '^::error::codex: dry-run: expected true or false' "$T/run.out"
run_step "$HOST_BINDIR" "diagnostics --help" ""
check "the installed codex runs: command 'diagnostics --help' exits 0 and prints its usage" \
  grep -q 'Usage: codex diagnostics' "$T/run.out"
run_step "$HOST_BINDIR" "no-such-component" ""
check "an unknown subcommand is codex's own exit 2 (rc=$RC)" test "$RC" -eq 2

echo "== action.yml itself, its steps run as the runner runs them (scripts/lib/run-composite.py)"
if python3 -c 'import yaml' 2>/dev/null; then
  # shellcheck disable=SC2016 # a Python program
  if python3 -c 'import sys, yaml
steps = yaml.safe_load(open(sys.argv[1]))["runs"]["steps"]
sys.exit(any("${{" in s.get("run", "") or s.get("shell") != "bash" for s in steps))' action.yml; then
    ok "every step of action.yml is shell: bash with no \${{ }} inside run: (inputs go through env:)"
  else
    fail "a step of action.yml is not shell: bash or has an expression inside run:"
  fi
  # The managed repository's gh-pages lives in a local bare repository: GITHUB_SERVER_URL/REPO.git
  git init --quiet --bare "$T/server/acme/managed.git"
  composite() { # NAME INPUT=VALUE...: action.yml in a simulated job; RC, summary in $T/$NAME.json
    local name=$1
    shift
    local args=() i
    for i in "$@"; do args+=(--input "$i"); done
    mkdir -p "$T/job-$name/temp"
    RC=0
    (cd "$T/job-$name" && env -i PATH="$PATH" HOME="$HOME" RUNNER_OS=Linux RUNNER_ARCH="$HOST_ARCH" \
      RUNNER_TOOL_CACHE="$T/toolcache-job" RUNNER_TEMP="$T/job-$name/temp" \
      GITHUB_SERVER_URL="file://$T/server" GITHUB_REPOSITORY=acme/caller GITHUB_TOKEN=s3cret-job-token \
      GITHUB_RUN_ID=4242 CODEX_RELEASE_BASE_URL="$BASE" \
      python3 "$ROOT/scripts/lib/run-composite.py" "$ROOT/action.yml" --summary "$T/$name.json" \
      ${args[@]+"${args[@]}"}) >"$T/$name.log" 2>&1 || RC=$?
  }
  outcome() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(s["outcome"] for s in d["steps"]))' "$T/$1.json"; }
  output() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["outputs"][sys.argv[2]])' "$T/$1.json" "$2"; }
  pages_log() { git --git-dir="$T/server/acme/managed.git" log --format=%s gh-pages 2>/dev/null; }

  composite run1 command=telemetry-merge repo=acme/managed pages-history-days=30
  if [ "$RC" -eq 0 ] && [ "$(outcome run1)" = "success success success success success" ] &&
    [ "$(output run1 source)" = download ] &&
    [ "$(pages_log)" = "codex telemetry-merge run 4242" ] &&
    git --git-dir="$T/server/acme/managed.git" cat-file -e gh-pages:dashboard/dashboard.json; then
    ok "install, gh-pages checkout, codex telemetry-merge, publish, squash: dashboard.json on acme/managed's gh-pages"
  else
    fail "the composite action did not run through (rc=$RC, steps: $(outcome run1 2>/dev/null))"
    sed 's/^/    | /' "$T/run1.log"
  fi
  composite run2 command=telemetry-merge repo=acme/managed dry-run=true
  if [ "$RC" -eq 0 ] && [ "$(outcome run2)" = "success success success skipped skipped" ] &&
    [ "$(output run2 source)" = cache ] && [ "$(pages_log | wc -l)" -eq 1 ]; then
    ok "dry-run: served from the tool cache, nothing published"
  else
    fail "dry-run (rc=$RC, steps: $(outcome run2 2>/dev/null))"
    sed 's/^/    | /' "$T/run2.log"
  fi
  composite run3 command=no-such-component repo=acme/managed
  if [ "$RC" -eq 1 ] && [ "$(outcome run3)" = "success success failure success skipped" ]; then
    ok "a failed run still publishes (if: always()); the action fails"
  else
    fail "a failed run (rc=$RC, steps: $(outcome run3 2>/dev/null))"
    sed 's/^/    | /' "$T/run3.log"
  fi
  composite run4 command=telemetry-merge repo=acme/nowhere pages-history-days=7
  if [ "$RC" -eq 1 ] && [ "$(outcome run4)" = "success failure skipped skipped skipped" ]; then
    ok "gh-pages of a repository that cannot be reached: the action fails before running codex"
  else
    fail "unreachable gh-pages (rc=$RC, steps: $(outcome run4 2>/dev/null))"
    sed 's/^/    | /' "$T/run4.log"
  fi
  composite run5 command=telemetry-merge repo=acme/managed pages=false build-from-source=sometimes
  if [ "$RC" -eq 1 ] && [ "$(outcome run5)" = "failure skipped skipped skipped skipped" ] &&
    grep -q '^::error::codex install: build-from-source' "$T/run5.log"; then
    ok "a bad input stops the action at the install step"
  else
    fail "bad input (rc=$RC, steps: $(outcome run5 2>/dev/null))"
    sed 's/^/    | /' "$T/run5.log"
  fi
  # A GitHub App: its id and key reach codex as CODEX_APP_*, the job token (the default
  # `token`) does not (a token beside an App would be refused as "both"), and the key is shown
  # nowhere. A key that is not one stops codex with exit 2 naming CODEX_APP_PRIVATE_KEY.
  composite run6 command=project-sync repo=acme/managed pages=false app-id=12345 \
    "app-private-key=$(printf -- '-----BEGIN RSA PRIVATE KEY-----\nS3cretKeyBodyLine0123456789\n-----END RSA PRIVATE KEY-----')"
  if [ "$RC" -eq 1 ] && [ "$(outcome run6)" = "success skipped failure skipped skipped" ] &&
    grep -q 'CODEX_APP_PRIVATE_KEY' "$T/run6.log" && ! grep -qi 'both\|GH_CI_PAT' "$T/run6.log" &&
    ! grep -q 'S3cretKeyBody' "$T/run6.log"; then
    ok "app-id and app-private-key reach codex as CODEX_APP_*, without the job token; the key is not shown"
  else
    fail "the App inputs (rc=$RC, steps: $(outcome run6 2>/dev/null))"
    sed 's/^/    | /' "$T/run6.log"
  fi
  if grep -q 's3cret' "$T"/run*.log; then fail "the job token appeared in the action's output"; else ok "the job token never appears in the action's output"; fi
else
  echo "  skipped: PyYAML is not installed (python3 -m pip install pyyaml)"
fi

echo "== figures"
printf '  figures cold-install(local server, %s)=%d.%03ds cached-install=%d.%03ds source-build(warm target dir)=%d.%03ds\n' \
  "$(du -h "$HOST_ASSET" | cut -f1)" $((COLD_MS / 1000)) $((COLD_MS % 1000)) \
  $((CACHED_MS / 1000)) $((CACHED_MS % 1000)) $((BUILD_MS / 1000)) $((BUILD_MS % 1000))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
