"""Add up the JUnit XML reports of every suite into one closing line.

Prints ``total: N passed, N failed, N skipped`` (errors count as failed) so a reader, or
CI, sees the whole run's result in one line after the per-suite summaries.
"""

import sys
import xml.etree.ElementTree as ET  # noqa: S405 (our own pytest output)
from pathlib import Path


def main(folder: str) -> int:
    passed = failed = skipped = 0
    for report in sorted(Path(folder).glob("*.xml")):
        root = ET.parse(report).getroot()  # noqa: S314
        for suite in root.iter("testsuite"):
            tests = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            passed += tests - bad - skip
            failed += bad
            skipped += skip
    print(f"total: {passed} passed, {failed} failed, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
