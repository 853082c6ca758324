"""The header shown on every page: search box, login/sign-up links or username + logout."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from pages.base import BasePage


class Header(BasePage):
    ready = (By.CSS_SELECTOR, "header")
    # CONTRACTS.md: a search box named `q` on every page; logout is a POST form.
    SEARCH_BOX = (By.CSS_SELECTOR, "header form[action='/search/'] input[name='q']")
    SEARCH_BUTTON = (By.CSS_SELECTOR, "header form[action='/search/'] button[type='submit']")
    USERNAME = (By.CSS_SELECTOR, "header [data-testid='current-username']")
    LOGOUT_BUTTON = (By.CSS_SELECTOR, "header form[action='/logout/'] button[type='submit']")
    LOGIN_LINK = (By.CSS_SELECTOR, "header a[href='/login/']")
    SIGNUP_LINK = (By.CSS_SELECTOR, "header a[href='/signup/']")
    SELL_LINK = (By.CSS_SELECTOR, "header a[href='/listings/new/']")

    def search(self, query: str):
        from pages.search_results import SearchResultsPage

        self.fill(self.SEARCH_BOX, query)
        self.submit_and_wait_for_new_page(self.find(self.SEARCH_BUTTON))
        return SearchResultsPage(self.driver, self.base_url, self.timeout).wait_ready()

    def search_until_found(self, query: str, title: str, timeout: float = 30):
        """Search from the header until a result titled ``title`` shows up.

        New listings reach the search engine asynchronously (outbox -> Kafka -> indexer,
        then the engine's ~1 s refresh), so the search is repeated, as a person would,
        within a bounded wait.
        """
        from selenium.webdriver.support.ui import WebDriverWait

        def found(_driver):
            page = self.search(query)
            return page if page.result_link(title) is not None else False

        return WebDriverWait(self.driver, timeout, poll_frequency=1).until(
            found, f"no search result titled {title!r} for {query!r} within {timeout}s"
        )

    @property
    def logged_in_username(self) -> str | None:
        found = self.driver.find_elements(*self.USERNAME)
        return found[0].text.strip() if found else None

    def wait_logged_in_as(self, username: str) -> None:
        self.wait().until(EC.text_to_be_present_in_element(self.USERNAME, username))

    def wait_logged_out(self) -> None:
        self.wait().until(EC.visibility_of_element_located(self.LOGIN_LINK))
        assert not self.driver.find_elements(*self.USERNAME)

    def log_out(self):
        from pages.home import HomePage

        self.submit_and_wait_for_new_page(self.find(self.LOGOUT_BUTTON))
        return HomePage(self.driver, self.base_url, self.timeout).wait_ready()

    def go_to_login(self):
        from pages.login import LoginPage

        self.submit_and_wait_for_new_page(self.find(self.LOGIN_LINK))
        return LoginPage(self.driver, self.base_url, self.timeout).wait_ready()

    def go_to_signup(self):
        from pages.signup import SignupPage

        self.submit_and_wait_for_new_page(self.find(self.SIGNUP_LINK))
        return SignupPage(self.driver, self.base_url, self.timeout).wait_ready()

    def click_sell(self) -> None:
        """Follow "Sell an item"; where it lands depends on being logged in."""
        self.submit_and_wait_for_new_page(self.find(self.SELL_LINK))
