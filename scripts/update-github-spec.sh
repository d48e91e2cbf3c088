#!/usr/bin/env bash
# Regenerates spec/: the subset of GitHub's published REST (OpenAPI) and GraphQL
# descriptions that Codex uses. Sources are npm packages pinned in
# scripts/spec/package.json + package-lock.json; see spec/README.md.
#
# Usage: scripts/update-github-spec.sh
# Needs node >= 18 and npm. Installs into scripts/spec/node_modules (gitignored).
# Idempotent: a rerun without a version bump leaves spec/ unchanged.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/scripts/spec"
out="$root/spec"

for bin in node npm; do
  command -v "$bin" >/dev/null || { echo "error: $bin not found on PATH" >&2; exit 1; }
done

echo "installing pinned packages (npm ci in scripts/spec)" >&2
(cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)

# Write into a scratch directory first so a failure never leaves spec/ half-updated.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node "$tools/rest-subset.mjs" "$tmp/github-rest.json"
node "$tools/graphql-subset.mjs" "$tmp/github.graphql"
node "$tools/readme.mjs" "$tmp/README.md"

mkdir -p "$out"
for f in github-rest.json github.graphql README.md; do
  if cmp -s "$tmp/$f" "$out/$f"; then
    echo "unchanged: spec/$f" >&2
  else
    mv "$tmp/$f" "$out/$f"
    echo "updated:   spec/$f" >&2
  fi
done
