#!/usr/bin/env bash
# Benchmarks against the running native stack (`make bench` = all). Loopback only; every
# run is bounded (`timeout`), and whatever a run changes on the stack (web2 disabled in
# HAProxy, experience-api cache off, HAProxy's auth rate limit raised, engines stopped by
# the drills) is put back in a trap, also on Ctrl-C or a failure.
#   api      models-api/bench/bench_api.py
#   search   ops/bench_engines.py (search via HAProxy, freshness, indexer, make-up time, engine
#            memory; runs batch/bench/bench_search.py), experience-api/bench/bench_search_latency.py
#   jmeter   JMeter scaling runs (browse and pages mixes: 1 vs 2 web instances, cache on/off;
#            writing mix) -> jmeter/results/<run>/{results.jtl,dashboard/,summary.txt},
#            jmeter/results/scaling.md and summary.md
#   drills   failure drills under load (jmeter/drills.py) -> jmeter/results/drills.md
#   pages    the pages side by side with /healthz through HAProxy, wrk (jmeter/bench_pages.py)
#            -> jmeter/results/pages.md; PAGES_EDGE_CACHE=off measures without the edge cache
#   alerts   saved-search alert latency, listing created -> email in MailDev, p95 over 20
#            (jmeter/bench_alerts.py) -> jmeter/results/alerts.md
#   all      api, search, pages, alerts, jmeter, then drills (BENCH_SKIP_DRILLS=1 leaves
#            them out)
# Tunables: BENCH_USERS, BENCH_DURATION, BENCH_RAMPUP, BENCH_THINK, WRITE_USERS,
# DRILL_USERS, DRILL_DURATION, DRILL_OUTAGE (see jmeter/README.md); PAGES_DURATION,
# PAGES_CONNECTIONS, PAGES_THREADS, PAGES_GZIP, PAGES_EDGE_CACHE (jmeter/bench_pages.py).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
MODE="${1:-all}"

case "$MODE" in
  all|api|search|jmeter|drills|pages|alerts) ;;
  *) echo "usage: $0 all|api|search|jmeter|drills|pages|alerts" >&2; exit 2 ;;
esac

# Run inside the stack's environment (PUBLIC_URL, SERVICE_TOKEN, ports, socket paths).
if [[ -z "${MARKETPLACE_BENCH_ENV:-}" ]]; then
  exec env MARKETPLACE_BENCH_ENV=1 "$PY" "$ROOT/ops/stack.py" run -- bash "$0" "$@"
fi

declare -a RESULTS=()
FAILED=0

restore() {
  # The pages benchmark changes at most HAProxy's override (PAGES_EDGE_CACHE=off) and puts
  # it back itself; restore only if it could not (killed).
  [[ "$MODE" == "pages" && ! -f "${VAR_DIR:-$ROOT/var}/run/overrides/haproxy.env" ]] && return 0
  # Idempotent: removes only the override files the benchmark wrote, re-enables any web
  # server left in maintenance, restarts exp/HAProxy if they ran with overrides, starts
  # engines a drill left stopped.
  "$PY" "$ROOT/jmeter/bench.py" restore || echo "WARNING: restore failed; check \`make status\`" >&2
}
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  restore
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

check_stack() {
  if ! curl -fsS --max-time 5 "$PUBLIC_URL/healthz" >/dev/null; then
    echo "the stack is not answering at $PUBLIC_URL (run \`make up\`)" >&2
    exit 1
  fi
}

# step <name> <seconds limit> <folder or -> <command...>
step() {
  local name="$1" limit="$2" dir="$3"; shift 3
  echo
  echo "=================== $name ==================="
  local rc
  if [[ "$dir" == "-" ]]; then
    timeout --kill-after=15 "$limit" "$@"; rc=$?
  else
    (cd "$dir" && timeout --kill-after=15 "$limit" "$@"); rc=$?
  fi
  if [[ $rc -eq 0 ]]; then
    RESULTS+=("ok       $name")
  elif [[ $rc -eq 124 || $rc -eq 137 ]]; then
    RESULTS+=("TIMEOUT  $name (over ${limit}s)"); FAILED=1
  else
    RESULTS+=("FAILED   $name (exit $rc)"); FAILED=1
  fi
}

# optional <name> <limit> <script> [args...]: other teams' benchmarks, run if present.
optional() {
  local name="$1" limit="$2" script="$3"; shift 3
  if [[ -f "$script" ]]; then
    step "$name" "$limit" "$(dirname "$(dirname "$script")")" "$PY" "bench/$(basename "$script")" "$@"
  else
    RESULTS+=("skipped  $name ($script not present)")
  fi
}

check_stack

if [[ "$MODE" == "api" || "$MODE" == "all" ]]; then
  optional "models-api benchmark" 300 models-api/bench/bench_api.py
fi
if [[ "$MODE" == "search" || "$MODE" == "all" ]]; then
  # Uncached search through HAProxy, freshness, indexer backlog, make-up time, engine RSS.
  step "engine benchmark" 900 - "$PY" "$ROOT/ops/bench_engines.py"
  optional "search latency benchmark" 300 experience-api/bench/bench_search_latency.py
fi
if [[ "$MODE" == "pages" || "$MODE" == "all" ]]; then
  step "pages benchmark (wrk)" 600 - "$PY" "$ROOT/jmeter/bench_pages.py"
fi
if [[ "$MODE" == "alerts" || "$MODE" == "all" ]]; then
  step "alert latency benchmark" 300 - "$PY" "$ROOT/jmeter/bench_alerts.py"
fi
if [[ "$MODE" == "jmeter" || "$MODE" == "all" ]]; then
  step "JMeter scaling runs" 900 - "$PY" "$ROOT/jmeter/bench.py" run
fi
if [[ "$MODE" == "drills" || ( "$MODE" == "all" && -z "${BENCH_SKIP_DRILLS:-}" ) ]]; then
  step "failure drills" 600 - "$PY" "$ROOT/jmeter/drills.py" all
fi

echo
echo "=================== bench summary ==================="
printf '  %s\n' "${RESULTS[@]}"
[[ -f jmeter/results/scaling.md && "$MODE" != "api" && "$MODE" != "search" && "$MODE" != "pages" && "$MODE" != "alerts" ]] && {
  echo; echo "scaling (jmeter/results/scaling.md):"; cat jmeter/results/scaling.md; }
[[ -f jmeter/results/drills.md && ( "$MODE" == "drills" || "$MODE" == "all" ) ]] && {
  echo; cat jmeter/results/drills.md; }
exit $FAILED
