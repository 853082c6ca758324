"""benchlib: override files (only ours are removed), restart detection, JMeter command."""

from __future__ import annotations

from pathlib import Path

import pytest

import benchlib


@pytest.fixture
def overrides(tmp_path, monkeypatch):
    folder = tmp_path / "overrides"
    monkeypatch.setattr(benchlib, "OVERRIDES", folder)
    return folder


class OverrideFilesTest:
    def test_set_then_clear_removes_our_file(self, overrides):
        benchlib.set_override("exp", {"CACHE_ENABLED": "false"})
        path = overrides / "exp.env"
        lines = path.read_text().splitlines()
        assert lines[0] == benchlib.OVERRIDE_MARKER
        assert lines[1] == "CACHE_ENABLED=false"
        assert benchlib.clear_override("exp") is True
        assert not path.exists()

    def test_clear_without_file_reports_nothing_to_do(self, overrides):
        assert benchlib.clear_override("exp") is False

    def test_someone_elses_file_is_never_overwritten_or_removed(self, overrides):
        overrides.mkdir()
        theirs = overrides / "haproxy.env"
        theirs.write_text("RATE_LIMIT_AUTH=5\n")
        with pytest.raises(benchlib.BenchError):
            benchlib.set_override("haproxy", {"RATE_LIMIT_AUTH": "100000"})
        assert benchlib.clear_override("haproxy") is False
        assert theirs.read_text() == "RATE_LIMIT_AUTH=5\n"
        assert benchlib.foreign_overrides() == [theirs]


class ChangedProgramsTest:
    def test_restarted_and_stopped_programs_are_reported(self):
        before = {"apps:web1": "100", "apps:web2": "200", "infra:kafka": "300"}
        after = {"apps:web1": "101", "apps:web2": "200", "infra:kafka": "STOPPED"}
        assert benchlib.changed_programs(before, after) == ["apps:web1", "infra:kafka"]

    def test_identical_snapshots_report_nothing(self):
        snapshot = {"apps:web1": "100"}
        assert benchlib.changed_programs(snapshot, dict(snapshot)) == []


class JMeterCommandTest:
    def test_command_is_bounded_non_gui_and_parameterised(self, monkeypatch, tmp_path):
        monkeypatch.setattr(benchlib, "RESULTS", tmp_path)
        monkeypatch.setenv("HAPROXY_PORT", "8000")
        run = benchlib.JMeterRun(
            "pages-2web-cache", "browse", users=16, duration=25, properties={"search": "false"}
        )
        cmd = run.command(Path("/opt/jmeter"))
        assert cmd[:3] == ["timeout", "--kill-after=10", str(25 + 3 + 120)]
        assert "-n" in cmd
        for flag in ("-Jusers=16", "-Jduration=25", "-Jport=8000", "-Jsearch=false"):
            assert flag in cmd
        assert cmd[cmd.index("-l") + 1] == str(tmp_path / "pages-2web-cache" / "results.jtl")
        assert cmd[-2:] == ["-o", str(tmp_path / "pages-2web-cache" / "dashboard")]


class WebServersUpTest:
    @pytest.mark.parametrize(
        ("states", "expected"),
        [
            ({"web1": "UP", "web2": "UP"}, True),
            ({"web1": "UP", "web2": "MAINT"}, True),  # deliberately out of rotation
            ({"web1": "UP", "web2": "DOWN"}, False),
            ({"web1": "UP", "web2": "UP 1/2"}, False),  # failing its checks
            ({"web1": "MAINT", "web2": "MAINT"}, False),
            ({}, False),  # stats unreachable
        ],
    )
    def test_servers_in_rotation_must_all_be_up(self, monkeypatch, states, expected):
        monkeypatch.setattr(benchlib, "server_states", lambda backend="web": states)
        assert benchlib.web_servers_up() is expected
