#!/usr/bin/env bash
# The release gate: build codex-cli as the release workflow does, pack it with
# scripts/release/package.sh under the host's own target triple, and check what a user gets:
# exactly the expected files under one top directory, binaries that run and print the version,
# .sha256 and SHA256SUMS that `sha256sum -c` accepts and a flipped byte that it refuses, the
# same bytes when packed twice, the Windows .zip layout, the usage errors (exit 2), notes.sh on
# a fixture CHANGELOG, release.yml's matrix against lib.sh's targets, the binstall metadata
# rendering to lib.sh's asset names, and `cargo install --locked --path crates/codex-cli`.
# When the x86_64-unknown-linux-musl target and musl-gcc are installed it also builds and packs
# the real musl archive (CODEX_TEST_RELEASE_MUSL=0 skips it); otherwise it says so and goes on.
# Prints the figures (archive sizes, times).
#
# Usage: bash scripts/test-release.sh        (respects CARGO_TARGET_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=release/lib.sh source-path=SCRIPTDIR
. scripts/release/lib.sh
PACKAGE="$ROOT/scripts/release/package.sh"
NOTES="$ROOT/scripts/release/notes.sh"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# One fixed time for every archive entry, so two packings can be compared byte for byte.
export SOURCE_DATE_EPOCH=1767225600

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok: $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
figures=()
figure() { figures+=("$*"); }
now() { python3 -c 'import time; print(int(time.time() * 1000))'; }
secs() { local ms=$(($(now) - $1)); printf '%d.%01ds' $((ms / 1000)) $((ms % 1000 / 100)); }
size() { wc -c <"$1" | tr -d ' '; }
mb() { python3 -c 'import sys; print(f"{int(sys.argv[1]) / 1e6:.1f} MB")' "$1"; }

T=$(mktemp -d "${TMPDIR:-/tmp}/codex-release-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

VERSION=$(bash "$PACKAGE" version)
HOST=$(rustc -vV | sed -n 's/^host: //p')
# The binaries a user gets, from the sources rather than from cargo metadata (which
# package.sh asks): every src/bin/*.rs of codex-cli, and never codex-sandbox.
BINS=$(cd crates/codex-cli/src/bin && for f in *.rs; do echo "${f%.rs}"; done | LC_ALL=C sort)
echo "version $VERSION, host $HOST, binaries: $(echo "$BINS" | tr '\n' ' ')"

# expected_listing VERSION TARGET: the sorted entries of a correct archive.
expected_listing() {
  local top exe b
  top=$(codex_archive_dir "$1" "$2")
  exe=$(codex_exe_suffix "$2")
  {
    echo "$top/"
    for b in $BINS; do echo "$top/$b$exe"; done
    printf '%s\n' "$top/README.md" "$top/LICENSE" "$top/CHANGELOG.md"
  } | LC_ALL=C sort
}

# listing ARCHIVE: "name mode uid gid mtime" per entry, sorted, from python's own readers.
listing() {
  python3 - "$1" <<'EOF'
import sys, tarfile, zipfile
p = sys.argv[1]
rows = []
if p.endswith(".zip"):
    for i in zipfile.ZipFile(p).infolist():
        rows.append(f"{i.filename} {oct((i.external_attr >> 16) & 0o777)} 0 0 {i.date_time[0]}")
else:
    for i in tarfile.open(p):
        name = i.name + ("/" if i.isdir() else "")
        rows.append(f"{name} {oct(i.mode)} {i.uid} {i.gid} {i.mtime}")
print("\n".join(sorted(rows)))
EOF
}

# One release build serves every test here and scripts/test-action.sh: `cargo install` from this
# checkout into a temporary root, its artifacts kept in the target directory (test-action.sh's
# own `cargo install` then only copies). `cargo build --release` would not share its artifacts
# with it, so nothing here calls it.
echo "== cargo install --locked --path crates/codex-cli --root <a temporary root>"
t0=$(now)
cargo install --locked --force --path crates/codex-cli --root "$T/root" \
  --target-dir "$TARGET_DIR" --quiet
figure "cargo install (the release build): $(secs "$t0")"
BIN_DIR="$T/root/bin"

echo "== package the host's binaries as $HOST"
t0=$(now)
bash "$PACKAGE" --target "$HOST" --allow-unlisted-target --version "$VERSION" \
  --bin-dir "$BIN_DIR" --out "$T/out"
figure "package $HOST: $(secs "$t0")"
ASSET=$(codex_asset "$VERSION" "$HOST")
TOP=$(codex_archive_dir "$VERSION" "$HOST")
A="$T/out/$ASSET"
figure "archive $ASSET: $(size "$A") bytes ($(mb "$(size "$A")"))"

listing "$A" >"$T/listing"
check "the archive holds exactly the top directory, $(echo "$BINS" | wc -l | tr -d ' ') binaries, README.md, LICENSE, CHANGELOG.md" \
  diff <(expected_listing "$VERSION" "$HOST") <(cut -d' ' -f1 "$T/listing")
check "every entry is owned by 0:0, dated SOURCE_DATE_EPOCH, 0755 for the directory and binaries, 0644 for the documents" \
  python3 - "$T/listing" "$SOURCE_DATE_EPOCH" <<'EOF'
import sys
bad = []
for row in open(sys.argv[1]):
    name, mode, uid, gid, mtime = row.split()
    doc = name.endswith((".md", "LICENSE"))
    if (uid, gid, mtime) != ("0", "0", sys.argv[2]) or mode != ("0o644" if doc else "0o755"):
        bad.append(row.strip())
if bad:
    print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
check "codex-sandbox is not in the archive" bash -c "! grep -q codex-sandbox '$T/listing'"

mkdir -p "$T/x"
tar -xzf "$A" -C "$T/x"
versions_ok() {
  local dir=$1 b out bad=0
  for b in $BINS; do
    out=$("$dir/$b" --version 2>&1) || { echo "    $b --version failed: $out"; bad=1; continue; }
    [ "$out" = "$b $VERSION" ] || { echo "    $b --version printed '$out'"; bad=1; }
  done
  return $bad
}
check "every extracted binary runs: '<name> --version' prints '<name> $VERSION'" versions_ok "$T/x/$TOP"
check "the extracted README.md, LICENSE and CHANGELOG.md are the repository's" \
  bash -c "cmp -s README.md '$T/x/$TOP/README.md' && cmp -s LICENSE '$T/x/$TOP/LICENSE' && cmp -s CHANGELOG.md '$T/x/$TOP/CHANGELOG.md'"

echo "== checksums"
check "$ASSET.sha256 is one '<sha256>  <asset>' line" \
  grep -Eqx "[0-9a-f]{64}  $ASSET" "$A.sha256"
check "sha256sum -c accepts $ASSET.sha256" bash -c "cd '$T/out' && sha256sum -c --strict --quiet '$ASSET.sha256'"

echo "== the Windows layout (.zip, .exe), on a fixture bin directory"
FIX="$T/fixture-bin"
mkdir -p "$FIX"
for b in $BINS; do printf 'MZ fixture %s\n' "$b" >"$FIX/$b.exe"; done
bash "$PACKAGE" --target x86_64-pc-windows-msvc --version "$VERSION" --bin-dir "$FIX" --out "$T/out" >/dev/null
ZIP="$T/out/$(codex_asset "$VERSION" x86_64-pc-windows-msvc)"
check "the Windows asset is $(basename "$ZIP")" test -f "$ZIP"
check "the zip holds the same files with .exe under codex-$VERSION-x86_64-pc-windows-msvc/" \
  diff <(expected_listing "$VERSION" x86_64-pc-windows-msvc) <(listing "$ZIP" | cut -d' ' -f1)
mkdir -p "$T/z"
(cd "$T/z" && python3 -m zipfile -e "$ZIP" .)
check "a binary extracted from the zip is the file packed" \
  cmp -s "$FIX/codex.exe" "$T/z/codex-$VERSION-x86_64-pc-windows-msvc/codex.exe"

echo "== SHA256SUMS"
bash "$PACKAGE" checksums --out "$T/out"
check "SHA256SUMS lists both archives, sorted" \
  diff <(printf '%s\n' "$ASSET" "$(basename "$ZIP")" | LC_ALL=C sort) <(sed 's/^[0-9a-f]\{64\}  //' "$T/out/SHA256SUMS")
check "sha256sum -c accepts SHA256SUMS" bash -c "cd '$T/out' && sha256sum -c --strict --quiet SHA256SUMS"

cp -R "$T/out" "$T/tampered"
python3 - "$T/tampered/$ASSET" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(1000)
    b = f.read(1)
    f.seek(1000)
    f.write(bytes([b[0] ^ 0x01]))
EOF
check "one flipped byte: sha256sum -c refuses the .sha256" \
  bash -c "cd '$T/tampered' && ! sha256sum -c --quiet '$ASSET.sha256' >/dev/null 2>&1"
check "one flipped byte: sha256sum -c refuses SHA256SUMS" \
  bash -c "cd '$T/tampered' && ! sha256sum -c --quiet SHA256SUMS >/dev/null 2>&1"
out=$(bash "$PACKAGE" checksums --out "$T/tampered" 2>&1) && rc=0 || rc=$?
check "one flipped byte: 'package.sh checksums' refuses an archive its .sha256 disagrees with (exit $rc: $out)" \
  test "$rc" -ne 0

echo "== reproducible"
bash "$PACKAGE" --target x86_64-pc-windows-msvc --version "$VERSION" --bin-dir "$FIX" --out "$T/again" >/dev/null
touch "$FIX"/*.exe
check "packing the same files again gives the same zip, byte for byte" cmp -s "$ZIP" "$T/again/$(basename "$ZIP")"
mkdir -p "$T/fixture-unix"
for b in $BINS; do printf '#!/bin/sh\necho %s\n' "$b" >"$T/fixture-unix/$b"; done
bash "$PACKAGE" --target x86_64-apple-darwin --version "$VERSION" --bin-dir "$T/fixture-unix" --out "$T/r1" >/dev/null
sleep 1
touch "$T/fixture-unix"/*
bash "$PACKAGE" --target x86_64-apple-darwin --version "$VERSION" --bin-dir "$T/fixture-unix" --out "$T/r2" >/dev/null
DARWIN=$(codex_asset "$VERSION" x86_64-apple-darwin)
check "packing the same files again (new mtimes on disk) gives the same .tar.gz, byte for byte" \
  cmp -s "$T/r1/$DARWIN" "$T/r2/$DARWIN"

echo "== usage errors: one line on stderr, exit 2"
usage_case() { # usage_case DESCRIPTION EXPECTED-SUBSTRING ARGS...
  local what=$1 want=$2 err rc
  shift 2
  err=$(bash "$PACKAGE" "$@" 2>&1 >/dev/null) && rc=0 || rc=$?
  if [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l | tr -d ' ')" -eq 1 ] && [[ $err == *"$want"* ]]; then
    ok "$what: $err"
  else
    fail "$what: exit $rc, stderr: $err"
  fi
}
usage_case "a target that is not a release target" "not a release target" \
  --target x86_64-unknown-linux-gnu --version "$VERSION" --bin-dir "$T/fixture-unix" --out "$T/e"
usage_case "a version that is not Cargo.toml's" "not codex-cli's version" \
  --target x86_64-apple-darwin --version 9.9.9 --bin-dir "$T/fixture-unix" --out "$T/e"
usage_case "a version that is not X.Y.Z" "not a semantic version" \
  --target x86_64-apple-darwin --version v1 --bin-dir "$T/fixture-unix" --out "$T/e"
rm "$T/fixture-unix/codex-activity"
usage_case "a missing binary" "missing binary" \
  --target x86_64-apple-darwin --version "$VERSION" --bin-dir "$T/fixture-unix" --out "$T/e"
usage_case "an unknown option" "unknown argument" --target x86_64-apple-darwin --frobnicate
usage_case "no --out" "--out OUT is required" \
  --target x86_64-apple-darwin --version "$VERSION" --bin-dir "$T/fixture-unix"
usage_case "checksums over an empty directory" "no codex-" checksums --out "$T/fixture-bin"
check "a mismatched version passes with --allow-version-mismatch" \
  bash "$PACKAGE" --target x86_64-pc-windows-msvc --version 9.9.9 --allow-version-mismatch \
  --bin-dir "$FIX" --out "$T/mismatch"
check "nothing was written for the refused runs" test ! -e "$T/e"

echo "== notes.sh"
cat >"$T/CHANGELOG.md" <<'EOF'
# Changelog

## [2.0.0] - Unreleased

- next

## [1.1.0] - 2026-11-30

### Added

- a thing

### Fixed

- another thing

## [1.0.0] - 2026-10-01
- first
EOF
notes() { bash "$NOTES" --changelog "$T/CHANGELOG.md" "$@"; }
check "a dated section: its body, headings kept, blank edges trimmed" \
  diff <(printf '%s\n' '### Added' '' '- a thing' '' '### Fixed' '' '- another thing') <(notes 1.1.0)
check "a v-prefixed tag works the same" diff <(notes 1.1.0) <(notes v1.1.0)
check "the last section (no heading after it)" diff <(echo "- first") <(notes 1.0.0)
check "an Unreleased section with --allow-unreleased" diff <(echo "- next") <(notes --allow-unreleased 2.0.0)
notes_error() { # notes_error DESCRIPTION EXPECTED-SUBSTRING ARGS...
  local what=$1 want=$2 err rc
  shift 2
  err=$(notes "$@" 2>&1 >/dev/null) && rc=0 || rc=$?
  if [ "$rc" -eq 2 ] && [[ $err == *"$want"* ]]; then ok "$what: $err"; else fail "$what: exit $rc, $err"; fi
}
notes_error "an Unreleased section is refused" "still says Unreleased" 2.0.0
notes_error "a missing section is refused" "no section" 1.2.0
notes_error "1.1 does not match 1.1.0" "no section" 1.1
printf '## [3.0.0] - soon\n- x\n' >"$T/bad-date.md"
err=$(bash "$NOTES" --changelog "$T/bad-date.md" 3.0.0 2>&1 >/dev/null) && rc=0 || rc=$?
check "a section dated 'soon' is refused (exit $rc: $err)" test "$rc" -eq 2
check "the repository's CHANGELOG.md has a section for $VERSION" \
  bash -c "bash '$NOTES' --allow-unreleased '$VERSION' >/dev/null"

echo "== release.yml against lib.sh"
check "release.yml's build matrix lists exactly CODEX_TARGETS" \
  diff <(printf '%s\n' "$CODEX_TARGETS" | LC_ALL=C sort) \
  <(sed -n 's/^ *- target: *//p' .github/workflows/release.yml | LC_ALL=C sort)
runner_os_ok() {
  local target runner bad=0
  while read -r target runner; do
    case "$target/$runner" in
      *-linux-*/ubuntu-* | *-apple-darwin/macos-* | *-windows-*/windows-*) ;;
      *) echo "    $target builds on $runner"; bad=1 ;;
    esac
    case "$target/$runner" in
      aarch64-*-linux-*/*-arm | x86_64-*-linux-*/ubuntu-24.04 | *-darwin/* | *-windows-*/*) ;;
      *) echo "    $target builds on $runner (not natively)"; bad=1 ;;
    esac
  done < <(sed -n '/^ *- target: /{s/^ *- target: *//;N;s/\n *runner: */ /;p;}' .github/workflows/release.yml)
  return $bad
}
check "each target builds on a runner of its OS (Linux natively per architecture)" runner_os_ok
check "release.yml triggers only on vX.Y.Z tags (the moving v1 tag starts nothing)" \
  grep -qF 'tags: ["v[0-9]+.[0-9]+.[0-9]+"]' .github/workflows/release.yml

echo "== binstall metadata against lib.sh"
# Renders pkg-url and bin-dir as binstall does for each target: { name } style variables, the
# per-target override, and for tgz each suffix binstall probes (.tgz, then .tar.gz).
cat >"$T/binstall.py" <<'EOF'
import re, sys, tomllib
version, targets = sys.argv[1], sys.argv[2:]
ws = tomllib.load(open("Cargo.toml", "rb"))["workspace"]["package"]
pkg = tomllib.load(open("crates/codex-cli/Cargo.toml", "rb"))["package"]
meta = pkg["metadata"]["binstall"]
suffixes = {"tgz": [".tgz", ".tar.gz"], "zip": [".zip"]}
for target in targets:
    over = dict(meta, **meta.get("overrides", {}).get(target, {}))
    exe = ".exe" if "windows" in target else ""
    def render(tmpl, suffix=""):
        vals = {"repo": ws["repository"], "version": version, "target": target,
                "name": pkg["name"], "bin": "codex", "binary-ext": exe, "archive-suffix": suffix}
        return re.sub(r"\{ *([a-z-]+) *\}", lambda m: vals[m.group(1)], tmpl)
    urls = [render(over["pkg-url"], s) for s in suffixes[over["pkg-fmt"]]]
    print(target, render(over["bin-dir"]), " ".join(urls))
EOF
# shellcheck disable=SC2086 # one target per word
python3 "$T/binstall.py" "$VERSION" $CODEX_TARGETS >"$T/binstall"
binstall_ok() {
  local target bindir urls want bad=0 repo
  repo=$(sed -n 's/^repository = "\(.*\)"/\1/p' Cargo.toml)
  while read -r target bindir urls; do
    want="$repo/releases/download/v$VERSION/$(codex_asset "$VERSION" "$target")"
    case " $urls " in
      *" $want "*) echo "    $target: $want" ;;
      *) echo "    $target: binstall tries $urls, the asset is $want"; bad=1 ;;
    esac
    [ "$bindir" = "$(codex_archive_dir "$VERSION" "$target")/codex$(codex_exe_suffix "$target")" ] ||
      { echo "    $target: bin-dir renders to $bindir"; bad=1; }
  done <"$T/binstall"
  [ "$(wc -l <"$T/binstall" | tr -d ' ')" -eq "$(printf '%s\n' "$CODEX_TARGETS" | wc -l | tr -d ' ')" ] || bad=1
  return $bad
}
check "binstall's pkg-url renders to BASE/v$VERSION/<lib.sh asset> and bin-dir to <top dir>/codex for every target" binstall_ok

echo "== what cargo install --locked --path crates/codex-cli installed"
ROOT_BIN="$T/root/bin"
installed_ok() {
  local b bad=0
  for b in $BINS; do [ -x "$ROOT_BIN/$b" ] || { echo "    $b not installed"; bad=1; }; done
  [ ! -e "$ROOT_BIN/codex-sandbox" ] || { echo "    codex-sandbox installed"; bad=1; }
  return $bad
}
check "cargo install puts the same $(echo "$BINS" | wc -l | tr -d ' ') binaries in ROOT/bin, not codex-sandbox" installed_ok
check "the installed codex prints 'codex $VERSION'" test "$("$ROOT_BIN/codex" --version)" = "codex $VERSION"
# The installed `codex demo`, away from the sources: the whole pipeline on the embedded sandbox.
installed_demo() {
  local out rc=0 c
  out=$(cd "$T" && "$ROOT_BIN/codex" demo --out "$T/demo" 2>"$T/demo.err") || rc=$?
  [ "$rc" -eq 0 ] || { echo "    codex demo exited $rc"; sed 's/^/    /' "$T/demo.err"; return 1; }
  for c in self-test cleaner project-sync integrity supervisor activity diagnostics telemetry-merge; do
    printf '%s\n' "$out" | grep -q "^$c " || { echo "    no $c row in the demo's table"; return 1; }
  done
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d else 1)' \
    "$T/demo/dashboard/dashboard.json" || { echo "    no dashboard.json"; return 1; }
}
check "the installed codex demo runs the eight components and writes dashboard.json" installed_demo

echo "== the real musl archive"
MUSL=x86_64-unknown-linux-musl
if [ "${CODEX_TEST_RELEASE_MUSL:-1}" = 0 ]; then
  echo "  note: CODEX_TEST_RELEASE_MUSL=0: musl build skipped"
elif ! rustup target list --installed 2>/dev/null | grep -qx "$MUSL"; then
  echo "  note: the $MUSL target is not installed (rustup target add $MUSL): musl build skipped"
elif ! command -v musl-gcc >/dev/null 2>&1; then
  echo "  note: musl-gcc is missing (apt-get install musl-tools): musl build skipped"
else
  t0=$(now)
  CC_x86_64_unknown_linux_musl=musl-gcc cargo build --release --locked -p codex-cli --target "$MUSL"
  figure "build $MUSL release: $(secs "$t0")"
  t0=$(now)
  bash "$PACKAGE" --target "$MUSL" --version "$VERSION" --bin-dir "$TARGET_DIR/$MUSL/release" --out "$T/musl"
  figure "package $MUSL: $(secs "$t0")"
  M="$T/musl/$(codex_asset "$VERSION" "$MUSL")"
  figure "archive $(basename "$M"): $(size "$M") bytes ($(mb "$(size "$M")"))"
  check "the musl archive lists the expected files" \
    diff <(expected_listing "$VERSION" "$MUSL") <(listing "$M" | cut -d' ' -f1)
  mkdir -p "$T/mx"
  tar -xzf "$M" -C "$T/mx"
  check "the musl binaries run and print their version" versions_ok "$T/mx/$(codex_archive_dir "$VERSION" "$MUSL")"
  static_ok() { ! LC_ALL=C ldd "$1" 2>&1 | grep -q '=>'; }
  check "the musl codex is statically linked (ldd lists no library)" \
    static_ok "$T/mx/$(codex_archive_dir "$VERSION" "$MUSL")/codex"
fi

echo "== figures"
printf '  %s\n' "${figures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
