#!/usr/bin/env bash
# Pack one release archive of Codex, or write the checksums file over all of them.
#
#   package.sh --target TARGET --version V --bin-dir DIR --out OUT [options]
#       OUT/codex-V-TARGET.tar.gz (.zip for Windows targets) holding codex-V-TARGET/ with the
#       codex-cli crate's binaries (names from `cargo metadata`), README.md, LICENSE and
#       CHANGELOG.md; and OUT/codex-V-TARGET.tar.gz.sha256 ("<sha256>  <asset>").
#     --mtime EPOCH             every entry's time (default: $SOURCE_DATE_EPOCH, else the
#                               commit time of HEAD, else 1980-01-01)
#     --allow-version-mismatch  V need not equal codex-cli's version in Cargo.toml
#     --allow-unlisted-target   TARGET need not be one of CODEX_TARGETS (tests pack the host's
#                               binaries under their own triple)
#   package.sh version
#       print codex-cli's version from `cargo metadata` (the release workflow's plan job)
#   package.sh checksums --out OUT
#       OUT/SHA256SUMS over every codex-*.tar.gz / codex-*.zip in OUT, sorted by name; where an
#       archive's .sha256 file is present it must agree.
#
# Bad usage (an unknown option or target, a missing binary or file, a version that is not the
# crate's): one line on stderr, exit 2. Deterministic where cheap: sorted entries, one mtime,
# owner 0 (scripts/release/archive.py). Portable: bash 3.2 (macOS), Git Bash (Windows).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$HERE/lib.sh"

usage_error() {
  echo "package.sh: $*" >&2
  exit 2
}

fail() {
  echo "package.sh: $*" >&2
  exit 1
}

# python: python3, or `python` where that is Python 3 (Windows runners).
python_cmd() {
  local p
  for p in python3 python; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(sys.version_info[0] != 3)' 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  fail "needs python3 (or python 3 as python) on PATH"
}

# sha256_of FILE: the hex digest only.
sha256_of() {
  local line
  if command -v sha256sum >/dev/null 2>&1; then
    line=$(sha256sum -b "$1")
  elif command -v shasum >/dev/null 2>&1; then
    line=$(shasum -a 256 -b "$1")
  else
    fail "needs sha256sum or shasum on PATH"
  fi
  line=${line%% *}
  echo "${line#\\}"
}

# metadata FIELD: from `cargo metadata`, the codex-cli package's version, or its bin targets
# (one per line, sorted).
metadata() {
  local py json
  py=$(python_cmd)
  json=$(cd "$ROOT" && cargo metadata --no-deps --format-version 1 --locked) ||
    fail "cargo metadata failed in $ROOT"
  printf '%s' "$json" | "$py" -c '
import json, sys
pkg = [p for p in json.load(sys.stdin)["packages"] if p["name"] == "codex-cli"]
if not pkg:
    sys.exit("package.sh: no package codex-cli in the workspace")
if sys.argv[1] == "version":
    print(pkg[0]["version"])
else:
    print("\n".join(sorted(t["name"] for t in pkg[0]["targets"] if "bin" in t["kind"])))
' "$1" | tr -d '\r'
}

checksums() {
  local out=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) [ $# -ge 2 ] || usage_error "--out needs a value"; out=$2; shift 2 ;;
      *) usage_error "checksums: unknown argument '$1' (usage: package.sh checksums --out OUT)" ;;
    esac
  done
  [ -n "$out" ] || usage_error "checksums: --out OUT is required"
  [ -d "$out" ] || usage_error "checksums: --out $out is not a directory"
  local names asset sum want n=0 tmp="$out/$CODEX_CHECKSUMS_FILE.partial"
  names=$(cd "$out" && for f in codex-*.tar.gz codex-*.zip; do [ -f "$f" ] && echo "$f"; done | LC_ALL=C sort) || true
  [ -n "$names" ] || usage_error "checksums: no codex-*.tar.gz or codex-*.zip in $out"
  : >"$tmp"
  while IFS= read -r asset; do
    sum=$(sha256_of "$out/$asset")
    if [ -f "$out/$asset.sha256" ]; then
      want=$(sed -n '1s/ .*//p' "$out/$asset.sha256")
      [ "$want" = "$sum" ] || { rm -f "$tmp"; fail "checksums: $asset does not match $asset.sha256"; }
    fi
    printf '%s  %s\n' "$sum" "$asset" >>"$tmp"
    n=$((n + 1))
  done <<EOT
$names
EOT
  mv "$tmp" "$out/$CODEX_CHECKSUMS_FILE"
  echo "$out/$CODEX_CHECKSUMS_FILE: $n archives"
}

package() {
  local target="" version="" bin_dir="" out="" bins mtime="${SOURCE_DATE_EPOCH:-}"
  local allow_version=no allow_target=no
  while [ $# -gt 0 ]; do
    case "$1" in
      --target | --version | --bin-dir | --out | --mtime)
        [ $# -ge 2 ] || usage_error "$1 needs a value"
        case "$1" in
          --target) target=$2 ;;
          --version) version=$2 ;;
          --bin-dir) bin_dir=$2 ;;
          --out) out=$2 ;;
          --mtime) mtime=$2 ;;
        esac
        shift 2
        ;;
      --allow-version-mismatch) allow_version=yes; shift ;;
      --allow-unlisted-target) allow_target=yes; shift ;;
      -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) usage_error "unknown argument '$1' (see --help)" ;;
    esac
  done
  [ -n "$target" ] || usage_error "--target TARGET is required"
  [ -n "$version" ] || usage_error "--version V is required"
  [ -n "$bin_dir" ] || usage_error "--bin-dir DIR is required"
  [ -n "$out" ] || usage_error "--out OUT is required"

  case "$target" in
    *[!A-Za-z0-9_.-]* | -* | "") usage_error "--target '$target' is not a target triple" ;;
  esac
  if [ "$allow_target" = no ] && ! printf '%s\n' "$CODEX_TARGETS" | grep -qxF "$target"; then
    usage_error "--target $target is not a release target (scripts/release/lib.sh: $(printf '%s' "$CODEX_TARGETS" | tr '\n' ' '))"
  fi
  if ! printf '%s\n' "$version" | grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?'; then
    usage_error "--version '$version' is not a semantic version (X.Y.Z)"
  fi
  if [ "$allow_version" = no ]; then
    local crate
    crate=$(metadata version)
    [ "$crate" = "$version" ] ||
      usage_error "--version $version is not codex-cli's version in Cargo.toml ($crate); bump it or pass --allow-version-mismatch"
  fi
  [ -d "$bin_dir" ] || usage_error "--bin-dir $bin_dir is not a directory"
  if [ -z "$mtime" ]; then
    mtime=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 315532800)
  fi
  case "$mtime" in *[!0-9]* | "") usage_error "--mtime / SOURCE_DATE_EPOCH '$mtime' is not a whole number of seconds" ;; esac
  bins=$(metadata bins)
  [ -n "$(echo "$bins" | tr -d '[:space:]')" ] || usage_error "no binaries to pack"

  local exe ext top asset b doc entries=()
  exe=$(codex_exe_suffix "$target")
  ext=$(codex_archive_ext "$target")
  top=$(codex_archive_dir "$version" "$target")
  asset=$(codex_asset "$version" "$target")
  for b in $bins; do
    [ -f "$bin_dir/$b$exe" ] || usage_error "missing binary $bin_dir/$b$exe (codex-cli's bin targets: $(echo "$bins" | tr '\n' ' '))"
    entries+=(x "$b$exe" "$bin_dir/$b$exe")
  done
  for doc in README.md LICENSE CHANGELOG.md; do
    [ -f "$ROOT/$doc" ] || usage_error "missing $ROOT/$doc"
    entries+=(f "$doc" "$ROOT/$doc")
  done

  mkdir -p "$out"
  "$(python_cmd)" "$HERE/archive.py" "${ext#.}" "$out/$asset" "$mtime" "$top" "${entries[@]}" ||
    fail "could not write $out/$asset"
  printf '%s  %s\n' "$(sha256_of "$out/$asset")" "$asset" >"$out/$asset.sha256"
  echo "$out/$asset: $(wc -c <"$out/$asset" | tr -d ' ') bytes, $((${#entries[@]} / 3)) files"
}

case "${1:-}" in
  checksums) shift; checksums "$@" ;;
  version) [ $# -eq 1 ] || usage_error "version takes no arguments"; metadata version ;;
  "") usage_error "usage: package.sh --target TARGET --version V --bin-dir DIR --out OUT | checksums --out OUT | version" ;;
  *) package "$@" ;;
esac
