#!/usr/bin/env bash
# publish-gh-pages.sh: check out, publish to, and bound the history of the gh-pages branch.
#
#   publish-gh-pages.sh checkout [--dir DIR] [--remote URL] [--branch NAME]
#       Clone the branch (depth 1) into DIR. When the branch does not exist yet, DIR becomes an
#       empty repository on an orphan branch holding only `.nojekyll`; the first publish
#       creates the branch.
#
#   publish-gh-pages.sh publish [--dir DIR] [--message TEXT] [--max-attempts N]
#                               [--backoff-ms MS] [--regenerate COMMAND]
#       Commit what changed in DIR since its checkout (files added, changed, deleted) and push.
#       A rejected push (someone else published meanwhile) fetches the new tip, re-applies this
#       run's changes onto it and tries again after an exponential backoff with jitter, at most
#       N times. Never a merge, never a force push: history stays linear. Telemetry files
#       (telemetry/*, and OWNER/NAME/telemetry/* in a tree of several repositories) are
#       add-only: when the new tip already holds a different file under the same name, ours is
#       kept beside it as NAME-r2.json (r3, ...), never overwriting it.
#       Other files (the dashboard) are last-writer-wins; --regenerate runs COMMAND (from the
#       directory the script was started in) after each re-apply, e.g. `codex-telemetry-merge`
#       so that dashboard.json is rebuilt from the fresh tip's telemetry.
#
#   publish-gh-pages.sh squash --older-than DAYS [--remote URL] [--branch NAME] [--max-attempts N]
#       Bound history growth: every commit older than DAYS (committer date) is folded into one
#       root commit holding the tree as it was then; newer commits are re-created on top of it
#       with their own trees, authors, dates and messages (the branch's content is unchanged).
#       Pushed with --force-with-lease, so a publish that lands meanwhile makes it start over
#       (bounded); a publisher holding the old history is rejected and re-applies its files on
#       the new tip as usual. Needs a branch that accepts force pushes.
#
# Defaults: DIR=$CODEX_PAGES_DIR or gh-pages; NAME=gh-pages; URL=$CODEX_PAGES_REMOTE, else
# $GITHUB_SERVER_URL/$GITHUB_REPOSITORY.git, else (publish) DIR's origin; N=10; MS=1000.
# Authentication: GH_PAGES_TOKEN, when set, is sent as an HTTP header through git's
# environment configuration (GIT_CONFIG_*): never on a command line, never written to disk.
# Exit codes: 0 done (or nothing to do), 1 failed (publish: gave up, the run's files are kept
# in the directory printed), 2 bad usage.
set -euo pipefail

START_DIR=$(pwd)
DIR=${CODEX_PAGES_DIR:-gh-pages}
BRANCH=gh-pages
REMOTE=${CODEX_PAGES_REMOTE:-}
MESSAGE=""
MAX_ATTEMPTS=10
BACKOFF_MS=1000
MAX_BACKOFF_MS=30000
OLDER_THAN=""
REGENERATE=""
BOT_NAME="github-actions[bot]"
BOT_EMAIL="41898282+github-actions[bot]@users.noreply.github.com"

log() { printf 'publish-gh-pages: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
while [ $# -gt 0 ]; do
  case "$1" in
  --dir) DIR=${2:?--dir needs a value}; shift 2 ;;
  --remote) REMOTE=${2:?--remote needs a value}; shift 2 ;;
  --branch) BRANCH=${2:?--branch needs a value}; shift 2 ;;
  --message) MESSAGE=${2:?--message needs a value}; shift 2 ;;
  --max-attempts) MAX_ATTEMPTS=${2:?--max-attempts needs a value}; shift 2 ;;
  --backoff-ms) BACKOFF_MS=${2:?--backoff-ms needs a value}; shift 2 ;;
  --older-than) OLDER_THAN=${2:?--older-than needs a value}; shift 2 ;;
  --regenerate) REGENERATE=${2:?--regenerate needs a value}; shift 2 ;;
  -h | --help) usage ;;
  *) log "unknown argument: $1"; usage ;;
  esac
done
for n in "$MAX_ATTEMPTS" "$BACKOFF_MS"; do
  case "$n" in '' | *[!0-9]*) log "not a whole number: $n"; exit 2 ;; esac
done
[ "$MAX_ATTEMPTS" -ge 1 ] || { log "--max-attempts must be at least 1"; exit 2; }
if [ -z "$REMOTE" ] && [ -n "${GITHUB_REPOSITORY:-}" ]; then
  REMOTE="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY}.git"
fi

# The token as an extra HTTP header for this process's git commands only.
if [ -n "${GH_PAGES_TOKEN:-}" ]; then
  basic=$(printf 'x-access-token:%s' "$GH_PAGES_TOKEN" | base64 | tr -d '\n')
  if [ "${GITHUB_ACTIONS:-}" = "true" ]; then echo "::add-mask::$basic"; fi
  export GIT_CONFIG_COUNT=1
  export GIT_CONFIG_KEY_0="http.${GITHUB_SERVER_URL:-https://github.com}/.extraheader"
  export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
  unset basic
fi
export GIT_TERMINAL_PROMPT=0

now_ms() { date +%s%3N; }

# Sleep before attempt $1 + 1: BACKOFF_MS * 2^(attempt-1), capped, plus up to 50% jitter.
backoff() {
  local attempt=$1 ms=$BACKOFF_MS i
  for ((i = 1; i < attempt; i++)); do
    ms=$((ms * 2))
    [ "$ms" -lt "$MAX_BACKOFF_MS" ] || { ms=$MAX_BACKOFF_MS; break; }
  done
  ms=$((ms + (RANDOM * 32768 + RANDOM) % (ms / 2 + 1)))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}

summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then printf '%s\n' "$*" >>"$GITHUB_STEP_SUMMARY" || true; fi
}

do_checkout() {
  [ -n "$REMOTE" ] || die "no remote: pass --remote URL or set GITHUB_REPOSITORY"
  if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
    die "$DIR exists and is not empty"
  fi
  local rc=0
  git ls-remote --exit-code --heads "$REMOTE" "refs/heads/$BRANCH" >/dev/null || rc=$?
  case $rc in
  0)
    git clone --quiet --depth 1 --single-branch --branch "$BRANCH" "$REMOTE" "$DIR"
    log "checked out $BRANCH at $(git -C "$DIR" rev-parse --short HEAD) into $DIR"
    ;;
  2)
    git init --quiet "$DIR"
    git -C "$DIR" checkout --quiet --orphan "$BRANCH"
    git -C "$DIR" remote add origin "$REMOTE"
    : >"$DIR/.nojekyll"
    log "$BRANCH does not exist yet: $DIR starts empty (orphan branch, .nojekyll); publish creates it"
    ;;
  *) die "cannot reach $REMOTE (git ls-remote exit $rc)" ;;
  esac
}

# Free name for a telemetry file that must not overwrite: a.json -> a-r2.json, a-r3.json, ...
free_name() {
  local path=$1 stem=${1%.json} n=2
  [ "$stem" != "$path" ] || stem=$path
  local ext=${path#"$stem"}
  while [ -e "$stem-r$n$ext" ]; do n=$((n + 1)); done
  printf '%s' "$stem-r$n$ext"
}

do_publish() {
  [ -d "$DIR/.git" ] || die "$DIR is not a git checkout (run: $0 checkout --dir $DIR)"
  cd "$DIR"
  [ -n "$REMOTE" ] || REMOTE=$(git remote get-url origin)
  [ -n "$MESSAGE" ] || MESSAGE="codex: publish run ${GITHUB_RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)}"
  : >.nojekyll

  # 1. This run's changeset, saved outside the work tree.
  local base stash
  base=$(git rev-parse -q --verify HEAD || true)
  stash=$(mktemp -d "${TMPDIR:-/tmp}/codex-publish.XXXXXX")
  mkdir -p "$stash/files"
  : >"$stash/put"
  : >"$stash/del"
  git add -A
  local status path added=0 modified=0 deleted=0
  if [ -n "$base" ]; then
    git diff --cached --name-status --no-renames -z "$base" >"$stash/diff"
  else
    git ls-files -z | while IFS= read -r -d '' path; do printf 'A\0%s\0' "$path"; done >"$stash/diff"
  fi
  while IFS= read -r -d '' status && IFS= read -r -d '' path; do
    case "$status" in
    A | M | T)
      mkdir -p "$stash/files/$(dirname "$path")"
      cp -p "$path" "$stash/files/$path"
      printf '%s\0%s\0' "$status" "$path" >>"$stash/put"
      if [ "$status" = A ]; then added=$((added + 1)); else modified=$((modified + 1)); fi
      ;;
    D)
      printf '%s\0' "$path" >>"$stash/del"
      deleted=$((deleted + 1))
      ;;
    esac
  done <"$stash/diff"
  if [ $((added + modified + deleted)) -eq 0 ]; then
    log "nothing to publish"
    rm -rf "$stash"
    return 0
  fi
  log "publishing +$added ~$modified -$deleted files to $BRANCH"

  # 2. Apply it onto the tip (first the checkout's own, then each fetched one), commit, push.
  local attempt=0 retries=0 renamed=0 t0 pushed="" fetched
  t0=$(now_ms)
  while [ "$attempt" -lt "$MAX_ATTEMPTS" ]; do
    attempt=$((attempt + 1))
    fetched=no
    if [ "$attempt" -gt 1 ]; then
      if git fetch --quiet --depth=1 origin "+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH" 2>/dev/null; then
        base=$(git rev-parse "refs/remotes/origin/$BRANCH")
        fetched=yes
      fi
    fi
    if [ "$attempt" -eq 1 ] || [ "$fetched" = yes ]; then
      if [ -n "$base" ]; then
        git reset --quiet --hard "$base"
      else
        git read-tree --empty
      fi
      git clean -q -f -d -x
      : >.nojekyll
      while IFS= read -r -d '' status && IFS= read -r -d '' path; do
        local target=$path
        if [ -e "$path" ] && ! cmp -s "$stash/files/$path" "$path"; then
          case "$path" in
          telemetry/* | */telemetry/*)
            target=$(free_name "$path")
            renamed=$((renamed + 1))
            log "$path already exists on $BRANCH with other content: keeping ours as $target"
            ;;
          esac
        fi
        mkdir -p "$(dirname "$target")"
        cp -p "$stash/files/$path" "$target"
      done <"$stash/put"
      while IFS= read -r -d '' path; do
        git rm -q --ignore-unmatch -- "$path"
        rm -f -- "$path"
      done <"$stash/del"
      if [ -n "$REGENERATE" ] && [ "$attempt" -gt 1 ]; then
        (cd "$START_DIR" && bash -c "$REGENERATE") || log "--regenerate failed; publishing the run's own files"
      fi
      git add -A
      if [ -n "$base" ] && git diff --cached --quiet "$base"; then
        log "the tip already holds every file of this run"
        pushed=$base
        break
      fi
      git -c user.name="$BOT_NAME" -c user.email="$BOT_EMAIL" commit --quiet --no-verify -m "$MESSAGE"
    fi
    if git push --quiet origin "HEAD:refs/heads/$BRANCH" 2>"$stash/push.err"; then
      pushed=$(git rev-parse HEAD)
      break
    fi
    log "push rejected (attempt $attempt of $MAX_ATTEMPTS): $(tr '\n' ' ' <"$stash/push.err" | cut -c1-200)"
    if [ "$attempt" -lt "$MAX_ATTEMPTS" ]; then
      retries=$((retries + 1))
      backoff "$attempt"
    fi
  done
  local ms=$(($(now_ms) - t0))
  local secs
  secs="$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  if [ -z "$pushed" ]; then
    log "gave up after $attempt attempts in ${secs}s; this run's files are kept in $stash"
    summary "gh-pages publish FAILED after $attempt attempts; files kept in $stash on the runner"
    echo "publish-figures attempts=$attempt retries=$retries renamed=$renamed seconds=$secs result=failed"
    exit 1
  fi
  rm -rf "$stash"
  log "published +$added ~$modified -$deleted files as $(git rev-parse --short "$pushed") in $attempt attempt(s) ($retries retries, $renamed renamed) in ${secs}s"
  summary "gh-pages: published +$added ~$modified -$deleted files as \`$(git rev-parse --short "$pushed")\` in $attempt attempt(s), ${secs}s"
  echo "publish-figures attempts=$attempt retries=$retries renamed=$renamed seconds=$secs result=ok"
}

do_squash() {
  case "$OLDER_THAN" in '' | *[!0-9]*) log "squash needs --older-than DAYS"; exit 2 ;; esac
  [ -n "$REMOTE" ] || { [ -d "$DIR/.git" ] && REMOTE=$(git -C "$DIR" remote get-url origin); } ||
    die "no remote: pass --remote URL or set GITHUB_REPOSITORY"
  local attempt=0 t0
  work=$(mktemp -d "${TMPDIR:-/tmp}/codex-squash.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  t0=$(now_ms)
  while [ "$attempt" -lt "$MAX_ATTEMPTS" ]; do
    attempt=$((attempt + 1))
    rm -rf "$work/repo.git"
    local rc=0
    git ls-remote --exit-code --heads "$REMOTE" "refs/heads/$BRANCH" >/dev/null || rc=$?
    [ "$rc" -ne 2 ] || { log "$BRANCH does not exist: nothing to squash"; return 0; }
    git clone --quiet --bare --single-branch --branch "$BRANCH" "$REMOTE" "$work/repo.git"
    local g=(git --git-dir="$work/repo.git")
    local tip cutoff before after
    tip=$("${g[@]}" rev-parse "refs/heads/$BRANCH")
    before=$("${g[@]}" rev-list --count --first-parent "$tip")
    cutoff=$("${g[@]}" rev-list -1 --first-parent --before="$OLDER_THAN days ago" "$tip")
    if [ -z "$cutoff" ] || [ "$("${g[@]}" rev-list --count --first-parent "$cutoff")" -le 1 ]; then
      log "no history older than $OLDER_THAN days to squash ($before commits)"
      echo "squash-figures before=$before after=$before squashed=0"
      return 0
    fi
    local folded when new c
    folded=$("${g[@]}" rev-list --count --first-parent "$cutoff")
    when=$("${g[@]}" log -1 --format=%cI "$cutoff")
    new=$(GIT_AUTHOR_NAME=$BOT_NAME GIT_AUTHOR_EMAIL=$BOT_EMAIL GIT_AUTHOR_DATE=$when \
      GIT_COMMITTER_NAME=$BOT_NAME GIT_COMMITTER_EMAIL=$BOT_EMAIL GIT_COMMITTER_DATE=$when \
      "${g[@]}" commit-tree "$cutoff^{tree}" \
      -m "codex: gh-pages history up to $when squashed ($folded commits)")
    for c in $("${g[@]}" rev-list --reverse --first-parent "$cutoff..$tip"); do
      "${g[@]}" log -1 --format=%B "$c" >"$work/msg"
      new=$(GIT_AUTHOR_NAME=$("${g[@]}" log -1 --format=%an "$c") \
        GIT_AUTHOR_EMAIL=$("${g[@]}" log -1 --format=%ae "$c") \
        GIT_AUTHOR_DATE=$("${g[@]}" log -1 --format=%aI "$c") \
        GIT_COMMITTER_NAME=$("${g[@]}" log -1 --format=%cn "$c") \
        GIT_COMMITTER_EMAIL=$("${g[@]}" log -1 --format=%ce "$c") \
        GIT_COMMITTER_DATE=$("${g[@]}" log -1 --format=%cI "$c") \
        "${g[@]}" commit-tree "$c^{tree}" -p "$new" -F "$work/msg")
    done
    [ "$("${g[@]}" rev-parse "$new^{tree}")" = "$("${g[@]}" rev-parse "$tip^{tree}")" ] ||
      die "internal error: the squashed branch's content differs from $tip"
    after=$("${g[@]}" rev-list --count "$new")
    if "${g[@]}" push --quiet --force-with-lease="refs/heads/$BRANCH:$tip" "$REMOTE" \
      "$new:refs/heads/$BRANCH" 2>"$work/push.err"; then
      local ms=$(($(now_ms) - t0))
      log "squashed $folded commits older than $OLDER_THAN days: $before -> $after commits in $attempt attempt(s), ${ms}ms"
      summary "gh-pages history: $before -> $after commits (folded $folded older than $OLDER_THAN days)"
      echo "squash-figures before=$before after=$after squashed=$folded attempts=$attempt"
      return 0
    fi
    log "squash push refused (attempt $attempt): $(tr '\n' ' ' <"$work/push.err" | cut -c1-200)"
    [ "$attempt" -ge "$MAX_ATTEMPTS" ] || backoff "$attempt"
  done
  die "squash gave up after $attempt attempts (is force-pushing $BRANCH allowed?)"
}

case "$cmd" in
checkout) do_checkout ;;
publish) do_publish ;;
squash) do_squash ;;
-h | --help | help) usage ;;
*) log "unknown command: $cmd"; usage ;;
esac
