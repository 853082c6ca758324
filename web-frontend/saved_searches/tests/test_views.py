"""Saved searches (issue 13): the list, saving one (from the search page or the form on
the list), pause/resume and delete, with the experience API stubbed over HTTP."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from conftest import TOKEN, make_card
from mpcommon import account_rules

HOSTILE = '<script>alert("x")</script> & "quotes"'


def saved_search(search_id: int, **overrides) -> dict:
    body = {
        "id": search_id,
        "query": "oak table",
        "filters": {"category": "furniture", "min_price": "10.00", "max_price": "250.00"},
        "frequency": "instant",
        "paused": False,
        "created_at": "2024-05-01T10:00:00Z",
        "search_url": "/search/?q=oak+table&category=furniture&min_price=10.00&max_price=250.00",
    }
    body.update(overrides)
    return body


def api_error(fields=None, detail="Invalid input.") -> dict:
    body = {"error": "validation_failed", "detail": detail}
    if fields is not None:
        body["fields"] = fields
    return body


@pytest.fixture
def page_api(api):
    """What the list page reads besides /me: the categories and the saved searches."""
    api.categories()
    api.get("saved-searches", {"results": [saved_search(3), saved_search(4, paused=True)]})
    return api


def strict_client(api) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
    api.me()
    return client


def row_of(html: str, search_id: int) -> str:
    rows = re.findall(r'<li class="card[^"]*saved-search".*?</li>', html, re.S)
    return next(r for r in rows if f"/saved-searches/{search_id}/" in r)


class ListTest:
    def test_anonymous_redirected_to_login_with_next(self, client, api):
        response = client.get("/saved-searches/")

        assert response.status_code == 302
        assert response["Location"] == "/login/?next=%2Fsaved-searches%2F"

    def test_lists_each_search_with_its_link_and_buttons(self, logged_in, page_api):
        response = logged_in.get("/saved-searches/")

        assert response.status_code == 200
        html = response.content.decode()
        active, paused = row_of(html, 3), row_of(html, 4)
        assert (
            'href="/search/?q=oak+table&amp;category=furniture&amp;min_price=10.00'
            '&amp;max_price=250.00"' in active
        )
        assert "“oak table”" in active and "in Furniture" in active
        assert "$10.00–$250.00" in active and "as soon as it is listed" in active
        assert 'action="/saved-searches/3/update/"' in active
        assert 'name="paused" value="true"' in active and "Pause alerts" in active
        assert 'action="/saved-searches/3/delete/"' in active and "Delete" in active
        assert 'name="paused" value="false"' in paused and "Resume alerts" in paused
        assert 'data-testid="paused-badge"' in paused and 'data-testid="paused-badge"' not in active
        assert html.count('name="csrfmiddlewaretoken"') >= 5  # 2 rows x 2 + the new-search form
        assert "2 of 20" in html

    def test_search_url_not_a_local_search_path_is_rebuilt(self, logged_in, api):
        api.categories()
        api.get(
            "saved-searches",
            {"results": [saved_search(3, search_url="https://evil.example/", filters={})]},
        )

        html = logged_in.get("/saved-searches/").content.decode()

        assert "evil.example" not in html
        assert 'href="/search/?q=oak+table"' in row_of(html, 3)

    def test_empty_list_explains(self, logged_in, api):
        api.categories()
        api.get("saved-searches", {"results": []})

        html = logged_in.get("/saved-searches/").content.decode()

        assert "No saved searches yet" in html

    def test_hostile_query_escaped(self, logged_in, api):
        api.categories()
        api.get("saved-searches", {"results": [saved_search(3, query=HOSTILE, search_url="")]})

        html = logged_in.get("/saved-searches/").content.decode()

        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html

    def test_prefilled_from_the_query_string(self, logged_in, page_api):
        html = logged_in.get(
            "/saved-searches/?q=lamp&category=books&min_price=5&frequency=daily"
        ).content.decode()

        assert re.search(r'<input[^>]*name="q"[^>]*value="lamp"', html)
        assert '<option value="books" selected>' in html
        assert re.search(r'<input[^>]*name="min_price"[^>]*value="5"', html)
        assert '<option value="daily" selected>' in html


VALID_SAVE = {
    "q": " oak table ",
    "category": "furniture",
    "min_price": "10",
    "max_price": "250.5",
    "condition": "",
    "frequency": "daily",
}


class SaveTest:
    def test_valid_post_saves_and_redirects_with_message(self, logged_in, page_api):
        page_api.post("saved-searches", saved_search(5), status=201)

        response = logged_in.post("/saved-searches/", VALID_SAVE)

        assert response.status_code == 302 and response["Location"] == "/saved-searches/"
        assert page_api.json_sent("POST", "saved-searches") == [
            {
                "query": "oak table",
                "category": "furniture",
                "min_price": "10.00",
                "max_price": "250.50",
                "frequency": "daily",
            }
        ]
        call = page_api.calls_to("POST", "saved-searches")[0]
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
        page = logged_in.get("/saved-searches/").content.decode()
        assert "daily digest" in page and "Search saved" in page

    def test_condition_sent_when_given(self, logged_in, page_api):
        page_api.post("saved-searches", saved_search(5), status=201)

        logged_in.post("/saved-searches/", {"q": "bike", "condition": "good"})

        sent = page_api.json_sent("POST", "saved-searches")[0]
        assert sent == {
            "query": "bike",
            "condition": "good",
            "frequency": account_rules.DEFAULT_SAVED_SEARCH_FREQUENCY,
        }

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"q": "x" * 201}, "q", "at most 200"),
            ({"min_price": "abc"}, "min_price", "Enter a number"),
            ({"min_price": "300"}, "max_price", "at least the minimum"),
            ({"category": "no-such"}, "category", "Select a valid choice"),
            ({"frequency": "hourly"}, "frequency", "Select a valid choice"),
            ({"condition": "mint"}, "condition", "Select a valid choice"),
        ],
    )
    def test_invalid_shows_the_list_with_errors_nothing_sent(
        self, logged_in, page_api, overrides, field, message
    ):
        response = logged_in.post("/saved-searches/", {**VALID_SAVE, **overrides})

        assert response.status_code == 200
        html = response.content.decode()
        assert f'id="id_{field}_error"' in html and message in html
        assert page_api.calls_to("POST", "saved-searches") == []
        assert 'action="/saved-searches/3/delete/"' in html  # the list is still there

    def test_over_the_cap_api_message_shown(self, logged_in, page_api):
        page_api.post(
            "saved-searches",
            api_error({"non_field_errors": [account_rules.MESSAGE_TOO_MANY_SAVED_SEARCHES]}),
            status=400,
        )

        response = logged_in.post("/saved-searches/", VALID_SAVE)

        assert response.status_code == 200
        html = response.content.decode()
        assert account_rules.MESSAGE_TOO_MANY_SAVED_SEARCHES in html
        assert 'role="alert"' in html

    def test_api_field_error_on_its_field(self, logged_in, page_api):
        page_api.post("saved-searches", api_error({"query": ["Too vague."]}), status=400)

        html = logged_in.post("/saved-searches/", VALID_SAVE).content.decode()

        assert 'id="id_q_error"' in html and "Too vague." in html

    def test_anonymous_post_redirected_to_login(self, client, api):
        response = client.post("/saved-searches/", VALID_SAVE)

        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
        assert api.calls_to("POST", "saved-searches") == []

    def test_post_without_csrf_token_refused(self, api):
        response = strict_client(api).post("/saved-searches/", VALID_SAVE)

        assert response.status_code == 403
        assert api.calls_to("POST", "saved-searches") == []


class SearchPageSaveFormTest:
    def results(self, api):
        return api.get("search", {"results": [make_card(id=1)], "total": 1, "page": 1, "pages": 1})

    def test_logged_in_gets_a_form_with_the_current_parameters(self, logged_in, api):
        self.results(api)
        api.down("GET", "favourites/ids")

        html = logged_in.get(
            "/search/?q=lamp&category=books&min_price=5&max_price=20&sort=newest&page=1"
        ).content.decode()

        form = re.search(r'<form[^>]*action="/saved-searches/".*?</form>', html, re.S).group(0)
        assert 'method="post"' in form and 'name="csrfmiddlewaretoken"' in form
        hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
        hidden.pop("csrfmiddlewaretoken")
        assert hidden == {
            "q": "lamp",
            "category": "books",
            "min_price": "5.00",
            "max_price": "20.00",
        }
        assert '<select class="form-select form-select-sm w-auto" name="frequency"' in form
        assert '<option value="daily">' in form
        assert 'href="/saved-searches/"' in html

    def test_invalid_filter_left_out_of_the_form(self, logged_in, api):
        self.results(api)

        html = logged_in.get("/search/?q=lamp&min_price=abc").content.decode()

        form = re.search(r'<form[^>]*action="/saved-searches/".*?</form>', html, re.S).group(0)
        assert 'name="min_price"' not in form and 'name="q" value="lamp"' in form

    def test_anonymous_gets_a_login_link_back_to_the_prefilled_form(self, client, api):
        self.results(api)

        response = client.get("/search/?q=lamp&category=books")

        html = response.content.decode()
        assert 'action="/saved-searches/"' not in html and "csrfmiddlewaretoken" not in html
        assert 'href="/login/?next=%2Fsaved-searches%2F%3Fq%3Dlamp%26category%3Dbooks"' in html
        assert not response.cookies

    def test_form_posts_what_the_save_view_accepts(self, logged_in, page_api):
        """The search page's hidden fields are exactly the save view's fields."""
        self.results(page_api)
        html = logged_in.get("/search/?q=lamp&min_price=5").content.decode()
        form = re.search(r'<form[^>]*action="/saved-searches/".*?</form>', html, re.S).group(0)
        data = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
        data["frequency"] = "instant"
        page_api.post("saved-searches", saved_search(5), status=201)

        response = logged_in.post("/saved-searches/", data)

        assert response.status_code == 302
        assert page_api.json_sent("POST", "saved-searches") == [
            {"query": "lamp", "min_price": "5.00", "frequency": "instant"}
        ]


class UpdateTest:
    @pytest.mark.parametrize(("value", "paused"), [("true", True), ("false", False)])
    def test_pause_and_resume(self, logged_in, api, value, paused):
        api.add("PATCH", "saved-searches/3", body=saved_search(3, paused=paused))

        response = logged_in.post("/saved-searches/3/update/", {"paused": value})

        assert response.status_code == 302 and response["Location"] == "/saved-searches/"
        assert api.json_sent("PATCH", "saved-searches/3") == [{"paused": paused}]

    def test_frequency_change(self, logged_in, api):
        api.add("PATCH", "saved-searches/3", body=saved_search(3, frequency="daily"))

        logged_in.post("/saved-searches/3/update/", {"frequency": "daily"})

        assert api.json_sent("PATCH", "saved-searches/3") == [{"frequency": "daily"}]

    @pytest.mark.parametrize("data", [{}, {"paused": "maybe"}, {"frequency": "hourly"}])
    def test_bad_input_is_400_nothing_sent(self, logged_in, api, data):
        response = logged_in.post("/saved-searches/3/update/", data)

        assert response.status_code == 400
        assert api.calls_to("PATCH", "saved-searches/3") == []

    def test_someone_elses_search_gives_the_403_page(self, logged_in, api):
        api.add("PATCH", "saved-searches/3", status=403, body={"error": "permission_denied"})

        response = logged_in.post("/saved-searches/3/update/", {"paused": "true"})

        assert response.status_code == 403
        assert "You can't do that" in response.content.decode()

    def test_anonymous_goes_to_login_then_the_list(self, client, api):
        response = client.post("/saved-searches/3/update/", {"paused": "true"})

        assert response["Location"] == "/login/?next=%2Fsaved-searches%2F"
        assert api.calls_to("PATCH", "saved-searches/3") == []

    def test_post_without_csrf_token_refused(self, api):
        response = strict_client(api).post("/saved-searches/3/update/", {"paused": "true"})

        assert response.status_code == 403
        assert api.calls_to("PATCH", "saved-searches/3") == []


class DeleteTest:
    def test_owner_deletes_and_goes_back_to_the_list(self, logged_in, api):
        api.add("DELETE", "saved-searches/3", status=204, body=None, json=None)

        response = logged_in.post("/saved-searches/3/delete/")

        assert response.status_code == 302 and response["Location"] == "/saved-searches/"
        assert len(api.calls_to("DELETE", "saved-searches/3")) == 1

    def test_someone_elses_search_gives_the_403_page(self, logged_in, api):
        api.add("DELETE", "saved-searches/3", status=403, body={"error": "permission_denied"})

        response = logged_in.post("/saved-searches/3/delete/")

        assert response.status_code == 403
        assert "You can't do that" in response.content.decode()

    def test_already_deleted_is_harmless(self, logged_in, page_api):
        page_api.add("DELETE", "saved-searches/3", status=404, body={"error": "not_found"})

        response = logged_in.post("/saved-searches/3/delete/")

        assert response.status_code == 302
        page = logged_in.get("/saved-searches/").content.decode()
        assert "already deleted" in page

    def test_anonymous_goes_to_login_then_the_list(self, client, api):
        response = client.post("/saved-searches/3/delete/")

        assert response["Location"] == "/login/?next=%2Fsaved-searches%2F"
        assert api.calls_to("DELETE", "saved-searches/3") == []

    def test_get_not_allowed(self, logged_in, api):
        assert logged_in.get("/saved-searches/3/delete/").status_code == 405

    def test_post_without_csrf_token_refused(self, api):
        response = strict_client(api).post("/saved-searches/3/delete/")

        assert response.status_code == 403
        assert api.calls_to("DELETE", "saved-searches/3") == []
