"""Static URLs worked out once per process (core.storage), from the real manifest."""

from __future__ import annotations

import json

import pytest

from core.storage import RememberedUrlsStaticFilesStorage


@pytest.fixture
def storage(tmp_path, settings):
    settings.DEBUG = False
    manifest = {"version": "1.1", "hash": "x", "paths": {"css/site.css": "css/site.0123abcd.css"}}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return RememberedUrlsStaticFilesStorage(location=str(tmp_path), base_url="/static/")


class RememberedUrlsTest:
    def test_url_is_the_manifests_hashed_name(self, storage):
        assert storage.url("css/site.css") == "/static/css/site.0123abcd.css"

    def test_second_url_of_a_name_does_not_look_at_the_manifest_again(self, storage, monkeypatch):
        first = storage.url("css/site.css")
        monkeypatch.setattr(storage, "stored_name", lambda name: pytest.fail("looked up"))
        assert storage.url("css/site.css") == first

    def test_a_name_missing_from_the_manifest_raises_every_time(self, storage):
        for _ in range(2):
            with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
                storage.url("css/missing.css")
