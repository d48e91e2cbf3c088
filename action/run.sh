#!/usr/bin/env bash
# run.sh: run `codex <command words> <args words>` (action.yml's run step).
#
# CODEX_COMMAND and CODEX_ARGS are split on whitespace (spaces, tabs, newlines) into words,
# with no shell evaluation: no globbing, no variables, no command substitution, no quotes. A
# word such as `$(id)` or `a;b` reaches codex as that literal word. The first word must be a
# subcommand name (lowercase letters and `-`); which subcommands exist is codex's business (an
# unknown one: exit 2 from codex itself).
#
# Environment: CODEX_COMMAND (default pipeline), CODEX_ARGS, CODEX_BIN_DIR (the install step's
# bin-dir; empty: `codex` from PATH), CODEX_REPO (exported to codex as GITHUB_REPOSITORY when
# set). GH_CI_PAT (empty when the Action was given a GitHub App), CODEX_APP_ID,
# CODEX_APP_PRIVATE_KEY, CODEX_APP_INSTALLATION_ID, CODEX_DRY_RUN and CODEX_PAGES_DIR are passed
# through unchanged (codex reads an empty variable as unset).
# Exit: codex's own exit code; 2 for a command that is not a subcommand name or a dry-run
# other than true/false.
set -euo pipefail
set -f
export LC_ALL=C

words=()
args=()
# read -d '' reads to the end of the input (all lines) and returns 1 there: expected.
read -r -d '' -a words <<<"${CODEX_COMMAND-pipeline}" || true
read -r -d '' -a args <<<"${CODEX_ARGS:-}" || true

first=${words[0]:-}
case "$first" in
'' | [!a-z]* | *[!a-z-]*)
  shown=$(printf '%s' "$first" | tr -c '[:print:]' ' ' | sed 's/::/: :/g' | cut -c1-80)
  echo "::error::codex: command must start with a subcommand name (lowercase letters and '-'), got \"$shown\""
  exit 2
  ;;
esac

# The action decides "publish or not" from dry-run == 'true' (case-insensitive), so only true
# and false are taken here: a `yes` that codex would read as a dry run must not publish.
case "${CODEX_DRY_RUN:-}" in
'' | [Tt][Rr][Uu][Ee] | [Ff][Aa][Ll][Ss][Ee]) ;;
*)
  shown=$(printf '%s' "$CODEX_DRY_RUN" | tr -c '[:print:]' ' ' | sed 's/::/: :/g' | cut -c1-80)
  echo "::error::codex: dry-run: expected true or false, got \"$shown\""
  exit 2
  ;;
esac

if [ -n "${CODEX_REPO:-}" ]; then
  export GITHUB_REPOSITORY="$CODEX_REPO"
fi

codex=codex
if [ -n "${CODEX_BIN_DIR:-}" ]; then
  dir=$CODEX_BIN_DIR
  # a Windows path (C:\...) from the install step, in Git Bash's form
  if command -v cygpath >/dev/null 2>&1; then dir=$(cygpath -u "$dir"); fi
  codex="$dir/codex"
fi

# ${a[@]+"${a[@]}"}: an empty array under `set -u` in bash 3.2 (macOS).
exec "$codex" "${words[@]}" ${args[@]+"${args[@]}"}
