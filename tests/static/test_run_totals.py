"""ops/test_totals.py: the closing summary of `make test` fails a run that tested nothing."""

from __future__ import annotations

import test_totals

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="{errors}" failures="0" skipped="0" tests="1">
{cases}
</testsuite></testsuites>"""
PASS = '<testcase classname="a.ThingTest" name="test_ok" time="0.1"/>'
SKIP = '<testcase classname="a.ThingTest" name="test_skip"><skipped message="no stack"/></testcase>'
XFAIL = (
    '<testcase classname="a.ThingTest" name="test_x">'
    '<skipped type="pytest.xfail" message="known"/></testcase>'
)
FAIL = '<testcase classname="a.ThingTest" name="test_bad"><failure message="boom"/></testcase>'


def write(folder, name, *cases, errors=0):
    (folder / f"{name}.xml").write_text(REPORT.format(cases="\n".join(cases), errors=errors))


class TestTotalsTest:
    def test_all_passed_is_success_with_the_plain_closing_line(self, tmp_path, capsys):
        write(tmp_path, "common", PASS, PASS)
        assert test_totals.main(str(tmp_path)) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "total: 2 passed, 0 failed, 0 skipped"

    def test_a_failure_fails(self, tmp_path):
        write(tmp_path, "common", PASS, FAIL)
        assert test_totals.main(str(tmp_path)) == 1

    def test_an_unexpected_skip_fails_and_is_named(self, tmp_path, capsys):
        write(tmp_path, "common", PASS, SKIP)
        assert test_totals.main(str(tmp_path)) == 1
        out = capsys.readouterr().out
        assert "unexpected skip: common::a.ThingTest::test_skip (no stack)" in out
        assert out.splitlines()[-1] == "total: 1 passed, 0 failed, 1 skipped"

    def test_an_xfail_counts_as_a_skip(self, tmp_path):
        write(tmp_path, "common", PASS, XFAIL)
        assert test_totals.main(str(tmp_path)) == 1

    def test_an_expected_skip_is_allowed(self, tmp_path, monkeypatch):
        monkeypatch.setitem(test_totals.EXPECTED_SKIPS, "common::a.ThingTest::test_skip", "why")
        write(tmp_path, "common", PASS, SKIP)
        assert test_totals.main(str(tmp_path)) == 0

    def test_a_suite_that_only_skipped_ran_nothing(self, tmp_path, monkeypatch, capsys):
        monkeypatch.setitem(test_totals.EXPECTED_SKIPS, "batch::a.ThingTest::test_skip", "why")
        write(tmp_path, "common", PASS)
        write(tmp_path, "batch", SKIP)
        assert test_totals.main(str(tmp_path)) == 1
        assert "batch ran no test" in capsys.readouterr().out

    def test_an_error_outside_any_test_fails(self, tmp_path):
        write(tmp_path, "common", PASS, errors=1)  # e.g. a collection error
        assert test_totals.main(str(tmp_path)) == 1

    def test_no_reports_fails(self, tmp_path):
        assert test_totals.main(str(tmp_path)) == 1
