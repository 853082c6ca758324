#!/usr/bin/env python3
"""Run the native marketplace stack: up, infra, down, status, env.

``make up`` calls ``ops/install.sh`` (system packages, .venv, npm engines) and then
``stack.py up``, which:

1. loads ``ops/defaults.env`` overridden by the environment, plus generated secrets;
2. checks that every engine is installed and every port is free (naming the cause);
3. renders configs into ``var/run`` and starts supervisord;
4. starts the engines, waits for each; creates the database role and Kafka topics;
5. migrates and seeds models-api, collects web static files;
6. starts the services and HAProxy, and waits until HAProxy answers with both web
   backends UP, naming any component that failed and where its log is.

Running ``up`` on a running stack only checks health: quick and harmless.
Standard library only (it runs before anything else is guaranteed to work).
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import os
import secrets
import shutil
import socket
import string
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPS = ROOT / "ops"
VAR = Path(os.environ.get("STACK_VAR_DIR", ROOT / "var"))
VENV = Path(os.environ.get("VENV", ROOT / ".venv"))
SUPERVISOR_CONF = VAR / "run" / "supervisord.conf"
MAILDEV = ROOT / "ops" / "mailcatcher" / "node_modules" / "maildev"
# Engines built from Maven artifacts by ops/install.sh (kept across `make clean`, like .venv).
ENGINES = Path(os.environ.get("ENGINES_DIR", ROOT / ".engines"))
KAFKA_TOPICS_FILE = OPS / "kafka" / "topics.txt"

# (program, port variable, human name) for the port pre-flight and for `make down`.
PORTS = [
    ("haproxy", "HAPROXY_PORT", "HAProxy"),
    ("haproxy", "HAPROXY_STATS_PORT", "HAProxy stats"),
    ("web1", "WEB1_PORT", "web-frontend #1"),
    ("web2", "WEB2_PORT", "web-frontend #2"),
    ("exp", "EXP_PORT", "experience-api"),
    ("models", "MODELS_PORT", "models-api"),
    ("postgres", "PG_PORT", "PostgreSQL"),
    ("redis", "REDIS_PORT", "Redis"),
    ("kafka", "KAFKA_PORT", "Kafka"),
    ("kafka", "KAFKA_CONTROLLER_PORT", "Kafka controller (KRaft)"),
    ("search", "SEARCH_PORT", "Elasticsearch"),
    ("search", "SEARCH_TRANSPORT_PORT", "Elasticsearch transport"),
    ("mail", "MAIL_SMTP_PORT", "MailDev SMTP"),
    ("mail", "MAIL_WEB_PORT", "MailDev web"),
]
INFRA = ["postgres", "redis", "kafka", "search", "mail"]
APPS = [
    "models",
    "outbox-relay",
    "authenticator-purge",
    "mailer",
    "exp",
    "cache-invalidator",
    "web1",
    "web2",
    "indexer",
    "pageviews",
    "thumbnails",
    "alerts",
    "recommendations",
]
GROUP = {name: "infra" for name in INFRA} | {name: "apps" for name in APPS} | {"haproxy": "edge"}


class StackError(Exception):
    """A failure with a message meant for the person running make."""


# ---------------------------------------------------------------- configuration
def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _ensure_secrets() -> dict[str, str]:
    """Generate per-installation secrets once; never committed (var/ is ignored)."""
    path = VAR / "secrets.env"
    values = _read_env_file(path)
    wanted = ["SERVICE_TOKEN", "MODELS_SECRET_KEY", "EXP_SECRET_KEY", "WEB_SECRET_KEY"]
    if any(key not in values for key in wanted):
        for key in wanted:
            values.setdefault(key, secrets.token_urlsafe(48))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        path.chmod(0o600)
    return values


def _first(paths, default: Path) -> Path:
    return next(iter(sorted(paths)), default)


def _pg_bin() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "postgres").exists():
            return candidate
    found = shutil.which("postgres")
    return Path(found).resolve().parent if found else Path("/usr/lib/postgresql/15/bin")


def _pg_dirs() -> tuple[Path, Path]:
    """PostgreSQL's data and socket folders: var/data/postgres and var/run/pg normally.

    PostgreSQL refuses to run as root, so as root it runs as the `postgres` user, which
    must be able to reach the folder. When the checkout sits under a private folder
    (e.g. a 0700 temporary directory), fall back to a folder of the postgres user's own,
    keyed by this checkout, and link it from var/data so the data still has one home.
    """
    data, sock = VAR / "data" / "postgres", VAR / "run" / "pg"
    if os.geteuid() != 0:
        return data, sock
    probe = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(VAR)], capture_output=True
    )
    if probe.returncode == 0:
        return data, sock
    import hashlib

    base = (
        Path("/var/lib/postgresql/marketplace")
        / hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    )
    return base / "data", base / "socket"


def load_env() -> dict[str, str]:
    """Defaults < environment < derived values; secrets from var/secrets.env."""
    env = _read_env_file(OPS / "defaults.env")
    for key in list(env):
        if key in os.environ:
            env[key] = os.environ[key]
    secret_values = _ensure_secrets()
    for key, value in secret_values.items():
        env[key] = os.environ.get(key, value)
    host = env["BIND_ADDRESS"]
    VAR.mkdir(parents=True, exist_ok=True)
    pg_data, pg_socket = _pg_dirs()
    derived = {
        "ROOT": str(ROOT),
        "VAR_DIR": str(VAR),
        "VENV": str(VENV),
        "ENGINES_DIR": str(ENGINES),
        "KAFKA_LIB": str(ENGINES / "kafka" / "lib"),
        "KAFKA_DATA_DIR": str(VAR / "data" / "kafka"),
        "PG_BIN": str(_pg_bin()),
        "ES_ENGINE_DIR": str(ENGINES / "elasticsearch"),
        "ES_DATA_DIR": str(VAR / "data" / "elasticsearch"),
        "NODE_BIN": shutil.which("node") or "/usr/bin/node",
        "PG_OS_USER": "postgres" if os.geteuid() == 0 else getpass.getuser(),
        "PG_DATA_DIR": str(pg_data),
        "PG_SOCKET_DIR": str(pg_socket),
        "DATABASE_URL": (
            f"postgres://{env['PG_USER']}:{env['PG_PASSWORD']}@{host}:{env['PG_PORT']}/"
            f"{env['PG_DATABASE']}"
        ),
        "MODELS_API_URL": f"http://{host}:{env['MODELS_PORT']}",
        "EXPERIENCE_API_URL": f"http://{host}:{env['EXP_PORT']}",
        "REDIS_URL": f"redis://{host}:{env['REDIS_PORT']}/0",
        "KAFKA_BOOTSTRAP_SERVERS": f"{host}:{env['KAFKA_PORT']}",
        "ELASTICSEARCH_URL": f"http://{host}:{env['SEARCH_PORT']}",
        # models-api's mailer sends here; MailDev's web page and REST API are there.
        "EMAIL_HOST": host,
        "MAIL_WEB_URL": f"http://{host}:{env['MAIL_WEB_PORT']}",
        "ACCESS_LOG_PATH": str(VAR / "data" / "access.log"),
        "DJANGO_ALLOWED_HOSTS": f"{host},localhost,127.0.0.1",
        "PUBLIC_URL": f"http://{host}:{env['HAPROXY_PORT']}",
        "WEB1_ADDR": f"{host}:{env['WEB1_PORT']}",
        "WEB2_ADDR": f"{host}:{env['WEB2_PORT']}",
        "EXP_ADDR": f"{host}:{env['EXP_PORT']}",
        "HAPROXY_SOCKET": str(VAR / "run" / "haproxy.sock"),
        "HAPROXY_ERRORS_DIR": str(ROOT / "haproxy" / "errors"),
        "PYTHONUNBUFFERED": "1",
    }
    for key, value in derived.items():
        env[key] = os.environ.get(key, value) if key not in ("ROOT", "VAR_DIR") else value
    return env


def export(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["PATH"] = f"{VENV / 'bin'}:{os.environ.get('PATH', '')}"


def render(template: Path, target: Path, env: dict[str, str]) -> bool:
    """Write ``template`` filled from ``env`` to ``target``; True if the content changed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    content = string.Template(template.read_text()).substitute(env)
    if target.exists() and target.read_text() == content:
        return False
    target.write_text(content)
    return True


def render_configs(env: dict[str, str]) -> bool:
    for sub in (
        "run",
        "run/overrides",
        "log",
        "log/kafka",
        "data",
        "data/redis",
        "data/elasticsearch",
        "data/kafka",
        "data/mail",
    ):
        (VAR / sub).mkdir(parents=True, exist_ok=True)
    changed = render(OPS / "supervisord.conf", SUPERVISOR_CONF, env)
    changed |= render(OPS / "kafka" / "server.properties", VAR / "run" / "kafka.properties", env)
    return changed


# ---------------------------------------------------------------- probes
def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (OSError, urllib.error.URLError) as exc:
        return 0, str(exc)


def who_listens(port: int) -> str:
    try:
        out = subprocess.run(
            ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "another process"
    return out.split("users:")[-1] if "users:" in out else "another process"


def log_tail(program: str, lines: int = 15) -> str:
    path = VAR / "log" / f"{program}.log"
    if not path.exists():
        return f"(no log at {path})"
    content = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join("    " + line[:300] for line in content)


# ---------------------------------------------------------------- supervisor
def supervisor_running() -> bool:
    pidfile = VAR / "run" / "supervisord.pid"
    if not pidfile.exists():
        return False
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return False
    return (VAR / "run" / "supervisor.sock").exists()


def ctl(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV / "bin" / "supervisorctl"), "-c", str(SUPERVISOR_CONF), *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def program_states() -> dict[str, str]:
    states = {}
    for line in ctl("status").stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            states[parts[0].split(":")[-1]] = parts[1]
    return states


def start_programs(names: list[str]) -> None:
    states = program_states()
    todo = [f"{GROUP[n]}:{n}" for n in names if states.get(n) not in ("RUNNING", "STARTING")]
    if todo:
        ctl("start", *todo)


def wait_for(name: str, probe, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        # FATAL means supervisord gave up retrying: no point in waiting longer.
        if program_states().get(name) == "FATAL":
            break
        time.sleep(0.3)
    state = program_states().get(name, "unknown")
    raise StackError(
        f"{name} did not become ready ({what}) within {timeout:.0f}s (supervisor state: {state}).\n"
        f"  log: {VAR / 'log' / (name + '.log')}\n{log_tail(name)}"
    )


def wait_running(names: list[str], settle: float = 3.0) -> None:
    """Workers have no port: they must reach RUNNING and stay there."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = program_states()
        bad = [n for n in names if states.get(n) in ("FATAL",)]
        if bad:
            break
        if all(states.get(n) == "RUNNING" for n in names):
            time.sleep(settle)
            states = program_states()
            if all(states.get(n) == "RUNNING" for n in names):
                return
        time.sleep(0.5)
    states = program_states()
    failed = [n for n in names if states.get(n) != "RUNNING"]
    details = "\n".join(
        f"  {n}: {states.get(n)}; log: {VAR / 'log' / (n + '.log')}\n{log_tail(n)}" for n in failed
    )
    raise StackError(f"these processes are not running:\n{details}")


# ---------------------------------------------------------------- steps
def preflight(env: dict[str, str]) -> None:
    missing = []
    engines = {
        "PostgreSQL (apt: postgresql)": Path(env["PG_BIN"]) / "postgres",
        "Redis (apt: redis-server)": Path("/usr/bin/redis-server"),
        "HAProxy (apt: haproxy)": Path("/usr/sbin/haproxy"),
        "Java 17 (apt: openjdk-17-jre-headless)": Path(shutil.which("java") or "/usr/bin/java"),
        "Apache Kafka 4 (Maven: ops/kafka/build.sh)": _first(
            Path(env["KAFKA_LIB"]).glob("kafka_2.13-*.jar"), Path(env["KAFKA_LIB"])
        ),
        "Elasticsearch 8 (Maven: ops/elasticsearch/build.sh)": Path(env["ES_ENGINE_DIR"])
        / ".build-stamp",
        "Node.js 20+ (apt: nodejs)": Path(env["NODE_BIN"]),
        "MailDev (npm: ops/mailcatcher)": MAILDEV / "dist" / "bin" / "maildev.js",
        "gunicorn (.venv)": VENV / "bin" / "gunicorn",
        "granian (.venv)": VENV / "bin" / "granian",
        "supervisord (.venv)": VENV / "bin" / "supervisord",
    }
    for name, path in engines.items():
        if not path.exists():
            missing.append(f"  {name}: {path} not found")
    if missing:
        raise StackError(
            "missing engines (run `make install`, as root for system packages):\n"
            + "\n".join(missing)
        )
    busy = []
    for _program, var, human in PORTS:
        port = int(env[var])
        if port_open(port, env["BIND_ADDRESS"]) or port_open(port, "127.0.0.1"):
            busy.append(f"  port {port} ({human}, {var}) is in use by {who_listens(port)}")
    if busy:
        raise StackError(
            "cannot start: ports already in use (stop that process or override the port, "
            "e.g. `HAPROXY_PORT=9000 make up`):\n" + "\n".join(busy)
        )


def init_postgres(env: dict[str, str]) -> None:
    data, sock = Path(env["PG_DATA_DIR"]), Path(env["PG_SOCKET_DIR"])
    link = VAR / "data" / "postgres"
    if data != link and not link.exists():
        link.symlink_to(data, target_is_directory=True)
    if (data / "PG_VERSION").exists():
        return
    for folder in (data, sock):
        folder.mkdir(parents=True, exist_ok=True)
    run_as = []
    if os.geteuid() == 0:
        for folder in (data, sock):
            shutil.chown(folder, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    print("  initialising PostgreSQL cluster in", data)
    subprocess.run(
        [
            *run_as,
            f"{env['PG_BIN']}/initdb",
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
        text=True,
    )


def ensure_database(env: dict[str, str]) -> None:
    """Create (or update) the application role and database; idempotent.

    Names and password go in as psql variables (quoted by psql), never spliced into SQL.
    """
    script = """
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \\gexec
ALTER ROLE :"user" LOGIN CREATEDB PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') \\gexec
-- A failing statement's text may carry a password hash or an email: keep it out of the log.
ALTER SYSTEM SET log_min_error_statement = 'panic';
SELECT pg_reload_conf();
"""
    subprocess.run(
        [
            f"{env['PG_BIN']}/psql",
            "-h",
            env["PG_SOCKET_DIR"],
            "-p",
            env["PG_PORT"],
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-qtA",
            "-v",
            f"user={env['PG_USER']}",
            "-v",
            f"password={env['PG_PASSWORD']}",
            "-v",
            f"database={env['PG_DATABASE']}",
        ],
        input=script,
        check=True,
        capture_output=True,
        text=True,
    )


def pg_ready(env: dict[str, str]) -> bool:
    result = subprocess.run(
        [f"{env['PG_BIN']}/pg_isready", "-h", env["BIND_ADDRESS"], "-p", env["PG_PORT"]],
        capture_output=True,
    )
    return result.returncode == 0


def ensure_topics(env: dict[str, str]) -> None:
    """Create the topics of ops/kafka/topics.txt that are missing (auto-creation is off)."""
    result = subprocess.run(
        [
            str(VENV / "bin" / "python"),
            "-m",
            "mpcommon.kafka_topics",
            env["KAFKA_BOOTSTRAP_SERVERS"],
            str(KAFKA_TOPICS_FILE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise StackError(f"could not create the Kafka topics:\n{result.stderr[-1500:]}")


def kafka_ready(env: dict[str, str]) -> bool:
    """True once the broker answers a Metadata request listing at least one broker.

    A KRaft broker opens its client listener only once it has caught up with the metadata
    log; an empty broker list still means "not yet". Raw Metadata v0 (served by Kafka 4)
    keeps this probe dependency-free.
    """
    client_id = b"stack-probe"
    body = struct.pack(">hhih", 3, 0, 1, len(client_id)) + client_id + struct.pack(">i", 0)
    try:
        with socket.create_connection(
            (env["BIND_ADDRESS"], int(env["KAFKA_PORT"])), timeout=2
        ) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            header = sock.recv(4)
            if len(header) < 4:
                return False
            (size,) = struct.unpack(">i", header)
            payload = b""
            while len(payload) < size:
                chunk = sock.recv(size - len(payload))
                if not chunk:
                    return False
                payload += chunk
    except OSError:
        return False
    (broker_count,) = struct.unpack(">i", payload[4:8])
    return broker_count > 0


def mail_ready(env: dict[str, str]) -> bool:
    """MailDev answers on both ports: SMTP accepts connections, the API its health check."""
    host = env["BIND_ADDRESS"]
    if not port_open(int(env["MAIL_SMTP_PORT"]), host):
        return False
    return http_get(f"{env['MAIL_WEB_URL']}/api/healthz")[0] == 200


SECRET_KEY_OF = {
    "models-api": "MODELS_SECRET_KEY",
    "experience-api": "EXP_SECRET_KEY",
    "web-frontend": "WEB_SECRET_KEY",
}


def manage(service: str, *args: str, timeout: float = 600) -> None:
    """Run a one-shot Django management command of a service (migrate, seed, ...)."""
    result = subprocess.run(
        [str(VENV / "bin" / "python"), "manage.py", *args],
        cwd=ROOT / service,
        env={**os.environ, "DJANGO_SECRET_KEY": os.environ[SECRET_KEY_OF[service]]},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    log = VAR / "log" / f"{service}-manage.log"
    with log.open("a") as handle:
        handle.write(f"$ manage.py {' '.join(args)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise StackError(
            f"`{service}: manage.py {' '.join(args)}` failed (exit {result.returncode}); "
            f"log: {log}\n{result.stderr[-1500:]}"
        )


def haproxy_backends(env: dict[str, str]) -> dict[str, str]:
    status, body = http_get(f"http://{env['BIND_ADDRESS']}:{env['HAPROXY_STATS_PORT']}/stats;csv")
    if status != 200:
        return {}
    states = {}
    for line in body.splitlines():
        fields = line.split(",")
        if len(fields) > 17 and fields[0] == "web":
            states[fields[1]] = fields[17]
    return states


def web_backends_up(env: dict[str, str]) -> bool:
    backends = haproxy_backends(env)
    return backends.get("web1") == "UP" and backends.get("web2") == "UP"


def start_infra(env: dict[str, str]) -> None:
    host = env["BIND_ADDRESS"]
    init_postgres(env)
    start_programs(INFRA)
    wait_for("postgres", lambda: pg_ready(env), 60, f"accepting connections on {env['PG_PORT']}")
    ensure_database(env)
    wait_for("redis", lambda: port_open(int(env["REDIS_PORT"]), host), 30, "listening")
    health = f"{env['ELASTICSEARCH_URL']}/_cluster/health?wait_for_status=yellow&timeout=1s"
    wait_for("search", lambda: http_get(health)[0] == 200, 120, "cluster health yellow")
    wait_for("kafka", lambda: kafka_ready(env), 90, f"broker started on {env['KAFKA_PORT']}")
    ensure_topics(env)
    wait_for("mail", lambda: mail_ready(env), 60, f"SMTP on {env['MAIL_SMTP_PORT']} and web API")


def start_apps(env: dict[str, str]) -> None:
    print("  migrating and seeding models-api ...")
    manage("models-api", "migrate", "--noinput")
    manage("models-api", "seed_demo_data")
    manage("web-frontend", "collectstatic", "--noinput")
    start_programs(APPS)
    host = env["BIND_ADDRESS"]
    for name, port in (
        ("models", "MODELS_PORT"),
        ("exp", "EXP_PORT"),
        ("web1", "WEB1_PORT"),
        ("web2", "WEB2_PORT"),
    ):
        url = f"http://{host}:{env[port]}/healthz"
        wait_for(name, lambda url=url: http_get(url)[0] == 200, 60, f"GET {url} = 200")
    wait_running(
        [
            "outbox-relay",
            "authenticator-purge",
            "mailer",
            "cache-invalidator",
            "indexer",
            "pageviews",
            "thumbnails",
            "alerts",
            "recommendations",
        ]
    )


def haproxy_fingerprint() -> str:
    """A hash of what HAProxy reads at start: its config, Lua script and error pages."""
    digest = hashlib.sha256()
    folder = ROOT / "haproxy"
    for path in sorted([folder / "haproxy.cfg", *folder.glob("*.lua"), *folder.glob("errors/*")]):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def start_edge(env: dict[str, str]) -> None:
    check = subprocess.run(
        ["/usr/sbin/haproxy", "-c", "-q", "-f", str(ROOT / "haproxy" / "haproxy.cfg")],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise StackError(f"haproxy/haproxy.cfg is invalid:\n{check.stdout}{check.stderr}")
    stamp, fingerprint = VAR / "run" / "haproxy.fingerprint", haproxy_fingerprint()
    if program_states().get("haproxy") == "RUNNING" and (
        not stamp.exists() or stamp.read_text() != fingerprint
    ):
        # supervisord only sees the command line: a changed haproxy.cfg (or its Lua or
        # error pages) needs a restart to take effect on a running stack.
        print("  haproxy.cfg changed: restarting HAProxy")
        ctl("restart", f"{GROUP['haproxy']}:haproxy", check=True)
    start_programs(["haproxy"])
    stamp.write_text(fingerprint)
    url = f"{env['PUBLIC_URL']}/healthz"
    wait_for("haproxy", lambda: http_get(url)[0] == 200, 30, f"GET {url} = 200")
    wait_for("haproxy", lambda: web_backends_up(env), 30, "stats show web1 and web2 UP")


def up(env: dict[str, str], infra_only: bool = False) -> None:
    started = time.monotonic()
    from_stopped = not supervisor_running()
    if not from_stopped:
        print("stack already running under supervisord: checking health ...")
        if render_configs(env):
            # Only programs whose definition changed are restarted by `update`.
            print("  process definitions changed: applying them")
            ctl("reread")
            ctl("update")
    else:
        preflight(env)
        render_configs(env)
        result = subprocess.run(
            [str(VENV / "bin" / "supervisord"), "-c", str(SUPERVISOR_CONF)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise StackError(f"supervisord failed to start: {result.stderr}")
        for _ in range(50):
            if (VAR / "run" / "supervisor.sock").exists() and ctl("status").returncode in (0, 3):
                break
            time.sleep(0.1)
    print("starting engines (PostgreSQL, Redis, Kafka, Elasticsearch, MailDev) ...")
    start_infra(env)
    if infra_only:
        print(f"engines ready in {time.monotonic() - started:.1f}s")
        return
    print("starting services (models-api, experience-api, web x2, batch workers) ...")
    start_apps(env)
    start_edge(env)
    seconds = time.monotonic() - started
    if from_stopped:
        # The engine benchmark reports this: start-up time from a stopped stack.
        (VAR / "run" / "up-timing.json").write_text(
            json.dumps({"seconds": round(seconds, 1), "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
        )
    print(
        f"\nMarketplace is up in {seconds:.0f}s: {env['PUBLIC_URL']}\n"
        f"  HAProxy stats: http://{env['BIND_ADDRESS']}:{env['HAPROXY_STATS_PORT']}/stats\n"
        f"  sent mail (MailDev): {env['MAIL_WEB_URL']}/\n"
        f"  logs: {VAR / 'log'}   status: make status   stop: make down"
    )


def down(env: dict[str, str]) -> None:
    if not supervisor_running():
        print("stack is not running")
    else:
        pid = int((VAR / "run" / "supervisord.pid").read_text().strip())
        ctl("stop", "edge:*")
        ctl("stop", "apps:*")
        ctl("stop", "infra:*")
        ctl("shutdown")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        print("stack stopped")
    still = [
        f"{human} ({env[var]})"
        for _p, var, human in PORTS
        if port_open(int(env[var]), env["BIND_ADDRESS"])
    ]
    if still:
        raise StackError("ports still listening after stop: " + ", ".join(still))


def status(env: dict[str, str]) -> int:
    if not supervisor_running():
        print("stack is not running (make up)")
        return 3
    print(ctl("status").stdout.rstrip())
    backends = haproxy_backends(env)
    print("HAProxy web backends:", json.dumps(backends) if backends else "stats unavailable")
    print(f"sent mail (MailDev): {env['MAIL_WEB_URL']}/")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "infra", "down", "status", "env", "ctl", "run"])
    parser.add_argument("args", nargs="*")
    options = parser.parse_args()
    env = load_env()
    export(env)
    try:
        if options.command == "up":
            up(env)
        elif options.command == "infra":
            up(env, infra_only=True)
        elif options.command == "down":
            down(env)
        elif options.command == "status":
            return status(env)
        elif options.command == "ctl":
            result = ctl(*options.args)
            print(result.stdout + result.stderr, end="")
            return result.returncode
        elif options.command == "run":
            # Run a command (tests, benchmarks) with the stack's full environment.
            return subprocess.run(options.args).returncode
        elif options.command == "env":
            for key in sorted(env):
                if not key.endswith(("SECRET_KEY", "TOKEN", "PASSWORD")):
                    print(f"{key}={env[key]}")
    except StackError as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"\nERROR: {' '.join(map(str, exc.cmd))} failed:\n{exc.stderr}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
