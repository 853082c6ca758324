#!/usr/bin/env bash
# Run the test suites (`make test` = all). Each suite runs in its own folder with its own
# pytest.ini, inside the stack's environment (ops/stack.py run), against the real
# PostgreSQL/Redis/Kafka/search engine. Exits non-zero if any suite fails, collects
# nothing, or skips a test that ops/test_totals.py does not expect to skip.
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

# suite <name> <folder> <pytest args...>
# Every suite is required to run tests: pytest's exit 5 ("no tests collected", also when
# a marker deselects everything) fails the run like any other non-zero exit, and
# ops/test_totals.py fails it if a suite only skipped or skipped unexpectedly.
suite() {
  local name="$1" dir="$2"; shift 2
  [[ -d "$dir" ]] || { RESULTS+=("MISSING  $name ($dir)"); FAILED=1; return; }
  echo
  echo "=================== $name ($dir) ==================="
  (cd "$dir" && "${PYTEST[@]}" --junitxml="$REPORTS/${name// /-}.xml" "$@")
  local rc=$?
  if [[ $rc -eq 0 ]]; then
    RESULTS+=("passed   $name")
  elif [[ $rc -eq 5 ]]; then
    RESULTS+=("FAILED   $name (no tests collected)")
    FAILED=1
  else
    RESULTS+=("FAILED   $name (exit $rc)")
    FAILED=1
  fi
}

if [[ "$MODE" == "unit" || "$MODE" == "all" ]]; then
  suite "common" common
  suite "platform checks" tests -m "not integration"
  suite "models-api" models-api -m "not integration"
  suite "experience-api" experience-api -m "not integration"
  suite "batch" batch -m "not integration"
  suite "web-frontend" web-frontend -m "not integration"
  suite "benchmark tooling" jmeter -m "not integration"
fi
if [[ "$MODE" == "integration" || "$MODE" == "all" ]]; then
  suite "stack integration" tests -m integration
  suite "models-api integration" models-api -m integration
  suite "experience-api integration" experience-api -m integration
  suite "batch integration" batch -m integration
  suite "web-frontend integration" web-frontend -m integration
fi
if [[ "$MODE" == "all" || "$MODE" == "selenium" ]]; then
  suite "selenium journeys" selenium
fi

echo
echo "=================== summary ==================="
printf '  %s\n' "${RESULTS[@]}"
"$ROOT/.venv/bin/python" "$ROOT/ops/test_totals.py" "$REPORTS" || FAILED=1
exit $FAILED
