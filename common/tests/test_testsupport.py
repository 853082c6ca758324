"""testsupport: the helpers every live suite shares (the parts that need no stack)."""

import ipaddress

import pytest

import testsupport
from testsupport import edge
from testsupport.settings import stack_settings


@pytest.fixture
def fresh_settings(monkeypatch):
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    stack_settings.cache_clear()
    yield monkeypatch
    stack_settings.cache_clear()


class SettingsTest:
    def test_public_url_follows_the_stack_port_setting(self, fresh_settings):
        fresh_settings.setenv("HAPROXY_PORT", "9000")
        assert testsupport.public_url().endswith(":9000")
        assert testsupport.api_url() == testsupport.public_url() + "/api/v1"

    def test_base_url_points_a_suite_elsewhere(self, fresh_settings):
        fresh_settings.setenv("BASE_URL", "http://haproxy:8000/")
        assert testsupport.public_url() == "http://haproxy:8000"


class WaitUntilTest:
    def test_returns_the_first_truthy_result(self):
        results = iter([None, 0, "found"])
        assert testsupport.wait_until(lambda: next(results), 30, interval=0) == "found"

    def test_deadline_passed_names_what_was_awaited_and_the_last_result(self):
        with pytest.raises(AssertionError, match=r"the listing .*last: \[\]"):
            testsupport.wait_until(lambda: [], 0, message="the listing")

    def test_ignored_exceptions_count_as_not_yet(self):
        calls = []

        def flaky():
            calls.append(1)
            if len(calls) < 3:
                raise ConnectionError("restarting")
            return True

        assert testsupport.wait_until(flaky, 30, interval=0, ignoring=(ConnectionError,))
        assert len(calls) == 3

    def test_other_exceptions_propagate(self):
        with pytest.raises(KeyError):
            testsupport.wait_until(lambda: {}["x"], 30, interval=0)


class NamesAndHttpBitsTest:
    def test_unique_words_are_letters_only_and_distinct(self):
        words = {testsupport.unique_word("zq") for _ in range(200)}
        assert len(words) == 200
        assert all(w.startswith("zq") and w.isalpha() and w.islower() for w in words)

    def test_csrf_token_is_read_from_the_form(self):
        page = '<form><input type="hidden" name="csrfmiddlewaretoken" value="abc123"></form>'
        assert testsupport.csrf_token(page) == "abc123"

    def test_page_without_csrf_token_fails(self):
        with pytest.raises(AssertionError):
            testsupport.csrf_token("<form></form>")

    def test_bearer_header(self):
        assert testsupport.bearer("tok") == {"Authorization": "Bearer tok"}

    def test_listing_fields_are_complete_and_overridable(self):
        fields = testsupport.listing_fields(title="Lamp", condition="good")
        assert fields["title"] == "Lamp" and fields["condition"] == "good"
        assert {"description", "price", "category"} <= set(fields)


class SourceAddressTest:
    def test_addresses_are_loopback_never_the_default_one_and_never_repeated(self):
        addresses = [testsupport.new_source_address() for _ in range(2000)]
        assert len(set(addresses)) == len(addresses)
        assert all(ipaddress.ip_address(a).is_loopback for a in addresses)
        assert "127.0.0.1" not in addresses

    def test_session_to_loopback_binds_its_own_address(self):
        http = testsupport.session("http://127.0.0.1:8000")
        adapter = http.get_adapter("http://127.0.0.1:8000/")
        assert isinstance(adapter, edge.LoopbackSourceAdapter)
        assert adapter.source_address == http.source_address != "127.0.0.1"
        assert testsupport.session("http://127.0.0.1:8000").source_address != http.source_address

    def test_session_to_another_host_is_plain(self):
        http = testsupport.session("http://haproxy:8000")
        assert http.source_address is None
        assert not isinstance(http.get_adapter("http://haproxy:8000/"), edge.LoopbackSourceAdapter)

    def test_forgetting_attempts_without_an_admin_socket_is_a_no(self, fresh_settings):
        fresh_settings.setenv("HAPROXY_SOCKET", "/nonexistent/haproxy.sock")
        assert testsupport.forget_auth_attempts("127.1.2.3") is False


class AttemptsUntilRefusedTest:
    def test_refusal_after_the_limit_is_returned_with_the_allowed_attempts(self):
        statuses = iter([401] * 20 + [401, 401, 429])
        allowed, refused = testsupport.attempts_until_refused(lambda: next(statuses), 20)
        assert (allowed, refused) == ([401] * 20, 429)

    def test_no_refusal_within_twice_the_limit_fails(self):
        with pytest.raises(AssertionError, match="no 429 after 4 attempts"):
            testsupport.attempts_until_refused(lambda: 401, 2)
