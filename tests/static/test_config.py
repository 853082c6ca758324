"""Static checks of the platform's configuration (no running stack needed)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import stack
import yaml

ROOT = Path(__file__).resolve().parents[2]


class HAProxyConfigTest:
    def test_config_is_valid(self):
        result = subprocess.run(
            ["haproxy", "-c", "-f", str(ROOT / "haproxy" / "haproxy.cfg")],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_models_api_is_never_a_backend(self):
        config = (ROOT / "haproxy" / "haproxy.cfg").read_text()
        servers = [line for line in config.splitlines() if line.strip().startswith("server ")]
        assert servers and all("8300" not in line and "models" not in line for line in servers)

    def test_api_paths_route_to_the_experience_api(self):
        config = (ROOT / "haproxy" / "haproxy.cfg").read_text()
        assert "use_backend experience_api if { path,url_dec -m beg /api/ }" in config
        assert "default_backend web" in config

    def test_media_cache_sizes_and_no_request_buffering(self):
        config = (ROOT / "haproxy" / "haproxy.cfg").read_text()
        section = config.split("\ncache media\n", 1)[1].split("\n\n", 1)[0]
        assert '"${MEDIA_CACHE_MB-256}"' in section
        assert "max-object-size 2097152" in section and "max-age 31536000" in section
        assert "cache-store media" in config and "cache-use media" in config
        # Uploads of up to 81 MB stream through: nothing buffers or limits request bodies.
        rules = [line.split("#")[0] for line in config.splitlines()]
        assert not [r for r in rules if "http-buffer-request" in r or "req.body_size" in r]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


class ComposeTest:
    def test_topology_matches_the_native_stack(self, compose):
        expected = {
            "postgres",
            "redis",
            "kafka",
            "kafka-init",
            "elasticsearch",
            "models",
            "exp",
            "web1",
            "web2",
            "batch",
            "haproxy",
            "selenium-chrome",
            "selenium-test",
            "jmeter",
        }
        assert expected <= set(compose["services"])

    def test_only_haproxy_and_the_mail_page_publish_ports_on_loopback(self, compose):
        publishing = {name for name, svc in compose["services"].items() if svc.get("ports")}
        assert publishing == {"haproxy", "mail"}
        for name in publishing:
            assert all(p.startswith("127.0.0.1:") for p in compose["services"][name]["ports"])
        assert compose["services"]["mail"]["ports"] == ["127.0.0.1:1080:1080"]  # not SMTP

    def test_dependencies_wait_for_health(self, compose):
        for name, service in compose["services"].items():
            for dependency, rule in (service.get("depends_on") or {}).items():
                if dependency == "kafka-init":  # a one-shot job: its success is the signal
                    assert rule == {"condition": "service_completed_successfully"}, name
                    continue
                assert rule == {"condition": "service_healthy"}, (name, dependency)
                assert "healthcheck" in compose["services"][dependency], dependency

    def test_engines_are_the_native_major_versions(self, compose):
        kafka_pom = (ROOT / "ops" / "kafka" / "pom.xml").read_text()
        es_pom = (ROOT / "ops" / "elasticsearch" / "pom.xml").read_text()
        kafka_image = compose["services"]["kafka"]["image"]
        es_image = compose["services"]["elasticsearch"]["image"]
        assert kafka_image.startswith("apache/kafka:4.")
        assert f"<kafka.version>{kafka_image.split(':')[1]}</kafka.version>" in kafka_pom
        assert es_image.startswith("elasticsearch:8.")
        assert f"<es.version>{es_image.split(':')[1]}</es.version>" in es_pom

    def test_topics_are_created_not_auto_created(self, compose):
        kafka = compose["services"]["kafka"]["environment"]
        assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
        init = compose["services"]["kafka-init"]
        assert "./ops/kafka/topics.txt:/topics.txt:ro" in init["volumes"]

    def test_every_build_has_its_dockerfile(self, compose):
        for name, service in compose["services"].items():
            if "build" in service:
                dockerfile = (
                    ROOT / service["build"].get("context", ".") / service["build"]["dockerfile"]
                )
                assert dockerfile.exists(), f"{name}: {dockerfile} missing"

    def test_models_api_is_not_on_the_public_network(self, compose):
        assert compose["networks"]["data"]["internal"] is True
        assert "edge" not in compose["services"]["models"]["networks"]
        assert "data" not in compose["services"]["haproxy"]["networks"]

    def test_travis_builds_with_compose(self):
        travis = yaml.safe_load((ROOT / ".travis.yml").read_text())
        assert any("docker compose" in step for step in travis["script"])


class SupervisorConfigTest:
    def test_template_renders_every_program_on_loopback(self, tmp_path):
        env = stack.load_env()
        target = tmp_path / "supervisord.conf"
        stack.render(ROOT / "ops" / "supervisord.conf", target, env)
        rendered = target.read_text()
        for program in stack.INFRA + stack.APPS + ["haproxy"]:
            assert f"[program:{program}]" in rendered
        assert "0.0.0.0" not in rendered

    def test_defaults_cover_every_documented_port(self):
        defaults = stack._read_env_file(ROOT / "ops" / "defaults.env")
        assert {defaults[var] for _, var, _ in stack.PORTS} == {
            "8000",
            "8404",
            "8101",
            "8102",
            "8200",
            "8300",
            "5432",
            "6379",
            "9092",
            "9093",
            "9200",
            "9300",
            "1025",
            "1080",
        }


class PreflightTest:
    def test_port_in_use_is_named(self):
        env = stack.load_env()
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            env = {**env, "HAPROXY_STATS_PORT": str(port)}
            for _program, var, _human in stack.PORTS:
                if var != "HAPROXY_STATS_PORT":
                    env[var] = str(_free_port())
            with pytest.raises(stack.StackError) as error:
                stack.preflight(env)
        assert f"port {port} (HAProxy stats" in str(error.value)

    def test_missing_engine_is_named(self):
        env = {**stack.load_env(), "KAFKA_LIB": "/nonexistent/kafka/lib"}
        with pytest.raises(stack.StackError) as error:
            stack.preflight(env)
        assert "Apache Kafka 4 (Maven: ops/kafka/build.sh)" in str(error.value)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class HAProxyFingerprintTest:
    """`make up` on a running stack restarts HAProxy when this hash of what it reads
    (config, Lua, error pages) differs from the one recorded at its start."""

    def copy(self, tmp_path, monkeypatch):
        shutil.copytree(ROOT / "haproxy", tmp_path / "haproxy")
        monkeypatch.setattr(stack, "ROOT", tmp_path)
        return tmp_path / "haproxy"

    def test_same_files_same_fingerprint(self, tmp_path, monkeypatch):
        self.copy(tmp_path, monkeypatch)
        assert stack.haproxy_fingerprint() == stack.haproxy_fingerprint()

    def test_config_lua_and_error_pages_each_change_it(self, tmp_path, monkeypatch):
        folder = self.copy(tmp_path, monkeypatch)
        seen = {stack.haproxy_fingerprint()}
        for path in [
            folder / "haproxy.cfg",
            next(folder.glob("*.lua")),
            next(folder.glob("errors/*")),
        ]:
            path.write_bytes(path.read_bytes() + b"\n# changed\n")
            seen.add(stack.haproxy_fingerprint())
        assert len(seen) == 4
