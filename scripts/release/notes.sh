#!/usr/bin/env bash
# Print the release notes of version V: the body of CHANGELOG.md's `## [V] - DATE` section
# (everything up to the next `## ` heading, blank lines at both ends trimmed).
#
# usage: notes.sh [--allow-unreleased] [--changelog FILE] V
#   --allow-unreleased  accept a section still headed `## [V] - Unreleased` (tests, dry runs)
#   --changelog FILE    read FILE instead of CHANGELOG.md at the repository's root
#
# Fails with one line on stderr and exit 2 when the section is missing, empty, or still says
# Unreleased, or its date is not YYYY-MM-DD. Portable: bash 3.2, awk, no GNU extensions.
set -euo pipefail

usage_error() {
  echo "notes.sh: $*" >&2
  exit 2
}

changelog="$(cd "$(dirname "$0")/../.." && pwd)/CHANGELOG.md"
allow_unreleased=no
version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --allow-unreleased) allow_unreleased=yes; shift ;;
    --changelog) [ $# -ge 2 ] || usage_error "--changelog needs a value"; changelog=$2; shift 2 ;;
    -*) usage_error "unknown option '$1' (usage: notes.sh [--allow-unreleased] [--changelog FILE] V)" ;;
    *) [ -z "$version" ] || usage_error "one version only, got '$version' and '$1'"; version=$1; shift ;;
  esac
done
[ -n "$version" ] || usage_error "usage: notes.sh [--allow-unreleased] [--changelog FILE] V"
version=${version#v}
[ -f "$changelog" ] || usage_error "no $changelog"

# Heading line of the section, exactly `## [V] - REST` (V matched literally).
heading=$(awk -v v="$version" 'index($0, "## [" v "] - ") == 1 { print; exit }' "$changelog" | tr -d '\r')
[ -n "$heading" ] || usage_error "$changelog has no section '## [$version] - DATE'"
date=${heading#"## [$version] - "}
if [ "$date" = Unreleased ]; then
  [ "$allow_unreleased" = yes ] ||
    usage_error "$changelog: section [$version] still says Unreleased; date it (YYYY-MM-DD) before tagging v$version"
elif ! printf '%s\n' "$date" | grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}'; then
  usage_error "$changelog: section [$version] is dated '$date', expected YYYY-MM-DD or Unreleased"
fi

body=$(awk -v h="$heading" '
  { sub(/\r$/, "") }
  found && /^## / { exit }
  found { lines[++n] = $0 }
  $0 == h { found = 1 }
  END {
    first = 1; while (first <= n && lines[first] ~ /^[ \t]*$/) first++
    last = n; while (last >= first && lines[last] ~ /^[ \t]*$/) last--
    for (i = first; i <= last; i++) print lines[i]
  }' "$changelog")
[ -n "$body" ] || usage_error "$changelog: section [$version] is empty"
printf '%s\n' "$body"
