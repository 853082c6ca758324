"""``/listings/<id>/``: one listing's detail page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from selenium.webdriver.common.by import By

from pages.base import BasePage

DETAIL_PATH = re.compile(r"^/listings/(\d+)/$")


class ListingPage(BasePage):
    ready = (By.CSS_SELECTOR, "main article h1")
    TITLE = (By.CSS_SELECTOR, "main article h1")
    PRICE = (By.CSS_SELECTOR, "main article .listing-price")
    SELLER = (By.CSS_SELECTOR, "main article a[href^='/users/']")
    VIEW_COUNT = (By.CSS_SELECTOR, "main [data-testid='view-count']")
    GALLERY_IMAGES = (By.CSS_SELECTOR, "main .listing-gallery img.listing-photo")

    def open_listing(self, listing_id: int):
        return self.open(f"/listings/{listing_id}/")

    @property
    def listing_id(self) -> int | None:
        match = DETAIL_PATH.match(self.current_path)
        return int(match.group(1)) if match else None

    @property
    def title(self) -> str:
        return self.find(self.TITLE).text.strip()

    @property
    def price(self) -> str:
        return self.find(self.PRICE).text.strip()

    @property
    def seller(self) -> str:
        return self.find(self.SELLER).text.strip()

    def photo_sources(self) -> list[str]:
        """The path of each gallery image, in order (empty without photos)."""
        images = self.driver.find_elements(*self.GALLERY_IMAGES)
        return [urlsplit(image.get_attribute("src")).path for image in images]

    def photos_loaded(self) -> bool:
        """Whether the browser decoded every gallery image (naturalWidth > 0)."""
        images = self.driver.find_elements(*self.GALLERY_IMAGES)
        return bool(images) and all(
            self.driver.execute_script("return arguments[0].naturalWidth", image) > 0
            for image in images
        )

    # ------------------------------------------------------------ buying (issue 12)
    ORDER_FORM = (By.CSS_SELECTOR, "main form#order-form")
    ORDER_MESSAGE = (By.CSS_SELECTOR, "main form#order-form [name='message']")
    ORDER_SUBMIT = (By.CSS_SELECTOR, "main form#order-form button[type='submit']")
    MESSAGE_BODY = (By.CSS_SELECTOR, "main form#message-form [name='body']")
    MESSAGE_SUBMIT = (By.CSS_SELECTOR, "main form#message-form button[type='submit']")
    STATUS_BANNER = (By.CSS_SELECTOR, "main [data-testid='status-banner']")

    def write_to_seller(self, body: str):
        """Start (or continue) the conversation about this listing; lands on the thread."""
        from pages.trade import ThreadPage

        self.fill(self.MESSAGE_BODY, body)
        self.submit_and_wait_for_new_page(self.find(self.MESSAGE_SUBMIT))
        return ThreadPage(self.driver, self.base_url, self.timeout).wait_ready()

    def request_to_buy(self, message: str = ""):
        """Order this listing; lands on the new order's page."""
        from pages.trade import OrderPage

        if message:
            self.fill(self.ORDER_MESSAGE, message)
        self.submit_and_wait_for_new_page(self.find(self.ORDER_SUBMIT))
        return OrderPage(self.driver, self.base_url, self.timeout).wait_ready()

    @property
    def status_banner(self) -> str | None:
        found = self.driver.find_elements(*self.STATUS_BANNER)
        return found[0].text.strip() if found else None

    @property
    def can_order(self) -> bool:
        return bool(self.driver.find_elements(*self.ORDER_FORM))
