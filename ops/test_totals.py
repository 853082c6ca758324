"""Add up the JUnit XML reports of every suite; fail the run on anything but passes.

Prints one line per suite and closes with ``total: N passed, N failed, N skipped``
(errors count as failed; an xfail counts as a skip) so a reader, or CI, sees the whole
run's result at the end. Exits non-zero when any test failed, when a suite ran no test
(nothing collected, or everything skipped), when there are no reports at all, or when a
test was skipped (or xfailed) without being listed in ``EXPECTED_SKIPS``: a run must
not be green while testing nothing.

Usage: ``test_totals.py REPORT_FOLDER``.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET  # noqa: S405 (our own pytest output)
from dataclasses import dataclass, field
from pathlib import Path

# "<report name>::<classname>::<test name>" -> why this test may legitimately skip on
# this machine. Empty on purpose: every suite runs against the real stack, so nothing
# has a reason to skip. Add an entry only with the reason, in the same commit as the
# skip, and never for a whole suite.
EXPECTED_SKIPS: dict[str, str] = {}


@dataclass
class SuiteTotals:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (test id, message)


def read_report(report: Path) -> SuiteTotals:
    totals = SuiteTotals(report.stem)
    root = ET.parse(report).getroot()  # noqa: S314
    for case in root.iter("testcase"):
        test_id = f"{report.stem}::{case.get('classname', '')}::{case.get('name', '')}"
        outcomes = {child.tag for child in case}
        if outcomes & {"failure", "error"}:
            totals.failed += 1
        elif "skipped" in outcomes:
            skipped = case.find("skipped")
            totals.skipped.append((test_id, skipped.get("message", "") or skipped.text or ""))
        else:
            totals.passed += 1
    # A crash or an error outside any test (collection) shows only on the suite element.
    for suite in root.iter("testsuite"):
        counted = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        cases = sum(
            1 for case in suite.iter("testcase") if {c.tag for c in case} & {"failure", "error"}
        )
        totals.failed += max(0, counted - cases)
    return totals


def main(folder: str) -> int:
    reports = sorted(Path(folder).glob("*.xml"))
    suites = [read_report(report) for report in reports]
    problems: list[str] = []
    if not suites:
        problems.append(f"no test reports in {folder}")
    for suite in suites:
        print(
            f"  {suite.name}: {suite.passed} passed, {suite.failed} failed, "
            f"{len(suite.skipped)} skipped"
        )
        if suite.passed == 0 and suite.failed == 0:
            problems.append(f"{suite.name} ran no test")
        for test_id, message in suite.skipped:
            if test_id not in EXPECTED_SKIPS:
                problems.append(f"unexpected skip: {test_id} ({message.strip()[:200]})")
    for problem in problems:
        print(f"FAILED: {problem}")
    passed = sum(s.passed for s in suites)
    failed = sum(s.failed for s in suites)
    skipped = sum(len(s.skipped) for s in suites)
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
