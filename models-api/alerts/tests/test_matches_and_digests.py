"""The alerts worker's matches (POST /saved-searches/matches) and the daily digests."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from model_bakery import baker

from alerts import services
from alerts.models import AlertMatch, SavedSearch
from mpcommon import account_rules
from notifications.models import Email

ALERT = account_rules.EMAIL_SAVED_SEARCH_ALERT
DIGEST = account_rules.EMAIL_SAVED_SEARCH_DIGEST


def report(client, listing_id, search_ids, **headers):
    body = {"listing": listing_id, "saved_searches": search_ids}
    return client.post("/api/v1/saved-searches/matches", body, format="json", **headers)


def emails(kind):
    return list(Email.objects.filter(kind=kind).order_by("created_at", "to_address"))


@pytest.mark.django_db
class MatchesApiTest:
    def test_instant_search_gets_one_email_with_links(
        self, api_client, listing, searcher, make_search
    ):
        search = make_search(searcher, query="road bike", filters={"max_price": "400.00"})
        response = report(api_client, listing.id, [search.id])
        assert response.status_code == 200
        assert response.json() == {"emailed": 1, "queued_for_digest": 0}
        [email] = emails(ALERT)
        assert (email.to_address, email.dedupe_key) == (
            searcher.email,
            f"alert:{search.id}:{listing.id}",
        )
        assert "Road bike" in email.subject
        assert f"{settings.PUBLIC_URL}/listings/{listing.id}/" in email.body
        assert f"{settings.PUBLIC_URL}/search/?q=road+bike&max_price=400.00" in email.body
        assert f"{settings.PUBLIC_URL}/saved-searches/" in email.body
        assert "$350.00" in email.body
        match = AlertMatch.objects.get()
        assert (match.saved_search, match.listing, match.emailed) == (search, listing, True)

    def test_needs_no_authenticator_only_the_service_token(
        self, anonymous_client, listing, searcher, make_search
    ):
        search = make_search(searcher)
        assert report(anonymous_client, listing.id, [search.id]).status_code == 401
        assert not AlertMatch.objects.exists() and not Email.objects.exists()

    def test_reported_again_changes_nothing(self, api_client, listing, searcher, make_search):
        instant, daily = make_search(searcher), make_search(searcher, "sofa", frequency="daily")
        report(api_client, listing.id, [instant.id, daily.id])
        again = report(api_client, listing.id, [instant.id, daily.id])
        assert again.json() == {"emailed": 0, "queued_for_digest": 0}
        assert len(emails(ALERT)) == 1
        assert AlertMatch.objects.count() == 2

    def test_daily_search_is_queued_for_the_digest(
        self, api_client, listing, searcher, make_search
    ):
        search = make_search(searcher, frequency="daily")
        response = report(api_client, listing.id, [search.id])
        assert response.json() == {"emailed": 0, "queued_for_digest": 1}
        assert not Email.objects.exists()
        assert AlertMatch.objects.get(saved_search=search).emailed is False

    def test_paused_missing_and_own_searches_are_skipped(
        self, api_client, listing, user, searcher, make_search
    ):
        paused = make_search(searcher, paused=True)
        own = make_search(user)  # the listing's seller
        response = report(api_client, listing.id, [paused.id, own.id, 999999])
        assert response.json() == {"emailed": 0, "queued_for_digest": 0}
        assert not AlertMatch.objects.exists() and not Email.objects.exists()

    def test_inactive_users_search_is_skipped(self, api_client, listing, searcher, make_search):
        search = make_search(searcher)
        type(searcher).objects.filter(pk=searcher.pk).update(is_active=False)
        assert report(api_client, listing.id, [search.id]).json()["emailed"] == 0

    @pytest.mark.parametrize("status", ["reserved", "sold", "withdrawn"])
    def test_listing_not_active_matches_nothing(
        self, api_client, make_listing, searcher, make_search, status
    ):
        search = make_search(searcher)
        listing = make_listing(status=status)
        assert report(api_client, listing.id, [search.id]).json() == {
            "emailed": 0,
            "queued_for_digest": 0,
        }
        assert not AlertMatch.objects.exists()

    def test_unknown_listing_is_200_with_nothing_done(self, api_client, searcher, make_search):
        response = report(api_client, 999999, [make_search(searcher).id])
        assert response.json() == {"emailed": 0, "queued_for_digest": 0}

    def test_instant_alerts_throttled_per_address_and_hour(
        self, api_client, make_listing, searcher, make_search
    ):
        search = make_search(searcher)
        listings = [make_listing() for _ in range(account_rules.ALERT_EMAILS_PER_HOUR + 2)]
        emailed = [report(api_client, lst.id, [search.id]).json()["emailed"] for lst in listings]
        assert sum(emailed) == account_rules.ALERT_EMAILS_PER_HOUR
        assert len(emails(ALERT)) == account_rules.ALERT_EMAILS_PER_HOUR
        # The skipped ones are dealt with, not left for a digest.
        assert not AlertMatch.objects.filter(emailed=False).exists()

    def test_many_searches_of_many_users(self, api_client, listing, make_search):
        users = [baker.make("accounts.User", email=f"u{n}@example.com") for n in range(3)]
        searches = [make_search(u) for u in users]
        response = report(api_client, listing.id, [s.id for s in searches])
        assert response.json()["emailed"] == 3
        assert sorted(e.to_address for e in emails(ALERT)) == [u.email for u in users]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"listing": "x", "saved_searches": []}, "listing"),
            ({"saved_searches": [1]}, "listing"),
            ({"listing": 1}, "saved_searches"),
            ({"listing": 1, "saved_searches": "1,2"}, "saved_searches"),
            ({"listing": 1, "saved_searches": [0]}, "saved_searches.0"),
            ({"listing": 1, "saved_searches": [1], "extra": True}, "extra"),
        ],
    )
    def test_invalid_input_is_400(self, api_client, body, field):
        response = api_client.post("/api/v1/saved-searches/matches", body, format="json")
        assert response.status_code == 400
        assert field in response.json()["fields"]


@pytest.mark.django_db
class DailyDigestTest:
    @pytest.fixture
    def daily(self, searcher, make_search):
        return make_search(searcher, query="lamp", frequency="daily")

    def match(self, search, listing, **fields):
        return baker.make(AlertMatch, saved_search=search, listing=listing, **fields)

    def test_one_email_per_search_with_pending_matches(
        self, make_listing, searcher, third_user, daily, make_search
    ):
        first, second = make_listing(title="Brass lamp"), make_listing(title="Desk lamp")
        self.match(daily, first)
        self.match(daily, second)
        theirs = make_search(third_user, query="sofa", frequency="daily")
        self.match(theirs, first)
        make_search(third_user, query="quiet", frequency="daily")  # nothing pending
        now = timezone.now()
        assert services.send_daily_digests(now=now) == 2
        mine = Email.objects.get(kind=DIGEST, to_address=searcher.email)
        assert mine.dedupe_key == f"digest:{daily.id}:{now.date().isoformat()}"
        assert mine.subject.startswith("2 new listings")
        assert "Brass lamp" in mine.body and "Desk lamp" in mine.body
        assert f"{settings.PUBLIC_URL}/listings/{first.id}/" in mine.body
        assert f"{settings.PUBLIC_URL}/saved-searches/" in mine.body
        assert not AlertMatch.objects.filter(emailed=False).exists()
        daily.refresh_from_db()
        assert daily.last_digest_at == now

    def test_nothing_pending_writes_nothing(self, daily, listing):
        self.match(daily, listing, emailed=True)
        assert services.send_daily_digests() == 0
        assert not Email.objects.exists()

    def test_a_second_run_the_same_day_waits_for_tomorrow(self, make_listing, daily):
        now = timezone.now()
        self.match(daily, make_listing())
        assert services.send_daily_digests(now=now) == 1
        late = self.match(daily, make_listing())
        assert services.send_daily_digests(now=now + timedelta(minutes=5)) == 0
        late.refresh_from_db()
        assert late.emailed is False
        assert services.send_daily_digests(now=now + timedelta(days=1)) == 1
        assert len(emails(DIGEST)) == 2

    def test_listings_no_longer_active_are_left_out(self, make_listing, daily):
        active, sold = (
            make_listing(title="Brass lamp"),
            make_listing(title="Gone lamp", status="sold"),
        )
        self.match(daily, active)
        self.match(daily, sold)
        assert services.send_daily_digests() == 1
        [email] = emails(DIGEST)
        assert "Brass lamp" in email.body and "Gone lamp" not in email.body
        assert email.subject.startswith("1 new listing for")

    def test_only_inactive_listings_writes_nothing_and_clears_them(self, make_listing, daily):
        self.match(daily, make_listing(status="withdrawn"))
        assert services.send_daily_digests() == 0
        assert not Email.objects.exists()
        assert not AlertMatch.objects.filter(emailed=False).exists()

    def test_paused_search_keeps_its_matches_until_resumed(self, listing, daily):
        self.match(daily, listing)
        SavedSearch.objects.filter(pk=daily.pk).update(paused=True)
        assert services.send_daily_digests() == 0
        assert AlertMatch.objects.filter(emailed=False).count() == 1
        SavedSearch.objects.filter(pk=daily.pk).update(paused=False)
        assert services.send_daily_digests() == 1

    def test_long_digest_lists_twenty_and_links_the_rest(self, make_listing, daily):
        for n in range(services.DIGEST_MAX_LISTINGS + 3):
            self.match(daily, make_listing(title=f"Lamp {n}"))
        services.send_daily_digests()
        [email] = emails(DIGEST)
        assert email.subject.startswith("23 new listings")
        assert email.body.count("/listings/") == services.DIGEST_MAX_LISTINGS
        assert "and 3 more" in email.body

    def test_switched_to_instant_still_gets_its_pending_ones(self, listing, daily):
        self.match(daily, listing)
        SavedSearch.objects.filter(pk=daily.pk).update(frequency="instant")
        assert services.send_daily_digests() == 1

    def test_end_to_end_from_the_matches_endpoint(self, api_client, listing, daily):
        report(api_client, listing.id, [daily.id])
        assert services.send_daily_digests() == 1
        assert services.send_daily_digests() == 0

    def test_management_command(self, listing, daily):
        self.match(daily, listing)
        out = StringIO()
        call_command("send_digests", stdout=out)
        assert "digests written: 1" in out.getvalue()
        assert len(emails(DIGEST)) == 1
