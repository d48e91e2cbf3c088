#!/usr/bin/env bash
# What Codex's runs do to the gh-pages branch over a month (issue 16; results in
# docs/performance.md, "The gh-pages branch").
#
# 1. Sample: one `codex pipeline` run against `codex-sandbox serve --scenario large --issues N`
#    (the repairing first run), then a second run on the repaired sandbox: the second run's files
#    are what a scheduled run adds from then on.
# 2. Simulation: R runs, H hours apart, ending now, each as the workflows do it: a fresh depth-1
#    checkout of gh-pages from a local bare repository (scripts/publish-gh-pages.sh checkout),
#    the sample's telemetry files renamed and re-stamped for that run (run_id, started_at,
#    finished_at: distinct content, as real runs have), the sample's dashboard files with the
#    run's generated_at and its pieces (dashboard/details/) with its run_id, telemetry older
#    than D days deleted as the cleaner prunes it (never a component's newest), then
#    `publish-gh-pages.sh publish` with the run's commit date and `publish-gh-pages.sh squash
#    --older-than K` (the Action's pages-history-days, default 14).
# 3. Figures: the run's new files (bytes added under telemetry/), the files it replaces, and at
#    the end the working tree (bytes, files) and the bare repository after `git gc` (its pack:
#    what GitHub stores and what a clone downloads).
#
# usage: scripts/bench-pages.sh [--issues N] [--runs R] [--every-hours H] [--max-age-days D]
#                               [--history-days K] [--sample DIR] [--no-build]
#   --issues        N items in the sampled repository [default: 100000]
#   --runs          R simulated runs [default: 120: 30 days of 4 runs a day]
#   --every-hours   H hours between runs [default: 6]
#   --max-age-days  D days of telemetry kept (CODEX_TELEMETRY_MAX_AGE_DAYS) [default: 30]
#   --history-days  K days of history kept unsquashed (pages-history-days) [default: 14]
#   --sample        use DIR (a pages tree of one run: telemetry/ and dashboard/) instead of
#                   running the pipeline; every telemetry file in it is one run's
#   --no-build      skip `cargo build --release`
# Honours CARGO_TARGET_DIR. Prints a summary; raw figures in $CARGO_TARGET_DIR/bench-pages/results.json.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
REL="$TARGET/release"
OUT="$TARGET/bench-pages"
PUBLISH="$ROOT/scripts/publish-gh-pages.sh"

issues=100000
runs=120
every=6
max_age=30
history=14
sample=""
build=1
while (($#)); do
  case "$1" in
    --issues) issues=${2:?--issues needs N}; shift ;;
    --runs) runs=${2:?--runs needs R}; shift ;;
    --every-hours) every=${2:?--every-hours needs H}; shift ;;
    --max-age-days) max_age=${2:?--max-age-days needs D}; shift ;;
    --history-days) history=${2:?--history-days needs K}; shift ;;
    --sample) sample=${2:?--sample needs DIR}; shift ;;
    --no-build) build=0 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench-pages.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for v in "$issues" "$runs" "$every" "$max_age" "$history"; do
  [[ $v =~ ^[0-9]+$ && $v -gt 0 ]] || { echo "bench-pages.sh: expected a whole number above 0, got '$v'" >&2; exit 2; }
done
for tool in jq git curl; do
  command -v "$tool" >/dev/null || { echo "bench-pages.sh: $tool is required" >&2; exit 2; }
done

# Nothing from the caller's environment may steer a component or the publisher.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(CODEX_|GITHUB_|GH_CI_PAT$|GITHUB_TOKEN$|GH_PAGES_TOKEN$|RUST_LOG$)' || true)

rm -rf "$OUT"
mkdir -p "$OUT"
log() { printf 'bench-pages: %s\n' "$*" >&2; }

# --- 1. the sample ------------------------------------------------------------------------------
SB_PID=""
stop_sandbox() { [[ -z $SB_PID ]] || { kill "$SB_PID" 2>/dev/null || true; wait "$SB_PID" 2>/dev/null || true; SB_PID=""; }; }
trap stop_sandbox EXIT
trap 'stop_sandbox; exit 130' INT TERM

if [[ -z $sample ]]; then
  if ((build)); then
    log "building (cargo build --release) ..."
    (cd "$ROOT" && cargo build --release --quiet --bin codex --bin codex-sandbox)
  fi
  for b in codex codex-sandbox; do
    [[ -x $REL/$b ]] || { echo "bench-pages.sh: $REL/$b missing: run cargo build --release" >&2; exit 2; }
  done
  log "sandbox: --scenario large --issues $issues ..."
  "$REL/codex-sandbox" serve --scenario large --issues "$issues" --rate-limit 1000000000 \
    >"$OUT/sandbox.out" 2>"$OUT/sandbox.err" &
  SB_PID=$!
  url=""
  for _ in $(seq 1 3000); do
    url=$(head -n1 "$OUT/sandbox.out" 2>/dev/null || true)
    [[ -n $url ]] && break
    kill -0 "$SB_PID" 2>/dev/null || { cat "$OUT/sandbox.err" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n $url ]] || { echo "bench-pages.sh: the sandbox printed no URL" >&2; exit 1; }
  for run in first second; do
    log "pipeline run: $run ..."
    rc=0
    env GITHUB_REPOSITORY=acme/widgets GH_CI_PAT=ghp_x GITHUB_API_URL="$url" \
      CODEX_PAGES_DIR="$OUT/pages-$run" GITHUB_RUN_ID="sample-$run" \
      "$REL/codex" pipeline >"$OUT/pipeline-$run.out" 2>"$OUT/pipeline-$run.err" || rc=$?
    ((rc == 0)) || { tail -n 20 "$OUT/pipeline-$run.err" >&2; echo "bench-pages.sh: the pipeline exited $rc" >&2; exit 1; }
  done
  stop_sandbox
  # The second run's own telemetry, beside the dashboard it produced.
  sample="$OUT/sample"
  mkdir -p "$sample/telemetry"
  cp "$OUT"/pages-second/telemetry/*sample-second*.json "$sample/telemetry/"
  cp -r "$OUT/pages-second/dashboard" "$sample/dashboard"
fi
[[ -d $sample/telemetry ]] || { echo "bench-pages.sh: $sample has no telemetry/" >&2; exit 2; }
mapfile -t tele < <(cd "$sample/telemetry" && ls -1 -- *.json)
((${#tele[@]} > 0)) || { echo "bench-pages.sh: $sample/telemetry holds no .json file" >&2; exit 2; }
sample_tele_bytes=$(cat "$sample"/telemetry/*.json | wc -c)
sample_dash_bytes=$( (cd "$sample" && find dashboard -type f -print0 | xargs -0 cat) | wc -c)
log "sample: ${#tele[@]} telemetry files, $sample_tele_bytes bytes; dashboard/ $sample_dash_bytes bytes"

# --- 2. the simulation ----------------------------------------------------------------------------
bare="$OUT/gh-pages.git"
git init --quiet --bare "$bare"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
# git's automatic gc runs in the foreground: detached, it was still writing in a checkout when the
# next run removed it.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=gc.autoDetach GIT_CONFIG_VALUE_0=false
# A file:// URL, so the checkout is depth 1 as on a runner (a plain path is a local clone, which
# ignores --depth and copies the whole history every run).
remote="file://$bare"
now=$(date -u +%s)
first=$((now - (runs - 1) * every * 3600))
keep_secs=$((max_age * 86400))
: >"$OUT/runs.jsonl"
for i in $(seq 1 "$runs"); do
  at=$((first + (i - 1) * every * 3600))
  iso=$(date -u -d "@$at" +%Y-%m-%dT%H:%M:%SZ)
  id=$(printf 'sim-%04d' "$i")
  work="$OUT/work"
  rm -rf "$work"
  bash "$PUBLISH" checkout --dir "$work" --remote "$remote" >/dev/null 2>"$OUT/checkout.err"
  mkdir -p "$work/telemetry" "$work/dashboard"
  added=0
  for f in "${tele[@]}"; do
    name=${f//sample-second/$id}
    [[ $name != "$f" ]] || name="${f%.json}-$id.json"
    jq -c --arg id "$id" --arg at "$iso" \
      'if type == "object" then (.run_id? = $id) | (if has("started_at") then .started_at = $at else . end)
         | (if has("finished_at") then .finished_at = $at else . end) else . end' \
      "$sample/telemetry/$f" >"$work/telemetry/$name"
    added=$((added + $(wc -c <"$work/telemetry/$name")))
  done
  # The cleaner's pruning: telemetry whose run is older than D days; never a component's newest
  # (this run's files are every component's newest).
  pruned=0
  while IFS= read -r old; do
    [[ $old =~ sim-([0-9]{4}) ]] || continue
    run_at=$((first + (10#${BASH_REMATCH[1]} - 1) * every * 3600))
    if ((at - run_at > keep_secs)); then
      rm -f -- "$old"
      pruned=$((pruned + 1))
    fi
  done < <(find "$work/telemetry" -name '*.json' -type f)
  # The dashboard as the merge writes it: the sample's, stamped with this run.
  rm -rf "$work/dashboard"
  cp -r "$sample/dashboard" "$work/dashboard"
  if [[ -f $work/dashboard/dashboard.json ]]; then
    jq -c --arg at "$iso" '.generated_at = $at' "$sample/dashboard/dashboard.json" >"$work/dashboard/dashboard.json"
  fi
  # The pieces of the bounded lists (dashboard/details/), stamped with this run: every piece
  # changes every run (the worst case: in a real run only the pieces whose entries changed do).
  if [[ -d $sample/dashboard/details ]]; then
    for f in "$sample"/dashboard/details/*.json; do
      [[ -e $f ]] || continue
      jq -c --arg id "$id" '.run_id = $id' "$f" >"$work/dashboard/details/${f##*/}"
    done
  fi
  replaced=$( (cd "$work/dashboard" && find . -type f -print0 | xargs -0 cat) | wc -c)
  GIT_AUTHOR_DATE=$iso GIT_COMMITTER_DATE=$iso GITHUB_RUN_ID=$id \
    bash "$PUBLISH" publish --dir "$work" --message "codex: publish run $id" >/dev/null 2>"$OUT/publish.err" ||
    { cat "$OUT/publish.err" >&2; echo "bench-pages.sh: publish failed at run $i" >&2; exit 1; }
  squash=$(bash "$PUBLISH" squash --older-than "$history" --remote "$remote" 2>"$OUT/squash.err" | sed -n 's/^squash-figures //p' | tail -n1)
  printf '{"run":%d,"at":"%s","new_telemetry_bytes":%d,"dashboard_bytes":%d,"pruned_files":%d,"squash":"%s"}\n' \
    "$i" "$iso" "$added" "$replaced" "$pruned" "$squash" >>"$OUT/runs.jsonl"
  ((i % 10)) || log "run $i of $runs ($iso): +$added bytes of telemetry, $pruned pruned"
done

# --- 3. figures -----------------------------------------------------------------------------------
rm -rf "$OUT/final"
git clone --quiet --branch gh-pages "$bare" "$OUT/final"
tree_bytes=$( (cd "$OUT/final" && find . -path ./.git -prune -o -type f -print0 | xargs -0 cat) | wc -c)
tree_files=$(cd "$OUT/final" && find . -path ./.git -prune -o -type f -print | wc -l)
tele_files=$(find "$OUT/final/telemetry" -type f | wc -l)
commits=$(git --git-dir="$bare" rev-list --count gh-pages)
git --git-dir="$bare" gc --quiet --prune=now
pack_kb=$(git --git-dir="$bare" count-objects -v | awk '/^size-pack:/ {print $2}')
jq -s --argjson runs "$runs" --argjson every "$every" --argjson max_age "$max_age" --argjson history "$history" \
  --argjson tree_bytes "$tree_bytes" --argjson tree_files "$tree_files" --argjson tele_files "$tele_files" \
  --argjson commits "$commits" --argjson pack_kb "$pack_kb" --arg sample "$sample" \
  --argjson sample_tele "$sample_tele_bytes" --argjson sample_dash "$sample_dash_bytes" \
  --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  '{commit: $commit, runs: $runs, every_hours: $every, max_age_days: $max_age, history_days: $history,
    sample: $sample, sample_telemetry_bytes: $sample_tele, sample_dashboard_bytes: $sample_dash,
    new_telemetry_bytes_per_run: {max: (map(.new_telemetry_bytes) | max), last: (.[-1].new_telemetry_bytes)},
    dashboard_bytes_per_run: (.[-1].dashboard_bytes),
    working_tree: {bytes: $tree_bytes, files: $tree_files, telemetry_files: $tele_files},
    repository: {commits: $commits, pack_kb: $pack_kb}}' "$OUT/runs.jsonl" >"$OUT/results.json"
cat "$OUT/results.json"
jq -r '"\(.runs) runs, \(.every_hours) h apart: each run adds \(.new_telemetry_bytes_per_run.max) bytes of telemetry and replaces \(.dashboard_bytes_per_run) bytes under dashboard/; working tree \(.working_tree.bytes) bytes in \(.working_tree.files) files; repository \(.repository.commits) commits, pack \(.repository.pack_kb) KB"' "$OUT/results.json"
