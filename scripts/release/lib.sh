# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables here are used by the scripts that source this file
# The release layout, in one place: which targets Codex is released for, how a runner's OS and
# architecture map to one, and what the archives and checksum files are called. Sourced by the
# packaging scripts (scripts/release/), the Action's installer (action/install.sh) and their
# tests; .github/workflows/release.yml's matrix lists the same targets (a test holds them equal).
#
# Layout of a release (as GitHub serves it, BASE/v{VERSION}/{ASSET}; BASE is
# https://github.com/OWNER/REPO/releases/download unless CODEX_RELEASE_BASE_URL says otherwise):
#   codex-{VERSION}-{TARGET}.tar.gz   (Linux, macOS)  or  .zip  (Windows)
#   codex-{VERSION}-{TARGET}.tar.gz.sha256            one line: "<sha256>  <asset>"
#   SHA256SUMS                                        one such line per archive
# Each archive holds one directory, codex-{VERSION}-{TARGET}/, with the binaries of the
# codex-cli crate (`codex` and the seven components), README.md, LICENSE and CHANGELOG.md.

# Every release target, one per line.
CODEX_TARGETS="x86_64-unknown-linux-musl
aarch64-unknown-linux-musl
x86_64-apple-darwin
aarch64-apple-darwin
x86_64-pc-windows-msvc"

CODEX_CHECKSUMS_FILE=SHA256SUMS

# codex_target OS ARCH: the release target for a runner (RUNNER_OS: Linux, macOS, Windows;
# RUNNER_ARCH: X64, ARM64, X86, ARM). Prints nothing and returns 1 for an unsupported one.
codex_target() {
  case "$1/$2" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) return 1 ;;
  esac
}

# codex_archive_ext TARGET: .zip for Windows targets, .tar.gz for the others.
codex_archive_ext() {
  case "$1" in
    *-windows-*) echo .zip ;;
    *) echo .tar.gz ;;
  esac
}

# codex_archive_dir VERSION TARGET: the archive's one top-level directory.
codex_archive_dir() {
  echo "codex-$1-$2"
}

# codex_asset VERSION TARGET: the archive's file name.
codex_asset() {
  echo "codex-$1-$2$(codex_archive_ext "$2")"
}

# codex_exe_suffix TARGET: .exe on Windows.
codex_exe_suffix() {
  case "$1" in
    *-windows-*) echo .exe ;;
    *) echo "" ;;
  esac
}
