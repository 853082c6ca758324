"""``/password-reset/`` (field ``email``) and ``/password-reset/<token>/`` (fields
``new_password1``, ``new_password2``): reset by email."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from pages.base import BasePage


class PasswordResetRequestPage(BasePage):
    path = "/password-reset/"
    FORM = "main form[action='/password-reset/']"
    ready = (By.CSS_SELECTOR, f"{FORM} input[name='email']")
    EMAIL = (By.CSS_SELECTOR, f"{FORM} input[name='email']")
    SUBMIT = (By.CSS_SELECTOR, f"{FORM} button[type='submit']")
    SENT = (By.CSS_SELECTOR, "main [data-testid='reset-sent']")

    def ask_for_link(self, email: str) -> str:
        """Submit the address; the confirmation shown (the same for any address)."""
        self.fill(self.EMAIL, email)
        self.submit_and_wait_for_new_page(self.find(self.SUBMIT))
        return self.find(self.SENT).text.strip()


class PasswordResetPage(BasePage):
    """The page a reset link opens; ``open(path)`` with the link's path."""

    FORM = "main form"
    ready = (By.CSS_SELECTOR, "main h1")
    NEW_PASSWORD1 = (By.CSS_SELECTOR, f"{FORM} input[name='new_password1']")
    NEW_PASSWORD2 = (By.CSS_SELECTOR, f"{FORM} input[name='new_password2']")
    SUBMIT = (By.CSS_SELECTOR, f"{FORM} button[type='submit']")
    DONE = (By.CSS_SELECTOR, "main [data-testid='reset-done']")
    INVALID = (By.CSS_SELECTOR, "main [data-testid='reset-invalid']")

    def set_password(self, password: str) -> str:
        """Choose the new password; the success message."""
        self.fill(self.NEW_PASSWORD1, password)
        self.fill(self.NEW_PASSWORD2, password)
        self.submit_and_wait_for_new_page(self.find(self.SUBMIT))
        return self.find(self.DONE).text.strip()

    @property
    def invalid_message(self) -> str | None:
        found = self.driver.find_elements(*self.INVALID)
        return found[0].text.strip() if found else None
