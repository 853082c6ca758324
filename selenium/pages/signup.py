"""``/signup/``: fields ``username``, ``email``, ``password1``, ``password2``."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from pages.base import BasePage


class SignupPage(BasePage):
    path = "/signup/"
    FORM = "main form[action='/signup/']"
    ready = (By.CSS_SELECTOR, f"{FORM} input[name='username']")
    USERNAME = (By.CSS_SELECTOR, f"{FORM} input[name='username']")
    EMAIL = (By.CSS_SELECTOR, f"{FORM} input[name='email']")
    PASSWORD1 = (By.CSS_SELECTOR, f"{FORM} input[name='password1']")
    PASSWORD2 = (By.CSS_SELECTOR, f"{FORM} input[name='password2']")
    SUBMIT = (By.CSS_SELECTOR, f"{FORM} button[type='submit']")

    def sign_up(self, username: str, email: str, password: str):
        """Create the account; success logs in and lands on the home page."""
        from pages.home import HomePage

        self.fill(self.USERNAME, username)
        self.fill(self.EMAIL, email)
        self.fill(self.PASSWORD1, password)
        self.fill(self.PASSWORD2, password)
        self.submit_and_wait_for_new_page(self.find(self.SUBMIT))
        return HomePage(self.driver, self.base_url, self.timeout).wait_ready()
