"""The public API end to end: create -> Kafka -> indexer -> search; auth flows."""

import pytest
import redis
import requests

from testsupport import (
    bearer,
    create_listing,
    listing_fields,
    login,
    session,
    stack_settings,
    unique_word,
    wait_until,
)

pytestmark = pytest.mark.integration


def categories(base_url):
    return [
        c["slug"] for c in requests.get(base_url + "/categories", timeout=15).json()["categories"]
    ]


def create(base_url, token, **fields):
    return create_listing(base_url, token, **fields)


def search(base_url, **params):
    response = requests.get(base_url + "/search", params=params, timeout=15)
    assert response.status_code == 200, response.text
    return response.json()


def search_generation() -> bytes | None:
    """The live experience-api's generation of cached searches (bumped by every
    invalidation). Read from the stack's Redis by port: this process's own REDIS_URL is
    the test settings' database."""
    env = stack_settings()
    live = redis.Redis(host=env["BIND_ADDRESS"], port=int(env["REDIS_PORT"]), db=0)
    try:
        keys = list(live.scan_iter(match="*:gen:search", count=1000))
        assert len(keys) <= 1, f"expected one search generation key, found {keys}"
        return live.get(keys[0]) if keys else None
    finally:
        live.close()


@pytest.fixture(scope="module")
def created(base_url, session_user):
    """Three listings sharing one unique word, in two categories and three prices."""
    token = session_user.token
    word = unique_word()
    slugs = categories(base_url)
    first, second = slugs[0], slugs[1 % len(slugs)]
    listings = [
        create(
            base_url,
            token,
            title=f"{word} brass lamp",
            description="Shiny and old",
            price="30.00",
            category=first,
        ),
        create(
            base_url,
            token,
            title=f"Oak table {word}",
            description="Solid wood",
            price="120.00",
            category=second,
        ),
        create(
            base_url,
            token,
            title=f"Desk chair {word}",
            description="Comfortable",
            price="75.50",
            category=first,
        ),
    ]
    wait_until(
        lambda: search(base_url, q=word)["total"] == 3, 60, message="the listings searchable"
    )
    return word, first, second, listings


class CreateAndSearchTest:
    def test_created_listing_is_found_by_a_word_of_its_title(self, base_url, created):
        word, *_, listings = created
        ids = {r["id"] for r in search(base_url, q=word)["results"]}
        assert ids == {listing["id"] for listing in listings}

    def test_typo_in_the_word_still_finds_it(self, base_url, created):
        word = created[0]
        typo = word[:4] + word[5] + word[4] + word[6:]  # swap two inner letters
        assert search(base_url, q=typo)["total"] >= 3

    def test_highlight_marks_the_word(self, base_url, created):
        word = created[0]
        results = search(base_url, q=word)["results"]
        assert any("<mark>" in r["highlight"].get("title", "") for r in results)

    def test_category_filter_and_facets(self, base_url, created):
        word, first, second, _ = created
        body = search(base_url, q=word, category=first)
        assert {r["category"]["slug"] for r in body["results"]} == {first}
        counts = {f["slug"]: f["count"] for f in body["facets"]["category"]}
        if first != second:
            assert counts == {first: 2, second: 1}

    def test_price_range_filter(self, base_url, created):
        word = created[0]
        body = search(base_url, q=word, min_price="50", max_price="100")
        assert [r["price"] for r in body["results"]] == ["75.50"]

    def test_price_sorts(self, base_url, created):
        word = created[0]
        ascending = [r["price"] for r in search(base_url, q=word, sort="price_asc")["results"]]
        descending = [r["price"] for r in search(base_url, q=word, sort="price_desc")["results"]]
        assert ascending == ["30.00", "75.50", "120.00"]
        assert descending == list(reversed(ascending))

    def test_newest_sort(self, base_url, created):
        word, *_, listings = created
        ids = [r["id"] for r in search(base_url, q=word, sort="newest")["results"]]
        assert ids == [listing["id"] for listing in reversed(listings)]

    def test_created_listing_detail_and_home(self, base_url, created):
        listing = created[3][-1]
        detail = requests.get(f"{base_url}/listings/{listing['id']}", timeout=15)
        assert detail.status_code == 200
        assert detail.json()["title"] == listing["title"]
        assert isinstance(detail.json()["recommendations"], list)
        home = requests.get(base_url + "/home", timeout=15).json()
        assert listing["id"] in {card["id"] for card in home["newest"]}

    def test_bad_search_parameters_are_400(self, base_url):
        response = requests.get(
            base_url + "/search", params={"min_price": "9", "max_price": "1"}, timeout=15
        )
        assert response.status_code == 400
        assert "min_price" in response.json()["fields"]


class SearchCacheFreshnessTest:
    def test_cached_search_shows_a_listing_created_after_it_was_cached(
        self, base_url, session_user
    ):
        """A results page is cached for SEARCH_CACHE_SECONDS (10 s), but the listing
        event drops it (a new generation of cached searches) once the change is indexed:
        the new listing shows up through an invalidation, not through the TTL."""
        token = session_user.token
        word = unique_word()
        slug = categories(base_url)[0]
        create(base_url, token, title=f"{word} first", description="One", price="5", category=slug)
        wait_until(lambda: search(base_url, q=word)["total"] == 1, 60, message="first listing")
        search(base_url, q=word.upper())  # cached now (any spelling)
        cached_generation = search_generation()
        second = create(
            base_url, token, title=f"{word} second", description="Two", price="6", category=slug
        )
        wait_until(
            lambda: second["id"] in {r["id"] for r in search(base_url, q=word)["results"]},
            60,
            message="the new listing in the cached search",
        )
        # Found through a dropped page: a page refreshed after its TTL keeps its generation.
        assert search_generation() != cached_generation

    def test_spellings_sharing_a_cached_page_each_echo_their_own_words(self, base_url):
        first = search(base_url, q="Brass  LAMP", sort="hot")
        second = search(base_url, q=" brass lamp ", sort="hot")
        assert (first["query"]["q"], second["query"]["q"]) == ("Brass LAMP", "brass lamp")


class AuthFlowTest:
    def test_login_me_logout_makes_authenticator_useless(self, base_url, session_user):
        token = login(base_url, session_user.username, session_user.password)
        me = requests.get(base_url + "/me", headers=bearer(token), timeout=15)
        assert me.status_code == 200
        assert me.json()["username"] == session_user.username
        with session(base_url) as http:
            logout = http.post(base_url + "/auth/logout", headers=bearer(token), timeout=15)
        assert logout.status_code == 204
        assert requests.get(base_url + "/me", headers=bearer(token), timeout=15).status_code == 401
        create = requests.post(
            base_url + "/listings",
            headers=bearer(token),
            timeout=15,
            json=listing_fields(title="x", category=categories(base_url)[0]),
        )
        assert create.status_code == 401

    def test_wrong_password_is_401(self, base_url, session_user):
        with session(base_url) as http:
            response = http.post(
                base_url + "/auth/login",
                json={"username": session_user.username, "password": "wrong"},
                timeout=15,
            )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_credentials"

    def test_unknown_listing_is_json_404(self, base_url):
        response = requests.get(f"{base_url}/listings/999999999", timeout=15)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

    def test_signup_duplicate_username_is_400_per_field(self, base_url, session_user):
        with session(base_url) as http:
            response = http.post(
                base_url + "/auth/signup",
                timeout=15,
                json={
                    "username": session_user.username,
                    "email": f"{unique_word('mail')}@example.com",
                    "password": session_user.password,
                },
            )
        assert response.status_code == 400
        assert "username" in response.json()["fields"]
