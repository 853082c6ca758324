import socket
import threading

import pytest
import requests
import responses
from django.core.files.uploadedfile import SimpleUploadedFile

from clients import models_api
from clients.models_api import (
    ModelsApiClient,
    ModelsApiUnavailable,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from conftest import GATE_SECONDS, MODELS, Part, a_listing, multipart_parts
from mpcommon.request_id import reset_request_id, set_request_id
from testsupport.images import png


def make_client(base_url="http://models.test", *, read_timeout=1.0, retries=2):
    return ModelsApiClient(
        base_url=base_url,
        service_token="svc-secret",
        connect_timeout=0.5,
        read_timeout=read_timeout,
        retries=retries,
        backoff=0,
        pool_size=4,
    )


class SilentServer:
    """A TCP server that accepts connections and never answers (a hung upstream)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.peers = []
        self.open = []
        self._changed = threading.Condition()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            with self._changed:
                self.open.append(conn)
                self.peers.append(peer)
                self._changed.notify_all()

    def connections_so_far(self) -> int:
        """How many connections clients made before now: a probe connection is made and
        the count taken once it is accepted (the accept queue is first in, first out, so
        every earlier connection has been counted by then, however slow our thread)."""
        with socket.create_connection(self.sock.getsockname(), timeout=5) as probe:
            me = probe.getsockname()
            with self._changed:
                accepted = self._changed.wait_for(lambda: me in self.peers, GATE_SECONDS)
                assert accepted, "the probe connection was never accepted"
                return self.peers.index(me)

    def close(self):
        for conn in self.open:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


class ModelsApiClientRequestTest:
    def test_get_listing_sends_service_token_and_request_id(self, models):
        models.add(responses.GET, MODELS + "/listings/5", json=a_listing(id=5))
        token = set_request_id("req-123")
        try:
            listing = make_client().get_listing(5)
        finally:
            reset_request_id(token)
        assert listing["id"] == 5
        headers = models.calls[0].request.headers
        assert headers["X-Service-Token"] == "svc-secret"
        assert headers["X-Request-ID"] == "req-123"
        assert "X-Authenticator" not in headers

    def test_create_listing_sends_authenticator(self, models):
        models.add(responses.POST, MODELS + "/listings", json=a_listing(id=9), status=201)
        make_client().create_listing(authenticator="tok", data={"title": "x"})
        assert models.calls[0].request.headers["X-Authenticator"] == "tok"

    def test_list_listings_ids_are_joined_and_empty_params_dropped(self, models):
        models.add(
            responses.GET,
            MODELS + "/listings",
            json={"count": 0, "results": []},
            match=[responses.matchers.query_string_matcher("ids=3,4&status=active")],
        )
        make_client().list_listings(ids=[3, 4], status="active", category=None)
        assert len(models.calls) == 1


class ModelsApiClientRetryTest:
    def test_get_503_then_200_is_retried_and_succeeds(self, models):
        models.add(responses.GET, MODELS + "/listings/1", status=503)
        models.add(responses.GET, MODELS + "/listings/1", status=503)
        models.add(responses.GET, MODELS + "/listings/1", json=a_listing(id=1))
        assert make_client(retries=2).get_listing(1)["id"] == 1
        assert len(models.calls) == 3

    def test_get_keeps_failing_raises_unavailable_after_bounded_retries(self, models):
        models.add(responses.GET, MODELS + "/categories", status=502)
        with pytest.raises(ModelsApiUnavailable):
            make_client(retries=2).list_categories()
        assert len(models.calls) == 3

    def test_create_listing_503_is_not_retried(self, models):
        models.add(responses.POST, MODELS + "/listings", status=503)
        with pytest.raises(ModelsApiUnavailable):
            make_client().create_listing(authenticator="tok", data={})
        assert len(models.calls) == 1

    def test_create_user_connection_error_is_not_retried(self, models):
        models.add(responses.POST, MODELS + "/users", body=requests.ConnectionError("refused"))
        with pytest.raises(ModelsApiUnavailable):
            make_client().create_user(username="a", email="a@example.com", password="p")
        assert len(models.calls) == 1

    def test_resolve_is_read_only_so_its_post_is_retried(self, models):
        models.add(responses.POST, MODELS + "/authenticators/resolve", status=503)
        models.add(
            responses.POST,
            MODELS + "/authenticators/resolve",
            json={"user": {"id": 1}, "expires_at": "2099-01-01T00:00:00Z"},
        )
        assert make_client().resolve_authenticator("tok")["user"]["id"] == 1
        assert len(models.calls) == 2

    def test_read_timeout_raises_unavailable(self, models):
        models.add(responses.GET, MODELS + "/users/3", body=requests.ReadTimeout("slow"))
        with pytest.raises(ModelsApiUnavailable):
            make_client().get_user(3)


class ModelsApiClientTimeoutTest:
    """Against a real hung socket: timeouts fire, and only idempotent calls repeat."""

    def test_hung_upstream_get_times_out_after_bounded_retries(self, silent_server):
        client = make_client(silent_server.url, read_timeout=0.15, retries=2)
        with pytest.raises(ModelsApiUnavailable):
            client.get_listing(1)
        assert silent_server.connections_so_far() == 3  # the call and two retries

    def test_hung_upstream_post_is_sent_once(self, silent_server):
        client = make_client(silent_server.url, read_timeout=0.15, retries=2)
        with pytest.raises(ModelsApiUnavailable):
            client.create_listing(authenticator="tok", data={"title": "x"})
        assert silent_server.connections_so_far() == 1

    def test_closed_port_is_unavailable(self):
        client = make_client("http://127.0.0.1:1", retries=1)
        with pytest.raises(ModelsApiUnavailable):
            client.list_categories()


class ModelsApiClientErrorMappingTest:
    def test_400_becomes_validation_failed_with_fields(self, models):
        body = {
            "error": "validation_failed",
            "detail": "Invalid input.",
            "fields": {"username": ["Taken."]},
        }
        models.add(responses.POST, MODELS + "/users", json=body, status=400)
        with pytest.raises(ValidationFailed) as caught:
            make_client().create_user(username="a", email="a@example.com", password="p")
        assert caught.value.fields == {"username": ["Taken."]}

    def test_404_becomes_not_found(self, models):
        models.add(responses.GET, MODELS + "/listings/4", json={"error": "not_found"}, status=404)
        with pytest.raises(NotFound):
            make_client().get_listing(4)

    def test_401_on_user_call_becomes_not_authenticated(self, models):
        models.add(
            responses.POST,
            MODELS + "/authenticators",
            json={"error": "invalid_credentials", "detail": "Bad."},
            status=401,
        )
        with pytest.raises(NotAuthenticated) as caught:
            make_client().create_authenticator(username="a", password="b")
        assert caught.value.code == "invalid_credentials"

    def test_401_on_service_call_means_our_token_is_wrong_so_unavailable(self, models):
        models.add(responses.GET, MODELS + "/categories", json={}, status=401)
        with pytest.raises(ModelsApiUnavailable):
            make_client().list_categories()

    def test_403_becomes_permission_denied(self, models):
        models.add(responses.POST, MODELS + "/listings", json={}, status=403)
        with pytest.raises(PermissionDenied):
            make_client().create_listing(authenticator="tok", data={})

    def test_non_json_success_becomes_unavailable(self, models):
        models.add(responses.GET, MODELS + "/listings/2", body="<html>", status=200)
        with pytest.raises(ModelsApiUnavailable):
            make_client().get_listing(2)

    def test_revoke_204_returns_none(self, models):
        models.add(responses.POST, MODELS + "/authenticators/revoke", status=204)
        assert make_client().revoke_authenticator("tok") is None


def a_file(name="a.png", content=None, content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else png(), content_type)


class ModelsApiClientPhotosTest:
    def test_create_with_photos_is_one_multipart_call_with_the_same_field_names(self, models):
        models.add(responses.POST, MODELS + "/listings", json=a_listing(id=9), status=201)
        first, second = png(rgb=(1, 2, 3)), png(rgb=(4, 5, 6))
        make_client().create_listing(
            authenticator="tok",
            data={"title": "Lamp", "price": "12.50"},
            photos=[a_file("one.png", first), a_file("two.jpg", second, "image/jpeg")],
        )
        (call,) = models.calls
        assert call.request.headers["X-Authenticator"] == "tok"
        assert multipart_parts(call.request) == [
            Part("title", None, None, b"Lamp"),
            Part("price", None, None, b"12.50"),
            Part("photos", "one.png", "image/png", first),
            Part("photos", "two.jpg", "image/jpeg", second),
        ]

    def test_create_without_photos_stays_json(self, models):
        models.add(responses.POST, MODELS + "/listings", json=a_listing(id=9), status=201)
        make_client().create_listing(authenticator="tok", data={"title": "Lamp"}, photos=[])
        assert models.calls[0].request.body == b'{"title": "Lamp"}'

    def test_update_with_photos_repeats_photo_order(self, models):
        models.add(responses.PATCH, MODELS + "/listings/5", json=a_listing(id=5))
        make_client().update_listing(
            authenticator="tok",
            listing_id=5,
            changes={"photo_order": [3, 1], "status": "active"},
            photos=[a_file()],
        )
        parts = multipart_parts(models.calls[0].request)
        assert [(p.name, p.content) for p in parts[:3]] == [
            ("photo_order", b"3"),
            ("photo_order", b"1"),
            ("status", b"active"),
        ]
        assert [p.name for p in parts[3:]] == ["photos"]

    def test_update_without_photos_sends_photo_order_as_a_json_list(self, models):
        models.add(responses.PATCH, MODELS + "/listings/5", json=a_listing(id=5))
        make_client().update_listing(authenticator="tok", listing_id=5, changes={"photo_order": []})
        assert models.calls[0].request.body == b'{"photo_order": []}'

    def test_uploads_wait_the_upload_timeout(self, models):
        models.add(responses.POST, MODELS + "/listings/5/photos", json=a_listing(id=5), status=201)
        client = ModelsApiClient(
            base_url="http://models.test",
            service_token="svc-secret",
            connect_timeout=0.5,
            read_timeout=1.0,
            retries=2,
            backoff=0,
            pool_size=4,
            upload_read_timeout=42.0,
        )
        client.add_listing_photos(authenticator="tok", listing_id=5, photos=[a_file()])
        assert models.calls[0].request.req_kwargs["timeout"] == (0.5, 42.0)

    @pytest.mark.parametrize(
        ("method", "path", "send"),
        [
            (
                responses.POST,
                "/listings",
                lambda c: c.create_listing(authenticator="t", data={}, photos=[a_file()]),
            ),
            (
                responses.PATCH,
                "/listings/5",
                lambda c: c.update_listing(
                    authenticator="t", listing_id=5, changes={}, photos=[a_file()]
                ),
            ),
            (
                responses.POST,
                "/listings/5/photos",
                lambda c: c.add_listing_photos(authenticator="t", listing_id=5, photos=[a_file()]),
            ),
        ],
    )
    def test_upload_503_is_not_retried(self, models, method, path, send):
        models.add(method, MODELS + path, status=503)
        with pytest.raises(ModelsApiUnavailable):
            send(make_client(retries=2))
        assert len(models.calls) == 1

    def test_hung_upstream_upload_is_sent_once(self, silent_server):
        client = make_client(silent_server.url, read_timeout=0.15, retries=2)
        client.upload_timeout = (0.5, 0.15)
        with pytest.raises(ModelsApiUnavailable):
            client.add_listing_photos(authenticator="tok", listing_id=5, photos=[a_file()])
        assert silent_server.connections_so_far() == 1

    def test_delete_photo_returns_the_listing(self, models):
        models.add(responses.DELETE, MODELS + "/listings/5/photos/8", json=a_listing(id=5))
        listing = make_client().delete_listing_photo(authenticator="tok", listing_id=5, photo_id=8)
        assert listing["id"] == 5
        assert models.calls[0].request.headers["X-Authenticator"] == "tok"


# Issue 13 calls: (method, path, call, whether a 503 may be repeated).
# docs/accounts-and-notifications.md, "models-api internal API additions".
ACCOUNT_CALLS = [
    (
        responses.POST,
        "/password",
        lambda c: c.change_password(authenticator="tok", old_password="o", new_password="n"),
        False,
    ),
    (responses.POST, "/password-resets", lambda c: c.request_password_reset(email="a@x.io"), False),
    (responses.POST, "/password-resets/check", lambda c: c.check_password_reset(token="u.t"), True),
    (
        responses.POST,
        "/password-resets/confirm",
        lambda c: c.confirm_password_reset(token="u.t", new_password="n"),
        False,
    ),
    (
        responses.PATCH,
        "/users/7",
        lambda c: c.update_user(authenticator="tok", user_id=7, changes={"bio": "b"}),
        False,
    ),
    (
        responses.GET,
        "/favourites",
        lambda c: c.list_favourites(authenticator="tok", page=1, page_size=24),
        True,
    ),
    (
        responses.GET,
        "/favourites/ids",
        lambda c: c.favourited_ids(authenticator="tok", listing_ids=[1, 2]),
        True,
    ),
    (
        responses.PUT,
        "/favourites/5",
        lambda c: c.add_favourite(authenticator="tok", listing_id=5),
        True,
    ),
    (
        responses.DELETE,
        "/favourites/5",
        lambda c: c.remove_favourite(authenticator="tok", listing_id=5),
        True,
    ),
    (responses.GET, "/saved-searches", lambda c: c.list_saved_searches(authenticator="tok"), True),
    (
        responses.POST,
        "/saved-searches",
        lambda c: c.create_saved_search(authenticator="tok", data={"query": "q"}),
        False,
    ),
    (
        responses.PATCH,
        "/saved-searches/41",
        lambda c: c.update_saved_search(authenticator="tok", saved_search_id=41, changes={}),
        False,
    ),
    (
        responses.DELETE,
        "/saved-searches/41",
        lambda c: c.delete_saved_search(authenticator="tok", saved_search_id=41),
        True,
    ),
]
ACCOUNT_CALL_IDS = [f"{method} {path}" for method, path, _, _ in ACCOUNT_CALLS]


class ModelsApiClientAccountsTest:
    @pytest.mark.parametrize(
        ("method", "path", "send", "repeatable"), ACCOUNT_CALLS, ids=ACCOUNT_CALL_IDS
    )
    def test_only_reads_and_idempotent_writes_are_retried(
        self, models, method, path, send, repeatable
    ):
        models.add(method, MODELS + path, status=503)
        with pytest.raises(ModelsApiUnavailable):
            send(make_client(retries=2))
        assert len(models.calls) == (3 if repeatable else 1)

    @pytest.mark.parametrize(
        ("method", "path", "send", "repeatable"), ACCOUNT_CALLS, ids=ACCOUNT_CALL_IDS
    )
    def test_user_calls_carry_the_authenticator_and_service_calls_do_not(
        self, models, method, path, send, repeatable
    ):
        models.add(method, MODELS + path, json={"results": [], "favourited": [], "revoked": 0})
        send(make_client())
        headers = models.calls[0].request.headers
        assert headers["X-Service-Token"] == "svc-secret"
        if path.startswith("/password-resets"):
            assert "X-Authenticator" not in headers
        else:
            assert headers["X-Authenticator"] == "tok"

    @pytest.mark.parametrize(
        ("method", "path", "send", "repeatable"), ACCOUNT_CALLS, ids=ACCOUNT_CALL_IDS
    )
    def test_a_401_on_a_user_call_is_about_the_user(self, models, method, path, send, repeatable):
        models.add(method, MODELS + path, status=401, json={"error": "not_authenticated"})
        expected = ModelsApiUnavailable if path.startswith("/password-resets") else NotAuthenticated
        with pytest.raises(expected):
            send(make_client())

    def test_favourite_ids_are_joined_with_commas(self, models):
        models.add(
            responses.GET,
            MODELS + "/favourites/ids",
            json={"favourited": [3]},
            match=[responses.matchers.query_string_matcher("listings=3,4")],
        )
        assert make_client().favourited_ids(authenticator="tok", listing_ids=[3, 4]) == [3]

    @pytest.mark.parametrize(("status", "created"), [(201, True), (200, False)])
    def test_create_saved_search_tells_new_from_existing(self, models, status, created):
        models.add(responses.POST, MODELS + "/saved-searches", json={"id": 41}, status=status)
        saved, was_created = make_client().create_saved_search(authenticator="t", data={})
        assert (saved["id"], was_created) == (41, created)

    def test_delete_saved_search_204_returns_none(self, models):
        models.add(responses.DELETE, MODELS + "/saved-searches/41", status=204)
        assert make_client().delete_saved_search(authenticator="t", saved_search_id=41) is None

    def test_reset_check_400_is_validation_failed_on_token(self, models):
        models.add(
            responses.POST,
            MODELS + "/password-resets/check",
            status=400,
            json={"error": "validation_failed", "fields": {"token": ["Expired."]}},
        )
        with pytest.raises(ValidationFailed) as raised:
            make_client().check_password_reset(token="u.t")
        assert raised.value.fields == {"token": ["Expired."]}


KEY = "ab" * 32 + ".png"


class ModelsApiClientCredentialTimeoutTest:
    """Calls that hash a password wait the credential timeout, not the usual one."""

    @pytest.mark.parametrize(
        ("path", "send"),
        [
            ("/users", lambda c: c.create_user(username="u", email="u@x.io", password="p")),
            ("/authenticators", lambda c: c.create_authenticator(username="u", password="p")),
            (
                "/password",
                lambda c: c.change_password(authenticator="t", old_password="a", new_password="b"),
            ),
            (
                "/password-resets/confirm",
                lambda c: c.confirm_password_reset(token="t", new_password="b"),
            ),
        ],
        ids=["signup", "login", "change", "reset-confirm"],
    )
    def test_password_hashing_calls_wait_longer(self, models, path, send):
        models.add(responses.POST, MODELS + path, json={}, status=200)
        client = ModelsApiClient(
            base_url="http://models.test",
            service_token="svc-secret",
            connect_timeout=0.5,
            read_timeout=1.0,
            retries=0,
            backoff=0,
            pool_size=4,
            credential_read_timeout=9.0,
        )
        send(client)
        assert models.calls[0].request.req_kwargs["timeout"] == (0.5, 9.0)


class ModelsApiClientMediaTest:
    def test_media_returns_the_bytes_and_content_type(self, models):
        image = png()
        models.add(responses.GET, f"{MODELS}/media/{KEY}", body=image, content_type="image/png")
        assert make_client().get_media(KEY) == (image, "image/png")
        headers = models.calls[0].request.headers
        assert headers["X-Service-Token"] == "svc-secret"
        assert "X-Authenticator" not in headers

    def test_unknown_media_is_not_found(self, models):
        models.add(responses.GET, f"{MODELS}/media/{KEY}", json={"error": "not_found"}, status=404)
        with pytest.raises(NotFound):
            make_client().get_media(KEY)

    def test_media_503_is_retried(self, models):
        models.add(responses.GET, f"{MODELS}/media/{KEY}", status=503)
        models.add(responses.GET, f"{MODELS}/media/{KEY}", body=b"x", content_type="image/png")
        assert make_client(retries=2).get_media(KEY) == (b"x", "image/png")

    @pytest.mark.parametrize("status", [204, 401, 500])
    def test_other_answers_are_unavailable(self, models, status):
        models.add(responses.GET, f"{MODELS}/media/{KEY}", status=status)
        with pytest.raises(ModelsApiUnavailable):
            make_client(retries=0).get_media(KEY)


class RunConcurrentlyTest:
    def test_independent_calls_overlap_and_keep_order(self):
        # Each call returns only once the other one runs too (one after the other would
        # break the barrier).
        both_running = threading.Barrier(2, timeout=GATE_SECONDS)

        def together(value):
            both_running.wait()
            return value

        results = models_api.run_concurrently(lambda: together("a"), lambda: together("b"))
        assert results == ["a", "b"]

    def test_request_id_travels_into_pool_threads(self):
        from mpcommon.request_id import current_request_id

        token = set_request_id("req-pool")
        try:
            (seen,) = models_api.run_concurrently(current_request_id)
        finally:
            reset_request_id(token)
        assert seen == "req-pool"

    def test_first_failure_is_raised(self):
        def boom():
            raise NotFound()

        with pytest.raises(NotFound):
            models_api.run_concurrently(lambda: 1, boom)
