"""``/orders/<id>/`` and ``/messages/<id>/``: one order, one conversation."""

from __future__ import annotations

import re

from selenium.webdriver.common.by import By

from pages.base import BasePage

ORDER_PATH = re.compile(r"^/orders/(\d+)/$")
THREAD_PATH = re.compile(r"^/messages/(\d+)/$")


class OrderPage(BasePage):
    ready = (By.CSS_SELECTOR, "main #order-status")
    STATUS = (By.CSS_SELECTOR, "main #order-status")

    def open_order(self, order_id: int):
        return self.open(f"/orders/{order_id}/")

    @property
    def order_id(self) -> int | None:
        match = ORDER_PATH.match(self.current_path)
        return int(match.group(1)) if match else None

    @property
    def status(self) -> str:
        return self.find(self.STATUS).text.strip().lower()

    def actions(self) -> list[str]:
        buttons = self.driver.find_elements(By.CSS_SELECTOR, "main button[name='action']")
        return [button.get_attribute("value") for button in buttons]

    def act(self, action: str):
        """Press the order's ``action`` button; the page comes back (POST, redirect, GET)."""
        button = self.find((By.CSS_SELECTOR, f"main button[name='action'][value='{action}']"))
        self.submit_and_wait_for_new_page(button)
        return OrderPage(self.driver, self.base_url, self.timeout).wait_ready()


class ThreadPage(BasePage):
    ready = (By.CSS_SELECTOR, "main form#reply-form")
    BODIES = (By.CSS_SELECTOR, "main .message-body")
    REPLY = (By.CSS_SELECTOR, "main form#reply-form [name='body']")
    REPLY_SUBMIT = (By.CSS_SELECTOR, "main form#reply-form button[type='submit']")

    @property
    def thread_id(self) -> int | None:
        match = THREAD_PATH.match(self.current_path)
        return int(match.group(1)) if match else None

    def bodies(self) -> list[str]:
        return [element.text.strip() for element in self.driver.find_elements(*self.BODIES)]

    def reply(self, body: str):
        self.fill(self.REPLY, body)
        self.submit_and_wait_for_new_page(self.find(self.REPLY_SUBMIT))
        return ThreadPage(self.driver, self.base_url, self.timeout).wait_ready()
