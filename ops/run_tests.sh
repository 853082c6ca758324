#!/usr/bin/env bash
# Run the test suites (`make test` = all). Each suite runs in its own folder with its own
# pytest.ini, inside the stack's environment (ops/stack.py run), against the real
# PostgreSQL/Redis/Kafka/search engine. Exits non-zero if any suite fails.
#   unit         per-service suites (not marked integration) + platform checks
#   integration  tests against the running stack through HAProxy (marked integration)
#   all          both, then the Selenium journeys
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MODE="${1:-all}"
PYTEST=("$ROOT/.venv/bin/python" "$ROOT/ops/stack.py" run -- "$ROOT/.venv/bin/pytest" -p no:cacheprovider)
REPORTS="$ROOT/var/test-reports"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
declare -a RESULTS=()
FAILED=0

# suite <name> <folder> <required: yes|no> <pytest args...>
# pytest exit 5 ("no tests collected") is a failure for a required suite (every service
# must have tests) and a note for an optional selection (e.g. a service with no
# integration tests).
suite() {
  local name="$1" dir="$2" required="$3"; shift 3
  [[ -d "$dir" ]] || { RESULTS+=("MISSING  $name ($dir)"); FAILED=1; return; }
  echo
  echo "=================== $name ($dir) ==================="
  (cd "$dir" && "${PYTEST[@]}" --junitxml="$REPORTS/${name// /-}.xml" "$@")
  local rc=$?
  if [[ $rc -eq 0 ]]; then
    RESULTS+=("passed   $name")
  elif [[ $rc -eq 5 && "$required" == "no" ]]; then
    RESULTS+=("no tests $name (nothing selected; allowed)")
  else
    [[ $rc -eq 5 ]] && RESULTS+=("FAILED   $name (no tests collected)") || RESULTS+=("FAILED   $name (exit $rc)")
    FAILED=1
  fi
}

if [[ "$MODE" == "unit" || "$MODE" == "all" ]]; then
  suite "common" common yes
  suite "platform checks" tests yes -m "not integration"
  suite "models-api" models-api yes -m "not integration"
  suite "experience-api" experience-api yes -m "not integration"
  suite "batch" batch yes -m "not integration"
  suite "web-frontend" web-frontend yes -m "not integration"
  suite "benchmark tooling" jmeter yes -m "not integration"
fi
if [[ "$MODE" == "integration" || "$MODE" == "all" ]]; then
  suite "stack integration" tests yes -m integration
  suite "models-api integration" models-api no -m integration
  suite "experience-api integration" experience-api no -m integration
  suite "batch integration" batch no -m integration
  suite "web-frontend integration" web-frontend no -m integration
fi
if [[ "$MODE" == "all" || "$MODE" == "selenium" ]]; then
  suite "selenium journeys" selenium yes
fi

echo
echo "=================== summary ==================="
printf '  %s\n' "${RESULTS[@]}"
"$ROOT/.venv/bin/python" "$ROOT/ops/test_totals.py" "$REPORTS"
exit $FAILED
