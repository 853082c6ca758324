#!/usr/bin/env python3
"""JMeter scaling runs against the native stack (``ops/run_bench.sh jmeter``).

Runs, each bounded (default 25 s of load) and each with its HTML dashboard and summary
under ``jmeter/results/<run>/``:

    warmup                 browse mix, 10 s, not reported (fills caches, starts workers)
    browse-2web-cache      browse mix (home, detail, search, detail), web1 + web2, cache on
    browse-1web-cache      web2 out of rotation (HAProxy runtime API `disable server`)
    pages-2web-cache       pages mix (home, detail: no search), web1 + web2
    pages-1web-cache       pages mix, web2 out of rotation
    *-nocache              the same four with experience-api restarted CACHE_ENABLED=false
    write-2web             writing mix, HAProxy restarted with RATE_LIMIT_AUTH raised

then ``results/scaling.md`` (one table per mix, relative to its 2-web cache-on run) and
``results/summary.md`` (every run's text summary). Whatever a run changes is restored in
``finally`` (and by ``restore`` from the shell trap): web2 re-enabled, override files
removed, exp and HAProxy restarted on their normal settings. A run during which any
supervised program restarted (the stack is shared) is run again once, then marked.

    bench.py run       all of the above
    bench.py restore   put the stack back (idempotent)

Tunables (environment): BENCH_USERS (16), BENCH_DURATION (25), BENCH_RAMPUP (3),
BENCH_THINK (50 ms; a request waits think..2*think first), PAGES_THINK (0: the pages mix
is a closed loop, so it measures capacity), WRITE_USERS (6).
"""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import time

import benchlib as b


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


USERS = _int("BENCH_USERS", 16)
DURATION = _int("BENCH_DURATION", 25)
RAMPUP = _int("BENCH_RAMPUP", 3)
THINK = _int("BENCH_THINK", 50)
# The pages mix runs as a closed loop (no think time) so it measures capacity: with think
# time, 16 users cap the rate at ~170 req/s, below what the cached web tier serves.
PAGES_THINK = _int("PAGES_THINK", 0)
WRITE_USERS = _int("WRITE_USERS", 6)
# browse: the contract's browsing mix (home, detail, search, detail); pages: the same
# without the search steps, so the web tier (not the search engine) is what is loaded.
MIXES = {"browse": {}, "pages": {"search": "false"}}


def _terminate(signum, _frame):
    # Turn SIGTERM (timeout, CI cancel) into an exception so `finally` restores the stack.
    raise KeyboardInterrupt(f"signal {signum}")


def run_name(mix: str, web: int, cache: bool) -> str:
    return f"{mix}-{web}web-{'cache' if cache else 'nocache'}"


def scaling_run(mix: str, web: int, cache: bool, home) -> str:
    run = b.JMeterRun(
        run_name(mix, web, cache), "browse", USERS, DURATION, RAMPUP,
        PAGES_THINK if mix == "pages" else THINK, properties=MIXES[mix],
    )  # fmt: skip

    def prepare():  # before every attempt: HAProxy may have been restarted meanwhile
        b.set_server("web", "web2", enabled=web == 2)

    disturbed = run.run_undisturbed(home, prepare=prepare)
    return run.summarize(
        mix=mix, web_instances=str(web), cache="on" if cache else "off",
        disturbed_by=disturbed or "no",
    )  # fmt: skip


def both_web_counts(cache: bool, home) -> list[str]:
    """Each mix with web1+web2, then with web2 out of rotation (runtime API)."""
    texts = []
    for mix in MIXES:
        texts.append(scaling_run(mix, 2, cache, home))
        try:
            texts.append(scaling_run(mix, 1, cache, home))
        finally:
            b.set_server("web", "web2", enabled=True)
    return texts


def preflight() -> None:
    foreign = b.foreign_overrides()
    if foreign:
        raise b.BenchError(
            "runtime override files exist that the benchmark did not write (someone is "
            f"running an experiment): {', '.join(map(str, foreign))}"
        )
    if not b.site_ready():
        raise b.BenchError(
            f"{b.public_url()} does not serve the home page with listings: run `make up`"
        )
    b.wait_stack_healthy(60)


def run_all() -> int:
    home = b.jmeter_home()
    b.log(f"JMeter: {home}")
    preflight()
    b.RESULTS.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    try:
        b.JMeterRun("warmup", "browse", USERS, 10, RAMPUP, THINK, report=False).run(home)
        texts += both_web_counts(cache=True, home=home)

        b.log("experience-api: restarting with CACHE_ENABLED=false")
        b.set_override("exp", {"CACHE_ENABLED": "false"})
        try:
            b.restart_exp(expect={"CACHE_ENABLED": "false"})
            texts += both_web_counts(cache=False, home=home)
        finally:
            b.clear_override("exp")
            b.log("experience-api: restarting with its normal settings (cache on)")
            b.restart_exp()

        b.log("HAProxy: restarting with RATE_LIMIT_AUTH=100000 for the writing mix")
        b.set_override("haproxy", {"RATE_LIMIT_AUTH": "100000"})
        try:
            b.restart_haproxy(expect={"RATE_LIMIT_AUTH": "100000"})
            run = b.JMeterRun("write-2web", "write", WRITE_USERS, DURATION, RAMPUP, THINK)
            disturbed = run.run_undisturbed(home)
            texts.append(
                run.summarize(web_instances="2", cache="on", disturbed_by=disturbed or "no")
            )
        finally:
            b.clear_override("haproxy")
            b.log("HAProxy: restarting with its normal settings")
            b.restart_haproxy()
    finally:
        for line in b.restore():
            b.log(f"restore: {line}")

    tables = []
    for mix in MIXES:
        names = [run_name(mix, web, cache) for cache in (True, False) for web in (2, 1)]
        table = subprocess.run(
            [b.PYTHON, str(b.HERE / "summarize.py"), "table",
             *[str(b.RESULTS / name / "summary.json") for name in names],
             "--baseline", run_name(mix, 2, True)],
            capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip
        title = (
            "browse mix (home, detail, search, detail)"
            if mix == "browse"
            else ("pages mix (home, detail; no search)")
        )
        tables.append(f"### {title}\n\n{table}")
    scaling = "\n".join(tables)
    (b.RESULTS / "scaling.md").write_text(scaling)
    write_report(texts, scaling)
    print("\n".join(texts))
    print(scaling)
    b.log(f"dashboards: {b.RESULTS}/<run>/dashboard/index.html; summary: {b.RESULTS}/summary.md")
    return 0


def write_report(texts: list[str], table: str) -> None:
    commit = subprocess.run(
        ["git", "-C", str(b.ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, timeout=10,
    ).stdout.strip()  # fmt: skip
    header = [
        "# JMeter runs",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}",
        f"- machine: {os.cpu_count()} CPU cores, {platform.platform()}; JMeter, HAProxy and "
        "every service share these cores, so absolute numbers are a floor",
        f"- {USERS} users, {DURATION} s per run, ramp-up {RAMPUP} s; think time: browse and "
        f"writing mixes {THINK}-{2 * THINK} ms, pages mix {PAGES_THINK}-{2 * PAGES_THINK} ms "
        f"(0 = closed loop: capacity); writing mix {WRITE_USERS} users",
        "",
        "## Scaling",
        "",
        table,
        "## Runs",
        "",
        "```",
        *texts,
        "```",
        "",
    ]
    (b.RESULTS / "summary.md").write_text("\n".join(header))


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    try:
        if command == "restore":
            for line in b.restore() or ["nothing to restore"]:
                b.log(f"restore: {line}")
            return 0
        return run_all()
    except b.BenchError as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
