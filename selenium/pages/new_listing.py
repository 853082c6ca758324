"""``/listings/new/``: fields ``title``, ``description``, ``price``, ``category`` and the
``photos`` file input (multiple)."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from pages.base import BasePage


class NewListingPage(BasePage):
    path = "/listings/new/"
    FORM = "main form[action='/listings/new/']"
    ready = (By.CSS_SELECTOR, f"{FORM} input[name='title']")
    TITLE = (By.CSS_SELECTOR, f"{FORM} [name='title']")
    DESCRIPTION = (By.CSS_SELECTOR, f"{FORM} [name='description']")
    PRICE = (By.CSS_SELECTOR, f"{FORM} [name='price']")
    CATEGORY = (By.CSS_SELECTOR, f"{FORM} select[name='category']")
    PHOTOS = (By.CSS_SELECTOR, f"{FORM} input[type='file'][name='photos']")
    SUBMIT = (By.CSS_SELECTOR, f"{FORM} button[type='submit']")

    def create(self, *, title: str, description: str, price: str, category: str, photos=()):
        """Publish a listing with ``photos`` (paths of image files, in order); success
        redirects to its page."""
        from pages.listing import ListingPage

        self.fill(self.TITLE, title)
        self.fill(self.DESCRIPTION, description)
        self.fill(self.PRICE, price)
        Select(self.find(self.CATEGORY)).select_by_value(category)
        if photos:
            # A multiple file input takes every path at once, newline-separated.
            paths = "\n".join(str(path) for path in photos)
            self.driver.find_element(*self.PHOTOS).send_keys(paths)
        self.submit_and_wait_for_new_page(self.find(self.SUBMIT))
        return ListingPage(self.driver, self.base_url, self.timeout).wait_ready()
