#!/usr/bin/env python3
"""Failure drills against the native stack, scripted and measured (loopback only).

    web-master    under a JMeter browse load, SIGKILL web1's gunicorn master (supervisord
                  restarts it); count failed requests in the .jtl (target 0)
    web-instance  the same, killing web1's whole process group (master and workers)
    web-hang      freeze web1 (SIGSTOP), supervisord stops it (SIGKILL after 10 s), keep
                  it down DRILL_WEB_DOWN s (15), start it: HAProxy must route around it
    kafka         stop Kafka while listings are being created through the public API,
                  start it again; every listing must become searchable within 60 s
    search        the same with the search engine; search must answer again within 60 s

    drills.py [all|web-master|web-instance|web-hang|kafka|search ...]

Each drill restores what it stopped (``finally``), every wait is bounded, and the
results go to stdout and to jmeter/results/drills.md (+ drills.json).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field

import requests

import benchlib as b
from summarize import summarize

# A steady load below saturation (about half the machine): the drill measures what the
# kill costs, not what an overloaded 2-core box costs anyway.
DRILL_USERS = int(os.environ.get("DRILL_USERS") or 8)
DRILL_THINK = int(os.environ.get("DRILL_THINK") or 100)
DRILL_DURATION = int(os.environ.get("DRILL_DURATION") or 30)  # kill at 10 s, 20 s to recover
KILL_AFTER = 10  # seconds into the load: steady state, well before the end
OUTAGE_SECONDS = int(os.environ.get("DRILL_OUTAGE") or 10)
WEB_DOWN_SECONDS = int(os.environ.get("DRILL_WEB_DOWN") or 15)
RECOVERY_LIMIT = 60  # the contract: search back and every listing indexed within 60 s


@dataclass
class DrillResult:
    name: str
    passed: bool
    numbers: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _word(prefix: str) -> str:
    return prefix + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:10])


# ---------------------------------------------------------------- web instance killed
def drill_kill_web(home, name: str) -> DrillResult:
    """web-master: SIGKILL the gunicorn master only (its workers notice and exit);
    web-instance: SIGKILL the whole process group (supervisord restarts it at once);
    web-hang: freeze the whole instance (SIGSTOP), ask supervisord to stop it (it
    escalates to SIGKILL after stopwaitsecs, 10 s, so it does not restart it), keep it
    down until DRILL_WEB_DOWN s (15) after the freeze, then start it again: HAProxy must
    take a hung, then dead, server out of rotation."""
    whole_instance = name == "web-instance"
    keep_down = WEB_DOWN_SECONDS if name == "web-hang" else 0
    run = b.JMeterRun(f"drill-{name}", "browse", DRILL_USERS, DRILL_DURATION, 2, DRILL_THINK)
    b.log(f"drill {name}: {DRILL_USERS} users for {DRILL_DURATION}s; kill web1 at {KILL_AFTER}s")
    process = run.start(home)
    timeline: dict = {}
    try:
        time.sleep(KILL_AFTER)  # let the load reach steady state
        pid = b.program_pid("apps:web1")
        t0 = time.monotonic()
        if keep_down:
            os.killpg(os.getpgid(pid), signal.SIGSTOP)
            b.log(f"  froze web1 (process group of pid {pid}); stopping it through supervisord")
            stopper = threading.Thread(target=b.ctl, args=("stop", "apps:web1"), daemon=True)
            stopper.start()
            down = _watch_down(t0, keep_down)
            stopper.join(timeout=30)
            b.ctl("start", "apps:web1")
            b.log(f"  web1 started again after {time.monotonic() - t0:.1f}s")
            timeline["haproxy_marked_down_s"] = down if down is not None else "never"
        elif whole_instance:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
            b.log(f"  killed web1 (process group of pid {pid})")
        else:
            os.kill(pid, signal.SIGKILL)
            b.log(f"  killed web1's gunicorn master (pid {pid})")
        # Keep what was measured while web1 was held down.
        timeline = {**_watch_web1_recovery(pid, t0), **timeline}
    finally:
        if b.program_state("apps:web1") != "RUNNING":
            b.ctl("start", "apps:web1")
        code = process.wait(timeout=DRILL_DURATION + 180)
    if code != 0 or not run.jtl.exists():
        raise b.BenchError(f"JMeter failed during drill {name} (exit {code}); see {run.folder}")
    run.summarize(drill=name)
    summary = summarize(run.jtl, run.name)
    numbers = {
        "requests": summary.overall.samples,
        "failed": summary.overall.errors,
        "throughput_rps": summary.overall.throughput_rps,
        "p99_ms": summary.overall.p99_ms,
        **timeline,
    }
    notes = [f"{n} x {cause}" for cause, n in list(summary.errors_by_cause.items())[:5]]
    passed = summary.overall.errors == 0 and timeline.get("back_up_s") is not None
    return DrillResult(name, passed, numbers, notes)


def _watch_down(t0: float, hold: float) -> float | None:
    """Seconds from the kill until HAProxy marks web1 down; waits ``hold`` in total."""
    marked = None
    while time.monotonic() - t0 < hold:
        state = b.server_states("web").get("web1", "")
        if marked is None and not state.startswith("UP"):
            marked = round(time.monotonic() - t0, 2)
        time.sleep(0.1)
    return marked


def _watch_web1_recovery(old_pid: int, t0: float, limit: float = 60, stable: float = 5) -> dict:
    """Follow web1 after the kill, in seconds from the kill.

    A new master may fail to start (killing only the master leaves its workers holding
    the port until they notice), so "restarted" is the start of the master that then
    stays up ``stable`` seconds; ``supervisor_spawns`` counts the attempts.
    """
    seen: dict = {}
    masters: list[str] = []
    master_since = up_since = None
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        now = time.monotonic()
        state = b.server_states("web").get("web1", "")
        if "haproxy_marked_down_s" not in seen and not state.startswith("UP"):
            seen["haproxy_marked_down_s"] = round(now - t0, 2)
        program, pid = b.program_status("apps:web1")
        if pid and pid != old_pid and (not masters or masters[-1] != pid):
            masters.append(pid)
            master_since, up_since = now, None
        if master_since is not None and state == "UP" and up_since is None:
            up_since = now
        if program == "RUNNING" and up_since is not None and now - master_since >= stable:
            seen["restarted_s"] = round(master_since - t0, 2)
            seen["back_up_s"] = round(up_since - t0, 2)
            break
        time.sleep(0.2)
    seen.setdefault("haproxy_marked_down_s", "never")
    seen.setdefault("back_up_s", None)
    seen["supervisor_spawns"] = len(masters)
    return seen


# ---------------------------------------------------------------- engine outages
class ListingWriter(threading.Thread):
    """Creates listings through the public API at a steady pace until stopped."""

    def __init__(self, api: str, token: str, run_word: str, interval: float = 0.25):
        super().__init__(daemon=True)
        self.api, self.token, self.run_word, self.interval = api, token, run_word, interval
        self.stop_event = threading.Event()
        self.created: dict[int, str] = {}
        self.failures: list[str] = []
        self.attempts = 0

    def run(self) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        while not self.stop_event.is_set():
            self.attempts += 1
            word = _word("dr")
            title = f"Drill {self.run_word} item {word}"
            try:
                response = session.post(
                    f"{self.api}/listings",
                    json={"title": title, "description": "Failure drill listing, please ignore.",
                          "price": "9.99", "category": "collectibles"},
                    timeout=20,
                )  # fmt: skip
                if response.status_code == 201:
                    self.created[int(response.json()["id"])] = title
                else:
                    self.failures.append(f"{response.status_code} {response.text[:120]}")
            except requests.RequestException as exc:
                self.failures.append(repr(exc)[:160])
            self.stop_event.wait(self.interval)

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=30)


def _search_ids(api: str, word: str) -> set[int] | None:
    """Ids of every listing matching ``word`` (all pages); None while search is down."""
    ids: set[int] = set()
    page = 1
    while True:
        try:
            response = requests.get(f"{api}/search", params={"q": word, "page": page}, timeout=10)
        except requests.RequestException:
            return None
        if response.status_code != 200:
            return None
        body = response.json()
        ids.update(int(result["id"]) for result in body.get("results", []))
        if page >= int(body.get("pages") or 1) or page >= 50:
            return ids
        page += 1


def _signup(api: str) -> str:
    name = _word("drill")
    response = requests.post(
        f"{api}/auth/signup",
        json={"username": name, "email": f"{name}@example.com", "password": _word("Pw-") + "-42"},
        timeout=15,
    )
    if response.status_code != 201:
        raise b.BenchError(f"drill sign-up failed: {response.status_code} {response.text[:200]}")
    return response.json()["authenticator"]


def drill_engine_outage(program: str, label: str) -> DrillResult:
    api = f"{b.public_url()}/api/v1"
    token = _signup(api)
    run_word = _word("drillrun")
    writer = ListingWriter(api, token, run_word)
    b.log(f"drill {label}: creating listings; stopping {program} for {OUTAGE_SECONDS}s")
    numbers: dict = {}
    writer.start()
    stopped = False
    try:
        time.sleep(3)  # some listings before the outage
        before = len(writer.created)
        b.ctl("stop", program)
        stopped = True
        t_stop = time.monotonic()
        outage_search = _search_ids(api, "lamp")
        numbers["search_during_outage"] = "200" if outage_search is not None else "unavailable"
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - t_stop)))
        during = len(writer.created) - before
        b.ctl("start", program)
        stopped = False
        t_start = time.monotonic()
        numbers["outage_s"] = round(t_start - t_stop, 1)
        numbers["created_during_outage"] = during
        time.sleep(3)  # some listings after the restart
    finally:
        if stopped:
            b.ctl("start", program)
        writer.stop()
    created = dict(writer.created)
    numbers["create_attempts"] = writer.attempts
    numbers["created"] = len(created)
    numbers["create_failures"] = len(writer.failures)

    # Recovery: search answering again, then every created listing findable.
    search_back = None
    missing = set(created)
    deadline = t_start + RECOVERY_LIMIT
    while time.monotonic() < deadline:
        found = _search_ids(api, run_word)
        if found is not None:
            search_back = search_back or time.monotonic()
            missing = set(created) - found
            if not missing:
                break
        time.sleep(0.5)
    t_done = time.monotonic()
    numbers["search_back_after_restart_s"] = (
        round(search_back - t_start, 1) if search_back else None
    )
    numbers["all_searchable_after_restart_s"] = round(t_done - t_start, 1) if not missing else None
    numbers["missing_after_60s"] = len(missing)
    notes = [f"create failure: {f}" for f in writer.failures[:5]]
    if missing:
        notes.append(f"not searchable after {RECOVERY_LIMIT}s: ids {sorted(missing)[:20]}")
    passed = not missing and search_back is not None and created and not writer.failures
    return DrillResult(label, bool(passed), numbers, notes)


# ---------------------------------------------------------------- report
def render(results: list[DrillResult]) -> str:
    lines = ["| drill | result | numbers |", "|---|---|---|"]
    for r in results:
        figures = ", ".join(f"{k}={v}" for k, v in r.numbers.items())
        lines.append(f"| {r.name} | {'PASS' if r.passed else 'FAIL'} | {figures} |")
    for r in results:
        for note in r.notes:
            lines.append(f"\n- {r.name}: {note.strip()}")
    return "\n".join(lines) + "\n"


DRILLS = ["web-master", "web-instance", "web-hang", "kafka", "search"]


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    wanted = [arg for arg in sys.argv[1:] if arg != "all"] or DRILLS
    unknown = set(wanted) - set(DRILLS)
    if unknown:
        print(f"unknown drill(s): {', '.join(sorted(unknown))}; choose from {DRILLS}")
        return 2
    results: list[DrillResult] = []
    try:
        b.wait_stack_healthy(60)
        home = b.jmeter_home() if any(n.startswith("web-") for n in wanted) else None
        for name in wanted:
            before = b.program_pids()
            if name.startswith("web-"):
                results.append(drill_kill_web(home, name))
                b.wait_stack_healthy(60)
                target = "apps:web1"
            elif name == "kafka":
                results.append(drill_engine_outage("infra:kafka", "kafka"))
                target = "infra:kafka"
            else:
                results.append(drill_engine_outage("infra:search", "search"))
                target = "infra:search"
            # Other programs that restarted meanwhile: a consequence of the outage (a
            # worker exiting when its engine went away) or someone else's work on the
            # shared stack; reported, not hidden.
            others = [p for p in b.changed_programs(before, b.program_pids()) if p != target]
            if others:
                results[-1].notes.append(f"also restarted during the drill: {', '.join(others)}")
            b.log(f"  {results[-1].name}: {'PASS' if results[-1].passed else 'FAIL'} "
                  f"{results[-1].numbers}")  # fmt: skip
    except b.BenchError as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        results.append(DrillResult("error", False, {}, [str(exc)]))
    finally:
        for line in b.restore():
            b.log(f"restore: {line}")
    table = render(results)
    b.RESULTS.mkdir(parents=True, exist_ok=True)
    (b.RESULTS / "drills.md").write_text(
        f"# Failure drills ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n\n{table}"
    )
    (b.RESULTS / "drills.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    print("\n" + table)
    return 0 if results and all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
