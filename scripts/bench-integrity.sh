#!/usr/bin/env bash
# bench-integrity.sh: what an integrity scan costs as the repository grows (issue 15; results
# and method in docs/performance.md, "The integrity scanner").
#
# For each size N, a fresh sandbox (`codex-sandbox serve --scenario large --issues N`: about
# one item in ten a pull request, a quarter closed, every item in the Project; the primary
# budget lifted so the counts are not cut), then two `codex-integrity` runs on one pages dir:
#   first   no previous scan: the gaps in the numbering are read one by one;
#   second  the first scan is the baseline: only its managed issues that vanished are read.
# Per run, from the sandbox's request log: REST listing pages (GET …/issues), GraphQL requests
# (issue numbers and Project items), one-by-one reads (GET …/issues/{n}), other requests
# (milestones, labels, the repository), writes (must be 0); wall time and peak RSS
# (/usr/bin/time) of the process; findings.
#
# usage: scripts/bench-integrity.sh [--no-build] [--sizes "1000 10000 100000"] [--latency-ms MS]
#   --sizes       the item counts [default: 1000 10000 100000]
#   --latency-ms  the sandbox's added latency per answer [default: 0]
#   --no-build    skip `cargo build --release`
# Needs cargo, python3, /usr/bin/time. CARGO_TARGET_DIR is honoured (default target/); the
# release build is used. Raw results, appended: $CARGO_TARGET_DIR/bench-integrity/results.jsonl.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release"
OUT="$TARGET/bench-integrity"

sizes="1000 10000 100000"
latency=0
build=1
while (($#)); do
  case "$1" in
    --sizes) shift; sizes="${1:?--sizes needs a list}" ;;
    --latency-ms) shift; latency="${1:?--latency-ms needs milliseconds}" ;;
    --no-build) build=0 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench-integrity.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ -x /usr/bin/time ]] || { echo "bench-integrity.sh: /usr/bin/time is required (apt-get install time)" >&2; exit 2; }

# Nothing from the caller's environment may steer a run.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(CODEX_|GITHUB_|GH_CI_PAT$|GITHUB_TOKEN$|RUST_LOG$)' || true)

if ((build)); then
  cargo build --release --quiet --locked -p codex-cli -p codex-sandbox --bins
fi
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"

SANDBOX_PID=""
stop() {
  if [ -n "$SANDBOX_PID" ]; then
    kill "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
  fi
  SANDBOX_PID=""
}
trap stop EXIT

# summarise LOG FROM TO N RUN WALL RSS TELEMETRY: one results line from the log lines FROM..TO.
summarise() {
  python3 - "$@" <<'PY'
import json, re, sys
log, start, end, n, run, wall, rss, tele = sys.argv[1:9]
lines = open(log).read().splitlines()[int(start):int(end)]
c = {"rest_list": 0, "graphql": 0, "one_by_one": 0, "other": 0, "writes": 0}
for line in lines:
    r = json.loads(line)
    m, p = r["method"], r["path"]
    if p.endswith("/graphql"):
        c["graphql"] += 1
    elif m != "GET":
        c["writes"] += 1
    elif re.search(r"/issues$", p):
        c["rest_list"] += 1
    elif re.search(r"/issues/\d+$", p):
        c["one_by_one"] += 1
    else:
        c["other"] += 1
t = json.load(open(tele))
print(json.dumps({
    "items": int(n), "run": run, "requests": len(lines), **c,
    "wall_s": float(wall), "peak_rss_kb": int(rss),
    "findings": sum(t["counts"].values()), "checked": t["scanned"]["checked"],
    "status": t["status"], "baseline": t["baseline"],
}))
PY
}

printf '%-8s %-7s %8s %6s %8s %10s %6s %7s %8s %9s\n' items run requests rest graphql one-by-one other wall_s rss_mb findings
for n in $sizes; do
  dir="$OUT/$n"
  rm -rf "$dir"
  mkdir -p "$dir/pages"
  "$BIN/codex-sandbox" serve --scenario large --issues "$n" --rate-limit 1000000000 \
    --latency-ms "$latency" --log "$dir/requests.jsonl" >"$dir/sandbox.url" 2>"$dir/sandbox.err" &
  SANDBOX_PID=$!
  for _ in $(seq 600); do [ -s "$dir/sandbox.url" ] && break; sleep 0.1; done
  url=$(head -1 "$dir/sandbox.url")
  [ -n "$url" ] || { echo "bench-integrity.sh: the sandbox did not start" >&2; cat "$dir/sandbox.err" >&2; exit 1; }
  for run in first second; do
    from=$(wc -l <"$dir/requests.jsonl" 2>/dev/null || echo 0)
    env -i PATH="$PATH" HOME="$dir" GITHUB_API_URL="$url" GITHUB_REPOSITORY=acme/widgets \
      GH_CI_PAT=ghp_benchintegrity000000000000000000000000 CODEX_PAGES_DIR="$dir/pages" \
      GITHUB_RUN_ID="$run" \
      /usr/bin/time -f '%e %M' -o "$dir/$run.time" "$BIN/codex-integrity" >"$dir/$run.out" 2>"$dir/$run.err"
    to=$(wc -l <"$dir/requests.jsonl")
    read -r wall rss <"$dir/$run.time"
    line=$(summarise "$dir/requests.jsonl" "$from" "$to" "$n" "$run" "$wall" "$rss" "$dir/pages/telemetry/integrity-$run.json")
    echo "$line" >>"$RESULTS"
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("%-8d %-7s %8d %6d %8d %10d %6d %7.2f %8.1f %9d" % (r["items"], r["run"], r["requests"], r["rest_list"], r["graphql"], r["one_by_one"], r["other"], r["wall_s"], r["peak_rss_kb"]/1024, r["findings"]))' "$line"
    [ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["writes"])' "$line")" = 0 ] || { echo "bench-integrity.sh: the scanner wrote" >&2; exit 1; }
  done
  stop
done
