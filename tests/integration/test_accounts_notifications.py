"""Accounts and notifications through the public door (HAProxy), across every tier, with
the email read back from the stack's SMTP catcher (MailDev).

- reset by email on the web pages: the link from the email, followed in the site's
  own forms (CSRF), sets the password once; the link is dead afterwards and every
  earlier session with it;
- password change on the page logs the other sessions out;
- a saved search alerts when a matching listing is created (listing event -> Kafka ->
  the alerts worker's percolation -> models-api -> the mailer -> SMTP);
- a price drop on a favourite is emailed;
- a hostile bio is escaped on the public profile page.

Each test makes its own users and words, so it runs on any stack, any number of times.
"""

from __future__ import annotations

import re

import pytest
import requests

from testsupport import (
    browser_login,
    create_listing,
    csrf_token,
    link_in,
    session,
    signup,
    unique_word,
    wait_for_email,
)

pytestmark = pytest.mark.integration

TIMEOUT = 30
# Listing created -> alert delivered is a few seconds (batch folding, percolation, the
# mailer); the deadline only absorbs a loaded machine.
MAIL_DEADLINE = 120
NEW_PASSWORD = "Brand-new-passphrase-42"


def _post_form(browser: requests.Session, url: str, fields: dict) -> requests.Response:
    page = browser.get(url, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    return browser.post(
        url,
        data={"csrfmiddlewaretoken": csrf_token(page.text), **fields},
        headers={"Referer": url},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


class PasswordResetPagesTest:
    def test_reset_link_from_the_email_sets_the_password_once(self, api, public_url):
        account = signup(api, prefix="reset")
        address = f"{account.username}@example.com"  # testsupport.signup's address
        anonymous = session(public_url)

        asked = _post_form(anonymous, f"{public_url}/password-reset/", {"email": address})
        unknown = _post_form(
            session(public_url), f"{public_url}/password-reset/", {"email": f"x-{address}"}
        )
        # The same answer whether or not the address has an account.
        assert asked.status_code == unknown.status_code
        assert asked.headers.get("Location") == unknown.headers.get("Location")

        email = wait_for_email(address, timeout=MAIL_DEADLINE)
        link = link_in(email, starting_with=f"{public_url}/password-reset/")
        assert account.username in email["text"]

        done = _post_form(
            anonymous, link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        assert done.status_code in (200, 302), done.text[:500]

        # The new password works, the old session is gone, the link is dead.
        browser_login(public_url, account, NEW_PASSWORD)
        me = requests.get(f"{api}/me", headers=account.headers, timeout=TIMEOUT)
        assert me.status_code == 401
        again = anonymous.get(link, timeout=TIMEOUT)
        assert again.status_code in (200, 400, 404)
        assert 'name="new_password1"' not in again.text
        assert re.search(r"invalid|expired", again.text, re.IGNORECASE)


class PasswordChangePageTest:
    def test_change_logs_out_the_other_sessions_and_is_emailed(self, api, public_url):
        account = signup(api, prefix="chg")
        browser = browser_login(public_url, account)

        changed = _post_form(
            browser,
            f"{public_url}/account/password/",
            {
                "old_password": account.password,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )

        assert changed.status_code in (200, 302), changed.text[:500]
        # This browser stays logged in; the API session from sign-up is revoked.
        assert browser.get(f"{public_url}/account/", timeout=TIMEOUT).status_code == 200
        assert requests.get(f"{api}/me", headers=account.headers, timeout=30).status_code == 401
        wait_for_email(f"{account.username}@example.com", timeout=MAIL_DEADLINE)


class AlertsTest:
    def test_saved_search_alert_arrives_for_a_matching_listing(self, api, public_url):
        buyer = signup(api, prefix="alert")
        seller = signup(api, prefix="alert")
        word = unique_word("alrt")
        saved = requests.post(
            f"{api}/saved-searches",
            json={"query": word, "frequency": "instant"},
            headers=buyer.headers,
            timeout=TIMEOUT,
        )
        assert saved.status_code == 201, saved.text

        other = create_listing(api, seller.token, title=f"Unrelated {unique_word('zz')}")
        listing = create_listing(api, seller.token, title=f"Lamp {word} brass")

        email = wait_for_email(f"{buyer.username}@example.com", timeout=MAIL_DEADLINE)
        assert link_in(email, starting_with=f"{public_url}/listings/").startswith(
            f"{public_url}/listings/{listing['id']}/"
        )
        assert f"/listings/{other['id']}/" not in email["text"]

    def test_a_price_drop_on_a_favourite_is_emailed(self, api, public_url):
        buyer = signup(api, prefix="fav")
        seller = signup(api, prefix="fav")
        listing = create_listing(
            api, seller.token, title=f"Desk {unique_word('pd')}", price="80.00"
        )
        favourite = requests.put(
            f"{api}/favourites/{listing['id']}", headers=buyer.headers, timeout=TIMEOUT
        )
        assert favourite.status_code == 200 and favourite.json()["count"] == 1

        lowered = requests.patch(
            f"{api}/listings/{listing['id']}",
            json={"price": "60.00"},
            headers=seller.headers,
            timeout=TIMEOUT,
        )

        assert lowered.status_code == 200
        email = wait_for_email(f"{buyer.username}@example.com", timeout=MAIL_DEADLINE)
        assert "60.00" in email["text"] and "80.00" in email["text"]
        assert f"/listings/{listing['id']}/" in email["text"]


class ProfileTest:
    def test_hostile_bio_is_escaped_on_the_profile_page(self, api, public_url):
        account = signup(api, prefix="bio")
        hostile = '<script>alert("x")</script> I sell <b>bikes</b>'
        changed = requests.patch(
            f"{api}/me", json={"bio": hostile}, headers=account.headers, timeout=TIMEOUT
        )
        assert changed.status_code == 200, changed.text
        user_id = account.user["id"]

        page = requests.get(f"{public_url}/users/{user_id}/", timeout=TIMEOUT)

        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page.text
