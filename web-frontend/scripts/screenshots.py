"""Screenshots of the running site (headless Debian Chromium) for the README.

Captures home, a listing detail, a search results page, the create-listing page and,
logged in as the demo user, the seller's dashboard, one of their listings with photos,
an order and a conversation, from the stack behind HAProxy into docs/screenshots/*.png.
The demo user's listing gets three drawn photos through the public API (multipart) and
the shot waits for their thumbnails; a fresh buyer (made through the public API) writes
to the demo user about it and requests to buy it. So run it on a demo stack, not on one
with real users:

    make up            # the stack with its demo data
    .venv/bin/python web-frontend/scripts/screenshots.py [--base-url URL] [--out DIR]
        [--query guitar] [--width 390]

Uses the Debian ``chromium`` and ``chromium-driver`` packages with explicit paths, so
Selenium never tries to download a browser or a driver.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import requests
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from testsupport.images import product_photo

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password-123"  # seeded by models-api's seed_demo_data (not a secret)


def start_browser(profile_dir: str, width: int, height: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile_dir}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_for(driver, css: str, timeout: float = 15):
    return WebDriverWait(driver, timeout).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def full_page_shot(driver, path: Path, width: int, max_height: int) -> None:
    """Resize the window to the page's height (capped) so the PNG shows the whole page."""
    # Measure at a normal height first: the layout stretches to at least the window.
    driver.set_window_size(width, 900)
    height = driver.execute_script(
        "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
    )
    driver.set_window_size(width, min(int(height) + 40, max_height))
    time.sleep(0.3)  # let layout settle after the resize
    driver.save_screenshot(str(path))
    print(f"  wrote {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")


def log_in(driver, base_url: str, username: str, password: str) -> bool:
    driver.get(f"{base_url}/login/")
    wait_for(driver, "#id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    try:
        wait_for(driver, '[data-testid="current-username"]', timeout=10)
    except TimeoutException:
        return False
    return True


def sign_up(driver, base_url: str) -> None:
    """Fallback when the demo account is missing: a fresh account."""
    username = f"shots_{uuid.uuid4().hex[:8]}"
    driver.get(f"{base_url}/signup/")
    wait_for(driver, "#id_username").send_keys(username)
    driver.find_element(By.ID, "id_email").send_keys(f"{username}@example.com")
    driver.find_element(By.ID, "id_password1").send_keys("screenshots-pass-123")
    driver.find_element(By.ID, "id_password2").send_keys("screenshots-pass-123")
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(driver, '[data-testid="current-username"]')


def api_call(base_url: str, method: str, path: str, body: dict | None, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(
        method, f"{base_url}/api/v1{path}", json=body, headers=headers, timeout=30
    )
    response.raise_for_status()
    return response.json()


def buyer_contacts_seller(base_url: str, listing_id: int) -> tuple[int, int]:
    """A fresh buyer writes to the seller and requests to buy; (thread id, order id)."""
    username = f"buyer_{uuid.uuid4().hex[:8]}"
    token = api_call(
        base_url,
        "POST",
        "/auth/signup",
        {"username": username, "email": f"{username}@example.com", "password": "shots-pass-123"},
    )["authenticator"]
    started = api_call(
        base_url,
        "POST",
        f"/listings/{listing_id}/messages",
        {"body": "Hi! Is this still available? I could pick it up on Saturday morning."},
        token,
    )
    order = api_call(
        base_url,
        "POST",
        "/orders",
        {"listing": listing_id, "message": "Happy to pay the asking price in cash on pick-up."},
        token,
    )
    return started["thread"]["id"], order["id"]


def add_photos(base_url: str, token: str, listing_id: int, count: int = 3) -> dict:
    """Give the listing ``count`` drawn photos unless it has some; wait for thumbnails."""
    headers = {"Authorization": f"Bearer {token}"}
    listing = api_call(base_url, "GET", f"/listings/{listing_id}", None)
    if not listing.get("photos"):
        files = [
            ("photos", (f"photo-{i}.jpg", product_photo(i), "image/jpeg")) for i in range(count)
        ]
        response = requests.post(
            f"{base_url}/api/v1/listings/{listing_id}/photos",
            files=files,
            headers=headers,
            timeout=60,
        )
        response.raise_for_status()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listing = api_call(base_url, "GET", f"/listings/{listing_id}", None)
        if all(photo["detail_url"] for photo in listing["photos"]):
            break
        time.sleep(0.5)
    return listing


def search_term(driver) -> str:
    """A word from a real listing title, so the results page shows real highlights."""
    title = driver.find_element(By.TAG_NAME, "h1").text
    words = re.findall(r"[A-Za-z]{4,}", title)
    return max(words, key=len) if words else "chair"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--max-height", type=int, default=2400)
    parser.add_argument("--username", default=DEMO_USERNAME)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument(
        "--query", default="", help="search term (default: a word of the detail page's title)"
    )
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)

    profile_dir = tempfile.mkdtemp(prefix="mp-screenshots-")
    driver = start_browser(profile_dir, args.width, 900)
    try:
        print(f"capturing {base_url} into {args.out}")
        driver.get(f"{base_url}/")
        wait_for(driver, '.listing-grid a[href^="/listings/"]')
        # The seeded popular listings make the best examples (the newest ones may be
        # test or benchmark leftovers); prefer one that has "also viewed" items.
        popular_grid = driver.find_elements(By.CSS_SELECTOR, ".listing-grid")[-1]
        cards = popular_grid.find_elements(By.CSS_SELECTOR, 'a[href^="/listings/"]')
        candidates = [card.get_attribute("href") for card in cards[:8]]
        full_page_shot(driver, args.out / "home.png", args.width, args.max_height)

        detail_url = candidates[0]
        for url in candidates:
            driver.get(url)
            wait_for(driver, "h1")
            if driver.find_elements(By.ID, "also-viewed-heading"):
                detail_url = url
                break
        driver.get(detail_url)
        wait_for(driver, "h1")
        term = args.query or search_term(driver)
        full_page_shot(driver, args.out / "listing-detail.png", args.width, args.max_height)

        driver.get(f"{base_url}/search/?{urlencode({'q': term})}")
        wait_for(driver, "main h1")
        try:
            driver.find_element(By.CSS_SELECTOR, ".listing-grid")
        except NoSuchElementException:
            driver.get(f"{base_url}/search/?sort=hot")
            wait_for(driver, ".listing-grid")
        full_page_shot(driver, args.out / "search.png", args.width, args.max_height)

        if not log_in(driver, base_url, args.username, args.password):
            print(f"  could not log in as {args.username!r}; signing up a fresh user")
            sign_up(driver, base_url)
        driver.get(f"{base_url}/listings/new/")
        wait_for(driver, "#id_title")
        full_page_shot(driver, args.out / "create-listing.png", args.width, args.max_height)

        driver.get(f"{base_url}/dashboard/")
        wait_for(driver, "main h1")
        full_page_shot(driver, args.out / "dashboard.png", args.width, args.max_height)
        own = driver.find_elements(By.CSS_SELECTOR, 'main a[href^="/listings/"][href$="/edit/"]')
        if own:
            listing_id = int(own[0].get_attribute("href").rstrip("/").split("/")[-2])
            token = api_call(
                base_url,
                "POST",
                "/auth/login",
                {"username": args.username, "password": args.password},
            )["authenticator"]
            add_photos(base_url, token, listing_id)
            driver.get(f"{base_url}/listings/{listing_id}/")
            wait_for(driver, ".listing-gallery img")
            WebDriverWait(driver, 30).until(
                lambda d: d.execute_script(
                    "return [...document.querySelectorAll('.listing-gallery img')]"
                    ".every(img => img.complete && img.naturalWidth > 0)"
                )
            )
            full_page_shot(driver, args.out / "listing-photos.png", args.width, args.max_height)
            driver.get(f"{base_url}/dashboard/")  # the cover on the dashboard now
            wait_for(driver, "main h1")
            full_page_shot(driver, args.out / "dashboard.png", args.width, args.max_height)
            thread_id, order_id = buyer_contacts_seller(base_url, listing_id)
            driver.get(f"{base_url}/orders/{order_id}/")
            wait_for(driver, "#order-status")
            full_page_shot(driver, args.out / "order.png", args.width, args.max_height)
            driver.get(f"{base_url}/messages/{thread_id}/")
            wait_for(driver, "#reply-form")
            full_page_shot(driver, args.out / "conversation.png", args.width, args.max_height)
        else:
            print("  the logged-in user has no listing: no order or conversation shot")
    finally:
        driver.quit()
        shutil.rmtree(profile_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
