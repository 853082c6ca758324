"""``/listings/<id>/``: one listing's detail page."""

from __future__ import annotations

import re

from selenium.webdriver.common.by import By

from pages.base import BasePage

DETAIL_PATH = re.compile(r"^/listings/(\d+)/$")


class ListingPage(BasePage):
    ready = (By.CSS_SELECTOR, "main article h1")
    TITLE = (By.CSS_SELECTOR, "main article h1")
    PRICE = (By.CSS_SELECTOR, "main article .listing-price")
    SELLER = (By.CSS_SELECTOR, "main article a[href^='/users/']")
    VIEW_COUNT = (By.CSS_SELECTOR, "main [data-testid='view-count']")

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
