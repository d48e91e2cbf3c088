#!/usr/bin/env bash
# Codex's performance benchmark (issue 7; results and method in docs/performance.md).
#
# For each case (N items, issues and pull requests together, x L ms of latency) it starts one `codex-sandbox serve --scenario large`
# and measures, on that same sandbox:
#   1. octokit: @octokit/rest's paginate over the open issues (scripts/bench/paginate.mjs);
#   2. a dry-run `codex-project-sync`: requests, wall time, peak RSS;
#   3. the same dry-run sync with --cache-dir, twice (the first warms): requests and 304s;
#   4. the whole pipeline, each binary in turn, real writes, a fresh pages dir, no cache;
#      then three more times with one cache dir shared by the components, an hour apart on the
#      sandbox's clock (warm-up, measured rerun, and a run after 10 issues were edited);
#   5. the ratios.
# Steps 1 and 2 alternate, --repeat times below 100,000 issues (once at 100,000: those runs take
# minutes); medians are reported.
#
# usage: scripts/bench.sh [--quick] [--case N:L[:no-pipeline|:no-rerun]]... [--repeat R] [--no-build]
#   default    N in {1000, 10000, 100000} x L in {0, 50}
#   --quick    N in {1000, 10000} x L = 0
#   --case     run exactly these cases (repeatable; replaces the matrix); the suffix
#              :no-pipeline skips step 4 for that case, :no-rerun only its cached runs
#   --repeat   samples of steps 1-2 below 100,000 issues [default: 3]
#   --no-build skip `cargo build --release`
# Prints a Markdown table; raw results in $CARGO_TARGET_DIR/bench/results.json, every run's
# output, telemetry and the sandbox's request log under $CARGO_TARGET_DIR/bench/<N>x<L>ms/.
# CARGO_TARGET_DIR is honoured (default target/): the release binaries are taken from there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_JS="$ROOT/scripts/bench"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
REL="$TARGET/release"
OUT="$TARGET/bench"

cases=()
repeat=3
build=1
quick=0
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --case) shift; cases+=("${1:?--case needs N:L}") ;;
    --case=*) cases+=("${1#--case=}") ;;
    --repeat) shift; repeat="${1:?--repeat needs a number}" ;;
    --no-build) build=0 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if ((${#cases[@]} == 0)); then
  if ((quick)); then
    cases=(1000:0 10000:0)
  else
    cases=(1000:0 1000:50 10000:0 10000:50 100000:0 100000:50)
  fi
fi
for c in "${cases[@]}"; do
  [[ $c =~ ^[0-9]+:[0-9]+(:no-pipeline|:no-rerun)?$ ]] || { echo "bench.sh: bad case $c (N:L[:no-pipeline|:no-rerun])" >&2; exit 2; }
done

# Nothing from the caller's environment may steer a component.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(CODEX_|GITHUB_|GH_CI_PAT$|GITHUB_TOKEN$|RUST_LOG$)' || true)

need() { command -v "$1" >/dev/null || { echo "bench.sh: $1 is required${2:+ ($2)}" >&2; exit 2; }; }
need node
need npm
need jq
need curl
[[ -x /usr/bin/time ]] || { echo "bench.sh: /usr/bin/time is required (apt-get install time)" >&2; exit 2; }

if ((build)); then
  echo "building (cargo build --release) ..." >&2
  (cd "$ROOT" && cargo build --release --quiet)
fi
for b in codex-sandbox codex-self-test codex-cleaner codex-project-sync codex-integrity \
  codex-supervisor codex-activity codex-diagnostics codex-telemetry-merge; do
  [[ -x $REL/$b ]] || { echo "bench.sh: $REL/$b missing: run cargo build --release" >&2; exit 2; }
done
if [[ ! -d $BENCH_JS/node_modules/@octokit/rest ]]; then
  echo "installing @octokit/rest (npm ci in scripts/bench) ..." >&2
  (cd "$BENCH_JS" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

mkdir -p "$OUT"

# --- machine --------------------------------------------------------------------------------
machine=$(jq -n \
  --arg nproc "$(nproc)" \
  --arg cpu "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
  --arg mem_kb "$(awk '/^MemTotal/ {print $2}' /proc/meminfo)" \
  --arg kernel "$(uname -sr)" \
  --arg rustc "$(rustc --version)" \
  --arg node "$(node --version)" \
  --arg octokit "$(jq -r .version "$BENCH_JS/node_modules/@octokit/rest/package.json")" \
  --arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg dirty "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | wc -l)" \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  '{nproc: ($nproc|tonumber), cpu: $cpu, mem_gb: (($mem_kb|tonumber) / 1048576 * 10 | round / 10),
    kernel: $kernel, rustc: $rustc, node: $node, octokit_rest: $octokit, commit: $commit,
    modified_files: ($dirty|tonumber), date: $date, loadavg_at_start: $load}')

# --- the sandbox ------------------------------------------------------------------------------
SB_PID=""
URL=""
stop_sandbox() {
  if [[ -n $SB_PID ]]; then
    kill "$SB_PID" 2>/dev/null || true
    wait "$SB_PID" 2>/dev/null || true
    SB_PID=""
  fi
}
trap stop_sandbox EXIT
trap 'stop_sandbox; exit 130' INT TERM

start_sandbox() { # N L DIR
  local t0=$EPOCHREALTIME
  # The primary budget is lifted (GitHub's 5,000/h would stop the 10,000-issue pipeline midway):
  # the benchmark counts requests; it does not simulate the budget. See docs/reliability.md.
  "$REL/codex-sandbox" serve --scenario large --issues "$1" --latency-ms "$2" --rate-limit 1000000000 \
    --log "$3/requests.jsonl" >"$3/sandbox.out" 2>"$3/sandbox.err" &
  SB_PID=$!
  URL=""
  for _ in $(seq 1 1200); do
    URL=$(head -n1 "$3/sandbox.out" 2>/dev/null || true)
    [[ -n $URL ]] && break
    kill -0 "$SB_PID" 2>/dev/null || { cat "$3/sandbox.err" >&2; echo "bench.sh: the sandbox died" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n $URL ]] || { echo "bench.sh: the sandbox printed no URL" >&2; exit 1; }
  SB_START_MS=$(ms_since "$t0")
}

stats() { curl -sf "$URL/_sandbox/stats"; }
log_lines() { wc -l <"$DIR/requests.jsonl"; }
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# Summarise the sandbox's request log between two line marks: requests, writes, 304s, list
# requests (GET of an issues listing) and their 304s, server time, and requests by route.
LIST_RE='^/(repos/[^/]+/[^/]+|repositories/[0-9]+)/issues$'
log_summary() { # FROM TO (line numbers, exclusive/inclusive)
  sed -n "$(($1 + 1)),$2p" "$DIR/requests.jsonl" | jq -s --arg re "$LIST_RE" '
    def list: .method == "GET" and (.path | test($re));
    {requests: length,
     not_modified: map(select(.status == 304)) | length,
     list_requests: map(select(list)) | length,
     list_not_modified: map(select(list and .status == 304)) | length,
     graphql: map(select(.path == "/graphql")) | length,
     graphql_write_requests: map(select(.path == "/graphql" and (.writes // 0) > 0)) | length,
     graphql_writes: (map(select(.path == "/graphql") | .writes // 0) | add // 0),
     max_rest_writes_per_issue: (map(select((.method == "POST" or .method == "PATCH")
         and (.path | test("/issues/[0-9]+(/labels)?$"))) | .path | capture("/issues/(?<n>[0-9]+)").n)
       | group_by(.) | map(length) | max // 0),
     server_ms: (map(.ms) | add // 0 | . * 10 | round / 10),
     by_status: (group_by(.status) | map({key: (.[0].status | tostring), value: length}) | from_entries)}'
}

# Deltas of the sandbox's own counters.
stats_delta() { # BEFORE AFTER
  jq -n --argjson a "$1" --argjson b "$2" '
    {requests: ($b.requests - $a.requests), writes: ($b.writes - $a.writes),
     not_modified: ($b.not_modified - $a.not_modified), graphql: ($b.graphql - $a.graphql),
     rate_limited: (($b.rate_limited_requests // 0) - ($a.rate_limited_requests // 0)),
     by_route: ($b.by_route | with_entries(.value -= ($a.by_route[.key] // 0)) | with_entries(select(.value > 0)))}'
}

# Run one Codex component with the benchmark's environment; sets RUN (a JSON object).
run_component() { # LABEL BIN PAGES_DIR CACHE_DIR(or "") ARGS...
  local label=$1 bin=$2 pages=$3 cache=$4
  shift 4
  local base="$DIR/$label"
  local s0 l0 t0 rc s1 l1 wall rss tele=""
  s0=$(stats)
  l0=$(log_lines)
  t0=$EPOCHREALTIME
  rc=0
  env GITHUB_REPOSITORY=acme/widgets GH_CI_PAT=ghp_x GITHUB_API_URL="$URL" \
    CODEX_PAGES_DIR="$pages" GITHUB_RUN_ID="bench-$label" ${cache:+CODEX_CACHE_DIR="$cache"} \
    /usr/bin/time -f %M -o "$base.rss" "$REL/$bin" "$@" >"$base.out" 2>"$base.err" || rc=$?
  wall=$(ms_since "$t0")
  s1=$(stats)
  l1=$(log_lines)
  rss=$(tail -n1 "$base.rss")
  tele=$(sed -n 's/.* — telemetry \(.*\)$/\1/p' "$base.out" | tail -n1)
  local api='null' fields='null'
  if [[ -n $tele && -f $tele ]]; then
    cp "$tele" "$base.telemetry.json"
    api=$(jq -c '.api // null' "$tele")
    fields=$(jq -c '{status, warnings: (.warnings | length), scanned: (.scanned // null),
      managed: (.managed // null), repaired: (if .details then (.details | length) else null end),
      corrections: (.corrections // null)}' "$tele")
  fi
  RUN=$(jq -n --arg lbl "$label" --arg bin "$bin" --argjson rc "$rc" --argjson wall "$wall" \
    --argjson rss "$rss" --argjson api "$api" --argjson fields "$fields" \
    --argjson sandbox "$(stats_delta "$s0" "$s1")" --argjson log "$(log_summary "$l0" "$l1")" \
    '{"label": $lbl, bin: $bin, exit: $rc, wall_ms: $wall, peak_rss_kb: $rss,
      telemetry_api: $api, telemetry: $fields, sandbox: $sandbox, log: $log}')
  if ((rc != 0)); then
    echo "bench.sh: $bin exited $rc (see $base.err)" >&2
  fi
}

run_octokit() { # LABEL
  local base="$DIR/$1" s0 l0 t0 rc=0 wall s1 l1
  s0=$(stats)
  l0=$(log_lines)
  t0=$EPOCHREALTIME
  /usr/bin/time -f %M -o "$base.rss" node "$BENCH_JS/paginate.mjs" "$URL" acme/widgets \
    >"$base.out" 2>"$base.err" || rc=$?
  wall=$(ms_since "$t0")
  s1=$(stats)
  l1=$(log_lines)
  ((rc == 0)) || { cat "$base.err" >&2; echo "bench.sh: octokit paginate failed" >&2; exit 1; }
  RUN=$(jq -n --arg lbl "$1" --argjson node "$(tail -n1 "$base.out")" --argjson wall "$wall" \
    --argjson rss "$(tail -n1 "$base.rss")" \
    --argjson sandbox "$(stats_delta "$s0" "$s1")" --argjson log "$(log_summary "$l0" "$l1")" \
    '{"label": $lbl, items: $node.items, client_requests: $node.requests,
      paginate_ms: $node.ms, process_wall_ms: $wall, peak_rss_kb: $rss,
      sandbox: $sandbox, log: $log}')
}

PIPELINE=(
  "self-test codex-self-test"
  "cleaner codex-cleaner"
  "project-sync codex-project-sync"
  "integrity codex-integrity"
  "supervisor codex-supervisor"
  "activity codex-activity"
  "diagnostics codex-diagnostics"
  "telemetry-merge codex-telemetry-merge"
)

advance_clock() { # SECONDS: move the sandbox's clock
  curl -fsS -X POST -H 'content-type: application/json' -d "{\"advance_secs\": $1}" "$URL/_sandbox/clock" >/dev/null
}

edit_open_issues() { # COUNT: retitle the oldest COUNT open issues through the API, as a person would
  local n
  for n in $(curl -fsS -H 'authorization: token ghp_x' "$URL/repos/acme/widgets/issues?state=open&per_page=100" |
    jq -r '[.[] | select(.pull_request | not) | .number][:'"$1"'][]'); do
    curl -fsS -X PATCH -H 'authorization: token ghp_x' -H 'content-type: application/json' \
      -d "{\"title\": \"edited by a person $n\"}" "$URL/repos/acme/widgets/issues/$n" >/dev/null
  done
}

run_pipeline() { # LABEL CACHE_DIR(or "") [PAGES_DIR, kept from run to run] -> PIPE (JSON)
  local label=$1 cache=$2 pages=${3:-"$DIR/$1-pages"} runs=() entry name bin
  # A fresh pages dir unless one is passed: the cached runs share one, as a gh-pages
  # checkout is shared by scheduled runs (the integrity scanner reads its last scan there).
  [[ -n ${3:-} ]] || rm -rf "$pages"
  mkdir -p "$pages"
  for entry in "${PIPELINE[@]}"; do
    read -r name bin <<<"$entry"
    run_component "$label-$name" "$bin" "$pages" "$cache"
    runs+=("$RUN")
  done
  # What the run leaves under gh-pages (a fresh pages dir: every file is this run's).
  local sizes
  sizes=$(jq -n \
    --argjson dashboard "$(stat -c %s "$pages/dashboard/dashboard.json" 2>/dev/null || echo 0)" \
    --argjson telemetry "$(cat "$pages"/telemetry/*.json 2>/dev/null | wc -c)" \
    --argjson pieces "$(cat "$pages"/dashboard/details/*.json 2>/dev/null | wc -c)" \
    --argjson piece_files "$(find "$pages/dashboard/details" -name '*.json' 2>/dev/null | wc -l)" \
    --argjson all "$(find "$pages" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')" \
    '{dashboard_json: $dashboard, telemetry: $telemetry, pieces: $pieces, piece_files: $piece_files, all_files: $all}')
  PIPE=$(printf '%s\n' "${runs[@]}" | jq -s --arg lbl "$label" --arg cache "$cache" --argjson sizes "$sizes" '
    {"label": $lbl, cache: ($cache != ""), pages_bytes: $sizes,
     requests: (map(.sandbox.requests) | add),
     telemetry_requests: (map(.telemetry_api.requests // 0) | add),
     writes: (map(.sandbox.writes) | add),
     telemetry_mutations: (map(.telemetry_api.mutations // 0) | add),
     not_modified: (map(.log.not_modified) | add),
     list_requests: (map(.log.list_requests) | add),
     list_not_modified: (map(.log.list_not_modified) | add),
     wall_ms: (map(.wall_ms) | add | . * 10 | round / 10),
     max_peak_rss_kb: (map(.peak_rss_kb) | max),
     exits: (map(.exit) | unique),
     rate_limited: (map(.sandbox.rate_limited) | add),
     sync_repaired: (map(select(.bin == "codex-project-sync"))[0].telemetry.repaired),
     sync_writes: (map(select(.bin == "codex-project-sync"))[0].sandbox.writes),
     sync_project_documents: (map(select(.bin == "codex-project-sync"))[0].log.graphql_write_requests),
     sync_project_additions: (map(select(.bin == "codex-project-sync"))[0].log.graphql_writes),
     sync_max_rest_writes_per_issue: (map(select(.bin == "codex-project-sync"))[0].log.max_rest_writes_per_issue),
     sync_writes_per_repaired: (map(select(.bin == "codex-project-sync"))[0] |
       if (.telemetry.repaired // 0) > 0 then (.sandbox.writes / .telemetry.repaired * 100 | round / 100) else null end),
     components: .}')
}

median() { jq -s 'sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end'; }

# --- the cases --------------------------------------------------------------------------------
results=()
bench_t0=$EPOCHREALTIME
for c in "${cases[@]}"; do
  IFS=: read -r N L flag <<<"$c"
  pipeline=1
  rerun=1
  [[ $flag == no-pipeline ]] && pipeline=0
  [[ $flag == no-rerun ]] && rerun=0
  DIR="$OUT/${N}x${L}ms"
  rm -rf "$DIR"
  mkdir -p "$DIR"
  case_t0=$EPOCHREALTIME
  echo "== N=$N latency=${L}ms" >&2
  start_sandbox "$N" "$L" "$DIR"
  echo "   sandbox $URL (generated in ${SB_START_MS} ms)" >&2

  samples=$repeat
  ((N >= 100000)) && samples=1
  octo=()
  dry=()
  for i in $(seq 1 "$samples"); do
    run_octokit "octokit-$i"
    octo+=("$RUN")
    echo "   octokit #$i: $(jq -r '"\(.items) items, \(.sandbox.requests) requests, \(.paginate_ms) ms"' <<<"$RUN")" >&2
    run_component "dry-sync-$i" codex-project-sync "$DIR/dry-pages" "" --dry-run
    dry+=("$RUN")
    echo "   dry-run sync #$i: $(jq -r '"\(.sandbox.requests) requests, \(.wall_ms) ms, \(.peak_rss_kb) KB"' <<<"$RUN")" >&2
  done

  rm -rf "$DIR/cache"
  mkdir -p "$DIR/cache"
  run_component "cached-sync-warm" codex-project-sync "$DIR/dry-pages" "$DIR/cache" --dry-run
  warm=$RUN
  run_component "cached-sync-rerun" codex-project-sync "$DIR/dry-pages" "$DIR/cache" --dry-run
  cached_rerun=$RUN
  echo "   cached rerun: $(jq -r '"\(.sandbox.requests) requests, \(.log.list_not_modified)/\(.log.list_requests) list requests 304"' <<<"$cached_rerun")" >&2

  pipes='[]'
  if ((pipeline)); then
    run_pipeline pipeline ""
    p1=$PIPE
    echo "   pipeline: $(jq -r '"\(.requests) requests, \(.writes) writes, \(.wall_ms) ms"' <<<"$p1")" >&2
    echo "   peak RSS MB: $(jq -r '[.components[] | "\(.bin | ltrimstr("codex-")) \(.peak_rss_kb / 1024 * 10 | round / 10)"] | join(", ")' <<<"$p1")" >&2
    pipes=$(jq -n --argjson a "$p1" '[$a]')
  fi
  if ((pipeline && rerun)); then
    rm -rf "$DIR/pipeline-cache" "$DIR/pipeline-cache-pages"
    mkdir -p "$DIR/pipeline-cache"
    # Scheduled runs are hours apart: the sandbox's clock (its answers' dates and its edits')
    # moves an hour before each, so a delta's minute of margin covers only that run's own
    # edits, as on a schedule.
    advance_clock 3600
    run_pipeline pipeline-cache-warm "$DIR/pipeline-cache" "$DIR/pipeline-cache-pages"
    p2=$PIPE
    advance_clock 3600
    run_pipeline pipeline-cache-rerun "$DIR/pipeline-cache" "$DIR/pipeline-cache-pages"
    p3=$PIPE
    echo "   pipeline rerun with cache: $(jq -r '"\(.requests) requests (\(.requests - .not_modified) not 304), \(.list_not_modified)/\(.list_requests) list requests 304"' <<<"$p3")" >&2
    # Ten open issues edited by a person (their titles), then the next scheduled run.
    edit_open_issues 10
    advance_clock 3600
    run_pipeline pipeline-cache-ten "$DIR/pipeline-cache" "$DIR/pipeline-cache-pages"
    p4=$PIPE
    echo "   pipeline after 10 edits: $(jq -r '"\(.requests) requests (\(.requests - .not_modified) not 304)"' <<<"$p4")" >&2
    pipes=$(jq -n --argjson a "$p1" --argjson b "$p2" --argjson c "$p3" --argjson d "$p4" '[$a, $b, $c, $d]')
  fi
  stop_sandbox

  octo_json=$(printf '%s\n' "${octo[@]}" | jq -s .)
  dry_json=$(printf '%s\n' "${dry[@]}" | jq -s .)
  octo_ms=$(jq '.[].paginate_ms' <<<"$octo_json" | median)
  octo_proc_ms=$(jq '.[].process_wall_ms' <<<"$octo_json" | median)
  dry_ms=$(jq '.[].wall_ms' <<<"$dry_json" | median)
  result=$(jq -n --argjson n "$N" --argjson l "$L" --argjson start "$SB_START_MS" \
    --argjson octo "$octo_json" --argjson dry "$dry_json" --argjson octo_ms "$octo_ms" \
    --argjson octo_proc_ms "$octo_proc_ms" --argjson dry_ms "$dry_ms" \
    --argjson warm "$warm" --argjson rerun "$cached_rerun" --argjson pipes "$pipes" \
    --argjson case_ms "$(ms_since "$case_t0")" '
    ($octo[0].items) as $items | (($items + 99) / 100 | floor) as $pages |
    {issues: $n, latency_ms: $l, sandbox_start_ms: $start, case_wall_ms: $case_ms,
     open_items: $items, min_list_requests: $pages,
     octokit: {requests: $octo[0].sandbox.requests, paginate_ms_median: $octo_ms,
               sandbox_server_ms: $octo[0].log.server_ms,
               process_wall_ms_median: $octo_proc_ms, samples: $octo},
     dry_run_sync: {requests: $dry[0].sandbox.requests,
                    telemetry_requests: $dry[0].telemetry_api.requests,
                    list_requests: $dry[0].log.list_requests,
                    graphql_requests: $dry[0].log.graphql,
                    wall_ms_median: $dry_ms,
                    sandbox_server_ms: $dry[0].log.server_ms,
                    peak_rss_kb_max: ($dry | map(.peak_rss_kb) | max),
                    samples: $dry},
     cached_sync: {warm: $warm, rerun: $rerun,
                   rerun_requests: $rerun.sandbox.requests,
                   rerun_not_modified: $rerun.sandbox.not_modified,
                   rerun_list_requests: $rerun.log.list_requests,
                   rerun_list_not_modified: $rerun.log.list_not_modified,
                   rerun_list_304_share: (if $rerun.log.list_requests > 0
                     then ($rerun.log.list_not_modified / $rerun.log.list_requests * 1000 | round / 1000)
                     else null end)},
     pipeline: (if ($pipes | length) > 0 then $pipes[0] else null end),
     pipeline_cache_warm: (if ($pipes | length) > 1 then $pipes[1] else null end),
     pipeline_cache_rerun: (if ($pipes | length) > 2 then $pipes[2] else null end),
     pipeline_cache_ten_edited: (if ($pipes | length) > 3 then $pipes[3] else null end),
     ratios: {
       dry_sync_over_octokit_paginate: ($dry_ms / $octo_ms * 100 | round / 100),
       dry_sync_over_octokit_process: ($dry_ms / $octo_proc_ms * 100 | round / 100),
       octokit_requests_per_page: ($octo[0].sandbox.requests / $pages * 100 | round / 100),
       sync_list_requests_per_page: ($dry[0].log.list_requests / $pages * 100 | round / 100),
       sync_requests_per_page: ($dry[0].sandbox.requests / $pages * 100 | round / 100)},
     latency_bound_ms: ($l * $dry[0].sandbox.requests)}')
  results+=("$result")
  echo "   case done in $(jq -r '.case_wall_ms / 1000 | round' <<<"$result") s" >&2
done

all=$(printf '%s\n' "${results[@]}" | jq -s --argjson machine "$machine" \
  --arg cmd "scripts/bench.sh ${cases[*]/#/--case }" --argjson total "$(ms_since "$bench_t0")" \
  --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  '{machine: ($machine + {loadavg_at_end: $load}), command: $cmd, total_wall_ms: $total, cases: .}')
echo "$all" >"$OUT/results.json"

# --- the table --------------------------------------------------------------------------------
jq -r '
  def mb: if . == null then "–" else (. / 1024 * 10 | round / 10 | tostring) end;
  def s: if . == null then "–" else (. / 1000 * 100 | round / 100 | tostring) end;
  def n: if . == null then "–" else tostring end;
  def pct: if . == null then "–" else ((. * 1000 | round / 10 | tostring) + "%") end;
  .machine as $m |
  "Machine: \($m.nproc) CPUs, \($m.cpu), \($m.mem_gb) GB; \($m.rustc); node \($m.node), @octokit/rest \($m.octokit_rest); commit \($m.commit)\(if $m.modified_files > 0 then " + \($m.modified_files) modified file(s)" else "" end); \($m.date); load average \($m.loadavg_at_start) at start, \($m.loadavg_at_end) at end",
  "",
  "| N (issues + PRs) | latency | open items | ceil(items/100) | octokit requests | octokit paginate s | dry-run sync requests (telemetry / sandbox) | of which lists | dry-run sync s | sync / octokit | dry-run sync peak RSS MB | cached rerun requests | rerun 304s | 304 share of lists | pipeline requests | pipeline writes | pipeline s | pipeline max RSS MB | pipeline rerun with cache: requests, 304 share of lists |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  (.cases[] |
    "| \(.issues) | \(.latency_ms) ms | \(.open_items) | \(.min_list_requests) | \(.octokit.requests) | \(.octokit.paginate_ms_median | s) | \(.dry_run_sync.telemetry_requests | n) / \(.dry_run_sync.requests) | \(.dry_run_sync.list_requests) | \(.dry_run_sync.wall_ms_median | s) | \(.ratios.dry_sync_over_octokit_paginate) | \(.dry_run_sync.peak_rss_kb_max | mb) | \(.cached_sync.rerun_requests) | \(.cached_sync.rerun_not_modified) | \(.cached_sync.rerun_list_304_share | pct) | \(.pipeline.requests | n) | \(.pipeline.writes | n) | \(.pipeline.wall_ms | s) | \(.pipeline.max_peak_rss_kb | mb) | \(if .pipeline_cache_rerun then "\(.pipeline_cache_rerun.requests), \((if .pipeline_cache_rerun.list_requests > 0 then .pipeline_cache_rerun.list_not_modified / .pipeline_cache_rerun.list_requests else null end) | pct)" else "–" end) |")
' "$OUT/results.json"
echo
echo "raw results: $OUT/results.json" >&2
