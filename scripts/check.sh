#!/usr/bin/env bash
# The gate, exactly as CI runs it: no path out of the repository, formatting, lints, every
# test (nextest, then the doctests), rustdoc.
# Usage: bash scripts/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== no reference outside the repository"
bash scripts/check-paths.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo nextest"
profile=default
if [ "${CI:-}" = "true" ]; then profile=ci; fi
cargo nextest run --workspace --locked --profile "$profile"

echo "== doctests (nextest does not run them)"
cargo test --workspace --doc --locked

echo "== cargo doc -D warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
