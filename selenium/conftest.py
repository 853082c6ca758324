"""Browser fixtures for the journeys: a headless Chromium per test, artifacts on failure.

Native stack (``make test``): Debian's /usr/bin/chromium driven by /usr/bin/chromedriver,
both given explicitly so Selenium Manager never tries the network, with a fresh profile
in a temporary directory. Compose: ``SELENIUM_REMOTE_URL`` (e.g.
``http://selenium-chrome:4444/wd/hub``) switches to ``webdriver.Remote``.

The site is reached at ``BASE_URL`` (compose) or else the stack's ``PUBLIC_URL``, i.e.
HAProxy as ``make up`` started it (``testsupport.public_url``). Without it the run fails.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import testsupport
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.file_detector import LocalFileDetector

HERE = Path(__file__).resolve().parent
ARTIFACTS = Path(os.environ.get("SELENIUM_ARTIFACTS", HERE / "artifacts"))
CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# Wide enough for the header's expanded navbar (Bootstrap's lg breakpoint is 992 px).
WINDOW_SIZE = "1366,900"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    f"--window-size={WINDOW_SIZE}",
]


@dataclass(frozen=True)
class Account:
    username: str
    password: str


def pytest_sessionstart(session):
    # Artifacts describe the latest run only: stale screenshots would mislead.
    for stale in ARTIFACTS.glob("*"):
        if stale.suffix in (".png", ".html", ".txt"):
            stale.unlink()


def pytest_collection_modifyitems(items):
    # Every journey drives the live site: mark them so `-m integration` selects them too.
    for item in items:
        item.add_marker(pytest.mark.integration)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so the driver fixture knows it failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# The browser cannot choose its source address: on the native stack it talks to HAProxy
# from 127.0.0.1, the address of its credential rate-limit bucket.
BROWSER_ADDRESS = "127.0.0.1"


@pytest.fixture(scope="session")
def base_url() -> str:
    return testsupport.public_url()


@pytest.fixture(scope="session", autouse=True)
def site_is_up(base_url):
    """Fail fast with a clear message instead of a browser timeout per test; start the
    browser's auth rate-limit bucket empty.

    Every other suite talks to HAProxy from loopback addresses of its own
    (``testsupport.session``), so 127.0.0.1's bucket holds only what a browser on this
    machine spent; it is emptied through HAProxy's admin socket where the native stack
    has one (compose has none, and there the browser is on its own container).
    """
    testsupport.require_site(base_url)
    testsupport.forget_auth_attempts(BROWSER_ADDRESS)


@pytest.fixture(scope="session")
def account(base_url) -> Account:
    """A fresh user created through the public API (faster than the sign-up form)."""
    password = "Sel-" + secrets.token_urlsafe(12)
    created = testsupport.signup(f"{base_url}/api/v1", prefix="selacct", password=password)
    return Account(username=created.username, password=password)


def _local_driver(profile_dir: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def _remote_driver(url: str) -> webdriver.Remote:
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    browser = webdriver.Remote(command_executor=url, options=options)
    # File inputs get paths of this machine: the detector sends the file to the browser's.
    browser.file_detector = LocalFileDetector()
    return browser


@pytest.fixture
def driver(request):
    remote = os.environ.get("SELENIUM_REMOTE_URL")
    profile_dir = None if remote else tempfile.mkdtemp(prefix="selenium-chromium-")
    browser = _remote_driver(remote) if remote else _local_driver(profile_dir)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        try:
            if _failed(request.node):
                _save_artifacts(browser, request.node)
        finally:
            browser.quit()
            if profile_dir:
                shutil.rmtree(profile_dir, ignore_errors=True)


def _failed(item) -> bool:
    return any(
        getattr(item, f"rep_{when}", None) is not None and getattr(item, f"rep_{when}").failed
        for when in ("setup", "call")
    )


def _save_artifacts(browser, item) -> None:
    """Screenshot and page source as selenium/artifacts/<test>.png/.html."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
    try:
        browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        (ARTIFACTS / f"{name}.html").write_text(
            f"<!-- {browser.current_url} -->\n{browser.page_source}", encoding="utf-8"
        )
    except Exception as exc:  # noqa: BLE001 (a dead browser must not hide the real failure)
        (ARTIFACTS / f"{name}.error.txt").write_text(f"could not save artifacts: {exc!r}\n")
    else:
        print(f"saved failure artifacts: {ARTIFACTS / name}.png and .html")
