#!/usr/bin/env bash
# bench-org.sh: what a run over many repositories costs with a GitHub App (issue 14; results
# and method in docs/performance.md, "Many repositories").
#
# Two modes, each on its own fresh sandbox (`codex-sandbox serve --scenario org`, the App of
# id 42 with a key it generates, the primary budget lifted so that the counts are not cut):
#   serial  one `codex pipeline --org acme --include-forks` process;
#   fanout  the chosen list (`codex discover --org acme --include-forks --json`) dealt
#           round-robin into --legs legs (repository i to leg i mod legs), one
#           `codex pipeline --repos <leg>` process per leg, all started together, each with its
#           own pages and cache dirs (as matrix legs on separate runners), then the legs'
#           <owner>/ subtrees copied into one dir and `codex overview` over it (as the control
#           workflow's publish job does).
# Each mode runs four times on its sandbox:
#   first    0 ms, the sandbox as seeded: the repairing run;
#   steady   0 ms again: nothing left to repair, what a scheduled run costs;
#   nocache  0 ms through scripts/bench/delay_proxy.py (delay 0): a steady run whose
#            conditional-request cache is empty (the cache is keyed by URL, and the proxy's URL
#            is new); compared with "steady", it also shows what the proxy costs;
#   steady   --latency ms (default 50) through the same proxy, which now holds each request
#            that long before passing it on (the sandbox's own --latency-ms is fixed at start,
#            and a repairing run at 50 ms would take hours serially).
# Every process runs with only App credentials (CODEX_APP_ID, CODEX_APP_PRIVATE_KEY_FILE), its
# own pages dir and a conditional-request cache (CODEX_CACHE_DIR), both kept between its runs as
# the workflows keep them.
#
# Per run: requests (the sandbox's stats; per process, the telemetry's api.requests summed over
# its repositories), of which GraphQL, 304s (free on GitHub) and JWT requests (the App's budget,
# not the installation's); REST requests the installation's budget counts; writes; installation
# tokens minted; wall time (serial: the process; fanout: first leg's start to last leg's end,
# plus the overview); peak RSS (/usr/bin/time; fanout: the largest leg and the sum); the load
# average and the busiest other processes before it.
#
# usage: scripts/bench-org.sh [--no-build] [--repos N] [--issues-per-repo M] [--legs K]
#                             [--latency MS] [--mode serial|fanout]... [--skip-latency MODE]...
#   --repos            repositories of the sandbox's org [default: 55: every 10th is archived
#                      and left out, so 50 are chosen; every 7th is a fork, kept]
#   --issues-per-repo  items of each repository [default: 2000]
#   --legs             legs of the fan-out [default: 4]
#   --latency          the latency of the last run [default: 50]
#   --mode             only this mode (repeatable) [default: serial and fanout]
#   --skip-latency     skip the --latency run of this mode (repeatable): the serial run at
#                      50 ms over 50 repositories of 2,000 takes about 4 minutes (45 before a
#                      run read the Project once)
#   --no-build         skip `cargo build --release`
# Needs cargo, curl, python3, /usr/bin/time. CARGO_TARGET_DIR is honoured (default target/);
# the release build is used. Raw results, appended: $CARGO_TARGET_DIR/bench-org/results.jsonl;
# every run's output, pages (telemetry) and the sandbox's request log, replaced per mode, under
# $CARGO_TARGET_DIR/bench-org/<mode>/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release"
OUT="$TARGET/bench-org"

repos=55
per_repo=2000
legs=4
latency=50
build=1
modes=()
skip_latency=" "
while (($#)); do
  case "$1" in
    --repos) shift; repos="${1:?--repos needs a number}" ;;
    --issues-per-repo) shift; per_repo="${1:?--issues-per-repo needs a number}" ;;
    --legs) shift; legs="${1:?--legs needs a number}" ;;
    --latency) shift; latency="${1:?--latency needs milliseconds}" ;;
    --mode) shift; modes+=("${1:?--mode needs serial or fanout}") ;;
    --skip-latency) shift; skip_latency+="${1:?--skip-latency needs serial or fanout} " ;;
    --no-build) build=0 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench-org.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
((${#modes[@]})) || modes=(serial fanout)
for m in "${modes[@]}"; do
  [[ $m == serial || $m == fanout ]] || { echo "bench-org.sh: bad mode $m" >&2; exit 2; }
done

# Nothing from the caller's environment may steer a run.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(CODEX_|GITHUB_|GH_CI_PAT$|GITHUB_TOKEN$|RUST_LOG$)' || true)

if ((build)); then
  cargo build --release --quiet --locked -p codex-cli -p codex-sandbox --bins
fi
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"

now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# The busiest processes that are not this benchmark's, for the record.
others() {
  ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 && $2 !~ /^(codex|codex-sandbox|python3|ps|awk|time)$/ && n++ < 5 { printf "%s%s %s%%", sep, $2, $1; sep = ", " }'
}

SANDBOX_PID=""
PROXY_PID=""
stop() {
  local pid
  for pid in "$PROXY_PID" "$SANDBOX_PID"; do
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  PROXY_PID=""
  SANDBOX_PID=""
}
trap stop EXIT

# start_sandbox DIR: a fresh org sandbox; sets SANDBOX_URL.
start_sandbox() {
  local dir=$1
  "$BIN/codex-sandbox" serve --scenario org --repos "$repos" --issues-per-repo "$per_repo" \
    --rate-limit 1000000000 --app-id 42 --app-private-key-out "$dir/key.pem" \
    --log "$dir/requests.jsonl" >"$dir/sandbox.url" 2>"$dir/sandbox.err" &
  SANDBOX_PID=$!
  for _ in $(seq 600); do [ -s "$dir/sandbox.url" ] && break; sleep 0.1; done
  SANDBOX_URL=$(head -1 "$dir/sandbox.url")
  [ -n "$SANDBOX_URL" ] || { echo "bench-org.sh: the sandbox did not start" >&2; cat "$dir/sandbox.err" >&2; exit 1; }
}

# start_proxy DIR: a delaying proxy in front of the sandbox, its delay in DIR/delay.ms; sets
# PROXY_URL.
start_proxy() {
  local dir=$1
  echo 0 >"$dir/delay.ms"
  python3 "$ROOT/scripts/bench/delay_proxy.py" "${SANDBOX_URL##*:}" "$dir/delay.ms" >"$dir/proxy.url" 2>"$dir/proxy.err" &
  PROXY_PID=$!
  for _ in $(seq 100); do [ -s "$dir/proxy.url" ] && break; sleep 0.1; done
  PROXY_URL=$(head -1 "$dir/proxy.url")
  [ -n "$PROXY_URL" ] || { echo "bench-org.sh: the proxy did not start" >&2; cat "$dir/proxy.err" >&2; exit 1; }
}

# codex_env DIR API PAGES CACHE RUN_ID: the environment of one codex process.
codex_env() {
  local dir=$1 api=$2 pages=$3 cache=$4 run_id=$5
  CENV=(env -i PATH="$PATH" HOME="$dir" GITHUB_API_URL="$api" CODEX_PAGES_DIR="$pages"
    CODEX_CACHE_DIR="$cache" GITHUB_RUN_ID="$run_id"
    CODEX_APP_ID=42 CODEX_APP_PRIVATE_KEY_FILE="$dir/key.pem")
}

# telemetry_requests PAGES RUN_ID: the components' requests (telemetry's api.requests) in the
# run RUN_ID, summed over every repository under PAGES.
telemetry_requests() {
  python3 - "$1" "$2" <<'PY'
import glob, json, sys
pages, run_id = sys.argv[1], sys.argv[2]
print(sum(json.load(open(p)).get("api", {}).get("requests", 0)
          for p in glob.glob(f"{pages}/*/*/telemetry/*-{run_id}.json")))
PY
}

# record MODE RUN LATENCY DIR T0 T1 T2 LINES0 STATS0 LOAD OTHERS RSS... : one results line from
# the stats and the log lines since LINES0.
record() {
  local mode=$1 run=$2 lat=$3 dir=$4 t0=$5 t1=$6 t2=$7 lines0=$8 stats0=$9 ld=${10} oth=${11}
  shift 11
  curl -s "$SANDBOX_URL/_sandbox/stats" >"$dir/stats.after"
  python3 - "$mode" "$run" "$lat" "$t0" "$t1" "$t2" "$lines0" "$stats0" "$dir/stats.after" \
    "$dir/requests.jsonl" "$ld" "$oth" "$@" >>"$RESULTS" <<'PY'
import json, re, sys
mode, run, lat, t0, t1, t2, lines0, s0, s1, log, ld, oth = sys.argv[1:13]
rest = sys.argv[13:]  # rss:requests pairs, one per process
a, b = json.load(open(s0)), json.load(open(s1))
d = lambda f: f(b) - f(a)
app = lambda k: (lambda s: s.get("app", {}).get(k, 0))
st = lambda code: (lambda s: s["by_status"].get(code, 0))
jwt_path = re.compile(r"^/(app(/|$)|(repos/[^/]+/[^/]+|orgs/[^/]+|users/[^/]+)/installation$)")
n = {"lines": 0, "graphql": 0, "n304": 0, "jwt_paths": 0, "rest_counted": 0, "writes_log": 0}
with open(log) as f:
    for i, line in enumerate(f):
        if i < int(lines0):
            continue
        r = json.loads(line)
        n["lines"] += 1
        if r["path"] == "/graphql":
            n["graphql"] += 1
        elif r["status"] == 304:
            n["n304"] += 1
        elif jwt_path.match(r["path"]):
            n["jwt_paths"] += 1
        elif r["path"] != "/rate_limit":
            n["rest_counted"] += 1
procs = [dict(zip(("rss_kb", "requests"), map(int, p.split(":")))) for p in rest]
out = {
    "mode": mode, "run": run, "latency_ms": int(lat),
    "requests": d(lambda s: s["requests"]), "writes": d(lambda s: s["writes"]),
    "graphql": n["graphql"], "not_modified": n["n304"], "jwt_requests": d(app("jwt_requests")),
    "rest_installation_counted": n["rest_counted"],
    "tokens_issued": d(app("tokens_issued")), "status_401": d(st("401")),
    "status_403": d(st("403")), "status_5xx": sum(d(st(c)) for c in ("500", "502", "503")),
    "log_lines": n["lines"],
    "wall_s": round(float(t2) - float(t0), 2), "legs_s": round(float(t1) - float(t0), 2),
    "overview_s": round(float(t2) - float(t1), 2),
    "rss_max_mb": round(max(p["rss_kb"] for p in procs) / 1024, 1),
    "rss_sum_mb": round(sum(p["rss_kb"] for p in procs) / 1024, 1),
    "per_process_requests": [p["requests"] for p in procs],
    "loadavg_before": ld, "others_before": oth,
}
print(json.dumps(out))
PY
  tail -1 "$RESULTS" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("  %-6s %-6s %3d ms  requests=%-6d graphql=%-5d 304=%-5d counted REST=%-6d writes=%-6d jwt=%-3d tokens=%-3d wall=%.1fs rss max/sum=%.1f/%.1f MB per process=%s load=%s" % (
  r["mode"], r["run"], r["latency_ms"], r["requests"], r["graphql"], r["not_modified"],
  r["rest_installation_counted"], r["writes"], r["jwt_requests"], r["tokens_issued"], r["wall_s"],
  r["rss_max_mb"], r["rss_sum_mb"], r["per_process_requests"], r["loadavg_before"]))'
}

# timed NAME DIR CMD...: runs CMD under /usr/bin/time, output to DIR/NAME.{out,err,rss}.
timed() {
  local name=$1 dir=$2
  shift 2
  local rc=0
  /usr/bin/time -f %M -o "$dir/$name.rss" "$@" >"$dir/$name.out" 2>"$dir/$name.err" || rc=$?
  if ((rc != 0)); then
    echo "bench-org.sh: $name exited $rc (see $dir/$name.err)" >&2
  fi
}

# one_run MODE RUN LATENCY DIR API [SUFFIX]
one_run() {
  local mode=$1 run=$2 lat=$3 dir=$4 api=$5
  local tag="$run-${lat}ms${6:-}" lines0 ld oth t0 t1 t2 i
  local procs=()
  curl -s "$SANDBOX_URL/_sandbox/stats" >"$dir/stats.before"
  lines0=$(wc -l <"$dir/requests.jsonl")
  ld=$(load)
  oth=$(others)
  if [ "$mode" = serial ]; then
    codex_env "$dir" "$api" "$dir/pages" "$dir/cache" "bench-org-$tag"
    t0=$(now)
    timed "$tag" "$dir" "${CENV[@]}" "$BIN/codex" pipeline --org acme --include-forks
    t1=$(now)
    t2=$t1
    procs+=("$(tail -1 "$dir/$tag.rss"):$(telemetry_requests "$dir/pages" "bench-org-$tag")")
  else
    local pids=()
    t0=$(now)
    for ((i = 0; i < legs; i++)); do
      codex_env "$dir" "$api" "$dir/leg$i/pages" "$dir/leg$i/cache" "bench-org-$tag"
      timed "$tag" "$dir/leg$i" "${CENV[@]}" "$BIN/codex" pipeline --repos "$(cat "$dir/leg$i/repos")" &
      pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i"; done
    t1=$(now)
    rm -rf "$dir/merged"
    mkdir -p "$dir/merged"
    for ((i = 0; i < legs; i++)); do
      cp -r "$dir/leg$i/pages/acme" "$dir/merged/"
    done
    codex_env "$dir" "$api" "$dir/merged" "$dir/cache" "bench-org-$tag"
    timed "$tag.overview" "$dir" "${CENV[@]}" "$BIN/codex" overview --pages-dir "$dir/merged"
    t2=$(now)
    for ((i = 0; i < legs; i++)); do
      procs+=("$(tail -1 "$dir/leg$i/$tag.rss"):$(telemetry_requests "$dir/leg$i/pages" "bench-org-$tag")")
    done
  fi
  record "$mode" "$run" "$lat" "$dir" "$t0" "$t1" "$t2" "$lines0" "$dir/stats.before" "$ld" "$oth" "${procs[@]}"
}

bench_mode() {
  local mode=$1 dir="$OUT/$1" started
  rm -rf "$dir"
  mkdir -p "$dir"
  started=$(now)
  start_sandbox "$dir"
  # The chosen list, as a matrix would get it (its requests happen before the first run).
  codex_env "$dir" "$SANDBOX_URL" "$dir/pages" "$dir/cache" bench-org-discover
  "${CENV[@]}" "$BIN/codex" discover --org acme --include-forks --json >"$dir/chosen.json" 2>"$dir/discover.err"
  echo "$mode: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$dir/chosen.json") repositories chosen of $repos, sandbox ready in $(python3 -c "print(round($(now) - $started, 1))") s"
  if [ "$mode" = fanout ]; then
    python3 - "$dir" "$legs" <<'PY'
import json, os, sys
dir, legs = sys.argv[1], int(sys.argv[2])
chosen = json.load(open(f"{dir}/chosen.json"))
for i in range(legs):
    os.makedirs(f"{dir}/leg{i}", exist_ok=True)
    with open(f"{dir}/leg{i}/repos", "w") as f:
        f.write(",".join(chosen[i::legs]))
PY
  fi
  one_run "$mode" first 0 "$dir" "$SANDBOX_URL"
  one_run "$mode" steady 0 "$dir" "$SANDBOX_URL"
  # Through the proxy: first at 0 ms (a steady run whose cache, keyed by URL, is still empty
  # for the proxy's URL; it also shows what the proxy itself costs), then at --latency.
  start_proxy "$dir"
  one_run "$mode" nocache 0 "$dir" "$PROXY_URL" -proxy
  if [[ $skip_latency != *" $mode "* ]]; then
    echo "$latency" >"$dir/delay.ms"
    one_run "$mode" steady "$latency" "$dir" "$PROXY_URL"
  fi
  stop
}

{
  echo "bench-org.sh: $repos repositories x $per_repo items, $legs legs, latency 0 and $latency ms"
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo); $(rustc --version); commit $(git rev-parse --short HEAD); $(date -u +%Y-%m-%dT%H:%MZ)"
} | tee -a "$OUT/header.txt"
for m in "${modes[@]}"; do
  bench_mode "$m"
done
echo "results: $RESULTS"
