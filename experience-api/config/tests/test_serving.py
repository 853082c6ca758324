import os
import signal
import subprocess
import sys
import textwrap

from config.serving import without_process_environment
from testsupport import process_running, wait_until


def _served_environ(process_environment, request_environ):
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        return [b""]

    without_process_environment(app, process_environment)(dict(request_environ), None)
    return seen


def test_the_process_environment_is_taken_out_of_each_request():
    process = {"DJANGO_SECRET_KEY": "s3cret", "SERVICE_TOKEN": "t0ken", "PATH": "/usr/bin"}
    request = {
        **process,  # granian's environ starts from os.environ
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/viewer",
        "QUERY_STRING": "listings=1",
        "HTTP_HOST": "edge",
        "wsgi.url_scheme": "http",
    }
    assert _served_environ(process, request) == {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/viewer",
        "QUERY_STRING": "listings=1",
        "HTTP_HOST": "edge",
        "wsgi.url_scheme": "http",
    }


def test_a_request_key_named_like_an_environment_variable_is_kept():
    # The request's own keys win in granian's environ: never take those out.
    process = {"SERVER_NAME": "from-env", "HTTP_PROXY": "http://proxy", "CONTENT_TYPE": "x"}
    request = {"SERVER_NAME": "edge", "HTTP_PROXY": "sent", "CONTENT_TYPE": "text/plain"}
    assert _served_environ(process, request) == request


def test_a_worker_exits_when_its_parent_is_killed(tmp_path):
    # parent -> child; the child calls exit_with_parent(), the parent is SIGKILLed.
    child_pid_file = tmp_path / "child.pid"
    parent_code = textwrap.dedent(
        f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", '''
        import time
        from config.serving import exit_with_parent
        exit_with_parent()
        open({str(child_pid_file)!r}, "w").write(str(__import__("os").getpid()))
        time.sleep(120)
        '''])
        time.sleep(120)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], cwd=os.getcwd())
    try:
        child_pid = int(
            wait_until(
                lambda: child_pid_file.exists() and child_pid_file.read_text(),
                60,
                message="the child to start",
            )
        )
        parent.send_signal(signal.SIGKILL)
        parent.wait(30)
        wait_until(lambda: not process_running(child_pid), 30, message="the orphaned child to exit")
    finally:
        parent.kill()
        parent.wait(30)
