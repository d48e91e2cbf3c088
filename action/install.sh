#!/usr/bin/env bash
# install.sh: put Codex's binaries on PATH for the rest of the job (action.yml's first step).
#
# Downloads the release archive for the runner's OS and architecture, verifies its SHA-256
# against the release's SHA256SUMS BEFORE extracting anything (optionally its build-provenance
# attestation with `gh attestation verify`), keeps it in the runner's tool cache
# ($RUNNER_TOOL_CACHE/codex/{VERSION}/{arch}/ + {arch}.complete, the @actions/tool-cache layout;
# codex-<digest> instead of codex for a CODEX_RELEASE_BASE_URL)
# and appends its directory to $GITHUB_PATH. A version without a release asset is built from
# the action's own sources with `cargo install --locked` (build-from-source: auto | always);
# a build is not cached. Any failure: one `::error::` line, exit 1 (2 for bad input), nothing
# on $GITHUB_PATH, nothing left in the tool cache.
#
# Environment (action.yml passes its inputs this way; docs/CONTRACT.md section 9):
#   CODEX_VERSION             release to install, e.g. 1.0.0 or v1.0.0; empty = the
#                             `[workspace.package] version` of the action's own Cargo.toml
#   CODEX_BUILD_FROM_SOURCE   auto (default) | always | never
#   CODEX_VERIFY_ATTESTATION  true | false (default)
#   CODEX_RELEASE_BASE_URL    download base; else $GITHUB_SERVER_URL/OWNER/REPO/releases/download
#   CODEX_ACTION_REPOSITORY   OWNER/REPO whose releases are used; else taken from the action's
#                             path (.../_actions/OWNER/REPO/REF), else $GITHUB_REPOSITORY
#   ACTION_PATH               the action's checkout (github.action_path); else $GITHUB_ACTION_PATH
#   GH_TOKEN                  only for `gh attestation verify`; never printed
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT (runner)
# Outputs (GITHUB_OUTPUT): version, source (download | cache | build), bin-dir.
#
# Portable bash: also runs under macOS's bash 3.2 and Git Bash on Windows runners.
set -euo pipefail
export LC_ALL=C

err() {
  echo "::error::codex install: $*"
  exit 1
}
bad_input() {
  echo "::error::codex install: $*"
  exit 2
}
note() { echo "codex install: $*"; }

# sanitize: text that came from outside (a server, a tool) as one harmless line: printable
# characters only, no workflow command (`::`), at most 200 characters.
sanitize() {
  printf '%s' "$1" | tr -c '[:print:]' ' ' | sed 's/::/: :/g' | cut -c1-200
}
# redact_url: a URL as it may be printed: no user:password@, no query, no fragment.
redact_url() {
  sanitize "$1" | sed -e 's#^\([A-Za-z][A-Za-z0-9+.-]*://\)[^/@]*@#\1#' -e 's/[?#].*$//'
}

ACTION_PATH=${ACTION_PATH:-${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}}
LIB="$ACTION_PATH/scripts/release/lib.sh"
[ -f "$LIB" ] || err "the action's checkout has no scripts/release/lib.sh (ACTION_PATH=$(sanitize "$ACTION_PATH"))"
# shellcheck source=scripts/release/lib.sh
. "$LIB"

for v in RUNNER_TEMP RUNNER_TOOL_CACHE RUNNER_OS RUNNER_ARCH; do
  eval "val=\${$v:-}"
  # shellcheck disable=SC2154 # set by the eval above
  [ -n "$val" ] || bad_input "$v is not set (this script runs inside a GitHub Actions job)"
done
GITHUB_PATH=${GITHUB_PATH:-/dev/null}
GITHUB_OUTPUT=${GITHUB_OUTPUT:-/dev/null}

# --- inputs -----------------------------------------------------------------------------------

# cargo_field SECTION KEY: a string value from the action's Cargo.toml (`key = "value"`).
cargo_field() {
  awk -v section="[$1]" -v key="$2" '
    /^[[:space:]]*\[/ { in_section = ($0 ~ "^[[:space:]]*\\" section "[[:space:]]*$") ; next }
    in_section && $0 ~ "^[[:space:]]*" key "[[:space:]]*=" {
      sub(/^[^=]*=[[:space:]]*"/, ""); sub(/".*$/, ""); print; exit
    }' "$ACTION_PATH/Cargo.toml"
}

OWN_VERSION=$(cargo_field workspace.package version)
VERSION=${CODEX_VERSION:-}
VERSION=${VERSION#v}
[ -n "$VERSION" ] || VERSION=$OWN_VERSION
case "$VERSION" in
'' | *[!0-9A-Za-z.+-]* | [!0-9]*) bad_input "version: expected a release version like 1.0.0, got \"$(sanitize "${CODEX_VERSION:-$VERSION}")\"" ;;
esac

BUILD=${CODEX_BUILD_FROM_SOURCE:-auto}
case "$BUILD" in
auto | always | never) ;;
*) bad_input "build-from-source: expected auto, always or never, got \"$(sanitize "$BUILD")\"" ;;
esac
ATTEST=${CODEX_VERIFY_ATTESTATION:-false}
case "$ATTEST" in
true | false) ;;
*) bad_input "verify-attestation: expected true or false, got \"$(sanitize "$ATTEST")\"" ;;
esac
if [ "$ATTEST" = true ] && ! command -v gh >/dev/null 2>&1; then
  err "verify-attestation is true but the GitHub CLI (gh) is not on PATH"
fi

TARGET=$(codex_target "$RUNNER_OS" "$RUNNER_ARCH") ||
  err "no Codex release for $(sanitize "$RUNNER_OS")/$(sanitize "$RUNNER_ARCH") runners (released for Linux X64/ARM64, macOS X64/ARM64, Windows X64)"
ARCH=$(printf '%s' "$RUNNER_ARCH" | tr '[:upper:]' '[:lower:]')
EXE=$(codex_exe_suffix "$TARGET")
ASSET=$(codex_asset "$VERSION" "$TARGET")
TOP=$(codex_archive_dir "$VERSION" "$TARGET")

# The repository whose releases are used.
REPO=${CODEX_ACTION_REPOSITORY:-}
if [ -z "$REPO" ]; then
  # github.action_repository is empty inside composite actions (actions/runner#2525); the
  # runner checks an action out at .../_actions/OWNER/REPO/REF (D:\a\_actions\... on Windows).
  ap=$(printf '%s' "$ACTION_PATH" | tr '\134' '/') # \134: a backslash
  case "$ap" in
  */_actions/*/*/*)
    rest=${ap##*/_actions/}
    owner=${rest%%/*}
    rest=${rest#*/}
    REPO="$owner/${rest%%/*}"
    ;;
  esac
fi
[ -n "$REPO" ] || REPO=${GITHUB_REPOSITORY:-}
case "$REPO" in
[A-Za-z0-9]*/[A-Za-z0-9._-]*) case "$REPO" in */*/* | *[!A-Za-z0-9._/-]*) REPO="" ;; esac ;;
*) REPO="" ;;
esac
[ -n "$REPO" ] || REPO=$(cargo_field workspace.package repository | sed 's#^https://github.com/##')

BASE=${CODEX_RELEASE_BASE_URL:-${GITHUB_SERVER_URL:-https://github.com}/$REPO/releases/download}
BASE=${BASE%/}
# Plain http only for a loopback server (tests); https otherwise; file:// for local releases.
case "$BASE" in
https://*) PROTO="=https" ;;
file://*) PROTO="=file" ;;
http://127.0.0.1 | http://127.0.0.1[:/]* | http://localhost | http://localhost[:/]* | http://\[::1\]*) PROTO="=http" ;;
*) bad_input "CODEX_RELEASE_BASE_URL: expected https://, file:// or a loopback http:// URL, got \"$(redact_url "$BASE")\"" ;;
esac

# --- the tool cache -----------------------------------------------------------------------------

# sha256 FILE: the lowercase hex digest.
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum -- "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  fi
}

# The published releases are cached as the tool `codex`; archives from another base URL (a local
# release, a test server) as `codex-<digest of that URL>`, so that on a self-hosted runner,
# whose tool cache outlives the job, they are never served later in place of the published ones.
TOOL=codex
if [ -n "${CODEX_RELEASE_BASE_URL:-}" ]; then
  BASE_ID="$RUNNER_TEMP/codex-base-id.$$"
  printf '%s' "$BASE" >"$BASE_ID"
  TOOL="codex-$(sha256 "$BASE_ID" | cut -c1-12)"
  rm -f "$BASE_ID"
fi
CACHE_PARENT="$RUNNER_TOOL_CACHE/$TOOL/$VERSION"
CACHE_DIR="$CACHE_PARENT/$ARCH"

# win_path DIR: the form GITHUB_PATH wants on a Windows runner (Git Bash), DIR elsewhere.
win_path() {
  if command -v cygpath >/dev/null 2>&1; then cygpath -w "$1"; else printf '%s\n' "$1"; fi
}

finish() { # SOURCE BIN_DIR VERSION
  local dir
  dir=$(win_path "$2")
  printf '%s\n' "$dir" >>"$GITHUB_PATH"
  {
    printf 'version=%s\n' "$3"
    printf 'source=%s\n' "$1"
    printf 'bin-dir=%s\n' "$dir"
  } >>"$GITHUB_OUTPUT"
  note "codex $3 for $TARGET from $1: $dir"
  exit 0
}

if [ "$BUILD" != always ] && [ -f "$CACHE_PARENT/$ARCH.complete" ] && [ -f "$CACHE_DIR/codex$EXE" ]; then
  finish cache "$CACHE_DIR" "$VERSION"
fi

# --- download and verify ------------------------------------------------------------------------

TMP=$(mktemp -d "$RUNNER_TEMP/codex-install.XXXXXX")
STAGE=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  rm -rf "$TMP"
  if [ -n "$STAGE" ]; then rm -rf "$STAGE"; fi
  # an empty version directory left by a failed install goes too
  rmdir "$CACHE_PARENT" "$RUNNER_TOOL_CACHE/$TOOL" 2>/dev/null || true
}
trap cleanup EXIT

# fetch URL FILE: 0 downloaded, 3 not there (404 / no such file), 1 another failure.
# Never prints what the server sent; prints the URL without credentials.
fetch() {
  local code rc=0
  code=$(curl --silent --fail --location --proto "$PROTO" --proto-redir "$PROTO" \
    --connect-timeout 20 --max-time 300 --retry 3 --retry-delay 2 \
    --write-out '%{http_code}' --output "$2" "$1" 2>/dev/null) || rc=$?
  [ "$rc" -ne 0 ] || return 0
  rm -f "$2"
  case "$rc/$code" in
  22/404 | 37/*) return 3 ;;
  esac
  note "download of $(redact_url "$1") failed (curl exit $rc, HTTP $(sanitize "${code:-none}"))"
  return 1
}

build_from_source() { # WHY
  [ "$BUILD" != never ] ||
    err "$1, and build-from-source is never: no codex $VERSION for $TARGET"
  [ "$VERSION" = "$OWN_VERSION" ] ||
    err "$1; the action's sources are version $OWN_VERSION, not $VERSION: use the action at the v$VERSION ref or version: $OWN_VERSION"
  command -v cargo >/dev/null 2>&1 ||
    err "$1, and there is no cargo on PATH to build codex $VERSION from the action's sources (install a Rust toolchain first, or use a released version)"
  local root="$RUNNER_TEMP/codex-build"
  note "$1: building codex $VERSION from the action's sources (cargo install --locked)"
  rm -rf "$root"
  CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$RUNNER_TEMP/codex-build-target} \
    cargo install --locked --path "$ACTION_PATH/crates/codex-cli" --root "$root" --bins ||
    err "cargo install --locked of codex $VERSION from the action's sources failed"
  [ -f "$root/bin/codex$EXE" ] || err "cargo install produced no codex$EXE in $root/bin"
  finish build "$root/bin" "$VERSION"
}

[ "$BUILD" != always ] || build_from_source "build-from-source is always"

BASE_SHOWN=$(redact_url "$BASE")
# release_file NAME: download the release's file NAME into $TMP; a missing one (404) means this
# version has no release for this runner: build from source (or fail, per build-from-source).
release_file() {
  local rc=0
  fetch "$BASE/v$VERSION/$1" "$TMP/$1" || rc=$?
  case "$rc" in
  0) ;;
  3) build_from_source "release v$VERSION has no $1 at $BASE_SHOWN" ;;
  *) err "could not download $1 of v$VERSION from $BASE_SHOWN" ;;
  esac
}
release_file "$CODEX_CHECKSUMS_FILE"
release_file "$ASSET"

# Exactly one digest for the asset ("<hex>  NAME" or "<hex> *NAME"), else refuse.
want=$(awk -v a="$ASSET" '$2 == a || $2 == "*" a { print tolower($1) }' "$TMP/$CODEX_CHECKSUMS_FILE" | sort -u)
case "$want" in
'') err "$CODEX_CHECKSUMS_FILE of v$VERSION has no line for $ASSET: refusing to install it" ;;
*[!0-9a-f]*) err "$CODEX_CHECKSUMS_FILE of v$VERSION has no single well-formed SHA-256 for $ASSET: refusing to install it" ;;
esac
[ "${#want}" -eq 64 ] || err "$CODEX_CHECKSUMS_FILE of v$VERSION has a malformed SHA-256 for $ASSET: refusing to install it"
got=$(sha256 "$TMP/$ASSET")
[ "$got" = "$want" ] ||
  err "checksum mismatch for $ASSET: SHA-256 $got, $CODEX_CHECKSUMS_FILE says $want; nothing installed"
note "$ASSET: SHA-256 $got matches $CODEX_CHECKSUMS_FILE"

if [ "$ATTEST" = true ]; then
  if ! gh attestation verify "$TMP/$ASSET" --repo "$REPO" >"$TMP/attestation.log" 2>&1; then
    err "gh attestation verify refused $ASSET for $REPO: $(sanitize "$(tail -n 1 "$TMP/attestation.log")")"
  fi
  note "$ASSET: build-provenance attestation of $REPO verified"
fi

# --- extract into the tool cache ----------------------------------------------------------------

# Every entry must sit under the one top directory, with no `..` component.
case "$ASSET" in
*.zip)
  command -v unzip >/dev/null 2>&1 || err "unzip is not on PATH: cannot open $ASSET"
  list=$(unzip -Z1 "$TMP/$ASSET") || err "$ASSET is not a readable zip archive"
  ;;
*) list=$(tar -tzf "$TMP/$ASSET") || err "$ASSET is not a readable tar.gz archive" ;;
esac
while IFS= read -r entry; do
  case "$entry" in
  "$TOP" | "$TOP"/*) ;;
  *) err "$ASSET holds $(sanitize "$entry") outside $TOP/: refusing to extract it" ;;
  esac
  case "/$entry/" in
  */../*) err "$ASSET holds a path with '..': refusing to extract it" ;;
  esac
done <<EOF
$list
EOF

mkdir -p "$CACHE_PARENT"
STAGE=$(mktemp -d "$CACHE_PARENT/.$ARCH.tmp.XXXXXX")
case "$ASSET" in
*.zip) unzip -q "$TMP/$ASSET" -d "$STAGE" || err "could not extract $ASSET" ;;
*) tar -xzf "$TMP/$ASSET" -C "$STAGE" || err "could not extract $ASSET" ;;
esac
[ -f "$STAGE/$TOP/codex$EXE" ] || err "$ASSET has no $TOP/codex$EXE"

# Same layout and order as @actions/tool-cache: drop a stale copy and its marker, move the new
# one in (a rename on the same file system), write the marker last.
rm -f "$CACHE_PARENT/$ARCH.complete"
rm -rf "$CACHE_DIR"
mv "$STAGE/$TOP" "$CACHE_DIR" || err "could not move codex $VERSION into the tool cache"
: >"$CACHE_PARENT/$ARCH.complete"
finish download "$CACHE_DIR" "$VERSION"
