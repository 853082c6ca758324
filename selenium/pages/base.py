"""What every page object shares: the driver, the base URL and explicit waits."""

from __future__ import annotations

from urllib.parse import urlsplit

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# Pages render in well under a second; 15 s only absorbs a slow first request (cold cache).
DEFAULT_TIMEOUT = 15


def _document_replaced(old_document: WebElement):
    """Like EC.staleness_of, also when Chromium reports the swap mid-navigation.

    While one document replaces another, chromedriver can answer a call on the old
    ``<html>`` with a plain WebDriverException ("Node with given id does not belong to
    the document") instead of StaleElementReferenceException: both mean it is gone.
    """

    def replaced(_driver) -> bool:
        try:
            old_document.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc) or "No node with given id" in str(exc):
                return True
            raise
        return False

    return replaced


class BasePage:
    """A page of the site; subclasses set ``path`` and ``ready`` (a locator)."""

    path = "/"
    ready: tuple[str, str] = (By.TAG_NAME, "main")

    def __init__(self, driver: WebDriver, base_url: str, timeout: float = DEFAULT_TIMEOUT):
        self.driver = driver
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    # ------------------------------------------------------------ navigation
    def open(self, path: str | None = None):
        self.driver.get(self.base_url + (path if path is not None else self.path))
        return self.wait_ready()

    def wait_ready(self):
        self.wait().until(EC.visibility_of_element_located(self.ready))
        return self

    def wait(self, timeout: float | None = None) -> WebDriverWait:
        return WebDriverWait(self.driver, timeout or self.timeout)

    def submit_and_wait_for_new_page(self, button: WebElement) -> None:
        """Click a submit button and wait until the browser has left the current document."""
        old_document = self.driver.find_element(By.TAG_NAME, "html")
        # A button at the window's edge can be covered by a fixed element (or lie half
        # outside it): bring it to the middle first, as a person scrolls before clicking.
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", button
        )
        button.click()
        self.wait().until(_document_replaced(old_document), "the page did not change")

    # ------------------------------------------------------------ reading
    @property
    def current_path(self) -> str:
        return urlsplit(self.driver.current_url).path

    @property
    def current_query(self) -> str:
        return urlsplit(self.driver.current_url).query

    def find(self, locator: tuple[str, str]) -> WebElement:
        return self.wait().until(EC.visibility_of_element_located(locator))

    def fill(self, locator: tuple[str, str], value: str) -> None:
        field = self.find(locator)
        field.clear()
        field.send_keys(value)

    @property
    def title_heading(self) -> str:
        return self.find((By.CSS_SELECTOR, "main h1")).text.strip()

    @property
    def header(self):
        from pages.header import Header

        return Header(self.driver, self.base_url, self.timeout)
