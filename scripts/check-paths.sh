#!/usr/bin/env bash
# Nothing in the repository may point at a file outside it: a clone is the whole project.
# Fails on any tracked text file (README, docs, code and its comments, scripts, workflows)
# that names the contract's old home beside the repository, or holds a relative path whose
# `..` steps, taken from the file's own directory, climb above the repository's root.
# Usage: bash scripts/check-paths.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)

# Built from pieces so that this file does not contain what it looks for.
up='\.\.'
old_home="${up}/shared"
climb="(${up}/)+[A-Za-z0-9_.@/-]*"

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  list_files() { git ls-files -z --cached --others --exclude-standard; }
else
  list_files() {
    find . \( -name .git -o -name target -o -name node_modules \) -prune -o -type f -print0 |
      sed -z 's|^\./||'
  }
fi

status=0
fail() {
  echo "check-paths: $1" >&2
  status=1
}

while IFS= read -r -d '' file; do
  [ -f "$file" ] || continue
  grep -Iq . "$file" 2>/dev/null || continue # binary or empty
  while IFS= read -r hit; do
    fail "$file:$hit: points at the old contract outside the repository (use docs/CONTRACT.md)"
  done < <(grep -nE "$old_home" "$file" || true)
  dir=$(dirname "$file")
  while IFS=: read -r line path; do
    resolved=$(realpath -m "$root/$dir/$path")
    case "$resolved/" in
      "$root"/*) ;;
      *) fail "$file:$line: $path climbs out of the repository" ;;
    esac
  done < <(grep -noE "$climb" "$file" || true)
done < <(list_files)

if [ "$status" -eq 0 ]; then
  echo "check-paths: no reference leaves the repository"
fi
exit "$status"
