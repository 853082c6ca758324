"""``/login/``: fields ``username``, ``password`` and the hidden ``next``."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from pages.base import BasePage


class LoginPage(BasePage):
    path = "/login/"
    FORM = "main form[action='/login/']"
    ready = (By.CSS_SELECTOR, f"{FORM} input[name='username']")
    USERNAME = (By.CSS_SELECTOR, f"{FORM} input[name='username']")
    PASSWORD = (By.CSS_SELECTOR, f"{FORM} input[name='password']")
    NEXT = (By.CSS_SELECTOR, f"{FORM} input[name='next']")
    SUBMIT = (By.CSS_SELECTOR, f"{FORM} button[type='submit']")
    ERROR = (By.CSS_SELECTOR, f"{FORM} [role='alert']")

    def log_in(self, username: str, password: str) -> None:
        """Submit the form; the caller decides which page it expects next."""
        self.fill(self.USERNAME, username)
        self.fill(self.PASSWORD, password)
        self.submit_and_wait_for_new_page(self.find(self.SUBMIT))

    @property
    def next_value(self) -> str:
        return self.driver.find_element(*self.NEXT).get_attribute("value") or ""

    @property
    def error_text(self) -> str:
        return self.find(self.ERROR).text.strip()
