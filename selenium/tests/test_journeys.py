"""The main user journeys, in a real browser, through HAProxy.

Each test starts from a fresh browser profile and creates its own data (unique names
per run), so the suite can run against any stack, any number of times.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import testsupport
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from testsupport import unique_password, unique_word
from testsupport.images import png
from testsupport.mail import link_in, wait_for_email

from pages import (
    HomePage,
    ListingPage,
    LoginPage,
    NewListingPage,
    OrderPage,
    PasswordResetPage,
    PasswordResetRequestPage,
    SearchResultsPage,
    SignupPage,
)


class SellerJourneyTest:
    def test_signup_logout_login_create_search_open_logout_succeeds(self, driver, base_url):
        username = unique_word("sel")
        password = unique_password()
        word = unique_word("zq")
        title = f"Vintage {word} desk lamp"

        # Sign up: logged in straight away, back on the home page.
        home = HomePage(driver, base_url).open()
        signup = home.header.go_to_signup()
        home = signup.sign_up(username, f"{username}@example.com", password)
        assert home.current_path == "/"
        home.header.wait_logged_in_as(username)

        # Log out, then log in again with the new credentials.
        home = home.header.log_out()
        home.header.wait_logged_out()
        login = home.header.go_to_login()
        login.log_in(username, password)
        home = HomePage(driver, base_url).wait_ready()
        assert home.current_path == "/"
        home.header.wait_logged_in_as(username)

        # Create a listing: lands on its own page.
        form = NewListingPage(driver, base_url).open()
        listing = form.create(
            title=title,
            description="Brass desk lamp with a green glass shade. Works perfectly.",
            price="34.50",
            category="home-garden",
        )
        assert listing.listing_id is not None, listing.current_path
        created_id = listing.listing_id
        assert listing.title == title
        assert "34.50" in listing.price
        assert username in listing.seller

        # Find it with the header search box and open it from the results.
        results = listing.header.search_until_found(word, title)
        assert word in results.current_query
        opened = results.open_result(title)
        assert opened.listing_id == created_id
        assert opened.title == title

        # Log out from the listing page.
        home = opened.header.log_out()
        home.header.wait_logged_out()


class LoginRedirectTest:
    def test_new_listing_while_logged_out_goes_to_login_and_back_to_form(
        self, driver, base_url, account
    ):
        home = HomePage(driver, base_url).open()
        home.header.wait_logged_out()
        home.header.click_sell()

        login = LoginPage(driver, base_url).wait_ready()
        assert login.current_path == "/login/"
        assert "next=/listings/new/" in login.current_query.replace("%2F", "/")
        assert login.next_value == "/listings/new/"

        login.log_in(account.username, account.password)
        form = NewListingPage(driver, base_url).wait_ready()
        assert form.current_path == "/listings/new/"
        form.header.wait_logged_in_as(account.username)


class WrongPasswordTest:
    def test_wrong_password_shows_error_and_stays_logged_out(self, driver, base_url, account):
        login = LoginPage(driver, base_url).open()
        login.log_in(account.username, account.password + "-wrong")

        login = LoginPage(driver, base_url).wait_ready()
        assert login.current_path == "/login/"
        assert "do not match" in login.error_text
        login.header.wait_logged_out()


class NoMatchSearchTest:
    def test_search_without_match_says_so(self, driver, base_url):
        word = unique_word("nomatchzq")
        results = HomePage(driver, base_url).open().header.search(word)

        assert isinstance(results, SearchResultsPage)
        assert results.results() == []
        message = results.no_results_text
        assert message is not None, "the page shows neither results nor a no-match message"
        assert "No listings match" in message
        assert word in message


class SignupPageTest:
    def test_signup_page_has_contract_fields(self, driver, base_url):
        page = SignupPage(driver, base_url).open()
        for locator in (page.USERNAME, page.EMAIL, page.PASSWORD1, page.PASSWORD2):
            assert page.find(locator).is_displayed()


def _log_in(driver, base_url, username: str, password: str) -> HomePage:
    login = LoginPage(driver, base_url).open()
    login.log_in(username, password)
    home = HomePage(driver, base_url).wait_ready()
    home.header.wait_logged_in_as(username)
    return home


class BuyingJourneyTest:
    def test_buyer_finds_writes_orders_seller_accepts_completes_listing_sold_and_gone(
        self, driver, base_url, account, tmp_path
    ):
        seller = account
        word = unique_word("buyzq")
        title = f"Walnut {word} bookshelf"
        front, side = tmp_path / "front.png", tmp_path / "side.png"
        front.write_bytes(png(640, 480, (120, 80, 40)))
        side.write_bytes(png(480, 640, (60, 40, 20)))

        # The seller lists an item with two photos.
        _log_in(driver, base_url, seller.username, seller.password)
        listing = (
            NewListingPage(driver, base_url)
            .open()
            .create(
                title=title,
                description="Solid walnut, five shelves, pick-up only.",
                price="120.00",
                category="home-garden",
                photos=[front, side],
            )
        )
        listing_id = listing.listing_id
        assert listing_id is not None, listing.current_path
        sources = listing.photo_sources()
        assert len(sources) == 2 and all(src.startswith("/media/") for src in sources)
        listing.wait().until(lambda _driver: listing.photos_loaded(), "photos not shown")
        listing.header.log_out().header.wait_logged_out()

        # A buyer signs up, finds it with the search box, writes to the seller, orders it.
        buyer_name = unique_word("buyer")
        buyer_password = unique_password()
        home = HomePage(driver, base_url).open()
        home = home.header.go_to_signup().sign_up(
            buyer_name, f"{buyer_name}@example.com", buyer_password
        )
        home.header.wait_logged_in_as(buyer_name)
        results = home.header.search_until_found(word, title)
        found = results.open_result(title)
        assert found.listing_id == listing_id
        assert len(found.photo_sources()) == 2

        thread = found.write_to_seller("Hello! Is the bookshelf still available?")
        assert thread.bodies() == ["Hello! Is the bookshelf still available?"]

        order = (
            ListingPage(driver, base_url)
            .open_listing(listing_id)
            .request_to_buy("I can pick it up on Saturday.")
        )
        order_id = order.order_id
        assert order_id is not None, order.current_path
        assert order.status == "requested"
        assert order.actions() == ["cancel"]
        order.header.log_out().header.wait_logged_out()

        # The seller accepts, then completes the order.
        _log_in(driver, base_url, seller.username, seller.password)
        order = OrderPage(driver, base_url).open_order(order_id)
        assert set(order.actions()) == {"accept", "decline"}
        order = order.act("accept")
        assert order.status == "accepted"
        reserved = ListingPage(driver, base_url).open_listing(listing_id)
        assert "reserved" in (reserved.status_banner or "").lower()

        order = OrderPage(driver, base_url).open_order(order_id).act("complete")
        assert order.status == "completed"
        assert order.actions() == []

        # The listing shows sold and leaves search.
        sold = ListingPage(driver, base_url).open_listing(listing_id)
        assert "sold" in (sold.status_banner or "").lower()
        assert not sold.can_order

        def gone_from_search(_driver):
            page = sold.header.search(word)
            return page.result_link(title) is None

        WebDriverWait(driver, 60, poll_frequency=1).until(
            gone_from_search, f"{title!r} still in search after it was sold"
        )


class PasswordResetJourneyTest:
    def test_forgotten_password_reset_by_the_emailed_link_then_log_in(self, driver, base_url):
        # A user of their own: resetting the shared journey account would log it out.
        old_password = unique_password()
        user = testsupport.signup(f"{base_url}/api/v1", prefix="selreset", password=old_password)
        address = f"{user.username}@example.com"  # testsupport.signup's address
        new_password = unique_password()

        # Forgot it: the login page links to the reset page, which asks for the address.
        login = LoginPage(driver, base_url).open()
        login.driver.find_element(By.CSS_SELECTOR, "main a[href='/password-reset/']").click()
        request = PasswordResetRequestPage(driver, base_url).wait_ready()
        assert "on its way" in request.ask_for_link(address)

        # The link arrives by email (the stack's SMTP catcher) and opens the form.
        email = wait_for_email(address, timeout=120)
        link = link_in(email, starting_with=f"{base_url}/password-reset/")
        reset = PasswordResetPage(driver, base_url).open(urlsplit(link).path)
        assert "log in" in reset.set_password(new_password).lower()

        # The new password logs in; the link is dead now.
        home = _log_in(driver, base_url, user.username, new_password)
        home.header.log_out().header.wait_logged_out()
        used = PasswordResetPage(driver, base_url).open(urlsplit(link).path)
        assert used.invalid_message
