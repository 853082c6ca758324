from health import checks


class ReadyzTest:
    def test_all_dependencies_ok_is_200(self, api, monkeypatch):
        monkeypatch.setattr(checks, "CHECKS", {"a": lambda: "fine", "b": lambda: "fine"})
        response = api.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ok",
            "checks": {"a": {"ok": True, "detail": "fine"}, "b": {"ok": True, "detail": "fine"}},
        }

    def test_one_dependency_down_is_503_degraded(self, api, monkeypatch):
        def down():
            raise ConnectionError("refused")

        monkeypatch.setattr(checks, "CHECKS", {"a": lambda: "fine", "kafka": down})
        response = api.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "degraded"
        assert body["checks"]["kafka"] == {"ok": False, "detail": "ConnectionError: refused"}

    def test_real_checks_report_each_dependency(self, api, models, listings_index):
        # models-api stubbed with no route (connection refused by the stub); Redis, Kafka
        # and the search engine (this test's alias) real.
        response = api.get("/readyz")
        assert response.status_code == 503
        result = response.json()["checks"]
        assert set(result) == {"models_api", "redis", "kafka", "search"}
        assert result["models_api"]["ok"] is False
        assert result["redis"]["ok"] is True
        assert result["kafka"]["ok"] is True
        assert result["search"] == {"ok": True, "detail": f"alias {listings_index.alias!r} present"}

    def test_real_checks_engines_unreachable(
        self, api, models, search_engine_unreachable, kafka_unreachable
    ):
        result = api.get("/readyz").json()["checks"]
        assert result["redis"]["ok"] is True
        assert result["kafka"]["ok"] is False
        assert result["search"]["ok"] is False

    def test_search_alias_missing_is_not_ready(self, api, models):
        # The engine answers, but the test settings' alias has no index behind it.
        result = api.get("/readyz").json()["checks"]
        assert result["search"]["ok"] is False
        assert "missing" in result["search"]["detail"]

    def test_readyz_post_is_json_405(self, api):
        response = api.post("/readyz")
        assert response.status_code == 405
        assert response.json()["error"] == "method_not_allowed"
