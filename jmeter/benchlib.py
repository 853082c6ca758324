"""Helpers shared by the benchmark and drill scripts (standard library only).

Everything here talks to the native stack on loopback: supervisorctl through
``ops/stack.py ctl``, HAProxy's runtime API (admin socket) and stats CSV, the runtime
override files read by ``ops/with_overrides.sh``, and JMeter in non-GUI mode.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VAR = Path(os.environ.get("VAR_DIR") or os.environ.get("STACK_VAR_DIR") or ROOT / "var")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
if not Path(PYTHON).exists():
    PYTHON = sys.executable
RESULTS = Path(os.environ.get("BENCH_RESULTS", HERE / "results"))
OVERRIDES = VAR / "run" / "overrides"
# Written as the first line of every override file we create: restore() deletes only
# files carrying it, never an override someone else put there.
OVERRIDE_MARKER = "# set by jmeter/benchlib.py (benchmark); removed when it ends"


class BenchError(Exception):
    """A failure with a message meant for the person running the benchmark."""


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def public_url() -> str:
    return env("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def stats_url() -> str:
    host = env("BIND_ADDRESS", "127.0.0.1")
    return f"http://{host}:{env('HAPROXY_STATS_PORT', '8404')}/stats;csv"


def haproxy_socket() -> str:
    return env("HAPROXY_SOCKET", str(VAR / "run" / "haproxy.sock"))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- HTTP
def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (OSError, urllib.error.URLError) as exc:
        return 0, str(exc)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.5):
    """Poll ``predicate`` until it returns a truthy value; BenchError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- supervisor
def ctl(*args: str, timeout: float = 150) -> str:
    result = subprocess.run(
        [PYTHON, str(ROOT / "ops" / "stack.py"), "ctl", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result.stdout + result.stderr


def program_pid(program: str) -> int:
    out = ctl("pid", program).strip()
    if not out.isdigit() or out == "0":
        raise BenchError(f"{program} is not running (supervisorctl pid: {out!r})")
    return int(out)


def program_state(program: str) -> str:
    parts = ctl("status", program).split()
    return parts[1] if len(parts) > 1 else "UNKNOWN"


def program_status(program: str) -> tuple[str, int | None]:
    """(supervisor state, pid or None) of one program."""
    parts = ctl("status", program).split()
    state = parts[1] if len(parts) > 1 else "UNKNOWN"
    pid = int(parts[3].rstrip(",")) if state == "RUNNING" and len(parts) > 3 else None
    return state, pid


def program_pids() -> dict[str, str]:
    """``{group:program: pid or state}`` for every supervised program."""
    pids = {}
    for line in ctl("status").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            pids[parts[0]] = parts[3].rstrip(",") if parts[1] == "RUNNING" else parts[1]
    return pids


def changed_programs(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Programs restarted, killed or stopped between two snapshots (by someone else)."""
    return sorted(name for name in before if after.get(name) != before[name])


def process_env(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


# ---------------------------------------------------------------- HAProxy
def haproxy_command(command: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(haproxy_socket())
        sock.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def server_states(backend: str = "web") -> dict[str, str]:
    """``{server: status}`` (UP, DOWN, MAINT, ...) from HAProxy's stats CSV."""
    status, body = http_get(stats_url())
    if status != 200:
        return {}
    lines = body.splitlines()
    header = lines[0].lstrip("# ").split(",")
    states = {}
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("pxname") == backend and row.get("svname") not in ("FRONTEND", "BACKEND"):
            states[row["svname"]] = row.get("status", "")
    return states


def set_server(backend: str, server: str, enabled: bool) -> None:
    verb = "enable" if enabled else "disable"
    answer = haproxy_command(f"{verb} server {backend}/{server}").strip()
    if answer:
        raise BenchError(f"HAProxy refused '{verb} server {backend}/{server}': {answer}")
    wanted = ("UP",) if enabled else ("MAINT",)
    wait_until(
        lambda: server_states(backend).get(server, "").split(" ")[0] in wanted,
        30,
        f"{backend}/{server} {'UP' if enabled else 'in maintenance'}",
    )


def site_ready() -> bool:
    """The public door answers and the home page lists listings."""
    if http_get(f"{public_url()}/healthz")[0] != 200:
        return False
    status, body = http_get(f"{public_url()}/", timeout=15)
    return status == 200 and re.search(r'href="/listings/\d+/"', body) is not None


def api_ready() -> bool:
    return http_get(f"{public_url()}/api/v1/home", timeout=15)[0] == 200


def wait_stack_healthy(timeout: float = 60) -> None:
    wait_until(site_ready, timeout, f"{public_url()} to serve the home page with listings")
    wait_until(api_ready, timeout, "the public API (/api/v1/home) to answer 200")
    wait_until(web_servers_up, timeout, "HAProxy to show every web server in rotation UP")


def web_servers_up() -> bool:
    """Every web server not deliberately in maintenance is UP (and at least one is)."""
    states = server_states("web")
    active = [state for state in states.values() if not state.startswith("MAINT")]
    return bool(active) and all(state == "UP" for state in active)


# ---------------------------------------------------------------- runtime overrides
def override_path(program: str) -> Path:
    return OVERRIDES / f"{program}.env"


def foreign_overrides() -> list[Path]:
    """Override files not created by us (someone else's experiment is running)."""
    if not OVERRIDES.exists():
        return []
    return [
        path
        for path in sorted(OVERRIDES.glob("*.env"))
        if not path.read_text().startswith(OVERRIDE_MARKER)
    ]


def set_override(program: str, values: dict[str, str]) -> None:
    path = override_path(program)
    if path.exists() and not path.read_text().startswith(OVERRIDE_MARKER):
        raise BenchError(f"{path} exists and was not written by the benchmark; not touching it")
    OVERRIDES.mkdir(parents=True, exist_ok=True)
    path.write_text(OVERRIDE_MARKER + "\n" + "".join(f"{k}={v}\n" for k, v in values.items()))


def clear_override(program: str) -> bool:
    """Remove our override file; True if there was one (the program needs a restart)."""
    path = override_path(program)
    if path.exists() and path.read_text().startswith(OVERRIDE_MARKER):
        path.unlink()
        return True
    return False


def restart_exp(expect: dict[str, str] | None = None) -> None:
    """Restart experience-api (picks up overrides) and wait until it serves again."""
    ctl("restart", "apps:exp")
    port = env("EXP_PORT", "8200")
    host = env("BIND_ADDRESS", "127.0.0.1")
    wait_until(lambda: http_get(f"http://{host}:{port}/healthz")[0] == 200, 60, "exp /healthz")
    if expect:
        actual = process_env(program_pid("apps:exp"))
        wrong = {k: actual.get(k) for k, v in expect.items() if actual.get(k) != v}
        if wrong:
            raise BenchError(f"experience-api did not pick up {expect}: it has {wrong}")
    wait_until(api_ready, 60, "the public API through HAProxy")


def restart_haproxy(expect: dict[str, str] | None = None) -> None:
    ctl("restart", "edge:haproxy")
    wait_until(lambda: http_get(f"{public_url()}/healthz")[0] == 200, 60, "HAProxy /healthz")
    if expect:
        actual = process_env(program_pid("edge:haproxy"))
        wrong = {k: actual.get(k) for k, v in expect.items() if actual.get(k) != v}
        if wrong:
            raise BenchError(f"HAProxy did not pick up {expect}: it has {wrong}")
    wait_until(web_servers_up, 60, "web servers UP after the HAProxy restart")


def restore() -> list[str]:
    """Put the stack back as the benchmark found it; safe to call any number of times."""
    done = []
    if clear_override("exp"):
        restart_exp()
        done.append("experience-api restarted without overrides (cache on)")
    if clear_override("haproxy"):
        restart_haproxy()
        done.append("HAProxy restarted without overrides (default auth rate limit)")
    try:
        for server, state in server_states("web").items():
            if state.startswith("MAINT"):
                haproxy_command(f"enable server web/{server}")
                done.append(f"web/{server} re-enabled")
    except OSError as exc:
        done.append(f"could not reach HAProxy's runtime API: {exc}")
    for program in ("infra:kafka", "infra:search", "apps:web1", "apps:web2"):
        state = program_state(program)
        if state in ("STOPPED", "EXITED", "FATAL", "BACKOFF"):
            ctl("start", program)
            done.append(f"{program} started (was {state})")
    return done


# ---------------------------------------------------------------- JMeter
def jmeter_home() -> Path:
    """Install JMeter if needed (idempotent) and return its home."""
    result = subprocess.run(
        ["bash", str(HERE / "install.sh")], capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        raise BenchError(f"jmeter/install.sh failed:\n{result.stderr[-2000:]}")
    return Path(result.stdout.strip().splitlines()[-1])


@dataclass
class JMeterRun:
    name: str
    plan: str
    users: int
    duration: int
    rampup: int = 3
    think: int = 50
    report: bool = True
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return RESULTS / self.name

    @property
    def jtl(self) -> Path:
        return self.folder / "results.jtl"

    def command(self, home: Path) -> list[str]:
        host = env("BIND_ADDRESS", "127.0.0.1")
        port = env("HAPROXY_PORT", "8000")
        # Hard upper bound: the plan's own duration plus start-up and the dashboard.
        limit = self.duration + self.rampup + 120
        cmd = [
            "timeout", "--kill-after=10", str(limit),
            "sh", str(home / "bin" / "jmeter"), "-n",
            "-t", str(HERE / "plans" / f"{self.plan}.jmx"),
            "-l", str(self.jtl),
            "-j", str(self.folder / "jmeter.log"),
            f"-Jhost={host}", f"-Jport={port}",
            f"-Jusers={self.users}", f"-Jrampup={self.rampup}",
            f"-Jduration={self.duration}", f"-Jthink={self.think}",
            f"-Jdata_dir={HERE / 'data'}",
            "-Jjmeter.save.saveservice.output_format=csv",
            "-Jsummariser.interval=10",
            # Short runs: one point per second on the dashboard's charts.
            "-Jjmeter.reportgenerator.overall_granularity=1000",
        ]  # fmt: skip
        cmd += [f"-J{key}={value}" for key, value in self.properties.items()]
        if self.report:
            cmd += ["-e", "-o", str(self.folder / "dashboard")]
        return cmd

    def start(self, home: Path) -> subprocess.Popen:
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        jvm = {"HEAP": env("JMETER_HEAP", "-Xms256m -Xmx768m -XX:MaxMetaspaceSize=256m")}
        output = (self.folder / "console.txt").open("w")
        return subprocess.Popen(
            self.command(home), stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **jvm}
        )

    def run(self, home: Path) -> None:
        """Run to the end; raises BenchError if JMeter fails or writes no results."""
        log(
            f"JMeter {self.name}: plan {self.plan}, {self.users} users, {self.duration}s "
            f"(ramp-up {self.rampup}s, think {self.think}-{2 * self.think} ms)"
        )
        process = self.start(home)
        code = process.wait(timeout=self.duration + self.rampup + 180)
        if code != 0 or not self.jtl.exists():
            raise BenchError(
                f"JMeter run {self.name} failed (exit {code}); see {self.folder}/console.txt "
                f"and {self.folder}/jmeter.log"
            )

    def run_undisturbed(self, home: Path, attempts: int = 2, prepare=None) -> str:
        """Run; if any supervised program restarted meanwhile (the stack is shared and
        someone else restarted or killed something), run again. ``prepare`` is applied
        before every attempt (a restarted HAProxy forgets runtime changes such as a
        disabled server). Returns the programs that changed during the kept attempt
        ("" if none)."""
        changed: list[str] = []
        for attempt in range(1, attempts + 1):
            if prepare:
                prepare()
            before = program_pids()
            self.run(home)
            changed = changed_programs(before, program_pids())
            if not changed:
                return ""
            log(
                f"  the stack changed during {self.name} (restarted/stopped: "
                f"{', '.join(changed)}), not by this benchmark"
                + ("; running it again" if attempt < attempts else "; result marked disturbed")
            )
            if attempt < attempts:
                wait_stack_healthy(90)
        return " ".join(changed)

    def summarize(self, **meta: str) -> str:
        args = [
            PYTHON, str(HERE / "summarize.py"), "run", str(self.jtl), "--name", self.name,
            "--meta", f"plan={self.plan}", "--meta", f"users={self.users}",
            "--meta", f"duration_s={self.duration}", "--meta", f"think_ms={self.think}",
        ]  # fmt: skip
        # The machine is shared (2 cores): the load average after the run says how busy
        # it was, JMeter included.
        meta = {**meta, "load_avg_1min": f"{os.getloadavg()[0]:.1f}"}
        for key, value in meta.items():
            args += ["--meta", f"{key}={value}"]
        result = subprocess.run(args, capture_output=True, text=True, timeout=120)
        return result.stdout
