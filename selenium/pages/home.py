"""``/``: newest and most popular listings."""

from __future__ import annotations

import re

from selenium.webdriver.common.by import By

from pages.base import BasePage

LISTING_HREF = re.compile(r"/listings/(\d+)/$")


class HomePage(BasePage):
    path = "/"
    ready = (By.CSS_SELECTOR, "main h1")
    LISTING_LINKS = (By.CSS_SELECTOR, "main a[href^='/listings/']")

    def listing_ids(self) -> list[int]:
        """Ids of the listings linked from the page (cards link to /listings/<id>/)."""
        ids = []
        for link in self.driver.find_elements(*self.LISTING_LINKS):
            match = LISTING_HREF.search(link.get_attribute("href") or "")
            if match and int(match.group(1)) not in ids:
                ids.append(int(match.group(1)))
        return ids
