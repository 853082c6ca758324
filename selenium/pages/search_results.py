"""``/search/?q=...``: result cards, or a "no listings match" message."""

from __future__ import annotations

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from pages.base import BasePage

LISTING_HREF = re.compile(r"/listings/(\d+)/$")


class SearchResultsPage(BasePage):
    path = "/search/"
    RESULTS = "main section[aria-label='Search results']"
    ready = (By.CSS_SELECTOR, RESULTS)
    RESULT_LINKS = (By.CSS_SELECTOR, f"{RESULTS} a[href^='/listings/']")
    NO_RESULTS = (By.CSS_SELECTOR, f"{RESULTS} .no-results")
    UNAVAILABLE = (By.CSS_SELECTOR, f"{RESULTS} [role='alert']")

    def results(self) -> list[tuple[int, str]]:
        """(listing id, title as shown) for every result card on this page."""
        found = []
        for link in self.driver.find_elements(*self.RESULT_LINKS):
            match = LISTING_HREF.search(link.get_attribute("href") or "")
            if match:
                found.append((int(match.group(1)), link.text.strip()))
        return found

    def result_link(self, title: str):
        for link in self.driver.find_elements(*self.RESULT_LINKS):
            if LISTING_HREF.search(link.get_attribute("href") or "") and title in link.text:
                return link
        return None

    def open_result(self, title: str):
        """Follow the result card whose title contains ``title``."""
        from pages.listing import ListingPage

        link = self.result_link(title)
        assert link is not None, f"no result titled {title!r} among {self.results()}"
        self.wait().until(EC.element_to_be_clickable(link))
        self.submit_and_wait_for_new_page(link)
        return ListingPage(self.driver, self.base_url, self.timeout).wait_ready()

    @property
    def no_results_text(self) -> str | None:
        found = self.driver.find_elements(*self.NO_RESULTS)
        return found[0].text.strip() if found else None
