import pytest

from marketplace_batch.settings import REPO_ROOT, ImproperlyConfigured, Settings


class SettingsTest:
    def test_from_env_defaults_native_stack(self):
        settings = Settings.from_env({})
        assert settings.models_api_url == "http://127.0.0.1:8300"
        assert settings.elasticsearch_url == "http://127.0.0.1:9200"
        assert settings.access_log_path == REPO_ROOT / "var/data/access.log"
        assert settings.recommendations_interval_seconds == 120
        assert settings.kafka_session_timeout_ms <= 30000

    def test_from_env_relative_log_path_resolved_against_repo_root(self):
        settings = Settings.from_env({"ACCESS_LOG_PATH": "var/x/views.log"})
        assert settings.access_log_path == REPO_ROOT / "var/x/views.log"

    def test_from_env_absolute_values_kept(self):
        settings = Settings.from_env(
            {
                "ACCESS_LOG_PATH": "/srv/data/a.log",
                "MODELS_API_URL": "http://m:1/",
                "LOG_LEVEL": "debug",
            }
        )
        assert str(settings.access_log_path) == "/srv/data/a.log"
        assert settings.models_api_url == "http://m:1"
        assert settings.log_level == "DEBUG"

    def test_from_env_bad_integer_rejected(self):
        with pytest.raises(ImproperlyConfigured, match="INDEXER_BATCH_SIZE"):
            Settings.from_env({"INDEXER_BATCH_SIZE": "many"})

    def test_from_env_session_timeout_above_broker_limit_rejected(self):
        with pytest.raises(ImproperlyConfigured, match="30000"):
            Settings.from_env({"KAFKA_SESSION_TIMEOUT_MS": "45000"})

    def test_alerts_defaults_name_the_documented_topic_index_and_groups(self):
        settings = Settings.from_env({})
        assert settings.saved_searches_topic == "saved-searches"
        assert settings.saved_searches_index == "saved-searches"
        assert (settings.alerts_group, settings.alerts_percolator_group) == (
            "alerts",
            "alerts-percolator",
        )

    def test_alerts_tuning_from_env(self):
        settings = Settings.from_env(
            {
                "ALERTS_BATCH_SIZE": "10",
                "ALERTS_LINGER_SECONDS": "0",
                "SAVED_SEARCHES_BATCH_SIZE": "50",
                "ALERTS_SYNC_WAIT_SECONDS": "2.5",
            }
        )
        assert settings.alerts_batch_size == 10
        assert settings.alerts_linger_seconds == 0
        assert settings.saved_searches_batch_size == 50
        assert settings.alerts_sync_wait_seconds == 2.5
        with pytest.raises(ImproperlyConfigured, match="ALERTS_BATCH_SIZE"):
            Settings.from_env({"ALERTS_BATCH_SIZE": "0"})
