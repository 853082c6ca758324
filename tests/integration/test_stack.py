"""The platform's promises, checked against the running stack (`make up`)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

import testsupport
from integration.helpers import haproxy_stats, program_pid, program_state
from testsupport import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stats_url(stack_env):
    return f"http://{stack_env['BIND_ADDRESS']}:{stack_env['HAPROXY_STATS_PORT']}/stats;csv"


class EdgeTest:
    def test_healthz_through_haproxy(self, public_url):
        response = requests.get(f"{public_url}/healthz", timeout=5)
        assert response.status_code == 200
        assert response.text.strip() == "ok"

    def test_stats_show_both_web_servers_up(self, stats_url):
        rows = haproxy_stats(stats_url)
        assert rows[("web", "web1")]["status"] == "UP"
        assert rows[("web", "web2")]["status"] == "UP"

    def test_every_response_carries_a_request_id(self, public_url):
        first = requests.get(f"{public_url}/healthz", timeout=5).headers["X-Request-ID"]
        second = requests.get(f"{public_url}/healthz", timeout=5).headers["X-Request-ID"]
        assert first and second and first != second

    def test_request_id_reaches_the_experience_api_log(self, public_url, stack_env):
        response = requests.get(f"{public_url}/api/v1/home", timeout=10)
        request_id = response.headers["X-Request-ID"]
        log = os.path.join(stack_env["VAR_DIR"], "log", "exp.log")
        wait_until(
            lambda: request_id in Path(log).read_text(errors="replace"),
            30,
            message=f"request id {request_id} in {log}",
        )

    def test_security_headers_are_set(self, public_url):
        headers = requests.get(f"{public_url}/healthz", timeout=5).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" in headers

    def test_text_is_compressed(self, public_url):
        response = requests.get(
            f"{public_url}/api/v1/home", timeout=10, headers={"Accept-Encoding": "gzip"}
        )
        assert response.headers.get("Content-Encoding") == "gzip"

    def test_prometheus_metrics_are_exported(self, stack_env):
        url = f"http://{stack_env['BIND_ADDRESS']}:{stack_env['HAPROXY_STATS_PORT']}/metrics"
        assert "haproxy_backend_status" in requests.get(url, timeout=5).text


class IsolationTest:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/listings?ordering=newest",
            "/api/v1/users/1",
            "/api/v1/recommendations",
            "/api/v1/authenticators/resolve",
            "/api/v1/categories/../listings",
            "/readyz",
            "/api/v1/schema/../../api/v1/listings/views",
            "/admin/",
        ],
    )
    def test_no_path_through_haproxy_reaches_models_api(self, public_url, path):
        response = requests.get(public_url + path, timeout=10, headers={"X-Service-Token": "guess"})
        # models-api answers paginated `{"count", "results"}` pages and its own schema;
        # nothing through the public door may look like that.
        assert "models-api" not in response.text.lower()
        if response.headers.get("Content-Type", "").startswith("application/json"):
            body = response.json()
            assert not (isinstance(body, dict) and {"count", "page_size"} <= set(body))

    def test_models_api_refuses_calls_without_the_service_token(self, stack_env):
        response = requests.get(f"{stack_env['MODELS_API_URL']}/api/v1/listings", timeout=5)
        assert response.status_code == 401

    def test_internal_ports_listen_on_loopback_only(self, stack_env):
        import subprocess

        listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
        for _program, var, _human in __import__("stack").PORTS:
            port = stack_env[var]
            for line in listening.splitlines():
                local = line.split()[3]
                if local.endswith(f":{port}"):
                    assert local.startswith(("127.", "[::ffff:127.")), line


class RateLimitTest:
    @pytest.mark.parametrize(
        ("path", "limited_type"),
        [("/api/v1/auth/login", "application/json"), ("/login/", "text/html")],
    )
    def test_credential_burst_is_limited_with_429(self, public_url, stack_env, path, limited_type):
        limit = int(stack_env["RATE_LIMIT_AUTH"])
        # A loopback address of our own: its bucket is this burst's alone, and nobody
        # else inherits it full.
        http = testsupport.session(public_url)
        assert http.source_address, "the rate-limit test needs the stack on loopback"
        url = f"{public_url}{path}"
        try:
            # Malformed on purpose: cheap for the backends, still counted by HAProxy.
            allowed, refused = testsupport.attempts_until_refused(
                lambda: http.post(url, data="x", timeout=10), limit
            )
        finally:
            http.close()
            testsupport.forget_auth_attempts(http.source_address)
        # `limit` attempts per 10 s reach the service; the next ones are refused at the door.
        assert 429 not in [response.status_code for response in allowed]
        assert refused.headers["Content-Type"].startswith(limited_type)
        assert refused.headers["Retry-After"] == "10"

    def test_another_address_is_not_limited_by_a_full_bucket(self, public_url, stack_env):
        limit = int(stack_env["RATE_LIMIT_AUTH"])
        spender, bystander = testsupport.session(public_url), testsupport.session(public_url)
        url = f"{public_url}/api/v1/auth/login"
        try:
            testsupport.attempts_until_refused(
                lambda: spender.post(url, data="x", timeout=10), limit
            )
            assert bystander.post(url, data="x", timeout=10).status_code != 429
        finally:
            spender.close()
            bystander.close()
            testsupport.forget_auth_attempts(spender.source_address)
            testsupport.forget_auth_attempts(bystander.source_address)


class FailoverTest:
    def test_killed_web_instance_is_marked_down_and_requests_keep_succeeding(
        self, public_url, stats_url
    ):
        wait_until(
            lambda: all(
                haproxy_stats(stats_url)[("web", w)]["status"] == "UP" for w in ("web1", "web2")
            ),
            30,
            message="both web instances UP before the drill",
        )
        before = haproxy_stats(stats_url)[("web", "web1")]
        old_pid = program_pid("apps:web1")
        failures: list[str] = []
        # A response the killed instance had begun to send cannot be finished by anyone
        # (HAProxy retries only before a response starts): at most one per client, cut.
        cut_in_flight: list[str] = []
        done = threading.Event()
        count = 0

        def load():
            nonlocal count
            with requests.Session() as session:
                while not done.is_set():
                    try:
                        response = session.get(f"{public_url}/healthz", timeout=5)
                        if response.status_code != 200:
                            failures.append(str(response.status_code))
                    except requests.exceptions.ChunkedEncodingError as exc:
                        cut_in_flight.append(repr(exc))
                    except requests.RequestException as exc:
                        failures.append(repr(exc))
                    count += 1

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            # The whole instance: gunicorn's master and its workers (supervisord starts
            # each program in its own process group).
            os.killpg(old_pid, signal.SIGKILL)
            wait_until(
                lambda: (
                    int(haproxy_stats(stats_url)[("web", "web1")]["chkdown"])
                    > int(before["chkdown"])
                ),
                15,
                message="HAProxy to mark web1 DOWN",
            )
            wait_until(
                lambda: (
                    program_state("apps:web1") == "RUNNING" and program_pid("apps:web1") != old_pid
                ),
                30,
                message="supervisor to restart web1",
            )
            wait_until(
                lambda: haproxy_stats(stats_url)[("web", "web1")]["status"] == "UP",
                30,
                message="web1 back UP",
            )
        finally:
            done.set()
            for thread in threads:
                thread.join(10)
        assert count > 50
        assert failures == []
        assert len(cut_in_flight) <= len(threads), cut_in_flight

    def test_experience_api_workers_exit_with_their_killed_master_and_it_comes_back(
        self, public_url, stack_env
    ):
        # granian's main process alone, SIGKILLed (an OOM kill, a crash): its workers hold
        # the listening socket, and orphaned they would serve on beside the instance
        # supervisord starts next (config/wsgi.py has the kernel signal them instead).
        old_pid = program_pid("apps:exp")
        workers = [
            int(p) for p in Path(f"/proc/{old_pid}/task/{old_pid}/children").read_text().split()
        ]
        assert workers, "granian's main process has no workers"
        os.kill(old_pid, signal.SIGKILL)
        wait_until(
            lambda: not any(testsupport.process_running(pid) for pid in workers),
            30,
            message="the killed master's workers to exit",
        )
        wait_until(
            lambda: program_state("apps:exp") == "RUNNING" and program_pid("apps:exp") != old_pid,
            30,
            message="supervisor to restart the experience API",
        )
        exp_url = f"http://{stack_env['BIND_ADDRESS']}:{stack_env['EXP_PORT']}"
        wait_until(
            lambda: requests.get(f"{exp_url}/healthz", timeout=5).status_code == 200,
            60,
            message="the experience API to serve again",
            ignoring=(requests.ConnectionError,),
        )
        wait_until(
            lambda: requests.get(f"{public_url}/api/v1/home", timeout=10).status_code == 200,
            60,
            message="the public API to answer through HAProxy again",
        )
